package dev.vgrad.core.kernel;

/**
 * Shape parameters of a 2-D pooling over an {@code (n, c, h, w)} input, producing {@code (n, c, outH, outW)}.
 *
 * <p>Build with {@link #maxPool2d}, {@link #avgPool2d} or {@link #adaptive}; each validates its arguments like
 * PyTorch and throws IllegalArgumentException naming the op. Output sizes follow ATen's
 * {@code pooling_output_shape}: {@code out = floor_or_ceil((in + 2·pad − dilation·(k−1) − 1) / stride) + 1},
 * and with {@code ceilMode} the last window must start inside the input or the left padding.
 *
 * <p>Internal: built by core's pooling ops ({@code ConvOps}) and read by {@link PoolKernels}; not part of the
 * stable API.
 */
public final class PoolGeometry {
    private final String op;
    private final int n, c, h, w;
    private final int kh, kw, strideH, strideW, padH, padW, dilationH, dilationW;
    private final boolean ceilMode, countIncludePad, adaptive;
    private final int outH, outW;

    private PoolGeometry(String op, int n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
                         int padH, int padW, int dilationH, int dilationW, boolean ceilMode,
                         boolean countIncludePad, boolean adaptive, int outH, int outW) {
        this.op = op;
        this.n = n;
        this.c = c;
        this.h = h;
        this.w = w;
        this.kh = kh;
        this.kw = kw;
        this.strideH = strideH;
        this.strideW = strideW;
        this.padH = padH;
        this.padW = padW;
        this.dilationH = dilationH;
        this.dilationW = dilationW;
        this.ceilMode = ceilMode;
        this.countIncludePad = countIncludePad;
        this.adaptive = adaptive;
        this.outH = outH;
        this.outW = outW;
    }

    /**
     * Geometry of {@code max_pool2d(kernel, stride, padding, dilation, ceil_mode)}.
     *
     * @param n        batch size N, ≥ 0
     * @param c        channels C, ≥ 1
     * @param h        input height H, ≥ 1
     * @param w        input width W, ≥ 1
     * @param kh       kernel height, ≥ 1
     * @param kw       kernel width, ≥ 1
     * @param strideH  vertical stride, ≥ 1
     * @param strideW  horizontal stride, ≥ 1
     * @param padH     implicit padding on top and bottom, in [0, effective kernel height / 2]
     * @param padW     implicit padding on left and right, in [0, effective kernel width / 2]
     * @param dilationH vertical spacing of window taps, ≥ 1
     * @param dilationW horizontal spacing of window taps, ≥ 1
     * @param ceilMode  round output sizes up instead of down
     * @return the validated geometry
     * @throws IllegalArgumentException naming the op, with PyTorch's wording, for an invalid argument or an
     *                                  output size below 1 or not representable
     */
    public static PoolGeometry maxPool2d(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
                                         int padH, int padW, int dilationH, int dilationW, boolean ceilMode) {
        return windowed("max_pool2d", n, c, h, w, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW,
                ceilMode, false);
    }

    /**
     * Geometry of {@code avg_pool2d(kernel, stride, padding, ceil_mode, count_include_pad)}.
     *
     * @param n        batch size N, ≥ 0
     * @param c        channels C, ≥ 1
     * @param h        input height H, ≥ 1
     * @param w        input width W, ≥ 1
     * @param kh       kernel height, ≥ 1
     * @param kw       kernel width, ≥ 1
     * @param strideH  vertical stride, ≥ 1
     * @param strideW  horizontal stride, ≥ 1
     * @param padH     implicit padding on top and bottom, in [0, effective kernel height / 2]
     * @param padW     implicit padding on left and right, in [0, effective kernel width / 2]
     * @param ceilMode  round output sizes up instead of down
     * @param countIncludePad divide by the whole window, padding included, instead of the in-bounds taps
     * @return the validated geometry
     * @throws IllegalArgumentException naming the op, with PyTorch's wording, for an invalid argument or an
     *                                  output size below 1 or not representable
     */
    public static PoolGeometry avgPool2d(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
                                         int padH, int padW, boolean ceilMode, boolean countIncludePad) {
        return windowed("avg_pool2d", n, c, h, w, kh, kw, strideH, strideW, padH, padW, 1, 1, ceilMode,
                countIncludePad);
    }

    /**
     * Geometry of {@code adaptive_avg_pool2d(output_size=(outH, outW))}.
     *
     * @param n        batch size N, ≥ 0
     * @param c        channels C, ≥ 1
     * @param h        input height H, ≥ 1
     * @param w        input width W, ≥ 1
     * @param outH     output height, ≥ 0
     * @param outW     output width, ≥ 0
     * @return the validated geometry
     * @throws IllegalArgumentException naming the op for an invalid input shape or a negative output size
     */
    public static PoolGeometry adaptive(int n, int c, int h, int w, int outH, int outW) {
        String op = "adaptive_avg_pool2d";
        checkInput(op, n, c, h, w);
        if (outH < 0 || outW < 0) {
            throw new IllegalArgumentException(op + ": elements of output_size must be greater than or equal to 0"
                    + " but received (" + outH + ", " + outW + ")");
        }
        checkSize(op, n, c, outH, outW);
        return new PoolGeometry(op, n, c, h, w, 0, 0, 0, 0, 0, 0, 1, 1, false, false, true, outH, outW);
    }

    private static PoolGeometry windowed(String op, int n, int c, int h, int w, int kh, int kw, int strideH,
                                         int strideW, int padH, int padW, int dilationH, int dilationW,
                                         boolean ceilMode, boolean countIncludePad) {
        checkInput(op, n, c, h, w);
        if (kh <= 0 || kw <= 0) {
            throw new IllegalArgumentException(op + ": kernel size should be greater than zero, but got kH: " + kh
                    + " kW: " + kw);
        }
        if (strideH <= 0 || strideW <= 0) {
            throw new IllegalArgumentException(op + ": stride should be greater than zero, but got dH: " + strideH
                    + " dW: " + strideW);
        }
        if (dilationH <= 0 || dilationW <= 0) {
            throw new IllegalArgumentException(op + ": dilation should be greater than zero, but got dilationH: "
                    + dilationH + " dilationW: " + dilationW);
        }
        if (padH < 0 || padW < 0) {
            throw new IllegalArgumentException(op + ": pad must be non-negative, but got padH: " + padH
                    + " padW: " + padW);
        }
        long effH = (long) (kh - 1) * dilationH + 1;
        long effW = (long) (kw - 1) * dilationW + 1;
        if (effH / 2 < padH || effW / 2 < padW) {
            throw new IllegalArgumentException(op + ": pad should be at most half of effective kernel size, but got"
                    + " pad=(" + padH + ", " + padW + "), kernel_size=(" + kh + ", " + kw + ") and dilation=("
                    + dilationH + ", " + dilationW + ")");
        }
        long oh = outputSize(h, kh, padH, strideH, dilationH, ceilMode);
        long ow = outputSize(w, kw, padW, strideW, dilationW, ceilMode);
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException(op + ": Given input size: (" + c + "x" + h + "x" + w
                    + "). Calculated output size: (" + c + "x" + oh + "x" + ow + "). Output size is too small");
        }
        checkSize(op, n, c, oh, ow);
        if (n > 0) {
            Sizes.checkPadded(op, "height", h, padH);
            Sizes.checkPadded(op, "width", w, padW);
        }
        // a stride over one output and the dilation of a one-wide kernel only ever meet 0: normalised so that the
        // kernels' int arithmetic cannot overflow (the output sizes are already fixed)
        strideH = Sizes.effectiveStride(strideH, oh, minStride(h, padH, effH, ceilMode));
        strideW = Sizes.effectiveStride(strideW, ow, minStride(w, padW, effW, ceilMode));
        dilationH = kh == 1 ? 1 : dilationH;
        dilationW = kw == 1 ? 1 : dilationW;
        return new PoolGeometry(op, n, c, h, w, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW,
                ceilMode, countIncludePad, false, (int) oh, (int) ow);
    }

    /**
     * The smallest stride giving one output: above the span {@code in + 2·pad − eff} (floor mode); with ceil
     * mode a second window exists unless it would start at or beyond {@code in + pad} (or the span is 0).
     */
    private static long minStride(long in, long pad, long eff, boolean ceil) {
        long span = in + 2 * pad - eff;
        return ceil && span > 0 ? Math.max(span + 1, in + pad) : span + 1;
    }

    /** ATen's pooling_output_shape. */
    static long outputSize(long in, long k, long pad, long stride, long dilation, boolean ceil) {
        long num = in + 2 * pad - dilation * (k - 1) - 1 + (ceil ? stride - 1 : 0);
        long out = Math.floorDiv(num, stride) + 1;
        if (ceil && (out - 1) * stride >= in + pad) {
            out--;
        }
        return out;
    }

    private static void checkInput(String op, int n, int c, int h, int w) {
        if (n < 0 || c <= 0 || h <= 0 || w <= 0) {
            // PyTorch's sentence for max and avg pooling (its shape is the batched one here)
            throw new IllegalArgumentException(op + ": Expected 3D or 4D (batch mode) tensor with optional 0 dim batch"
                    + " size for input, but got:[" + n + ", " + c + ", " + h + ", " + w + "] (non-zero C, H, W)");
        }
        Sizes.numel(op, new int[] {n, c, h, w});
    }

    /** The output, and the int arithmetic of the kernels, must fit: sizes checked without overflow. */
    private static void checkSize(String op, int n, int c, long oh, long ow) {
        Sizes.numel(op, new int[] {n, c, Sizes.dim(op, "output height", oh), Sizes.dim(op, "output width", ow)});
    }

    /** {@return the name of the op this geometry was built for (used in messages)} */
    public String op() {
        return op;
    }

    /** {@return the batch size N} */
    public int n() {
        return n;
    }

    /** {@return the number of channels C} */
    public int c() {
        return c;
    }

    /** {@return the input height H} */
    public int h() {
        return h;
    }

    /** {@return the input width W} */
    public int w() {
        return w;
    }

    /** {@return the kernel height (0 for adaptive pooling)} */
    public int kh() {
        return kh;
    }

    /** {@return the kernel width (0 for adaptive pooling)} */
    public int kw() {
        return kw;
    }

    /**
     * {@return the vertical stride the kernels use (lowered when there is a single output row; 0 for adaptive
     * pooling)}
     */
    public int strideH() {
        return strideH;
    }

    /**
     * {@return the horizontal stride the kernels use (lowered when there is a single output column; 0 for adaptive
     * pooling)}
     */
    public int strideW() {
        return strideW;
    }

    /** {@return the padding on top and bottom} */
    public int padH() {
        return padH;
    }

    /** {@return the padding on left and right} */
    public int padW() {
        return padW;
    }

    /** {@return the vertical dilation (1 for a one-tall kernel and for average and adaptive pooling)} */
    public int dilationH() {
        return dilationH;
    }

    /** {@return the horizontal dilation (1 for a one-wide kernel and for average and adaptive pooling)} */
    public int dilationW() {
        return dilationW;
    }

    /** {@return whether output sizes were rounded up ({@code ceil_mode})} */
    public boolean ceilMode() {
        return ceilMode;
    }

    /** {@return whether average pooling divides by the full window including padding ({@code count_include_pad})} */
    public boolean countIncludePad() {
        return countIncludePad;
    }

    /** {@return whether this geometry was built with {@link #adaptive}} */
    public boolean isAdaptive() {
        return adaptive;
    }

    /** {@return the output height} */
    public int outH() {
        return outH;
    }

    /** {@return the output width} */
    public int outW() {
        return outW;
    }

    /** {@return the input element count {@code n·c·h·w}} */
    public int inputSize() {
        return n * c * h * w;
    }

    /** {@return the output element count {@code n·c·outH·outW}} */
    public int outputSize() {
        return n * c * outH * outW;
    }

    @Override
    public String toString() {
        return op + "[input=(" + n + ", " + c + ", " + h + ", " + w + "), kernel=(" + kh + ", " + kw + "), stride=("
                + strideH + ", " + strideW + "), pad=(" + padH + ", " + padW + "), dilation=(" + dilationH + ", "
                + dilationW + "), ceilMode=" + ceilMode + ", countIncludePad=" + countIncludePad + ", out=(" + outH
                + ", " + outW + ")]";
    }
}
