package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/**
 * {@code nn.HuberLoss(delta)}: {@code 0.5·z²} for {@code z = |x − y| < δ}, else {@code δ·(z − 0.5·δ)}
 * (docs/SEMANTICS.md §20.2), which is {@code δ} times {@link SmoothL1Loss} with {@code β = δ}. Default {@code δ = 1}.
 */
public class HuberLoss extends Loss {
    private final double delta;

    public HuberLoss() {
        this(1.0);
    }

    /** @throws IllegalArgumentException for {@code delta <= 0} or NaN, with PyTorch's message */
    public HuberLoss(double delta) {
        if (!(delta > 0)) {
            throw new IllegalArgumentException("huber_loss does not support non-positive values for delta.");
        }
        this.delta = delta;
    }

    public double delta() {
        return delta;
    }

    @Override
    public HuberLoss reduction(String reduction) {
        super.reduction(reduction);
        return this;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.huberLoss(input, target, reduction.toString(), delta);
    }
}
