package dev.vgrad.optim;

import java.util.Map;

/**
 * SGDR cosine annealing with warm restarts, after PyTorch's {@code CosineAnnealingWarmRestarts}
 * (docs/SEMANTICS.md §20.5): {@code lr = eta_min + (base_lr − eta_min)·(1 + cos(π·T_cur/T_i))/2}, where
 * {@code T_cur} counts epochs since the last restart and the period {@code T_i} starts at {@code T_0} and is
 * multiplied by {@code T_mult} at each restart. {@link #step()} advances one epoch; {@link #step(double)} jumps to an
 * epoch that may be fractional (e.g. {@code epoch + i/iters} inside an epoch) using the closed form.
 */
public final class CosineAnnealingWarmRestarts extends LRScheduler {
    private int t0;
    private int tI;
    private int tMult;
    private double etaMin;
    private double tCur;

    /**
     * Restarts every {@code T_0} epochs to {@code eta_min = 0}.
     *
     * @param optimizer the optimizer whose groups' {@code lr} is scheduled
     * @param t0        the first period {@code T_0} in epochs, {@code > 0}
     */
    public CosineAnnealingWarmRestarts(Optimizer optimizer, int t0) {
        this(optimizer, t0, 1, 0.0);
    }

    /**
     * Cosine annealing with warm restarts; performs the initial step (epoch 0 keeps {@code base_lr}).
     *
     * @param optimizer the optimizer whose groups' {@code lr} is scheduled
     * @param t0        the first period {@code T_0} in epochs, {@code > 0}
     * @param tMult     the factor {@code T_mult} by which the period grows at each restart, {@code >= 1}
     * @param etaMin    the minimum learning rate {@code eta_min}; finite
     * @throws IllegalArgumentException "Expected positive integer T_0, but got 0", "Expected integer T_mult >= 1,
     *                                  but got 0", or a non-finite {@code eta_min}
     */
    public CosineAnnealingWarmRestarts(Optimizer optimizer, int t0, int tMult, double etaMin) {
        super(optimizer);
        if (t0 <= 0) {
            throw new IllegalArgumentException("Expected positive integer T_0, but got " + t0);
        }
        if (tMult < 1) {
            throw new IllegalArgumentException("Expected integer T_mult >= 1, but got " + tMult);
        }
        this.t0 = t0;
        this.tI = t0;
        this.tMult = tMult;
        this.etaMin = LRScheduler.finite("CosineAnnealingWarmRestarts", "eta_min", etaMin);
        this.tCur = lastEpoch;
        initialStep();
    }

    /** Advances one epoch; when {@code T_cur} reaches {@code T_i} the schedule restarts with period {@code T_i·T_mult}. */
    @Override
    public void step() {
        if (lastEpoch < 0) {
            stepEpoch(0);
            return;
        }
        double nextCur = tCur + 1;
        int nextI = tI;
        if (nextCur >= tI) {
            nextCur -= tI;
            nextI = Math.multiplyExact(tI, tMult);
        }
        stepCount++;
        tCur = nextCur;
        tI = nextI;
        lastEpoch = Math.addExact(lastEpoch, 1);
        write();
    }

    /**
     * PyTorch's {@code step(epoch)}: sets the schedule to {@code epoch} (non-negative, may be fractional) in closed
     * form; {@code last_epoch} becomes {@code floor(epoch)} and a later {@link #step()} continues from there.
     *
     * @param epoch the epoch to jump to, {@code >= 0} and below {@code Integer.MAX_VALUE}; may be fractional
     * @throws IllegalArgumentException "Expected non-negative epoch, but got -1.0" (also for NaN or infinity)
     */
    public void step(double epoch) {
        if (!(epoch >= 0) || Double.isInfinite(epoch) || epoch >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Expected non-negative epoch, but got " + Optimizer.repr(epoch));
        }
        stepEpoch(epoch);
    }

    @Override
    void stepTo(int epoch) {
        step((double) epoch);
    }

    private void stepEpoch(double epoch) {
        double cur;
        int period;
        if (epoch >= t0) {
            if (tMult == 1) {
                cur = epoch % t0;
                period = tI;
            } else {
                // the same operations as PyTorch: int(math.log(x, T_mult)) is log(x)/log(T_mult) truncated
                int n = (int) (Math.log(epoch / t0 * (tMult - 1) + 1) / Math.log(tMult));
                long pow = 1;
                for (int k = 0; k < n; k++) {
                    pow = Math.multiplyExact(pow, tMult);
                }
                cur = epoch - (double) Math.multiplyExact(t0, pow - 1) / (tMult - 1);
                period = Math.toIntExact(Math.multiplyExact(t0, pow));
            }
        } else {
            period = t0;
            cur = epoch;
        }
        stepCount++;
        tCur = cur;
        tI = period;
        lastEpoch = (int) Math.floor(epoch);
        write();
    }

    private void write() {
        double[] lrs = computeLr();
        var groups = optimizer.paramGroups();
        lastLr = new double[groups.size()];
        for (int i = 0; i < groups.size(); i++) {
            groups.get(i).set("lr", lrs[i]);
            lastLr[i] = groups.get(i).lr();
        }
    }

    @Override
    protected double[] computeLr() {
        double[] r = new double[baseLrs.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = etaMin + (baseLrs[i] - etaMin) * (1 + Math.cos(Math.PI * tCur / tI)) / 2;
        }
        return r;
    }

    /**
     * Epochs since the last restart ({@code T_cur}).
     *
     * @return {@code T_cur}, from 0 up to {@code T_i}; fractional after {@link #step(double)}
     */
    public double tCur() {
        return tCur;
    }

    /**
     * The current period ({@code T_i}).
     *
     * @return {@code T_i} in epochs: {@code T_0·T_mult^k} after {@code k} restarts
     */
    public int tI() {
        return tI;
    }

    @Override
    protected void saveExtra(Map<String, Object> m) {
        m.put("T_0", t0);
        m.put("T_i", tI);
        m.put("T_mult", tMult);
        m.put("eta_min", etaMin);
        m.put("T_cur", tCur);
    }

    @Override
    protected void checkExtra(Map<String, Object> m) {
        int a = intOf(m, "T_0");
        int i = intOf(m, "T_i");
        int mult = intOf(m, "T_mult");
        doubleOf(m, "eta_min");
        double cur = doubleOf(m, "T_cur");
        if (a <= 0) {
            throw new IllegalArgumentException("Expected positive integer T_0, but got " + a);
        }
        if (mult < 1) {
            throw new IllegalArgumentException("Expected integer T_mult >= 1, but got " + mult);
        }
        if (i < a) {
            throw new IllegalArgumentException("scheduler state dict has T_i " + i + " below T_0 " + a);
        }
        if (cur < -1) {
            throw new IllegalArgumentException("scheduler state dict has T_cur " + Optimizer.repr(cur)
                    + ", expected >= -1");
        }
    }

    @Override
    protected void loadExtra(Map<String, Object> m) {
        t0 = intOf(m, "T_0");
        tI = intOf(m, "T_i");
        tMult = intOf(m, "T_mult");
        etaMin = doubleOf(m, "eta_min");
        tCur = doubleOf(m, "T_cur");
    }
}
