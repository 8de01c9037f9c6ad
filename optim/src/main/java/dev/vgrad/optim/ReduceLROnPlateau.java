package dev.vgrad.optim;

import java.util.List;
import java.util.Map;

/**
 * Lowers the learning rate when a metric stops improving, after PyTorch's {@code ReduceLROnPlateau}
 * (docs/SEMANTICS.md §20.6). Each {@link #step(double)} takes the epoch's metric: an improvement on the best value
 * so far (in {@code mode} "min" or "max", by more than {@code threshold}, relative or absolute) resets the count of
 * bad epochs; after more than {@code patience} bad epochs every group's lr becomes
 * {@code max(lr·factor, min_lr)} — skipped when that changes it by no more than {@code eps} — and the next
 * {@code cooldown} epochs are not counted as bad. The learning rate never rises and never goes below
 * {@code min_lr} (unless it started below).
 *
 * <p>Unlike the other schedulers, construction changes no learning rate and {@link #step()} without a metric
 * fails.
 */
public final class ReduceLROnPlateau extends LRScheduler {
    private final boolean maxMode;
    private final boolean relThreshold;
    private double factor;
    private int patience;
    private double threshold;
    private int cooldown;
    private double[] minLrs;
    private double eps;
    private double best;
    private int numBadEpochs;
    private int cooldownCounter;

    /** Fluent settings with PyTorch's defaults: min, factor 0.1, patience 10, threshold 1e-4 rel, no cooldown. */
    public static final class Options {
        String mode = "min";
        double factor = 0.1;
        int patience = 10;
        double threshold = 1e-4;
        String thresholdMode = "rel";
        int cooldown = 0;
        double[] minLr = {0.0};
        double eps = 1e-8;

        Options() {}

        /**
         * Sets {@code mode}.
         *
         * @param v {@code "min"} (lower is better, the default) or {@code "max"}
         * @return these options
         */
        public Options mode(String v) {
            mode = v;
            return this;
        }

        /**
         * Sets {@code factor}.
         *
         * @param v the factor {@code new_lr = lr·factor}, finite and {@code < 1} (default 0.1)
         * @return these options
         */
        public Options factor(double v) {
            factor = v;
            return this;
        }

        /**
         * Sets {@code patience}.
         *
         * @param v the number of bad epochs tolerated before a reduction, {@code >= 0} (default 10)
         * @return these options
         */
        public Options patience(int v) {
            patience = v;
            return this;
        }

        /**
         * Sets {@code threshold}.
         *
         * @param v the minimum improvement that counts, relative or absolute per the threshold mode; finite
         *          (default 1e-4)
         * @return these options
         */
        public Options threshold(double v) {
            threshold = v;
            return this;
        }

        /**
         * Sets {@code threshold_mode}.
         *
         * @param v {@code "rel"} (better than {@code best·(1 ∓ threshold)}, the default) or {@code "abs"} (better
         *          than {@code best ∓ threshold})
         * @return these options
         */
        public Options thresholdMode(String v) {
            thresholdMode = v;
            return this;
        }

        /**
         * Sets {@code cooldown}.
         *
         * @param v the number of epochs after a reduction that are not counted as bad, {@code >= 0} (default 0)
         * @return these options
         */
        public Options cooldown(int v) {
            cooldown = v;
            return this;
        }

        /**
         * Sets {@code min_lr}, one floor for every group.
         *
         * @param v the lowest learning rate a reduction goes to, finite and {@code >= 0} (default 0)
         * @return these options
         */
        public Options minLr(double v) {
            minLr = new double[] {v};
            return this;
        }

        /**
         * Sets {@code min_lr}, one floor per group.
         *
         * @param v the lowest learning rate of each group, in group order, each finite and {@code >= 0} (copied)
         * @return these options
         * @throws IllegalArgumentException for a null array
         */
        public Options minLrs(double... v) {
            if (v == null) {
                throw new IllegalArgumentException("ReduceLROnPlateau: min_lr must be one number per group, got null");
            }
            minLr = v.clone();
            return this;
        }

        /**
         * Sets {@code eps}.
         *
         * @param v a reduction is skipped when it changes the lr by no more than eps; {@code >= 0} (default 1e-8)
         * @return these options
         */
        public Options eps(double v) {
            eps = v;
            return this;
        }
    }

    /**
     * Fresh default settings.
     *
     * @return new mutable options holding PyTorch's defaults
     */
    public static Options options() {
        return new Options();
    }

    /**
     * With PyTorch's defaults.
     *
     * @param optimizer the optimizer whose groups' {@code lr} is reduced
     */
    public ReduceLROnPlateau(Optimizer optimizer) {
        this(optimizer, options());
    }

    /**
     * With the given settings; no learning rate changes at construction.
     *
     * @param optimizer the optimizer whose groups' {@code lr} is reduced
     * @param o         the settings, from {@link #options()}
     * @throws IllegalArgumentException PyTorch's "Factor should be &lt; 1.0.", "mode foo is unknown!", "threshold mode
     *                                  foo is unknown!", "expected 2 min_lrs, got 1"; also a negative patience,
     *                                  cooldown, eps or min_lr, or a non-finite number
     */
    public ReduceLROnPlateau(Optimizer optimizer, Options o) {
        super(optimizer);
        int groups = optimizer.paramGroups().size();
        if (!(o.factor < 1.0)) {
            throw new IllegalArgumentException("Factor should be < 1.0.");
        }
        finite("ReduceLROnPlateau", "factor", o.factor);
        double[] mins;
        if (o.minLr.length == 1) {
            mins = new double[groups];
            java.util.Arrays.fill(mins, o.minLr[0]);
        } else if (o.minLr.length == groups) {
            mins = o.minLr.clone();
        } else {
            throw new IllegalArgumentException("expected " + groups + " min_lrs, got " + o.minLr.length);
        }
        checkCommon(o.mode, o.thresholdMode, o.patience, o.cooldown, o.threshold, o.eps, mins);
        this.maxMode = o.mode.equals("max");
        this.relThreshold = o.thresholdMode.equals("rel");
        this.factor = o.factor;
        this.patience = o.patience;
        this.threshold = o.threshold;
        this.cooldown = o.cooldown;
        this.minLrs = mins;
        this.eps = o.eps;
        this.best = modeWorse();
        this.lastEpoch = 0;
        this.lastLr = groupLrs();
    }

    private static void checkCommon(String mode, String thresholdMode, int patience, int cooldown, double threshold,
                                    double eps, double[] mins) {
        if (!"min".equals(mode) && !"max".equals(mode)) {
            throw new IllegalArgumentException("mode " + mode + " is unknown!");
        }
        if (!"rel".equals(thresholdMode) && !"abs".equals(thresholdMode)) {
            throw new IllegalArgumentException("threshold mode " + thresholdMode + " is unknown!");
        }
        if (patience < 0 || cooldown < 0) {
            throw new IllegalArgumentException("ReduceLROnPlateau: patience and cooldown must be non-negative, got "
                    + patience + " and " + cooldown);
        }
        finite("ReduceLROnPlateau", "threshold", threshold);
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("ReduceLROnPlateau: eps must be finite and non-negative, got "
                    + Optimizer.repr(eps));
        }
        for (double m : mins) {
            if (!(m >= 0) || Double.isInfinite(m)) {
                throw new IllegalArgumentException("ReduceLROnPlateau: min_lr must be finite and non-negative, got "
                        + Optimizer.repr(m));
            }
        }
    }

    private double modeWorse() {
        return maxMode ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    /** Always fails: this scheduler needs the metric. */
    @Override
    public void step() {
        throw new IllegalArgumentException("ReduceLROnPlateau.step() missing 1 required positional argument: "
                + "'metrics'");
    }

    @Override
    void stepTo(int epoch) {
        throw new IllegalArgumentException("ReduceLROnPlateau cannot be chained by SequentialLR: it needs a metric");
    }

    /**
     * One epoch with its metric (a NaN metric is never an improvement).
     *
     * @param metric the epoch's value of the monitored quantity (e.g. validation loss)
     */
    public void step(double metric) {
        lastEpoch = Math.addExact(lastEpoch, 1);
        if (isBetter(metric, best)) {
            best = metric;
            numBadEpochs = 0;
        } else {
            numBadEpochs++;
        }
        if (cooldownCounter > 0) {
            cooldownCounter--;
            numBadEpochs = 0;
        }
        if (numBadEpochs > patience) {
            reduceLr();
            cooldownCounter = cooldown;
            numBadEpochs = 0;
        }
        lastLr = groupLrs();
    }

    private void reduceLr() {
        List<ParamGroup> groups = optimizer.paramGroups();
        for (int i = 0; i < groups.size(); i++) {
            double old = groups.get(i).lr();
            double next = Math.max(old * factor, minLrs[i]);
            if (old - next > eps) {
                groups.get(i).set("lr", next);
            }
        }
    }

    private boolean isBetter(double a, double best) {
        if (maxMode) {
            return relThreshold ? a > best * (threshold + 1) : a > best + threshold;
        }
        return relThreshold ? a < best * (1 - threshold) : a < best - threshold;
    }

    /** Not used: the learning rates change only in {@link #step(double)}. */
    @Override
    protected double[] computeLr() {
        return groupLrs();
    }

    /**
     * The best metric so far.
     *
     * @return the best metric seen, or the worst value of the mode (±∞) before the first step
     */
    public double best() {
        return best;
    }

    /**
     * Bad epochs counted since the last improvement or reduction.
     *
     * @return {@code num_bad_epochs}, {@code >= 0}
     */
    public int numBadEpochs() {
        return numBadEpochs;
    }

    /**
     * Epochs of cooldown left.
     *
     * @return {@code cooldown_counter}, 0 outside a cooldown
     */
    public int cooldownCounter() {
        return cooldownCounter;
    }

    @Override
    protected void saveExtra(Map<String, Object> m) {
        m.put("factor", factor);
        m.put("min_lrs", toList(minLrs));
        m.put("patience", patience);
        m.put("cooldown", cooldown);
        m.put("cooldown_counter", cooldownCounter);
        m.put("mode", maxMode ? "max" : "min");
        m.put("threshold", threshold);
        m.put("threshold_mode", relThreshold ? "rel" : "abs");
        m.put("best", jsonNumber(best));
        m.put("num_bad_epochs", numBadEpochs);
        m.put("mode_worse", jsonNumber(modeWorse()));
        m.put("eps", eps);
    }

    @Override
    protected void checkExtra(Map<String, Object> m) {
        if (!(m.get("mode") instanceof String mode) || !(m.get("threshold_mode") instanceof String tm)) {
            throw new IllegalArgumentException("scheduler state dict needs the strings mode and threshold_mode");
        }
        double f = doubleOf(m, "factor");
        if (!(f < 1.0)) {
            throw new IllegalArgumentException("Factor should be < 1.0.");
        }
        double[] mins = doublesOf(m, "min_lrs");
        if (mins.length != baseLrs.length) {
            throw new IllegalArgumentException("expected " + baseLrs.length + " min_lrs, got " + mins.length);
        }
        int pat = intOf(m, "patience");
        int cd = intOf(m, "cooldown");
        checkCommon(mode, tm, pat, cd, doubleOf(m, "threshold"), doubleOf(m, "eps"), mins);
        if (!mode.equals(maxMode ? "max" : "min")) {
            throw new IllegalArgumentException("scheduler state dict has mode " + mode + " but this scheduler was "
                    + "built with mode " + (maxMode ? "max" : "min"));
        }
        if (!tm.equals(relThreshold ? "rel" : "abs")) {
            throw new IllegalArgumentException("scheduler state dict has threshold_mode " + tm + " but this "
                    + "scheduler was built with " + (relThreshold ? "rel" : "abs"));
        }
        if (intOf(m, "cooldown_counter") < 0 || intOf(m, "num_bad_epochs") < 0) {
            throw new IllegalArgumentException("scheduler state dict has a negative cooldown_counter or "
                    + "num_bad_epochs");
        }
        best(m);
        if (m.containsKey("mode_worse") && numberOrInf(m.get("mode_worse")) != modeWorse()) {
            throw new IllegalArgumentException("scheduler state dict has mode_worse " + m.get("mode_worse")
                    + ", expected " + Optimizer.repr(modeWorse()));
        }
    }

    /** {@code best}: finite, or the mode's starting value ±∞ (a number or {@code "inf"}/{@code "-inf"}). */
    private double best(Map<String, Object> m) {
        Object v = m.get("best");
        double b = numberOrInf(v);
        if (!Double.isFinite(b) && b != modeWorse()) {
            throw new IllegalArgumentException("scheduler state dict: best must be finite or "
                    + Optimizer.repr(modeWorse()) + ", got " + v);
        }
        return b;
    }

    /** ±∞ as Python's spelling {@code "inf"}/{@code "-inf"} (JSON has no infinity, and checkpoints are JSON). */
    private static Object jsonNumber(double v) {
        return Double.isInfinite(v) ? (v > 0 ? "inf" : "-inf") : (Object) v;
    }

    private static double numberOrInf(Object v) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        return "inf".equals(v) ? Double.POSITIVE_INFINITY : "-inf".equals(v) ? Double.NEGATIVE_INFINITY : Double.NaN;
    }

    @Override
    protected void loadExtra(Map<String, Object> m) {
        factor = doubleOf(m, "factor");
        minLrs = doublesOf(m, "min_lrs");
        patience = intOf(m, "patience");
        cooldown = intOf(m, "cooldown");
        cooldownCounter = intOf(m, "cooldown_counter");
        threshold = doubleOf(m, "threshold");
        eps = doubleOf(m, "eps");
        best = best(m);
        numBadEpochs = intOf(m, "num_bad_epochs");
    }
}
