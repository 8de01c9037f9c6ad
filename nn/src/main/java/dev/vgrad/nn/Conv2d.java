package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/**
 * 2-D convolution ({@code nn.Conv2d}) on (N, C, H, W) inputs; weight (out, in/groups, kH, kW), bias (out),
 * both drawn from U(−1/√fan_in, 1/√fan_in) with {@code fan_in = in/groups·kH·kW} (docs/SEMANTICS.md §7).
 * Padding is numeric or the strings "same"/"valid"; padding mode "zeros".
 */
public class Conv2d extends Module {
    private final int inChannels;
    private final int outChannels;
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final String paddingString;
    private final int[] dilation;
    private final int groups;

    /**
     * Conv2d(in, out, k) with stride 1, no padding and bias, from the default generator.
     *
     * @param inChannels C_in, number of input channels, positive
     * @param outChannels C_out, number of output channels, positive
     * @param kernelSize side k of the k×k kernel, positive
     * @throws IllegalArgumentException for a non-positive size
     */
    public Conv2d(int inChannels, int outChannels, int kernelSize) {
        this(inChannels, outChannels, new int[] {kernelSize, kernelSize}, new int[] {1, 1}, new int[] {0, 0},
                new int[] {1, 1}, 1, true, Generator.defaultGenerator());
    }

    /**
     * Square kernel, stride and padding.
     *
     * @param inChannels C_in, number of input channels, positive
     * @param outChannels C_out, number of output channels, positive
     * @param kernelSize side k of the k×k kernel, positive
     * @param stride step in both spatial dims, positive
     * @param padding zeros added on every side, at least 0
     * @throws IllegalArgumentException for a non-positive size or stride or a negative padding
     */
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding) {
        this(inChannels, outChannels, new int[] {kernelSize, kernelSize}, new int[] {stride, stride},
                new int[] {padding, padding}, new int[] {1, 1}, 1, true, Generator.defaultGenerator());
    }

    /**
     * Square kernel, stride and padding, optional bias, from {@code gen}.
     *
     * @param inChannels C_in, number of input channels, positive
     * @param outChannels C_out, number of output channels, positive
     * @param kernelSize side k of the k×k kernel, positive
     * @param stride step in both spatial dims, positive
     * @param padding zeros added on every side, at least 0
     * @param bias whether to add a learnable (C_out) bias
     * @param gen source of the initial weights
     * @throws IllegalArgumentException for a non-positive size or stride, a negative padding or a null generator
     */
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, boolean bias,
                  Generator gen) {
        this(inChannels, outChannels, new int[] {kernelSize, kernelSize}, new int[] {stride, stride},
                new int[] {padding, padding}, new int[] {1, 1}, 1, bias, gen);
    }

    /**
     * Full form with numeric padding.
     *
     * @param inChannels C_in, number of input channels, positive; divisible by {@code groups}
     * @param outChannels C_out, number of output channels, positive; divisible by {@code groups}
     * @param kernelSize {kH, kW}, or {k} for both, positive
     * @param stride {sH, sW}, or {s} for both, positive
     * @param padding {pH, pW}, or {p} for both: zeros added on both sides, at least 0
     * @param dilation {dH, dW}, or {d} for both: spacing between kernel taps, positive
     * @param groups number of blocked connections from input to output channels, positive
     * @param bias whether to add a learnable (C_out) bias
     * @param gen source of the initial weights
     * @throws IllegalArgumentException for any size, channel or group count out of range
     */
    public Conv2d(int inChannels, int outChannels, int[] kernelSize, int[] stride, int[] padding, int[] dilation,
                  int groups, boolean bias, Generator gen) {
        this(inChannels, outChannels, kernelSize, stride, padding, null, dilation, groups, bias, gen);
    }

    /**
     * Full form with padding "same" or "valid".
     *
     * @param inChannels C_in, number of input channels, positive; divisible by {@code groups}
     * @param outChannels C_out, number of output channels, positive; divisible by {@code groups}
     * @param kernelSize {kH, kW}, or {k} for both, positive
     * @param stride {sH, sW}, or {s} for both; must be 1 for "same"
     * @param padding "same" (H_out = H, W_out = W) or "valid" (no padding)
     * @param dilation {dH, dW}, or {d} for both: spacing between kernel taps, positive
     * @param groups number of blocked connections from input to output channels, positive
     * @param bias whether to add a learnable (C_out) bias
     * @param gen source of the initial weights
     * @throws IllegalArgumentException for an unknown padding string, "same" with a stride, or a size out of range
     */
    public Conv2d(int inChannels, int outChannels, int[] kernelSize, int[] stride, String padding, int[] dilation,
                  int groups, boolean bias, Generator gen) {
        this(inChannels, outChannels, kernelSize, stride, null, padding, dilation, groups, bias, gen);
    }

    private Conv2d(int inChannels, int outChannels, int[] kernelSize, int[] stride, int[] padding, String padStr,
                   int[] dilation, int groups, boolean bias, Generator gen) {
        if (groups <= 0) {
            throw new IllegalArgumentException("Conv2d: groups must be a positive integer");
        }
        if (inChannels <= 0 || outChannels <= 0) {
            throw new IllegalArgumentException("Conv2d: in_channels and out_channels must be positive, got "
                    + inChannels + " and " + outChannels);
        }
        Check.nonNull("Conv2d", "generator", gen);
        if (inChannels % groups != 0) {
            throw new IllegalArgumentException("Conv2d: in_channels must be divisible by groups");
        }
        if (outChannels % groups != 0) {
            throw new IllegalArgumentException("Conv2d: out_channels must be divisible by groups");
        }
        if (padStr == null && padding == null) {
            throw new IllegalArgumentException("Conv2d: argument 'padding' must not be null");
        }
        if (padStr != null) {
            Check.nonNull("Conv2d", "stride", stride);
            if (!padStr.equals("same") && !padStr.equals("valid")) {
                throw new IllegalArgumentException("Invalid padding string '" + padStr
                        + "', should be one of {'valid', 'same'}");
            }
            if (padStr.equals("same") && (stride[0] != 1 || stride[1] != 1)) {
                throw new IllegalArgumentException("padding='same' is not supported for strided convolutions");
            }
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = Check.pair("Conv2d", "kernel_size", kernelSize);
        this.stride = Check.pair("Conv2d", "stride", stride);
        this.padding = padStr == null ? Check.pair("Conv2d", "padding", padding) : null;
        this.paddingString = padStr;
        this.dilation = Check.pair("Conv2d", "dilation", dilation);
        Check.positive("Conv2d", "kernel_size", kernel);
        Check.positive("Conv2d", "stride", this.stride);
        Check.positive("Conv2d", "dilation", this.dilation);
        if (this.padding != null) {
            Check.nonNegative("Conv2d", "padding", this.padding);
        }
        this.groups = groups;
        registerParameter("weight", Parameter.of(Tensor.zeros(outChannels, inChannels / groups, kernel[0], kernel[1])));
        registerParameter("bias", bias ? Parameter.of(Tensor.zeros(outChannels)) : null);
        resetParameters(gen);
    }


    /**
     * Re-draws weight and bias with PyTorch's default law from {@code gen}.
     *
     * @param gen source of the draws
     */
    public void resetParameters(Generator gen) {
        Init.defaultAffine(weight(), bias(), gen);
    }

    /**
     * The weight parameter.
     *
     * @return the (C_out, C_in/groups, kH, kW) parameter itself
     */
    public Tensor weight() {
        return param("weight");
    }

    /**
     * The bias parameter.
     *
     * @return the (C_out) parameter itself, or null when built without bias
     */
    public Tensor bias() {
        return param("bias");
    }

    /**
     * Convolves {@code input} with {@link F#conv2d}.
     *
     * @param input (N, C_in, H, W) or unbatched (C_in, H, W)
     * @return (N, C_out, H_out, W_out) (or (C_out, H_out, W_out)) with
     *   {@code H_out = floor((H + 2·pH − dH·(kH − 1) − 1)/sH) + 1}, likewise W_out
     */
    @Override
    public Tensor forward(Tensor input) {
        if (paddingString != null) {
            return F.conv2d(input, weight(), bias(), stride, paddingString, dilation, groups);
        }
        return F.conv2d(input, weight(), bias(), stride, padding, dilation, groups);
    }

    @Override
    public String extraRepr() {
        StringBuilder s = new StringBuilder();
        s.append(inChannels).append(", ").append(outChannels).append(", kernel_size=").append(Py.tuple(kernel))
                .append(", stride=").append(Py.tuple(stride));
        if (paddingString != null) {
            s.append(", padding=").append(paddingString);
        } else if (padding[0] != 0 || padding[1] != 0) {
            s.append(", padding=").append(Py.tuple(padding));
        }
        if (dilation[0] != 1 || dilation[1] != 1) {
            s.append(", dilation=").append(Py.tuple(dilation));
        }
        if (groups != 1) {
            s.append(", groups=").append(groups);
        }
        if (bias() == null) {
            s.append(", bias=False");
        }
        return s.toString();
    }
}
