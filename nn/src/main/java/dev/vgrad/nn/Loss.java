package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Base of the loss modules: {@code forward(input, target)} with a {@link Reduction} (default mean). */
public abstract class Loss extends Module {
    protected Reduction reduction = Reduction.MEAN;

    protected Loss() {}

    /** Computes the loss. */
    public abstract Tensor forward(Tensor input, Tensor target);

    /** Losses need a target: always fails. */
    @Override
    public Tensor forward(Tensor input) {
        throw new IllegalArgumentException(typeName() + ".forward() missing 1 required positional argument: 'target'");
    }

    public Reduction reduction() {
        return reduction;
    }

    /** Sets the reduction by PyTorch's name ("mean", "sum", "none"); others fail as in PyTorch. */
    public Loss reduction(String reduction) {
        this.reduction = Reduction.of(reduction);
        return this;
    }

    public Loss reduction(Reduction reduction) {
        this.reduction = reduction;
        return this;
    }
}
