package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/**
 * {@code nn.BCELoss} on probabilities (docs/SEMANTICS.md §20.4):
 * {@code −w·(y·max(log x, −100) + (1 − y)·max(log(1 − x), −100))}, with an optional element {@code weight}
 * (a buffer, broadcast to the target). For logits use the stabler {@link BCEWithLogitsLoss}.
 */
public class BCELoss extends Loss {
    public BCELoss() {
        registerBuffer("weight", null);
    }

    public BCELoss weight(Tensor weight) {
        registerBuffer("weight", weight);
        return this;
    }

    @Override
    public BCELoss reduction(String reduction) {
        super.reduction(reduction);
        return this;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.binaryCrossEntropy(input, target, buffer("weight"), reduction.toString());
    }
}
