package dev.vgrad.optim;

import java.util.List;
import java.util.Map;

/**
 * The 1cycle policy (PyTorch's {@code OneCycleLR}, docs/SEMANTICS.md §6.7): the learning rate goes from
 * {@code max_lr/div_factor} up to {@code max_lr} over the first {@code pct_start} of the steps, then down to
 * {@code initial_lr/final_div_factor}; momentum (SGD's {@code momentum} or Adam's {@code betas[0]}) cycles
 * inversely between {@code max_momentum} and {@code base_momentum}. The optimizer's own lr is ignored. With
 * {@code threePhase} the schedule is initial→max→initial→min (momentum max→base→max→max).
 *
 * <p>At most {@code total_steps} calls to {@link #step()} are allowed after construction; the next one throws
 * {@code "Tried to step {s+1} times. The specified number of total steps is {T}"} (#39).
 */
public final class OneCycleLR extends LRScheduler {

    /** How values move between phase ends. */
    public enum Anneal {
        /** Cosine annealing, {@code end + (start - end)/2·(1 + cos(π·pct))} ({@code anneal_strategy='cos'}). */
        COS,
        /** Linear interpolation, {@code start + (end - start)·pct} ({@code anneal_strategy='linear'}). */
        LINEAR
    }

    /** Settings with PyTorch's defaults; {@code maxLr} and either total steps or epochs × steps per epoch. */
    public static final class Options {
        private final double[] maxLr;
        private Integer totalSteps;
        private Integer epochs;
        private Integer stepsPerEpoch;
        private double pctStart = 0.3;
        private Anneal anneal = Anneal.COS;
        private boolean cycleMomentum = true;
        private double baseMomentum = 0.85;
        private double maxMomentum = 0.95;
        private double divFactor = 25.0;
        private double finalDivFactor = 1e4;
        private boolean threePhase;

        Options(double[] maxLr) {
            this.maxLr = maxLr.clone();
        }

        /**
         * Sets {@code total_steps}; takes precedence over {@code epochs × steps_per_epoch}.
         *
         * @param v the number of {@code step()} calls of the whole cycle, {@code > 0}
         * @return these options
         */
        public Options totalSteps(int v) {
            totalSteps = v;
            return this;
        }

        /**
         * Sets {@code epochs}, used with {@link #stepsPerEpoch(int)} when total steps are not set.
         *
         * @param v the number of epochs, {@code > 0}
         * @return these options
         */
        public Options epochs(int v) {
            epochs = v;
            return this;
        }

        /**
         * Sets {@code steps_per_epoch}, used with {@link #epochs(int)} when total steps are not set.
         *
         * @param v the number of steps per epoch, {@code > 0}
         * @return these options
         */
        public Options stepsPerEpoch(int v) {
            stepsPerEpoch = v;
            return this;
        }

        /**
         * Sets {@code pct_start}.
         *
         * @param v the fraction of the cycle spent increasing the learning rate, in {@code [0, 1]} (default 0.3)
         * @return these options
         */
        public Options pctStart(double v) {
            pctStart = v;
            return this;
        }

        /**
         * Sets {@code anneal_strategy}.
         *
         * @param v how values move between phase ends, non-null (default {@link Anneal#COS})
         * @return these options
         */
        public Options annealStrategy(Anneal v) {
            anneal = v;
            return this;
        }

        /**
         * Sets {@code cycle_momentum}.
         *
         * @param v true (default) to cycle {@code momentum} or {@code betas[0]} inversely to the learning rate;
         *          the optimizer must then have one of them
         * @return these options
         */
        public Options cycleMomentum(boolean v) {
            cycleMomentum = v;
            return this;
        }

        /**
         * Sets {@code base_momentum}.
         *
         * @param v the momentum at the learning-rate peak (default 0.85)
         * @return these options
         */
        public Options baseMomentum(double v) {
            baseMomentum = v;
            return this;
        }

        /**
         * Sets {@code max_momentum}.
         *
         * @param v the momentum at the start and end of the cycle (default 0.95)
         * @return these options
         */
        public Options maxMomentum(double v) {
            maxMomentum = v;
            return this;
        }

        /**
         * Sets {@code div_factor}.
         *
         * @param v {@code initial_lr = max_lr/div_factor}, finite and {@code > 0} (default 25)
         * @return these options
         */
        public Options divFactor(double v) {
            divFactor = v;
            return this;
        }

        /**
         * Sets {@code final_div_factor}.
         *
         * @param v {@code min_lr = initial_lr/final_div_factor}, finite and {@code > 0} (default 1e4)
         * @return these options
         */
        public Options finalDivFactor(double v) {
            finalDivFactor = v;
            return this;
        }

        /**
         * Sets {@code three_phase}.
         *
         * @param v true for the schedule initial→max→initial→min, false (default) for initial→max→min
         * @return these options
         */
        public Options threePhase(boolean v) {
            threePhase = v;
            return this;
        }
    }

    /**
     * Options for a peak learning rate {@code maxLr} (one value for all groups, or one per group).
     *
     * @param maxLr the peak learning rate {@code max_lr}: one finite value {@code >= 0}, or one per group (copied)
     * @return new options with PyTorch's defaults; total steps or epochs must still be set
     */
    public static Options options(double... maxLr) {
        return new Options(maxLr);
    }

    private int totalSteps;
    private double pctStart;
    private boolean threePhase;
    private Anneal anneal;
    private boolean cycleMomentum;
    private boolean useBeta1;
    private double[] phaseEnds;
    private String[][] phaseKeys; // {start_lr, end_lr, start_momentum, end_momentum}

    /**
     * OneCycleLR over {@code totalSteps} steps with default settings.
     *
     * @param optimizer  the optimizer whose groups' {@code lr} (and momentum) is scheduled
     * @param maxLr      the peak learning rate {@code max_lr} of every group, finite and {@code >= 0}
     * @param totalSteps the number of {@code step()} calls of the cycle, {@code > 0}
     */
    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps) {
        this(optimizer, options(maxLr).totalSteps(totalSteps));
    }

    /**
     * OneCycleLR with the given settings; writes {@code initial_lr}, {@code max_lr}, {@code min_lr} (and the
     * momentum keys) into the groups and performs the initial step.
     *
     * @param optimizer the optimizer whose groups' {@code lr} (and momentum) is scheduled
     * @param o         the settings, from {@link #options(double...)}
     * @throws IllegalArgumentException for a null optimizer, missing or non-positive step counts, an out-of-range
     *                                  setting, or {@code cycle_momentum} on an optimizer without momentum
     *                                  (PyTorch's messages)
     */
    public OneCycleLR(Optimizer optimizer, Options o) {
        super(prepare(optimizer, o));
        this.totalSteps = total(o);
        this.pctStart = o.pctStart;
        this.threePhase = o.threePhase;
        this.anneal = o.anneal;
        this.cycleMomentum = o.cycleMomentum;
        this.useBeta1 = optimizer.defaults().containsKey("betas");
        buildPhases();
        initialStep();
    }

    private static int total(Options o) {
        if (o.totalSteps == null && o.epochs == null && o.stepsPerEpoch == null) {
            throw new IllegalArgumentException("You must define either total_steps OR (epochs AND steps_per_epoch)");
        }
        if (o.totalSteps != null) {
            if (o.totalSteps <= 0) {
                throw new IllegalArgumentException("Expected positive integer total_steps, but got " + o.totalSteps);
            }
            return o.totalSteps;
        }
        if (o.epochs == null || o.epochs <= 0) {
            throw new IllegalArgumentException("Expected positive integer epochs, but got " + o.epochs);
        }
        if (o.stepsPerEpoch == null || o.stepsPerEpoch <= 0) {
            throw new IllegalArgumentException("Expected positive integer steps_per_epoch, but got "
                    + o.stepsPerEpoch);
        }
        return o.epochs * o.stepsPerEpoch;
    }

    /** Validates and writes initial_lr/max_lr/min_lr (and momentum keys) into the groups before the base init. */
    private static Optimizer prepare(Optimizer optimizer, Options o) {
        if (optimizer == null) {
            throw new IllegalArgumentException("null is not an Optimizer");
        }
        total(o);
        if (o.pctStart < 0 || o.pctStart > 1 || Double.isNaN(o.pctStart)) {
            throw new IllegalArgumentException("Expected float between 0 and 1 pct_start, but got "
                    + Optimizer.repr(o.pctStart));
        }
        if (o.anneal == null) {
            throw new IllegalArgumentException("anneal_strategy must by one of 'cos' or 'linear', instead got null");
        }
        List<ParamGroup> groups = optimizer.paramGroups();
        double[] maxLrs = o.maxLr;
        if (maxLrs == null || maxLrs.length == 0) {
            throw new IllegalArgumentException("OneCycleLR: max_lr must be given");
        }
        for (double m : maxLrs) {
            if (!(m >= 0) || Double.isInfinite(m)) {
                throw new IllegalArgumentException("OneCycleLR: max_lr must be a finite non-negative number, got " + m);
            }
        }
        if (!(o.divFactor > 0) || !(o.finalDivFactor > 0) || Double.isInfinite(o.divFactor)
                || Double.isInfinite(o.finalDivFactor)) {
            throw new IllegalArgumentException("OneCycleLR: div_factor and final_div_factor must be finite and positive");
        }
        if (maxLrs.length == 1 && groups.size() != 1) {
            maxLrs = new double[groups.size()];
            java.util.Arrays.fill(maxLrs, o.maxLr[0]);
        } else if (maxLrs.length != groups.size()) {
            throw new IllegalArgumentException("expected " + groups.size() + " values for max_lr, got "
                    + maxLrs.length);
        }
        boolean beta1 = optimizer.defaults().containsKey("betas");
        if (o.cycleMomentum && !optimizer.defaults().containsKey("momentum") && !beta1) {
            throw new IllegalArgumentException("optimizer must support momentum with `cycle_momentum` option enabled");
        }
        for (int i = 0; i < groups.size(); i++) {
            ParamGroup g = groups.get(i);
            double initial = maxLrs[i] / o.divFactor;
            g.set("initial_lr", initial);
            g.set("max_lr", maxLrs[i]);
            g.set("min_lr", initial / o.finalDivFactor);
            if (o.cycleMomentum) {
                if (beta1) {
                    double[] b = g.betas();
                    g.betas(o.maxMomentum, b[1]);
                } else {
                    g.set("momentum", o.maxMomentum);
                }
                g.set("max_momentum", o.maxMomentum);
                g.set("base_momentum", o.baseMomentum);
            }
        }
        return optimizer;
    }

    private void buildPhases() {
        if (threePhase) {
            phaseEnds = new double[] {pctStart * totalSteps - 1, 2 * pctStart * totalSteps - 2, totalSteps - 1};
            phaseKeys = new String[][] {
                {"initial_lr", "max_lr", "max_momentum", "base_momentum"},
                {"max_lr", "initial_lr", "base_momentum", "max_momentum"},
                {"initial_lr", "min_lr", "max_momentum", "max_momentum"}};
        } else {
            phaseEnds = new double[] {pctStart * totalSteps - 1, totalSteps - 1};
            phaseKeys = new String[][] {
                {"initial_lr", "max_lr", "max_momentum", "base_momentum"},
                {"max_lr", "min_lr", "base_momentum", "max_momentum"}};
        }
    }

    private double annealValue(double start, double end, double pct) {
        if (anneal == Anneal.COS) {
            double cosOut = Math.cos(Math.PI * pct) + 1;
            return end + (start - end) / 2.0 * cosOut;
        }
        return (end - start) * pct + start;
    }

    @Override
    protected double[] computeLr() {
        int stepNum = lastEpoch;
        if (stepNum > totalSteps) {
            throw new IllegalArgumentException("Tried to step " + (stepNum + 1)
                    + " times. The specified number of total steps is " + totalSteps);
        }
        List<ParamGroup> groups = optimizer.paramGroups();
        double[] lrs = new double[groups.size()];
        for (int gi = 0; gi < groups.size(); gi++) {
            ParamGroup g = groups.get(gi);
            double start = 0;
            for (int i = 0; i < phaseEnds.length; i++) {
                double end = phaseEnds[i];
                if (stepNum <= end || i == phaseEnds.length - 1) {
                    double pct = (stepNum - start) / (end - start);
                    lrs[gi] = annealValue(g.getDouble(phaseKeys[i][0]), g.getDouble(phaseKeys[i][1]), pct);
                    if (cycleMomentum) {
                        double mom = annealValue(g.getDouble(phaseKeys[i][2]), g.getDouble(phaseKeys[i][3]), pct);
                        if (useBeta1) {
                            g.betas(mom, g.betas()[1]);
                        } else {
                            g.set("momentum", mom);
                        }
                    }
                    break;
                }
                start = end;
            }
        }
        return lrs;
    }

    /**
     * The total number of steps of the cycle.
     *
     * @return {@code total_steps}, or {@code epochs·steps_per_epoch}
     */
    public int totalSteps() {
        return totalSteps;
    }

    @Override
    protected void saveExtra(Map<String, Object> m) {
        m.put("total_steps", totalSteps);
        m.put("pct_start", pctStart);
        m.put("three_phase", threePhase);
        m.put("anneal_strategy", anneal == Anneal.COS ? "cos" : "linear");
        m.put("cycle_momentum", cycleMomentum);
        m.put("use_beta1", useBeta1);
    }

    @Override
    protected void checkExtra(Map<String, Object> m) {
        if (intOf(m, "total_steps") <= 0) {
            throw new IllegalArgumentException("OneCycleLR state dict has a non-positive total_steps");
        }
        double pct = doubleOf(m, "pct_start");
        if (pct < 0 || pct > 1) {
            throw new IllegalArgumentException("Expected float between 0 and 1 pct_start, but got "
                    + Optimizer.repr(pct));
        }
        Object a = m.get("anneal_strategy");
        if (!"cos".equals(a) && !"linear".equals(a)) {
            throw new IllegalArgumentException("anneal_strategy must by one of 'cos' or 'linear', instead got " + a);
        }
        if (!(m.get("three_phase") instanceof Boolean) || !(m.get("cycle_momentum") instanceof Boolean)
                || !(m.get("use_beta1") instanceof Boolean)) {
            throw new IllegalArgumentException("OneCycleLR state dict needs boolean three_phase, cycle_momentum and "
                    + "use_beta1");
        }
    }

    @Override
    protected void loadExtra(Map<String, Object> m) {
        totalSteps = intOf(m, "total_steps");
        pctStart = doubleOf(m, "pct_start");
        threePhase = (Boolean) m.get("three_phase");
        anneal = "cos".equals(m.get("anneal_strategy")) ? Anneal.COS : Anneal.LINEAR;
        cycleMomentum = (Boolean) m.get("cycle_momentum");
        useBeta1 = (Boolean) m.get("use_beta1");
        buildPhases();
    }
}
