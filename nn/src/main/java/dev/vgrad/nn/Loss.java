package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Base of the loss modules: {@code forward(input, target)} with a {@link Reduction} (default mean). */
public abstract class Loss extends Module {
    /** How the per-element losses are reduced; set through {@link #reduction(String)}. */
    protected Reduction reduction = Reduction.MEAN;

    /** Creates a loss with mean reduction. */
    protected Loss() {}

    /**
     * Computes the loss.
     *
     * @param input predictions; each subclass documents the shape it accepts
     * @param target targets matching {@code input} as the subclass documents
     * @return 0-d for mean/sum reduction, the per-element losses for none
     */
    public abstract Tensor forward(Tensor input, Tensor target);

    /**
     * Losses need a target: always fails.
     *
     * @param input ignored
     * @return never
     * @throws IllegalArgumentException always, with PyTorch's missing-argument message
     */
    @Override
    public Tensor forward(Tensor input) {
        throw new IllegalArgumentException(typeName() + ".forward() missing 1 required positional argument: 'target'");
    }

    /**
     * The current reduction.
     *
     * @return the reduction, {@link Reduction#MEAN} by default
     */
    public Reduction reduction() {
        return reduction;
    }

    /**
     * Sets the reduction by PyTorch's name ("mean", "sum", "none"); others fail as in PyTorch.
     *
     * @param reduction "mean", "sum" or "none"
     * @return this loss
     * @throws IllegalArgumentException for another name
     */
    public Loss reduction(String reduction) {
        this.reduction = Reduction.of(reduction);
        return this;
    }

    /**
     * Sets the reduction.
     *
     * @param reduction the new reduction
     * @return this loss
     */
    public Loss reduction(Reduction reduction) {
        this.reduction = reduction;
        return this;
    }
}
