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

    public Conv1d(int inChannels, int outChannels, int kernelSize) {
        this(inChannels, outChannels, kernelSize, 1, 0, 1, 1, true, Generator.defaultGenerator());
    }

    /** Full form with numeric padding. */
    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride, int padding, int dilation, int groups,
                  boolean bias, Generator gen) {
        this(inChannels, outChannels, kernelSize, stride, padding, null, dilation, groups, bias, gen);
    }

    /** Full form with padding "same" or "valid". */
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

    /** Re-draws weight and bias with PyTorch's default law from {@code gen}. */
    public void resetParameters(Generator gen) {
        Init.defaultAffine(weight(), bias(), gen);
    }

    public Tensor weight() {
        return param("weight");
    }

    public Tensor bias() {
        return param("bias");
    }

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
