package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/**
 * Group normalisation ({@code nn.GroupNorm}) of (N, C, *) inputs: C channels in {@code numGroups} groups, each
 * (sample, group) normalised by its own mean and biased variance, then per-channel weight (C, ones) and bias
 * (C, zeros) when {@code affine}. No running statistics: same in train and eval (docs/SEMANTICS.md §19).
 */
public class GroupNorm extends Module {
    private final int numGroups;
    private final int numChannels;
    private final double eps;
    private final boolean affine;

    /**
     * Group norm with eps 1e-5 and a learnable per-channel weight and bias.
     *
     * @param numGroups number of groups, positive, dividing {@code numChannels}
     * @param numChannels C, positive
     * @throws IllegalArgumentException for a count out of range
     */
    public GroupNorm(int numGroups, int numChannels) {
        this(numGroups, numChannels, 1e-5, true);
    }

    /**
     * Group norm with every PyTorch option.
     *
     * @param numGroups number of groups, positive, dividing {@code numChannels}
     * @param numChannels C, positive
     * @param eps added to the variance inside the square root; finite, at least 0
     * @param affine whether to learn a (C) weight and bias
     * @throws IllegalArgumentException for a count out of range or a bad eps
     */
    public GroupNorm(int numGroups, int numChannels, double eps, boolean affine) {
        if (numGroups <= 0 || numChannels <= 0) {
            throw new IllegalArgumentException("GroupNorm: num_groups and num_channels must be positive, got "
                    + numGroups + " and " + numChannels);
        }
        if (numChannels % numGroups != 0) {
            throw new IllegalArgumentException("num_channels must be divisible by num_groups");
        }
        this.numGroups = numGroups;
        this.numChannels = numChannels;
        this.eps = Check.eps("GroupNorm", eps);
        this.affine = affine;
        registerParameter("weight", affine ? Parameter.of(Tensor.ones(numChannels)) : null);
        registerParameter("bias", affine ? Parameter.of(Tensor.zeros(numChannels)) : null);
    }

    /**
     * The learnable per-channel scale.
     *
     * @return the (C) parameter itself, or null when not affine
     */
    public Tensor weight() {
        return param("weight");
    }

    /**
     * The learnable per-channel shift.
     *
     * @return the (C) parameter itself, or null when not affine
     */
    public Tensor bias() {
        return param("bias");
    }

    /**
     * Normalises each (sample, group) with {@link F#groupNorm}.
     *
     * @param input (N, C, *)
     * @return a new tensor of the input's shape
     * @throws IllegalArgumentException for fewer than 2 dims, or (when affine) a channel count other than C
     */
    @Override
    public Tensor forward(Tensor input) {
        return F.groupNorm(input, numGroups, weight(), bias(), eps);
    }

    @Override
    public String extraRepr() {
        return numGroups + ", " + numChannels + ", eps=" + Py.repr(eps) + ", affine=" + Py.repr(affine);
    }
}
