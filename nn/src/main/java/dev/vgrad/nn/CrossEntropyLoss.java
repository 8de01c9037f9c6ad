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

    /** Mean reduction, no class weights, ignore index −100, no label smoothing. */
    public CrossEntropyLoss() {
        registerBuffer("weight", null);
    }

    /**
     * Per-class weights (1-D, C elements), or null; kept as a buffer as in PyTorch.
     *
     * @param weight (C) per-class weight, or null for none
     * @return this loss
     */
    public CrossEntropyLoss weight(Tensor weight) {
        registerBuffer("weight", weight);
        return this;
    }

    /**
     * Sets the target value that contributes neither loss nor gradient.
     *
     * @param ignoreIndex the ignored class index (only for class-index targets)
     * @return this loss
     */
    public CrossEntropyLoss ignoreIndex(long ignoreIndex) {
        this.ignoreIndex = ignoreIndex;
        return this;
    }

    /**
     * Label smoothing ε in [0, 1].
     *
     * @param labelSmoothing ε: the target is mixed with the uniform distribution by this amount
     * @return this loss
     * @throws IllegalStateException outside [0, 1] (PyTorch's message)
     */
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

    /**
     * The ignored target value.
     *
     * @return {@code ignore_index}
     */
    public long ignoreIndex() {
        return ignoreIndex;
    }

    /**
     * The label smoothing amount.
     *
     * @return {@code label_smoothing}
     */
    public double labelSmoothing() {
        return labelSmoothing;
    }

    /**
     * The cross-entropy of the logits {@code input} against {@code target}.
     *
     * @param input logits (N, C), (C) or (N, C, d1, …)
     * @param target int64 class indices (N), () or (N, d1, …), or class probabilities of the input's shape
     * @return 0-d for mean/sum, the target's index shape (N, d1, …) for none
     * @throws IllegalArgumentException for a non-floating or 0-d input, or a batch-size mismatch
     * @throws IllegalStateException for a target of the wrong dtype or size (PyTorch's RuntimeError texts)
     * @throws IndexOutOfBoundsException for a class index outside [0, C) other than the ignore index
     */
    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return CrossEntropyOp.apply(input, target, buffer("weight"), ignoreIndex, reduction, labelSmoothing, false);
    }
}
