package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/**
 * {@code y = x·Wᵀ + b} ({@code nn.Linear}). Weight (out, in) and bias (out) are drawn from
 * U(−1/√in, 1/√in), weight first, from the given generator (docs/SEMANTICS.md §7).
 */
public class Linear extends Module {
    private final int inFeatures;
    private final int outFeatures;

    /**
     * Linear layer with bias, initialised from the default generator.
     *
     * @param inFeatures size of each input sample's last dim, at least 0
     * @param outFeatures size of each output sample's last dim, at least 0
     * @throws IllegalArgumentException for a negative size
     */
    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true, Generator.defaultGenerator());
    }

    /**
     * Linear layer, initialised from the default generator.
     *
     * @param inFeatures size of each input sample's last dim, at least 0
     * @param outFeatures size of each output sample's last dim, at least 0
     * @param bias whether to add a learnable (out_features) bias
     * @throws IllegalArgumentException for a negative size
     */
    public Linear(int inFeatures, int outFeatures, boolean bias) {
        this(inFeatures, outFeatures, bias, Generator.defaultGenerator());
    }

    /**
     * Linear layer initialised from {@code gen}.
     *
     * @param inFeatures size of each input sample's last dim, at least 0
     * @param outFeatures size of each output sample's last dim, at least 0
     * @param bias whether to add a learnable (out_features) bias
     * @param gen source of the initial weights
     * @throws IllegalArgumentException for a negative size or a null generator
     */
    public Linear(int inFeatures, int outFeatures, boolean bias, Generator gen) {
        if (inFeatures < 0 || outFeatures < 0) {
            throw new IllegalArgumentException("Linear: in_features and out_features must be non-negative, got "
                    + inFeatures + ", " + outFeatures);
        }
        Check.nonNull("Linear", "generator", gen);
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        registerParameter("weight", Parameter.of(Tensor.zeros(outFeatures, inFeatures)));
        registerParameter("bias", bias ? Parameter.of(Tensor.zeros(outFeatures)) : null);
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
     * @return the (out_features, in_features) parameter itself
     */
    public Tensor weight() {
        return param("weight");
    }

    /**
     * The bias parameter.
     *
     * @return the (out_features) parameter itself, or null when built without bias
     */
    public Tensor bias() {
        return param("bias");
    }

    /**
     * The input width.
     *
     * @return {@code in_features}
     */
    public int inFeatures() {
        return inFeatures;
    }

    /**
     * The output width.
     *
     * @return {@code out_features}
     */
    public int outFeatures() {
        return outFeatures;
    }

    /**
     * Applies {@link F#linear(Tensor, Tensor, Tensor)}.
     *
     * @param input (*, in_features), any number of leading dims
     * @return (*, out_features)
     */
    @Override
    public Tensor forward(Tensor input) {
        return F.linear(input, weight(), bias());
    }

    @Override
    public String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + Py.repr(bias() != null);
    }
}
