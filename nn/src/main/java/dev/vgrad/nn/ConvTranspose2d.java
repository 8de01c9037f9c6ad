package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/**
 * Transposed 2-D convolution ({@code nn.ConvTranspose2d}): the adjoint of {@link Conv2d} with the same geometry
 * (docs/SEMANTICS.md §19). Weight (in, out/groups, kH, kW) and bias (out), drawn as PyTorch does:
 * kaiming-uniform(a=√5) with {@code fan_in = weight.size(1)·kH·kW} and bias from U(−1/√fan_in, 1/√fan_in).
 * Output size {@code (H − 1)·stride − 2·padding + dilation·(kH − 1) + output_padding + 1}.
 */
public class ConvTranspose2d extends Module {
    private final int inChannels;
    private final int outChannels;
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final int[] outputPadding;
    private final int groups;
    private final int[] dilation;

    /**
     * ConvTranspose2d(in, out, k, stride) with no padding, dilation 1, one group and a bias, from the default
     * generator.
     *
     * @param inChannels C_in, number of input channels, positive
     * @param outChannels C_out, number of output channels, positive
     * @param kernelSize side k of the k×k kernel, positive
     * @param stride upsampling step in both spatial dims, positive
     * @throws IllegalArgumentException for a non-positive size or stride
     */
    public ConvTranspose2d(int inChannels, int outChannels, int kernelSize, int stride) {
        this(inChannels, outChannels, new int[] {kernelSize}, new int[] {stride}, new int[] {0}, new int[] {0}, 1,
                true, new int[] {1}, Generator.defaultGenerator());
    }

    /**
     * Full form, in PyTorch's argument order; each int[] has 1 or 2 elements.
     *
     * @param inChannels C_in, number of input channels, positive; divisible by {@code groups}
     * @param outChannels C_out, number of output channels, positive; divisible by {@code groups}
     * @param kernelSize {kH, kW} or {k}, positive
     * @param stride {sH, sW} or {s}, positive
     * @param padding {pH, pW} or {p}: {@code dilation·(k − 1) − padding} zeros on both sides, at least 0
     * @param outputPadding {oH, oW} or {o}: extra size on one side; smaller than the stride or the dilation
     * @param groups number of blocked connections from input to output channels, positive
     * @param bias whether to add a learnable (C_out) bias
     * @param dilation {dH, dW} or {d}: spacing between kernel taps, positive
     * @param gen source of the initial weights
     * @throws IllegalArgumentException for any size, channel or group count out of range
     */
    public ConvTranspose2d(int inChannels, int outChannels, int[] kernelSize, int[] stride, int[] padding,
                           int[] outputPadding, int groups, boolean bias, int[] dilation, Generator gen) {
        if (groups <= 0) {
            throw new IllegalArgumentException("ConvTranspose2d: groups must be a positive integer");
        }
        if (inChannels <= 0 || outChannels <= 0) {
            throw new IllegalArgumentException("ConvTranspose2d: in_channels and out_channels must be positive, got "
                    + inChannels + " and " + outChannels);
        }
        if (inChannels % groups != 0) {
            throw new IllegalArgumentException("ConvTranspose2d: in_channels must be divisible by groups");
        }
        if (outChannels % groups != 0) {
            throw new IllegalArgumentException("ConvTranspose2d: out_channels must be divisible by groups");
        }
        Check.nonNull("ConvTranspose2d", "generator", gen);
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = Check.pair("ConvTranspose2d", "kernel_size", kernelSize);
        this.stride = Check.pair("ConvTranspose2d", "stride", stride);
        this.padding = Check.pair("ConvTranspose2d", "padding", padding);
        this.outputPadding = Check.pair("ConvTranspose2d", "output_padding", outputPadding);
        this.dilation = Check.pair("ConvTranspose2d", "dilation", dilation);
        Check.positive("ConvTranspose2d", "kernel_size", kernel);
        Check.positive("ConvTranspose2d", "stride", this.stride);
        Check.positive("ConvTranspose2d", "dilation", this.dilation);
        Check.nonNegative("ConvTranspose2d", "padding", this.padding);
        Check.nonNegative("ConvTranspose2d", "output_padding", this.outputPadding);
        for (int d = 0; d < 2; d++) {
            if (this.outputPadding[d] >= this.stride[d] && this.outputPadding[d] >= this.dilation[d]) {
                throw new IllegalArgumentException("ConvTranspose2d: output padding must be smaller than either "
                        + "stride or dilation, got output_padding " + Py.tuple(this.outputPadding) + ", stride "
                        + Py.tuple(this.stride) + ", dilation " + Py.tuple(this.dilation));
            }
        }
        this.groups = groups;
        registerParameter("weight", Parameter.of(Tensor.zeros(inChannels, outChannels / groups, kernel[0],
                kernel[1])));
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
     * @return the (C_in, C_out/groups, kH, kW) parameter itself
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
     * Applies {@link F#convTranspose2d}.
     *
     * @param input (N, C_in, H, W) or unbatched (C_in, H, W)
     * @return (N, C_out, H_out, W_out) (or unbatched) with
     *   {@code H_out = (H − 1)·sH − 2·pH + dH·(kH − 1) + oH + 1}, likewise W_out
     */
    @Override
    public Tensor forward(Tensor input) {
        return F.convTranspose2d(input, weight(), bias(), stride, padding, outputPadding, groups, dilation);
    }

    @Override
    public String extraRepr() {
        StringBuilder s = new StringBuilder();
        s.append(inChannels).append(", ").append(outChannels).append(", kernel_size=").append(Py.tuple(kernel))
                .append(", stride=").append(Py.tuple(stride));
        if (padding[0] != 0 || padding[1] != 0) {
            s.append(", padding=").append(Py.tuple(padding));
        }
        if (dilation[0] != 1 || dilation[1] != 1) {
            s.append(", dilation=").append(Py.tuple(dilation));
        }
        if (outputPadding[0] != 0 || outputPadding[1] != 0) {
            s.append(", output_padding=").append(Py.tuple(outputPadding));
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
