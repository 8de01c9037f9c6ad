package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/**
 * 1-D convolution ({@code nn.Conv1d}) on (N, C, L) or unbatched (C, L) inputs; weight (out, in/groups, k), bias
 * (out), both drawn from U(−1/√fan_in, 1/√fan_in), {@code fan_in = in/groups·k} (docs/SEMANTICS.md §7). Runs as
 * a 2-D convolution over a height-1 input (docs/SEMANTICS.md §19). Padding numeric or "same"/"valid".
 */
public class Conv1d extends Module {
    private final int inChannels;
    private final int outChannels;
    private final int kernel;
    private final int stride;
    private final int padding;
    private final String paddingString;
    private final int dilation;
    private final int groups;

    /**
     * Conv1d(in, out, k) with stride 1, no padding, dilation 1, one group and a bias, from the default generator.
     *
     * @param inChannels C_in, number of input channels, positive
     * @param outChannels C_out, number of output channels, positive
     * @param kernelSize kernel width k, positive
     * @throws IllegalArgumentException for a non-positive size
     */
    public Conv1d(int inChannels, int outChannels, int kernelSize) {
        this(inChannels, outChannels, kernelSize, 1, 0, 1, 1, true, Generator.defaultGenerator());
    }

    /**
     * Full form with numeric padding.
     *
     * @param inChannels C_in, number of input channels, positive; divisible by {@code groups}
     * @param outChannels C_out, number of output channels, positive; divisible by {@code groups}
     * @param kernelSize kernel width k, positive
     * @param stride step between windows, positive
     * @param padding zeros added on both ends, at least 0
     * @param dilation spacing between kernel taps, positive
     * @param groups number of blocked connections from input to output channels, positive
     * @param bias whether to add a learnable (C_out) bias
     * @param gen source of the initial weights
     * @throws IllegalArgumentException for any size, channel or group count out of range
     */
    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride, int padding, int dilation, int groups,
                  boolean bias, Generator gen) {
        this(inChannels, outChannels, kernelSize, stride, padding, null, dilation, groups, bias, gen);
    }

    /**
     * Full form with padding "same" or "valid".
     *
     * @param inChannels C_in, number of input channels, positive; divisible by {@code groups}
     * @param outChannels C_out, number of output channels, positive; divisible by {@code groups}
     * @param kernelSize kernel width k, positive
     * @param stride step between windows; must be 1 for "same"
     * @param padding "same" (L_out = L) or "valid" (no padding)
     * @param dilation spacing between kernel taps, positive
     * @param groups number of blocked connections from input to output channels, positive
     * @param bias whether to add a learnable (C_out) bias
     * @param gen source of the initial weights
     * @throws IllegalArgumentException for an unknown padding string, "same" with a stride, or a size out of range
     */
    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride, String padding, int dilation,
                  int groups, boolean bias, Generator gen) {
        this(inChannels, outChannels, kernelSize, stride, 0, Check.nonNull("Conv1d", "padding", padding), dilation,
                groups, bias, gen);
    }

    private Conv1d(int inChannels, int outChannels, int kernelSize, int stride, int padding, String padStr,
                   int dilation, int groups, boolean bias, Generator gen) {
        if (groups <= 0) {
            throw new IllegalArgumentException("Conv1d: groups must be a positive integer");
        }
        if (inChannels <= 0 || outChannels <= 0) {
            throw new IllegalArgumentException("Conv1d: in_channels and out_channels must be positive, got "
                    + inChannels + " and " + outChannels);
        }
        if (inChannels % groups != 0) {
            throw new IllegalArgumentException("Conv1d: in_channels must be divisible by groups");
        }
        if (outChannels % groups != 0) {
            throw new IllegalArgumentException("Conv1d: out_channels must be divisible by groups");
        }
        Check.nonNull("Conv1d", "generator", gen);
        Check.positive("Conv1d", "kernel_size", kernelSize);
        Check.positive("Conv1d", "stride", stride);
        Check.positive("Conv1d", "dilation", dilation);
        Check.nonNegative("Conv1d", "padding", padding);
        if (padStr != null) {
            if (!padStr.equals("same") && !padStr.equals("valid")) {
                throw new IllegalArgumentException("Invalid padding string '" + padStr
                        + "', should be one of {'valid', 'same'}");
            }
            if (padStr.equals("same") && stride != 1) {
                throw new IllegalArgumentException("padding='same' is not supported for strided convolutions");
            }
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernelSize;
        this.stride = stride;
        this.padding = padding;
        this.paddingString = padStr;
        this.dilation = dilation;
        this.groups = groups;
        registerParameter("weight", Parameter.of(Tensor.zeros(outChannels, inChannels / groups, kernelSize)));
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
     * @return the (C_out, C_in/groups, k) parameter itself
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
     * Convolves {@code input} with {@link F#conv1d}.
     *
     * @param input (N, C_in, L) or unbatched (C_in, L)
     * @return (N, C_out, L_out) (or (C_out, L_out)),
     *   {@code L_out = floor((L + 2·padding − dilation·(k − 1) − 1)/stride) + 1}
     */
    @Override
    public Tensor forward(Tensor input) {
        if (paddingString != null) {
            return F.conv1d(input, weight(), bias(), stride, paddingString, dilation, groups);
        }
        return F.conv1d(input, weight(), bias(), stride, padding, dilation, groups);
    }

    @Override
    public String extraRepr() {
        StringBuilder s = new StringBuilder();
        s.append(inChannels).append(", ").append(outChannels).append(", kernel_size=(").append(kernel)
                .append(",), stride=(").append(stride).append(",)");
        if (paddingString != null) {
            s.append(", padding=").append(paddingString);
        } else if (padding != 0) {
            s.append(", padding=(").append(padding).append(",)");
        }
        if (dilation != 1) {
            s.append(", dilation=(").append(dilation).append(",)");
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
