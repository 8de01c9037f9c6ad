package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** {@code nn.MSELoss}: mean (or sum, or none) of {@code (x − y)²}. */
public class MSELoss extends Loss {
    /** Creates the loss with mean reduction. */
    public MSELoss() {}

    @Override
    public MSELoss reduction(String reduction) {
        super.reduction(reduction);
        return this;
    }

    /**
     * The loss of {@code input} against {@code target} ({@link F#mseLoss(Tensor, Tensor, String)};
     * the mean squared error under mean reduction).
     *
     * @param input predictions of any shape
     * @param target targets of the input's shape (broadcast with PyTorch's warning otherwise)
     * @return 0-d for mean/sum, the broadcast shape for none
     */
    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.mseLoss(input, target, reduction.toString());
    }
}
