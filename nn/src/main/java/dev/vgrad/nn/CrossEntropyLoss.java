package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/**
 * {@code nn.CrossEntropyLoss} (docs/SEMANTICS.md §8.2): fused log-softmax + NLL with class {@code weight},
 * {@code ignoreIndex} (default −100), {@code labelSmoothing}, reductions, int64 class-index or floating
 * probability targets, and (C), (N, C) or (N, C, d…) inputs. Options are set builder-style:
 * {@code new CrossEntropyLoss().weight(w).labelSmoothing(0.1).reduction("sum")}.
 */
public class CrossEntropyLoss extends Loss {
    private long ignoreIndex = -100;
    private double labelSmoothing;

    public CrossEntropyLoss() {
        registerBuffer("weight", null);
    }

    /** Per-class weights (1-D, C elements), or null; kept as a buffer as in PyTorch. */
    public CrossEntropyLoss weight(Tensor weight) {
        registerBuffer("weight", weight);
        return this;
    }

    public CrossEntropyLoss ignoreIndex(long ignoreIndex) {
        this.ignoreIndex = ignoreIndex;
        return this;
    }

    /** Label smoothing ε in [0, 1]. */
    public CrossEntropyLoss labelSmoothing(double labelSmoothing) {
        if (labelSmoothing < 0 || labelSmoothing > 1 || Double.isNaN(labelSmoothing)) {
            throw new IllegalStateException("label_smoothing must be between 0.0 and 1.0. Got: " + Py.repr(labelSmoothing));
        }
        this.labelSmoothing = labelSmoothing;
        return this;
    }

    @Override
    public CrossEntropyLoss reduction(String reduction) {
        super.reduction(reduction);
        return this;
    }

    public long ignoreIndex() {
        return ignoreIndex;
    }

    public double labelSmoothing() {
        return labelSmoothing;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return CrossEntropyOp.apply(input, target, buffer("weight"), ignoreIndex, reduction, labelSmoothing, false);
    }
}
