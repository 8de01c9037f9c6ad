package dev.vgrad.core.kernel;

/**
 * Shape parameters of a 2-D convolution: input {@code (n, c, h, w)}, weight
 * {@code (outChannels, c/groups, kh, kw)}, output {@code (n, outChannels, outH(), outW())}.
 *
 * <p>{@code outH = (h + 2·padH − dilationH·(kh − 1) − 1) / strideH + 1} (floor), likewise {@code outW}.
 * Use {@link #of} to build a validated instance. Sizes are checked by {@link Sizes} (docs/SEMANTICS.md §10); the
 * stride and dilation components hold the values the kernels use, which differ from the arguments only where the
 * kernels never use them (a stride over a single output position, the dilation of a one-wide kernel).
 *
 * <p>Internal: built by core's convolution op ({@code ConvOps}) and read by {@link ConvKernels}; not part of the
 * stable API.
 *
 * @param n           batch size N, ≥ 0
 * @param c           input channels C, ≥ 0 and divisible by groups
 * @param h           input height, ≥ 0
 * @param w           input width, ≥ 0
 * @param outChannels output channels O, ≥ 0 and divisible by groups
 * @param kh          kernel height, ≥ 1
 * @param kw          kernel width, ≥ 1
 * @param strideH     vertical stride, ≥ 1 (as held: the stride the kernels use)
 * @param strideW     horizontal stride, ≥ 1 (as held: the stride the kernels use)
 * @param padH        zero padding on top and bottom, ≥ 0
 * @param padW        zero padding on left and right, ≥ 0
 * @param dilationH   vertical spacing of kernel taps, ≥ 1 (as held: 1 when kh is 1)
 * @param dilationW   horizontal spacing of kernel taps, ≥ 1 (as held: 1 when kw is 1)
 * @param groups      number of channel groups, ≥ 1
 */
public record ConvGeometry(int n, int c, int h, int w, int outChannels, int kh, int kw,
                           int strideH, int strideW, int padH, int padW, int dilationH, int dilationW,
                           int groups) {

    /**
     * Validates like the canonical constructor; kept for readability at call sites.
     *
     * @param n           batch size N, ≥ 0
     * @param c           input channels C, ≥ 0 and divisible by groups
     * @param h           input height, ≥ 0
     * @param w           input width, ≥ 0
     * @param outChannels output channels O, ≥ 0 and divisible by groups
     * @param kh          kernel height, ≥ 1
     * @param kw          kernel width, ≥ 1
     * @param strideH     vertical stride, ≥ 1 (as held: the stride the kernels use)
     * @param strideW     horizontal stride, ≥ 1 (as held: the stride the kernels use)
     * @param padH        zero padding on top and bottom, ≥ 0
     * @param padW        zero padding on left and right, ≥ 0
     * @param dilationH   vertical spacing of kernel taps, ≥ 1 (as held: 1 when kh is 1)
     * @param dilationW   horizontal spacing of kernel taps, ≥ 1 (as held: 1 when kw is 1)
     * @param groups      number of channel groups, ≥ 1
     * @return the validated geometry
     * @throws IllegalArgumentException naming {@code conv2d} for an invalid or unrepresentable geometry
     */
    public static ConvGeometry of(int n, int c, int h, int w, int outChannels, int kh, int kw,
                                  int strideH, int strideW, int padH, int padW, int dilationH, int dilationW,
                                  int groups) {
        return new ConvGeometry(n, c, h, w, outChannels, kh, kw, strideH, strideW, padH, padW, dilationH,
                dilationW, groups);
    }

    /**
     * Validates every parameter, with IllegalArgumentException messages naming {@code conv2d}.
     *
     * @param n           batch size N, ≥ 0
     * @param c           input channels C, ≥ 0 and divisible by groups
     * @param h           input height, ≥ 0
     * @param w           input width, ≥ 0
     * @param outChannels output channels O, ≥ 0 and divisible by groups
     * @param kh          kernel height, ≥ 1
     * @param kw          kernel width, ≥ 1
     * @param strideH     vertical stride, ≥ 1 (as held: the stride the kernels use)
     * @param strideW     horizontal stride, ≥ 1 (as held: the stride the kernels use)
     * @param padH        zero padding on top and bottom, ≥ 0
     * @param padW        zero padding on left and right, ≥ 0
     * @param dilationH   vertical spacing of kernel taps, ≥ 1 (as held: 1 when kh is 1)
     * @param dilationW   horizontal spacing of kernel taps, ≥ 1 (as held: 1 when kw is 1)
     * @param groups      number of channel groups, ≥ 1
     * @throws IllegalArgumentException naming {@code conv2d} for an invalid or unrepresentable geometry
     */
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
        long oh = Sizes.windowOutput(h, kh, padH, strideH, dilationH);
        long ow = Sizes.windowOutput(w, kw, padW, strideW, dilationW);
        if ((long) h + 2L * padH < effH || (long) w + 2L * padW < effW || oh < 1 || ow < 1) {
            throw new IllegalArgumentException("conv2d: Calculated padded input size per channel: ("
                    + ((long) h + 2L * padH) + " x " + ((long) w + 2L * padW) + "). Kernel size: (" + effH + " x "
                    + effW + "). Kernel size can't be greater than actual input size; Calculated output size ("
                    + n + ", " + outChannels + ", " + oh + ", " + ow + ") is too small; " + in + ", " + wt);
        }
        Sizes.dim("conv2d", "output height", oh);
        Sizes.dim("conv2d", "output width", ow);
        // values the kernels would only ever multiply by 0 (a stride over one output, the dilation of a one-wide
        // kernel) are normalised so that their int arithmetic cannot overflow; outH()/outW() are unchanged
        // floor((span) / s) = 0 for any s > span
        strideH = Sizes.effectiveStride(strideH, oh, (long) h + 2L * padH - effH + 1);
        strideW = Sizes.effectiveStride(strideW, ow, (long) w + 2L * padW - effW + 1);
        dilationH = kh == 1 ? 1 : dilationH;
        dilationW = kw == 1 ? 1 : dilationW;
        if (n > 0 && c > 0 && outChannels > 0) {
            Sizes.checkPadded("conv2d", "height", h, padH);
            Sizes.checkPadded("conv2d", "width", w, padW);
        }
        // every buffer the kernels index with int: input, output, weight and (when there is an image to
        // convolve) the im2col matrix of one image
        Sizes.numel("conv2d", new int[] {n, c, h, w});
        Sizes.numel("conv2d", new int[] {n, outChannels, (int) oh, (int) ow});
        Sizes.numel("conv2d", new int[] {outChannels, c / groups, kh, kw});
        if (n > 0) {
            Sizes.numel("conv2d", new int[] {c / groups, kh, kw, (int) oh, (int) ow});
        }
    }

    /**
     * Output height (validated by the constructor to fit an int; computed in long, as h + 2·padH can overflow).
     *
     * @return {@code floor((h + 2·padH − dilationH·(kh − 1) − 1) / strideH) + 1}
     */
    public int outH() {
        return (int) Sizes.windowOutput(h, kh, padH, strideH, dilationH);
    }

    /** {@return the output width} (see {@link #outH()}) */
    public int outW() {
        return (int) Sizes.windowOutput(w, kw, padW, strideW, dilationW);
    }

    /** {@return the input channels per group, {@code c / groups}} */
    public int cPerGroup() {
        return c / groups;
    }

    /** {@return the output channels per group, {@code outChannels / groups}} */
    public int oPerGroup() {
        return outChannels / groups;
    }

    /** {@return the number of input elements {@code n·c·h·w}} */
    public int inputSize() {
        return n * c * h * w;
    }

    /** {@return the number of weight elements {@code outChannels·(c/groups)·kh·kw}} */
    public int weightSize() {
        return outChannels * (c / groups) * kh * kw;
    }

    /** {@return the number of output elements {@code n·outChannels·outH·outW}} */
    public int outputSize() {
        return n * outChannels * outH() * outW();
    }
}
