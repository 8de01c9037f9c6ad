package dev.vgrad.core.kernel;

/**
 * Float32 kernels over flat arrays with explicit offsets. Two implementations exist, {@link ScalarKernels}
 * and {@code SimdKernels}. They return bit-identical results for every method except the forward of the
 * transcendental unary loops (those whose {@link UnaryOp.Forward#withinUlps} is true: EXP, LOG, TANH, SIGMOID; and
 * {@link BinaryOp#POW}), which agree within a few ulps:
 * the SIMD class vectorises IEEE-exact operations lane by lane, computes unary backward rules in float in the
 * same order as the scalar class, and reductions use the same fixed blocked summation order in both.
 *
 * <p>Strides for binary operands are 0 (broadcast a single value) or 1 (contiguous). Callers handle
 * general striding by iterating over outer dimensions.
 */
public interface Kernels {
    /** Number of float lanes summed independently in {@link #sum}; fixes the summation order. */
    int SUM_LANES = 16;

    /** out[i] = op(a[aOff + i·aStride], b[bOff + i·bStride]) for i in [0, n). */
    void binary(BinaryOp op, float[] a, int aOff, int aStride, float[] b, int bOff, int bStride,
                float[] out, int outOff, int n);

    /** out[i] = op(x[i]), exactly {@link UnaryOp#apply(float, float)} (up to the ulps noted above). */
    void unary(UnaryOp op, float[] x, int xOff, float[] out, int outOff, int n, float alpha);

    /**
     * out[i] = g[i] · op'(x[i]) given y = op(x), exactly {@link UnaryOp#grad(float, float, float, float)}. A rule
     * that reads only x or only y (see {@link UnaryOp#reads()}) may be given the same array for both.
     */
    void unaryBackward(UnaryOp op, float[] x, int xOff, float[] y, int yOff, float[] g, int gOff,
                       float[] out, int outOff, int n, float alpha);

    /** out[i] = clamp(x[i], lo, hi) with NaN propagated. */
    void clamp(float[] x, int xOff, float[] out, int outOff, int n, float lo, float hi);

    /** out[i] = a·x[i] + b (an affine map; batch norm normalises a channel with it: a = γ/σ, b = β − μ·a). */
    void affine(float[] x, int xOff, float[] out, int outOff, int n, float a, float b);

    /**
     * Sum of n elements in a fixed order: {@link #SUM_LANES} interleaved partial sums, combined
     * pairwise, then the tail. Deterministic and identical in both implementations.
     */
    float sum(float[] x, int off, int n);

    /** Σ x[i]·y[i] in the same fixed order as {@link #sum}. */
    float dot(float[] x, int xOff, float[] y, int yOff, int n);

    /**
     * Σ (x[i] − xMu)·(y[i] − yMu) in the same fixed order as {@link #sum} (each product an fma into its lane
     * partial). With x = y and xMu = yMu = μ it is the sum of squared deviations; with xMu = 0 it is Σ x·(y − μ).
     */
    float centeredDot(float[] x, int xOff, float xMu, float[] y, int yOff, float yMu, int n);

    /**
     * One pass computing both {@code out[0] = sum(g, gOff, n)} and {@code out[1] = centeredDot(g, gOff, 0, x,
     * xOff, mu, n)}, each bit-identical to those methods (batch-norm backward needs Σg and Σg·(x − μ)).
     */
    void sumAndCenteredDot(float[] g, int gOff, float[] x, int xOff, float mu, int n, float[] out);

    /**
     * {@code out[r] = sum(x, off + r·stride, n)} for {@code r < rows}: many short segments at once (batch norm
     * sums one channel of every image). Each result is bit-identical to {@link #sum}; an implementation may run
     * several rows side by side to hide the latency of their accumulation chains.
     */
    default void sumRows(float[] x, int off, int stride, int rows, int n, float[] out) {
        for (int r = 0; r < rows; r++) {
            out[r] = sum(x, off + r * stride, n);
        }
    }

    /**
     * {@code out[r] = centeredDot(x, o, mu, x, o, mu, n)} with {@code o = off + r·stride}: the squared deviations
     * of each segment, bit-identical to {@link #centeredDot}.
     */
    default void centeredSquareRows(float[] x, int off, int stride, int rows, int n, float mu, float[] out) {
        for (int r = 0; r < rows; r++) {
            int o = off + r * stride;
            out[r] = centeredDot(x, o, mu, x, o, mu, n);
        }
    }

    /**
     * {@link #sumAndCenteredDot} of the segments {@code g[gOff + r·stride …]}, {@code x[xOff + r·stride …]}:
     * {@code out[2r]} the sum, {@code out[2r + 1]} the centred dot, each bit-identical to the single-row method.
     */
    default void sumAndCenteredDotRows(float[] g, int gOff, float[] x, int xOff, int stride, int rows, int n,
                                       float mu, float[] out) {
        float[] pair = new float[2];
        for (int r = 0; r < rows; r++) {
            sumAndCenteredDot(g, gOff + r * stride, x, xOff + r * stride, mu, n, pair);
            out[2 * r] = pair[0];
            out[2 * r + 1] = pair[1];
        }
    }

    /**
     * Batch-norm input gradient, lane by lane without fma: out[i] = (g[i] − (x[i] − mu)·k − gMean)·s
     * (ATen's form, with k = Σg(x−μ)·invstd²/count and s = invstd·weight).
     */
    void batchNormGrad(float[] g, int gOff, float[] x, int xOff, float[] out, int outOff, int n,
                       float mu, float k, float gMean, float s);

    /** Maximum (NaN if any element is NaN); n ≥ 1. */
    float max(float[] x, int off, int n);

    /** Minimum (NaN if any element is NaN); n ≥ 1. */
    float min(float[] x, int off, int n);

    /** Row-wise softmax (log=false) or log-softmax (log=true) of {@code rows} contiguous rows of length {@code cols}. */
    void softmaxRows(float[] x, int xOff, float[] out, int outOff, int rows, int cols, boolean log);

    /**
     * Row-wise softmax backward: out = y ⊙ (g − Σ g⊙y) when log=false, out = g − exp(y)·Σ g when log=true,
     * where y is the forward output.
     */
    void softmaxBackwardRows(float[] y, int yOff, float[] g, int gOff, float[] out, int outOff,
                             int rows, int cols, boolean log);

    /** y[i] += a·x[i]. */
    void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n);
}
