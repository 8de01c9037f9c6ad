package dev.vgrad.optim;

import java.util.Map;

/**
 * Linear warm-up or decay of the learning-rate factor from {@code startFactor} to {@code endFactor} over
 * {@code totalIters} epochs, then constant (PyTorch's {@code LinearLR}, recursive form). Defaults:
 * {@code startFactor = 1/3}, {@code endFactor = 1}, {@code totalIters = 5}.
 */
public final class LinearLR extends LRScheduler {
    private double startFactor;
    private double endFactor;
    private int totalIters;

    /**
     * LinearLR with PyTorch's defaults (1/3 → 1 over 5 epochs).
     *
     * @param optimizer the optimizer whose groups' {@code lr} is scheduled
     */
    public LinearLR(Optimizer optimizer) {
        this(optimizer, 1.0 / 3, 1.0, 5);
    }

    /**
     * LinearLR; performs the initial step (epoch 0 gets {@code base_lr · startFactor}).
     *
     * @param optimizer   the optimizer whose groups' {@code lr} is scheduled
     * @param startFactor the factor of {@code base_lr} at epoch 0 ({@code start_factor}), in {@code (0, 1]}
     * @param endFactor   the factor from epoch {@code totalIters} on ({@code end_factor}), in {@code [0, 1]}
     * @param totalIters  the number of epochs the factor changes over ({@code total_iters}), {@code > 0}
     * @throws IllegalArgumentException for a null optimizer or a factor or count out of range (PyTorch's messages)
     */
    public LinearLR(Optimizer optimizer, double startFactor, double endFactor, int totalIters) {
        super(optimizer);
        check(startFactor, endFactor);
        if (totalIters <= 0) {
            throw new IllegalArgumentException("LinearLR: total_iters must be a positive integer, got " + totalIters);
        }
        this.startFactor = startFactor;
        this.endFactor = endFactor;
        this.totalIters = totalIters;
        initialStep();
    }

    private static void check(double startFactor, double endFactor) {
        if (!(startFactor > 0 && startFactor <= 1.0)) {
            throw new IllegalArgumentException("Starting multiplicative factor expected to be between 0 and 1.");
        }
        if (!(endFactor >= 0 && endFactor <= 1.0)) {
            throw new IllegalArgumentException("Ending multiplicative factor expected to be between 0 and 1.");
        }
    }

    @Override
    protected double[] computeLr() {
        double[] lrs = groupLrs();
        if (lastEpoch == 0) {
            for (int i = 0; i < lrs.length; i++) {
                lrs[i] = lrs[i] * startFactor;
            }
            return lrs;
        }
        if (lastEpoch > totalIters) {
            return lrs;
        }
        for (int i = 0; i < lrs.length; i++) {
            lrs[i] = lrs[i] * (1. + (endFactor - startFactor)
                    / (totalIters * startFactor + (lastEpoch - 1) * (endFactor - startFactor)));
        }
        return lrs;
    }

    @Override
    protected double[] closedFormLr() {
        double[] r = new double[baseLrs.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = baseLrs[i] * (startFactor
                    + (endFactor - startFactor) * Math.min(totalIters, lastEpoch) / totalIters);
        }
        return r;
    }

    @Override
    protected void saveExtra(Map<String, Object> m) {
        m.put("start_factor", startFactor);
        m.put("end_factor", endFactor);
        m.put("total_iters", totalIters);
    }

    @Override
    protected void checkExtra(Map<String, Object> m) {
        check(doubleOf(m, "start_factor"), doubleOf(m, "end_factor"));
        if (intOf(m, "total_iters") <= 0) {
            throw new IllegalArgumentException("LinearLR: total_iters must be a positive integer, got "
                    + m.get("total_iters"));
        }
    }

    @Override
    protected void loadExtra(Map<String, Object> m) {
        startFactor = doubleOf(m, "start_factor");
        endFactor = doubleOf(m, "end_factor");
        totalIters = intOf(m, "total_iters");
    }
}
