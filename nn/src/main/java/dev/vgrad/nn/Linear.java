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

    /** Linear layer with bias, initialised from the default generator. */
    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true, Generator.defaultGenerator());
    }

    /** Linear layer, initialised from the default generator. */
    public Linear(int inFeatures, int outFeatures, boolean bias) {
        this(inFeatures, outFeatures, bias, Generator.defaultGenerator());
    }

    /** Linear layer initialised from {@code gen}. */
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

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.linear(input, weight(), bias());
    }

    @Override
    public String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + Py.repr(bias() != null);
    }
}
