package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** {@code nn.L1Loss}: mean (or sum, or none) of {@code |x − y|} (docs/SEMANTICS.md §20.1). */
public class L1Loss extends Loss {
    /** Creates the loss with mean reduction. */
    public L1Loss() {}

    @Override
    public L1Loss reduction(String reduction) {
        super.reduction(reduction);
        return this;
    }

    /**
     * The loss of {@code input} against {@code target} ({@link F#l1Loss(Tensor, Tensor, String)};
     * the mean absolute error under mean reduction).
     *
     * @param input predictions of any shape
     * @param target targets of the input's shape (broadcast with PyTorch's warning otherwise)
     * @return 0-d for mean/sum, the broadcast shape for none
     */
    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.l1Loss(input, target, reduction.toString());
    }
}
