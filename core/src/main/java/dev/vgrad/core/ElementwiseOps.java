package dev.vgrad.core;

import dev.vgrad.core.kernel.BinaryOp;
import dev.vgrad.core.kernel.KernelProvider;
import dev.vgrad.core.kernel.Kernels;
import dev.vgrad.core.kernel.Parallel;
import dev.vgrad.core.kernel.UnaryOp;
import java.util.Arrays;

/** Elementwise ops: unary functions, broadcasting binary ops, clamp, where, casts and in-place updates. */
final class ElementwiseOps {
    private ElementwiseOps() {}

    /** Elements per parallel chunk; fixed, so the split never depends on the thread count. */
    static final int GRAIN = 1 << 15;

    static void requireFloat(String op, Tensor t) {
        if (!t.dtype.isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": expected a floating point tensor, got " + t.dtype
                    + " of shape " + Shape.str(t.shape));
        }
    }

    private static String opName(UnaryOp op) {
        return op.name().toLowerCase(java.util.Locale.ROOT);
    }

    // ------------------------------------------------------------------ unary

    static Tensor unary(UnaryOp op, Tensor x, double alpha) {
        if (x != null && x.dtype == DType.BOOL) {
            // PyTorch's words for the two a mask user is most likely to reach for
            if (op == UnaryOp.NEG) {
                throw new IllegalArgumentException("Negation, the `-` operator, on a bool tensor is not supported. If "
                        + "you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
            }
            if (op == UnaryOp.RELU) {
                throw new IllegalArgumentException("Boolean inputs not supported for relu");
            }
        }
        if (x != null && !x.dtype.isFloatingPoint()) {
            // abs/neg/relu keep int64; the floating functions compute in float32, PyTorch's default dtype
            Tensor integral = IntegerOps.unary(op, x);
            if (integral != null) {
                return integral;
            }
            x = x.toRaw(DType.FLOAT32);
        }
        requireFloat(opName(op), x);
        Tensor xc = x.contiguousRaw();
        Tensor out = Tensor.uninitialized(x.dtype, x.shape.clone());
        unaryRaw(op, xc, out, alpha);
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, op.reads() == UnaryOp.Reads.NOTHING ? new NegBackward0(x) : new UnaryNode(op, alpha, x, out));
        }
        return out;
    }

    /** The backward of neg, −g, recorded under createGraph; like PyTorch's it saves nothing, so it can be run twice. */
    private static final class NegBackward0 extends Node {
        NegBackward0(Tensor x) {
            super("NegBackward0", x);
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.neg()};
        }
    }

    static void unaryRaw(UnaryOp op, Tensor xc, Tensor out, double alpha) {
        int n = out.numel();
        if (xc.dtype == DType.FLOAT32) {
            Kernels k = KernelProvider.kernels();
            float[] src = xc.storage.f;
            float[] dst = out.storage.f;
            int so = xc.offset;
            float a = (float) alpha;
            if (n <= GRAIN) {
                k.unary(op, src, so, dst, 0, n, a);
            } else {
                Parallel.forEachChunk(Parallel.chunks(n, GRAIN), c -> {
                    int lo = c * GRAIN;
                    k.unary(op, src, so + lo, dst, lo, Math.min(GRAIN, n - lo), a);
                });
            }
        } else {
            double[] src = xc.storage.d;
            double[] dst = out.storage.d;
            for (int i = 0; i < n; i++) {
                dst[i] = op.apply(src[xc.offset + i], alpha);
            }
        }
    }

    private static final class UnaryNode extends Node {
        private final UnaryOp op;
        private final double alpha;
        private final SavedTensor sx;
        private final SavedTensor sy;

        /**
         * Saves what PyTorch's node saves (docs/SEMANTICS.md §5.7), as {@link UnaryOp#reads()} says: the output y
         * for exp, tanh, sigmoid, sqrt and reciprocal; for relu the output too, handed to the kernel as x (y &gt; 0
         * exactly where x &gt; 0, NaN included), so modifying relu's input in place is allowed and modifying its
         * output is not; for the others the input itself (not a contiguous copy), so that modifying it in place is
         * detected.
         */
        UnaryNode(UnaryOp op, double alpha, Tensor input, Tensor out) {
            super(op.torchName(), input);
            this.op = op;
            this.alpha = alpha;
            UnaryOp.Reads reads = op.reads();
            this.sx = switch (reads) {
                case INPUT -> save(input);
                case OUTPUT_AS_INPUT -> saveOutput(out);
                case OUTPUT, NOTHING -> null;
            };
            this.sy = reads == UnaryOp.Reads.OUTPUT ? saveOutput(out) : null;
            if (sx == null && sy == null) {
                throw new IllegalArgumentException(op + ": a rule that reads nothing has its own node");
            }
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            if (Grad.isEnabled()) {
                return new Tensor[] {differentiable(g)};
            }
            Tensor x = sx != null ? sx.get().contiguousRaw() : null;
            Tensor y = sy != null ? sy.get() : null;
            Tensor ref = x != null ? x : y;
            Tensor gc = g.contiguousRaw();
            // an exclusive, dense gradient of the output's dtype is overwritten with the input's gradient
            Tensor reused = reusableGradOutput(g, ref.dtype, ref.shape);
            Tensor out = reused != null ? reused : Tensor.uninitialized(ref.dtype, ref.shape.clone());
            int n = out.numel();
            if (ref.dtype == DType.FLOAT32) {
                // rules that need x get y = x (unused) and vice versa, so one kernel signature serves all
                float[] xs = x != null ? x.storage.f : y.storage.f;
                int xo = x != null ? x.offset : y.offset;
                float[] ys = y != null ? y.storage.f : x.storage.f;
                int yo = y != null ? y.offset : x.offset;
                Kernels k = KernelProvider.kernels();
                float a = (float) alpha;
                if (n <= GRAIN) {
                    k.unaryBackward(op, xs, xo, ys, yo, gc.storage.f, gc.offset, out.storage.f, 0, n, a);
                    return new Tensor[] {out};
                }
                Parallel.forEachChunk(Parallel.chunks(n, GRAIN), c -> {
                    int lo = c * GRAIN;
                    k.unaryBackward(op, xs, xo + lo, ys, yo + lo, gc.storage.f, gc.offset + lo, out.storage.f, lo,
                            Math.min(GRAIN, n - lo), a);
                });
            } else {
                // as in float: the one saved array stands for both x and y
                double[] xs = x != null ? x.storage.d : y.storage.d;
                int xo = x != null ? x.offset : y.offset;
                double[] ys = y != null ? y.storage.d : x.storage.d;
                int yo = y != null ? y.offset : x.offset;
                for (int i = 0; i < n; i++) {
                    out.storage.d[i] = op.grad(xs[xo + i], ys[yo + i], gc.storage.d[gc.offset + i], alpha);
                }
            }
            return new Tensor[] {out};
        }

        /**
         * The rule as recorded Tensor ops, for a backward pass with {@code createGraph} (docs/SEMANTICS.md §5.12).
         * Piecewise-constant derivatives (abs, relu, leaky relu) multiply by a constant mask, as PyTorch's do.
         */
        private Tensor differentiable(Tensor g) {
            Tensor x = sx != null ? sx.get() : null;
            Tensor y = sy != null ? sy.get() : null;
            return switch (op) {
                case NEG -> g.neg();
                case EXP -> g.mul(y);
                case LOG -> g.div(x);
                case SQRT -> g.div(y.mul(2));
                case TANH -> g.mul(y.mul(y).neg().add(1));
                case SIGMOID -> g.mul(y.mul(y.neg().add(1)));
                case RECIPROCAL -> g.mul(y.mul(y)).neg();
                case ABS, RELU, LEAKY_RELU -> g.mul(constantDerivative(x));
                case SOFTPLUS_FULL -> g.mul(x.sigmoid());
                case SOFTPLUS -> g.mul(Tensor.where(x.gt(20), x.onesLike(), x.sigmoid()));
                case SILU -> {
                    Tensor sg = x.sigmoid();
                    yield g.mul(sg.mul(x.mul(sg.neg().add(1)).add(1)));
                }
                case GELU_TANH -> {
                    double c = 0.7978845608028654;
                    Tensor t = x.add(x.mul(x).mul(x).mul(0.044715)).mul(c).tanh();
                    Tensor dInner = x.mul(x).mul(3 * 0.044715).add(1).mul(c);
                    yield g.mul(t.add(1).mul(0.5).add(x.mul(0.5).mul(t.mul(t).neg().add(1)).mul(dInner)));
                }
                case GELU -> g.mul(normalCdf(x).add(x.mul(normalPdf(x))));
                case SIN -> g.mul(x.cos());
                case COS -> g.mul(x.sin()).neg();
                case ERF -> g.mul(x.mul(x).neg().exp().mul(1.1283791670955126));
                case LOG1P -> g.div(x.add(1));
                case EXPM1 -> g.mul(y.add(1));
                case RSQRT -> g.mul(y.mul(y).mul(y).mul(-0.5));
                case POW_SCALAR -> alpha == 0 ? g.mul(0)
                        : alpha == 2 ? g.mul(x.mul(2)) : g.mul(x.pow(alpha - 1).mul(alpha));
            };
        }

        /** df(x) of an op whose derivative is piecewise constant, as a tensor without history. */
        private Tensor constantDerivative(Tensor x) {
            double[] v = x.detach().toDoubleArray();
            for (int i = 0; i < v.length; i++) {
                v[i] = op.grad(v[i], v[i], 1, alpha);
            }
            return Tensor.of(v, x.shape.clone()).toRaw(x.dtype);
        }
    }

    /** φ(x), the standard normal density, as recorded ops. */
    private static Tensor normalPdf(Tensor x) {
        return x.mul(x).mul(-0.5).exp().mul(0.3989422804014327);
    }

    /** Φ(x), the standard normal distribution function, as an op whose derivative is {@link #normalPdf}. */
    private static Tensor normalCdf(Tensor x) {
        double[] d = x.detach().toDoubleArray();
        for (int i = 0; i < d.length; i++) {
            double v = d[i];
            // GELU's derivative is Φ(v) + v·φ(v)
            d[i] = UnaryOp.GELU.grad(v, 0, 1, 0) - v * Math.exp(-0.5 * v * v) * 0.3989422804014327;
        }
        Tensor out = Tensor.of(d, x.shape.clone()).toRaw(x.dtype);
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, new NormalCdfBackward(x));
        }
        return out;
    }

    /** Φ'(x) = φ(x); only GELU's double backward records Φ, so there is no PyTorch node to name it after. */
    private static final class NormalCdfBackward extends Node {
        private final SavedTensor sx;

        NormalCdfBackward(Tensor x) {
            super("NormalCdfBackward", x);
            this.sx = save(x);
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.mul(normalPdf(sx.get()))};
        }
    }

    // ------------------------------------------------------------------ casts

    static Tensor cast(Tensor x, DType target) {
        Tensor out = x.toRaw(target);
        if (target.isFloatingPoint() && Autograd.isRecording(x)) {
            Autograd.attach(out, new ToCopyBackward0(x));
        }
        return out;
    }

    /** The gradient of a cast is cast back to the source dtype. */
    private static final class ToCopyBackward0 extends Node {
        private final DType source;

        ToCopyBackward0(Tensor x) {
            super("ToCopyBackward0", x);
            this.source = x.dtype;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            // createGraph (docs/SEMANTICS.md §5.12): the cast back is itself recorded
            return new Tensor[] {Grad.isEnabled() ? g.to(source) : g.toRaw(source)};
        }
    }

    // ------------------------------------------------------------------ binary

    static String binaryName(BinaryOp op) {
        return switch (op) {
            case ADD -> "add";
            case SUB -> "sub";
            case MUL -> "mul";
            case DIV -> "div";
            case POW -> "pow";
            case MAX -> "maximum";
            case MIN -> "minimum";
            default -> op.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /**
     * PyTorch's result type of two tensor operands of the same rank class: the same dtype stays; float32 with
     * float64 is float64; a floating dtype beats int64 and bool; int64 beats bool.
     */
    /**
     * PyTorch's result type of two tensor operands: as {@link #resultType(DType, DType)}, except that a 0-d operand
     * decides only when its category (bool &lt; integer &lt; floating) is above the dimensioned operand's, as
     * {@code torch.result_type} ranks them: a float32 tensor with a 0-d float64 tensor is float32, an int64 tensor
     * with a 0-d float64 tensor is float64.
     */
    static DType resultType(Tensor a, Tensor b) {
        boolean a0 = a.shape.length == 0, b0 = b.shape.length == 0;
        if (a0 == b0) {
            return resultType(a.dtype, b.dtype);
        }
        DType dim = a0 ? b.dtype : a.dtype, zero = a0 ? a.dtype : b.dtype;
        return category(zero) > category(dim) ? zero : dim;
    }

    private static int category(DType t) {
        return t == DType.BOOL ? 0 : t.isFloatingPoint() ? 2 : 1;
    }

    static DType resultType(DType a, DType b) {
        if (a == b) {
            return a;
        }
        if (a.isFloatingPoint() && b.isFloatingPoint()) {
            return DType.FLOAT64;
        }
        if (a.isFloatingPoint()) {
            return a;
        }
        if (b.isFloatingPoint()) {
            return b;
        }
        return DType.INT64;
    }

    /**
     * PyTorch's refusal of an op its CPU kernel does not implement for bool ({@code "argmax_cpu" not implemented for
     * 'Bool'}), prefixed with vgrad's op name and followed by the shape.
     */
    static void refuseBool(String op, String torchKernel, Tensor x) {
        if (x.dtype == DType.BOOL) {
            throw new IllegalArgumentException(op + ": \"" + torchKernel + "\" not implemented for 'Bool' (shape "
                    + Shape.str(x.shape) + ")");
        }
    }

    /**
     * {@code op(a, s)} for a scalar {@code s}: computed in a's dtype (s rounded to it, as PyTorch does for a
     * wrapped number) without materialising a 0-d tensor; the backward node of add/sub/mul/div saves nothing.
     */
    static Tensor binaryScalar(BinaryOp op, Tensor a, double s) {
        String name = binaryName(op);
        boolean comparison = op.ordinal() >= BinaryOp.GT.ordinal();
        Args.nonNull(name, "input", a);
        if (comparison && !a.dtype.isFloatingPoint()) {
            return compareInt64Scalar(op, a, s);
        }
        if (comparison) {
            // computed as 0/1 in a's dtype by the float kernels, then stored as bool
            return binaryScalarRaw(op, a, s).toRaw(DType.BOOL);
        }
        if (!a.dtype.isFloatingPoint()) {
            // a Java double is PyTorch's Python float: int64 or bool with a float scalar computes in float32
            if (a.dtype == DType.BOOL) {
                checkBoolArithmetic(op, a, null);
            }
            a = a.toRaw(DType.FLOAT32);
        }
        requireFloat(name, a);
        boolean simple = op == BinaryOp.ADD || op == BinaryOp.SUB || op == BinaryOp.MUL || op == BinaryOp.DIV;
        if (!simple) {
            return binary(op, a, Tensor.scalar(a.dtype, s));
        }
        Tensor out = binaryScalarRaw(op, a, s);
        if (Autograd.isRecording(a)) {
            Autograd.attach(out, new ScalarOperandBackward(op, a, a.dtype == DType.FLOAT32 ? (float) s : s));
        }
        return out;
    }

    /** op(a, s) of a floating tensor and a scalar in a's dtype, without recording. */
    private static Tensor binaryScalarRaw(BinaryOp op, Tensor a, double s) {
        Tensor ac = a.contiguousRaw();
        Tensor out = Tensor.uninitialized(a.dtype, a.shape.clone());
        int n = out.numel();
        if (a.dtype == DType.FLOAT32) {
            Kernels k = KernelProvider.kernels();
            float[] src = ac.storage.f;
            float[] dst = out.storage.f;
            float[] sv = {(float) s};
            int so = ac.offset;
            if (n <= GRAIN) {
                k.binary(op, src, so, 1, sv, 0, 0, dst, 0, n);
            } else {
                Parallel.forEachChunk(Parallel.chunks(n, GRAIN), c -> {
                    int lo = c * GRAIN;
                    k.binary(op, src, so + lo, 1, sv, 0, 0, dst, lo, Math.min(GRAIN, n - lo));
                });
            }
        } else {
            double[] src = ac.storage.d;
            double[] dst = out.storage.d;
            int so = ac.offset;
            for (int i = 0; i < n; i++) {
                dst[i] = op.apply(src[so + i], s);
            }
        }
        return out;
    }

    /**
     * add, sub, mul or div with a scalar operand: named as PyTorch names the tensor-tensor op's node
     * (AddBackward0, SubBackward0, MulBackward0, DivBackward0), and like it saves no tensor, only the scalar.
     */
    private static final class ScalarOperandBackward extends Node {
        private final BinaryOp op;
        /** The scalar as the forward used it (rounded to float for a float32 tensor). */
        private final double s;

        ScalarOperandBackward(BinaryOp op, Tensor a, double s) {
            super(switch (op) {
                case ADD -> "AddBackward0";
                case SUB -> "SubBackward0";
                case MUL -> "MulBackward0";
                case DIV -> "DivBackward0";
                default -> throw new IllegalArgumentException(op + ": not an arithmetic op with a scalar operand");
            }, a);
            this.op = op;
            this.s = s;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {switch (op) {
                case MUL -> g.mul(s);
                case DIV -> g.div(s);
                default -> g;
            }};
        }
    }

    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        String name = binaryName(op);
        boolean isComparison = op.ordinal() >= BinaryOp.GT.ordinal();
        Args.nonNull(name, "input", a);
        Args.nonNull(name, "other", b);
        DType rt = resultType(a, b);
        if (isComparison) {
            if (!rt.isFloatingPoint()) {
                return compareInt64(op, a, b);
            }
            // an integer or bool operand against a floating one compares in the floating dtype, as PyTorch
            // promotes; the 0/1 result of the float kernels is stored as bool
            Tensor ac = a.dtype == rt ? a : a.toRaw(rt);
            Tensor bc = b.dtype == rt ? b : b.toRaw(rt);
            int[] outShape = Arrays.equals(a.shape, b.shape) ? a.shape.clone() : Shape.broadcast(name, a.shape, b.shape);
            Tensor out = Tensor.uninitialized(rt, outShape);
            binaryRaw(op, ac, bc, out);
            return out.toRaw(DType.BOOL);
        }
        if (a.dtype == DType.BOOL || b.dtype == DType.BOOL) {
            checkBoolArithmetic(op, a, b);
        }
        if (!rt.isFloatingPoint()) {
            return IntegerOps.binary(op, a, b, rt);
        }
        // an int64 or bool operand is converted to the floating dtype (it never requires grad); the node keeps the
        // operand itself, as PyTorch's does, so an in-place change to it before backward is detected
        DType dt = rt;
        Tensor ac = a.dtype == dt ? a : a.toRaw(dt);
        Tensor bc = b.dtype == dt ? b : b.toRaw(dt);
        int[] outShape = Arrays.equals(a.shape, b.shape) ? a.shape.clone() : Shape.broadcast(name, a.shape, b.shape);
        Tensor out = Tensor.uninitialized(dt, outShape);
        binaryRaw(op, ac, bc, out);
        if (Autograd.isRecording(a, b)) {
            Autograd.attach(out, new BinaryNode(op, a, b, ac, bc, out));
        }
        return out;
    }

    /** A comparison of two longs, exact at every magnitude: 1 where it holds, else 0. */
    private static long compareLong(BinaryOp op, long x, long y) {
        boolean r = switch (op) {
            case GT -> x > y;
            case GE -> x >= y;
            case LT -> x < y;
            case LE -> x <= y;
            case EQ -> x == y;
            case NE -> x != y;
            default -> throw new AssertionError(op);
        };
        return r ? 1 : 0;
    }

    /** A comparison of a long with a double, exact (no rounding of either side): 1 where it holds, else 0. */
    private static long compareLongDouble(BinaryOp op, long x, double s) {
        if (s != s) {
            return op == BinaryOp.NE ? 1 : 0;
        }
        // compare by sign of (x - s) without rounding x: split s into its floor and whether it has a fraction
        int c;
        if (s >= 0x1p63) {
            c = -1;
        } else if (s < -0x1p63) {
            c = 1;
        } else {
            double fl = Math.floor(s);
            long f = (long) fl;
            c = x != f ? Long.compare(x, f) : (fl == s ? 0 : -1);
        }
        boolean r = switch (op) {
            case GT -> c > 0;
            case GE -> c >= 0;
            case LT -> c < 0;
            case LE -> c <= 0;
            case EQ -> c == 0;
            case NE -> c != 0;
            default -> throw new AssertionError(op);
        };
        return r ? 1 : 0;
    }

    /**
     * PyTorch's refusals of bool arithmetic (texts of torch 1.13): {@code -} with a bool operand, and pow of two
     * bools. {@code b} is null for a tensor-scalar op.
     */
    static void checkBoolArithmetic(BinaryOp op, Tensor a, Tensor b) {
        if (op == BinaryOp.SUB && b != null && a.dtype == DType.BOOL && b.dtype == DType.BOOL) {
            throw new IllegalArgumentException("Subtraction, the `-` operator, with two bool tensors is not supported. "
                    + "Use the `^` or `logical_xor()` operator instead.");
        }
        if (op == BinaryOp.SUB) {
            throw new IllegalArgumentException("Subtraction, the `-` operator, with a bool tensor is not supported. "
                    + "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
        }
        if (op == BinaryOp.POW && b != null && a.dtype == DType.BOOL && b.dtype == DType.BOOL) {
            throw new IllegalArgumentException("\"pow\" not implemented for 'Bool'");
        }
    }

    /**
     * Comparison of two int64 or bool tensors (broadcast), exact at every magnitude: a bool mask
     * (docs/SEMANTICS.md §17).
     */
    private static Tensor compareInt64(BinaryOp op, Tensor a, Tensor b) {
        return IntegerOps.zip(binaryName(op), a, b, DType.BOOL, (x, y) -> compareLong(op, x, y));
    }

    /** Comparison of an int64 or bool tensor with a scalar, exact: a bool mask (docs/SEMANTICS.md §17). */
    private static Tensor compareInt64Scalar(BinaryOp op, Tensor a, double s) {
        Tensor ac = a.contiguousRaw();
        Tensor out = Tensor.empty(DType.BOOL, a.shape.clone());
        long[] src = ac.storage.l;
        long[] dst = out.storage.l;
        for (int i = 0, n = out.numel(); i < n; i++) {
            dst[i] = compareLongDouble(op, src[ac.offset + i], s);
        }
        return out;
    }

    /** out (contiguous, broadcast shape) = op(a, b). */
    static void binaryRaw(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        int[] shape = out.shape;
        int n = out.numel();
        if (n == 0) {
            return;
        }
        if (n <= GRAIN && a.dtype == DType.FLOAT32 && Arrays.equals(a.shape, shape) && Arrays.equals(b.shape, shape)
                && a.isContiguous() && b.isContiguous() && out.isContiguous()) {
            // the common case: same shape, contiguous, small: one kernel call, no stride bookkeeping
            KernelProvider.kernels().binary(op, a.storage.f, a.offset, 1, b.storage.f, b.offset, 1,
                    out.storage.f, out.offset, n);
            return;
        }
        int[] as = Shape.broadcastStrides(a.shape, a.stride, shape);
        int[] bs = Shape.broadcastStrides(b.shape, b.stride, shape);
        int[][] co = Strided.coalesce(shape, new int[][] {as, bs, out.stride});
        int[] cs = co[0];
        int[] cas = co[1];
        int[] cbs = co[2];
        int rank = cs.length;
        int inner = rank == 0 ? 1 : cs[rank - 1];
        int ai = rank == 0 ? 0 : cas[rank - 1];
        int bi = rank == 0 ? 0 : cbs[rank - 1];
        int outer = n / inner;
        if (a.dtype == DType.FLOAT32) {
            Kernels k = KernelProvider.kernels();
            float[] af = a.storage.f;
            float[] bf = b.storage.f;
            float[] of = out.storage.f;
            if (outer == 1) {
                Parallel.forEachChunk(Parallel.chunks(n, GRAIN), c -> {
                    int lo = c * GRAIN;
                    k.binary(op, af, a.offset + lo * ai, ai, bf, b.offset + lo * bi, bi, of, lo, Math.min(GRAIN, n - lo));
                });
                return;
            }
            int rowsPerChunk = Math.max(1, GRAIN / inner);
            int[] outerShape = Arrays.copyOf(cs, rank - 1);
            int[] aOuter = Arrays.copyOf(cas, rank - 1);
            int[] bOuter = Arrays.copyOf(cbs, rank - 1);
            Parallel.forEachChunk(Parallel.chunks(outer, rowsPerChunk), c -> {
                int r0 = c * rowsPerChunk;
                int r1 = Math.min(outer, r0 + rowsPerChunk);
                for (int r = r0; r < r1; r++) {
                    int ao = a.offset;
                    int bo = b.offset;
                    int rem = r;
                    for (int d = outerShape.length - 1; d >= 0; d--) {
                        int idx = rem % outerShape[d];
                        rem /= outerShape[d];
                        ao += idx * aOuter[d];
                        bo += idx * bOuter[d];
                    }
                    k.binary(op, af, ao, ai, bf, bo, bi, of, r * inner, inner);
                }
            });
        } else {
            double[] ad = a.storage.d;
            double[] bd = b.storage.d;
            double[] od = out.storage.d;
            Strided.forEachRun(cs, new int[][] {cas, cbs}, new int[] {a.offset, b.offset}, (offs, o, len) -> {
                for (int i = 0; i < len; i++) {
                    od[o + i] = op.apply(ad[offs[0] + i * ai], bd[offs[1] + i * bi]);
                }
            });
        }
    }

    private static final class BinaryNode extends Node {
        private final BinaryOp op;
        private final SavedTensor sa;
        private final SavedTensor sb;
        private final SavedTensor sout;
        private final int[] aShape;
        private final int[] bShape;
        /** The promoted dtype the forward computed in. */
        private final DType dtype;

        BinaryNode(BinaryOp op, Tensor a, Tensor b, Tensor ac, Tensor bc, Tensor out) {
            super(switch (op) {
                case ADD -> "AddBackward0";
                case SUB -> "SubBackward0";
                case MUL -> "MulBackward0";
                case DIV -> "DivBackward0";
                case POW -> "PowBackward1";
                case MAX -> "MaximumBackward0";
                default -> "MinimumBackward0";
            }, a, b);
            this.op = op;
            this.aShape = a.shape;
            this.bShape = b.shape;
            boolean needA = op == BinaryOp.MUL && needsGrad(1) || op == BinaryOp.DIV && needsGrad(1)
                    || op == BinaryOp.POW || op == BinaryOp.MAX || op == BinaryOp.MIN;
            boolean needB = op == BinaryOp.MUL && needsGrad(0) || op == BinaryOp.DIV
                    || op == BinaryOp.POW || op == BinaryOp.MAX || op == BinaryOp.MIN;
            // the inputs themselves, not their promoted copies, so that an in-place change is detected
            this.sa = needA ? save(a) : null;
            this.sb = needB ? save(b) : null;
            this.dtype = ac.dtype;
            this.sout = op == BinaryOp.POW && needsGrad(1) ? saveOutput(out) : null;
        }

        /** Saved input, converted to the dtype the forward computed in. */
        private Tensor promoted(SavedTensor s) {
            Tensor t = s.get();
            // under createGraph the promotion is recorded, so the saved input's history is kept
            return t.dtype == dtype ? t : Grad.isEnabled() ? t.to(dtype) : t.toRaw(dtype);
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor ga = null;
            Tensor gb = null;
            switch (op) {
                case ADD -> {
                    ga = g;
                    gb = g;
                }
                case SUB -> {
                    ga = g;
                    gb = needsGrad(1) ? g.neg() : null;
                }
                case MUL -> {
                    // b's gradient first: a's may then be written over a private g (a dropout or drop-path mask
                    // multiply, x * mask, then allocates nothing in backward)
                    gb = needsGrad(1) ? g.mul(promoted(sa)) : null;
                    if (needsGrad(0)) {
                        Tensor b = promoted(sb);
                        if (reusableGradOutput(g, b.dtype, aShape) != null) {
                            binaryRawInto(BinaryOp.MUL, g, b, g);
                            ga = g;
                        } else {
                            ga = g.mul(b);
                        }
                    }
                }
                case DIV -> {
                    Tensor b = promoted(sb);
                    ga = needsGrad(0) ? g.div(b) : null;
                    gb = needsGrad(1) ? g.mul(promoted(sa)).div(b.mul(b)).neg() : null;
                }
                case POW -> {
                    Tensor a = promoted(sa);
                    Tensor b = promoted(sb);
                    if (needsGrad(0)) {
                        // d/da a^b = b·a^(b-1), defined as 0 where b == 0
                        Tensor d = b.mul(a.pow(b.sub(1)));
                        ga = g.mul(Tensor.where(b.eq(0), b.zerosLike(), d));
                    }
                    if (needsGrad(1)) {
                        // d/db a^b = a^b·log(a), defined as 0 where a == 0 and b >= 0
                        Tensor d = sout.get().mul(a.log());
                        gb = g.mul(Tensor.where(a.eq(0).mul(b.ge(Tensor.scalar(b.dtype, 0))), d.zerosLike(), d));
                    }
                }
                case MAX, MIN -> {
                    // PyTorch: where(a == b, g/2, g) masked to 0 where the other operand wins, so a NaN
                    // comparison (never "wins") passes the full gradient to both operands
                    Tensor a = promoted(sa);
                    Tensor b = promoted(sb);
                    Tensor half = g.mul(0.5);
                    Tensor tie = a.eq(b);
                    Tensor aLoses = op == BinaryOp.MAX ? a.lt(b) : a.gt(b);
                    Tensor bLoses = op == BinaryOp.MAX ? b.lt(a) : b.gt(a);
                    if (needsGrad(0)) {
                        ga = g.sub(g.mul(aLoses)).sub(half.mul(tie));
                    }
                    if (needsGrad(1)) {
                        gb = g.sub(g.mul(bLoses)).sub(half.mul(tie));
                    }
                }
                default -> throw new AssertionError(op);
            }
            return new Tensor[] {
                ga == null || !needsGrad(0) ? null : ReduceOps.sumToShape(ga, aShape),
                gb == null || !needsGrad(1) ? null : ReduceOps.sumToShape(gb, bShape)
            };
        }
    }

    // ------------------------------------------------------------------ clamp and where

    static Tensor clamp(Tensor x, double min, double max) {
        Args.nonNull("clamp", "input", x);
        if (!x.dtype.isFloatingPoint()) {
            // double bounds are Python floats: an int64 or bool tensor is clamped in float32
            x = x.toRaw(DType.FLOAT32);
        }
        if (Double.isNaN(min) && Double.isNaN(max)) {
            throw new IllegalArgumentException("clamp: At least one of 'min' or 'max' must not be None");
        }
        double lo = Double.isNaN(min) ? Double.NEGATIVE_INFINITY : min;
        double hi = Double.isNaN(max) ? Double.POSITIVE_INFINITY : max;
        Tensor xc = x.contiguousRaw();
        Tensor out = Tensor.uninitialized(x.dtype, x.shape.clone());
        int n = out.numel();
        if (x.dtype == DType.FLOAT32) {
            KernelProvider.kernels().clamp(xc.storage.f, xc.offset, out.storage.f, 0, n, (float) lo, (float) hi);
        } else {
            for (int i = 0; i < n; i++) {
                double v = xc.storage.d[xc.offset + i];
                out.storage.d[i] = v != v ? v : Math.min(Math.max(v, lo), hi);
            }
        }
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, new ClampBackward1(x, lo, hi));
        }
        return out;
    }

    /** The gradient passes where lo ≤ x ≤ hi (both bounds inclusive, as in PyTorch) and is 0 elsewhere. */
    private static final class ClampBackward1 extends Node {
        private final SavedTensor sx;
        private final double lo;
        private final double hi;

        ClampBackward1(Tensor x, double lo, double hi) {
            super("ClampBackward1", x);
            this.sx = save(x);
            this.lo = lo;
            this.hi = hi;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor xs = sx.get();
            Tensor mask = xs.ge(Tensor.scalar(xs.dtype, lo)).mul(xs.le(Tensor.scalar(xs.dtype, hi)));
            return new Tensor[] {g.mul(mask)};
        }
    }

    /**
     * sign(x) = (0 &lt; x) − (x &lt; 0), PyTorch's formula: so ±0 and NaN give +0. Keeps the dtype (bool stays bool);
     * the gradient is zero (node {@code SignBackward0}, which saves nothing).
     */
    static Tensor sign(Tensor x) {
        Args.nonNull("sign", "input", x);
        Tensor xc = x.contiguousRaw();
        Tensor out = Tensor.empty(x.dtype, x.shape.clone());
        int n = out.numel();
        Storage s = xc.storage;
        Storage o = out.storage;
        for (int i = 0; i < n; i++) {
            int k = xc.offset + i;
            if (s.l != null) {
                o.l[i] = Long.signum(s.l[k]);
            } else if (s.f != null) {
                o.f[i] = (0 < s.f[k] ? 1 : 0) - (s.f[k] < 0 ? 1 : 0);
            } else {
                o.d[i] = (0 < s.d[k] ? 1 : 0) - (s.d[k] < 0 ? 1 : 0);
            }
        }
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, new SignBackward0(x));
        }
        return out;
    }

    /** sign is piecewise constant: its gradient is zero everywhere (PyTorch's, also at 0). */
    private static final class SignBackward0 extends Node {
        SignBackward0(Tensor x) {
            super("SignBackward0", x);
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.zerosLike()};
        }
    }

    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        Args.nonNull("where", "condition", cond);
        Args.nonNull("where", "input", a);
        Args.nonNull("where", "other", b);
        if (cond.dtype != DType.BOOL) {
            throw new IllegalArgumentException("where expected condition to be a boolean tensor, but got a tensor with "
                    + "dtype " + LinalgOps.scalarTypeName(cond.dtype) + " (shape " + Shape.str(cond.shape)
                    + "; compare first, e.g. x.ne(0))");
        }
        DType dt = resultType(a, b);
        int[] shape = Shape.broadcast("where", Shape.broadcast("where", cond.shape, a.shape), b.shape);
        Tensor ce = cond.expand(shape);
        Tensor ae = (a.dtype == dt ? a : a.toRaw(dt)).expand(shape);
        Tensor be = (b.dtype == dt ? b : b.toRaw(dt)).expand(shape);
        Tensor out = Tensor.empty(dt, shape);
        Storage cs = ce.storage;
        Storage as = ae.storage;
        Storage bs = be.storage;
        Strided.forEachRun(shape, new int[][] {ce.stride, ae.stride, be.stride}, new int[] {ce.offset, ae.offset, be.offset},
                (offs, o, len) -> {
                    int rank = shape.length;
                    int c1 = rank == 0 ? 0 : ce.stride[rank - 1];
                    int a1 = rank == 0 ? 0 : ae.stride[rank - 1];
                    int b1 = rank == 0 ? 0 : be.stride[rank - 1];
                    for (int i = 0; i < len; i++) {
                        boolean c = cs.l[offs[0] + i * c1] != 0;
                        out.storage.set(o + i, c ? as.get(offs[1] + i * a1) : bs.get(offs[2] + i * b1));
                    }
                });
        if (dt.isFloatingPoint() && Autograd.isRecording(a, b)) {
            Autograd.attach(out, new WhereBackward0(cond, a, b));
        }
        return out;
    }

    /** g goes to a where the condition holds and to b elsewhere, each summed back to its operand's shape. */
    private static final class WhereBackward0 extends Node {
        private final SavedTensor sc;
        private final int[] aShape;
        private final int[] bShape;

        WhereBackward0(Tensor cond, Tensor a, Tensor b) {
            super("WhereBackward0", cond.detach(), a, b);
            // the condition decides where each gradient goes: an in-place change to it must fail backward
            this.sc = save(input(0));
            this.aShape = a.shape;
            this.bShape = b.shape;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor condC = sc.get();
            Tensor zero = g.zerosLike();
            return new Tensor[] {
                null,
                needsGrad(1) ? ReduceOps.sumToShape(where(condC, g, zero), aShape) : null,
                needsGrad(2) ? ReduceOps.sumToShape(where(condC, zero, g), bShape) : null
            };
        }
    }

    // ------------------------------------------------------------------ masks and triangles

    /** The C type name PyTorch prints for a dtype (its TypeMeta name), as in its mask and bias dtype errors. */
    static String cTypeName(DType d) {
        return switch (d) {
            case FLOAT32 -> "float";
            case FLOAT64 -> "double";
            case INT64 -> "long int";
            case BOOL -> "bool";
        };
    }

    /**
     * {@code x} with {@code value} wherever the bool {@code mask} is true (docs/SEMANTICS.md §17). The mask
     * broadcasts to x's shape, never the other way; the gradient passes where the mask is false.
     */
    static Tensor maskedFill(Tensor x, Tensor mask, double value) {
        Args.nonNull("masked_fill", "input", x);
        Args.nonNull("masked_fill", "mask", mask);
        if (mask.dtype != DType.BOOL) {
            // torch 2.x's text; torch 1.13 silently accepts other mask dtypes (and ignores a float mask)
            throw new IllegalArgumentException("masked_fill_ only supports boolean masks, but got mask with dtype "
                    + cTypeName(mask.dtype) + " (shape " + Shape.str(mask.shape) + "; compare first, e.g. m.ne(0))");
        }
        int[] bshape = Shape.broadcast("masked_fill", x.shape, mask.shape);
        if (!Arrays.equals(bshape, x.shape)) {
            throw new IllegalArgumentException("masked_fill: the mask of shape " + Shape.str(mask.shape)
                    + " cannot be broadcast to the input's shape " + Shape.str(x.shape) + " (broadcast shape "
                    + Shape.str(bshape) + ")");
        }
        if (x.dtype == DType.INT64 && value != Math.rint(value)) {
            throw new IllegalArgumentException("masked_fill: value " + value + " cannot be converted to type int64"
                    + " without overflow");
        }
        Tensor out = x.toRaw(x.dtype);
        Tensor me = mask.expand(x.shape);
        Storage ms = me.storage;
        int rank = x.shape.length;
        int m1 = rank == 0 ? 0 : me.stride[rank - 1];
        Strided.forEachRun(x.shape, new int[][] {me.stride}, new int[] {me.offset}, (offs, o, len) -> {
            for (int i = 0; i < len; i++) {
                if (ms.l[offs[0] + i * m1] != 0) {
                    out.storage.set(o + i, value);
                }
            }
        });
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, new MaskedFillBackward0(x, mask));
        }
        return out;
    }

    /** The gradient is g with zeros where the mask held (the filled positions did not depend on x). */
    private static final class MaskedFillBackward0 extends Node {
        private final SavedTensor sm;

        MaskedFillBackward0(Tensor x, Tensor mask) {
            super("MaskedFillBackward0", x);
            this.sm = save(mask.detach());
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {maskedFill(g, sm.get(), 0)};
        }
    }

    /**
     * The lower ({@code lower}) or upper triangle of the last two dims: element (i, j) is kept when j − i ≤ k
     * (tril) or j − i ≥ k (triu), else set to 0 (a NaN outside the triangle becomes 0, as in PyTorch).
     */
    static Tensor triangle(Tensor x, int k, boolean lower) {
        String op = lower ? "tril" : "triu";
        Args.nonNull(op, "input", x);
        if (x.shape.length < 2) {
            // PyTorch's wording: the dim -2 it looks for is out of range
            int r = Math.max(1, x.shape.length);
            throw new IllegalArgumentException(op + ": Dimension out of range (expected to be in range of [" + -r + ", "
                    + (r - 1) + "], but got -2): input tensor must have at least 2 dimensions, got shape "
                    + Shape.str(x.shape));
        }
        Tensor out = x.toRaw(x.dtype);
        int rank = x.shape.length;
        int rows = x.shape[rank - 2];
        int cols = x.shape[rank - 1];
        int mats = rows * cols == 0 ? 0 : out.numel() / (rows * cols);
        for (int b = 0; b < mats; b++) {
            for (int i = 0; i < rows; i++) {
                int base = (b * rows + i) * cols;
                for (int j = 0; j < cols; j++) {
                    long d = (long) j - i;
                    if (lower ? d > k : d < k) {
                        out.storage.set(base + j, 0);
                    }
                }
            }
        }
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, new TriangleBackward(x, k, lower));
        }
        return out;
    }

    /** tril's gradient is tril(g), triu's triu(g): the same mask, and recorded under createGraph. */
    private static final class TriangleBackward extends Node {
        private final int k;
        private final boolean lower;

        TriangleBackward(Tensor x, int k, boolean lower) {
            super(lower ? "TrilBackward0" : "TriuBackward0", x);
            this.k = k;
            this.lower = lower;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {triangle(g, k, lower)};
        }
    }

    // ------------------------------------------------------------------ in-place

    /** self = op(self, other), broadcasting other into self's shape; records history on non-leaves. */
    static Tensor inPlace(BinaryOp op, Tensor self, Tensor other) {
        String name = binaryName(op) + "_";
        Args.nonNull(name, "other", other);
        self.checkInPlace(name);
        self.checkNoPartialOverlap(name, other);
        if (self.dtype == DType.INT64) {
            return inPlaceInt64(name, op, self, other);
        }
        if (self.dtype == DType.BOOL) {
            return inPlaceBool(name, op, self, other);
        }
        requireFloat(name, self);
        if (!other.dtype.isFloatingPoint()) {
            // an int64 or bool operand acts as a constant of self's dtype (PyTorch's promotion); it never requires grad
            if (other.dtype == DType.BOOL) {
                checkBoolArithmetic(op, other, null);
            }
            other = other.toRaw(self.dtype);
        }
        requireFloat(name, other);
        int[] shape = Shape.broadcast(name, self.shape, other.shape);
        if (!Arrays.equals(shape, self.shape)) {
            throw new IllegalArgumentException(name + ": output with shape " + Shape.str(self.shape)
                    + " doesn't match the broadcast shape " + Shape.str(shape));
        }
        if (Autograd.isRecording(self, other)) {
            if (self.gradFn() instanceof ShapeOps.ViewNode) {
                throw new IllegalStateException(name + ": in-place modification of a view of a tensor that requires "
                        + "grad is not supported; use the out-of-place op, or clone() first");
            }
            Tensor original = self.cloneTensor();
            Tensor result = binary(op, original, other);
            Strided.copy(result.storage, 0, shape, result.stride, self.storage, self.offset, self.stride);
            self.storage.version++;
            self.rebaseHistory(result.gradFn());
            return self;
        }
        Tensor o = other.dtype == self.dtype ? other : other.toRaw(self.dtype);
        if (self.isContiguous()) {
            binaryRawInto(op, self, o, self);
        } else {
            Tensor tmp = Tensor.empty(self.dtype, self.shape.clone());
            binaryRaw(op, self, o, tmp);
            Strided.copy(tmp.storage, 0, shape, tmp.stride, self.storage, self.offset, self.stride);
        }
        self.storage.version++;
        return self;
    }

    /**
     * In-place arithmetic on a bool tensor, as PyTorch allows it: only with a bool operand (the result must stay
     * bool), add and maximum as or, mul and minimum as and; sub is refused with PyTorch's text.
     */
    private static Tensor inPlaceBool(String name, BinaryOp op, Tensor self, Tensor other) {
        checkBoolArithmetic(op, self, other);
        if (other.dtype != DType.BOOL) {
            throw new IllegalArgumentException(name + ": result type " + LinalgOps.scalarTypeName(other.dtype)
                    + " can't be cast to the desired output type Bool");
        }
        int[] shape = Shape.broadcast(name, self.shape, other.shape);
        if (!Arrays.equals(shape, self.shape)) {
            throw new IllegalArgumentException(name + ": output with shape " + Shape.str(self.shape)
                    + " doesn't match the broadcast shape " + Shape.str(shape));
        }
        Tensor r = IntegerOps.binary(op, self, other, DType.BOOL);
        Strided.copy(r.storage, 0, shape, r.stride, self.storage, self.offset, self.stride);
        self.storage.version++;
        return self;
    }

    /**
     * add, sub and mul into an int64 tensor with exact int64 arithmetic ({@code num_batches_tracked.add_(1)}). As in
     * PyTorch, the result type must stay int64: a floating operand (whatever its values) and div (true division,
     * a float result) are refused.
     */
    private static Tensor inPlaceInt64(String name, BinaryOp op, Tensor self, Tensor other) {
        if (other.dtype.isFloatingPoint() || op == BinaryOp.DIV) {
            DType result = other.dtype.isFloatingPoint() ? other.dtype : DType.FLOAT32;
            throw new IllegalArgumentException(name + ": result type " + LinalgOps.scalarTypeName(result)
                    + " can't be cast to the desired output type Long (shapes " + Shape.str(self.shape) + " and "
                    + Shape.str(other.shape) + ")");
        }
        if (other.dtype == DType.BOOL) {
            checkBoolArithmetic(op, other, null);
        }
        if (op != BinaryOp.ADD && op != BinaryOp.SUB && op != BinaryOp.MUL) {
            throw new IllegalArgumentException(name + ": not supported for int64 tensors (shape " + Shape.str(self.shape) + ")");
        }
        int[] shape = Shape.broadcast(name, self.shape, other.shape);
        if (!Arrays.equals(shape, self.shape)) {
            throw new IllegalArgumentException(name + ": output with shape " + Shape.str(self.shape)
                    + " doesn't match the broadcast shape " + Shape.str(shape));
        }
        Tensor o = other.expand(shape);
        int[] idx = new int[shape.length];
        for (int i = 0, n = self.numel(); i < n; i++) {
            int so = self.offset;
            int oo = o.offset;
            for (int d = 0; d < shape.length; d++) {
                so += idx[d] * self.stride[d];
                oo += idx[d] * o.stride[d];
            }
            long a = self.storage.l[so];
            long b = o.storage.l != null ? o.storage.l[oo] : (long) o.storage.get(oo);
            self.storage.l[so] = switch (op) {
                case ADD -> a + b;
                case SUB -> a - b;
                default -> a * b;
            };
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        self.storage.version++;
        return self;
    }

    /** op(a, b) written into a contiguous destination that may alias a. */
    private static void binaryRawInto(BinaryOp op, Tensor a, Tensor b, Tensor dst) {
        if (dst.offset == 0) {
            binaryRaw(op, a, b, dst);
        } else {
            Tensor tmp = Tensor.empty(dst.dtype, dst.shape.clone());
            binaryRaw(op, a, b, tmp);
            Strided.copy(tmp.storage, 0, dst.shape, tmp.stride, dst.storage, dst.offset, dst.stride);
        }
    }

    // ------------------------------------------------------------------ logical ops

    /** Which logical binary op: and, or, xor. */
    enum Logical { AND, OR, XOR }

    /** True where x is zero (NaN is nonzero, so false): any dtype in, bool out, never differentiable. */
    static Tensor logicalNot(Tensor x) {
        Args.nonNull("logical_not", "input", x);
        Tensor out = Tensor.empty(DType.BOOL, x.shape.clone());
        Storage xs = x.storage;
        long[] ol = out.storage.l;
        int rank = x.shape.length;
        int x1 = rank == 0 ? 0 : x.stride[rank - 1];
        Strided.forEachRun(x.shape, new int[][] {x.stride}, new int[] {x.offset}, (offs, o, len) -> {
            for (int i = 0; i < len; i++) {
                ol[o + i] = xs.get(offs[0] + i * x1) == 0 ? 1 : 0;
            }
        });
        return out;
    }

    /** op(a ≠ 0, b ≠ 0) elementwise with broadcasting: any dtypes in, bool out, never differentiable. */
    static Tensor logical(Logical op, Tensor a, Tensor b) {
        String name = "logical_" + op.name().toLowerCase(java.util.Locale.ROOT);
        Args.nonNull(name, "input", a);
        Args.nonNull(name, "other", b);
        int[] shape = Arrays.equals(a.shape, b.shape) ? a.shape.clone() : Shape.broadcast(name, a.shape, b.shape);
        Tensor ae = a.expand(shape);
        Tensor be = b.expand(shape);
        Tensor out = Tensor.empty(DType.BOOL, shape);
        Storage as = ae.storage;
        Storage bs = be.storage;
        long[] ol = out.storage.l;
        int rank = shape.length;
        int a1 = rank == 0 ? 0 : ae.stride[rank - 1];
        int b1 = rank == 0 ? 0 : be.stride[rank - 1];
        Strided.forEachRun(shape, new int[][] {ae.stride, be.stride}, new int[] {ae.offset, be.offset}, (offs, o, len) -> {
            for (int i = 0; i < len; i++) {
                boolean x = as.get(offs[0] + i * a1) != 0;
                boolean y = bs.get(offs[1] + i * b1) != 0;
                boolean r = switch (op) {
                    case AND -> x & y;
                    case OR -> x | y;
                    case XOR -> x ^ y;
                };
                ol[o + i] = r ? 1 : 0;
            }
        });
        return out;
    }

    /**
     * {@code dst += src} in place for a dst of any strides (a window of a larger buffer), src of dst's shape and
     * dtype: one kernel call per contiguous run, no temporary. Each element is {@code dst + src}, one rounding,
     * as {@link #addInto}.
     */
    static void addIntoView(Tensor dst, Tensor src) {
        int[][] co = Strided.coalesce(dst.shape, new int[][] {dst.stride, src.stride});
        int[] cs = co[0];
        int rank = cs.length;
        boolean unit = rank > 0 && co[1][rank - 1] == 1 && co[2][rank - 1] == 1;
        if (dst.dtype != DType.FLOAT32 || src.dtype != DType.FLOAT32 || !unit) {
            addInto(dst, src);
            return;
        }
        Kernels k = KernelProvider.kernels();
        float[] d = dst.storage.f;
        float[] sf = src.storage.f;
        Strided.forEachRun(cs, new int[][] {co[1], co[2]}, new int[] {dst.offset, src.offset},
                (offs, o, len) -> k.binary(BinaryOp.ADD, d, offs[0], 1, sf, offs[1], 1, d, offs[0], len));
        dst.storage.version++;
    }

    /** dst += src in place without recording or version checks (gradient accumulation). */
    static void addInto(Tensor dst, Tensor src) {
        Tensor s = src.dtype == dst.dtype ? src : src.toRaw(dst.dtype);
        if (dst.isContiguous() && dst.offset == 0) {
            binaryRaw(BinaryOp.ADD, dst, s, dst);
        } else {
            Tensor tmp = Tensor.empty(dst.dtype, dst.shape.clone());
            binaryRaw(BinaryOp.ADD, dst, s, tmp);
            Strided.copy(tmp.storage, 0, dst.shape, tmp.stride, dst.storage, dst.offset, dst.stride);
        }
        dst.storage.version++;
    }
}
