package dev.vgrad.optim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Multiplies each group's learning rate by {@code gamma} at every milestone epoch (by {@code gamma^k} when a
 * milestone is listed {@code k} times), as PyTorch's {@code MultiStepLR}.
 */
public final class MultiStepLR extends LRScheduler {
    private int[] milestones; // sorted, with multiplicity
    private double gamma;

    /**
     * MultiStepLR with {@code gamma = 0.1}.
     *
     * @param optimizer  the optimizer whose groups' {@code lr} is scheduled
     * @param milestones the epochs at which the learning rate is multiplied by gamma (any order; copied)
     */
    public MultiStepLR(Optimizer optimizer, int[] milestones) {
        this(optimizer, milestones, 0.1);
    }

    /**
     * MultiStepLR; performs the initial step.
     *
     * @param optimizer  the optimizer whose groups' {@code lr} is scheduled
     * @param milestones the epochs at which the learning rate is multiplied by gamma (any order, repeats allowed;
     *                   copied)
     * @param gamma      the multiplicative decay factor per milestone, finite
     * @throws IllegalArgumentException for a null optimizer or milestones, or a non-finite gamma
     */
    public MultiStepLR(Optimizer optimizer, int[] milestones, double gamma) {
        super(optimizer);
        if (milestones == null) {
            throw new IllegalArgumentException("MultiStepLR: milestones must not be null");
        }
        this.milestones = milestones.clone();
        Arrays.sort(this.milestones);
        this.gamma = LRScheduler.finite("MultiStepLR", "gamma", gamma);
        initialStep();
    }

    private int count(int epoch) {
        int c = 0;
        for (int m : milestones) {
            if (m == epoch) {
                c++;
            }
        }
        return c;
    }

    @Override
    protected double[] computeLr() {
        double[] lrs = groupLrs();
        int c = count(lastEpoch);
        if (c == 0) {
            return lrs;
        }
        for (int i = 0; i < lrs.length; i++) {
            lrs[i] = lrs[i] * Math.pow(gamma, c);
        }
        return lrs;
    }

    @Override
    protected double[] closedFormLr() {
        int k = 0;
        while (k < milestones.length && milestones[k] <= lastEpoch) {
            k++;
        }
        double[] r = new double[baseLrs.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = baseLrs[i] * Math.pow(gamma, k);
        }
        return r;
    }

    @Override
    protected void saveExtra(Map<String, Object> m) {
        List<Integer> l = new ArrayList<>();
        for (int x : milestones) {
            l.add(x);
        }
        m.put("milestones", l);
        m.put("gamma", gamma);
    }

    @Override
    protected void checkExtra(Map<String, Object> m) {
        intsOf(m, "milestones");
        doubleOf(m, "gamma");
    }

    @Override
    protected void loadExtra(Map<String, Object> m) {
        milestones = intsOf(m, "milestones");
        Arrays.sort(milestones);
        gamma = doubleOf(m, "gamma");
    }
}
