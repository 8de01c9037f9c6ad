package dev.vgrad.optim;

import java.util.Map;

/**
 * Cosine annealing, {@code lr_e = eta_min + (base_lr - eta_min)·(1 + cos(π·e/T_max))/2}, computed with PyTorch's
 * recursive form (values agree with PyTorch to rounding). Not clamped: past {@code T_max} the learning rate rises
 * again with period {@code 2·T_max} (#40).
 */
public final class CosineAnnealingLR extends LRScheduler {
    private int tMax;
    private double etaMin;

    /**
     * Cosine annealing to {@code eta_min = 0}.
     *
     * @param optimizer the optimizer whose groups' {@code lr} is scheduled
     * @param tMax      the half period {@code T_max} in epochs, {@code > 0}
     */
    public CosineAnnealingLR(Optimizer optimizer, int tMax) {
        this(optimizer, tMax, 0.0);
    }

    /**
     * Cosine annealing; performs the initial step (epoch 0 keeps {@code base_lr}).
     *
     * @param optimizer the optimizer whose groups' {@code lr} is scheduled
     * @param tMax      the half period {@code T_max} in epochs, {@code > 0}
     * @param etaMin    the minimum learning rate {@code eta_min}, reached at epoch {@code T_max}; finite
     * @throws IllegalArgumentException for a null optimizer, {@code tMax <= 0} or a non-finite etaMin
     */
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        super(optimizer);
        if (tMax <= 0) {
            throw new IllegalArgumentException("T_max must be a positive integer, got " + tMax);
        }
        this.tMax = tMax;
        this.etaMin = LRScheduler.finite("CosineAnnealingLR", "eta_min", etaMin);
        initialStep();
    }

    @Override
    protected double[] computeLr() {
        double[] lrs = groupLrs();
        if (lastEpoch == 0) {
            return lrs;
        }
        double[] r = new double[lrs.length];
        if (stepCount == 1 && lastEpoch > 0) {
            for (int i = 0; i < r.length; i++) {
                r[i] = etaMin + (baseLrs[i] - etaMin) * (1 + Math.cos(lastEpoch * Math.PI / tMax)) / 2;
            }
        } else if (Math.floorMod(lastEpoch - 1 - tMax, 2 * tMax) == 0) {
            for (int i = 0; i < r.length; i++) {
                r[i] = lrs[i] + (baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2;
            }
        } else {
            for (int i = 0; i < r.length; i++) {
                r[i] = (1 + Math.cos(Math.PI * lastEpoch / tMax)) / (1 + Math.cos(Math.PI * (lastEpoch - 1) / tMax))
                        * (lrs[i] - etaMin) + etaMin;
            }
        }
        return r;
    }

    @Override
    protected double[] closedFormLr() {
        double[] r = new double[baseLrs.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = etaMin + (baseLrs[i] - etaMin) * (1 + Math.cos(Math.PI * lastEpoch / tMax)) / 2;
        }
        return r;
    }

    @Override
    protected void saveExtra(Map<String, Object> m) {
        m.put("T_max", tMax);
        m.put("eta_min", etaMin);
    }

    @Override
    protected void checkExtra(Map<String, Object> m) {
        if (intOf(m, "T_max") <= 0) {
            throw new IllegalArgumentException("T_max must be a positive integer");
        }
        doubleOf(m, "eta_min");
    }

    @Override
    protected void loadExtra(Map<String, Object> m) {
        tMax = intOf(m, "T_max");
        etaMin = doubleOf(m, "eta_min");
    }
}
