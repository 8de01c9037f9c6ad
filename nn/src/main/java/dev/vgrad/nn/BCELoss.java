package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/**
 * {@code nn.BCELoss} on probabilities (docs/SEMANTICS.md §20.4):
 * {@code −w·(y·max(log x, −100) + (1 − y)·max(log(1 − x), −100))}, with an optional element {@code weight}
 * (a buffer, broadcast to the target). For logits use the stabler {@link BCEWithLogitsLoss}.
 */
public class BCELoss extends Loss {
    /** Mean reduction, no weight. */
    public BCELoss() {
        registerBuffer("weight", null);
    }

    /**
     * Sets the rescaling weight, kept as a buffer as in PyTorch.
     *
     * @param weight weight broadcastable to the target, or null for none
     * @return this loss
     */
    public BCELoss weight(Tensor weight) {
        registerBuffer("weight", weight);
        return this;
    }

    @Override
    public BCELoss reduction(String reduction) {
        super.reduction(reduction);
        return this;
    }

    /**
     * The binary cross-entropy of the probabilities {@code input} against {@code target}.
     *
     * @param input probabilities in [0, 1] of any shape
     * @param target targets of the input's shape
     * @return 0-d for mean/sum, the input's shape for none
     * @throws IllegalArgumentException when the shapes differ or the weight does not broadcast
     */
    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.binaryCrossEntropy(input, target, buffer("weight"), reduction.toString());
    }
}
