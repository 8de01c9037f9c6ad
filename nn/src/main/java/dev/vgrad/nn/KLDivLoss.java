package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/**
 * {@code nn.KLDivLoss(reduction, log_target)} on log-probability inputs (docs/SEMANTICS.md §20.3): pointwise
 * {@code y·(log y − x)} (0 where {@code y = 0}), or {@code e^y·(y − x)} when the target is given as
 * log-probabilities. Besides mean/sum/none, {@code reduction("batchmean")} divides the sum by the batch size, which
 * is the KL divergence per sample.
 */
public class KLDivLoss extends Loss {
    private boolean batchmean;
    private boolean logTarget;

    /** Mean reduction (which logs PyTorch's warning; prefer "batchmean"), probability targets. */
    public KLDivLoss() {}

    /**
     * Whether the target holds log-probabilities ({@code log_target}, default false).
     *
     * @param logTarget whether {@code target} holds log-probabilities
     * @return this loss
     */
    public KLDivLoss logTarget(boolean logTarget) {
        this.logTarget = logTarget;
        return this;
    }

    /**
     * Whether the target holds log-probabilities.
     *
     * @return {@code log_target}
     */
    public boolean logTarget() {
        return logTarget;
    }

    /** "mean", "sum", "none" or "batchmean"; others fail as in PyTorch. */
    @Override
    public KLDivLoss reduction(String reduction) {
        if ("batchmean".equals(reduction)) {
            this.reduction = Reduction.SUM;
            batchmean = true;
        } else {
            super.reduction(reduction);
            batchmean = false;
        }
        return this;
    }

    @Override
    public KLDivLoss reduction(Reduction reduction) {
        super.reduction(reduction);
        batchmean = false;
        return this;
    }

    /**
     * PyTorch's name of the reduction in effect, "batchmean" included.
     *
     * @return "mean", "sum", "none" or "batchmean"
     */
    public String reductionName() {
        return batchmean ? "batchmean" : reduction.toString();
    }

    /**
     * The KL divergence of {@code target} from {@code input} ({@link F#klDiv(Tensor, Tensor, String, boolean)}).
     *
     * @param input log-probabilities, e.g. (N, C)
     * @param target probabilities (or log-probabilities with {@code logTarget}) broadcastable to the input
     * @return 0-d unless the reduction is none, which returns the broadcast shape
     */
    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.klDiv(input, target, reductionName(), logTarget);
    }
}
