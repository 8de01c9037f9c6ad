package dev.vgrad.optim;

import java.util.Map;

/**
 * Multiplies each group's learning rate by {@code gamma} every {@code stepSize} epochs:
 * {@code lr_e = base_lr · gamma^⌊e/stepSize⌋}, computed recursively as PyTorch does.
 */
public final class StepLR extends LRScheduler {
    private int stepSize;
    private double gamma;

    /**
     * StepLR with {@code gamma = 0.1}.
     *
     * @param optimizer the optimizer whose groups' {@code lr} is scheduled
     * @param stepSize  the period {@code step_size} in epochs, {@code > 0}
     */
    public StepLR(Optimizer optimizer, int stepSize) {
        this(optimizer, stepSize, 0.1);
    }

    /**
     * StepLR; performs the initial step (epoch 0 keeps {@code base_lr}).
     *
     * @param optimizer the optimizer whose groups' {@code lr} is scheduled
     * @param stepSize  the period {@code step_size} in epochs, {@code > 0}
     * @param gamma     the multiplicative decay factor per period, finite
     * @throws IllegalArgumentException for a null optimizer, {@code stepSize <= 0} or a non-finite gamma
     */
    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        super(optimizer);
        if (stepSize <= 0) {
            throw new IllegalArgumentException("step_size must be a positive integer, got " + stepSize);
        }
        this.stepSize = stepSize;
        this.gamma = LRScheduler.finite("StepLR", "gamma", gamma);
        initialStep();
    }

    @Override
    protected double[] computeLr() {
        double[] lrs = groupLrs();
        if (lastEpoch == 0 || lastEpoch % stepSize != 0) {
            return lrs;
        }
        for (int i = 0; i < lrs.length; i++) {
            lrs[i] = lrs[i] * gamma;
        }
        return lrs;
    }

    @Override
    protected double[] closedFormLr() {
        double[] r = new double[baseLrs.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = baseLrs[i] * Math.pow(gamma, Math.floorDiv(lastEpoch, stepSize));
        }
        return r;
    }

    @Override
    protected void saveExtra(Map<String, Object> m) {
        m.put("step_size", stepSize);
        m.put("gamma", gamma);
    }

    @Override
    protected void checkExtra(Map<String, Object> m) {
        if (intOf(m, "step_size") <= 0) {
            throw new IllegalArgumentException("step_size must be a positive integer");
        }
        doubleOf(m, "gamma");
    }

    @Override
    protected void loadExtra(Map<String, Object> m) {
        stepSize = intOf(m, "step_size");
        gamma = doubleOf(m, "gamma");
    }
}
