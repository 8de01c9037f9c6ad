package dev.vgrad.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API loops of {@link NormKernels}: eight floats widened to eight double lanes per step, lane k being the
 * scalar loop's chain k, with the same operations in the same order (no fused multiply-adds), so the bits are the
 * scalar loop's. Only loaded when {@link KernelProvider#simdEnabled()}; used only where eight double lanes are one
 * native vector.
 */
final class SimdNormKernels {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_512;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    /** Eight double lanes in one hardware vector (AVX-512); elsewhere the scalar loop is as fast. */
    static final boolean USABLE = DoubleVector.SPECIES_PREFERRED.vectorBitSize() >= 512;

    private SimdNormKernels() {}

    static void forward(float[] x, int xOff, float[] y, int yOff, int rows, int d, float[] w, float[] b, double eps,
                        double[] mean, double[] rstd, int sOff) {
        int body = d & ~7;
        double[] lanes = new double[8];
        for (int r = 0; r < rows; r++) {
            int xo = xOff + r * d;
            int yo = yOff + r * d;
            double mu = sum(x, xo, d, body, 0.0, false, lanes) / d;
            double inv = 1.0 / Math.sqrt(sum(x, xo, d, body, mu, true, lanes) / d + eps);
            mean[sOff + r] = mu;
            rstd[sOff + r] = inv;
            int j = 0;
            for (; j < body; j += 8) {
                DoubleVector o = widen(x, xo + j).sub(mu).mul(inv);
                if (w != null) {
                    o = o.mul(widen(w, j));
                }
                if (b != null) {
                    o = o.add(widen(b, j));
                }
                o.convertShape(VectorOperators.D2F, F, 0).reinterpretAsFloats().intoArray(y, yo + j);
            }
            NormKernels.normaliseRow(x, xo, y, yo, j, d, w, b, mu, inv);
        }
    }

    static void backward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int rows, int d,
                         float[] w, double[] mean, double[] rstd, int sOff, double[] accW, double[] accB) {
        int body = d & ~7;
        double[] lanes = new double[16];
        for (int r = 0; r < rows; r++) {
            int xo = xOff + r * d;
            int go = gOff + r * d;
            double mu = mean[sOff + r];
            double inv = rstd[sOff + r];
            if (accW != null || accB != null) {
                int j = 0;
                for (; j < body; j += 8) {
                    DoubleVector gj = widen(g, go + j);
                    if (accW != null) {
                        DoubleVector xh = widen(x, xo + j).sub(mu).mul(inv);
                        DoubleVector.fromArray(D, accW, j).add(gj.mul(xh)).intoArray(accW, j);
                    }
                    if (accB != null) {
                        DoubleVector.fromArray(D, accB, j).add(gj).intoArray(accB, j);
                    }
                }
                NormKernels.accumulateRow(x, xo, g, go, j, d, mu, inv, accW, accB);
            }
            if (gx == null) {
                continue;
            }
            DoubleVector sa = DoubleVector.zero(D);
            DoubleVector sc = DoubleVector.zero(D);
            int j = 0;
            for (; j < body; j += 8) {
                DoubleVector gh = widen(g, go + j);
                if (w != null) {
                    gh = gh.mul(widen(w, j));
                }
                DoubleVector xh = widen(x, xo + j).sub(mu).mul(inv);
                sa = sa.add(gh);
                sc = sc.add(gh.mul(xh));
            }
            sa.intoArray(lanes, 0);
            sc.intoArray(lanes, 8);
            NormKernels.gradSumsTail(x, xo, g, go, j, d, w, mu, inv, lanes);
            double a = NormKernels.combine(lanes, 0) / d;
            double c = NormKernels.combine(lanes, 8) / d;
            int gxo = gxOff + r * d;
            for (j = 0; j < body; j += 8) {
                DoubleVector gh = widen(g, go + j);
                if (w != null) {
                    gh = gh.mul(widen(w, j));
                }
                DoubleVector xh = widen(x, xo + j).sub(mu).mul(inv);
                gh.sub(a).sub(xh.mul(c)).mul(inv)
                        .convertShape(VectorOperators.D2F, F, 0).reinterpretAsFloats().intoArray(gx, gxo + j);
            }
            NormKernels.gradRow(x, xo, g, go, gx, gxo, j, d, w, mu, inv, a, c);
        }
    }

    /** Σ (x − mu), or Σ (x − mu)² when {@code square}: lane k is the scalar chain k, the tail goes to chain 0. */
    private static double sum(float[] x, int xo, int d, int body, double mu, boolean square, double[] lanes) {
        DoubleVector s = DoubleVector.zero(D);
        for (int j = 0; j < body; j += 8) {
            DoubleVector c = widen(x, xo + j).sub(mu);
            s = s.add(square ? c.mul(c) : c);
        }
        s.intoArray(lanes, 0);
        return NormKernels.finishCentredSum(x, xo, body, d, mu, square, lanes);
    }

    private static DoubleVector widen(float[] a, int off) {
        return (DoubleVector) FloatVector.fromArray(F, a, off).convertShape(VectorOperators.F2D, D, 0);
    }
}
