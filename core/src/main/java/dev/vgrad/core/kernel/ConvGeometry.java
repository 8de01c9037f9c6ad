package dev.vgrad.core.kernel;

/**
 * Shape parameters of a 2-D convolution: input {@code (n, c, h, w)}, weight
 * {@code (outChannels, c/groups, kh, kw)}, output {@code (n, outChannels, outH(), outW())}.
 *
 * <p>{@code outH = (h + 2·padH − dilationH·(kh − 1) − 1) / strideH + 1} (floor), likewise {@code outW}.
 * Use {@link #of} to build a validated instance.
 */
public record ConvGeometry(int n, int c, int h, int w, int outChannels, int kh, int kw,
                           int strideH, int strideW, int padH, int padW, int dilationH, int dilationW,
                           int groups) {

    /** Validates like the canonical constructor; kept for readability at call sites. */
    public static ConvGeometry of(int n, int c, int h, int w, int outChannels, int kh, int kw,
                                  int strideH, int strideW, int padH, int padW, int dilationH, int dilationW,
                                  int groups) {
        return new ConvGeometry(n, c, h, w, outChannels, kh, kw, strideH, strideW, padH, padW, dilationH,
                dilationW, groups);
    }

    /** Validates every parameter, with IllegalArgumentException messages naming {@code conv2d}. */
    public ConvGeometry {
        String in = "input (" + n + ", " + c + ", " + h + ", " + w + ")";
        String wt = "weight (" + outChannels + ", " + (groups > 0 ? c / groups : c) + ", " + kh + ", " + kw + ")";
        if (n < 0 || c < 0 || h < 0 || w < 0) {
            throw new IllegalArgumentException("conv2d: input sizes must be non-negative, got " + in);
        }
        if (outChannels < 0 || kh <= 0 || kw <= 0) {
            throw new IllegalArgumentException("conv2d: weight must have positive kernel size and non-negative"
                    + " out channels, got kernel " + kh + "x" + kw + ", out channels " + outChannels);
        }
        if (strideH <= 0 || strideW <= 0) {
            throw new IllegalArgumentException("conv2d: non-positive stride is not supported, got stride ("
                    + strideH + ", " + strideW + ")");
        }
        if (padH < 0 || padW < 0) {
            throw new IllegalArgumentException("conv2d: negative padding is not supported, got padding ("
                    + padH + ", " + padW + ")");
        }
        if (dilationH <= 0 || dilationW <= 0) {
            throw new IllegalArgumentException("conv2d: dilation must be positive, got dilation ("
                    + dilationH + ", " + dilationW + ")");
        }
        if (groups <= 0) {
            throw new IllegalArgumentException("conv2d: groups must be positive, got " + groups);
        }
        if (c % groups != 0) {
            throw new IllegalArgumentException("conv2d: input channels (" + c + ") must be divisible by groups ("
                    + groups + "); " + in);
        }
        if (outChannels % groups != 0) {
            throw new IllegalArgumentException("conv2d: out channels (" + outChannels
                    + ") must be divisible by groups (" + groups + "); " + wt);
        }
        long effH = (long) dilationH * (kh - 1) + 1;
        long effW = (long) dilationW * (kw - 1) + 1;
        long oh = ((long) h + 2L * padH - effH) / strideH + 1;
        long ow = ((long) w + 2L * padW - effW) / strideW + 1;
        if ((long) h + 2L * padH < effH || (long) w + 2L * padW < effW || oh < 1 || ow < 1) {
            throw new IllegalArgumentException("conv2d: Calculated padded input size per channel: ("
                    + ((long) h + 2L * padH) + " x " + ((long) w + 2L * padW) + "). Kernel size: (" + effH + " x "
                    + effW + "). Kernel size can't be greater than actual input size; Calculated output size ("
                    + n + ", " + outChannels + ", " + oh + ", " + ow + ") is too small; " + in + ", " + wt);
        }
        long inSize = (long) n * c * h * w;
        long outSize = (long) n * outChannels * oh * ow;
        long colSize = (long) (c / groups) * kh * kw * oh * ow;
        long wSize = (long) outChannels * (c / groups) * kh * kw;
        if (inSize > Integer.MAX_VALUE || outSize > Integer.MAX_VALUE || colSize > Integer.MAX_VALUE
                || wSize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("conv2d: tensor too large for int indexing; " + in + ", " + wt);
        }
    }

    /** Output height. */
    public int outH() {
        return (h + 2 * padH - dilationH * (kh - 1) - 1) / strideH + 1;
    }

    /** Output width. */
    public int outW() {
        return (w + 2 * padW - dilationW * (kw - 1) - 1) / strideW + 1;
    }

    /** Input channels per group. */
    public int cPerGroup() {
        return c / groups;
    }

    /** Output channels per group. */
    public int oPerGroup() {
        return outChannels / groups;
    }

    /** Number of input elements {@code n·c·h·w}. */
    public int inputSize() {
        return n * c * h * w;
    }

    /** Number of weight elements {@code outChannels·(c/groups)·kh·kw}. */
    public int weightSize() {
        return outChannels * (c / groups) * kh * kw;
    }

    /** Number of output elements {@code n·outChannels·outH·outW}. */
    public int outputSize() {
        return n * outChannels * outH() * outW();
    }
}
