package dev.vgrad.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API loops of {@link NormKernels}: eight double lanes per step, lane k being the scalar loop's chain k,
 * with the same operations in the same order (no fused multiply-adds), so the bits are the scalar loop's. Only
 * loaded when {@link KernelProvider#simdEnabled()}; used only where eight double lanes are one native vector.
 *
 * <p>Each float row is widened into a double row by a plain loop (which C2 vectorises itself) and results are
 * narrowed back the same way; no float vector is ever formed here. Widening with 256-bit float vectors instead
 * fed a second float vector class into the type profiles of the Vector API's shared methods
 * ({@code FloatVector.fromArray}, {@code intoArray}); when a profile happened to name it, C2 compiled other
 * kernels' 512-bit loads and stores (GEMM packing among them) as calls on boxed vectors. Measured on the char-GPT
 * step: in about half of all runs it then allocated 341–427 instead of 215–233 MB and ran up to 30% slower.
 */
final class SimdNormKernels {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_512;
    /** Eight double lanes in one hardware vector (AVX-512); elsewhere the scalar loop is as fast. */
    static final boolean USABLE = DoubleVector.SPECIES_PREFERRED.vectorBitSize() >= 512;

    private SimdNormKernels() {}

    static void forward(float[] x, int xOff, float[] y, int yOff, int rows, int d, float[] w, float[] b, double eps,
                        double[] mean, double[] rstd, int sOff) {
        int body = d & ~7;
        double[] lanes = new double[8];
        double[] xr = new double[body], or = new double[body];
        double[] wr = w == null ? null : widen(w, 0, new double[body], body);
        double[] br = b == null ? null : widen(b, 0, new double[body], body);
        for (int r = 0; r < rows; r++) {
            int xo = xOff + r * d;
            int yo = yOff + r * d;
            widen(x, xo, xr, body);
            double mu = sum(xr, x, xo, d, body, 0.0, false, lanes) / d;
            double inv = 1.0 / Math.sqrt(sum(xr, x, xo, d, body, mu, true, lanes) / d + eps);
            mean[sOff + r] = mu;
            rstd[sOff + r] = inv;
            for (int j = 0; j < body; j += 8) {
                DoubleVector o = DoubleVector.fromArray(D, xr, j).sub(mu).mul(inv);
                if (wr != null) {
                    o = o.mul(DoubleVector.fromArray(D, wr, j));
                }
                if (br != null) {
                    o = o.add(DoubleVector.fromArray(D, br, j));
                }
                o.intoArray(or, j);
            }
            narrow(or, y, yo, body);
            NormKernels.normaliseRow(x, xo, y, yo, body, d, w, b, mu, inv);
        }
    }

    static void backward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int rows, int d,
                         float[] w, double[] mean, double[] rstd, int sOff, double[] accW, double[] accB) {
        int body = d & ~7;
        double[] lanes = new double[16];
        double[] xr = new double[body], gr = new double[body], or = new double[body];
        double[] wr = w == null ? null : widen(w, 0, new double[body], body);
        for (int r = 0; r < rows; r++) {
            int xo = xOff + r * d;
            int go = gOff + r * d;
            double mu = mean[sOff + r];
            double inv = rstd[sOff + r];
            widen(x, xo, xr, body);
            widen(g, go, gr, body);
            if (accW != null || accB != null) {
                for (int j = 0; j < body; j += 8) {
                    DoubleVector gj = DoubleVector.fromArray(D, gr, j);
                    if (accW != null) {
                        DoubleVector xh = DoubleVector.fromArray(D, xr, j).sub(mu).mul(inv);
                        DoubleVector.fromArray(D, accW, j).add(gj.mul(xh)).intoArray(accW, j);
                    }
                    if (accB != null) {
                        DoubleVector.fromArray(D, accB, j).add(gj).intoArray(accB, j);
                    }
                }
                NormKernels.accumulateRow(x, xo, g, go, body, d, mu, inv, accW, accB);
            }
            if (gx == null) {
                continue;
            }
            DoubleVector sa = DoubleVector.zero(D);
            DoubleVector sc = DoubleVector.zero(D);
            for (int j = 0; j < body; j += 8) {
                DoubleVector gh = DoubleVector.fromArray(D, gr, j);
                if (wr != null) {
                    gh = gh.mul(DoubleVector.fromArray(D, wr, j));
                }
                DoubleVector xh = DoubleVector.fromArray(D, xr, j).sub(mu).mul(inv);
                sa = sa.add(gh);
                sc = sc.add(gh.mul(xh));
            }
            sa.intoArray(lanes, 0);
            sc.intoArray(lanes, 8);
            NormKernels.gradSumsTail(x, xo, g, go, body, d, w, mu, inv, lanes);
            double a = NormKernels.combine(lanes, 0) / d;
            double c = NormKernels.combine(lanes, 8) / d;
            int gxo = gxOff + r * d;
            for (int j = 0; j < body; j += 8) {
                DoubleVector gh = DoubleVector.fromArray(D, gr, j);
                if (wr != null) {
                    gh = gh.mul(DoubleVector.fromArray(D, wr, j));
                }
                DoubleVector xh = DoubleVector.fromArray(D, xr, j).sub(mu).mul(inv);
                gh.sub(a).sub(xh.mul(c)).mul(inv).intoArray(or, j);
            }
            narrow(or, gx, gxo, body);
            NormKernels.gradRow(x, xo, g, go, gx, gxo, body, d, w, mu, inv, a, c);
        }
    }

    /** Σ (x − mu), or Σ (x − mu)² when {@code square}: lane k is the scalar chain k, the tail goes to chain 0. */
    private static double sum(double[] xr, float[] x, int xo, int d, int body, double mu, boolean square,
                              double[] lanes) {
        DoubleVector s = DoubleVector.zero(D);
        for (int j = 0; j < body; j += 8) {
            DoubleVector c = DoubleVector.fromArray(D, xr, j).sub(mu);
            s = s.add(square ? c.mul(c) : c);
        }
        s.intoArray(lanes, 0);
        return NormKernels.finishCentredSum(x, xo, body, d, mu, square, lanes);
    }

    /** dst[j] = a[off + j] for j &lt; n (exact); returns dst. */
    private static double[] widen(float[] a, int off, double[] dst, int n) {
        for (int j = 0; j < n; j++) {
            dst[j] = a[off + j];
        }
        return dst;
    }

    /** a[off + j] = (float) src[j] for j &lt; n (round to nearest, as the vector conversion). */
    private static void narrow(double[] src, float[] a, int off, int n) {
        for (int j = 0; j < n; j++) {
            a[off + j] = (float) src[j];
        }
    }
}
