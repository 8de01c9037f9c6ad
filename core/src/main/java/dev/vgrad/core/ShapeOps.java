package dev.vgrad.core;

import dev.vgrad.core.kernel.Sizes;
import java.util.Arrays;

/** View ops (sharing storage) and copies, each differentiable. */
final class ShapeOps {
    private ShapeOps() {}

    /** Marker for nodes whose output is a view of their input (in-place ops on such outputs are rejected). */
    abstract static class ViewNode extends Node {
        ViewNode(String name, Tensor input) {
            super(name, input);
        }

        /** A view of one of several inputs (a {@link Function} whose output shares an input's storage). */
        ViewNode(String name, Tensor[] inputs) {
            super(name, inputs);
        }
    }

    private static Tensor viewOf(Tensor x, int[] shape, int[] stride, int offset) {
        return new Tensor(x.storage, x.dtype, shape, stride, offset);
    }

    /** Infers a -1 entry and checks the element count. */
    static int[] inferShape(String op, Tensor x, int[] newShape) {
        Args.nonNull(op, "shape", newShape);
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException(op + ": only one dimension can be inferred (shape "
                            + Shape.str(newShape) + ")");
                }
                infer = i;
            } else if (s[i] < 0) {
                throw new IllegalArgumentException(op + ": invalid shape dimension " + s[i] + " in " + Shape.str(newShape));
            } else {
                known = Sizes.saturatingMultiply(known, s[i]);
            }
        }
        int n = x.numel();
        if (infer >= 0) {
            if (known == 0 && n == 0) {
                throw new IllegalArgumentException(op + ": cannot reshape tensor of 0 elements into shape "
                        + Shape.str(newShape) + " because the unspecified dimension size -1 can be any value and is "
                        + "ambiguous");
            }
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException(op + ": shape '" + Shape.str(newShape)
                        + "' is invalid for input of size " + n + " (input shape " + Shape.str(x.shape) + ")");
            }
            s[infer] = (int) (n / known);
        } else if (known != n) {
            throw new IllegalArgumentException(op + ": shape '" + Shape.str(newShape)
                    + "' is invalid for input of size " + n + " (input shape " + Shape.str(x.shape) + ")");
        }
        // an empty target may still have sizes whose strides overflow int
        Shape.checked(op, s);
        return s;
    }

    /**
     * Strides for viewing (shape, stride) as newShape without copying, or null when impossible
     * (the algorithm of ATen's {@code computeStride}).
     */
    static int[] viewStrides(int[] shape, int[] stride, int[] newShape) {
        int[] ns = new int[newShape.length];
        if (Shape.numel(shape) == 0 || shape.length == 0) {
            // empty tensors and 0-d scalars can be viewed with any (contiguous) strides
            return Shape.contiguousStrides(newShape);
        }
        int viewD = newShape.length - 1;
        long chunkBase = stride.length == 0 ? 1 : stride[stride.length - 1];
        long tensorNumel = 1;
        long viewNumel = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            tensorNumel *= shape[d];
            if (d == 0 || (shape[d - 1] != 1 && stride[d - 1] != tensorNumel * chunkBase)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1)) {
                    ns[viewD] = (int) (viewNumel * chunkBase);
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) {
                    return null;
                }
                if (d > 0) {
                    chunkBase = stride[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        if (viewD != -1) {
            return null;
        }
        return ns;
    }

    static Tensor view(Tensor x, int[] newShape, String op) {
        int[] s = inferShape(op, x, newShape);
        int[] st = viewStrides(x.shape, x.stride, s);
        if (st == null) {
            throw new IllegalArgumentException(op + ": view size is not compatible with input tensor's size and stride "
                    + "(at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead. "
                    + "(input shape " + Shape.str(x.shape) + ", requested " + Shape.str(newShape) + ")");
        }
        return reshapeNode(x, viewOf(x, s, st, x.offset));
    }

    private static Tensor reshapeNode(Tensor x, Tensor out) {
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, new ViewBackward0(x));
        }
        return out;
    }

    static Tensor reshape(Tensor x, int[] newShape) {
        int[] s = inferShape("reshape", x, newShape);
        int[] st = viewStrides(x.shape, x.stride, s);
        if (st != null) {
            return reshapeNode(x, viewOf(x, s, st, x.offset));
        }
        Tensor c = x.contiguous();
        return reshapeNode(c, viewOf(c, s, Shape.contiguousStrides(s), c.offset));
    }

    static Tensor flatten(Tensor x, int startDim, int endDim) {
        int rank = x.shape.length;
        if (rank == 0) {
            Shape.wrapDim("flatten", startDim, rank);
            Shape.wrapDim("flatten", endDim, rank);
            return x.reshape(1);
        }
        int s = Shape.wrapDim("flatten", startDim, rank);
        int e = Shape.wrapDim("flatten", endDim, rank);
        if (s > e) {
            throw new IllegalArgumentException("flatten() has invalid args: start_dim cannot come after end_dim");
        }
        int[] ns = new int[rank - (e - s)];
        int k = 0;
        for (int i = 0; i < s; i++) {
            ns[k++] = x.shape[i];
        }
        ns[k++] = Sizes.dim("flatten", "dim " + s, Sizes.product(x.shape, s, e + 1));
        for (int i = e + 1; i < rank; i++) {
            ns[k++] = x.shape[i];
        }
        return reshape(x, ns);
    }

    static Tensor permuteRaw(Tensor x, int[] perm) {
        int[] s = new int[perm.length];
        int[] st = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            s[i] = x.shape[perm[i]];
            st[i] = x.stride[perm[i]];
        }
        return viewOf(x, s, st, x.offset);
    }

    static Tensor transposeRaw(Tensor x, int d0, int d1) {
        int[] perm = new int[x.shape.length];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = i;
        }
        perm[d0] = d1;
        perm[d1] = d0;
        return permuteRaw(x, perm);
    }

    static Tensor permute(Tensor x, int[] dims) {
        Args.nonNull("permute", "dims", dims);
        int rank = x.shape.length;
        if (dims.length != rank) {
            throw new IllegalArgumentException("permute: number of dims don't match in permute (input shape "
                    + Shape.str(x.shape) + ", dims " + Arrays.toString(dims) + ")");
        }
        int[] perm = new int[rank];
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            perm[i] = Shape.wrapDim("permute", dims[i], rank);
            if (seen[perm[i]]) {
                throw new IllegalArgumentException("permute: repeated dim in permute " + Arrays.toString(dims));
            }
            seen[perm[i]] = true;
        }
        Tensor out = permuteRaw(x, perm);
        if (Autograd.isRecording(x)) {
            int[] inv = new int[rank];
            for (int i = 0; i < rank; i++) {
                inv[perm[i]] = i;
            }
            Autograd.attach(out, new PermuteBackward0(x, inv));
        }
        return out;
    }

    static Tensor transpose(Tensor x, int dim0, int dim1) {
        int rank = x.shape.length;
        if (rank == 0) {
            Shape.wrapDim("transpose", dim0, 0);
            Shape.wrapDim("transpose", dim1, 0);
            return x;
        }
        int a = Shape.wrapDim("transpose", dim0, rank);
        int b = Shape.wrapDim("transpose", dim1, rank);
        Tensor out = transposeRaw(x, a, b);
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, new TransposeBackward0(x, a, b));
        }
        return out;
    }

    /** PyTorch's refusal of a dim-taking view op on a 0-d tensor. */
    private static void requireDims(String op, Tensor x) {
        if (x.shape.length == 0) {
            throw new IllegalArgumentException(op + ": " + op + "() cannot be applied to a 0-dim tensor.");
        }
    }

    static Tensor sliceClamped(Tensor x, int dimArg, int start, int end, int step) {
        requireDims("slice", x);
        if (step <= 0) {
            throw new IllegalArgumentException("slice: slice step must be positive, got " + step);
        }
        int dim = Shape.wrapDim("slice", dimArg, x.shape.length);
        int size = x.shape[dim];
        int s = start < 0 ? start + size : start;
        int e = end < 0 ? end + size : end;
        s = Math.max(0, Math.min(size, s));
        e = Math.max(s, Math.min(size, e));
        return slice(x, dim, s, e, step, "slice");
    }

    static Tensor slice(Tensor x, int dimArg, int start, int end, int step, String op) {
        requireDims(op, x);
        int dim = Shape.wrapDim(op, dimArg, x.shape.length);
        int size = x.shape[dim];
        if (step <= 0) {
            throw new IllegalArgumentException(op + ": slice step must be positive, got " + step);
        }
        if (start < 0 || end > size || start > end) {
            throw new IllegalArgumentException(op + ": start (" + start + ") + length (" + (end - start)
                    + ") exceeds dimension size (" + size + ") of dim " + dim + " (shape " + Shape.str(x.shape) + ")");
        }
        int[] s = x.shape.clone();
        int[] st = x.stride.clone();
        // long: end - start + step - 1 overflows int for a step near 2^31 (PyTorch: a step beyond the length
        // gives one element)
        s[dim] = (int) (((long) end - start + step - 1) / step);
        boolean empty = Shape.numel(s) == 0;
        st[dim] = steppedStride(op, x, dim, step, s[dim], empty);
        Tensor out = viewOf(x, s, st, offsetAt(op, x, dim, start, empty));
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, new SliceBackward0(x, op, dim, start, step, s, empty));
        }
        return out;
    }

    /**
     * The stride of a dim sliced with {@code step}: PyTorch's {@code stride·step}. That can exceed int only for a
     * result with at most one element along the dim, or an empty result; neither addresses a second element
     * along the dim, so it keeps the old stride (docs/SEMANTICS.md §10). Anything else is refused.
     */
    private static int steppedStride(String op, Tensor x, int dim, int step, int newSize, boolean empty) {
        long st = (long) x.stride[dim] * step;
        if (st == (int) st) {
            return (int) st;
        }
        if (newSize <= 1 || empty) {
            return x.stride[dim];
        }
        throw new IllegalArgumentException(op + ": the stride " + st + " of dim " + dim + " after slicing with step "
                + step + " exceeds the maximum " + Sizes.MAX_SIZE + " (shape " + Shape.str(x.shape) + ")");
    }

    /**
     * Storage offset of index {@code start} along {@code dim}. It can exceed int only for an empty input, whose
     * elements are never addressed: an empty result then keeps the input's offset.
     */
    private static int offsetAt(String op, Tensor x, int dim, int start, boolean empty) {
        long o = x.offset + (long) start * x.stride[dim];
        if (o != (int) o && empty) {
            return x.offset;
        }
        if (o != (int) o) {
            throw new IllegalArgumentException(op + ": the storage offset " + o + " of index " + start + " of dim "
                    + dim + " exceeds the maximum " + Sizes.MAX_SIZE + " (shape " + Shape.str(x.shape) + ")");
        }
        return (int) o;
    }

    /**
     * {@code narrow(dim, start, length)}: a negative start counts from the end; PyTorch's messages for a start
     * out of range and for {@code start + length} beyond the size (computed without overflow).
     */
    static Tensor narrow(Tensor x, int dimArg, int start, int length) {
        requireDims("narrow", x);
        int dim = Shape.wrapDim("narrow", dimArg, x.shape.length);
        int size = x.shape[dim];
        if (start < -size || start > size) {
            throw new IndexOutOfBoundsException("narrow: start out of range (expected to be in range of [" + (-size)
                    + ", " + size + "], but got " + start + ") (shape " + Shape.str(x.shape) + ")");
        }
        int s = start < 0 ? start + size : start;
        if (length < 0 || (long) s + length > size) {
            throw new IllegalArgumentException("narrow: start (" + s + ") + length (" + length
                    + ") exceeds dimension size (" + size + "). (shape " + Shape.str(x.shape) + ")");
        }
        return slice(x, dim, s, s + length, 1, "narrow");
    }

    static Tensor select(Tensor x, int dimArg, int index) {
        requireDims("select", x);
        int dim = Shape.wrapDim("select", dimArg, x.shape.length);
        int size = x.shape[dim];
        int i = index < 0 ? index + size : index;
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("select(): index " + index + " out of range for tensor of size "
                    + Shape.str(x.shape) + " at dimension " + dim);
        }
        return x.narrow(dim, i, 1).squeeze(dim);
    }

    static Tensor squeeze(Tensor x, Integer dimArg) {
        int rank = x.shape.length;
        int[] s;
        if (dimArg == null) {
            s = Arrays.stream(x.shape).filter(v -> v != 1).toArray();
        } else {
            if (rank == 0) {
                Shape.wrapDim("squeeze", dimArg, 0);
                return x;
            }
            int dim = Shape.wrapDim("squeeze", dimArg, rank);
            if (x.shape[dim] != 1) {
                return x;
            }
            s = new int[rank - 1];
            for (int i = 0, k = 0; i < rank; i++) {
                if (i != dim) {
                    s[k++] = x.shape[i];
                }
            }
        }
        return s.length == rank ? x : view(x, s, "squeeze");
    }

    static Tensor unsqueeze(Tensor x, int dimArg) {
        int rank = x.shape.length;
        int dim = Shape.wrapDim("unsqueeze", dimArg, rank + 1);
        int[] s = new int[rank + 1];
        for (int i = 0, k = 0; i <= rank; i++) {
            s[i] = i == dim ? 1 : x.shape[k++];
        }
        return view(x, s, "unsqueeze");
    }

    static Tensor expand(Tensor x, int[] sizes) {
        Args.nonNull("expand", "sizes", sizes);
        int rank = x.shape.length;
        if (sizes.length < rank) {
            throw new IllegalArgumentException("expand: the number of sizes provided (" + sizes.length + ") must be "
                    + "greater or equal to the number of dimensions in the tensor (" + rank + ")");
        }
        int lead = sizes.length - rank;
        int[] s = new int[sizes.length];
        int[] st = new int[sizes.length];
        boolean same = lead == 0;
        for (int i = 0; i < sizes.length; i++) {
            int want = sizes[i];
            if (i < lead) {
                if (want < 0) {
                    throw new IllegalArgumentException("expand: -1 is not allowed in a leading, non-existing dimension");
                }
                s[i] = want;
                st[i] = 0;
                continue;
            }
            int have = x.shape[i - lead];
            if (want == -1 || want == have) {
                s[i] = have;
                st[i] = x.stride[i - lead];
            } else if (have == 1 && want >= 0) {
                s[i] = want;
                st[i] = 0;
                same = false;
            } else {
                throw new IllegalArgumentException("expand: The expanded size of the tensor (" + want + ") must match "
                        + "the existing size (" + have + ") at non-singleton dimension " + i + ".  Target sizes: "
                        + Arrays.toString(sizes) + ".  Tensor sizes: " + Shape.str(x.shape));
            }
        }
        if (same) {
            return x;
        }
        Shape.checked("expand", s);
        Tensor out = viewOf(x, s, st, x.offset);
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, new ExpandBackward0(x));
        }
        return out;
    }

    static Tensor clone(Tensor x, String name) {
        Tensor out = x.copyDetached();
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, new CloneBackward0(name, x));
        }
        return out;
    }

    // ------------------------------------------------------------------ backward rules

    /** view/reshape's rule: the gradient reshaped to the input's shape. */
    static final class ViewBackward0 extends ViewNode {
        private final int[] inShape;

        ViewBackward0(Tensor x) {
            super("ViewBackward0", x);
            this.inShape = x.shape;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.reshape(inShape)};
        }
    }

    /** permute's rule: the gradient permuted back by the inverse permutation. */
    static final class PermuteBackward0 extends ViewNode {
        private final int[] inv;

        PermuteBackward0(Tensor x, int[] inv) {
            super("PermuteBackward0", x);
            this.inv = inv;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.permute(inv)};
        }
    }

    /** transpose's rule: the same transpose of the gradient. */
    static final class TransposeBackward0 extends ViewNode {
        private final int a;
        private final int b;

        TransposeBackward0(Tensor x, int a, int b) {
            super("TransposeBackward0", x);
            this.a = a;
            this.b = b;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.transpose(a, b)};
        }
    }

    /** slice's rule: the gradient written into the sliced positions of zeros of the input's shape. */
    static final class SliceBackward0 extends ViewNode {
        private final int[] inShape;
        private final String op;
        private final int dim;
        private final int from;
        private final int step;
        /** The slice's shape. */
        private final int[] s;
        private final boolean empty;

        SliceBackward0(Tensor x, String op, int dim, int from, int step, int[] s, boolean empty) {
            super("SliceBackward0", x);
            this.inShape = x.shape;
            this.op = op;
            this.dim = dim;
            this.from = from;
            this.step = step;
            this.s = s;
            this.empty = empty;
        }

        /**
         * {@code acc += backward(g)} without the zero-padded tensor: only the slice's window of acc (the input's
         * shape, contiguous from offset 0) is added to. The engine uses it when a gradient for the sliced tensor is
         * already pending (the pieces of a split), where the padded form would cost a full-size zero tensor and a
         * full-size addition per piece. Outside the window {@code acc + 0} is acc itself (only a −0 stays −0, as
         * PyTorch's split backward, which concatenates, keeps it).
         */
        void addWindow(Tensor acc, Tensor g) {
            if (g.numel() == 0) {
                return;
            }
            int[] dstStride = acc.stride.clone();
            dstStride[dim] = steppedStride(op, acc, dim, step, s[dim], empty);
            ElementwiseOps.addIntoView(viewOf(acc, s, dstStride, offsetAt(op, acc, dim, from, empty)), g);
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor gx = Tensor.zeros(g.dtype, inShape);
            int[] dstStride = gx.stride.clone();
            dstStride[dim] = steppedStride(op, gx, dim, step, s[dim], empty);
            Tensor dst = viewOf(gx, s, dstStride, offsetAt(op, gx, dim, from, empty));
            Strided.copy(g.storage, g.offset, s, g.stride, gx.storage, dst.offset, dst.stride);
            if (Grad.isEnabled()) {
                // createGraph (docs/SEMANTICS.md §5.12): zero-padding, whose adjoint is the slice itself
                return new Tensor[] {LinearMap.record(g, gx,
                        in -> new SliceBackwardBackward0(in, dim, from, from + (s[dim] - 1) * step + 1, step))};
            }
            return new Tensor[] {gx};
        }
    }

    /** The createGraph form of slice's zero-padding; its adjoint is the slice. */
    static final class SliceBackwardBackward0 extends LinearMap {
        private final int dim;
        private final int start;
        private final int end;
        private final int step;

        SliceBackwardBackward0(Tensor g, int dim, int start, int end, int step) {
            super("SliceBackwardBackward0", g);
            this.dim = dim;
            this.start = start;
            this.end = end;
            this.step = step;
        }

        @Override
        Tensor adjoint(Tensor gg) {
            return gg.slice(dim, start, end, step);
        }
    }

    /** expand's rule: the gradient summed over the expanded dims. */
    static final class ExpandBackward0 extends ViewNode {
        private final int[] inShape;

        ExpandBackward0(Tensor x) {
            super("ExpandBackward0", x);
            this.inShape = x.shape;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {ReduceOps.sumToShape(g, inShape)};
        }
    }

    /** clone/contiguous's rule: the identity. */
    static final class CloneBackward0 extends Node {
        CloneBackward0(String name, Tensor x) {
            super(name, x);
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g};
        }
    }
}
