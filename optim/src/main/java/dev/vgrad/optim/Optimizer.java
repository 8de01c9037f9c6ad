package dev.vgrad.optim;

import dev.vgrad.core.DType;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.internal.GradBuffers;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Base class of the optimizers, after {@code torch.optim.Optimizer} (docs/SEMANTICS.md §6.1).
 *
 * <p>An optimizer holds ordered {@linkplain ParamGroup parameter groups}, each with its own hyper-parameters
 * (missing keys are filled from the optimizer's defaults), and per-parameter state. {@link #step()} updates, in
 * place and with grad mode disabled, every parameter whose {@code grad()} is non-null; parameters with a null
 * gradient are skipped entirely (no update, no state, no step count). Each parameter is updated by one fused
 * kernel pass ({@link dev.vgrad.core.kernel.OptimKernels}) and its version counter is bumped.
 *
 * <p>{@link #stateDict()} / {@link #loadStateDict(Map)} use PyTorch's structure:
 * {@code {"state": {index: {key: value}}, "param_groups": [{hyper-parameters…, "params": [indices]}]}},
 * where indices number the parameters consecutively across groups in order of first appearance.
 *
 * <p>Not thread-safe: one thread drives an optimizer (the kernels themselves run in parallel).
 */
public abstract class Optimizer {
    static final System.Logger LOG = System.getLogger("dev.vgrad.optim");

    /** Marker for a hyper-parameter without default that every group must set. */
    public static final Object REQUIRED = new Object() {
        @Override
        public String toString() {
            return "<required parameter>";
        }
    };

    private final Map<String, Object> defaults;
    private final List<ParamGroup> groups = new ArrayList<>();
    private final Map<Tensor, Map<String, Object>> state = new IdentityHashMap<>();
    /**
     * Whether this is one of vgrad's optimizers (named in this package and loaded from the same jar or classes
     * directory as this class), whose update rules never keep the gradient they are given.
     */
    private final boolean ownUpdate = getClass().getName().startsWith("dev.vgrad.optim.")
            && java.util.Objects.equals(getClass().getProtectionDomain().getCodeSource(),
                    Optimizer.class.getProtectionDomain().getCodeSource());
    private long stepCount;

    /**
     * Builds the optimizer's parameter groups from {@code params}, filling each group's missing hyper-parameters
     * from {@code defaults} and validating them (PyTorch's {@code Optimizer.__init__}).
     *
     * @param params   a non-empty list of {@link Tensor}s (one group) or of {@link ParamGroup}s
     * @param defaults the optimizer's default hyper-parameters (PyTorch key names)
     */
    protected Optimizer(List<?> params, Map<String, Object> defaults) {
        Map<String, Object> d = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : defaults.entrySet()) {
            d.put(e.getKey(), e.getValue() == REQUIRED ? REQUIRED : ParamGroup.normalize(e.getKey(), e.getValue()));
        }
        this.defaults = Collections.unmodifiableMap(d);
        if (params == null) {
            throw new IllegalArgumentException("params argument given to the optimizer should be an iterable of "
                    + "Tensors or dicts, but got null");
        }
        if (params.isEmpty()) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        if (params.get(0) instanceof ParamGroup) {
            for (Object o : params) {
                if (!(o instanceof ParamGroup g)) {
                    throw new IllegalArgumentException("params argument given to the optimizer should be an "
                            + "iterable of Tensors or dicts, but got a mix including " + typeName(o));
                }
                addParamGroup(g);
            }
        } else {
            List<Tensor> ts = new ArrayList<>(params.size());
            for (Object o : params) {
                if (!(o instanceof Tensor t)) {
                    throw new IllegalArgumentException("optimizer can only optimize Tensors, but one of the params is "
                            + typeName(o));
                }
                ts.add(t);
            }
            addParamGroup(ParamGroup.of(ts));
        }
    }

    private static String typeName(Object o) {
        return o == null ? "null" : o.getClass().getName();
    }

    // ------------------------------------------------------------------------------------------ groups

    /**
     * Adds a parameter group (e.g. when unfreezing layers). Missing hyper-parameters are filled from the
     * defaults, then validated.
     *
     * @param group the new group: leaf floating-point parameters not in any existing group, and its own
     *              hyper-parameters (PyTorch's {@code add_param_group(dict)})
     * @throws IllegalArgumentException "can't optimize a non-leaf Tensor", "some parameters appear in more than
     *                                  one parameter group", a missing required hyper-parameter, or an invalid
     *                                  hyper-parameter value (PyTorch's messages)
     */
    public final void addParamGroup(ParamGroup group) {
        for (Tensor p : group.params()) {
            if (!p.isLeaf()) {
                throw new IllegalArgumentException("can't optimize a non-leaf Tensor");
            }
            if (!p.dtype().isFloatingPoint()) {
                throw new IllegalArgumentException("optimizer can only optimize Tensors of floating point dtype, "
                        + "but one of the params is " + p.dtype());
            }
        }
        for (Map.Entry<String, Object> e : defaults.entrySet()) {
            if (e.getValue() == REQUIRED && !group.has(e.getKey())) {
                throw new IllegalArgumentException("parameter group didn't specify a value of required optimization "
                        + "parameter " + e.getKey());
            }
            group.putIfAbsent(e.getKey(), e.getValue());
        }
        Set<Tensor> inGroup = Collections.newSetFromMap(new IdentityHashMap<>());
        boolean duplicate = false;
        for (Tensor p : group.params()) {
            duplicate |= !inGroup.add(p);
        }
        if (duplicate) {
            LOG.log(System.Logger.Level.WARNING, "optimizer contains a parameter group with duplicate parameters; "
                    + "in future, this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                    + "information");
        }
        for (ParamGroup g : groups) {
            for (Tensor p : g.params()) {
                if (inGroup.contains(p)) {
                    throw new IllegalArgumentException("some parameters appear in more than one parameter group");
                }
            }
        }
        checkGroup(group);
        groups.add(group);
        groupAdded(group);
    }

    /**
     * The parameter groups (PyTorch's {@code param_groups}).
     *
     * @return an unmodifiable list of the live groups, in the order added: changing a group's {@code lr} takes
     *         effect at the next step
     */
    public final List<ParamGroup> paramGroups() {
        return Collections.unmodifiableList(groups);
    }

    /**
     * The default hyper-parameters (PyTorch's {@code defaults}).
     *
     * @return an unmodifiable map from PyTorch key name to value; {@link #REQUIRED} marks a key every group must set
     */
    public final Map<String, Object> defaults() {
        return defaults;
    }

    /**
     * All parameters, group by group.
     *
     * @return a new list of the parameters of every group, in group order (the live tensors, not copies)
     */
    public final List<Tensor> params() {
        List<Tensor> all = new ArrayList<>();
        for (ParamGroup g : groups) {
            all.addAll(g.params());
        }
        return all;
    }

    /**
     * Checks the group's hyper-parameters, throwing {@link IllegalArgumentException} with PyTorch's message
     * (e.g. {@code "Invalid learning rate: -0.1"}).
     *
     * @param group the group to check, its missing keys already filled from the defaults; must not be changed
     */
    protected abstract void validateGroup(ParamGroup group);

    /**
     * Full check of a group's hyper-parameters: every default key present with the default's type (boolean
     * flags are booleans, numbers are numbers, {@code betas} has two elements), the optimizer's own range checks
     * ({@link #validateGroup}, PyTorch's messages), and every other number finite (docs/SEMANTICS.md §6.8).
     */
    private void checkGroup(ParamGroup g) {
        for (Map.Entry<String, Object> e : defaults.entrySet()) {
            String key = e.getKey();
            Object def = e.getValue();
            Object v = g.options().get(key);
            if (!g.has(key)) {
                throw new IllegalArgumentException("parameter group is missing the hyper-parameter '" + key + "'");
            }
            if (def instanceof Boolean && !(v instanceof Boolean)) {
                throw new IllegalArgumentException("hyper-parameter '" + key + "' must be a boolean, got " + show(v));
            }
            if ((def instanceof Double || def == REQUIRED) && !(v instanceof Double)) {
                throw new IllegalArgumentException("hyper-parameter '" + key + "' must be a number, got " + show(v));
            }
            if (def instanceof double[] d && !(v instanceof double[] a && a.length == d.length)) {
                throw new IllegalArgumentException("hyper-parameter '" + key + "' must be a list of " + d.length
                        + " numbers, got " + show(v));
            }
        }
        validateGroup(g);
        for (Map.Entry<String, Object> e : g.options().entrySet()) {
            Object v = e.getValue();
            boolean finite = true;
            if (v instanceof Double d) {
                finite = Double.isFinite(d);
            } else if (v instanceof double[] a) {
                for (double d : a) {
                    finite &= Double.isFinite(d);
                }
            }
            if (!finite) {
                throw new IllegalArgumentException("hyper-parameter '" + e.getKey() + "' must be finite, got "
                        + show(v));
            }
        }
    }

    private static String show(Object v) {
        if (v instanceof double[] a) {
            return java.util.Arrays.toString(a);
        }
        return v instanceof String str ? "'" + str + "'" : String.valueOf(v);
    }

    /**
     * The names of all per-parameter state tensors this optimizer keeps (each must be a tensor shaped like its
     * parameter when present). Default: none.
     *
     * @return the state keys whose values are tensors shaped like the parameter (e.g. {@code exp_avg})
     */
    protected Set<String> stateTensorKeys() {
        return Set.of();
    }

    /**
     * The state keys a parameter's state must hold once it has any state, given its group's hyper-parameters
     * ({@code step} and the moment buffers for Adam, …). Default: none.
     *
     * @param group the parameter's group (its flags, e.g. {@code amsgrad}, decide which buffers exist)
     * @return the keys a loaded non-empty state entry must contain with a non-null value
     */
    protected Set<String> requiredStateKeys(ParamGroup group) {
        return Set.of();
    }

    /**
     * Validates and converts the loaded state of one parameter whose layout the generic rules (state tensors shaped
     * like their parameter, a {@code step} count) do not describe, such as {@link LBFGS}'s flat vectors and
     * histories. Must not change anything; throw {@link IllegalArgumentException} on a malformed entry. Returns
     * the state to install, or null (the default) to apply the generic rules.
     *
     * @param index the parameter's index in the state dict (for error messages)
     * @param param the parameter the state belongs to (its dtype and shape)
     * @param entry the loaded state of this parameter, as decoded (keys may be strings, numbers may be any
     *              {@link Number})
     * @return a new state map to install for {@code param}, or null to apply the generic rules
     */
    protected Map<String, Object> loadState(int index, Tensor param, Map<?, ?> entry) {
        return null;
    }

    /**
     * Called after a group was added (Adagrad creates its state here).
     *
     * @param group the group just added, validated and with its defaults filled in
     */
    protected void groupAdded(ParamGroup group) {
    }

    // ------------------------------------------------------------------------------------------ stepping

    /**
     * Performs one optimization step over every parameter with a non-null gradient. Overridden only by optimizers
     * that cannot step without re-evaluating the loss ({@link LBFGS}), which fail here.
     */
    public void step() {
        checkStateMatchesParams();
        stepCount++;
        try (var off = Grad.disabled()) {
            for (ParamGroup g : groups) {
                for (Tensor p : g.params()) {
                    // an update rule written outside vgrad may keep the gradient: it gets it as user code would
                    Tensor grad = ownUpdate ? GradBuffers.peek(p) : p.grad();
                    if (grad == null) {
                        continue;
                    }
                    Tensor gc = grad.isContiguous() ? grad : grad.contiguous();
                    if (p.isContiguous()) {
                        update(g, p, p, gc);
                        p.bumpVersion();
                    } else {
                        Tensor w = p.contiguous();
                        update(g, p, w, gc);
                        p.copy_(w);
                    }
                }
            }
        }
    }

    /**
     * Fails before anything is updated when a parameter's data was replaced (e.g. by {@code Module.to(dtype)})
     * after its state tensors were created: PyTorch 1.13 fails inside its kernel there; the fused kernels here
     * need state of the parameter's dtype and shape. O(number of state tensors), no element is read.
     */
    private void checkStateMatchesParams() {
        for (ParamGroup g : groups) {
            for (Tensor p : g.params()) {
                Map<String, Object> st = GradBuffers.peek(p) == null ? null : state.get(p);
                if (st == null) {
                    continue;
                }
                for (Map.Entry<String, Object> e : st.entrySet()) {
                    if (e.getValue() instanceof Tensor t && (t.dtype() != p.dtype()
                            || !java.util.Arrays.equals(t.shape(), p.shape()))) {
                        throw new IllegalStateException(getClass().getSimpleName() + ".step: state '" + e.getKey()
                                + "' has dtype " + t.dtype() + " and shape " + java.util.Arrays.toString(t.shape())
                                + " but its parameter now has dtype " + p.dtype() + " and shape "
                                + java.util.Arrays.toString(p.shape()) + " (the parameter was converted, e.g. by "
                                + "Module.to, after the optimizer created its state); reload the state with "
                                + "loadStateDict(stateDict()), which converts it, or build a new optimizer");
                    }
                }
            }
        }
    }

    /**
     * Evaluates {@code closure} with grad mode enabled (it typically zeroes the gradients, computes the loss and
     * calls backward), then performs a step. Returns the closure's value.
     *
     * @param closure re-evaluates the model and returns the loss (PyTorch's {@code closure})
     * @return the loss the closure returned, before the step
     */
    public Tensor step(Supplier<Tensor> closure) {
        Tensor loss;
        try (var on = Grad.enabled()) {
            loss = closure.get();
        }
        step();
        return loss;
    }

    /**
     * Updates one parameter in place.
     *
     * @param group the parameter's group (hyper-parameters)
     * @param param the parameter (the key of its state)
     * @param data  a contiguous tensor holding the parameter's values, to be updated in place (the parameter
     *              itself when it is contiguous)
     * @param grad  the parameter's gradient, contiguous, same dtype and shape
     */
    protected abstract void update(ParamGroup group, Tensor param, Tensor data, Tensor grad);

    /** Counts a step made by an optimizer that overrides {@link #step(Supplier)} ({@link LBFGS}). */
    final void countStep() {
        stepCount++;
    }

    /**
     * Number of steps made so far (schedulers use it to detect a wrong call order).
     *
     * @return the count of {@link #step()} / {@link #step(Supplier)} calls, 0 for a fresh optimizer
     */
    public final long stepCount() {
        return stepCount;
    }

    /** Sets every gradient to null (the PyTorch 2.x default). */
    public final void zeroGrad() {
        zeroGrad(true);
    }

    /**
     * With {@code setToNone}, sets every gradient to null; otherwise detaches each gradient from any graph, makes
     * it not require grad, and zeroes it in place.
     *
     * @param setToNone true to drop the gradients (PyTorch's {@code set_to_none=True}), false to zero them in place
     */
    public final void zeroGrad(boolean setToNone) {
        try (var off = Grad.disabled()) {
            for (ParamGroup g : groups) {
                for (Tensor p : g.params()) {
                    Tensor grad = GradBuffers.peek(p);
                    if (grad == null) {
                        continue;
                    }
                    if (setToNone) {
                        // recycles the gradient's array when nothing outside vgrad saw it (docs/SEMANTICS.md §25)
                        GradBuffers.release(p);
                    } else {
                        if (grad.gradFn() != null) {
                            grad = grad.detach();
                            p.setGrad(grad);
                        } else {
                            grad.requiresGrad(false);
                        }
                        grad.zero_();
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------ state

    /**
     * The live state of {@code param}, created empty if absent (for subclasses).
     *
     * @param param a parameter of this optimizer (identity is the key)
     * @return the mutable live state map of {@code param}
     */
    protected final Map<String, Object> state(Tensor param) {
        return state.computeIfAbsent(param, k -> new LinkedHashMap<>());
    }

    /**
     * The state of {@code param} (unmodifiable view of the live map: tensors are the live buffers), or null when the
     * parameter has no state.
     *
     * @param param a parameter of this optimizer (identity is the key)
     * @return an unmodifiable view of the live state (PyTorch's {@code state[param]}), or null without state
     */
    public final Map<String, Object> getState(Tensor param) {
        Map<String, Object> s = state.get(param);
        return s == null ? null : Collections.unmodifiableMap(s);
    }

    /**
     * A zero tensor with the parameter's dtype and shape (a state buffer).
     *
     * @param p the parameter
     * @return a new zero tensor of {@code p}'s dtype and shape, not requiring grad
     */
    protected static Tensor zerosLike(Tensor p) {
        return Tensor.zeros(p.dtype(), p.shape());
    }

    /**
     * The state tensor {@code key}, created as zeros if missing.
     *
     * @param st    the parameter's live state map (from {@link #state(Tensor)})
     * @param key   the state key, e.g. {@code "exp_avg"}
     * @param param the parameter whose dtype and shape a new buffer takes
     * @return the live buffer stored under {@code key} (created and stored if absent)
     */
    protected final Tensor buffer(Map<String, Object> st, String key, Tensor param) {
        Object v = st.get(key);
        if (v instanceof Tensor t) {
            return t;
        }
        Tensor t = zerosLike(param);
        st.put(key, t);
        return t;
    }

    /**
     * A snapshot of the optimizer state in PyTorch's structure. Tensors are copies (later steps do not change the
     * snapshot); steps are {@link Double}; hyper-parameters are {@link Double}, {@link Boolean} or {@code double[]}.
     *
     * @return a new map {@code {"state": ..., "param_groups": ...}} (PyTorch's {@code state_dict()})
     */
    public final Map<String, Object> stateDict() {
        Map<Tensor, Integer> index = new IdentityHashMap<>();
        List<Tensor> order = new ArrayList<>();
        List<Map<String, Object>> pg = new ArrayList<>();
        for (ParamGroup g : groups) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : g.options().entrySet()) {
                Object v = e.getValue();
                m.put(e.getKey(), v instanceof double[] d ? d.clone() : v);
            }
            List<Integer> ids = new ArrayList<>();
            for (Tensor p : g.params()) {
                Integer id = index.get(p);
                if (id == null) {
                    id = order.size();
                    index.put(p, id);
                    order.add(p);
                }
                ids.add(id);
            }
            m.put("params", ids);
            pg.add(m);
        }
        Map<Integer, Map<String, Object>> st = new LinkedHashMap<>();
        try (var off = Grad.disabled()) {
            for (int i = 0; i < order.size(); i++) {
                Map<String, Object> s = state.get(order.get(i));
                if (s == null) {
                    continue;
                }
                Map<String, Object> copy = new LinkedHashMap<>();
                for (Map.Entry<String, Object> e : s.entrySet()) {
                    Object v = e.getValue();
                    copy.put(e.getKey(), v instanceof Tensor t ? copyOf(t, t.dtype()) : v);
                }
                st.put(i, copy);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("state", st);
        out.put("param_groups", pg);
        return out;
    }

    private static Tensor copyOf(Tensor t, DType dtype) {
        Tensor c = Tensor.zeros(dtype, t.shape());
        c.copy_(t.detach());
        return c;
    }

    /**
     * Restores a state dict produced by {@link #stateDict()} (or decoded from a checkpoint) into this optimizer,
     * matching parameters by position. Everything is validated before anything changes, so a failed load leaves
     * the optimizer untouched. Floating state tensors are converted to the parameter's dtype; {@code step} stays a
     * number; keys of {@code state} may be integers or their decimal strings.
     *
     * @param stateDict a map with {@code "state"} (a map) and {@code "param_groups"} (a list), as from
     *                  {@link #stateDict()}; it is read, not retained
     * @throws IllegalArgumentException "loaded state dict has a different number of parameter groups", "loaded
     *                                  state dict contains a parameter group that doesn't match the size of
     *                                  optimizer's group", a state tensor whose shape differs from its
     *                                  parameter's, or invalid hyper-parameters
     */
    public final void loadStateDict(Map<String, Object> stateDict) {
        prepareLoad(stateDict).run();
    }

    /** Validates {@code stateDict} without changing anything; the returned action applies it and cannot fail. */
    final Runnable prepareLoad(Map<String, Object> stateDict) {
        Object pgNode = stateDict.get("param_groups");
        Object stNode = stateDict.get("state");
        if (!(pgNode instanceof List<?> savedGroups) || !(stNode instanceof Map<?, ?> savedState)) {
            throw new IllegalArgumentException("optimizer state dict needs \"state\" (a map) and \"param_groups\" "
                    + "(a list)");
        }
        if (savedGroups.size() != groups.size()) {
            throw new IllegalArgumentException("loaded state dict has a different number of parameter groups");
        }
        Map<Integer, Tensor> idMap = new LinkedHashMap<>();
        Map<Tensor, ParamGroup> groupOf = new IdentityHashMap<>();
        List<Map<String, Object>> newOptions = new ArrayList<>();
        for (int gi = 0; gi < groups.size(); gi++) {
            if (!(savedGroups.get(gi) instanceof Map<?, ?> sg) || !(sg.get("params") instanceof List<?> ids)) {
                throw new IllegalArgumentException("loaded state dict has a malformed parameter group " + gi);
            }
            List<Tensor> ps = groups.get(gi).params();
            if (ids.size() != ps.size()) {
                throw new IllegalArgumentException("loaded state dict contains a parameter group that doesn't match "
                        + "the size of optimizer's group");
            }
            for (int k = 0; k < ids.size(); k++) {
                int id = toIndex(ids.get(k));
                if (idMap.put(id, ps.get(k)) != null) {
                    throw new IllegalArgumentException("loaded state dict lists parameter index " + id + " twice");
                }
            }
            Map<String, Object> opts = new LinkedHashMap<>();
            ParamGroup probe = ParamGroup.of(ps);
            try {
                for (Map.Entry<?, ?> e : sg.entrySet()) {
                    String key = String.valueOf(e.getKey());
                    if (!"params".equals(key)) {
                        opts.put(key, ParamGroup.normalize(key, e.getValue()));
                    }
                }
                probe.putAll(opts);
                checkGroup(probe);
            } catch (IllegalArgumentException | IllegalStateException ex) {
                throw new IllegalArgumentException("loaded state dict has an invalid parameter group " + gi + ": "
                        + ex.getMessage(), ex);
            }
            for (Tensor p : ps) {
                groupOf.put(p, probe);
            }
            newOptions.add(opts);
        }
        Map<Tensor, Map<String, Object>> newState = new IdentityHashMap<>();
        try (var off = Grad.disabled()) {
            for (Map.Entry<?, ?> e : savedState.entrySet()) {
                int id = toIndex(e.getKey());
                Tensor p = idMap.get(id);
                if (p == null) {
                    throw new IllegalArgumentException("loaded state dict has state for parameter index " + id
                            + ", which is not in any parameter group");
                }
                if (!(e.getValue() instanceof Map<?, ?> entry)) {
                    throw new IllegalArgumentException("loaded state of parameter " + id + " is not a map");
                }
                Map<String, Object> own = loadState(id, p, entry);
                if (own != null) {
                    newState.put(p, own);
                    continue;
                }
                Map<String, Object> s = new LinkedHashMap<>();
                if (!entry.isEmpty()) {
                    for (String key : requiredStateKeys(groupOf.get(p))) {
                        if (!entry.containsKey(key) || entry.get(key) == null) {
                            throw new IllegalArgumentException("loaded state of parameter " + id + " is missing '"
                                    + key + "'");
                        }
                    }
                }
                Set<String> tensorKeys = stateTensorKeys();
                for (Map.Entry<?, ?> kv : entry.entrySet()) {
                    String key = String.valueOf(kv.getKey());
                    Object v = kv.getValue();
                    if ("step".equals(key)) {
                        s.put(key, stepCount(id, v));
                    } else if (v == null && tensorKeys.contains(key)) {
                        continue; // PyTorch's momentum_buffer=None: no buffer yet
                    } else if (tensorKeys.contains(key) && !(v instanceof Tensor)) {
                        throw new IllegalArgumentException("loaded state '" + key + "' of parameter " + id
                                + " must be a tensor, got " + show(v));
                    } else if (v instanceof Tensor t) {
                        if (!java.util.Arrays.equals(t.shape(), p.shape())) {
                            throw new IllegalArgumentException("loaded state '" + key + "' of parameter " + id
                                    + " has shape " + java.util.Arrays.toString(t.shape())
                                    + " but the parameter has shape " + java.util.Arrays.toString(p.shape()));
                        }
                        s.put(key, copyOf(t, p.dtype()));
                    } else {
                        s.put(key, v instanceof Number n ? n.doubleValue() : v);
                    }
                }
                newState.put(p, s);
            }
        }
        return () -> {
            state.clear();
            state.putAll(newState);
            for (int gi = 0; gi < groups.size(); gi++) {
                groups.get(gi).putAll(newOptions.get(gi));
            }
        };
    }

    private static int toIndex(Object o) {
        int id;
        if (o instanceof Number n) {
            double d = n.doubleValue();
            if (d != Math.rint(d) || d < 0 || d > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("loaded state dict has an invalid parameter index: " + o);
            }
            return (int) d;
        }
        try {
            id = Integer.parseInt(String.valueOf(o));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("loaded state dict has a non-integer parameter index: " + o);
        }
        if (id < 0) {
            throw new IllegalArgumentException("loaded state dict has an invalid parameter index: " + o);
        }
        return id;
    }

    /**
     * A loaded {@code step}: a non-negative integer count (a number or a one-element tensor), as a double. A
     * negative, fractional or non-finite step would make the next bias correction divide by zero or go negative
     * (e.g. {@code step = -1} turns every Adam parameter NaN).
     */
    private static double stepCount(int id, Object v) {
        if (v instanceof Tensor t) {
            if (t.numel() != 1) {
                throw new IllegalArgumentException("loaded state 'step' of parameter " + id
                        + " must be a one-element tensor, got shape " + java.util.Arrays.toString(t.shape()));
            }
            v = t.item();
        }
        if (!(v instanceof Number n) || v instanceof Boolean) {
            throw new IllegalArgumentException("loaded state 'step' of parameter " + id
                    + " must be a non-negative integer, got " + show(v));
        }
        double d = n.doubleValue();
        if (!(d >= 0) || d != Math.rint(d) || d > 0x1p53) {
            throw new IllegalArgumentException("loaded state 'step' of parameter " + id
                    + " must be a non-negative integer, got " + repr(d));
        }
        return d;
    }

    // ------------------------------------------------------------------------------------------ validation helpers

    /** Python's {@code repr} of a float, so messages read exactly like PyTorch's ({@code 1e-05}, {@code -0.1}). */
    static String repr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        java.math.BigDecimal bd = new java.math.BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int exp = digits.length() - 1 - bd.scale();
        String sign = d < 0 ? "-" : "";
        if (exp < -4 || exp >= 16) {
            String mant = digits.length() > 1 ? digits.charAt(0) + "." + digits.substring(1) : digits;
            int a = Math.abs(exp);
            return sign + mant + "e" + (exp < 0 ? "-" : "+") + (a < 10 ? "0" : "") + a;
        }
        String plain = bd.toPlainString();
        return sign + (plain.contains(".") ? plain : plain + ".0");
    }

    /** Requires {@code 0 <= value} for the key, else {@code "Invalid <label>: <value>"}. */
    static void requireNonNegative(ParamGroup g, String key, String label) {
        double v = g.getDouble(key);
        if (!(0.0 <= v) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("Invalid " + label + ": " + repr(v));
        }
    }

    static void requireBetas(ParamGroup g) {
        double[] b = g.betas();
        if (b.length != 2) {
            throw new IllegalArgumentException("betas must have two elements, got " + b.length);
        }
        for (int i = 0; i < 2; i++) {
            if (!(0.0 <= b[i] && b[i] < 1.0)) {
                throw new IllegalArgumentException("Invalid beta parameter at index " + i + ": " + repr(b[i]));
            }
        }
    }

    /** Float32 view helpers for subclasses. */
    static boolean isFloat(Tensor t) {
        return t.dtype() == DType.FLOAT32;
    }
}
