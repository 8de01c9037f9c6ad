package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/**
 * {@code nn.HuberLoss(delta)}: {@code 0.5·z²} for {@code z = |x − y| < δ}, else {@code δ·(z − 0.5·δ)}
 * (docs/SEMANTICS.md §20.2), which is {@code δ} times {@link SmoothL1Loss} with {@code β = δ}. Default {@code δ = 1}.
 */
public class HuberLoss extends Loss {
    private final double delta;

    /** Huber loss with {@code delta = 1} and mean reduction. */
    public HuberLoss() {
        this(1.0);
    }

    /**
     * Huber loss with threshold {@code delta} and mean reduction.
     *
     * @param delta threshold between the quadratic and the linear part, positive
     * @throws IllegalArgumentException for {@code delta <= 0} or NaN, with PyTorch's message
     */
    public HuberLoss(double delta) {
        if (!(delta > 0)) {
            throw new IllegalArgumentException("huber_loss does not support non-positive values for delta.");
        }
        this.delta = delta;
    }

    /**
     * The threshold between the quadratic and the linear part.
     *
     * @return {@code delta}
     */
    public double delta() {
        return delta;
    }

    @Override
    public HuberLoss reduction(String reduction) {
        super.reduction(reduction);
        return this;
    }

    /**
     * The Huber loss of {@code input} against {@code target} ({@link F#huberLoss(Tensor, Tensor, String, double)}).
     *
     * @param input predictions of any shape
     * @param target targets of the input's shape (broadcast with PyTorch's warning otherwise)
     * @return 0-d for mean/sum, the broadcast shape for none
     */
    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.huberLoss(input, target, reduction.toString(), delta);
    }
}
