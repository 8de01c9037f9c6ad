package dev.vgrad.optim;

import java.util.Map;

/** Multiplies each group's learning rate by {@code gamma} every epoch: {@code lr_e = base_lr · gamma^e}. */
public final class ExponentialLR extends LRScheduler {
    private double gamma;

    /**
     * ExponentialLR; performs the initial step (epoch 0 keeps {@code base_lr}).
     *
     * @param optimizer the optimizer whose groups' {@code lr} is scheduled
     * @param gamma     the multiplicative decay factor per epoch, finite and {@code > 0}
     * @throws IllegalArgumentException for a null optimizer or a gamma that is not finite and positive
     */
    public ExponentialLR(Optimizer optimizer, double gamma) {
        super(optimizer);
        if (!(gamma > 0) || Double.isInfinite(gamma)) {
            throw new IllegalArgumentException("ExponentialLR: gamma must be a finite positive number, got " + gamma);
        }
        this.gamma = gamma;
        initialStep();
    }

    @Override
    protected double[] computeLr() {
        double[] lrs = groupLrs();
        if (lastEpoch == 0) {
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
            r[i] = baseLrs[i] * Math.pow(gamma, lastEpoch);
        }
        return r;
    }

    @Override
    protected void saveExtra(Map<String, Object> m) {
        m.put("gamma", gamma);
    }

    @Override
    protected void checkExtra(Map<String, Object> m) {
        if (!(doubleOf(m, "gamma") > 0)) {
            throw new IllegalArgumentException("ExponentialLR: gamma must be a finite positive number, got "
                    + m.get("gamma"));
        }
    }

    @Override
    protected void loadExtra(Map<String, Object> m) {
        gamma = doubleOf(m, "gamma");
    }
}
