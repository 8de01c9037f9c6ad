package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/**
 * {@code nn.SmoothL1Loss(beta)}: {@code 0.5·z²/β} for {@code z = |x − y| < β}, else {@code z − 0.5·β}
 * (docs/SEMANTICS.md §20.2); {@code β = 0} gives the L1 loss. Default {@code β = 1}.
 */
public class SmoothL1Loss extends Loss {
    private final double beta;

    /** Smooth L1 loss with {@code beta = 1} and mean reduction. */
    public SmoothL1Loss() {
        this(1.0);
    }

    /**
     * Smooth L1 loss with threshold {@code beta} and mean reduction.
     *
     * @param beta threshold between the quadratic and the linear part, at least 0
     * @throws IllegalArgumentException for a negative or NaN {@code beta}, with PyTorch's message
     */
    public SmoothL1Loss(double beta) {
        if (!(beta >= 0)) {
            throw new IllegalArgumentException("smooth_l1_loss does not support negative values for beta.");
        }
        this.beta = beta;
    }

    /**
     * The threshold between the quadratic and the linear part.
     *
     * @return {@code beta}
     */
    public double beta() {
        return beta;
    }

    @Override
    public SmoothL1Loss reduction(String reduction) {
        super.reduction(reduction);
        return this;
    }

    /**
     * The smooth L1 loss of {@code input} against {@code target}
     * ({@link F#smoothL1Loss(Tensor, Tensor, String, double)}).
     *
     * @param input predictions of any shape
     * @param target targets of the input's shape (broadcast with PyTorch's warning otherwise)
     * @return 0-d for mean/sum, the broadcast shape for none
     */
    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.smoothL1Loss(input, target, reduction.toString(), beta);
    }
}
