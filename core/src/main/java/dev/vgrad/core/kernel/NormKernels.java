package dev.vgrad.core.kernel;

/**
 * Row kernels of float32 layer normalisation over rows of {@code d} contiguous elements (docs/SEMANTICS.md §3.7),
 * every intermediate in double and each stored result rounded once to float:
 * <ul>
 *   <li>forward: {@code μ = Σx/d}, {@code σ⁻¹ = 1/√(Σ(x − μ)²/d + ε)}, {@code y = ((x − μ)·σ⁻¹)·w + b};
 *   <li>backward, with {@code x̂ = (x − μ)·σ⁻¹} and {@code ĝ = g·w}: {@code ∂x = σ⁻¹·(ĝ − Σĝ/d − x̂·Σ(ĝ·x̂)/d)},
 *       and per column {@code ∂w += g·x̂}, {@code ∂b += g} into the caller's double accumulators.
 * </ul>
 * Each row sum runs as eight chains (chain k takes the elements {@code j ≡ k mod 8} in order, the elements past
 * the last multiple of eight go to chain 0), combined as {@code ((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7))}. One chain
 * would wait on every add's latency; fixing the chains (instead of following the vector width) gives the same
 * bits on every machine, and the SIMD loop ({@code SimdNormKernels}: eight double lanes, used on 512-bit vector
 * hardware when {@link KernelProvider#simdEnabled()}) is bit-identical to the scalar one here. A row's bits depend
 * on that row only.
 *
 * <p>Internal: used by nn's LayerNorm; not part of the stable API. No argument is checked: the caller guarantees
 * the array sizes. {@code w} and {@code b} may be null (no affine weight or bias).
 */
public final class NormKernels {
    private NormKernels() {}

    private static boolean simd(boolean wanted) {
        return wanted && KernelProvider.simdEnabled() && SimdNormKernels.USABLE;
    }

    /**
     * Normalises {@code rows} rows: row r reads {@code x[xOff + r·d ..]}, writes {@code y[yOff + r·d ..]} and
     * {@code mean[sOff + r]}, {@code rstd[sOff + r]}.
     *
     * @param simd true to use the SIMD loop where it runs (false forces the scalar loop; same bits either way)
     * @param x    input rows
     * @param xOff offset of row 0 of x
     * @param y    output rows (may be x itself)
     * @param yOff offset of row 0 of y
     * @param rows number of rows
     * @param d    row length, ≥ 1
     * @param w    weight (d elements) or null
     * @param b    bias (d elements) or null
     * @param eps  ε added to the variance
     * @param mean per-row μ, out
     * @param rstd per-row σ⁻¹, out
     * @param sOff offset of row 0 in mean and rstd
     */
    public static void layerNormForward(boolean simd, float[] x, int xOff, float[] y, int yOff, int rows, int d,
                                        float[] w, float[] b, double eps, double[] mean, double[] rstd, int sOff) {
        if (simd(simd)) {
            SimdNormKernels.forward(x, xOff, y, yOff, rows, d, w, b, eps, mean, rstd, sOff);
            return;
        }
        double[] lanes = new double[8];
        for (int r = 0; r < rows; r++) {
            int xo = xOff + r * d;
            double mu = centredSum(x, xo, d, 0.0, false, lanes) / d;
            double inv = 1.0 / Math.sqrt(centredSum(x, xo, d, mu, true, lanes) / d + eps);
            mean[sOff + r] = mu;
            rstd[sOff + r] = inv;
            normaliseRow(x, xo, y, yOff + r * d, 0, d, w, b, mu, inv);
        }
    }

    /** Elements {@code from..d-1} of one row of the forward. */
    static void normaliseRow(float[] x, int xo, float[] y, int yo, int from, int d, float[] w, float[] b, double mu,
                             double inv) {
        for (int j = from; j < d; j++) {
            double o = (x[xo + j] - mu) * inv;
            if (w != null) {
                o *= w[j];
            }
            if (b != null) {
                o += b[j];
            }
            y[yo + j] = (float) o;
        }
    }

    /**
     * Backward of {@code rows} rows: row r of the input gradient goes to {@code gx[gxOff + r·d ..]} (skipped when
     * gx is null; gx may be g itself, every row of g is read before that row of gx is written), and the weight
     * and bias gradients of these rows are added to {@code accW} / {@code accB} (each skipped when null).
     *
     * @param simd  true to use the SIMD loop where it runs (false forces the scalar loop; same bits either way)
     * @param x     the forward's input rows
     * @param xOff  offset of row 0 of x
     * @param g     gradient of the output rows
     * @param gOff  offset of row 0 of g
     * @param gx    input gradient rows, out, or null
     * @param gxOff offset of row 0 of gx
     * @param rows  number of rows
     * @param d     row length, ≥ 1
     * @param w     weight (d elements) or null
     * @param mean  per-row μ from the forward
     * @param rstd  per-row σ⁻¹ from the forward
     * @param sOff  offset of row 0 in mean and rstd
     * @param accW  weight-gradient accumulator (d elements) or null
     * @param accB  bias-gradient accumulator (d elements) or null
     */
    public static void layerNormBackward(boolean simd, float[] x, int xOff, float[] g, int gOff, float[] gx,
                                         int gxOff, int rows, int d, float[] w, double[] mean, double[] rstd,
                                         int sOff, double[] accW, double[] accB) {
        if (simd(simd)) {
            SimdNormKernels.backward(x, xOff, g, gOff, gx, gxOff, rows, d, w, mean, rstd, sOff, accW, accB);
            return;
        }
        double[] s = new double[16];
        for (int r = 0; r < rows; r++) {
            int xo = xOff + r * d;
            int go = gOff + r * d;
            double mu = mean[sOff + r];
            double inv = rstd[sOff + r];
            accumulateRow(x, xo, g, go, 0, d, mu, inv, accW, accB);
            if (gx == null) {
                continue;
            }
            java.util.Arrays.fill(s, 0.0);
            int j = 0;
            for (; j + 8 <= d; j += 8) {
                for (int k = 0; k < 8; k++) {
                    double gh = w == null ? (double) g[go + j + k] : (double) g[go + j + k] * w[j + k];
                    double xh = (x[xo + j + k] - mu) * inv;
                    s[k] += gh;
                    s[8 + k] += gh * xh;
                }
            }
            gradSumsTail(x, xo, g, go, j, d, w, mu, inv, s);
            gradRow(x, xo, g, go, gx, gxOff + r * d, 0, d, w, mu, inv, combine(s, 0) / d, combine(s, 8) / d);
        }
    }

    /** Elements {@code from..d-1} of one row's weight and bias gradients. */
    static void accumulateRow(float[] x, int xo, float[] g, int go, int from, int d, double mu, double inv,
                              double[] accW, double[] accB) {
        for (int j = from; j < d; j++) {
            double gj = g[go + j];
            if (accW != null) {
                accW[j] += gj * ((x[xo + j] - mu) * inv);
            }
            if (accB != null) {
                accB[j] += gj;
            }
        }
    }

    /** Adds elements {@code from..d-1} of Σĝ and Σĝ·x̂ to chain 0 of each ({@code s[0]}, {@code s[8]}). */
    static void gradSumsTail(float[] x, int xo, float[] g, int go, int from, int d, float[] w, double mu, double inv,
                             double[] s) {
        for (int j = from; j < d; j++) {
            double gh = w == null ? (double) g[go + j] : (double) g[go + j] * w[j];
            double xh = (x[xo + j] - mu) * inv;
            s[0] += gh;
            s[8] += gh * xh;
        }
    }

    /** Elements {@code from..d-1} of one row's input gradient, given a = Σĝ/d and c = Σĝ·x̂/d. */
    static void gradRow(float[] x, int xo, float[] g, int go, float[] gx, int gxo, int from, int d, float[] w,
                        double mu, double inv, double a, double c) {
        for (int j = from; j < d; j++) {
            double gh = w == null ? (double) g[go + j] : (double) g[go + j] * w[j];
            double xh = (x[xo + j] - mu) * inv;
            gx[gxo + j] = (float) (inv * (gh - a - xh * c));
        }
    }

    /** Σ (x − mu), or Σ (x − mu)² when {@code square}, over one row in the eight fixed chains. */
    private static double centredSum(float[] x, int xo, int d, double mu, boolean square, double[] s) {
        java.util.Arrays.fill(s, 0.0);
        int j = 0;
        for (; j + 8 <= d; j += 8) {
            for (int k = 0; k < 8; k++) {
                double c = x[xo + j + k] - mu;
                s[k] += square ? c * c : c;
            }
        }
        return finishCentredSum(x, xo, j, d, mu, square, s);
    }

    /** Adds elements {@code from..d-1} to chain 0 and combines the chains {@code s[0..7]}. */
    static double finishCentredSum(float[] x, int xo, int from, int d, double mu, boolean square, double[] s) {
        for (int j = from; j < d; j++) {
            double c = x[xo + j] - mu;
            s[0] += square ? c * c : c;
        }
        return combine(s, 0);
    }

    /** The fixed combination of chains {@code s[o..o+7]}. */
    static double combine(double[] s, int o) {
        return ((s[o] + s[o + 1]) + (s[o + 2] + s[o + 3])) + ((s[o + 4] + s[o + 5]) + (s[o + 6] + s[o + 7]));
    }
}
