package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/**
 * {@code nn.BCEWithLogitsLoss} in the numerically stable form (docs/SEMANTICS.md §8.4), with optional element
 * {@code weight} and {@code posWeight} (broadcast over the last dim).
 */
public class BCEWithLogitsLoss extends Loss {
    /** Mean reduction, no weights. */
    public BCEWithLogitsLoss() {
        registerBuffer("weight", null);
        registerBuffer("pos_weight", null);
    }

    /**
     * Sets the per-element rescaling weight, kept as a buffer as in PyTorch.
     *
     * @param weight weight broadcastable to the input, or null for none
     * @return this loss
     */
    public BCEWithLogitsLoss weight(Tensor weight) {
        registerBuffer("weight", weight);
        return this;
    }

    /**
     * Sets the weight of positive examples, kept as a buffer as in PyTorch.
     *
     * @param posWeight weight broadcastable to the input, e.g. (C) for (N, C) multi-label logits; or null
     * @return this loss
     */
    public BCEWithLogitsLoss posWeight(Tensor posWeight) {
        registerBuffer("pos_weight", posWeight);
        return this;
    }

    @Override
    public BCEWithLogitsLoss reduction(String reduction) {
        super.reduction(reduction);
        return this;
    }

    /**
     * The binary cross-entropy of the logits {@code input} against {@code target} ({@link F#bceWithLogits}).
     *
     * @param input logits of any shape
     * @param target targets in [0, 1] of the input's shape
     * @return 0-d for mean/sum, the input's shape for none
     * @throws IllegalArgumentException when the shapes differ
     */
    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.bceWithLogits(input, target, buffer("weight"), buffer("pos_weight"), reduction.toString());
    }
}
