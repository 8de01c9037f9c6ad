package dev.vgrad.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API loops of {@link OptimKernels}. Each lane performs exactly the IEEE operations of the scalar loop in
 * the same order (no FMA), so results are bit-identical to it; tails run the scalar loop. Only loaded when
 * {@link KernelProvider#simdEnabled()}.
 */
final class SimdOptimKernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private SimdOptimKernels() {
    }

    static void sgd(float[] p, int pOff, float[] g, int gOff, float[] buf, int bOff, int n,
                    float negLr, float wd, float momentum, float oneMinusDampening, boolean nesterov,
                    boolean maximize, boolean firstStep) {
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector pv = FloatVector.fromArray(S, p, pOff + i);
            FloatVector d = FloatVector.fromArray(S, g, gOff + i);
            if (maximize) {
                d = d.neg();
            }
            if (wd != 0f) {
                d = d.add(pv.mul(wd));
            }
            if (buf != null) {
                FloatVector b = firstStep ? d
                        : FloatVector.fromArray(S, buf, bOff + i).mul(momentum).add(d.mul(oneMinusDampening));
                b.intoArray(buf, bOff + i);
                d = nesterov ? d.add(b.mul(momentum)) : b;
            }
            pv.add(d.mul(negLr)).intoArray(p, pOff + i);
        }
        if (i < n) {
            OptimKernels.sgdScalar(p, pOff + i, g, gOff + i, buf, bOff + i, n - i, negLr, wd, momentum,
                    oneMinusDampening, nesterov, maximize, firstStep);
        }
    }

    static void adam(float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff,
                     float[] vmax, int vmaxOff, int n, float beta1, float oneMinusBeta1, float beta2,
                     float oneMinusBeta2, float wd, float decay, float bc2Sqrt, float eps, float negStepSize,
                     boolean maximize) {
        int i = 0;
        int bound = S.loopBound(n);
        if (!maximize && wd == 0f && decay == 1f && vmax == null) {
            // the common case, kept free of branches
            for (; i < bound; i += L) {
                FloatVector d = FloatVector.fromArray(S, g, gOff + i);
                FloatVector mv = FloatVector.fromArray(S, m, mOff + i).mul(beta1).add(d.mul(oneMinusBeta1));
                FloatVector vv = FloatVector.fromArray(S, v, vOff + i).mul(beta2).add(d.mul(oneMinusBeta2).mul(d));
                mv.intoArray(m, mOff + i);
                vv.intoArray(v, vOff + i);
                FloatVector denom = vv.sqrt().div(bc2Sqrt).add(eps);
                FloatVector pv = FloatVector.fromArray(S, p, pOff + i);
                pv.add(mv.div(denom).mul(negStepSize)).intoArray(p, pOff + i);
            }
        } else {
            for (; i < bound; i += L) {
                FloatVector pv = FloatVector.fromArray(S, p, pOff + i);
                FloatVector d = FloatVector.fromArray(S, g, gOff + i);
                if (maximize) {
                    d = d.neg();
                }
                if (wd != 0f) {
                    d = d.add(pv.mul(wd));
                }
                if (decay != 1f) {
                    pv = pv.mul(decay);
                }
                FloatVector mv = FloatVector.fromArray(S, m, mOff + i).mul(beta1).add(d.mul(oneMinusBeta1));
                FloatVector vv = FloatVector.fromArray(S, v, vOff + i).mul(beta2).add(d.mul(oneMinusBeta2).mul(d));
                mv.intoArray(m, mOff + i);
                vv.intoArray(v, vOff + i);
                FloatVector u = vv;
                if (vmax != null) {
                    u = maxNan(FloatVector.fromArray(S, vmax, vmaxOff + i), vv);
                    u.intoArray(vmax, vmaxOff + i);
                }
                FloatVector denom = u.sqrt().div(bc2Sqrt).add(eps);
                pv.add(mv.div(denom).mul(negStepSize)).intoArray(p, pOff + i);
            }
        }
        if (i < n) {
            OptimKernels.adamScalar(p, pOff + i, g, gOff + i, m, mOff + i, v, vOff + i, vmax, vmaxOff + i, n - i,
                    beta1, oneMinusBeta1, beta2, oneMinusBeta2, wd, decay, bc2Sqrt, eps, negStepSize, maximize);
        }
    }

    static void rmsprop(float[] p, int pOff, float[] g, int gOff, float[] sq, int sqOff, float[] gAvg, int gaOff,
                        float[] buf, int bOff, int n, float alpha, float oneMinusAlpha, float eps, float wd,
                        float momentum, float negLr, boolean maximize) {
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector pv = FloatVector.fromArray(S, p, pOff + i);
            FloatVector d = FloatVector.fromArray(S, g, gOff + i);
            if (maximize) {
                d = d.neg();
            }
            if (wd != 0f) {
                d = d.add(pv.mul(wd));
            }
            FloatVector s = FloatVector.fromArray(S, sq, sqOff + i).mul(alpha).add(d.mul(oneMinusAlpha).mul(d));
            s.intoArray(sq, sqOff + i);
            FloatVector avg;
            if (gAvg != null) {
                FloatVector a = FloatVector.fromArray(S, gAvg, gaOff + i).mul(alpha).add(d.mul(oneMinusAlpha));
                a.intoArray(gAvg, gaOff + i);
                avg = s.add(a.neg().mul(a)).sqrt().add(eps);
            } else {
                avg = s.sqrt().add(eps);
            }
            if (buf != null) {
                FloatVector b = FloatVector.fromArray(S, buf, bOff + i).mul(momentum).add(d.div(avg));
                b.intoArray(buf, bOff + i);
                pv.add(b.mul(negLr)).intoArray(p, pOff + i);
            } else {
                pv.add(d.div(avg).mul(negLr)).intoArray(p, pOff + i);
            }
        }
        if (i < n) {
            OptimKernels.rmspropScalar(p, pOff + i, g, gOff + i, sq, sqOff + i, gAvg, gaOff + i, buf, bOff + i,
                    n - i, alpha, oneMinusAlpha, eps, wd, momentum, negLr, maximize);
        }
    }

    static void adagrad(float[] p, int pOff, float[] g, int gOff, float[] sum, int sOff, int n, float eps, float wd,
                        float negClr, boolean maximize) {
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector pv = FloatVector.fromArray(S, p, pOff + i);
            FloatVector d = FloatVector.fromArray(S, g, gOff + i);
            if (maximize) {
                d = d.neg();
            }
            if (wd != 0f) {
                d = d.add(pv.mul(wd));
            }
            FloatVector s = FloatVector.fromArray(S, sum, sOff + i).add(d.mul(d));
            s.intoArray(sum, sOff + i);
            pv.add(d.div(s.sqrt().add(eps)).mul(negClr)).intoArray(p, pOff + i);
        }
        if (i < n) {
            OptimKernels.adagradScalar(p, pOff + i, g, gOff + i, sum, sOff + i, n - i, eps, wd, negClr, maximize);
        }
    }

    /** Lane-wise max that returns NaN when either operand is NaN (as {@link Math#max(float, float)}). */
    private static FloatVector maxNan(FloatVector a, FloatVector b) {
        VectorMask<Float> nan = a.test(VectorOperators.IS_NAN).or(b.test(VectorOperators.IS_NAN));
        return a.max(b).blend(Float.NaN, nan);
    }
}
