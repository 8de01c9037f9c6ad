package dev.vgrad.core;

import dev.vgrad.core.kernel.BinaryOp;
import dev.vgrad.core.kernel.Sizes;
import dev.vgrad.core.kernel.UnaryOp;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.List;

/**
 * An n-dimensional array with reverse-mode automatic differentiation, shaped after {@code torch.Tensor}.
 *
 * <p>A tensor is a view (shape, strides, offset) over a flat {@link Storage}; view ops
 * ({@link #view}, {@link #transpose}, {@link #narrow}, {@link #expand}, …) share storage and its version
 * counter. Every op validates its arguments ({@link IllegalArgumentException} naming the op and the shapes),
 * computes its result with a kernel and, when grad mode is on and an input requires grad, records a
 * {@link Node}; {@link #backward()} then accumulates gradients into the {@link #grad()} of leaves.
 * Binary ops broadcast as NumPy does; float32 and float64 operands promote to float64.
 * In-place ops end in {@code _} and bump the version counter (docs/SEMANTICS.md §5.7–5.8).
 */
public final class Tensor {
    // Not final only so that setData can swap a leaf's data in place (PyTorch's `param.data = ...`).
    Storage storage;
    DType dtype;
    int[] shape;
    int[] stride;
    int offset;
    private boolean requiresGrad;
    private Node gradFn;
    /** Written only under this tensor's monitor (see {@link #accumulateGrad}); volatile for safe publication. */
    private volatile Tensor grad;
    /** Hooks of a leaf (a non-leaf's live on its node); null until the first registration. */
    private volatile List<Object> hooks;
    private final boolean inference;
    /**
     * For a {@code .grad} whose buffer only the engine ever referred to: {@link #LEASED} to the thread that
     * created it until a reference leaves vgrad ({@link #grad()} pins it: {@link #NOT_LEASED}) or that thread
     * drops it through {@link #releaseGrad} ({@link #RELEASED}, its array recycled). See docs/SEMANTICS.md §25.
     */
    private volatile int lease;
    /** The thread a {@link #LEASED} gradient belongs to; written before {@link #lease} publishes it. */
    private Thread leaseOwner;
    private static final int NOT_LEASED = 0;
    private static final int LEASED = 1;
    private static final int RELEASED = 2;
    private static final VarHandle LEASE;

    static {
        try {
            LEASE = MethodHandles.lookup().findVarHandle(Tensor.class, "lease", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        dev.vgrad.core.internal.GradBuffers.install(new dev.vgrad.core.internal.GradBuffers.Access() {
            @Override
            public Tensor peek(Tensor param) {
                return param.peekGrad();
            }

            @Override
            public void release(Tensor param) {
                param.releaseGrad();
            }
        });
    }

    Tensor(Storage storage, DType dtype, int[] shape, int[] stride, int offset) {
        this.storage = storage;
        this.dtype = dtype;
        this.shape = shape;
        this.stride = stride;
        this.offset = offset;
        this.inference = Grad.isInferenceMode();
    }

    /** A new contiguous tensor over {@code storage}. */
    static Tensor contiguous(Storage storage, DType dtype, int[] shape) {
        return new Tensor(storage, dtype, shape, Shape.contiguousStrides(shape), 0);
    }

    /** A zero-filled contiguous tensor (kernels that accumulate into their output rely on the zeros). */
    static Tensor empty(DType dtype, int[] shape) {
        return contiguous(Storage.allocate(dtype, Shape.numel(shape)), dtype, shape);
    }

    /**
     * A contiguous tensor with arbitrary contents, possibly over a recycled array (see {@link BufferPool}): only
     * for an op whose kernel overwrites every element.
     */
    static Tensor uninitialized(DType dtype, int[] shape) {
        return contiguous(Storage.uninitialized(dtype, Shape.numel(shape)), dtype, shape);
    }

    // ------------------------------------------------------------------ factories

    /**
     * A 1-D float32 tensor over a copy of {@code data}, as {@code torch.tensor([1., 2., 3.])}:
     * {@code Tensor.of(1, 2, 3)} has shape {@code [3]}, and a one-element array gives shape {@code [1]}, not a
     * 0-d scalar (use {@link #scalar(double)} for that).
     *
     * @param data the values in order (copied: later writes to the array do not reach the tensor)
     * @return a new float32 tensor of shape {@code [data.length]}
     */
    public static Tensor of(float... data) {
        return of(data, data == null ? Shape.SCALAR : new int[] {data.length});
    }

    /**
     * A float32 tensor over a copy of {@code data} with the given shape; {@code new int[0]} makes a 0-d scalar
     * from one element. The shape's element count must equal {@code data.length}.
     *
     * @param data the values in row-major order (copied)
     * @param shape the dims, each ≥ 0, whose product is {@code data.length}; empty for a 0-d scalar
     * @return a new contiguous float32 tensor of that shape
     * @throws IllegalArgumentException when the element count of {@code shape} differs from {@code data.length}
     */
    public static Tensor of(float[] data, int... shape) {
        int[] s = checkData("Tensor.of", data, shape);
        return contiguous(Storage.of(data.clone()), DType.FLOAT32, s);
    }

    /**
     * A 1-D float64 tensor over a copy of {@code data} (shape {@code [data.length]}; see {@link #of(float...)}).
     *
     * @param data the values in order (copied)
     * @return a new float64 tensor of shape {@code [data.length]}
     */
    public static Tensor of(double... data) {
        return of(data, data == null ? Shape.SCALAR : new int[] {data.length});
    }

    /**
     * A float64 tensor over a copy of {@code data} with the given shape (as {@link #of(float[], int...)}).
     *
     * @param data the values in row-major order (copied)
     * @param shape the dims, whose product is {@code data.length}; empty for a 0-d scalar
     * @return a new contiguous float64 tensor of that shape
     * @throws IllegalArgumentException when the element count of {@code shape} differs from {@code data.length}
     */
    public static Tensor of(double[] data, int... shape) {
        int[] s = checkData("Tensor.of", data, shape);
        return contiguous(Storage.of(data.clone()), DType.FLOAT64, s);
    }

    /**
     * A 1-D tensor of {@code dtype} holding {@code data}, as {@code torch.tensor(data, dtype=dtype)}: each value
     * is converted as {@link #to(DType)} converts it (to float32 by rounding to nearest, to int64 by truncating
     * toward zero, to bool as nonzero). Use {@link #view} for another shape.
     *
     * @param data the values in order (copied)
     * @param dtype the element type of the result
     * @return a new 1-D tensor of {@code dtype} and shape {@code [data.length]}
     */
    public static Tensor of(double[] data, DType dtype) {
        Args.nonNull("Tensor.of", "dtype", dtype);
        Tensor t = of(data);
        return dtype == DType.FLOAT64 ? t : t.toRaw(dtype);
    }

    /**
     * An int64 tensor (indices, class targets) over a copy of {@code data}.
     *
     * @param data the values in row-major order (copied)
     * @param shape the dims, whose product is {@code data.length}; empty for a 0-d scalar
     * @return a new contiguous int64 tensor of that shape ({@code torch.tensor(data, dtype=torch.long)})
     */
    public static Tensor ofLongs(long[] data, int... shape) {
        int[] s = checkData("Tensor.ofLongs", data, shape);
        return contiguous(Storage.of(data.clone()), DType.INT64, s);
    }

    /**
     * A bool tensor (a mask) over a copy of {@code data}, as {@code torch.tensor(data, dtype=torch.bool)}.
     *
     * @param data the values in row-major order (copied)
     * @param shape the dims, whose product is {@code data.length}; empty for a 0-d scalar
     * @return a new contiguous bool tensor of that shape
     * @throws IllegalArgumentException when the element count of {@code shape} differs from {@code data.length}
     */
    public static Tensor of(boolean[] data, int... shape) {
        int[] s = checkData("Tensor.of", data, shape);
        long[] l = new long[data.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = data[i] ? 1 : 0;
        }
        return contiguous(Storage.ofBool(l), DType.BOOL, s);
    }

    /**
     * A 0-d float32 tensor.
     *
     * @param value the value, rounded to float
     * @return a new 0-d float32 tensor (shape {@code []})
     */
    public static Tensor scalar(double value) {
        return of(new float[] {(float) value}, Shape.SCALAR);
    }

    /**
     * A 0-d tensor of the given dtype.
     *
     * @param dtype the element type
     * @param value the value, converted to {@code dtype} (truncated toward zero for int64; nonzero is true for
     *     bool)
     * @return a new 0-d tensor
     */
    public static Tensor scalar(DType dtype, double value) {
        Tensor t = empty(dtype, Shape.SCALAR);
        t.storage.set(0, value);
        return t;
    }

    private static int[] checkData(String op, Object data, int[] shape) {
        Args.nonNull(op, "data", data);
        int length = java.lang.reflect.Array.getLength(data);
        if (Shape.checked(op, shape) != length) {
            throw new IllegalArgumentException(op + ": shape " + Shape.str(shape) + " is invalid for input of size " + length);
        }
        return shape.clone();
    }

    /**
     * Zeros of the given shape (float32).
     *
     * @param shape the dims, each ≥ 0
     * @return a new contiguous float32 tensor of zeros ({@code torch.zeros(*shape)})
     */
    public static Tensor zeros(int... shape) {
        return zeros(DType.FLOAT32, shape);
    }

    /**
     * Zeros of the given dtype and shape.
     *
     * @param dtype the element type
     * @param shape the dims, each ≥ 0
     * @return a new contiguous tensor of zeros
     */
    public static Tensor zeros(DType dtype, int... shape) {
        Args.nonNull("zeros", "dtype", dtype);
        Shape.checked("zeros", shape);
        return empty(dtype, shape.clone());
    }

    /**
     * Ones (float32).
     *
     * @param shape the dims, each ≥ 0
     * @return a new contiguous float32 tensor of ones ({@code torch.ones(*shape)})
     */
    public static Tensor ones(int... shape) {
        return full(DType.FLOAT32, 1, shape);
    }

    /**
     * Ones of the given dtype.
     *
     * @param dtype the element type
     * @param shape the dims, each ≥ 0
     * @return a new contiguous tensor of ones
     */
    public static Tensor ones(DType dtype, int... shape) {
        return full(dtype, 1, shape);
    }

    /**
     * A float32 tensor filled with {@code value}.
     *
     * @param value the fill value, rounded to float
     * @param shape the dims, each ≥ 0
     * @return a new contiguous float32 tensor ({@code torch.full(shape, value)})
     */
    public static Tensor full(double value, int... shape) {
        return full(DType.FLOAT32, value, shape);
    }

    /**
     * A tensor of the given dtype filled with {@code value}.
     *
     * @param dtype the element type
     * @param value the fill value, converted to {@code dtype} (for bool: nonzero is true)
     * @param shape the dims, each ≥ 0
     * @return a new contiguous tensor
     */
    public static Tensor full(DType dtype, double value, int... shape) {
        Args.nonNull("full", "dtype", dtype);
        Shape.checked("full", shape);
        Tensor t = empty(dtype, shape.clone());
        t.fillRaw(value);
        return t;
    }

    /**
     * Zeros with this tensor's dtype and shape.
     *
     * @return a new contiguous tensor of zeros with no history ({@code torch.zeros_like})
     */
    public Tensor zerosLike() {
        return empty(dtype, shape.clone());
    }

    /**
     * Ones with this tensor's dtype and shape.
     *
     * @return a new contiguous tensor of ones with no history ({@code torch.ones_like})
     */
    public Tensor onesLike() {
        return full(dtype, 1, shape);
    }

    /**
     * {@code [0, 1, …, end-1]} as float32: called with a {@code double} (or float) argument. An {@code int} or
     * {@code long} argument selects {@link #arange(long)} instead and gives int64, as {@code torch.arange(5)} does
     * (docs/SEMANTICS.md §17).
     *
     * @param end the exclusive upper bound
     * @return a new 1-D float32 tensor of {@code ceil(end)} elements
     * @throws IllegalArgumentException when {@code end} is negative or not finite
     */
    public static Tensor arange(double end) {
        return arange(0, end, 1);
    }

    /**
     * Values {@code start, start+step, …} below {@code end} (above, for a negative step), float32. Java picks this
     * overload when any argument is a {@code double} or {@code float}; with three integer arguments it picks
     * {@link #arange(long, long, long)} (int64).
     *
     * @param start the first value
     * @param end the exclusive bound
     * @param step the nonzero increment; its sign must agree with {@code end - start}
     * @return a new 1-D float32 tensor of {@code ceil((end - start) / step)} elements
     * @throws IllegalArgumentException for a zero, NaN or wrong-signed step, non-finite bounds, or too many elements
     */
    public static Tensor arange(double start, double end, double step) {
        if (step == 0 || Double.isNaN(step)) {
            throw new IllegalArgumentException("arange: step must be nonzero, got " + step);
        }
        if (!Double.isFinite(start) || !Double.isFinite(end) || !Double.isFinite(step)) {
            throw new IllegalArgumentException("arange: unsupported range: " + start + " -> " + end + " (step " + step + ")");
        }
        if ((end - start) / step < 0) {
            throw new IllegalArgumentException("arange: upper bound and larger bound inconsistent with step sign"
                    + " (start=" + start + ", end=" + end + ", step=" + step + ")");
        }
        double count = Math.ceil((end - start) / step);
        if (count > Sizes.MAX_NUMEL) {
            throw new IllegalArgumentException("arange: the range " + start + " -> " + end + " with step " + step
                    + " has " + count + " elements, more than the maximum " + Sizes.MAX_NUMEL
                    + " one Java array can hold");
        }
        int n = (int) count;
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) (start + i * step);
        }
        return contiguous(Storage.of(d), DType.FLOAT32, new int[] {n});
    }

    /**
     * {@code steps} evenly spaced values from {@code start} to {@code end} inclusive (float32).
     *
     * @param start the first value (finite)
     * @param end the last value (finite); reached exactly when {@code steps > 1}
     * @param steps the number of values, ≥ 0
     * @return a new 1-D float32 tensor of shape {@code [steps]} ({@code torch.linspace})
     * @throws IllegalArgumentException for a negative {@code steps} or non-finite bounds
     */
    public static Tensor linspace(double start, double end, int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("linspace: number of steps must be non-negative, got " + steps);
        }
        Shape.checked("linspace", new int[] {steps});
        Args.finite("linspace", "start", start);
        Args.finite("linspace", "end", end);
        float[] d = new float[steps];
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        int half = steps / 2;
        for (int i = 0; i < steps; i++) {
            // PyTorch fills the second half from the end so the last value is exactly `end`; one step is `start`
            d[i] = (float) (i < half || steps == 1 ? start + step * i : end - step * (steps - 1 - i));
        }
        return contiguous(Storage.of(d), DType.FLOAT32, new int[] {steps});
    }

    /**
     * The n×n identity (float32).
     *
     * @param n the number of rows and columns, ≥ 0
     * @return a new float32 tensor of shape {@code [n, n]}
     */
    public static Tensor eye(int n) {
        return eye(n, n);
    }

    /**
     * The n×m matrix (float32) with ones on the main diagonal and zeros elsewhere ({@code torch.eye(n, m)});
     * either size may be 0. Negative sizes, and sizes whose product exceeds what one array holds, throw
     * IllegalArgumentException naming {@code eye} (docs/SEMANTICS.md §10).
     *
     * @param n the number of rows, ≥ 0
     * @param m the number of columns, ≥ 0
     * @return a new float32 tensor of shape {@code [n, m]}
     */
    public static Tensor eye(int n, int m) {
        if (n < 0) {
            throw new IllegalArgumentException("eye: n must be greater or equal to 0, got " + n);
        }
        if (m < 0) {
            throw new IllegalArgumentException("eye: m must be greater or equal to 0, got " + m);
        }
        int[] shape = {n, m};
        float[] d = new float[Shape.checked("eye", shape)];
        for (int i = 0, k = Math.min(n, m); i < k; i++) {
            d[i * m + i] = 1;
        }
        return contiguous(Storage.of(d), DType.FLOAT32, shape);
    }

    /**
     * Uniform [0,1) samples from the default generator (float32).
     *
     * @param shape the dims, each ≥ 0
     * @return a new float32 tensor ({@code torch.rand(*shape)}; the stream differs from PyTorch's)
     */
    public static Tensor rand(int... shape) {
        return rand(Generator.defaultGenerator(), shape);
    }

    /**
     * Uniform [0,1) samples from {@code gen} (float32).
     *
     * @param gen the random source, advanced by one draw per element
     * @param shape the dims, each ≥ 0
     * @return a new float32 tensor
     */
    public static Tensor rand(Generator gen, int... shape) {
        Args.nonNull("rand", "generator", gen);
        Shape.checked("rand", shape);
        return zeros(shape).uniformRaw(gen, 0, 1);
    }

    /**
     * Standard normal samples from the default generator (float32).
     *
     * @param shape the dims, each ≥ 0
     * @return a new float32 tensor ({@code torch.randn(*shape)}; the stream differs from PyTorch's)
     */
    public static Tensor randn(int... shape) {
        return randn(Generator.defaultGenerator(), shape);
    }

    /**
     * Standard normal samples from {@code gen} (float32).
     *
     * @param gen the random source
     * @param shape the dims, each ≥ 0
     * @return a new float32 tensor
     */
    public static Tensor randn(Generator gen, int... shape) {
        Args.nonNull("randn", "generator", gen);
        Shape.checked("randn", shape);
        return zeros(shape).normalRaw(gen, 0, 1);
    }

    /**
     * Uniform integers in [low, high) from {@code gen}, as int64.
     *
     * @param gen the random source
     * @param low the inclusive lower bound
     * @param high the exclusive upper bound, greater than {@code low}
     * @param shape the dims, each ≥ 0
     * @return a new int64 tensor ({@code torch.randint(low, high, shape)})
     * @throws IllegalArgumentException when {@code high <= low} or the range overflows a long
     */
    public static Tensor randint(Generator gen, long low, long high, int... shape) {
        if (high <= low) {
            throw new IllegalArgumentException("randint: expected low < high, got low=" + low + ", high=" + high);
        }
        Args.nonNull("randint", "generator", gen);
        Shape.checked("randint", shape);
        if (high - low <= 0) {
            throw new IllegalArgumentException("randint: range [" + low + ", " + high + ") is too large");
        }
        Tensor t = zeros(DType.INT64, shape);
        for (int i = 0; i < t.storage.l.length; i++) {
            t.storage.l[i] = low + gen.nextLong(high - low);
        }
        return t;
    }

    // ------------------------------------------------------------------ metadata

    /**
     * The shape (a copy).
     *
     * @return a fresh copy of the dims (empty for a 0-d tensor); {@code tensor.shape} in PyTorch
     */
    public int[] shape() {
        return shape.clone();
    }

    int[] shapeRef() {
        return shape;
    }

    int[] strideRef() {
        return stride;
    }

    /**
     * Size of dimension {@code dim} (negative dims count from the end).
     *
     * @param dim the dimension, in {@code [-dim(), dim())}
     * @return the size of that dimension
     * @throws IllegalArgumentException for a 0-d tensor or a dim out of range
     */
    public int size(int dim) {
        if (shape.length == 0) {
            throw new IllegalArgumentException("size: dimension specified as " + dim + " but tensor has no dimensions");
        }
        return shape[Shape.wrapDim("size", dim, shape.length)];
    }

    /**
     * The strides in elements (a copy).
     *
     * @return a fresh copy of the strides, one per dim, in elements (0 for an expanded dim)
     */
    public int[] stride() {
        return stride.clone();
    }

    /**
     * Number of dimensions.
     *
     * @return the rank (0 for a scalar); {@code tensor.dim()}
     */
    public int dim() {
        return shape.length;
    }

    /**
     * Number of elements.
     *
     * @return the product of the dims (1 for a 0-d tensor)
     */
    public int numel() {
        return Shape.numel(shape);
    }

    /**
     * Element type.
     *
     * @return the element type
     */
    public DType dtype() {
        return dtype;
    }

    /**
     * True when the elements are laid out row-major without gaps.
     *
     * @return whether the strides are the row-major strides of the shape
     */
    public boolean isContiguous() {
        return Shape.isContiguous(shape, stride);
    }

    /**
     * Offset of element 0 in the backing array.
     *
     * @return the index of element {@code [0, …, 0]} in the backing array
     */
    public int storageOffset() {
        return offset;
    }

    /**
     * The backing float32 array (no copy) for fused kernels outside core. Writes through it bypass the
     * version counter: call {@link #bumpVersion()} after writing. Null unless the dtype is float32. Internal: used
     * by nn's fused ops (linear, batch norm) and optim's update loops; not part of the stable API.
     *
     * @return the backing array (shared, possibly larger than {@link #numel()}), or null for other dtypes
     */
    public float[] floatStorage() {
        return storage.f;
    }

    /**
     * The backing float64 array (see {@link #floatStorage()}). Internal, as {@link #floatStorage()}.
     *
     * @return the backing array (shared), or null unless the dtype is float64
     */
    public double[] doubleStorage() {
        return storage.d;
    }

    /**
     * The backing int64 array (see {@link #floatStorage()}). Internal, as {@link #floatStorage()}.
     *
     * @return the backing array (shared), or null unless the dtype is int64
     */
    public long[] longStorage() {
        return storage.l;
    }

    /**
     * The version counter shared with views (§5.7).
     *
     * @return the number of in-place modifications of the storage so far ({@code tensor._version})
     */
    public int version() {
        return storage.version;
    }

    /**
     * Marks an in-place modification made through the raw storage, so saved-tensor checks (§5.7) see it.
     * Internal: used by optim's update loops after writing through {@link #floatStorage()}; not part of the
     * stable API.
     */
    public void bumpVersion() {
        storage.version++;
    }

    /**
     * True for tensors created inside {@link Grad#inferenceMode()}.
     *
     * @return whether this tensor was created in inference mode ({@code tensor.is_inference()})
     */
    public boolean isInference() {
        return inference;
    }

    // ------------------------------------------------------------------ autograd state

    /**
     * Whether gradients are computed for this tensor.
     *
     * @return the {@code requires_grad} flag
     */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /**
     * Sets {@code requires_grad} on a leaf ({@code requires_grad_()}); returns this.
     * Fails for non-leaves (§5.1) and for int64 and bool tensors.
     *
     * @param value the new flag
     * @return this tensor
     * @throws IllegalStateException for a non-leaf, or when {@code value} is true for an int64 or bool tensor
     */
    public Tensor requiresGrad(boolean value) {
        if (gradFn != null) {
            throw new IllegalStateException("you can only change requires_grad flags of leaf variables. If you want "
                    + "to use a computed variable in a subgraph that doesn't require differentiation use "
                    + "var_no_grad = var.detach().");
        }
        if (value && !dtype.isFloatingPoint()) {
            throw new IllegalStateException("only Tensors of floating point dtype can require gradients");
        }
        requiresGrad = value;
        return this;
    }

    /**
     * The node that produced this tensor, or null for leaves.
     *
     * @return the {@code grad_fn} node, or null for a leaf
     */
    public Node gradFn() {
        return gradFn;
    }

    void setGradFn(Node node) {
        gradFn = node;
        requiresGrad = true;
    }

    /**
     * After an in-place op recorded on this tensor, its history continues from {@code node}. The one place that
     * does this for every in-place path: a {@code retainGrad()} moves with the tensor onto the new node, so
     * {@code .grad} is the gradient of the current value only, as in PyTorch (docs/SEMANTICS.md §5.2).
     */
    void rebaseHistory(Node node) {
        node.attached();
        Node old = gradFn;
        if (old != null && old.retained == this) {
            old.retained = null;
            node.retained = this;
        }
        gradFn = node;
        requiresGrad = true;
    }

    /**
     * True for tensors not produced by a recorded op.
     *
     * @return whether {@link #gradFn()} is null ({@code tensor.is_leaf})
     */
    public boolean isLeaf() {
        return gradFn == null;
    }

    /**
     * The accumulated gradient. Null before the first backward; for non-leaves null unless
     * {@link #retainGrad()} was called (PyTorch warns in that case; vgrad returns null silently).
     *
     * @return the {@code .grad} tensor (same shape and dtype as this), or null
     */
    public Tensor grad() {
        Tensor g = grad;
        return g == null || g.pin() ? g : null;
    }

    /**
     * Marks this gradient as reachable from outside vgrad, so it is never recycled. False when its owner released
     * it in the meantime: the caller then saw the gradient after it was set to null, and gets null.
     */
    private boolean pin() {
        while (true) {
            int s = lease;
            if (s == NOT_LEASED) {
                return true;
            }
            if (s == RELEASED) {
                return false;
            }
            if (LEASE.compareAndSet(this, LEASED, NOT_LEASED)) {
                return true;
            }
        }
    }

    /**
     * {@code .grad} for vgrad's own optimizers, which neither keep it nor hand it on: the thread a gradient is
     * leased to reads it without pinning it; any other thread pins it (or gets null if it was just released).
     */
    Tensor peekGrad() {
        Tensor g = grad;
        if (g == null || g.lease == NOT_LEASED || g.leaseOwner == Thread.currentThread()) {
            return g;
        }
        return g.pin() ? g : null;
    }

    /**
     * Sets {@code .grad} to null, as {@code setGrad(null)}, and recycles its array when no reference to it ever
     * left vgrad and it is leased to this thread ({@link BufferPool}): the next op of that size on this thread
     * then skips the JVM's zeroing of a fresh array.
     */
    void releaseGrad() {
        Tensor old;
        synchronized (this) {
            old = grad;
            grad = null;
        }
        if (old != null && old.leaseOwner == Thread.currentThread() && LEASE.compareAndSet(old, LEASED, RELEASED)) {
            BufferPool.give(old.storage);
        }
    }

    /** Leases this new {@code .grad}, which nothing outside the engine refers to, to the current thread. */
    private void leaseToCurrentThread() {
        leaseOwner = Thread.currentThread();
        lease = LEASED;
    }

    /**
     * Replaces the gradient (null clears it), as optimizers' {@code zeroGrad} does. Atomic with respect to the
     * accumulation of backward passes running on other threads (docs/SEMANTICS.md §5.9).
     *
     * @param g the new gradient, of this tensor's shape and dtype, or null to clear it
     * @throws IllegalArgumentException when {@code g}'s shape or dtype differs from this tensor's
     */
    public void setGrad(Tensor g) {
        if (g != null && !Arrays.equals(g.shape, shape)) {
            throw new IllegalArgumentException("setGrad: assigned grad has shape " + Shape.str(g.shape)
                    + " but the tensor has shape " + Shape.str(shape));
        }
        if (g != null && g.dtype != dtype) {
            throw new IllegalArgumentException("setGrad: assigned grad has dtype " + g.dtype + " but the tensor has " + dtype);
        }
        synchronized (this) {
            grad = g;
        }
    }

    /**
     * Makes backward populate {@link #grad()} of this non-leaf tensor.
     *
     * @return this tensor
     * @throws IllegalStateException when this tensor does not require grad
     */
    public Tensor retainGrad() {
        if (!requiresGrad) {
            throw new IllegalStateException("can't retain_grad on Tensor that has requires_grad=False");
        }
        if (gradFn != null) {
            List<Object> h = gradFn.hooks;
            if (h != null && !h.isEmpty() && !h.contains(Hooks.RETAIN)) {
                // retained at this point of the hook chain, as PyTorch 1.13 (docs/SEMANTICS.md §5.11)
                h.add(Hooks.RETAIN);
            }
            gradFn.retained = this;
        }
        return this;
    }

    /**
     * Registers {@code hook} to run on the gradient of this tensor during backward, like PyTorch's
     * {@code register_hook} (docs/SEMANTICS.md §5.11): it receives the gradient summed over all uses of this tensor
     * and may return a replacement of the same shape and dtype (null keeps it). Hooks run in registration order,
     * each on the previous one's result. On a leaf they run before the gradient is accumulated into
     * {@link #grad()}; on a non-leaf before the gradient flows further back. The tensor a hook receives is never
     * modified by the engine afterwards, so a hook may keep it. {@link Autograd#grad} runs the hooks of the
     * tensors it passes through, but captures an input's own gradient before that input's hooks (PyTorch 1.13).
     *
     * @param hook maps the incoming gradient to a replacement of the same shape and dtype, or to null to keep it
     * @return a handle whose {@code remove()} unregisters the hook
     * @throws IllegalStateException when this tensor does not require grad
     */
    public RemovableHandle registerHook(java.util.function.UnaryOperator<Tensor> hook) {
        Args.nonNull("register_hook", "hook", hook);
        if (!requiresGrad) {
            throw new IllegalStateException("cannot register a hook on a tensor that doesn't require gradient");
        }
        if (gradFn != null) {
            return Hooks.add(gradFn.hookList(), hook);
        }
        List<Object> h = hooks;
        if (h == null) {
            synchronized (this) {
                h = hooks;
                if (h == null) {
                    hooks = h = Hooks.newList();
                }
            }
        }
        return Hooks.add(h, hook);
    }

    boolean hasHooks() {
        List<Object> h = hooks;
        return h != null && !h.isEmpty();
    }

    /** Runs this leaf's hooks on {@code g} (identity without hooks). */
    Tensor runHooks(Tensor g) {
        List<Object> h = hooks;
        return h == null ? g : Hooks.run(h, g, null, false);
    }

    void accumulateGrad(Tensor g) {
        accumulateGrad(g, false);
    }

    /**
     * Adds {@code g} into {@code .grad}; an {@code owned} buffer (see Engine) is adopted instead of copied. Atomic
     * per tensor (docs/SEMANTICS.md §5.9): concurrent backward passes serialize on this tensor's monitor, so no
     * addition is lost and an adopted buffer is never added into while it is being adopted. The monitor is held
     * only for this one copy or addition, and nothing is locked inside it, so it cannot deadlock with another
     * tensor's. Under {@code createGraph} (grad mode on) {@code .grad} becomes a recorded copy of {@code g}, or
     * the recorded sum with the previous {@code .grad}, never written in place, as PyTorch does
     * (docs/SEMANTICS.md §5.12).
     */
    boolean accumulateGrad(Tensor g, boolean owned, boolean createGraph) {
        return accumulateGrad(g, owned, false, createGraph);
    }

    /**
     * As above; {@code ownRule} says that an {@code owned} buffer came from a built-in rule, which keeps no
     * reference to it, so when adopted it may be leased ({@link #releaseGrad}). A copy is always private.
     */
    boolean accumulateGrad(Tensor g, boolean owned, boolean ownRule, boolean createGraph) {
        if (!createGraph) {
            return accumulateDetached(g, owned, ownRule);
        }
        synchronized (this) {
            Tensor cur = grad;
            Tensor gg = g.dtype == dtype ? g : g.to(dtype);
            grad = cur == null ? gg.cloneTensor() : cur.add(gg);
        }
        return false;
    }

    /** As above without {@code createGraph}; returns whether {@code g}'s buffer was adopted as {@code .grad}. */
    boolean accumulateGrad(Tensor g, boolean owned) {
        return accumulateDetached(g, owned, false);
    }

    private boolean accumulateDetached(Tensor g, boolean owned, boolean ownRule) {
        synchronized (this) {
            Tensor cur = grad;
            if (cur == null) {
                boolean adopt = owned && g.dtype == dtype;
                Tensor ng = adopt ? g.detach() : g.copyDetached();
                if (ownRule || !adopt) {
                    ng.leaseToCurrentThread();
                }
                grad = ng;
                return adopt;
            } else {
                ElementwiseOps.addInto(cur, g);
                return false;
            }
        }
    }

    /** Backpropagates from this one-element tensor (implicit gradient 1). */
    public void backward() {
        Engine.backward(this, null, false, false);
    }

    /**
     * Backpropagates the vector-Jacobian product with {@code gradient} (shape of this tensor).
     *
     * @param gradient the upstream gradient, of this tensor's shape; may be null for a one-element tensor
     */
    public void backward(Tensor gradient) {
        Engine.backward(this, gradient, false, false);
    }

    /**
     * As {@link #backward(Tensor)}; with {@code retainGraph} the saved tensors are kept for another pass.
     *
     * @param gradient the upstream gradient, of this tensor's shape; may be null for a one-element tensor
     * @param retainGraph whether to keep the saved tensors for a second backward through the same graph
     */
    public void backward(Tensor gradient, boolean retainGraph) {
        Engine.backward(this, gradient, retainGraph, false);
    }

    /**
     * As {@link #backward(Tensor, boolean)}; with {@code createGraph} the backward pass is itself recorded, so the
     * {@code .grad} it produces has a {@code gradFn} and can be differentiated again (docs/SEMANTICS.md §5.12).
     * {@code gradient} may be null for a one-element tensor.
     *
     * @param gradient the upstream gradient, of this tensor's shape
     * @param retainGraph whether to keep the saved tensors for another pass
     * @param createGraph whether to record the backward pass for higher-order derivatives
     */
    public void backward(Tensor gradient, boolean retainGraph, boolean createGraph) {
        Engine.backward(this, gradient, retainGraph, createGraph);
    }

    /**
     * A new leaf sharing storage and version counter, with {@code requiresGrad == false}.
     *
     * @return a view of the same data with no history ({@code tensor.detach()})
     */
    public Tensor detach() {
        return new Tensor(storage, dtype, shape, stride, offset);
    }

    /**
     * PyTorch's {@code tensor.data = data}: this leaf from now on views {@code data}'s storage (and shares its
     * version counter), with {@code data}'s dtype, shape and strides, while keeping its identity,
     * {@code requiresGrad} flag and gradient. {@code nn.Module.to(dtype)} uses it so that optimizers and other
     * holders of a parameter keep working with the converted parameter (docs/SEMANTICS.md §11).
     *
     * @param data the tensor whose storage, dtype and layout this leaf takes over
     * @throws IllegalArgumentException when {@code data} is null, when this tensor is not a leaf, when this
     *                                  tensor requires grad and {@code data} is not floating point, or when this
     *                                  tensor has a gradient whose dtype or shape would no longer match (clear
     *                                  or convert the gradient first)
     */
    public void setData(Tensor data) {
        Args.nonNull("setData", "data", data);
        if (gradFn != null) {
            throw new IllegalArgumentException("setData: only the data of a leaf tensor can be replaced");
        }
        if (requiresGrad && !data.dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("setData: a tensor that requires grad needs floating point data, got "
                    + data.dtype);
        }
        if (grad != null && (grad.dtype != data.dtype || !Arrays.equals(grad.shape, data.shape))) {
            throw new IllegalArgumentException("setData: the tensor's gradient has dtype " + grad.dtype + " and shape "
                    + Shape.str(grad.shape) + ", which would not match the new data (" + data.dtype + ", "
                    + Shape.str(data.shape) + "); clear or convert the gradient first");
        }
        storage = data.storage;
        dtype = data.dtype;
        shape = data.shape.clone();
        stride = data.stride.clone();
        offset = data.offset;
    }

    /** A contiguous copy with no autograd history. */
    Tensor copyDetached() {
        return contiguous(Strided.copyToContiguous(this), dtype, shape.clone());
    }

    // ------------------------------------------------------------------ element access

    private int flatIndex(String op, int[] idx) {
        Args.nonNull(op, "indices", idx);
        if (idx.length != shape.length) {
            throw new IllegalArgumentException(op + ": expected " + shape.length + " indices for shape "
                    + Shape.str(shape) + ", got " + idx.length);
        }
        int o = offset;
        for (int i = 0; i < idx.length; i++) {
            int k = idx[i] < 0 ? idx[i] + shape[i] : idx[i];
            if (k < 0 || k >= shape[i]) {
                throw new IndexOutOfBoundsException(op + ": index " + idx[i] + " is out of bounds for dimension "
                        + i + " with size " + shape[i]);
            }
            o += k * stride[i];
        }
        return o;
    }

    /**
     * The element at {@code idx} as a double (negative indices count from the end).
     *
     * @param idx one index per dim, each in {@code [-size, size)}
     * @return the element, widened to double
     * @throws IndexOutOfBoundsException when an index is out of range
     */
    public double get(int... idx) {
        return storage.get(flatIndex("get", idx));
    }

    /**
     * Writes one element in place (an in-place op: bumps the version).
     *
     * @param value the new value, converted to this dtype
     * @param idx one index per dim, each in {@code [-size, size)}
     * @return this tensor
     * @throws IndexOutOfBoundsException when an index is out of range
     */
    public Tensor set(double value, int... idx) {
        checkInPlaceAliasingAllowed();
        storage.set(flatIndex("set", idx), value);
        storage.version++;
        return this;
    }

    /**
     * The value of a one-element tensor.
     *
     * @return the only element, widened to double ({@code tensor.item()})
     * @throws IllegalArgumentException when {@link #numel()} is not 1
     */
    public double item() {
        if (numel() != 1) {
            throw new IllegalArgumentException("item: a Tensor with " + numel() + " elements cannot be converted to Scalar");
        }
        return storage.get(offset);
    }

    /**
     * The elements in row-major order as floats (a copy).
     *
     * @return a new array of {@link #numel()} floats (values converted from other dtypes)
     */
    public float[] toArray() {
        Tensor c = dtype == DType.FLOAT32 ? contiguousRaw() : toRaw(DType.FLOAT32);
        // an empty view may sit past its storage's end (narrowing an empty tensor moves the offset, as in
        // PyTorch), where copyOfRange would refuse the range
        return c.numel() == 0 ? new float[0] : Arrays.copyOfRange(c.storage.f, c.offset, c.offset + c.numel());
    }

    /**
     * The elements in row-major order as doubles (a copy).
     *
     * @return a new array of {@link #numel()} doubles
     */
    public double[] toDoubleArray() {
        Tensor c = dtype == DType.FLOAT64 ? contiguousRaw() : toRaw(DType.FLOAT64);
        return c.numel() == 0 ? new double[0] : Arrays.copyOfRange(c.storage.d, c.offset, c.offset + c.numel());
    }

    /**
     * The elements in row-major order as longs (a copy; floating values are truncated).
     *
     * @return a new array of {@link #numel()} longs
     */
    public long[] toLongArray() {
        Tensor c = dtype == DType.INT64 ? contiguousRaw() : toRaw(DType.INT64);
        return c.numel() == 0 ? new long[0] : Arrays.copyOfRange(c.storage.l, c.offset, c.offset + c.numel());
    }

    /**
     * The elements in row-major order as booleans (a copy): true where the element is nonzero (NaN included), as
     * {@code tensor.bool().tolist()}.
     *
     * @return a new array of {@link #numel()} booleans
     */
    public boolean[] toBooleanArray() {
        Tensor c = dtype == DType.BOOL ? contiguousRaw() : toRaw(DType.BOOL);
        boolean[] out = new boolean[c.numel()];
        for (int i = 0; i < out.length; i++) {
            out[i] = c.storage.l[c.offset + i] != 0;
        }
        return out;
    }

    /** This tensor if contiguous, else a contiguous copy, without recording. */
    Tensor contiguousRaw() {
        return isContiguous() ? this : copyDetached();
    }

    /** A contiguous copy converted to {@code target}, without recording. */
    Tensor toRaw(DType target) {
        Tensor out = empty(target, shape.clone());
        Strided.copy(storage, offset, shape, stride, out.storage, 0, out.stride);
        return out;
    }

    boolean hasNonFinite() {
        if (!dtype.isFloatingPoint()) {
            return false;
        }
        Tensor c = contiguousRaw();
        for (int i = 0, n = numel(); i < n; i++) {
            double v = c.storage.get(c.offset + i);
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ conversion and views

    /**
     * Converts to {@code target} (differentiable between float types); returns this when already that type.
     * To bool: nonzero (NaN included) is true; from bool: true is 1. To int64: truncated toward zero.
     *
     * @param target the element type wanted
     * @return this tensor when the dtype already matches, else a new contiguous converted tensor
     *     ({@code tensor.to(dtype)})
     */
    public Tensor to(DType target) {
        Args.nonNull("to", "dtype", target);
        return target == dtype ? this : ElementwiseOps.cast(this, target);
    }

    /**
     * {@code to(BOOL)}: true where the element is nonzero (NaN is nonzero), never differentiable.
     *
     * @return this tensor if bool, else a new bool mask ({@code tensor.bool()})
     */
    public Tensor toBool() {
        return to(DType.BOOL);
    }

    /**
     * {@code to(FLOAT64)}.
     *
     * @return this tensor if float64, else a new float64 copy ({@code tensor.double()})
     */
    public Tensor toDouble() {
        return to(DType.FLOAT64);
    }

    /**
     * {@code to(FLOAT32)}.
     *
     * @return this tensor if float32, else a new float32 copy ({@code tensor.float()})
     */
    public Tensor toFloat() {
        return to(DType.FLOAT32);
    }

    /**
     * A view with a new shape (one dim may be -1); fails when the strides do not allow it.
     *
     * @param newShape the new dims with the same element count; at most one -1, inferred
     * @return a view sharing this tensor's storage ({@code tensor.view(*shape)})
     * @throws IllegalArgumentException when the element counts differ or the strides cannot express the new shape
     */
    public Tensor view(int... newShape) {
        return ShapeOps.view(this, newShape, "view");
    }

    /**
     * Like {@link #view} but copies when a view is impossible.
     *
     * @param newShape the new dims with the same element count; at most one -1, inferred
     * @return a view when the strides allow one, else a contiguous copy ({@code tensor.reshape(*shape)})
     */
    public Tensor reshape(int... newShape) {
        return ShapeOps.reshape(this, newShape);
    }

    /**
     * Flattens dims {@code startDim..endDim} into one.
     *
     * @param startDim the first dim to merge (negative counts from the end)
     * @param endDim the last dim to merge, not before {@code startDim}
     * @return a tensor of rank {@code dim() - (endDim - startDim)} (a view when possible; a 0-d input
     *     gives {@code [1]})
     */
    public Tensor flatten(int startDim, int endDim) {
        return ShapeOps.flatten(this, startDim, endDim);
    }

    /**
     * Flattens everything into 1-D.
     *
     * @return a 1-D tensor of {@link #numel()} elements (a view when possible)
     */
    public Tensor flatten() {
        return flatten(0, -1);
    }

    /**
     * Swaps two dims (a view).
     *
     * @param dim0 one dim (negative counts from the end)
     * @param dim1 the other dim
     * @return a view with the sizes and strides of the two dims swapped ({@code tensor.transpose(dim0, dim1)})
     */
    public Tensor transpose(int dim0, int dim1) {
        return ShapeOps.transpose(this, dim0, dim1);
    }

    /**
     * Transpose of a ≤2-D tensor.
     *
     * @return this tensor for rank 0 or 1, else the transposed view
     * @throws IllegalArgumentException for rank above 2
     */
    public Tensor t() {
        if (shape.length > 2) {
            throw new IllegalArgumentException("t: expects a tensor with <= 2 dimensions, but self is " + shape.length + "D");
        }
        return shape.length < 2 ? this : transpose(0, 1);
    }

    /**
     * Reorders dims (a view).
     *
     * @param dims a permutation of {@code 0..dim()-1} (negative entries count from the end): output dim i
     *     is input dim {@code dims[i]}
     * @return a view with reordered dims
     * @throws IllegalArgumentException when {@code dims} is not a permutation of this tensor's dims
     */
    public Tensor permute(int... dims) {
        return ShapeOps.permute(this, dims);
    }

    /**
     * Elements {@code start .. start+length-1} along {@code dim} (a view).
     *
     * @param dim the dim to narrow (negative counts from the end)
     * @param start the first index kept, in {@code [-size, size]}
     * @param length the number of indices kept, ≥ 0, with {@code start + length <= size}
     * @return a view of the same rank ({@code tensor.narrow(dim, start, length)})
     * @throws IndexOutOfBoundsException when {@code start} is out of range
     * @throws IllegalArgumentException when the range runs past the end or {@code length} is negative
     */
    public Tensor narrow(int dim, int start, int length) {
        return ShapeOps.narrow(this, dim, start, length);
    }

    /**
     * Python-style slice {@code [start:end:step]} along {@code dim} (a view; bounds are clamped).
     *
     * @param dim the dim to slice (negative counts from the end)
     * @param start the first index (negative counts from the end; clamped into range)
     * @param end the exclusive end index (negative counts from the end; clamped)
     * @param step the stride of the slice, ≥ 1
     * @return a view of the same rank ({@code x[..., start:end:step]} along {@code dim})
     */
    public Tensor slice(int dim, int start, int end, int step) {
        return ShapeOps.sliceClamped(this, dim, start, end, step);
    }

    /**
     * Index {@code index} along {@code dim}, removing that dim (a view).
     *
     * @param dim the dim to index (negative counts from the end)
     * @param index the position, in {@code [-size, size)}
     * @return a view of rank {@code dim() - 1} ({@code x[..., index]} along {@code dim})
     * @throws IndexOutOfBoundsException when {@code index} is out of range
     */
    public Tensor select(int dim, int index) {
        return ShapeOps.select(this, dim, index);
    }

    /**
     * Removes all size-1 dims.
     *
     * @return a view without the size-1 dims ({@code tensor.squeeze()})
     */
    public Tensor squeeze() {
        return ShapeOps.squeeze(this, null);
    }

    /**
     * Removes {@code dim} if its size is 1.
     *
     * @param dim the dim to drop when its size is 1 (negative counts from the end)
     * @return a view without that dim, or with the same shape when its size is not 1
     */
    public Tensor squeeze(int dim) {
        return ShapeOps.squeeze(this, dim);
    }

    /**
     * Inserts a size-1 dim at {@code dim}.
     *
     * @param dim the position of the new dim, in {@code [-dim()-1, dim()]}
     * @return a view of rank {@code dim() + 1}
     */
    public Tensor unsqueeze(int dim) {
        return ShapeOps.unsqueeze(this, dim);
    }

    /**
     * Broadcasts size-1 dims to {@code sizes} (-1 keeps a dim) without copying.
     *
     * @param sizes the target dims (at least this rank; new leading dims allowed; -1 keeps a dim)
     * @return a view with stride 0 along the broadcast dims (in-place ops other than fill_ refuse to write into it)
     */
    public Tensor expand(int... sizes) {
        return ShapeOps.expand(this, sizes);
    }

    /**
     * This tensor if contiguous, else a contiguous copy (differentiable).
     *
     * @return this tensor, or a new contiguous copy recorded as {@code CloneBackward0}
     */
    public Tensor contiguous() {
        return isContiguous() ? this : ShapeOps.clone(this, "CloneBackward0");
    }

    /**
     * A contiguous copy (differentiable).
     *
     * @return a new contiguous tensor with the same values ({@code tensor.clone()}; gradient flows back unchanged)
     */
    public Tensor cloneTensor() {
        return ShapeOps.clone(this, "CloneBackward0");
    }

    // ------------------------------------------------------------------ elementwise

    /**
     * this + other (broadcast).
     *
     * @param other the addend, broadcast against this tensor. PyTorch's type promotion (bool &lt; int64 &lt; float32
     *     &lt; float64) gives the result dtype: two int64 (or int64 and bool) operands add exactly in int64, wrapping
     *     on overflow; an int64 or bool operand with a floating one is converted to the floating dtype, and the
     *     gradient flows to the floating operand only
     * @return a new tensor of the broadcast shape ({@code torch.add})
     * @throws IllegalArgumentException when the shapes do not broadcast
     */
    public Tensor add(Tensor other) {
        return ElementwiseOps.binary(BinaryOp.ADD, this, other);
    }

    /**
     * this + s.
     *
     * @param s the scalar, rounded to this dtype
     * @return a new tensor of this shape and dtype
     */
    public Tensor add(double s) {
        return ElementwiseOps.binaryScalar(BinaryOp.ADD, this, s);
    }

    /**
     * this + s with an integral scalar, as PyTorch treats a Python {@code int}: on an int64 or bool tensor the result
     * is int64, computed exactly (wrapping on overflow; {@code mask.mul(2)} is int64); on a floating tensor s is
     * converted once to its dtype and the result, dtype and gradient are those of {@link #add(double)}. Java picks
     * this overload for an {@code int} or {@code long} argument.
     *
     * @param s the scalar
     * @return a new tensor of this shape: int64 for an int64 or bool tensor, else this dtype
     */
    public Tensor add(long s) {
        return IntegerOps.scalar(BinaryOp.ADD, this, s);
    }

    /**
     * this - other (broadcast).
     *
     * @param other the subtrahend, broadcast against this tensor (dtype promotion as {@link #add(Tensor)})
     * @return a new tensor of the broadcast shape
     */
    public Tensor sub(Tensor other) {
        return ElementwiseOps.binary(BinaryOp.SUB, this, other);
    }

    /**
     * this - s.
     *
     * @param s the scalar, rounded to this dtype
     * @return a new tensor of this shape and dtype
     */
    public Tensor sub(double s) {
        return ElementwiseOps.binaryScalar(BinaryOp.SUB, this, s);
    }

    /**
     * this - s with an integral scalar, as PyTorch treats a Python {@code int}: on an int64 or bool tensor the result
     * is int64, computed exactly (wrapping on overflow; {@code mask.mul(2)} is int64); on a floating tensor s is
     * converted once to its dtype and the result, dtype and gradient are those of {@link #sub(double)}. Java picks
     * this overload for an {@code int} or {@code long} argument.
     *
     * @param s the scalar
     * @return a new tensor of this shape: int64 for an int64 or bool tensor, else this dtype
     */
    public Tensor sub(long s) {
        return IntegerOps.scalar(BinaryOp.SUB, this, s);
    }

    /**
     * this · other (broadcast).
     *
     * @param other the factor, broadcast against this tensor (dtype promotion as {@link #add(Tensor)})
     * @return a new tensor of the broadcast shape
     */
    public Tensor mul(Tensor other) {
        return ElementwiseOps.binary(BinaryOp.MUL, this, other);
    }

    /**
     * this · s.
     *
     * @param s the scalar, rounded to this dtype
     * @return a new tensor of this shape and dtype
     */
    public Tensor mul(double s) {
        return ElementwiseOps.binaryScalar(BinaryOp.MUL, this, s);
    }

    /**
     * this · s with an integral scalar, as PyTorch treats a Python {@code int}: on an int64 or bool tensor the result
     * is int64, computed exactly (wrapping on overflow; {@code mask.mul(2)} is int64); on a floating tensor s is
     * converted once to its dtype and the result, dtype and gradient are those of {@link #mul(double)}. Java picks
     * this overload for an {@code int} or {@code long} argument.
     *
     * @param s the scalar
     * @return a new tensor of this shape: int64 for an int64 or bool tensor, else this dtype
     */
    public Tensor mul(long s) {
        return IntegerOps.scalar(BinaryOp.MUL, this, s);
    }

    /**
     * this / other (broadcast, true division).
     *
     * @param other the divisor, broadcast against this tensor (dtype promotion as {@link #add(Tensor)});
     *     0 gives ±inf or NaN
     * @return a new tensor of the broadcast shape
     */
    public Tensor div(Tensor other) {
        return ElementwiseOps.binary(BinaryOp.DIV, this, other);
    }

    /**
     * this / s.
     *
     * @param s the scalar divisor, rounded to this dtype
     * @return a new tensor of this shape and dtype
     */
    public Tensor div(double s) {
        return ElementwiseOps.binaryScalar(BinaryOp.DIV, this, s);
    }

    /**
     * this / s with an integral scalar: true division, as {@code torch.div}. An int64 or bool tensor gives float32
     * (both operands converted to float32, s rounded once); a floating tensor behaves as {@link #div(double)}.
     *
     * @param s the scalar divisor; 0 gives ±inf or NaN
     * @return a new tensor of this shape: float32 for an int64 or bool tensor, else this dtype
     */
    public Tensor div(long s) {
        return IntegerOps.scalar(BinaryOp.DIV, this, s);
    }

    /**
     * Python's floor division ⌊this / other⌋ (broadcast), as {@code torch.floor_divide} (and {@code //}): rounded
     * toward −∞, so {@code -7 // 2 = -4}. Integers are exact ({@code Long.MIN_VALUE // -1} wraps to itself); floats
     * use PyTorch's formula (fmod, corrected toward −∞; a zero divisor gives ±inf or NaN). Not differentiable: as in
     * PyTorch 1.13, a backward pass through it fails ("derivative for aten::floor_divide is not implemented").
     *
     * @param other the divisor, broadcast against this tensor (dtype promotion as {@link #add(Tensor)}; two
     *     integer or bool operands give int64)
     * @return a new tensor of the broadcast shape
     * @throws IllegalArgumentException when an integer divisor is 0 (PyTorch's ZeroDivisionError) or the shapes do
     *     not broadcast
     */
    public Tensor floorDivide(Tensor other) {
        return IntegerOps.floorDivide(this, other, false);
    }

    /**
     * {@link #floorDivide(Tensor)} by an integral scalar (on a floating tensor, s converted to its dtype).
     *
     * @param s the divisor
     * @return a new tensor of this shape: int64 for an int64 or bool tensor, else this dtype
     * @throws IllegalArgumentException when s is 0 and this tensor is int64 or bool
     */
    public Tensor floorDivide(long s) {
        return IntegerOps.floorDivide(this, integralScalar(s), false, true);
    }

    /** An integral scalar operand: a 0-d int64 tensor, or of this dtype (rounded once) when this is floating. */
    private Tensor integralScalar(long s) {
        return dtype.isFloatingPoint() ? inPlaceScalar(s) : ofLongs(new long[] {s});
    }

    /**
     * Python's remainder (broadcast), as {@code torch.remainder} (and {@code %}): {@code this - ⌊this / other⌋ ·
     * other}, which has the sign of the divisor ({@code -7 % 2 = 1}, {@code 7 % -2 = -1}). Integers are exact;
     * floats use PyTorch's formula (fmod, plus the divisor when the signs differ; a zero divisor gives NaN) and are
     * differentiable: the gradient is g for this and −g·⌊this / other⌋ for other (node
     * {@code RemainderBackward1}).
     *
     * @param other the divisor, broadcast against this tensor (dtype promotion as {@link #add(Tensor)})
     * @return a new tensor of the broadcast shape
     * @throws IllegalArgumentException when an integer divisor is 0 (PyTorch's ZeroDivisionError) or the shapes do
     *     not broadcast
     */
    public Tensor remainder(Tensor other) {
        return IntegerOps.floorDivide(this, other, true);
    }

    /**
     * {@link #remainder(Tensor)} by an integral scalar (on a floating tensor, s converted to its dtype).
     *
     * @param s the divisor
     * @return a new tensor of this shape: int64 for an int64 or bool tensor, else this dtype
     * @throws IllegalArgumentException when s is 0 and this tensor is int64 or bool
     */
    public Tensor remainder(long s) {
        return IntegerOps.floorDivide(this, integralScalar(s), true, true);
    }

    /**
     * this ^ other (broadcast).
     *
     * @param exponent the exponents, broadcast against this tensor (dtype promotion as {@link #add(Tensor)})
     * @return a new tensor of the broadcast shape ({@code torch.pow})
     */
    public Tensor pow(Tensor exponent) {
        return ElementwiseOps.binary(BinaryOp.POW, this, exponent);
    }

    /**
     * this ^ e.
     *
     * @param e the exponent (PyTorch's Python float: an int64 or bool tensor is raised in float32)
     * @return a new tensor of this shape; this dtype, or float32 for an int64 or bool tensor
     */
    public Tensor pow(double e) {
        return ElementwiseOps.unary(UnaryOp.POW_SCALAR, this, e);
    }

    /**
     * this ^ e with an integral exponent, as PyTorch's {@code x.pow(2)} with a Python int: on a floating tensor the
     * same as {@link #pow(double)} (values and gradient); on an int64 or bool tensor exact int64 arithmetic by
     * repeated squaring, wrapping on overflow. Java picks this overload for an {@code int} or {@code long}
     * argument.
     *
     * @param e the exponent
     * @return a new tensor of this shape: int64 for an int64 or bool tensor, else this dtype
     * @throws IllegalArgumentException for a negative exponent on an int64 or bool tensor ("Integers to negative
     *     integer powers are not allowed.")
     */
    public Tensor pow(long e) {
        return IntegerOps.pow(this, e);
    }

    /**
     * Elementwise maximum (broadcast; NaN propagates; ties split the gradient).
     *
     * @param other the other operand, broadcast against this tensor
     * @return a new tensor of the broadcast shape ({@code torch.maximum})
     */
    public Tensor maximum(Tensor other) {
        return ElementwiseOps.binary(BinaryOp.MAX, this, other);
    }

    /**
     * Elementwise minimum (broadcast; NaN propagates; ties split the gradient).
     *
     * @param other the other operand, broadcast against this tensor
     * @return a new tensor of the broadcast shape ({@code torch.minimum})
     */
    public Tensor minimum(Tensor other) {
        return ElementwiseOps.binary(BinaryOp.MIN, this, other);
    }

    /**
     * True where this &gt; other (not differentiable), as {@code torch.gt}. The operands are compared in their
     * promoted dtype (bool &lt; int64 &lt; floating; int64 and bool exactly); NaN compares false except for
     * {@code ne} (docs/SEMANTICS.md §17).
     *
     * @param other the right operand, broadcast against this tensor, of any dtype
     * @return a new bool mask of the broadcast shape, with no history
     */
    public Tensor gt(Tensor other) {
        return ElementwiseOps.binary(BinaryOp.GT, this, other);
    }

    /**
     * True where this &gt; s.
     *
     * @param s the scalar (compared exactly with an int64 or bool tensor; in this dtype for a floating one)
     * @return a new bool mask of this shape, with no history
     */
    public Tensor gt(double s) {
        return ElementwiseOps.binaryScalar(BinaryOp.GT, this, s);
    }

    /**
     * True where this &gt; s, for an integral scalar (PyTorch's Python int): exact against an int64 or bool tensor at
     * every magnitude (a {@code long} above 2<sup>53</sup> is not rounded through double); against a floating
     * tensor s is converted once to its dtype, as {@link #gt(double)} would compare. Java picks this overload for
     * {@code int} and {@code long} arguments.
     *
     * @param s the scalar
     * @return a new bool mask of this shape, with no history
     */
    public Tensor gt(long s) {
        return IntegerOps.compare(BinaryOp.GT, this, s);
    }

    /**
     * True where this &lt; other.
     *
     * @param other the right operand, broadcast (dtype rules as {@link #gt(Tensor)})
     * @return a new bool mask of the broadcast shape
     */
    public Tensor lt(Tensor other) {
        return ElementwiseOps.binary(BinaryOp.LT, this, other);
    }

    /**
     * True where this &lt; s.
     *
     * @param s the scalar (compared as in {@link #gt(double)})
     * @return a new bool mask of this shape
     */
    public Tensor lt(double s) {
        return ElementwiseOps.binaryScalar(BinaryOp.LT, this, s);
    }

    /**
     * True where this &lt; s, for an integral scalar (PyTorch's Python int): exact against an int64 or bool tensor at
     * every magnitude (a {@code long} above 2<sup>53</sup> is not rounded through double); against a floating
     * tensor s is converted once to its dtype, as {@link #lt(double)} would compare. Java picks this overload for
     * {@code int} and {@code long} arguments.
     *
     * @param s the scalar
     * @return a new bool mask of this shape, with no history
     */
    public Tensor lt(long s) {
        return IntegerOps.compare(BinaryOp.LT, this, s);
    }

    /**
     * True where this ≥ other.
     *
     * @param other the right operand, broadcast (dtype rules as {@link #gt(Tensor)})
     * @return a new bool mask of the broadcast shape
     */
    public Tensor ge(Tensor other) {
        return ElementwiseOps.binary(BinaryOp.GE, this, other);
    }

    /**
     * True where this ≤ other.
     *
     * @param other the right operand, broadcast (dtype rules as {@link #gt(Tensor)})
     * @return a new bool mask of the broadcast shape
     */
    public Tensor le(Tensor other) {
        return ElementwiseOps.binary(BinaryOp.LE, this, other);
    }

    /**
     * True where this == other.
     *
     * @param other the right operand, broadcast (dtype rules as {@link #gt(Tensor)}); NaN equals nothing
     * @return a new bool mask of the broadcast shape
     */
    public Tensor eq(Tensor other) {
        return ElementwiseOps.binary(BinaryOp.EQ, this, other);
    }

    /**
     * True where this == s.
     *
     * @param s the scalar (compared as in {@link #gt(double)})
     * @return a new bool mask of this shape
     */
    public Tensor eq(double s) {
        return ElementwiseOps.binaryScalar(BinaryOp.EQ, this, s);
    }

    /**
     * True where this = s, for an integral scalar (PyTorch's Python int): exact against an int64 or bool tensor at
     * every magnitude (a {@code long} above 2<sup>53</sup> is not rounded through double); against a floating
     * tensor s is converted once to its dtype, as {@link #eq(double)} would compare. Java picks this overload for
     * {@code int} and {@code long} arguments.
     *
     * @param s the scalar
     * @return a new bool mask of this shape, with no history
     */
    public Tensor eq(long s) {
        return IntegerOps.compare(BinaryOp.EQ, this, s);
    }

    /**
     * True where this != other.
     *
     * @param other the right operand, broadcast (dtype rules as {@link #gt(Tensor)})
     * @return a new bool mask of the broadcast shape
     */
    public Tensor ne(Tensor other) {
        return ElementwiseOps.binary(BinaryOp.NE, this, other);
    }

    // ------------------------------------------------------------------ issue 17: masks, integer ranges, math

    /**
     * True where this ≥ s (compared as in {@link #gt(double)}).
     *
     * @param s the scalar
     * @return a new bool mask of this shape
     */
    public Tensor ge(double s) {
        return ElementwiseOps.binaryScalar(BinaryOp.GE, this, s);
    }

    /**
     * True where this ≥ s, for an integral scalar (PyTorch's Python int): exact against an int64 or bool tensor at
     * every magnitude (a {@code long} above 2<sup>53</sup> is not rounded through double); against a floating
     * tensor s is converted once to its dtype, as {@link #ge(double)} would compare. Java picks this overload for
     * {@code int} and {@code long} arguments.
     *
     * @param s the scalar
     * @return a new bool mask of this shape, with no history
     */
    public Tensor ge(long s) {
        return IntegerOps.compare(BinaryOp.GE, this, s);
    }

    /**
     * True where this ≤ s (compared as in {@link #gt(double)}).
     *
     * @param s the scalar
     * @return a new bool mask of this shape
     */
    public Tensor le(double s) {
        return ElementwiseOps.binaryScalar(BinaryOp.LE, this, s);
    }

    /**
     * True where this ≤ s, for an integral scalar (PyTorch's Python int): exact against an int64 or bool tensor at
     * every magnitude (a {@code long} above 2<sup>53</sup> is not rounded through double); against a floating
     * tensor s is converted once to its dtype, as {@link #le(double)} would compare. Java picks this overload for
     * {@code int} and {@code long} arguments.
     *
     * @param s the scalar
     * @return a new bool mask of this shape, with no history
     */
    public Tensor le(long s) {
        return IntegerOps.compare(BinaryOp.LE, this, s);
    }

    /**
     * True where this != s (compared as in {@link #gt(double)}; NaN differs from everything).
     *
     * @param s the scalar
     * @return a new bool mask of this shape
     */
    public Tensor ne(double s) {
        return ElementwiseOps.binaryScalar(BinaryOp.NE, this, s);
    }

    /**
     * True where this ≠ s, for an integral scalar (PyTorch's Python int): exact against an int64 or bool tensor at
     * every magnitude (a {@code long} above 2<sup>53</sup> is not rounded through double); against a floating
     * tensor s is converted once to its dtype, as {@link #ne(double)} would compare. Java picks this overload for
     * {@code int} and {@code long} arguments.
     *
     * @param s the scalar
     * @return a new bool mask of this shape, with no history
     */
    public Tensor ne(long s) {
        return IntegerOps.compare(BinaryOp.NE, this, s);
    }

    /**
     * {@code condition ? a : b} with a scalar b, taken in a's dtype (PyTorch's where(cond, tensor, scalar)); a
     * bool {@code a} gives float32, as PyTorch does with a Python float.
     *
     * @param condition the bool mask, broadcast with {@code a}
     * @param a the values where the condition holds
     * @param b the value elsewhere
     * @return a new tensor of the broadcast shape and a's dtype (float32 for a bool {@code a})
     * @throws IllegalArgumentException when the condition is not bool (PyTorch's text)
     */
    public static Tensor where(Tensor condition, Tensor a, double b) {
        Args.nonNull("where", "input", a);
        return ElementwiseOps.where(condition, a, scalar(a.dtype == DType.BOOL ? DType.FLOAT32 : a.dtype, b));
    }

    /**
     * {@code condition ? a : b} with a scalar a, taken in b's dtype (float32 for a bool {@code b}).
     *
     * @param condition the bool mask, broadcast with {@code b}
     * @param a the value where the condition holds
     * @param b the values elsewhere
     * @return a new tensor of the broadcast shape and b's dtype (float32 for a bool {@code b})
     * @throws IllegalArgumentException when the condition is not bool (PyTorch's text)
     */
    public static Tensor where(Tensor condition, double a, Tensor b) {
        Args.nonNull("where", "other", b);
        return ElementwiseOps.where(condition, scalar(b.dtype == DType.BOOL ? DType.FLOAT32 : b.dtype, a), b);
    }

    /**
     * {@code condition ? a : b} for two scalars: float32 of the condition's (broadcast) shape.
     *
     * @param condition the bool mask
     * @throws IllegalArgumentException when the condition is not bool (PyTorch's text)
     * @param a the value where the condition holds
     * @param b the value elsewhere
     * @return a new float32 tensor of the condition's shape
     */
    public static Tensor where(Tensor condition, double a, double b) {
        return ElementwiseOps.where(condition, scalar(a), scalar(b));
    }

    /**
     * The elements where the bool {@code mask} is true, as {@code torch.masked_select(x, mask)} and {@code x[mask]}:
     * x and the mask broadcast together, and the result is 1-D, in row-major order of the broadcast shape, of x's
     * dtype (empty when no element is selected). The gradient g of the result goes back to the selected positions,
     * zero elsewhere, summed over the dims along which x was broadcast (node {@code MaskedSelectBackward0}, which
     * saves x and the mask).
     *
     * @param mask a bool tensor, broadcastable with this tensor
     * @return a new 1-D tensor holding the selected elements
     * @throws IllegalArgumentException when the mask is not bool ("expected BoolTensor or ByteTensor for mask") or
     *     the shapes do not broadcast
     */
    public Tensor maskedSelect(Tensor mask) {
        return IndexOps.maskedSelect(this, mask);
    }

    /**
     * {@code x[mask]} with a bool mask over this tensor's leading k dims ({@code mask.shape == x.shape[:k]}): the
     * sub-tensors where the mask is true, stacked in row-major order, shape {@code (count, x.shape[k:]…)}, e.g. the
     * rows of a (N, D) batch where a (N,) mask holds. A 0-d mask adds a leading dim of size 1 (true) or 0 (false).
     * With a mask of this tensor's full shape it equals {@link #maskedSelect}. The gradient goes back to the
     * selected sub-tensors, zero elsewhere (composed from reshape, nonzero and indexSelect; PyTorch's node is
     * {@code IndexBackward0}).
     *
     * @param mask a bool tensor whose shape is a prefix of this tensor's
     * @return a new tensor of the selected sub-tensors
     * @throws IllegalArgumentException when the mask is not bool, has more dims than this tensor ("too many
     *     indices for tensor of dimension d"), or a size differs ("The shape of the mask [3] at index 0 does not
     *     match the shape of the indexed tensor [4, 2] at index 0")
     */
    public Tensor index(Tensor mask) {
        return IndexOps.maskIndex(this, mask);
    }

    /**
     * {@code torch.masked_scatter}: this tensor, broadcast with the bool {@code mask}, with the positions where the
     * mask is true (row-major) replaced by source's first elements in row-major order. The gradient is g with
     * zeros at those positions for this tensor (summed over broadcast dims), and g's elements at those positions,
     * in order and padded with zeros, for source (node {@code MaskedScatterBackward0}, saving the mask).
     *
     * @param mask a bool tensor, broadcastable with this tensor
     * @param source values of this dtype, with at least as many elements as the mask has true ones
     * @return a new tensor of the broadcast shape
     * @throws IllegalArgumentException when the mask is not bool, the dtypes differ, the shapes do not broadcast,
     *     or source is too small ("Number of elements of source &lt; number of ones in mask")
     */
    public Tensor maskedScatter(Tensor mask, Tensor source) {
        return IndexOps.maskedScatter(this, mask, source);
    }

    /**
     * The indices of the nonzero elements ({@code torch.nonzero}): one row per nonzero element, in row-major order,
     * holding its index along each dim. NaN counts as nonzero, −0.0 as zero; a bool tensor's true elements are its
     * nonzero ones. Not differentiable.
     *
     * @return a new int64 tensor of shape [n, rank] (a 0-d tensor gives [1, 0] or [0, 0])
     */
    public Tensor nonzero() {
        return IndexOps.nonzero(this);
    }

    /**
     * This tensor with {@code value} where the bool {@code mask} is true (the mask broadcasts to this shape); the
     * gradient is g with zeros at the filled positions. PyTorch's {@code masked_fill}; docs/SEMANTICS.md §17.
     *
     * @param mask the positions to fill, a bool tensor broadcastable to this shape
     * @param value the fill value (integral for an int64 tensor; nonzero is true for a bool tensor)
     * @return a new tensor of this shape and dtype
     * @throws IllegalArgumentException when the mask is not bool ("masked_fill_ only supports boolean masks, …")
     *     or does not broadcast to this shape
     */
    public Tensor maskedFill(Tensor mask, double value) {
        return ElementwiseOps.maskedFill(this, mask, value);
    }

    /**
     * {@link #maskedFill} in place.
     *
     * @param mask the positions to fill, a bool tensor broadcastable to this shape
     * @param value the fill value
     * @return this tensor, modified in place (version bumped)
     */
    public Tensor maskedFill_(Tensor mask, double value) {
        Args.nonNull("masked_fill_", "mask", mask);
        checkInPlace("masked_fill_");
        if (gradFn != null && Grad.isEnabled()) {
            if (gradFn instanceof ShapeOps.ViewNode) {
                throw new IllegalStateException("masked_fill_: in-place modification of a view of a tensor that "
                        + "requires grad is not supported; use the out-of-place op, or clone() first");
            }
            Tensor r = cloneTensor().maskedFill(mask, value);
            Strided.copy(r.storage, r.offset, shape, r.stride, storage, offset, stride);
            storage.version++;
            rebaseHistory(r.gradFn());
            return this;
        }
        Tensor c = detach().maskedFill(mask, value);
        Strided.copy(c.storage, c.offset, shape, c.stride, storage, offset, stride);
        storage.version++;
        return this;
    }

    /**
     * Lower triangle of the last two dims: (i, j) kept where j − i ≤ k, else 0; gradient tril(g, k).
     *
     * @param k the diagonal offset: 0 the main diagonal, positive above it, negative below
     * @return a new tensor of this shape (rank ≥ 2), {@code torch.tril(x, k)}
     */
    public Tensor tril(int k) {
        return ElementwiseOps.triangle(this, k, true);
    }

    /**
     * {@code tril(0)}.
     *
     * @return a new tensor of this shape with the strict upper triangle zeroed
     */
    public Tensor tril() {
        return tril(0);
    }

    /**
     * Upper triangle of the last two dims: (i, j) kept where j − i ≥ k, else 0; gradient triu(g, k).
     *
     * @param k the diagonal offset: 0 the main diagonal, positive above it, negative below
     * @return a new tensor of this shape (rank ≥ 2), {@code torch.triu(x, k)}
     */
    public Tensor triu(int k) {
        return ElementwiseOps.triangle(this, k, false);
    }

    /**
     * {@code triu(0)}.
     *
     * @return a new tensor of this shape with the strict lower triangle zeroed
     */
    public Tensor triu() {
        return triu(0);
    }

    /**
     * {@code [0, 1, …, end-1]} as int64 (exact); {@code Tensor.arange(5)} with an int literal lands here.
     *
     * @param end the exclusive upper bound, ≥ 0
     * @return a new 1-D int64 tensor of {@code end} elements
     */
    public static Tensor arange(long end) {
        return arange(0L, end, 1L);
    }

    /**
     * int64 values {@code start, start+step, …} below {@code end} (above, for a negative step), exact.
     *
     * @param start the first value
     * @param end the exclusive bound
     * @param step the nonzero increment; its sign must agree with {@code end - start}
     * @return a new 1-D int64 tensor of {@code ceil(|end - start| / |step|)} elements
     * @throws IllegalArgumentException for a zero or wrong-signed step, or too many elements
     */
    public static Tensor arange(long start, long end, long step) {
        if (step == 0) {
            throw new IllegalArgumentException("arange: step must be nonzero, got " + step);
        }
        if (end != start && (end > start) != (step > 0)) {
            throw new IllegalArgumentException("arange: upper bound and larger bound inconsistent with step sign"
                    + " (start=" + start + ", end=" + end + ", step=" + step + ")");
        }
        java.math.BigInteger span = java.math.BigInteger.valueOf(end).subtract(java.math.BigInteger.valueOf(start)).abs();
        java.math.BigInteger st = java.math.BigInteger.valueOf(step).abs();
        java.math.BigInteger[] qr = span.divideAndRemainder(st);
        java.math.BigInteger count = qr[1].signum() == 0 ? qr[0] : qr[0].add(java.math.BigInteger.ONE);
        if (count.compareTo(java.math.BigInteger.valueOf(Sizes.MAX_NUMEL)) > 0) {
            throw new IllegalArgumentException("arange: the range " + start + " -> " + end + " with step " + step
                    + " has " + count + " elements, more than the maximum " + Sizes.MAX_NUMEL
                    + " one Java array can hold");
        }
        int n = count.intValue();
        long[] d = new long[n];
        for (int i = 0; i < n; i++) {
            d[i] = start + i * step;
        }
        return contiguous(Storage.of(d), DType.INT64, new int[] {n});
    }

    /**
     * sin x.
     *
     * @return a new tensor of this shape and (floating) dtype
     */
    public Tensor sin() {
        return ElementwiseOps.unary(UnaryOp.SIN, this, 0);
    }

    /**
     * cos x.
     *
     * @return a new tensor of this shape and (floating) dtype
     */
    public Tensor cos() {
        return ElementwiseOps.unary(UnaryOp.COS, this, 0);
    }

    /**
     * The error function erf x.
     *
     * @return a new tensor of this shape and (floating) dtype
     */
    public Tensor erf() {
        return ElementwiseOps.unary(UnaryOp.ERF, this, 0);
    }

    /**
     * log(1 + x), accurate near 0.
     *
     * @return a new tensor of this shape and (floating) dtype; -1 gives -inf, below -1 NaN
     */
    public Tensor log1p() {
        return ElementwiseOps.unary(UnaryOp.LOG1P, this, 0);
    }

    /**
     * e^x − 1, accurate near 0.
     *
     * @return a new tensor of this shape and (floating) dtype
     */
    public Tensor expm1() {
        return ElementwiseOps.unary(UnaryOp.EXPM1, this, 0);
    }

    /**
     * 1/√x.
     *
     * @return a new tensor of this shape and (floating) dtype; 0 gives +inf, negatives NaN
     */
    public Tensor rsqrt() {
        return ElementwiseOps.unary(UnaryOp.RSQRT, this, 0);
    }

    /**
     * Standard deviation of all elements with Bessel's correction (PyTorch's {@code std()}).
     *
     * @return a new 0-d tensor of this (floating) dtype
     */
    public Tensor std() {
        return ReduceOps.std(this, null, 1, false);
    }

    /**
     * √var over {@code dims} with {@code correction} (1 = unbiased, 0 = biased); null dims means all.
     *
     * @param dims the dims to reduce (negative count from the end), or null for all
     * @param correction subtracted from the reduced element count in the divisor (PyTorch's {@code correction})
     * @param keepdim whether the reduced dims stay as size 1
     * @return a new tensor of this (floating) dtype
     */
    public Tensor std(int[] dims, int correction, boolean keepdim) {
        return ReduceOps.std(this, dims, correction, keepdim);
    }

    /**
     * PyTorch's {@code std(dim, unbiased, keepdim)}: correction 1 when unbiased, else 0.
     *
     * @param dim the dim to reduce (negative counts from the end)
     * @param unbiased whether to divide by n − 1 (else n)
     * @param keepdim whether the reduced dim stays as size 1
     * @return a new tensor of this (floating) dtype
     */
    public Tensor std(int dim, boolean unbiased, boolean keepdim) {
        return ReduceOps.std(this, new int[] {dim}, unbiased ? 1 : 0, keepdim);
    }

    /**
     * −this.
     *
     * @return a new tensor of this shape and dtype
     */
    public Tensor neg() {
        return ElementwiseOps.unary(UnaryOp.NEG, this, 0);
    }

    /**
     * e^this.
     *
     * @return a new tensor of this shape and (floating) dtype
     */
    public Tensor exp() {
        return ElementwiseOps.unary(UnaryOp.EXP, this, 0);
    }

    /**
     * Natural log.
     *
     * @return a new tensor of this shape and (floating) dtype; 0 gives -inf, negatives NaN
     */
    public Tensor log() {
        return ElementwiseOps.unary(UnaryOp.LOG, this, 0);
    }

    /**
     * Square root.
     *
     * @return a new tensor of this shape and (floating) dtype; negatives give NaN
     */
    public Tensor sqrt() {
        return ElementwiseOps.unary(UnaryOp.SQRT, this, 0);
    }

    /**
     * 1/this.
     *
     * @return a new tensor of this shape and (floating) dtype; 0 gives ±inf
     */
    public Tensor reciprocal() {
        return ElementwiseOps.unary(UnaryOp.RECIPROCAL, this, 0);
    }

    /**
     * The sign of each element, as {@code torch.sign}: 1, −1, or 0 for ±0 and NaN (PyTorch's (0 &lt; x) − (x &lt; 0));
     * int64 stays int64 and bool stays bool. Its gradient is zero (node {@code SignBackward0}).
     *
     * @return a new tensor of this shape and dtype
     */
    public Tensor sign() {
        return ElementwiseOps.sign(this);
    }

    /**
     * |this| (gradient sign(x), 0 at 0).
     *
     * @return a new tensor of this shape and dtype
     */
    public Tensor abs() {
        return ElementwiseOps.unary(UnaryOp.ABS, this, 0);
    }

    /**
     * tanh.
     *
     * @return a new tensor of this shape and (floating) dtype
     */
    public Tensor tanh() {
        return ElementwiseOps.unary(UnaryOp.TANH, this, 0);
    }

    /**
     * σ(x) = 1/(1+e^-x).
     *
     * @return a new tensor of this shape and (floating) dtype
     */
    public Tensor sigmoid() {
        return ElementwiseOps.unary(UnaryOp.SIGMOID, this, 0);
    }

    /**
     * max(x, 0).
     *
     * @return a new tensor of this shape and dtype ({@code torch.relu})
     */
    public Tensor relu() {
        return ElementwiseOps.unary(UnaryOp.RELU, this, 0);
    }

    /**
     * x for x &gt; 0 else slope·x.
     *
     * @param negativeSlope the factor applied to negative inputs (PyTorch's default is 0.01); not NaN
     * @return a new tensor of this shape and dtype ({@code F.leaky_relu})
     */
    public Tensor leakyRelu(double negativeSlope) {
        if (Double.isNaN(negativeSlope)) {
            throw new IllegalArgumentException("leaky_relu: negative_slope must not be NaN");
        }
        return ElementwiseOps.unary(UnaryOp.LEAKY_RELU, this, negativeSlope);
    }

    /**
     * Exact GELU, x·Φ(x).
     *
     * @return a new tensor of this shape and dtype ({@code F.gelu})
     */
    public Tensor gelu() {
        return ElementwiseOps.unary(UnaryOp.GELU, this, 0);
    }

    /**
     * GELU with PyTorch's {@code approximate} argument: {@code "none"} (exact) or {@code "tanh"}.
     *
     * @param approximate {@code "none"} or {@code "tanh"}
     * @return a new tensor of this shape and dtype
     * @throws IllegalArgumentException for any other {@code approximate}
     */
    public Tensor gelu(String approximate) {
        Args.nonNull("gelu", "approximate", approximate);
        return switch (approximate) {
            case "none" -> gelu();
            case "tanh" -> ElementwiseOps.unary(UnaryOp.GELU_TANH, this, 0);
            default -> throw new IllegalArgumentException("gelu: approximate argument must be either none or tanh, got "
                    + approximate);
        };
    }

    /**
     * SiLU, x·σ(x).
     *
     * @return a new tensor of this shape and dtype ({@code F.silu})
     */
    public Tensor silu() {
        return ElementwiseOps.unary(UnaryOp.SILU, this, 0);
    }

    /**
     * log(1+e^x) with PyTorch's threshold 20.
     *
     * @return a new tensor of this shape and dtype ({@code F.softplus} with beta 1, threshold 20)
     */
    public Tensor softplus() {
        return ElementwiseOps.unary(UnaryOp.SOFTPLUS, this, 0);
    }

    /**
     * softplus(x) = log(1 + e^(βx))/β, reverting to x where βx &gt; threshold (PyTorch's
     * {@code softplus(beta, threshold)}).
     *
     * @param beta the sharpness, finite and nonzero
     * @param threshold above which βx the result is x itself; not NaN
     * @return a new tensor of this shape and dtype
     */
    public Tensor softplus(double beta, double threshold) {
        if (!Double.isFinite(beta) || beta == 0) {
            throw new IllegalArgumentException("softplus: beta must be finite and nonzero, got " + beta);
        }
        if (Double.isNaN(threshold)) {
            throw new IllegalArgumentException("softplus: threshold must not be NaN");
        }
        if (beta == 1 && threshold == 20) {
            return softplus();
        }
        Tensor bx = mul(beta);
        Tensor y = where(bx.gt(threshold), this, ElementwiseOps.unary(UnaryOp.SOFTPLUS_FULL, bx, 0).div(beta));
        return Autograd.composite("SoftplusBackward0", y, this);
    }

    /**
     * Clamps into [min, max] with integral bounds, as {@code torch.clamp} with Python ints: min(max(x, min), max)
     * (so max wins when min &gt; max). A floating tensor behaves as {@link #clamp(double, double)}; an int64 or
     * bool tensor gives exact int64. Java picks this overload for {@code int} or {@code long} arguments.
     *
     * @param min the lower bound
     * @param max the upper bound
     * @return a new tensor of this shape: int64 for an int64 or bool tensor, else this dtype
     */
    public Tensor clamp(long min, long max) {
        return dtype.isFloatingPoint() ? clamp((double) min, (double) max) : IntegerOps.clamp(this, min, max);
    }

    /**
     * Clamps into [min, max] (NaN bounds mean "no bound"); gradient passes where min ≤ x ≤ max.
     *
     * @param min the lower bound, or NaN for none
     * @param max the upper bound, or NaN for none
     * @return a new tensor of this shape and dtype ({@code torch.clamp}); float32 for an int64 or bool tensor, as
     *     with Python float bounds
     */
    public Tensor clamp(double min, double max) {
        return ElementwiseOps.clamp(this, min, max);
    }

    /**
     * {@code condition ? a : b} elementwise, broadcasting all three; the condition must be bool.
     *
     * @param condition the bool mask
     * @param a the values where the condition holds
     * @param b the values elsewhere; the result dtype is PyTorch's promotion of a's and b's (float32 with float64
     *     is float64, a floating dtype beats int64 and bool, int64 beats bool)
     * @return a new tensor of the three operands' broadcast shape ({@code torch.where}); gradients flow to a and b
     *     when the result is floating
     * @throws IllegalArgumentException when the condition is not bool ("where expected condition to be a boolean
     *     tensor, but got a tensor with dtype Float")
     */
    public static Tensor where(Tensor condition, Tensor a, Tensor b) {
        return ElementwiseOps.where(condition, a, b);
    }

    // ------------------------------------------------------------------ logical ops (bool masks)

    /**
     * True where this element is zero ({@code torch.logical_not}; {@code ~mask} for a bool mask). Any dtype; NaN
     * counts as nonzero. Never differentiable.
     *
     * @return a new bool tensor of this shape
     */
    public Tensor logicalNot() {
        return ElementwiseOps.logicalNot(this);
    }

    /**
     * (this ≠ 0) and (other ≠ 0), broadcast ({@code torch.logical_and}; {@code a & b} for bool masks).
     *
     * @param other the right operand, of any dtype
     * @return a new bool tensor of the broadcast shape
     */
    public Tensor logicalAnd(Tensor other) {
        return ElementwiseOps.logical(ElementwiseOps.Logical.AND, this, other);
    }

    /**
     * (this ≠ 0) or (other ≠ 0), broadcast ({@code torch.logical_or}; {@code a | b} for bool masks).
     *
     * @param other the right operand, of any dtype
     * @return a new bool tensor of the broadcast shape
     */
    public Tensor logicalOr(Tensor other) {
        return ElementwiseOps.logical(ElementwiseOps.Logical.OR, this, other);
    }

    /**
     * (this ≠ 0) xor (other ≠ 0), broadcast ({@code torch.logical_xor}; {@code a ^ b} for bool masks).
     *
     * @param other the right operand, of any dtype
     * @return a new bool tensor of the broadcast shape
     */
    public Tensor logicalXor(Tensor other) {
        return ElementwiseOps.logical(ElementwiseOps.Logical.XOR, this, other);
    }

    /**
     * Whether any element is nonzero ({@code torch.any}); false for an empty tensor.
     *
     * @return a new 0-d bool tensor
     */
    public Tensor any() {
        return ReduceOps.anyAll(this, true);
    }

    /**
     * Whether every element is nonzero ({@code torch.all}); true for an empty tensor.
     *
     * @return a new 0-d bool tensor
     */
    public Tensor all() {
        return ReduceOps.anyAll(this, false);
    }

    /**
     * Whether any element along {@code dim} is nonzero ({@code torch.any(x, dim, keepdim)}); false along an empty
     * dim.
     *
     * @param dim the dim to reduce (negative counts from the end)
     * @param keepdim whether to keep {@code dim} with size 1
     * @return a new bool tensor of the reduced shape
     */
    public Tensor any(int dim, boolean keepdim) {
        return ReduceOps.anyAll(this, dim, keepdim, true);
    }

    /**
     * Whether every element along {@code dim} is nonzero ({@code torch.all(x, dim, keepdim)}); true along an empty
     * dim.
     *
     * @param dim the dim to reduce (negative counts from the end)
     * @param keepdim whether to keep {@code dim} with size 1
     * @return a new bool tensor of the reduced shape
     */
    public Tensor all(int dim, boolean keepdim) {
        return ReduceOps.anyAll(this, dim, keepdim, false);
    }

    // ------------------------------------------------------------------ reductions

    /**
     * Sum of all elements (0-d); an int64 or bool tensor (a mask, say) sums exactly to int64, as in PyTorch.
     *
     * @return a new 0-d tensor of this dtype
     */
    public Tensor sum() {
        return ReduceOps.sum(this, null, false);
    }

    /**
     * Sum over {@code dims}.
     *
     * @param dims the dims to reduce (negative count from the end, no repeats), or null for all
     * @param keepdim whether the reduced dims stay as size 1
     * @return a new tensor of this dtype ({@code tensor.sum(dims, keepdim)})
     */
    public Tensor sum(int[] dims, boolean keepdim) {
        return ReduceOps.sum(this, dims, keepdim);
    }

    /**
     * Sum over one dim.
     *
     * @param dim the dim to reduce (negative counts from the end)
     * @return a new tensor of rank {@code dim() - 1} (0-d stays 0-d)
     */
    public Tensor sum(int dim) {
        return ReduceOps.sum(this, new int[] {dim}, false);
    }

    /**
     * Mean of all elements; an int64 tensor is refused, as PyTorch refuses it (convert with {@link #toFloat()}).
     *
     * @return a new 0-d tensor of this (floating) dtype; NaN for an empty tensor
     */
    public Tensor mean() {
        return ReduceOps.mean(this, null, false);
    }

    /**
     * Mean over {@code dims}.
     *
     * @param dims the dims to reduce (negative count from the end, no repeats), or null for all
     * @param keepdim whether the reduced dims stay as size 1
     * @return a new tensor of this (floating) dtype
     */
    public Tensor mean(int[] dims, boolean keepdim) {
        return ReduceOps.mean(this, dims, keepdim);
    }

    /**
     * Mean over one dim.
     *
     * @param dim the dim to reduce (negative counts from the end)
     * @return a new tensor of rank {@code dim() - 1}
     */
    public Tensor mean(int dim) {
        return ReduceOps.mean(this, new int[] {dim}, false);
    }

    /**
     * Unbiased variance of all elements.
     *
     * @return a new 0-d tensor of this (floating) dtype
     */
    public Tensor var() {
        return ReduceOps.var(this, null, 1, false);
    }

    /**
     * Variance over {@code dims} with {@code correction} (1 = unbiased, 0 = biased).
     *
     * @param dims the dims to reduce, or null for all
     * @param correction subtracted from the reduced element count in the divisor
     * @param keepdim whether the reduced dims stay as size 1
     * @return a new tensor of this (floating) dtype ({@code torch.var(x, dims, correction=c, keepdim=k)})
     */
    public Tensor var(int[] dims, int correction, boolean keepdim) {
        return ReduceOps.var(this, dims, correction, keepdim);
    }

    /**
     * Maximum of all elements (gradient split evenly among ties).
     *
     * @return a new 0-d tensor; NaN if any element is NaN
     */
    public Tensor max() {
        return ReduceOps.extreme(this, null, false, true);
    }

    /**
     * Maximum along {@code dim} (gradient flows to the index {@link #argmax(int, boolean)} returns).
     *
     * @param dim the dim to reduce (negative counts from the end); its size must be nonzero
     * @param keepdim whether the reduced dim stays as size 1
     * @return the values of {@code torch.max(x, dim, keepdim)} (use {@link #argmax(int, boolean)} for the indices)
     */
    public Tensor max(int dim, boolean keepdim) {
        return ReduceOps.extremeDim(this, dim, keepdim, true);
    }

    /**
     * Maximum over several dims, gradient split among ties ({@code torch.amax}).
     *
     * @param dims the dims to reduce, or null for all
     * @param keepdim whether the reduced dims stay as size 1
     * @return a new tensor of this dtype
     */
    public Tensor amax(int[] dims, boolean keepdim) {
        return ReduceOps.extreme(this, dims, keepdim, true);
    }

    /**
     * Minimum of all elements.
     *
     * @return a new 0-d tensor; NaN if any element is NaN
     */
    public Tensor min() {
        return ReduceOps.extreme(this, null, false, false);
    }

    /**
     * Minimum along {@code dim}.
     *
     * @param dim the dim to reduce (negative counts from the end); its size must be nonzero
     * @param keepdim whether the reduced dim stays as size 1
     * @return the values of {@code torch.min(x, dim, keepdim)}
     */
    public Tensor min(int dim, boolean keepdim) {
        return ReduceOps.extremeDim(this, dim, keepdim, false);
    }

    /**
     * Minimum over several dims ({@code torch.amin}).
     *
     * @param dims the dims to reduce, or null for all
     * @param keepdim whether the reduced dims stay as size 1
     * @return a new tensor of this dtype
     */
    public Tensor amin(int[] dims, boolean keepdim) {
        return ReduceOps.extreme(this, dims, keepdim, false);
    }

    /**
     * log Σ exp over {@code dims}, computed stably.
     *
     * @param dims the dims to reduce, or null for all
     * @param keepdim whether the reduced dims stay as size 1
     * @return a new tensor of this (floating) dtype ({@code torch.logsumexp})
     */
    public Tensor logsumexp(int[] dims, boolean keepdim) {
        return ReduceOps.logsumexp(this, dims, keepdim);
    }

    /**
     * Flat index of the maximum (int64, 0-d; first occurrence).
     *
     * @return a new 0-d int64 tensor
     * @throws IllegalArgumentException for an empty tensor
     */
    public Tensor argmax() {
        return ReduceOps.argExtreme(this, null, false, true);
    }

    /**
     * Index of the maximum along {@code dim} (int64).
     *
     * @param dim the dim to reduce (negative counts from the end)
     * @param keepdim whether the reduced dim stays as size 1
     * @return a new int64 tensor of indices into {@code dim} (first occurrence)
     */
    public Tensor argmax(int dim, boolean keepdim) {
        return ReduceOps.argExtreme(this, dim, keepdim, true);
    }

    /**
     * Flat index of the minimum (int64, 0-d).
     *
     * @return a new 0-d int64 tensor (first occurrence)
     * @throws IllegalArgumentException for an empty tensor
     */
    public Tensor argmin() {
        return ReduceOps.argExtreme(this, null, false, false);
    }

    /**
     * Index of the minimum along {@code dim} (int64).
     *
     * @param dim the dim to reduce (negative counts from the end)
     * @param keepdim whether the reduced dim stays as size 1
     * @return a new int64 tensor of indices into {@code dim} (first occurrence)
     */
    public Tensor argmin(int dim, boolean keepdim) {
        return ReduceOps.argExtreme(this, dim, keepdim, false);
    }

    /**
     * Softmax along {@code dim} (stable).
     *
     * @param dim the dim whose entries sum to 1 (negative counts from the end)
     * @return a new tensor of this shape and (floating) dtype ({@code torch.softmax(x, dim)})
     */
    public Tensor softmax(int dim) {
        return ReduceOps.softmax(this, dim, false);
    }

    /**
     * Log-softmax along {@code dim} (stable).
     *
     * @param dim the dim to normalise over (negative counts from the end)
     * @return a new tensor of this shape and (floating) dtype ({@code torch.log_softmax(x, dim)})
     */
    public Tensor logSoftmax(int dim) {
        return ReduceOps.softmax(this, dim, true);
    }

    // ------------------------------------------------------------------ linear algebra, convolution, pooling

    /**
     * Matrix product with {@code torch.matmul}'s rules for 1-D, 2-D and batched (broadcast) inputs. float32 and
     * float64 run the SIMD GEMM; int64 is exact, wrapping on overflow as PyTorch's (a plain loop).
     *
     * @param other the right operand, of this tensor's dtype (no promotion, docs/SEMANTICS.md §11)
     * @return a new tensor: {@code (…, n, k) @ (…, k, m)} gives shape (broadcast batch…, n, m); a 1-D
     *     operand is a vector (its dim is removed from the result); an empty inner dim gives zeros
     * @throws IllegalArgumentException when the inner sizes differ, the batch dims do not broadcast, the
     *     dtypes differ or both are bool (PyTorch's "not implemented for 'Bool'")
     */
    public Tensor matmul(Tensor other) {
        return LinalgOps.matmul(this, other);
    }

    /**
     * 2-D convolution (cross-correlation) of this (N,C,H,W) input with {@code weight} (O,C/groups,kH,kW) and
     * an optional {@code bias} (O).
     *
     * @param weight the filters, shape (O, C/groups, kH, kW), of the input's dtype
     * @param bias the per-channel offsets, shape (O), or null
     * @param stride {sH, sW}, or one value for both, or null for 1
     * @param padding {pH, pW} zeros added on each side, or one value, or null for 0
     * @param dilation {dH, dW}, or one value, or null for 1
     * @param groups the number of channel groups, ≥ 1, dividing C and O
     * @return a new tensor of shape (N, O, outH, outW), or (O, outH, outW) for an unbatched input ({@code F.conv2d})
     */
    public Tensor conv2d(Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        return ConvOps.conv2d(this, weight, bias, stride, padding, dilation, groups);
    }

    /**
     * conv2d with stride 1, no padding, dilation 1, one group.
     *
     * @param weight the filters, shape (O, C, kH, kW)
     * @param bias the per-channel offsets, shape (O), or null
     * @return a new tensor of shape (N, O, H − kH + 1, W − kW + 1)
     */
    public Tensor conv2d(Tensor weight, Tensor bias) {
        return conv2d(weight, bias, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1);
    }

    /**
     * 2-D max pooling of an (N,C,H,W) or (C,H,W) input.
     *
     * @param kernel {kH, kW}, or one value for both
     * @param stride {sH, sW}, or one value; null or empty for the kernel size
     * @param padding {pH, pW} implicit -inf padding, or one value, or null for 0
     * @param dilation {dH, dW}, or one value, or null for 1
     * @param ceilMode whether the output size rounds up instead of down
     * @return a new tensor of shape (N, C, outH, outW) (or (C, outH, outW)), {@code F.max_pool2d}
     */
    public Tensor maxPool2d(int[] kernel, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
        return ConvOps.maxPool2d(this, kernel, stride, padding, dilation, ceilMode);
    }

    /**
     * max pooling with stride = kernel.
     *
     * @param kernel the square window size, also the stride
     * @return a new tensor of shape (N, C, H / kernel, W / kernel) (rounded down)
     */
    public Tensor maxPool2d(int kernel) {
        return maxPool2d(new int[] {kernel, kernel}, null, new int[] {0, 0}, new int[] {1, 1}, false);
    }

    /**
     * 2-D average pooling.
     *
     * @param kernel {kH, kW}, or one value for both
     * @param stride {sH, sW}, or one value; null or empty for the kernel size
     * @param padding {pH, pW} zeros added on each side, or one value, or null for 0
     * @param ceilMode whether the output size rounds up instead of down
     * @param countIncludePad whether padded zeros count in the divisor
     * @return a new tensor of shape (N, C, outH, outW) (or (C, outH, outW)), {@code F.avg_pool2d}
     */
    public Tensor avgPool2d(int[] kernel, int[] stride, int[] padding, boolean ceilMode, boolean countIncludePad) {
        return ConvOps.avgPool2d(this, kernel, stride, padding, ceilMode, countIncludePad);
    }

    /**
     * average pooling with stride = kernel.
     *
     * @param kernel the square window size, also the stride
     * @return a new tensor of shape (N, C, H / kernel, W / kernel) (rounded down)
     */
    public Tensor avgPool2d(int kernel) {
        return avgPool2d(new int[] {kernel, kernel}, null, new int[] {0, 0}, false, true);
    }

    /**
     * Adaptive average pooling to {@code (outH, outW)}.
     *
     * @param outH the output height, ≥ 1
     * @param outW the output width, ≥ 1
     * @return a new tensor of shape (N, C, outH, outW) (or (C, outH, outW)), {@code F.adaptive_avg_pool2d}
     */
    public Tensor adaptiveAvgPool2d(int outH, int outW) {
        return ConvOps.adaptiveAvgPool2d(this, outH, outW);
    }

    // ------------------------------------------------------------------ joining and indexing

    /**
     * Concatenates along {@code dim}.
     *
     * @param tensors the inputs, equal in every dim but {@code dim}
     * @param dim the dim to join along (negative counts from the end)
     * @return a new tensor ({@code torch.cat})
     */
    public static Tensor cat(List<Tensor> tensors, int dim) {
        return IndexOps.cat(tensors, dim);
    }

    /**
     * Stacks along a new dim {@code dim}.
     *
     * @param tensors the inputs, all of one shape
     * @param dim the position of the new dim, in {@code [-rank-1, rank]}
     * @return a new tensor of rank one more than the inputs ({@code torch.stack})
     */
    public static Tensor stack(List<Tensor> tensors, int dim) {
        return IndexOps.stack(tensors, dim);
    }

    /**
     * Splits into chunks of {@code splitSize} along {@code dim} (the last may be smaller); views.
     *
     * @param splitSize the size of each piece along {@code dim}, ≥ 1
     * @param dim the dim to split (negative counts from the end)
     * @return the pieces, in order ({@code torch.split(x, size, dim)})
     */
    public List<Tensor> split(int splitSize, int dim) {
        return IndexOps.split(this, splitSize, dim);
    }

    /**
     * Splits into pieces of the given sizes along {@code dim}; views.
     *
     * @param sizes the piece sizes, summing to the size of {@code dim}
     * @param dim the dim to split (negative counts from the end)
     * @return the pieces, in order
     */
    public List<Tensor> split(int[] sizes, int dim) {
        return IndexOps.splitSizes(this, sizes, dim);
    }

    /**
     * {@code out[i][j][k] = this[i][index[i][j][k]][k]} for dim=1 (int64 index of the same rank).
     *
     * @param dim the dim to gather along (negative counts from the end)
     * @param index int64 positions in {@code [0, size(dim))}, of this rank and no larger than this tensor elsewhere
     * @return a new tensor of {@code index}'s shape ({@code torch.gather}); the gradient scatters back,
     *     summing duplicates
     */
    public Tensor gather(int dim, Tensor index) {
        return IndexOps.gather(this, dim, index);
    }

    /**
     * Selects entries along {@code dim} by a 1-D int64 index.
     *
     * @param dim the dim to select along (negative counts from the end)
     * @param index a 1-D (or 0-d) int64 tensor of positions, duplicates allowed
     * @return a new tensor whose {@code dim} has {@code index.numel()} entries ({@code torch.index_select})
     */
    public Tensor indexSelect(int dim, Tensor index) {
        return IndexOps.indexSelect(this, dim, index);
    }

    // ------------------------------------------------------------------ in-place

    /**
     * The checks every in-place entry point runs before writing (docs/SEMANTICS.md §5.8): inference tensors,
     * leaves that require grad, then internal overlap (see {@link #checkNoInternalOverlap}).
     */
    void checkInPlace(String op) {
        checkInPlaceAutograd();
        checkNoInternalOverlap(op);
    }

    /**
     * As {@link #checkInPlace} without the overlap check, for the writes PyTorch lets through on an expanded
     * view ({@code fill_}, {@code zero_}, single-element assignment): every aliased element receives the same
     * value, so the result does not depend on the order of the writes.
     */
    void checkInPlaceAliasingAllowed() {
        checkInPlaceAutograd();
    }

    private void checkInPlaceAutograd() {
        if (inference != Grad.isInferenceMode() && inference) {
            throw new IllegalStateException("Inplace update to inference tensor outside InferenceMode is not "
                    + "allowed.You can make a clone to get a normal tensor before doing inplace update.See "
                    + "https://github.com/pytorch/rfcs/pull/17 for more details.");
        }
        if (requiresGrad && gradFn == null && Grad.isEnabled()) {
            throw new IllegalStateException("a leaf Variable that requires grad is being used in an in-place operation.");
        }
    }

    /**
     * PyTorch's {@code assert_no_internal_overlap}: a non-empty destination with a dimension of size &gt; 1 and
     * stride 0 (an expanded view) has several elements at one memory location, so an elementwise write would keep
     * only the last value written there. Other self-overlapping layouts (only reachable through as_strided in
     * PyTorch, which returns TOO_HARD for them) are let through, as in PyTorch. O(rank).
     */
    void checkNoInternalOverlap(String op) {
        if (numel() == 0) {
            return;
        }
        for (int d = 0; d < shape.length; d++) {
            if (stride[d] == 0 && shape[d] > 1) {
                throw new IllegalArgumentException(op + ": unsupported operation: more than one element of the "
                        + "written-to tensor refers to a single memory location. Please clone() the tensor before "
                        + "performing the operation. (destination shape " + Shape.str(shape) + ", strides "
                        + Shape.str(stride) + ")");
            }
        }
    }

    /**
     * PyTorch's {@code assert_no_partial_overlap} between this destination and an input {@code src}: when both are
     * dense, non-overlapping layouts over the same storage whose memory ranges intersect without being the same
     * elements in the same order, an elementwise write would read inputs it has already overwritten. Identical
     * layouts ({@code x.add_(x)}) are fine; layouts PyTorch cannot classify cheaply are let through, as there.
     */
    void checkNoPartialOverlap(String op, Tensor src) {
        if (src.storage != storage || numel() == 0 || src.numel() == 0) {
            return;
        }
        int[] mine = denseRange(shape, stride, offset);
        int[] theirs = denseRange(src.shape, src.stride, src.offset);
        if (mine == null || theirs == null) {
            return;
        }
        boolean same = mine[0] == theirs[0] && mine[1] == theirs[1];
        boolean partial = same ? !Arrays.equals(stride, src.stride) || !Arrays.equals(shape, src.shape)
                : mine[0] < theirs[1] && theirs[0] < mine[1];
        if (partial) {
            throw new IllegalArgumentException(op + ": unsupported operation: some elements of the input tensor and "
                    + "the written-to tensor refer to a single memory location. Please clone() the tensor before "
                    + "performing the operation. (destination shape " + Shape.str(shape) + ", strides "
                    + Shape.str(stride) + ", offset " + offset + "; input shape " + Shape.str(src.shape) + ", strides "
                    + Shape.str(src.stride) + ", offset " + src.offset + ")");
        }
    }

    /**
     * {@code [begin, end)} of the elements when the layout is non-overlapping and dense (a permutation of a
     * contiguous layout, size-1 dims ignored), else null. O(rank²) on the rank, no allocation beyond one array.
     */
    private static int[] denseRange(int[] shape, int[] stride, int offset) {
        int n = Shape.numel(shape);
        boolean[] used = new boolean[shape.length];
        int expected = 1;
        for (int left = 0; left < shape.length; left++) {
            int pick = -1;
            for (int d = 0; d < shape.length; d++) {
                if (!used[d] && shape[d] != 1 && (pick < 0 || stride[d] < stride[pick])) {
                    pick = d;
                }
            }
            if (pick < 0) {
                break;
            }
            if (stride[pick] != expected) {
                return null;
            }
            used[pick] = true;
            expected *= shape[pick];
        }
        return new int[] {offset, offset + n};
    }

    /**
     * this += other (broadcast into this shape).
     *
     * @param other the addend, broadcastable to this shape
     * @return this tensor, modified in place (version bumped)
     */
    public Tensor add_(Tensor other) {
        return ElementwiseOps.inPlace(BinaryOp.ADD, this, other);
    }

    /**
     * this += s.
     *
     * @param s the scalar, rounded to this dtype (PyTorch's Python float)
     * @return this tensor, modified in place
     * @throws IllegalArgumentException on an int64 or bool tensor: the float result can't be cast back, as in
     *     PyTorch (use {@link #add_(long)})
     */
    public Tensor add_(double s) {
        return ElementwiseOps.inPlace(BinaryOp.ADD, this, inPlaceScalar(s));
    }

    /**
     * this += s with an integral scalar (PyTorch's Python int): exact on an int64 tensor (wrapping), s converted
     * once to this dtype on a floating one.
     *
     * @param s the scalar
     * @return this tensor, modified in place
     * @throws IllegalArgumentException on a bool tensor (an int64 result can't be cast to bool)
     */
    public Tensor add_(long s) {
        return ElementwiseOps.inPlace(BinaryOp.ADD, this, inPlaceScalar(s));
    }

    /** A double scalar operand: in this dtype when floating, else a float32 one (which the in-place op refuses). */
    private Tensor inPlaceScalar(double s) {
        return scalar(dtype.isFloatingPoint() ? dtype : DType.FLOAT32, s);
    }

    /** A long scalar operand: converted once to this dtype when floating, else an exact int64 one. */
    private Tensor inPlaceScalar(long s) {
        return dtype == DType.FLOAT32 ? scalar(dtype, (float) s)
                : dtype == DType.FLOAT64 ? scalar(dtype, (double) s) : ofLongs(new long[] {s});
    }

    /**
     * this -= other.
     *
     * @param other the subtrahend, broadcastable to this shape
     * @return this tensor, modified in place
     */
    public Tensor sub_(Tensor other) {
        return ElementwiseOps.inPlace(BinaryOp.SUB, this, other);
    }

    /**
     * this *= other.
     *
     * @param other the factor, broadcastable to this shape
     * @return this tensor, modified in place
     */
    public Tensor mul_(Tensor other) {
        return ElementwiseOps.inPlace(BinaryOp.MUL, this, other);
    }

    /**
     * this *= s.
     *
     * @param s the scalar, rounded to this dtype (PyTorch's Python float)
     * @return this tensor, modified in place
     * @throws IllegalArgumentException on an int64 or bool tensor: the float result can't be cast back, as in
     *     PyTorch (use {@link #mul_(long)})
     */
    public Tensor mul_(double s) {
        return ElementwiseOps.inPlace(BinaryOp.MUL, this, inPlaceScalar(s));
    }

    /**
     * this *= s with an integral scalar, as {@link #add_(long)}.
     *
     * @param s the scalar
     * @return this tensor, modified in place
     */
    public Tensor mul_(long s) {
        return ElementwiseOps.inPlace(BinaryOp.MUL, this, inPlaceScalar(s));
    }

    /**
     * this /= other.
     *
     * @param other the divisor, broadcastable to this shape
     * @return this tensor, modified in place
     */
    public Tensor div_(Tensor other) {
        return ElementwiseOps.inPlace(BinaryOp.DIV, this, other);
    }

    /**
     * this /= s (true division).
     *
     * @param s the scalar divisor, rounded to this dtype
     * @return this tensor, modified in place
     * @throws IllegalArgumentException on an int64 or bool tensor, whose float quotient can't be cast back
     *     (PyTorch's "result type Float can't be cast to the desired output type Long")
     */
    public Tensor div_(double s) {
        return ElementwiseOps.inPlace(BinaryOp.DIV, this, inPlaceScalar(s));
    }

    /**
     * Sets every element to 0.
     *
     * @return this tensor, modified in place (a non-leaf's history is replaced, as PyTorch's {@code ZeroBackward0})
     */
    public Tensor zero_() {
        return fill("ZeroBackward0", 0);
    }

    /**
     * Sets every element to {@code value}.
     *
     * @param value the value, converted to this dtype
     * @return this tensor, modified in place (allowed on an expanded view: every alias gets the same value)
     */
    public Tensor fill_(double value) {
        return fill("FillBackward2", value); // PyTorch 1.13's name for fill_ with a scalar
    }

    private Tensor fill(String node, double value) {
        checkInPlaceAliasingAllowed();
        fillRaw(value);
        storage.version++;
        overwrittenHistory(node);
        return this;
    }

    /**
     * After an in-place op that overwrote every element of a non-leaf that requires grad, its old history no
     * longer contributes: rebase onto a node that passes zeros to it (PyTorch's ZeroBackward0, FillBackward2,
     * UniformBackward0, NormalBackward0, which keep the edge, so the inputs' {@code .grad} become zeros, not null).
     */
    private void overwrittenHistory(String name) {
        if (gradFn != null && Grad.isEnabled()) {
            rebaseHistory(new OverwrittenBackward(name, this)); // built while this still has its old gradFn
        }
    }

    /**
     * Copies {@code src} (broadcast to this shape, converted to this dtype) into this tensor.
     *
     * @param src the values, broadcastable to this shape, of any dtype (converted)
     * @return this tensor, modified in place; the gradient flows to {@code src}
     * @throws IllegalArgumentException when {@code src} does not broadcast to this shape or partially
     *     overlaps this tensor
     */
    public Tensor copy_(Tensor src) {
        Args.nonNull("copy_", "src", src);
        checkInPlace("copy_");
        checkNoPartialOverlap("copy_", src);
        int[] target = Shape.broadcast("copy_", src.shape, shape);
        if (!Arrays.equals(target, shape)) {
            throw new IllegalArgumentException("copy_: source of shape " + Shape.str(src.shape)
                    + " cannot be broadcast to destination shape " + Shape.str(shape));
        }
        Tensor s = src.expand(shape);
        Strided.copy(s.storage, s.offset, shape, s.stride, storage, offset, stride);
        storage.version++;
        if (Autograd.isRecording(this, src)) {
            // the old value is overwritten: the gradient flows to src only (PyTorch's CopyBackwards)
            rebaseHistory(new CopyBackwards(src));
        } else {
            overwrittenHistory("CopyBackwards");
        }
        return this;
    }

    /** The history of a tensor whose every element an in-place op overwrote: zeros flow to the old history. */
    static final class OverwrittenBackward extends Node {
        OverwrittenBackward(String name, Tensor overwritten) {
            super(name, overwritten);
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.zerosLike()};
        }
    }

    /** copy_'s rule: the gradient flows to the source only, summed to its shape and cast to its dtype. */
    static final class CopyBackwards extends Node {
        private final int[] srcShape;
        private final DType srcType;

        CopyBackwards(Tensor src) {
            super("CopyBackwards", src);
            this.srcShape = src.shape;
            this.srcType = src.dtype;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor gs = ReduceOps.sumToShape(g, srcShape);
            // under createGraph (docs/SEMANTICS.md §5.12) the cast is recorded
            return new Tensor[] {gs.dtype == srcType ? gs : Grad.isEnabled() ? gs.to(srcType) : gs.toRaw(srcType)};
        }
    }

    /**
     * Clamps in place.
     *
     * @param min the lower bound, or NaN for none
     * @param max the upper bound, or NaN for none (not both NaN)
     * @return this tensor, modified in place
     * @throws IllegalArgumentException on an int64 or bool tensor: double bounds are Python floats, and PyTorch
     *     refuses to cast the float result back (use {@link #clamp_(long, long)})
     */
    public Tensor clamp_(double min, double max) {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("clamp_: result type Float can't be cast to the desired output type "
                    + ElementwiseOps.cTypeName(dtype) + " (shape " + Shape.str(shape) + ")");
        }
        if (Double.isNaN(min) && Double.isNaN(max)) {
            throw new IllegalArgumentException("clamp_: At least one of 'min' or 'max' must not be None");
        }
        checkInPlace("clamp_");
        if (gradFn != null && Grad.isEnabled()) {
            if (gradFn instanceof ShapeOps.ViewNode) {
                throw new IllegalStateException("clamp_: in-place modification of a view of a tensor that requires "
                        + "grad is not supported; use the out-of-place op, or clone() first");
            }
            Tensor r = cloneTensor().clamp(min, max);
            Strided.copy(r.storage, r.offset, shape, r.stride, storage, offset, stride);
            storage.version++;
            rebaseHistory(r.gradFn());
            return this;
        }
        Tensor c = detach().clamp(min, max);
        Strided.copy(c.storage, c.offset, shape, c.stride, storage, offset, stride);
        storage.version++;
        return this;
    }

    /**
     * Clamps in place with integral bounds, as {@code x.clamp_(lo, hi)} with Python ints: an int64 tensor exactly
     * (min(max(x, min), max)), a floating one as {@link #clamp_(double, double)}.
     *
     * @param min the lower bound
     * @param max the upper bound
     * @return this tensor, modified in place
     * @throws IllegalArgumentException on a bool tensor, as in PyTorch ("result type Long can't be cast to the
     *     desired output type bool")
     */
    public Tensor clamp_(long min, long max) {
        if (dtype.isFloatingPoint()) {
            return clamp_((double) min, (double) max);
        }
        if (dtype == DType.BOOL) {
            throw new IllegalArgumentException("clamp_: result type Long can't be cast to the desired output type "
                    + "bool (shape " + Shape.str(shape) + ")");
        }
        checkInPlace("clamp_");
        Tensor c = IntegerOps.clamp(this, min, max);
        Strided.copy(c.storage, c.offset, shape, c.stride, storage, offset, stride);
        storage.version++;
        return this;
    }

    /**
     * Fills with U(low, high) samples from {@code gen}.
     *
     * @param gen the random source
     * @param low the inclusive lower bound, finite
     * @param high the exclusive upper bound, finite, ≥ {@code low}
     * @return this (floating) tensor, modified in place (a non-leaf's history is replaced, as PyTorch's
     *     {@code UniformBackward0}: the old values no longer reach the result)
     */
    public Tensor uniform_(Generator gen, double low, double high) {
        Args.nonNull("uniform_", "generator", gen);
        ElementwiseOps.requireFloat("uniform_", this);
        if (!Double.isFinite(low) || !Double.isFinite(high) || low > high) {
            throw new IllegalArgumentException("uniform_: expects to return a [from, to) range of finite values, but "
                    + "found from=" + low + ", to=" + high);
        }
        checkInPlace("uniform_");
        Tensor t = zerosLike().uniformRaw(gen, low, high);
        Strided.copy(t.storage, 0, shape, t.stride, storage, offset, stride);
        storage.version++;
        overwrittenHistory("UniformBackward0");
        return this;
    }

    /**
     * Fills with N(mean, std²) samples from {@code gen}.
     *
     * @param gen the random source
     * @param mean the mean, finite
     * @param std the standard deviation, finite and ≥ 0
     * @return this (floating) tensor, modified in place (a non-leaf's history is replaced, as PyTorch's
     *     {@code NormalBackward0})
     */
    public Tensor normal_(Generator gen, double mean, double std) {
        Args.nonNull("normal_", "generator", gen);
        ElementwiseOps.requireFloat("normal_", this);
        if (!(std >= 0) || !Double.isFinite(std) || !Double.isFinite(mean)) {
            throw new IllegalArgumentException("normal_: expects a finite mean and a finite std >= 0.0, but found mean="
                    + mean + ", std=" + std);
        }
        checkInPlace("normal_");
        Tensor t = zerosLike().normalRaw(gen, mean, std);
        Strided.copy(t.storage, 0, shape, t.stride, storage, offset, stride);
        storage.version++;
        overwrittenHistory("NormalBackward0");
        return this;
    }

    private void fillRaw(double value) {
        if (isContiguous()) {
            int n = numel();
            if (storage.f != null) {
                Arrays.fill(storage.f, offset, offset + n, (float) value);
            } else if (storage.d != null) {
                Arrays.fill(storage.d, offset, offset + n, value);
            } else {
                Arrays.fill(storage.l, offset, offset + n, storage.bool ? (value != 0 ? 1 : 0) : (long) value);
            }
        } else {
            Tensor src = full(dtype, value, Shape.SCALAR).expand(shape);
            Strided.copy(src.storage, src.offset, shape, src.stride, storage, offset, stride);
        }
    }

    private Tensor uniformRaw(Generator gen, double low, double high) {
        int n = numel();
        double span = high - low;
        for (int i = 0; i < n; i++) {
            storage.set(i, storage.f != null ? low + span * gen.nextFloat() : low + span * gen.nextDouble());
        }
        return this;
    }

    private Tensor normalRaw(Generator gen, double mean, double std) {
        int n = numel();
        for (int i = 0; i < n; i++) {
            storage.set(i, mean + std * gen.nextGaussian());
        }
        return this;
    }

    // ------------------------------------------------------------------ printing

    /**
     * PyTorch-like text: {@code tensor([[1., 2.]], grad_fn=<MulBackward0>)}.
     *
     * @return the text, with {@code grad_fn=<…>} or {@code requires_grad=True} when applicable
     */
    @Override
    public String toString() {
        return TensorFormatter.format(this);
    }

    // ------------------------------------------------------------------ broadcast gradients

    /**
     * Sums this tensor down to {@code size}, which must broadcast to this tensor's shape (PyTorch's
     * {@code sum_to_size}): leading dims are summed away and dims where {@code size} is 1 are summed keeping the
     * dim. It reduces the gradient of a broadcast input to the input's shape, as a {@link Function}'s backward
     * must: {@code g.sumToSize(ctx.inputShape(i))}. Returns this tensor when the shapes are equal; its own
     * gradient is an expand. Differentiable (docs/SEMANTICS.md §5).
     *
     * @param size the target shape, which must broadcast to this shape
     * @return this tensor, or a new tensor of shape {@code size}
     * @throws IllegalArgumentException when {@code size} does not broadcast to this shape, with PyTorch's text
     */
    public Tensor sumToSize(int... size) {
        Args.nonNull("sum_to_size", "size", size);
        if (!Shape.isExpandableTo(size, shape)) {
            throw new IllegalArgumentException("sum_to_size: size {" + Shape.str(size) + "} is not expandable to "
                    + "size {" + Shape.str(shape) + "}.");
        }
        if (Arrays.equals(size, shape)) {
            return this;
        }
        if (size.length == 0) {
            return sum();
        }
        int lead = shape.length - size.length;
        int[] dims = new int[shape.length];
        int n = 0;
        for (int i = 0; i < shape.length; i++) {
            if (i < lead || (size[i - lead] == 1 && shape[i] != 1)) {
                dims[n++] = i;
            }
        }
        Tensor kept = sum(Arrays.copyOf(dims, n), true);
        return lead == 0 ? kept : kept.view(size);
    }

    // ------------------------------------------------------------------ ordering, scatter, sampling, einsum
    // (docs/SEMANTICS.md §18)

    /**
     * Values and int64 indices, as PyTorch's {@code (values, indices)} named tuple of sort and topk.
     *
     * @param values the selected values, of the input's dtype
     * @param indices their int64 positions along the sorted dim, of the same shape
     */
    public record ValuesIndices(Tensor values, Tensor indices) {}

    /**
     * Cumulative sum along {@code dim}: {@code out[..i..] = Σ_{j ≤ i} this[..j..]}; int64 stays int64, and a bool
     * mask gives an int64 running count.
     *
     * @param dim the dim to accumulate along (negative counts from the end)
     * @return a new tensor of this shape and dtype (int64 for bool) ({@code torch.cumsum})
     */
    public Tensor cumsum(int dim) {
        return SortOps.cumsum(this, dim);
    }

    /**
     * Stable ascending sort along the last dim (NaN last).
     *
     * @return the sorted values and their int64 indices along the last dim
     */
    public ValuesIndices sort() {
        return sort(-1, false);
    }

    /**
     * Stable sort along {@code dim}; equal elements keep their order, also when descending.
     *
     * @param dim the dim to sort along (negative counts from the end)
     * @param descending whether the largest come first (NaN counts as largest either way)
     * @return the sorted values and their int64 indices, each of this shape
     *     ({@code torch.sort(x, dim, descending, stable=True)})
     */
    public ValuesIndices sort(int dim, boolean descending) {
        return SortOps.sort(this, dim, descending);
    }

    /**
     * The int64 indices of {@link #sort(int, boolean)}.
     *
     * @param dim the dim to sort along (negative counts from the end)
     * @param descending whether the largest come first
     * @return a new int64 tensor of this shape
     */
    public Tensor argsort(int dim, boolean descending) {
        return SortOps.argsort(this, dim, descending);
    }

    /**
     * The {@code k} largest (or smallest) entries along {@code dim} and their int64 indices, in sorted order (also
     * when {@code sorted} is false, which PyTorch leaves unspecified). Ties go to the lower index.
     *
     * @param k the number of entries, in {@code [0, size(dim)]}
     * @param dim the dim to select along (negative counts from the end)
     * @param largest whether to take the largest (else the smallest)
     * @param sorted accepted for PyTorch's signature; the result is sorted either way
     * @return values and int64 indices, whose {@code dim} has size {@code k}
     */
    public ValuesIndices topk(int k, int dim, boolean largest, boolean sorted) {
        return SortOps.topk(this, k, dim, largest, sorted);
    }

    /**
     * {@code topk(k, -1, true, true)}.
     *
     * @param k the number of entries, in {@code [0, size(-1)]}
     * @return the k largest values along the last dim, descending, and their int64 indices
     */
    public ValuesIndices topk(int k) {
        return topk(k, -1, true, true);
    }

    /**
     * Reverses the order of elements along each of {@code dims} (a copy, as PyTorch's flip).
     *
     * @param dims the dims to reverse (negative count from the end, no repeats)
     * @return a new tensor of this shape and dtype
     */
    public Tensor flip(int... dims) {
        return SortOps.flip(this, dims);
    }

    /**
     * Tiles this tensor {@code repeats[i]} times along dim i (leading repeats add new dims), as torch.repeat.
     *
     * @param repeats one count ≥ 0 per dim, at least {@code dim()} of them
     * @return a new tensor whose dim i has size {@code repeats[i]} times the input's (1 for new leading dims)
     */
    public Tensor repeat(int... repeats) {
        return SortOps.repeat(this, repeats);
    }

    /**
     * A copy with {@code out[..index[p]..] = src[p]} along {@code dim} (torch.scatter).
     *
     * @param dim the dim to scatter along (negative counts from the end)
     * @param index int64 target positions along {@code dim}, of this rank
     * @param src the values, of this dtype, at least as large as {@code index} in every dim
     * @return a new tensor of this shape (with duplicate indices the last write wins; PyTorch leaves it unspecified)
     */
    public Tensor scatter(int dim, Tensor index, Tensor src) {
        return ScatterOps.scatter("scatter", this, dim, index, src, false);
    }

    /**
     * A copy with {@code out[..index[p]..] = value} along {@code dim}.
     *
     * @param dim the dim to scatter along (negative counts from the end)
     * @param index int64 target positions along {@code dim}, of this rank
     * @param value the value written, converted to this dtype
     * @return a new tensor of this shape
     */
    public Tensor scatter(int dim, Tensor index, double value) {
        return ScatterOps.scatterValue(this, dim, index, value);
    }

    /**
     * A copy with {@code out[..index[p]..] += src[p]} along {@code dim}, duplicates summed (torch.scatter_add).
     *
     * @param dim the dim to scatter along (negative counts from the end)
     * @param index int64 target positions along {@code dim}, of this rank
     * @param src the values added, of this dtype, at least as large as {@code index} in every dim
     * @return a new tensor of this shape
     */
    public Tensor scatterAdd(int dim, Tensor index, Tensor src) {
        return ScatterOps.scatter("scatter_add", this, dim, index, src, true);
    }

    /**
     * A copy with {@code out[indices] = values} (or {@code +=} with {@code accumulate}); {@code indices} are int64
     * tensors for the leading dims, broadcast together, and {@code values} broadcasts to the indexed result. A bool
     * index tensor (a mask) stands for the dims it covers, which its shape must equal, and selects its true
     * positions in row-major order, as PyTorch's {@code x[mask] = v} ({@code mask.nonzero()}'s columns as indices).
     *
     * @param indices one int64 index tensor per leading dim indexed (at most {@code dim()}), or a bool mask per
     *     group of dims
     * @param values the values, of this dtype, broadcastable to the indexed shape
     * @param accumulate whether to add (duplicates summed) instead of assigning
     * @return a new tensor of this shape ({@code torch.index_put})
     */
    public Tensor indexPut(Tensor[] indices, Tensor values, boolean accumulate) {
        return ScatterOps.indexPut(this, indices, values, accumulate);
    }

    /**
     * In-place {@link #scatter(int, Tensor, Tensor)}.
     *
     * @param dim the dim to scatter along
     * @param index int64 target positions along {@code dim}
     * @param src the values written
     * @return this tensor, modified in place
     */
    public Tensor scatter_(int dim, Tensor index, Tensor src) {
        return writeInPlace("scatter_", src, t -> t.scatter(dim, index, src));
    }

    /**
     * In-place {@link #scatter(int, Tensor, double)}.
     *
     * @param dim the dim to scatter along
     * @param index int64 target positions along {@code dim}
     * @param value the value written
     * @return this tensor, modified in place
     */
    public Tensor scatter_(int dim, Tensor index, double value) {
        return writeInPlace("scatter_", null, t -> t.scatter(dim, index, value));
    }

    /**
     * In-place {@link #scatterAdd}.
     *
     * @param dim the dim to scatter along
     * @param index int64 target positions along {@code dim}
     * @param src the values added
     * @return this tensor, modified in place
     */
    public Tensor scatter_add_(int dim, Tensor index, Tensor src) {
        return writeInPlace("scatter_add_", src, t -> t.scatterAdd(dim, index, src));
    }

    /**
     * In-place {@link #indexPut}.
     *
     * @param indices one int64 index tensor per leading dim indexed
     * @param values the values, broadcastable to the indexed shape
     * @param accumulate whether to add instead of assigning
     * @return this tensor, modified in place
     */
    public Tensor index_put_(Tensor[] indices, Tensor values, boolean accumulate) {
        return writeInPlace("index_put_", values, t -> t.indexPut(indices, values, accumulate));
    }

    /**
     * Runs the out-of-place {@code op} and writes its result into this tensor. When recording, the result's
     * history becomes this tensor's (the op is applied to a recorded clone, so the old history still receives
     * the gradient of the positions not overwritten), as {@link #clamp_} does.
     */
    private Tensor writeInPlace(String op, Tensor src, java.util.function.UnaryOperator<Tensor> f) {
        checkInPlace(op);
        if (src != null) {
            checkNoPartialOverlap(op, src);
        }
        boolean recording = src == null ? Autograd.isRecording(this) : Autograd.isRecording(this, src);
        Tensor r;
        if (recording) {
            if (gradFn instanceof ShapeOps.ViewNode) {
                throw new IllegalStateException(op + ": in-place modification of a view of a tensor that requires "
                        + "grad is not supported; use the out-of-place op, or clone() first");
            }
            r = f.apply(cloneTensor());
        } else {
            try (Grad.Scope off = Grad.disabled()) {
                r = f.apply(this);
            }
        }
        Strided.copy(r.storage, r.offset, shape, r.stride, storage, offset, stride);
        storage.version++;
        if (recording) {
            rebaseHistory(r.gradFn());
        }
        return this;
    }

    /**
     * A random permutation of {@code 0..n-1} as int64, drawn from {@code gen}.
     *
     * @param n the number of elements, ≥ 0
     * @param gen the random source
     * @return a new 1-D int64 tensor of shape {@code [n]} ({@code torch.randperm})
     */
    public static Tensor randperm(int n, Generator gen) {
        return SamplingOps.randperm(n, gen);
    }

    /**
     * {@code numSamples} int64 category indices per row of this 1-D or 2-D tensor of non-negative weights, with or
     * without replacement, drawn from {@code gen}; errors as PyTorch's.
     *
     * @param numSamples samples per row, ≥ 1 (at most {@code size(-1)} without replacement)
     * @param replacement whether a category may be drawn more than once
     * @param gen the random source
     * @return a new int64 tensor of shape {@code [numSamples]} or {@code [rows, numSamples]}
     */
    public Tensor multinomial(int numSamples, boolean replacement, Generator gen) {
        return SamplingOps.multinomial(this, numSamples, replacement, gen);
    }

    /**
     * Einstein summation over one or two operands, e.g. {@code "bhqd,bhkd->bhqk"}: labels in the output are kept,
     * the others summed; differentiable. Diagonals ({@code "ii->i"}) and three or more operands are rejected.
     *
     * @param equation the subscripts, {@code "in1,in2->out"} or with an implicit output ({@code "ij,jk"})
     * @param operands one or two tensors, one per input term
     * @return a new tensor with the output term's dims ({@code torch.einsum})
     */
    public static Tensor einsum(String equation, Tensor... operands) {
        return Einsum.einsum(equation, operands);
    }
}
