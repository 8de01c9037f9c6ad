package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/**
 * {@code nn.SmoothL1Loss(beta)}: {@code 0.5·z²/β} for {@code z = |x − y| < β}, else {@code z − 0.5·β}
 * (docs/SEMANTICS.md §20.2); {@code β = 0} gives the L1 loss. Default {@code β = 1}.
 */
public class SmoothL1Loss extends Loss {
    private final double beta;

    public SmoothL1Loss() {
        this(1.0);
    }

    /** @throws IllegalArgumentException for a negative or NaN {@code beta}, with PyTorch's message */
    public SmoothL1Loss(double beta) {
        if (!(beta >= 0)) {
            throw new IllegalArgumentException("smooth_l1_loss does not support negative values for beta.");
        }
        this.beta = beta;
    }

    public double beta() {
        return beta;
    }

    @Override
    public SmoothL1Loss reduction(String reduction) {
        super.reduction(reduction);
        return this;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.smoothL1Loss(input, target, reduction.toString(), beta);
    }
}
