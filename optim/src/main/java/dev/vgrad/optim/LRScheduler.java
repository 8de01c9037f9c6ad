package dev.vgrad.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Base class of the learning-rate schedulers, after PyTorch's {@code _LRScheduler} (docs/SEMANTICS.md §6.7).
 *
 * <p>Construction sets {@code initial_lr} in every group that lacks it, takes {@code base_lrs} from it and performs
 * one initial {@link #step()} ({@code last_epoch} becomes 0 and the groups get the epoch-0 learning rates). Each
 * later {@code step()} increments {@code last_epoch} and writes the new {@code lr} into every group. Schedulers use
 * PyTorch's recursive ("chainable") formulas, so values agree with PyTorch to the last bit or to rounding.
 *
 * <p>Calling {@code step()} before the optimizer's first {@code step()} logs PyTorch's warning once (#41).
 *
 * <p>Resuming: construct the optimizer and scheduler as for a fresh run, then load the optimizer's state dict
 * (which restores each group's {@code lr}, {@code initial_lr}, …) and then the scheduler's.
 */
public abstract class LRScheduler {
    static final String ORDER_WARNING = "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
            + "In PyTorch 1.1.0 and later, you should call them in the opposite order: `optimizer.step()` before "
            + "`lr_scheduler.step()`.  Failure to do this will result in PyTorch skipping the first value of the "
            + "learning rate schedule. See more details at "
            + "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate";

    /** The optimizer whose groups' {@code lr} this scheduler writes. */
    protected final Optimizer optimizer;
    /** Per group, the learning rate the schedule starts from ({@code base_lrs}, from {@code initial_lr}). */
    protected double[] baseLrs;
    /** The current epoch/iteration ({@code last_epoch}): -1 before the initial step, 0 right after it. */
    protected int lastEpoch = -1;
    /** Number of step() calls including the initial one ({@code _step_count}). */
    protected int stepCount;
    /** Per group, the learning rate written by the last step ({@code _last_lr}). */
    protected double[] lastLr;
    private long optimizerStepsAtInit;
    private boolean orderWarned;

    /**
     * Sets {@code initial_lr} where missing and reads {@code base_lrs}; subclasses then call {@link #initialStep()}.
     *
     * @param optimizer the optimizer to schedule (its groups are changed: {@code initial_lr} is added)
     * @throws IllegalArgumentException when {@code optimizer} is null
     */
    protected LRScheduler(Optimizer optimizer) {
        if (optimizer == null) {
            throw new IllegalArgumentException("null is not an Optimizer");
        }
        this.optimizer = optimizer;
        List<ParamGroup> groups = optimizer.paramGroups();
        baseLrs = new double[groups.size()];
        for (int i = 0; i < groups.size(); i++) {
            ParamGroup g = groups.get(i);
            if (!g.has("initial_lr")) {
                g.set("initial_lr", g.lr());
            }
            baseLrs[i] = g.getDouble("initial_lr");
        }
    }

    /** PyTorch's {@code _initial_step}: resets the call-order bookkeeping and steps once. */
    protected final void initialStep() {
        optimizerStepsAtInit = optimizer.stepCount();
        stepCount = 0;
        step();
    }

    /** {@code v} when finite, else an IllegalArgumentException naming the scheduler and the argument. */
    static double finite(String cls, String what, double v) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(cls + ": " + what + " must be finite, got " + v);
        }
        return v;
    }

    /** Advances one epoch/iteration and writes the new learning rates into the optimizer's groups. */
    public void step() {
        if (stepCount == 1 && optimizer.stepCount() == optimizerStepsAtInit && !orderWarned) {
            orderWarned = true;
            Optimizer.LOG.log(System.Logger.Level.WARNING, ORDER_WARNING);
        }
        stepCount++;
        lastEpoch++;
        apply(computeLr());
    }

    /** PyTorch's {@code step(epoch)} (used by {@link SequentialLR}): jumps to {@code epoch} with the closed form. */
    void stepTo(int epoch) {
        stepCount++;
        lastEpoch = epoch;
        apply(closedFormLr());
    }

    private void apply(double[] lrs) {
        List<ParamGroup> groups = optimizer.paramGroups();
        for (int i = 0; i < groups.size(); i++) {
            groups.get(i).set("lr", lrs[i]);
        }
        lastLr = new double[groups.size()];
        for (int i = 0; i < groups.size(); i++) {
            lastLr[i] = groups.get(i).lr();
        }
    }

    /**
     * The chainable {@code get_lr()}: new learning rates for {@link #lastEpoch} from the groups' current ones.
     *
     * @return a new array with one learning rate per parameter group, in group order
     */
    protected abstract double[] computeLr();

    /**
     * The closed form for {@link #lastEpoch} (defaults to {@link #computeLr()}).
     *
     * @return a new array with one learning rate per parameter group (PyTorch's {@code _get_closed_form_lr()})
     */
    protected double[] closedFormLr() {
        return computeLr();
    }

    /**
     * The groups' current learning rates.
     *
     * @return a new array with each group's {@code lr}, in group order
     */
    protected final double[] groupLrs() {
        List<ParamGroup> groups = optimizer.paramGroups();
        double[] r = new double[groups.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = groups.get(i).lr();
        }
        return r;
    }

    /**
     * The learning rates written by the last step ({@code get_last_lr()}).
     *
     * @return a new array with one learning rate per parameter group, in group order
     */
    public double[] getLastLr() {
        return lastLr.clone();
    }

    /**
     * The current epoch ({@code last_epoch}; 0 right after construction).
     *
     * @return {@code last_epoch}: 0 after construction, then incremented by each {@link #step()} (jumps set it
     *         directly, e.g. {@link CosineAnnealingWarmRestarts#step(double)})
     */
    public int lastEpoch() {
        return lastEpoch;
    }

    /**
     * The optimizer this scheduler drives.
     *
     * @return the optimizer given at construction
     */
    public Optimizer optimizer() {
        return optimizer;
    }

    /**
     * Whether the call-order warning (#41) was logged by this scheduler.
     *
     * @return true once this scheduler logged "Detected call of `lr_scheduler.step()` before `optimizer.step()`"
     */
    public boolean callOrderWarned() {
        return orderWarned;
    }

    /**
     * The scheduler state as in PyTorch ({@code last_epoch}, {@code _step_count}, {@code base_lrs},
     * {@code _last_lr} and the scheduler's own fields). Values are numbers, booleans, strings and lists.
     *
     * @return a new map (JSON-compatible), with {@code "type"} naming the scheduler class
     */
    public Map<String, Object> stateDict() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", getClass().getSimpleName());
        m.put("last_epoch", lastEpoch);
        m.put("_step_count", stepCount);
        m.put("base_lrs", toList(baseLrs));
        m.put("_last_lr", toList(lastLr));
        saveExtra(m);
        return m;
    }

    /**
     * Restores {@link #stateDict()} output (also after a JSON round trip), all or nothing (docs/SEMANTICS.md
     * §6.8): every field is validated before anything changes. Counts ({@code last_epoch >= -1},
     * {@code _step_count >= 0}, step sizes, milestones) must be integers, flags booleans, and numbers finite and in
     * the range the scheduler's constructor accepts.
     *
     * @param state a map as returned by {@link #stateDict()}; numbers may be any {@link Number}, lists any
     *              {@link List} of numbers
     * @throws IllegalArgumentException when the dict belongs to another scheduler type or is malformed; the
     *                                  scheduler is then unchanged
     */
    public void loadStateDict(Map<String, Object> state) {
        prepareLoad(state).run();
    }

    /** Validates {@code state} without changing anything; the returned action applies it. */
    final Runnable prepareLoad(Map<String, Object> state) {
        Object type = state.get("type");
        if (type != null && !getClass().getSimpleName().equals(type)) {
            throw new IllegalArgumentException("scheduler state dict is for " + type + ", not "
                    + getClass().getSimpleName());
        }
        int le = intOf(state, "last_epoch");
        int sc = intOf(state, "_step_count");
        if (le < -1) {
            throw new IllegalArgumentException("scheduler state dict has last_epoch " + le + ", expected >= -1");
        }
        if (sc < 0) {
            throw new IllegalArgumentException("scheduler state dict has _step_count " + sc + ", expected >= 0");
        }
        double[] bl = doublesOf(state, "base_lrs");
        double[] ll = doublesOf(state, "_last_lr");
        for (double b : bl) {
            if (b < 0) {
                throw new IllegalArgumentException("scheduler state dict has a negative base learning rate "
                        + Optimizer.repr(b));
            }
        }
        if (bl.length != baseLrs.length || ll.length != baseLrs.length) {
            throw new IllegalArgumentException("scheduler state dict has " + bl.length
                    + " base learning rates but the optimizer has " + baseLrs.length + " parameter groups");
        }
        checkExtra(state);
        return () -> {
            lastEpoch = le;
            stepCount = sc;
            baseLrs = bl;
            lastLr = ll;
            loadExtra(state);
        };
    }

    /**
     * Adds the scheduler's own fields to its state dict.
     *
     * @param m the state dict being built, to add entries to (PyTorch's key names)
     */
    protected void saveExtra(Map<String, Object> m) {
    }

    /**
     * Validates the scheduler's own fields in a state dict (throw {@link IllegalArgumentException}).
     *
     * @param m the state dict being loaded; must not be changed, nor this scheduler
     */
    protected void checkExtra(Map<String, Object> m) {
    }

    /**
     * Restores the scheduler's own fields (after {@link #checkExtra}).
     *
     * @param m the state dict being loaded, already validated; must not fail
     */
    protected void loadExtra(Map<String, Object> m) {
    }

    static List<Double> toList(double[] a) {
        List<Double> l = new ArrayList<>(a.length);
        for (double d : a) {
            l.add(d);
        }
        return l;
    }

    /** {@code m[key]} as an int: it must be an integral number within the int range (1.5, NaN, 1e20 fail). */
    static int intOf(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Number n)) {
            throw new IllegalArgumentException("scheduler state dict has no number " + key);
        }
        return toInt(key, n.doubleValue());
    }

    static int toInt(String key, double d) {
        if (d != Math.rint(d) || d < Integer.MIN_VALUE || d > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("scheduler state dict: " + key + " must be an integer, got "
                    + Optimizer.repr(d));
        }
        return (int) d;
    }

    /** {@code m[key]} as a finite double. */
    static double doubleOf(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Number n)) {
            throw new IllegalArgumentException("scheduler state dict has no number " + key);
        }
        if (!Double.isFinite(n.doubleValue())) {
            throw new IllegalArgumentException("scheduler state dict: " + key + " must be finite, got "
                    + Optimizer.repr(n.doubleValue()));
        }
        return n.doubleValue();
    }

    /** {@code m[key]} as a list of integers. */
    static int[] intsOf(Map<String, Object> m, String key) {
        double[] d = doublesOf(m, key);
        int[] r = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            r[i] = toInt(key, d[i]);
        }
        return r;
    }

    /** {@code m[key]} as a list of finite doubles. */
    static double[] doublesOf(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v instanceof double[] d) {
            for (double x : d) {
                if (!Double.isFinite(x)) {
                    throw new IllegalArgumentException("scheduler state dict list " + key + " has a non-finite "
                            + "number " + Optimizer.repr(x));
                }
            }
            return d.clone();
        }
        if (!(v instanceof List<?> l)) {
            throw new IllegalArgumentException("scheduler state dict has no list " + key);
        }
        double[] r = new double[l.size()];
        for (int i = 0; i < r.length; i++) {
            if (!(l.get(i) instanceof Number n)) {
                throw new IllegalArgumentException("scheduler state dict list " + key + " has a non-number");
            }
            r[i] = n.doubleValue();
            if (!Double.isFinite(r[i])) {
                throw new IllegalArgumentException("scheduler state dict list " + key + " has a non-finite number "
                        + Optimizer.repr(r[i]));
            }
        }
        return r;
    }
}
