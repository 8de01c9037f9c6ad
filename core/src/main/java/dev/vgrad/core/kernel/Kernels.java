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
 *
 * <p>Every method reads and writes flat {@code float[]} arrays: an array parameter {@code x} comes with an
 * offset {@code xOff} (index of its first element) and all methods process {@code n} elements (or
 * {@code rows × cols}); no bounds or aliasing checks are made beyond the JVM's own. Internal: this is the compute
 * SPI of core's tensor ops, nn and optim; not part of the stable API (obtain the instance with
 * {@link KernelProvider#kernels()}).
 */
public interface Kernels {
    /** Number of float lanes summed independently in {@link #sum}; fixes the summation order. */
    int SUM_LANES = 16;

    /**
     * out[outOff + i] = op(a[aOff + i·aStride], b[bOff + i·bStride]) for i in [0, n).
     *
     * @param op      the binary function
     * @param a       first operand's array
     * @param aOff    offset of a's first element
     * @param aStride 0 (broadcast a[aOff]) or 1 (contiguous)
     * @param b       second operand's array
     * @param bOff    offset of b's first element
     * @param bStride 0 (broadcast b[bOff]) or 1 (contiguous)
     * @param out     result array (may be a contiguous operand's array at the same offset)
     * @param outOff  offset of the first result
     * @param n       number of elements
     */
    void binary(BinaryOp op, float[] a, int aOff, int aStride, float[] b, int bOff, int bStride,
                float[] out, int outOff, int n);

    /**
     * out[i] = op(x[i]), exactly {@link UnaryOp#apply(float, float)} (up to the ulps noted above).
     *
     * @param op     the unary function
     * @param x      input array
     * @param xOff   offset of x's first element
     * @param out    result array (may be x at the same offset)
     * @param outOff offset of the first result
     * @param n      number of elements
     * @param alpha  the op's scalar parameter (LeakyReLU slope, POW_SCALAR exponent; ignored by the others)
     */
    void unary(UnaryOp op, float[] x, int xOff, float[] out, int outOff, int n, float alpha);

    /**
     * out[i] = g[i] · op'(x[i]) given y = op(x), exactly {@link UnaryOp#grad(float, float, float, float)}. A rule
     * that reads only x or only y (see {@link UnaryOp#reads()}) may be given the same array for both.
     *
     * @param op     the unary function whose derivative is applied
     * @param x      forward input array
     * @param xOff   offset of x's first element
     * @param y      forward output array
     * @param yOff   offset of y's first element
     * @param g      upstream gradient array
     * @param gOff   offset of g's first element
     * @param out    result array (input gradient)
     * @param outOff offset of the first result
     * @param n      number of elements
     * @param alpha  the op's scalar parameter, as given to the forward
     */
    void unaryBackward(UnaryOp op, float[] x, int xOff, float[] y, int yOff, float[] g, int gOff,
                       float[] out, int outOff, int n, float alpha);

    /**
     * out[i] = clamp(x[i], lo, hi) with NaN propagated.
     *
     * @param x      input array
     * @param xOff   offset of x's first element
     * @param out    result array
     * @param outOff offset of the first result
     * @param n      number of elements
     * @param lo     lower bound ({@code -Infinity} for none)
     * @param hi     upper bound ({@code +Infinity} for none)
     */
    void clamp(float[] x, int xOff, float[] out, int outOff, int n, float lo, float hi);

    /**
     * out[i] = a·x[i] + b (an affine map; batch norm normalises a channel with it: a = γ/σ, b = β − μ·a).
     *
     * @param x      input array
     * @param xOff   offset of x's first element
     * @param out    result array
     * @param outOff offset of the first result
     * @param n      number of elements
     * @param a      scale
     * @param b      shift
     */
    void affine(float[] x, int xOff, float[] out, int outOff, int n, float a, float b);

    /**
     * Sum of n elements in a fixed order: {@link #SUM_LANES} interleaved partial sums, combined
     * pairwise, then the tail. Deterministic and identical in both implementations.
     *
     * @param x   input array
     * @param off offset of the first element
     * @param n   number of elements
     * @return the sum (0 for n = 0)
     */
    float sum(float[] x, int off, int n);

    /**
     * Σ x[i]·y[i] in the same fixed order as {@link #sum}.
     *
     * @param x    first vector's array
     * @param xOff offset of x's first element
     * @param y    second vector's array
     * @param yOff offset of y's first element
     * @param n    number of elements
     * @return the dot product
     */
    float dot(float[] x, int xOff, float[] y, int yOff, int n);

    /**
     * Σ (x[i] − xMu)·(y[i] − yMu) in the same fixed order as {@link #sum} (each product an fma into its lane
     * partial). With x = y and xMu = yMu = μ it is the sum of squared deviations; with xMu = 0 it is Σ x·(y − μ).
     *
     * @param x    first vector's array
     * @param xOff offset of x's first element
     * @param xMu  value subtracted from every x[i]
     * @param y    second vector's array
     * @param yOff offset of y's first element
     * @param yMu  value subtracted from every y[i]
     * @param n    number of elements
     * @return the centred dot product
     */
    float centeredDot(float[] x, int xOff, float xMu, float[] y, int yOff, float yMu, int n);

    /**
     * One pass computing both {@code out[0] = sum(g, gOff, n)} and {@code out[1] = centeredDot(g, gOff, 0, x,
     * xOff, mu, n)}, each bit-identical to those methods (batch-norm backward needs Σg and Σg·(x − μ)).
     *
     * @param g    gradient array
     * @param gOff offset of g's first element
     * @param x    input array
     * @param xOff offset of x's first element
     * @param mu   mean subtracted from x
     * @param n    number of elements
     * @param out  receives the two results in out[0] and out[1] (length ≥ 2)
     */
    void sumAndCenteredDot(float[] g, int gOff, float[] x, int xOff, float mu, int n, float[] out);

    /**
     * {@code out[r] = sum(x, off + r·stride, n)} for {@code r < rows}: many short segments at once (batch norm
     * sums one channel of every image). Each result is bit-identical to {@link #sum}; an implementation may run
     * several rows side by side to hide the latency of their accumulation chains.
     *
     * @param x      input array
     * @param off    offset of row 0's first element
     * @param stride distance between the starts of consecutive rows
     * @param rows   number of rows
     * @param n      elements per row
     * @param out    receives the row sums in out[0 .. rows)
     */
    default void sumRows(float[] x, int off, int stride, int rows, int n, float[] out) {
        for (int r = 0; r < rows; r++) {
            out[r] = sum(x, off + r * stride, n);
        }
    }

    /**
     * {@code out[r] = centeredDot(x, o, mu, x, o, mu, n)} with {@code o = off + r·stride}: the squared deviations
     * of each segment, bit-identical to {@link #centeredDot}.
     *
     * @param x      input array
     * @param off    offset of row 0's first element
     * @param stride distance between the starts of consecutive rows
     * @param rows   number of rows
     * @param n      elements per row
     * @param mu     mean subtracted from every element
     * @param out    receives the sums of squared deviations in out[0 .. rows)
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
     *
     * @param g      gradient array
     * @param gOff   offset of g's row 0
     * @param x      input array
     * @param xOff   offset of x's row 0
     * @param stride distance between the starts of consecutive rows (same for g and x)
     * @param rows   number of rows
     * @param n      elements per row
     * @param mu     mean subtracted from x
     * @param out    receives the pairs in out[0 .. 2·rows)
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
     *
     * @param g      upstream gradient array
     * @param gOff   offset of g's first element
     * @param x      forward input array
     * @param xOff   offset of x's first element
     * @param out    result array (input gradient)
     * @param outOff offset of the first result
     * @param n      number of elements
     * @param mu     the channel mean μ
     * @param k      Σg(x−μ)·invstd²/count
     * @param gMean  Σg/count
     * @param s      invstd·weight (invstd alone without affine weight)
     */
    void batchNormGrad(float[] g, int gOff, float[] x, int xOff, float[] out, int outOff, int n,
                       float mu, float k, float gMean, float s);

    /**
     * Maximum (NaN if any element is NaN); n ≥ 1.
     *
     * @param x   input array
     * @param off offset of the first element
     * @param n   number of elements, at least 1
     * @return the largest element, or NaN
     */
    float max(float[] x, int off, int n);

    /**
     * Minimum (NaN if any element is NaN); n ≥ 1.
     *
     * @param x   input array
     * @param off offset of the first element
     * @param n   number of elements, at least 1
     * @return the smallest element, or NaN
     */
    float min(float[] x, int off, int n);

    /**
     * Row-wise softmax (log=false) or log-softmax (log=true) of {@code rows} contiguous rows of length {@code cols}.
     *
     * @param x      input array, row-major [rows, cols]
     * @param xOff   offset of x's first element
     * @param out    result array, row-major [rows, cols]
     * @param outOff offset of the first result
     * @param rows   number of rows
     * @param cols   row length (the softmax dimension)
     * @param log    true for log-softmax
     */
    void softmaxRows(float[] x, int xOff, float[] out, int outOff, int rows, int cols, boolean log);

    /**
     * Row-wise softmax backward: out = y ⊙ (g − Σ g⊙y) when log=false, out = g − exp(y)·Σ g when log=true,
     * where y is the forward output.
     *
     * @param y      forward output array, row-major [rows, cols]
     * @param yOff   offset of y's first element
     * @param g      upstream gradient array, same layout
     * @param gOff   offset of g's first element
     * @param out    result array (input gradient), same layout
     * @param outOff offset of the first result
     * @param rows   number of rows
     * @param cols   row length
     * @param log    true when the forward was log-softmax
     */
    void softmaxBackwardRows(float[] y, int yOff, float[] g, int gOff, float[] out, int outOff,
                             int rows, int cols, boolean log);

    /**
     * y[i] += a·x[i].
     *
     * @param a    scale
     * @param x    input array
     * @param xOff offset of x's first element
     * @param y    accumulator array, updated in place
     * @param yOff offset of y's first element
     * @param n    number of elements
     */
    void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n);
}
