package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Batch normalisation of (N, C, H, W) inputs ({@code nn.BatchNorm2d}). */
public class BatchNorm2d extends AbstractBatchNorm {
    /**
     * eps 1e-5, momentum 0.1, affine, tracking running statistics.
     *
     * @param numFeatures C, the number of channels, positive
     * @throws IllegalArgumentException for a non-positive count
     */
    public BatchNorm2d(int numFeatures) {
        this(numFeatures, 1e-5, 0.1, true, true);
    }

    /**
     * {@code momentum} null = cumulative moving average.
     *
     * @param numFeatures C, the number of channels, positive
     * @param eps added to the variance inside the square root; finite, at least 0
     * @param momentum running-statistics update factor in [0, 1], or null for a cumulative moving average
     * @param affine whether to learn a (C) scale {@code weight} and shift {@code bias}
     * @param trackRunningStats whether to keep running statistics (and use them in eval mode)
     * @throws IllegalArgumentException for a value out of range
     */
    public BatchNorm2d(int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        super(numFeatures, eps, momentum, affine, trackRunningStats);
    }

    @Override
    protected void checkInputDim(Tensor input) {
        if (input.dim() != 4) {
            throw new IllegalArgumentException("expected 4D input (got " + input.dim() + "D input)");
        }
    }
}
