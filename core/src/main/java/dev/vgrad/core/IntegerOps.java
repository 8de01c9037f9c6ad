package dev.vgrad.core;

import dev.vgrad.core.kernel.BinaryOp;
import dev.vgrad.core.kernel.UnaryOp;
import java.util.Arrays;
import java.util.function.LongBinaryOperator;
import java.util.function.LongUnaryOperator;

/**
 * Exact int64 (and bool) arithmetic, as PyTorch computes it on integer tensors (docs/SEMANTICS.md §11, §17):
 * wrapping two's-complement add, sub and mul, Python's floor division and remainder, integer scalars, and the
 * unary ops that keep an integer dtype. Nothing here is differentiable: integer tensors never require grad.
 */
final class IntegerOps {
    private IntegerOps() {}

    /**
     * add, sub, mul, maximum, minimum of two non-floating tensors in exact int64 arithmetic (wrapping as PyTorch),
     * or, when both are bool, in bool: add and maximum are or, mul and minimum are and (PyTorch's bool results);
     * div is true division in float32 (PyTorch's default dtype).
     */
    static Tensor binary(BinaryOp op, Tensor a, Tensor b, DType dt) {
        if (op == BinaryOp.DIV) {
            return ElementwiseOps.binary(op, a.toRaw(DType.FLOAT32), b.toRaw(DType.FLOAT32));
        }
        boolean bool = dt == DType.BOOL;
        LongBinaryOperator f = switch (op) {
            case ADD -> bool ? (x, y) -> x | y : (x, y) -> x + y;
            case SUB -> (x, y) -> x - y;
            case MUL -> (x, y) -> x * y;
            case MAX -> Math::max;
            case MIN -> Math::min;
            case POW -> IntegerOps::powi;
            default -> throw new IllegalArgumentException(ElementwiseOps.binaryName(op) + ": expected a floating point "
                    + "tensor, got " + a.dtype + " and " + b.dtype + " of shapes " + Shape.str(a.shape) + " and "
                    + Shape.str(b.shape));
        };
        return zip(ElementwiseOps.binaryName(op), a, b, dt, f);
    }

    /**
     * Python's floor division ({@code torch.floor_divide}) or remainder ({@code torch.remainder}, the sign of the
     * divisor) of two tensors, broadcast, in their promoted dtype. Integers: exact, and a zero divisor anywhere is
     * PyTorch's ZeroDivisionError. Floats: PyTorch's formulas (fmod, then a correction toward −∞), with IEEE
     * results for a zero divisor; remainder is differentiable, floor_divide's backward fails as PyTorch's does.
     */
    static Tensor floorDivide(Tensor a, Tensor b, boolean remainder) {
        return floorDivide(a, b, remainder, false);
    }

    /** As above; {@code scalarOther} when b stands for a Python scalar (PyTorch's node is then RemainderBackward0). */
    static Tensor floorDivide(Tensor a, Tensor b, boolean remainder, boolean scalarOther) {
        String name = remainder ? "remainder" : "floor_divide";
        Args.nonNull(name, "input", a);
        Args.nonNull(name, "other", b);
        DType rt = ElementwiseOps.resultType(a, b);
        if (rt.isFloatingPoint()) {
            return FloorDivision.floating(a, b, rt, remainder, scalarOther);
        }
        // bool operands count as 0/1 int64 here, and a bool divisor holds a zero unless all true
        int[] shape = Arrays.equals(a.shape, b.shape) ? a.shape.clone() : Shape.broadcast(name, a.shape, b.shape);
        Tensor bc = b.contiguousRaw();
        for (int i = 0, n = bc.numel(); i < n; i++) {
            if (bc.storage.l[bc.offset + i] == 0 && Shape.numel(shape) > 0) {
                throw new IllegalArgumentException(name + ": ZeroDivisionError (integer division by zero; shapes "
                        + Shape.str(a.shape) + " and " + Shape.str(b.shape) + ")");
            }
        }
        return zip(name, a, b, DType.INT64, remainder ? Math::floorMod : Math::floorDiv);
    }

    /**
     * op(a, s) with an integral scalar, PyTorch's Python int: on a floating tensor exactly as the double
     * overload with s converted once to a's dtype; on int64 or bool, exact int64 arithmetic (int64 result), with
     * div true division in float32.
     */
    static Tensor scalar(BinaryOp op, Tensor a, long s) {
        Args.nonNull(ElementwiseOps.binaryName(op), "input", a);
        if (a.dtype.isFloatingPoint()) {
            // C++ converts the int64 scalar straight to float: one rounding, not two through double
            return ElementwiseOps.binaryScalar(op, a, a.dtype == DType.FLOAT32 ? (double) (float) s : (double) s);
        }
        Tensor st = Tensor.ofLongs(new long[] {s});
        if (a.dtype == DType.BOOL) {
            ElementwiseOps.checkBoolArithmetic(op, a, st);
        }
        return binary(op, a, st, DType.INT64);
    }

    /**
     * A comparison with an integral scalar: exact as longs for an int64 or bool tensor; for a floating tensor the
     * scalar is converted once to its dtype (C++'s int64 to float), then compared as with a double scalar.
     */
    static Tensor compare(BinaryOp op, Tensor a, long s) {
        Args.nonNull(ElementwiseOps.binaryName(op), "input", a);
        if (a.dtype.isFloatingPoint()) {
            return ElementwiseOps.binaryScalar(op, a, a.dtype == DType.FLOAT32 ? (double) (float) s : (double) s);
        }
        return ElementwiseOps.binary(op, a, Tensor.ofLongs(new long[] {s}));
    }

    /**
     * this ^ e with an integral exponent, PyTorch's {@code x.pow(2)}: a floating tensor as {@link Tensor#pow(double)};
     * an int64 or bool tensor in exact int64 arithmetic (wrapping), where a negative exponent is refused as in
     * PyTorch.
     */
    static Tensor pow(Tensor a, long e) {
        Args.nonNull("pow", "input", a);
        if (a.dtype.isFloatingPoint()) {
            return a.pow((double) e);
        }
        if (e < 0) {
            throw new IllegalArgumentException("pow: Integers to negative integer powers are not allowed. (exponent "
                    + e + ", shape " + Shape.str(a.shape) + ")");
        }
        return zip("pow", a, Tensor.ofLongs(new long[] {e}), DType.INT64, IntegerOps::powi);
    }

    /**
     * clamp of an int64 or bool tensor into [lo, hi] with integral bounds, exact, as int64 (PyTorch's
     * min(max(x, lo), hi), so hi wins when lo &gt; hi).
     */
    static Tensor clamp(Tensor x, long lo, long hi) {
        Tensor xc = x.contiguousRaw();
        Tensor out = Tensor.empty(DType.INT64, x.shape.clone());
        for (int i = 0, n = out.numel(); i < n; i++) {
            out.storage.l[i] = Math.min(Math.max(xc.storage.l[xc.offset + i], lo), hi);
        }
        return out;
    }

    /**
     * c10's integer power: square-and-multiply, wrapping; a negative exponent (reachable only elementwise, from a
     * tensor of exponents) gives 1 for base 1, ±1 for base −1 and 0 otherwise.
     */
    static long powi(long a, long b) {
        if (b < 0) {
            if (a == 1) {
                return 1;
            }
            return a == -1 ? ((-b) % 2 != 0 ? -1 : 1) : 0;
        }
        long result = 1;
        while (b != 0) {
            if ((b & 1) != 0) {
                result *= a;
            }
            b /= 2;
            a *= a;
        }
        return result;
    }

    /**
     * abs, neg and relu of an int64 tensor, which stay int64 (abs and neg of Long.MIN_VALUE wrap to itself, as in
     * PyTorch); the refusals PyTorch's CPU kernels give for int64 or bool input; or null for an op that computes
     * in float32 (exp, sin, sqrt, …).
     */
    static Tensor unary(UnaryOp op, Tensor x) {
        String kernel = switch (op) {
            case LEAKY_RELU -> "leaky_relu_cpu";
            case GELU, GELU_TANH -> "GeluKernelImpl";
            case SILU -> "silu_cpu";
            case SOFTPLUS, SOFTPLUS_FULL -> "softplus_cpu";
            case ABS -> x.dtype == DType.BOOL ? "abs_cpu" : null;
            default -> null;
        };
        if (kernel != null) {
            throw new IllegalArgumentException(op.name().toLowerCase(java.util.Locale.ROOT) + ": \"" + kernel
                    + "\" not implemented for '" + LinalgOps.scalarTypeName(x.dtype) + "' (shape "
                    + Shape.str(x.shape) + ")");
        }
        LongUnaryOperator f = switch (op) {
            case ABS -> Math::abs;
            case NEG -> v -> -v;
            case RELU -> v -> Math.max(v, 0);
            default -> null;
        };
        if (f == null) {
            return null;
        }
        Tensor xc = x.contiguousRaw();
        Tensor out = Tensor.uninitialized(DType.INT64, x.shape.clone());
        long[] src = xc.storage.l;
        long[] dst = out.storage.l;
        for (int i = 0, n = out.numel(); i < n; i++) {
            dst[i] = f.applyAsLong(src[xc.offset + i]);
        }
        return out;
    }

    /** f(a, b) elementwise over the broadcast shape of two int64/bool tensors, into a new tensor of dtype dt. */
    static Tensor zip(String name, Tensor a, Tensor b, DType dt, LongBinaryOperator f) {
        int[] shape = Arrays.equals(a.shape, b.shape) ? a.shape.clone() : Shape.broadcast(name, a.shape, b.shape);
        Tensor ae = a.expand(shape);
        Tensor be = b.expand(shape);
        Tensor out = Tensor.empty(dt, shape);
        long[] al = ae.storage.l;
        long[] bl = be.storage.l;
        long[] ol = out.storage.l;
        int rank = shape.length;
        int a1 = rank == 0 ? 0 : ae.stride[rank - 1];
        int b1 = rank == 0 ? 0 : be.stride[rank - 1];
        Strided.forEachRun(shape, new int[][] {ae.stride, be.stride}, new int[] {ae.offset, be.offset}, (offs, o, len) -> {
            for (int i = 0; i < len; i++) {
                ol[o + i] = f.applyAsLong(al[offs[0] + i * a1], bl[offs[1] + i * b1]);
            }
        });
        return out;
    }
}
