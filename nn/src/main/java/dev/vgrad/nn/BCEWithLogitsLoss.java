package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/**
 * {@code nn.BCEWithLogitsLoss} in the numerically stable form (docs/SEMANTICS.md §8.4), with optional element
 * {@code weight} and {@code posWeight} (broadcast over the last dim).
 */
public class BCEWithLogitsLoss extends Loss {
    public BCEWithLogitsLoss() {
        registerBuffer("weight", null);
        registerBuffer("pos_weight", null);
    }

    public BCEWithLogitsLoss weight(Tensor weight) {
        registerBuffer("weight", weight);
        return this;
    }

    public BCEWithLogitsLoss posWeight(Tensor posWeight) {
        registerBuffer("pos_weight", posWeight);
        return this;
    }

    @Override
    public BCEWithLogitsLoss reduction(String reduction) {
        super.reduction(reduction);
        return this;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.bceWithLogits(input, target, buffer("weight"), buffer("pos_weight"), reduction.toString());
    }
}
