package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** {@code nn.NLLLoss} on log-probabilities, with class {@code weight}, {@code ignoreIndex} and reductions. */
public class NLLLoss extends Loss {
    private long ignoreIndex = -100;

    /** Mean reduction, no class weights, ignore index −100. */
    public NLLLoss() {
        registerBuffer("weight", null);
    }

    /**
     * Sets the per-class weights, kept as a buffer as in PyTorch.
     *
     * @param weight (C) per-class weight, or null for none
     * @return this loss
     */
    public NLLLoss weight(Tensor weight) {
        registerBuffer("weight", weight);
        return this;
    }

    /**
     * Sets the target value that contributes neither loss nor gradient.
     *
     * @param ignoreIndex the ignored class index
     * @return this loss
     */
    public NLLLoss ignoreIndex(long ignoreIndex) {
        this.ignoreIndex = ignoreIndex;
        return this;
    }

    @Override
    public NLLLoss reduction(String reduction) {
        super.reduction(reduction);
        return this;
    }

    /**
     * The negative log-likelihood of {@code target} under the log-probabilities {@code input}.
     *
     * @param input log-probabilities (N, C), (C) or (N, C, d1, …)
     * @param target int64 class indices (N), () or (N, d1, …)
     * @return 0-d for mean/sum, the target's shape for none
     * @throws IllegalArgumentException for a non-floating or 0-d input, or a batch-size mismatch
     * @throws IllegalStateException for a target of the wrong dtype or size (PyTorch's RuntimeError texts)
     * @throws IndexOutOfBoundsException for a class index outside [0, C) other than the ignore index
     */
    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return CrossEntropyOp.apply(input, target, buffer("weight"), ignoreIndex, reduction, 0.0, true);
    }
}
