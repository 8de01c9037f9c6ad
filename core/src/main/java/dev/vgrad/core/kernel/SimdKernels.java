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
    /** Vectors per {@link Kernels#SUM_LANES} block, so the partial sums are laid out exactly like the scalar ones. */
    private static final int V_PER_BLOCK = Math.max(1, SUM_LANES / L);

    SimdKernels() {
        if (SUM_LANES % L != 0 && L % SUM_LANES != 0) {
            throw new IllegalStateException("unsupported vector length " + L);
        }
    }

    @Override
    public void binary(BinaryOp op, float[] a, int aOff, int aStride, float[] b, int bOff, int bStride,
                       float[] out, int outOff, int n) {
        if (op == BinaryOp.POW || (aStride != 0 && aStride != 1) || (bStride != 0 && bStride != 1)) {
            super.binary(op, a, aOff, aStride, b, bOff, bStride, out, outOff, n);
            return;
        }
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector av0 = aStride == 0 ? FloatVector.broadcast(S, a[aOff]) : null;
        FloatVector bv0 = bStride == 0 ? FloatVector.broadcast(S, b[bOff]) : null;
        for (; i < bound; i += L) {
            FloatVector av = av0 != null ? av0 : FloatVector.fromArray(S, a, aOff + i);
            FloatVector bv = bv0 != null ? bv0 : FloatVector.fromArray(S, b, bOff + i);
            apply(op, av, bv).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = op.apply(a[aOff + i * aStride], b[bOff + i * bStride]);
        }
    }

    private static FloatVector apply(BinaryOp op, FloatVector a, FloatVector b) {
        return switch (op) {
            case ADD -> a.add(b);
            case SUB -> a.sub(b);
            case MUL -> a.mul(b);
            case DIV -> a.div(b);
            case MAX -> nanAware(a, b, a.max(b));
            case MIN -> nanAware(a, b, a.min(b));
            case GT -> select(a.compare(VectorOperators.GT, b));
            case GE -> select(a.compare(VectorOperators.GE, b));
            case LT -> select(a.compare(VectorOperators.LT, b));
            case LE -> select(a.compare(VectorOperators.LE, b));
            case EQ -> select(a.compare(VectorOperators.EQ, b));
            case NE -> select(a.compare(VectorOperators.NE, b));
            case POW -> throw new AssertionError();
        };
    }

    private static FloatVector nanAware(FloatVector a, FloatVector b, FloatVector r) {
        VectorMask<Float> nan = a.test(VectorOperators.IS_NAN).or(b.test(VectorOperators.IS_NAN));
        return r.blend(Float.NaN, nan);
    }

    private static FloatVector select(VectorMask<Float> m) {
        return FloatVector.zero(S).blend(1f, m);
    }

    @Override
    public void unary(UnaryOp op, float[] x, int xOff, float[] out, int outOff, int n, float alpha) {
        VectorOperators.Unary lanewise = switch (op) {
            case EXP -> VectorOperators.EXP;
            case LOG -> VectorOperators.LOG;
            case TANH -> VectorOperators.TANH;
            case SQRT -> VectorOperators.SQRT;
            case ABS -> VectorOperators.ABS;
            case NEG -> VectorOperators.NEG;
            default -> null;
        };
        boolean vectorised = lanewise != null || op == UnaryOp.RELU || op == UnaryOp.LEAKY_RELU
                || op == UnaryOp.SIGMOID;
        if (!vectorised) {
            super.unary(op, x, xOff, out, outOff, n, alpha);
            return;
        }
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            FloatVector r;
            if (lanewise != null) {
                r = v.lanewise(lanewise);
            } else if (op == UnaryOp.RELU) {
                // blend keeps NaN (the comparison is false for NaN), matching the scalar rule
                r = v.blend(0f, v.compare(VectorOperators.LE, 0f));
            } else if (op == UnaryOp.LEAKY_RELU) {
                r = v.blend(v.mul(alpha), v.compare(VectorOperators.LE, 0f));
            } else {
                // σ(x) = 1/(1+e^-x); for large negative x e^-x overflows to inf and the result is 0, as required
                r = FloatVector.broadcast(S, 1f).div(v.neg().lanewise(VectorOperators.EXP).add(1f));
            }
            r.intoArray(out, outOff + i);
        }
        if (i < n) {
            super.unary(op, x, xOff + i, out, outOff + i, n - i, alpha);
        }
    }

    @Override
    public void unaryBackward(UnaryOp op, float[] x, int xOff, float[] y, int yOff, float[] g, int gOff,
                              float[] out, int outOff, int n, float alpha) {
        if (op != UnaryOp.RELU && op != UnaryOp.TANH && op != UnaryOp.SIGMOID && op != UnaryOp.EXP) {
            super.unaryBackward(op, x, xOff, y, yOff, g, gOff, out, outOff, n, alpha);
            return;
        }
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector gv = FloatVector.fromArray(S, g, gOff + i);
            FloatVector r;
            switch (op) {
                case RELU -> {
                    FloatVector xv = FloatVector.fromArray(S, x, xOff + i);
                    r = gv.blend(0f, xv.compare(VectorOperators.LE, 0f));
                }
                case TANH -> {
                    FloatVector yv = FloatVector.fromArray(S, y, yOff + i);
                    r = gv.mul(yv.mul(yv).neg().add(1f));
                }
                case SIGMOID -> {
                    FloatVector yv = FloatVector.fromArray(S, y, yOff + i);
                    r = gv.mul(yv.mul(yv.neg().add(1f)));
                }
                default -> r = gv.mul(FloatVector.fromArray(S, y, yOff + i));
            }
            r.intoArray(out, outOff + i);
        }
        if (i < n) {
            super.unaryBackward(op, x, xOff + i, y, yOff + i, g, gOff + i, out, outOff + i, n - i, alpha);
        }
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

    private float blockedReduce(float[] x, int xOff, float[] y, int yOff, int n) {
        if (L > SUM_LANES || n < SUM_LANES) {
            return y == null ? super.sum(x, xOff, n) : super.dot(x, xOff, y, yOff, n);
        }
        FloatVector[] acc = new FloatVector[V_PER_BLOCK];
        for (int v = 0; v < V_PER_BLOCK; v++) {
            acc[v] = FloatVector.zero(S);
        }
        int i = 0;
        for (; i + SUM_LANES <= n; i += SUM_LANES) {
            for (int v = 0; v < V_PER_BLOCK; v++) {
                FloatVector xv = FloatVector.fromArray(S, x, xOff + i + v * L);
                acc[v] = y == null ? acc[v].add(xv) : xv.fma(FloatVector.fromArray(S, y, yOff + i + v * L), acc[v]);
            }
        }
        float[] lanes = new float[SUM_LANES];
        for (int v = 0; v < V_PER_BLOCK; v++) {
            acc[v].intoArray(lanes, v * L);
        }
        float s = combine(lanes);
        for (; i < n; i++) {
            s = y == null ? s + x[xOff + i] : Math.fma(x[xOff + i], y[yOff + i], s);
        }
        return s;
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
