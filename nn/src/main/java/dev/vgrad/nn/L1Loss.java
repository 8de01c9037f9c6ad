package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** {@code nn.L1Loss}: mean (or sum, or none) of {@code |x − y|} (docs/SEMANTICS.md §20.1). */
public class L1Loss extends Loss {
    public L1Loss() {}

    @Override
    public L1Loss reduction(String reduction) {
        super.reduction(reduction);
        return this;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.l1Loss(input, target, reduction.toString());
    }
}
