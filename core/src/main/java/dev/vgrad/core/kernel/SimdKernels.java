package dev.vgrad.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels. IEEE-exact operations (add, sub, mul, div, min, max, sqrt, abs, neg, relu, fma,
 * comparisons, and the blocked sum/dot) return bit-identical results to {@link ScalarKernels}; transcendental
 * functions (exp, log, tanh, sigmoid) use the Vector API's intrinsics and agree within a few ulps.
 * Operations without a vector form fall back to the inherited scalar loops.
 */
final class SimdKernels extends ScalarKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    SimdKernels() {
        if (SUM_LANES % L != 0 && L % SUM_LANES != 0) {
            throw new IllegalStateException("unsupported vector length " + L);
        }
    }

    private static final FloatVector ZERO = FloatVector.zero(S);

    /**
     * One loop per op, with the op chosen outside the loop: a vector-valued helper taking the op as an
     * argument is too large to inline, and C2 then boxes every vector instead of keeping it in a register.
     * MAX/MIN follow Math.max/min (NaN propagates), like the scalar kernels.
     */
    @Override
    public void binary(BinaryOp op, float[] a, int aOff, int aStride, float[] b, int bOff, int bStride,
                       float[] out, int outOff, int n) {
        int i;
        if (aStride == 1 && bStride == 1) {
            i = switch (op) {
                case ADD -> vvAdd(a, aOff, b, bOff, out, outOff, n);
                case SUB -> vvSub(a, aOff, b, bOff, out, outOff, n);
                case MUL -> vvMul(a, aOff, b, bOff, out, outOff, n);
                case DIV -> vvDiv(a, aOff, b, bOff, out, outOff, n);
                case MAX -> vvMax(a, aOff, b, bOff, out, outOff, n);
                case MIN -> vvMin(a, aOff, b, bOff, out, outOff, n);
                case GT -> vvGt(a, aOff, b, bOff, out, outOff, n);
                case GE -> vvGe(a, aOff, b, bOff, out, outOff, n);
                case LT -> vvLt(a, aOff, b, bOff, out, outOff, n);
                case LE -> vvLe(a, aOff, b, bOff, out, outOff, n);
                case EQ -> vvEq(a, aOff, b, bOff, out, outOff, n);
                case NE -> vvNe(a, aOff, b, bOff, out, outOff, n);
                default -> 0;
            };
        } else if (aStride == 1 && bStride == 0) {
            i = vectorScalar(op, a, aOff, b[bOff], out, outOff, n);
        } else if (aStride == 0 && bStride == 1 && (op == BinaryOp.ADD || op == BinaryOp.MUL || op == BinaryOp.MAX
                || op == BinaryOp.MIN || op == BinaryOp.EQ || op == BinaryOp.NE)) {
            i = vectorScalar(op, b, bOff, a[aOff], out, outOff, n);
            if (i < n) {
                super.binary(op, a, aOff, 0, b, bOff + i, 1, out, outOff + i, n - i);
            }
            return;
        } else {
            i = 0;
        }
        if (i < n) {
            super.binary(op, a, aOff + i * aStride, aStride, b, bOff + i * bStride, bStride, out, outOff + i, n - i);
        }
    }

    /** op(a[i], s) for the vectorisable prefix; returns how many elements were written. */
    private static int vectorScalar(BinaryOp op, float[] a, int aOff, float s, float[] out, int outOff, int n) {
        return switch (op) {
            case ADD -> vsAdd(a, aOff, s, out, outOff, n);
            case SUB -> vsSub(a, aOff, s, out, outOff, n);
            case MUL -> vsMul(a, aOff, s, out, outOff, n);
            case DIV -> vsDiv(a, aOff, s, out, outOff, n);
            case MAX -> vsMax(a, aOff, s, out, outOff, n);
            case MIN -> vsMin(a, aOff, s, out, outOff, n);
            case GT -> vsGt(a, aOff, s, out, outOff, n);
            case GE -> vsGe(a, aOff, s, out, outOff, n);
            case LT -> vsLt(a, aOff, s, out, outOff, n);
            case LE -> vsLe(a, aOff, s, out, outOff, n);
            case EQ -> vsEq(a, aOff, s, out, outOff, n);
            case NE -> vsNe(a, aOff, s, out, outOff, n);
            default -> 0;
        };
    }

    private static int vvAdd(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            FloatVector y = FloatVector.fromArray(S, b, bOff + i);
            x.add(y).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vsAdd(float[] a, int aOff, float s, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        FloatVector y = FloatVector.broadcast(S, s);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            x.add(y).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vvSub(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            FloatVector y = FloatVector.fromArray(S, b, bOff + i);
            x.sub(y).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vsSub(float[] a, int aOff, float s, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        FloatVector y = FloatVector.broadcast(S, s);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            x.sub(y).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vvMul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            FloatVector y = FloatVector.fromArray(S, b, bOff + i);
            x.mul(y).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vsMul(float[] a, int aOff, float s, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        FloatVector y = FloatVector.broadcast(S, s);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            x.mul(y).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vvDiv(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            FloatVector y = FloatVector.fromArray(S, b, bOff + i);
            x.div(y).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vsDiv(float[] a, int aOff, float s, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        FloatVector y = FloatVector.broadcast(S, s);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            x.div(y).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vvMax(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            FloatVector y = FloatVector.fromArray(S, b, bOff + i);
            x.max(y).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vsMax(float[] a, int aOff, float s, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        FloatVector y = FloatVector.broadcast(S, s);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            x.max(y).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vvMin(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            FloatVector y = FloatVector.fromArray(S, b, bOff + i);
            x.min(y).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vsMin(float[] a, int aOff, float s, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        FloatVector y = FloatVector.broadcast(S, s);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            x.min(y).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vvGt(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            FloatVector y = FloatVector.fromArray(S, b, bOff + i);
            ZERO.blend(1f, x.compare(VectorOperators.GT, y)).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vsGt(float[] a, int aOff, float s, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        FloatVector y = FloatVector.broadcast(S, s);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            ZERO.blend(1f, x.compare(VectorOperators.GT, y)).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vvGe(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            FloatVector y = FloatVector.fromArray(S, b, bOff + i);
            ZERO.blend(1f, x.compare(VectorOperators.GE, y)).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vsGe(float[] a, int aOff, float s, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        FloatVector y = FloatVector.broadcast(S, s);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            ZERO.blend(1f, x.compare(VectorOperators.GE, y)).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vvLt(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            FloatVector y = FloatVector.fromArray(S, b, bOff + i);
            ZERO.blend(1f, x.compare(VectorOperators.LT, y)).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vsLt(float[] a, int aOff, float s, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        FloatVector y = FloatVector.broadcast(S, s);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            ZERO.blend(1f, x.compare(VectorOperators.LT, y)).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vvLe(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            FloatVector y = FloatVector.fromArray(S, b, bOff + i);
            ZERO.blend(1f, x.compare(VectorOperators.LE, y)).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vsLe(float[] a, int aOff, float s, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        FloatVector y = FloatVector.broadcast(S, s);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            ZERO.blend(1f, x.compare(VectorOperators.LE, y)).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vvEq(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            FloatVector y = FloatVector.fromArray(S, b, bOff + i);
            ZERO.blend(1f, x.compare(VectorOperators.EQ, y)).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vsEq(float[] a, int aOff, float s, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        FloatVector y = FloatVector.broadcast(S, s);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            ZERO.blend(1f, x.compare(VectorOperators.EQ, y)).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vvNe(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            FloatVector y = FloatVector.fromArray(S, b, bOff + i);
            ZERO.blend(1f, x.compare(VectorOperators.NE, y)).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int vsNe(float[] a, int aOff, float s, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        FloatVector y = FloatVector.broadcast(S, s);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            ZERO.blend(1f, x.compare(VectorOperators.NE, y)).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    /**
     * As in {@link #binary}, one loop per op: the Vector API intrinsifies a lanewise operator only when it is a
     * compile-time constant. RELU's blend keeps NaN (the comparison is false for NaN), like the scalar rule;
     * SIGMOID is 1/(1+e^-x), whose e^-x overflows to inf for large negative x and gives 0, as required.
     * The loops built on {@link VectorMath} (within a few ulps of the scalar kernels, not bit-identical) run their
     * tail as a masked vector, not through the scalar loop: otherwise an element's bits would depend on whether
     * it falls in the tail, so on the batch size and on the thread split (docs/SEMANTICS.md §12.1, §12.3).
     */
    @Override
    public void unary(UnaryOp op, float[] x, int xOff, float[] out, int outOff, int n, float alpha) {
        // exhaustive (no default): a new loop kind must say here whether it has a vector form
        int i = switch (op.forwardLoop()) {
            case EXP -> uExp(x, xOff, out, outOff, n, alpha);
            case LOG -> uLog(x, xOff, out, outOff, n, alpha);
            case TANH -> uTanh(x, xOff, out, outOff, n, alpha);
            case SQRT -> uSqrt(x, xOff, out, outOff, n, alpha);
            case ABS -> uAbs(x, xOff, out, outOff, n, alpha);
            case NEG -> uNeg(x, xOff, out, outOff, n, alpha);
            case RELU -> uRelu(x, xOff, out, outOff, n, alpha);
            case LEAKY_RELU -> uLeakyRelu(x, xOff, out, outOff, n, alpha);
            case SIGMOID -> uSigmoid(x, xOff, out, outOff, n, alpha);
            case GELU -> uGelu(x, xOff, out, outOff, n);
            // no vector form: reciprocal and pow keep the scalar loop's exact division/pow; the rest call erf/exp
            case RECIPROCAL, POW_SCALAR, PER_ELEMENT -> 0;
        };
        if (i < n) {
            super.unary(op, x, xOff + i, out, outOff + i, n - i, alpha);
        }
    }

    private static int uExp(float[] x, int xOff, float[] out, int outOff, int n, float alpha) {
        int i = 0;
        for (; i < S.loopBound(n); i += L) {
            VectorMath.exp(FloatVector.fromArray(S, x, xOff + i)).intoArray(out, outOff + i);
        }
        if (i < n) { // masked, not scalar: an element's bits must not depend on its position (see unary)
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMath.exp(FloatVector.fromArray(S, x, xOff + i, m)).intoArray(out, outOff + i, m);
        }
        return n;
    }

    private static int uLog(float[] x, int xOff, float[] out, int outOff, int n, float alpha) {
        int i = 0;
        for (; i < S.loopBound(n); i += L) {
            VectorMath.log(FloatVector.fromArray(S, x, xOff + i)).intoArray(out, outOff + i);
        }
        if (i < n) { // masked, not scalar: an element's bits must not depend on its position (see unary)
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMath.log(FloatVector.fromArray(S, x, xOff + i, m)).intoArray(out, outOff + i, m);
        }
        return n;
    }

    private static int uTanh(float[] x, int xOff, float[] out, int outOff, int n, float alpha) {
        int i = 0;
        for (; i < S.loopBound(n); i += L) {
            VectorMath.tanh(FloatVector.fromArray(S, x, xOff + i)).intoArray(out, outOff + i);
        }
        if (i < n) { // masked, not scalar: an element's bits must not depend on its position (see unary)
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMath.tanh(FloatVector.fromArray(S, x, xOff + i, m)).intoArray(out, outOff + i, m);
        }
        return n;
    }

    private static int uGelu(float[] x, int xOff, float[] out, int outOff, int n) {
        int i = 0;
        for (; i < S.loopBound(n); i += L) {
            VectorMath.gelu(FloatVector.fromArray(S, x, xOff + i)).intoArray(out, outOff + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMath.gelu(FloatVector.fromArray(S, x, xOff + i, m)).intoArray(out, outOff + i, m);
        }
        return n;
    }

    private static int uSqrt(float[] x, int xOff, float[] out, int outOff, int n, float alpha) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            v.sqrt().intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int uAbs(float[] x, int xOff, float[] out, int outOff, int n, float alpha) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            v.abs().intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int uNeg(float[] x, int xOff, float[] out, int outOff, int n, float alpha) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            v.neg().intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int uRelu(float[] x, int xOff, float[] out, int outOff, int n, float alpha) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            v.blend(0f, v.compare(VectorOperators.LE, 0f)).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int uLeakyRelu(float[] x, int xOff, float[] out, int outOff, int n, float alpha) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            v.blend(v.mul(alpha), v.compare(VectorOperators.LE, 0f)).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int uSigmoid(float[] x, int xOff, float[] out, int outOff, int n, float alpha) {
        int i = 0;
        for (; i < S.loopBound(n); i += L) {
            VectorMath.sigmoid(FloatVector.fromArray(S, x, xOff + i)).intoArray(out, outOff + i);
        }
        if (i < n) { // masked, not scalar: an element's bits must not depend on its position (see unary)
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMath.sigmoid(FloatVector.fromArray(S, x, xOff + i, m)).intoArray(out, outOff + i, m);
        }
        return n;
    }

    @Override
    public void unaryBackward(UnaryOp op, float[] x, int xOff, float[] y, int yOff, float[] g, int gOff,
                              float[] out, int outOff, int n, float alpha) {
        // exhaustive (no default), as in unary
        int i = switch (op.backwardLoop()) {
            case PASS_WHERE_POSITIVE -> bRelu(x, xOff, y, yOff, g, gOff, out, outOff, n);
            case ONE_MINUS_Y_SQUARED -> bTanh(x, xOff, y, yOff, g, gOff, out, outOff, n);
            case Y_ONE_MINUS_Y -> bSigmoid(x, xOff, y, yOff, g, gOff, out, outOff, n);
            case G_TIMES_Y -> bExp(x, xOff, y, yOff, g, gOff, out, outOff, n);
            case GELU -> bGelu(x, xOff, g, gOff, out, outOff, n);
            case NEG, SLOPE_WHERE_NOT_POSITIVE, PER_ELEMENT -> 0;
        };
        if (i < n) {
            super.unaryBackward(op, x, xOff + i, y, yOff + i, g, gOff + i, out, outOff + i, n - i, alpha);
        }
    }

    private static int bRelu(float[] x, int xOff, float[] y, int yOff, float[] g, int gOff, float[] out,
                          int outOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector gv = FloatVector.fromArray(S, g, gOff + i);
            gv.blend(0f, FloatVector.fromArray(S, x, xOff + i).compare(VectorOperators.LE, 0f)).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int bTanh(float[] x, int xOff, float[] y, int yOff, float[] g, int gOff, float[] out,
                          int outOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector gv = FloatVector.fromArray(S, g, gOff + i);
            gv.mul(FloatVector.fromArray(S, y, yOff + i).mul(FloatVector.fromArray(S, y, yOff + i)).neg().add(1f)).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int bSigmoid(float[] x, int xOff, float[] y, int yOff, float[] g, int gOff, float[] out,
                          int outOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector gv = FloatVector.fromArray(S, g, gOff + i);
            gv.mul(FloatVector.fromArray(S, y, yOff + i).mul(FloatVector.fromArray(S, y, yOff + i).neg().add(1f))).intoArray(out, outOff + i);
        }
        return bound;
    }

    /** Within ulps of the scalar rule, so its tail is masked like the forward's (see unary). */
    private static int bGelu(float[] x, int xOff, float[] g, int gOff, float[] out, int outOff, int n) {
        int i = 0;
        for (; i < S.loopBound(n); i += L) {
            VectorMath.geluBackward(FloatVector.fromArray(S, x, xOff + i), FloatVector.fromArray(S, g, gOff + i))
                    .intoArray(out, outOff + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMath.geluBackward(FloatVector.fromArray(S, x, xOff + i, m), FloatVector.fromArray(S, g, gOff + i, m))
                    .intoArray(out, outOff + i, m);
        }
        return n;
    }

    private static int bExp(float[] x, int xOff, float[] y, int yOff, float[] g, int gOff, float[] out,
                          int outOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector gv = FloatVector.fromArray(S, g, gOff + i);
            gv.mul(FloatVector.fromArray(S, y, yOff + i)).intoArray(out, outOff + i);
        }
        return bound;
    }

    @Override
    public void clamp(float[] x, int xOff, float[] out, int outOff, int n, float lo, float hi) {
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            FloatVector r = v.max(lo).min(hi).blend(v, v.test(VectorOperators.IS_NAN));
            r.intoArray(out, outOff + i);
        }
        if (i < n) {
            super.clamp(x, xOff + i, out, outOff + i, n - i, lo, hi);
        }
    }

    @Override
    public void affine(float[] x, int xOff, float[] out, int outOff, int n, float a, float b) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector av = FloatVector.broadcast(S, a);
        FloatVector bv = FloatVector.broadcast(S, b);
        for (; i < bound; i += L) {
            // scalar form is a*x + b without fma; keep the two roundings for parity
            FloatVector.fromArray(S, x, xOff + i).mul(av).add(bv).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = a * x[xOff + i] + b;
        }
    }

    @Override
    public float sum(float[] x, int off, int n) {
        return blockedReduce(x, off, null, 0, n);
    }

    @Override
    public float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        return blockedReduce(x, xOff, y, yOff, n);
    }

    @Override
    public float centeredDot(float[] x, int xOff, float xMu, float[] y, int yOff, float yMu, int n) {
        if ((L != 16 && L != 8) || n < SUM_LANES) {
            return super.centeredDot(x, xOff, xMu, y, yOff, yMu, n);
        }
        FloatVector xm = FloatVector.broadcast(S, xMu);
        FloatVector ym = FloatVector.broadcast(S, yMu);
        FloatVector acc0 = FloatVector.zero(S);
        FloatVector acc1 = FloatVector.zero(S);
        int i = 0;
        if (L == 16) {
            for (; i + SUM_LANES <= n; i += SUM_LANES) {
                acc0 = FloatVector.fromArray(S, x, xOff + i).sub(xm)
                        .fma(FloatVector.fromArray(S, y, yOff + i).sub(ym), acc0);
            }
        } else {
            for (; i + SUM_LANES <= n; i += SUM_LANES) {
                acc0 = FloatVector.fromArray(S, x, xOff + i).sub(xm)
                        .fma(FloatVector.fromArray(S, y, yOff + i).sub(ym), acc0);
                acc1 = FloatVector.fromArray(S, x, xOff + i + 8).sub(xm)
                        .fma(FloatVector.fromArray(S, y, yOff + i + 8).sub(ym), acc1);
            }
        }
        float s = combine(acc0, acc1);
        for (; i < n; i++) {
            s = Math.fma(x[xOff + i] - xMu, y[yOff + i] - yMu, s);
        }
        return s;
    }

    @Override
    public void sumAndCenteredDot(float[] g, int gOff, float[] x, int xOff, float mu, int n, float[] out) {
        if (L != 16 || n < SUM_LANES) {
            super.sumAndCenteredDot(g, gOff, x, xOff, mu, n, out);
            return;
        }
        FloatVector zero = FloatVector.zero(S);
        FloatVector mv = FloatVector.broadcast(S, mu);
        FloatVector accS = FloatVector.zero(S);
        FloatVector accD = FloatVector.zero(S);
        int i = 0;
        for (; i + SUM_LANES <= n; i += SUM_LANES) {
            FloatVector gv = FloatVector.fromArray(S, g, gOff + i);
            accS = accS.add(gv);
            // (g − 0) as in centeredDot, so both sums are bit-identical to the separate kernels
            accD = gv.sub(zero).fma(FloatVector.fromArray(S, x, xOff + i).sub(mv), accD);
        }
        float s = combine(accS, null);
        float d = combine(accD, null);
        for (; i < n; i++) {
            s += g[gOff + i];
            d = Math.fma(g[gOff + i] - 0f, x[xOff + i] - mu, d);
        }
        out[0] = s;
        out[1] = d;
    }

    /**
     * {@link ScalarKernels#combine} of the {@link Kernels#SUM_LANES} lane partials (one 16-lane vector, or two
     * 8-lane halves) without a trip through memory: the same pairwise additions (lane j + lane j + w for
     * w = 8, 4, 2, 1), done by rotating the vector ({@link LaneTree}), so the result is bit-identical. Storing a 64-byte vector and
     * reading it back as floats defeated store forwarding: the scalar combine was a quarter of batch norm's time.
     */
    private static float combine(FloatVector acc0, FloatVector acc1) {
        // two 8-lane halves are the 16-lane tree's first step done by hand
        return L == 8 ? LaneTree.sum(acc0.add(acc1)) : LaneTree.sum(acc0);
    }

    /** Four rows at a time (four independent accumulation chains), each in the exact order of {@link #sum}. */
    @Override
    public void sumRows(float[] x, int off, int stride, int rows, int n, float[] out) {
        int r = 0;
        if (L == 16 && n >= SUM_LANES) {
            int bound = n - n % SUM_LANES;
            for (; r + 4 <= rows; r += 4) {
                int o0 = off + r * stride, o1 = o0 + stride, o2 = o1 + stride, o3 = o2 + stride;
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int i = 0; i < bound; i += SUM_LANES) {
                    a0 = a0.add(FloatVector.fromArray(S, x, o0 + i));
                    a1 = a1.add(FloatVector.fromArray(S, x, o1 + i));
                    a2 = a2.add(FloatVector.fromArray(S, x, o2 + i));
                    a3 = a3.add(FloatVector.fromArray(S, x, o3 + i));
                }
                out[r] = finishSum(a0, x, o0, bound, n);
                out[r + 1] = finishSum(a1, x, o1, bound, n);
                out[r + 2] = finishSum(a2, x, o2, bound, n);
                out[r + 3] = finishSum(a3, x, o3, bound, n);
            }
        }
        for (; r < rows; r++) {
            out[r] = sum(x, off + r * stride, n);
        }
    }

    private static float finishSum(FloatVector acc, float[] x, int o, int i, int n) {
        float s = combine(acc, null);
        for (; i < n; i++) {
            s += x[o + i];
        }
        return s;
    }

    /** As {@link #sumRows} for {@link #centeredDot} of a segment with itself. */
    @Override
    public void centeredSquareRows(float[] x, int off, int stride, int rows, int n, float mu, float[] out) {
        int r = 0;
        if (L == 16 && n >= SUM_LANES) {
            FloatVector mv = FloatVector.broadcast(S, mu);
            int bound = n - n % SUM_LANES;
            for (; r + 4 <= rows; r += 4) {
                int o0 = off + r * stride, o1 = o0 + stride, o2 = o1 + stride, o3 = o2 + stride;
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int i = 0; i < bound; i += SUM_LANES) {
                    FloatVector d0 = FloatVector.fromArray(S, x, o0 + i).sub(mv);
                    FloatVector d1 = FloatVector.fromArray(S, x, o1 + i).sub(mv);
                    FloatVector d2 = FloatVector.fromArray(S, x, o2 + i).sub(mv);
                    FloatVector d3 = FloatVector.fromArray(S, x, o3 + i).sub(mv);
                    a0 = d0.fma(d0, a0);
                    a1 = d1.fma(d1, a1);
                    a2 = d2.fma(d2, a2);
                    a3 = d3.fma(d3, a3);
                }
                out[r] = finishSquares(a0, x, o0, bound, n, mu);
                out[r + 1] = finishSquares(a1, x, o1, bound, n, mu);
                out[r + 2] = finishSquares(a2, x, o2, bound, n, mu);
                out[r + 3] = finishSquares(a3, x, o3, bound, n, mu);
            }
        }
        for (; r < rows; r++) {
            int o = off + r * stride;
            out[r] = centeredDot(x, o, mu, x, o, mu, n);
        }
    }

    private static float finishSquares(FloatVector acc, float[] x, int o, int i, int n, float mu) {
        float s = combine(acc, null);
        for (; i < n; i++) {
            s = Math.fma(x[o + i] - mu, x[o + i] - mu, s);
        }
        return s;
    }

    /** As {@link #sumRows} for {@link #sumAndCenteredDot}: two rows at a time, four chains. */
    @Override
    public void sumAndCenteredDotRows(float[] g, int gOff, float[] x, int xOff, int stride, int rows, int n,
                                      float mu, float[] out) {
        int r = 0;
        if (L == 16 && n >= SUM_LANES) {
            FloatVector zero = FloatVector.zero(S);
            FloatVector mv = FloatVector.broadcast(S, mu);
            int bound = n - n % SUM_LANES;
            for (; r + 2 <= rows; r += 2) {
                int g0 = gOff + r * stride, g1 = g0 + stride;
                int x0 = xOff + r * stride, x1 = x0 + stride;
                FloatVector s0 = zero, s1 = zero, d0 = zero, d1 = zero;
                for (int i = 0; i < bound; i += SUM_LANES) {
                    FloatVector gv0 = FloatVector.fromArray(S, g, g0 + i);
                    FloatVector gv1 = FloatVector.fromArray(S, g, g1 + i);
                    s0 = s0.add(gv0);
                    s1 = s1.add(gv1);
                    d0 = gv0.sub(zero).fma(FloatVector.fromArray(S, x, x0 + i).sub(mv), d0);
                    d1 = gv1.sub(zero).fma(FloatVector.fromArray(S, x, x1 + i).sub(mv), d1);
                }
                finishSumAndDot(s0, d0, g, g0, x, x0, bound, n, mu, out, 2 * r);
                finishSumAndDot(s1, d1, g, g1, x, x1, bound, n, mu, out, 2 * r + 2);
            }
        }
        float[] pair = new float[2];
        for (; r < rows; r++) {
            sumAndCenteredDot(g, gOff + r * stride, x, xOff + r * stride, mu, n, pair);
            out[2 * r] = pair[0];
            out[2 * r + 1] = pair[1];
        }
    }

    private static void finishSumAndDot(FloatVector accS, FloatVector accD, float[] g, int gOff,
                                        float[] x, int xOff, int i, int n, float mu, float[] out, int at) {
        float s = combine(accS, null);
        float d = combine(accD, null);
        for (; i < n; i++) {
            s += g[gOff + i];
            d = Math.fma(g[gOff + i] - 0f, x[xOff + i] - mu, d);
        }
        out[at] = s;
        out[at + 1] = d;
    }
    @Override
    public void batchNormGrad(float[] g, int gOff, float[] x, int xOff, float[] out, int outOff, int n,
                              float mu, float k, float gMean, float s) {
        FloatVector mv = FloatVector.broadcast(S, mu);
        FloatVector kv = FloatVector.broadcast(S, k);
        FloatVector gm = FloatVector.broadcast(S, gMean);
        FloatVector sv = FloatVector.broadcast(S, s);
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            // separate roundings, as in the scalar form (no fma), for parity
            FloatVector xc = FloatVector.fromArray(S, x, xOff + i).sub(mv).mul(kv);
            FloatVector.fromArray(S, g, gOff + i).sub(xc).sub(gm).mul(sv).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = (g[gOff + i] - (x[xOff + i] - mu) * k - gMean) * s;
        }
    }

    /**
     * The {@link Kernels#SUM_LANES}-lane blocked order of the scalar kernel, held in one 16-lane vector or two
     * 8-lane vectors (named locals: an array of vectors would be boxed on the heap).
     */
    private float blockedReduce(float[] x, int xOff, float[] y, int yOff, int n) {
        if ((L != 16 && L != 8) || n < SUM_LANES) {
            return y == null ? super.sum(x, xOff, n) : super.dot(x, xOff, y, yOff, n);
        }
        FloatVector acc0 = FloatVector.zero(S);
        FloatVector acc1 = FloatVector.zero(S);
        int i = 0;
        if (L == 16) {
            if (y == null) {
                for (; i + SUM_LANES <= n; i += SUM_LANES) {
                    acc0 = acc0.add(FloatVector.fromArray(S, x, xOff + i));
                }
            } else {
                for (; i + SUM_LANES <= n; i += SUM_LANES) {
                    acc0 = FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.fromArray(S, y, yOff + i), acc0);
                }
            }
        } else {
            if (y == null) {
                for (; i + SUM_LANES <= n; i += SUM_LANES) {
                    acc0 = acc0.add(FloatVector.fromArray(S, x, xOff + i));
                    acc1 = acc1.add(FloatVector.fromArray(S, x, xOff + i + 8));
                }
            } else {
                for (; i + SUM_LANES <= n; i += SUM_LANES) {
                    acc0 = FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.fromArray(S, y, yOff + i), acc0);
                    acc1 = FloatVector.fromArray(S, x, xOff + i + 8).fma(FloatVector.fromArray(S, y, yOff + i + 8), acc1);
                }
            }
        }
        float s = combine(acc0, acc1);
        for (; i < n; i++) {
            s = y == null ? s + x[xOff + i] : Math.fma(x[xOff + i], y[yOff + i], s);
        }
        return s;
    }

    /**
     * Row softmax with vector exp: max, then e = exp(x − max) summed in the blocked order, then a scale (or,
     * for log-softmax, x − max − log Σe). Agrees with the scalar kernel within a few ulps.
     */
    @Override
    public void softmaxRows(float[] x, int xOff, float[] out, int outOff, int rows, int cols, boolean log) {
        if (cols < L) {
            super.softmaxRows(x, xOff, out, outOff, rows, cols, log);
            return;
        }
        int bound = S.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            int xo = xOff + r * cols;
            int oo = outOff + r * cols;
            float m = max(x, xo, cols);
            if (m == Float.NEGATIVE_INFINITY || m != m) {
                java.util.Arrays.fill(out, oo, oo + cols, Float.NaN);
                continue;
            }
            FloatVector mv = FloatVector.broadcast(S, m);
            for (int i = 0; i < bound; i += L) {
                VectorMath.exp(FloatVector.fromArray(S, x, xo + i).sub(mv)).intoArray(out, oo + i);
            }
            if (bound < cols) { // masked like unary's EXP, so softmax stays exp-then-normalise of the same bits
                VectorMask<Float> tail = S.indexInRange(bound, cols);
                VectorMath.exp(FloatVector.fromArray(S, x, xo + bound, tail).sub(mv)).intoArray(out, oo + bound, tail);
            }
            float s = sum(out, oo, cols);
            if (log) {
                FloatVector shift = FloatVector.broadcast(S, m + (float) Math.log(s));
                for (int i = 0; i < bound; i += L) {
                    FloatVector.fromArray(S, x, xo + i).sub(shift).intoArray(out, oo + i);
                }
                float sh = m + (float) Math.log(s);
                for (int i = bound; i < cols; i++) {
                    out[oo + i] = x[xo + i] - sh;
                }
            } else {
                float inv = 1f / s;
                FloatVector iv = FloatVector.broadcast(S, inv);
                for (int i = 0; i < bound; i += L) {
                    FloatVector.fromArray(S, out, oo + i).mul(iv).intoArray(out, oo + i);
                }
                for (int i = bound; i < cols; i++) {
                    out[oo + i] *= inv;
                }
            }
        }
    }

    /** softmax: out = y ⊙ (g − Σ g⊙y); log-softmax: out = g − exp(y)·Σ g. */
    @Override
    public void softmaxBackwardRows(float[] y, int yOff, float[] g, int gOff, float[] out, int outOff,
                                    int rows, int cols, boolean log) {
        if (cols < L) {
            super.softmaxBackwardRows(y, yOff, g, gOff, out, outOff, rows, cols, log);
            return;
        }
        int bound = S.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            int yo = yOff + r * cols;
            int go = gOff + r * cols;
            int oo = outOff + r * cols;
            if (log) {
                float s = sum(g, go, cols);
                FloatVector sv = FloatVector.broadcast(S, s);
                for (int i = 0; i < bound; i += L) {
                    FloatVector e = VectorMath.exp(FloatVector.fromArray(S, y, yo + i));
                    FloatVector.fromArray(S, g, go + i).sub(e.mul(sv)).intoArray(out, oo + i);
                }
                for (int i = bound; i < cols; i++) {
                    out[oo + i] = g[go + i] - (float) Math.exp(y[yo + i]) * s;
                }
            } else {
                float s = dot(g, go, y, yo, cols);
                FloatVector sv = FloatVector.broadcast(S, s);
                for (int i = 0; i < bound; i += L) {
                    FloatVector yv = FloatVector.fromArray(S, y, yo + i);
                    yv.mul(FloatVector.fromArray(S, g, go + i).sub(sv)).intoArray(out, oo + i);
                }
                for (int i = bound; i < cols; i++) {
                    out[oo + i] = y[yo + i] * (g[go + i] - s);
                }
            }
        }
    }

    @Override
    public float max(float[] x, int off, int n) {
        int bound = S.loopBound(n);
        if (bound == 0) {
            return super.max(x, off, n);
        }
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        VectorMask<Float> nan = S.maskAll(false);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, off + i);
            nan = nan.or(v.test(VectorOperators.IS_NAN));
            m = m.max(v);
        }
        if (nan.anyTrue()) {
            return Float.NaN;
        }
        float r = m.reduceLanes(VectorOperators.MAX);
        float tail = i < n ? super.max(x, off + i, n - i) : Float.NEGATIVE_INFINITY;
        return tail != tail ? tail : Math.max(r, tail);
    }

    @Override
    public float min(float[] x, int off, int n) {
        int bound = S.loopBound(n);
        if (bound == 0) {
            return super.min(x, off, n);
        }
        FloatVector m = FloatVector.broadcast(S, Float.POSITIVE_INFINITY);
        VectorMask<Float> nan = S.maskAll(false);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, off + i);
            nan = nan.or(v.test(VectorOperators.IS_NAN));
            m = m.min(v);
        }
        if (nan.anyTrue()) {
            return Float.NaN;
        }
        float r = m.reduceLanes(VectorOperators.MIN);
        float tail = i < n ? super.min(x, off + i, n - i) : Float.POSITIVE_INFINITY;
        return tail != tail ? tail : Math.min(r, tail);
    }

    @Override
    public void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector av = FloatVector.broadcast(S, a);
        for (; i < bound; i += L) {
            av.fma(FloatVector.fromArray(S, x, xOff + i), FloatVector.fromArray(S, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] = Math.fma(a, x[xOff + i], y[yOff + i]);
        }
    }
}
