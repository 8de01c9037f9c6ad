package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** {@code nn.MSELoss}: mean (or sum, or none) of {@code (x − y)²}. */
public class MSELoss extends Loss {
    public MSELoss() {}

    @Override
    public MSELoss reduction(String reduction) {
        super.reduction(reduction);
        return this;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.mseLoss(input, target, reduction.toString());
    }
}
