package dev.vgrad.optim;

import dev.vgrad.core.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parameter group: an ordered list of parameters with its own hyper-parameters, as the dicts of
 * {@code torch.optim.Optimizer.param_groups}. Keys use PyTorch's names ({@code "lr"}, {@code "momentum"},
 * {@code "betas"}, {@code "weight_decay"}, …); schedulers add keys such as {@code "initial_lr"}. Values are
 * {@link Double}, {@link Boolean} or {@code double[]} (for {@code "betas"}).
 *
 * <p>Build one with {@link #of(List)} and override only what differs from the optimizer's defaults:
 * <pre>{@code
 * var opt = new AdamW(List.of(
 *         ParamGroup.of(weights),
 *         ParamGroup.of(biasesAndNorms).weightDecay(0.0)),
 *     AdamW.options().lr(1e-3));
 * }</pre>
 * Keys not set are filled from the optimizer's defaults when the group is added.
 */
public final class ParamGroup {
    private final List<Tensor> params;
    private final Map<String, Object> options = new LinkedHashMap<>();

    private ParamGroup(List<Tensor> params) {
        this.params = Collections.unmodifiableList(new ArrayList<>(params));
    }

    /**
     * A group over {@code params} (in order) with no hyper-parameters set yet.
     *
     * @param params the parameters of the group (copied; the list may be changed afterwards)
     * @return a new group without hyper-parameters (they are filled from the optimizer's defaults when added)
     * @throws IllegalArgumentException when {@code params} is null or holds a non-tensor (PyTorch's messages)
     */
    public static ParamGroup of(List<Tensor> params) {
        if (params == null) {
            throw new IllegalArgumentException("params argument given to the optimizer should be an iterable of "
                    + "Tensors or dicts, but got null");
        }
        for (Object o : params) {
            if (!(o instanceof Tensor)) {
                throw new IllegalArgumentException("optimizer can only optimize Tensors, but one of the params is "
                        + (o == null ? "null" : o.getClass().getName()));
            }
        }
        return new ParamGroup(params);
    }

    /**
     * A group over the given tensors.
     *
     * @param params the parameters of the group, in order
     * @return a new group without hyper-parameters
     */
    public static ParamGroup of(Tensor... params) {
        return of(List.of(params));
    }

    /**
     * The parameters of this group (PyTorch's {@code group["params"]}).
     *
     * @return the unmodifiable list of parameters, in order (the live tensors)
     */
    public List<Tensor> params() {
        return params;
    }

    /**
     * Sets a hyper-parameter (numbers are stored as {@link Double}, {@code betas} as {@code double[2]}). The
     * value is validated when the group is added to an optimizer, not here.
     *
     * @param key   PyTorch's key name, e.g. {@code "lr"} or {@code "weight_decay"}; not {@code "params"}
     * @param value a {@link Number}, {@link Boolean}, {@link String}, {@code double[]}, {@code float[]} or a
     *              {@link List} of numbers
     * @return this group
     * @throws IllegalArgumentException for the key {@code "params"} or an unsupported value type
     */
    public ParamGroup set(String key, Object value) {
        if ("params".equals(key)) {
            throw new IllegalArgumentException("params of a parameter group are fixed at construction");
        }
        options.put(key, normalize(key, value));
        return this;
    }

    /**
     * Whether the key is set in this group.
     *
     * @param key PyTorch's key name
     * @return true when the key is set (defaults count once the group was added to an optimizer)
     */
    public boolean has(String key) {
        return options.containsKey(key);
    }

    /**
     * The value for {@code key} ({@code double[]} values are copied), or null.
     *
     * @param key PyTorch's key name
     * @return a {@link Double}, {@link Boolean}, {@link String} or a copy of a {@code double[]}; null when unset
     */
    public Object get(String key) {
        Object v = options.get(key);
        return v instanceof double[] d ? d.clone() : v;
    }

    /**
     * A numeric hyper-parameter.
     *
     * @param key PyTorch's key name, e.g. {@code "lr"}
     * @return the value
     * @throws IllegalStateException when the key is unset or not a number
     */
    public double getDouble(String key) {
        Object v = options.get(key);
        if (!(v instanceof Number n)) {
            throw new IllegalStateException("parameter group has no numeric value for " + key + ": " + v);
        }
        return n.doubleValue();
    }

    /**
     * A boolean hyper-parameter.
     *
     * @param key PyTorch's key name, e.g. {@code "nesterov"}
     * @return the value
     * @throws IllegalStateException when the key is unset or not a boolean
     */
    public boolean getBoolean(String key) {
        Object v = options.get(key);
        if (!(v instanceof Boolean b)) {
            throw new IllegalStateException("parameter group has no boolean value for " + key + ": " + v);
        }
        return b;
    }

    /**
     * The hyper-parameters in insertion order.
     *
     * @return an unmodifiable view of the live map ({@code double[]} values are the live arrays: do not change them)
     */
    public Map<String, Object> options() {
        return Collections.unmodifiableMap(options);
    }

    /**
     * The learning rate.
     *
     * @return the group's {@code lr}
     * @throws IllegalStateException when {@code lr} is unset
     */
    public double lr() {
        return getDouble("lr");
    }

    /**
     * Sets {@code lr}.
     *
     * @param lr the learning rate, {@code >= 0} (checked when the group is added)
     * @return this group
     */
    public ParamGroup lr(double lr) {
        return set("lr", lr);
    }

    /**
     * Sets {@code weight_decay}.
     *
     * @param wd the weight decay (L2 penalty, or decoupled for {@link AdamW}), {@code >= 0}
     * @return this group
     */
    public ParamGroup weightDecay(double wd) {
        return set("weight_decay", wd);
    }

    /**
     * Sets {@code momentum}.
     *
     * @param momentum the momentum factor, {@code >= 0}
     * @return this group
     */
    public ParamGroup momentum(double momentum) {
        return set("momentum", momentum);
    }

    /**
     * Sets {@code betas}.
     *
     * @param beta1 decay rate of the first-moment average, in {@code [0, 1)}
     * @param beta2 decay rate of the second-moment average, in {@code [0, 1)}
     * @return this group
     */
    public ParamGroup betas(double beta1, double beta2) {
        return set("betas", new double[] {beta1, beta2});
    }

    /**
     * Sets {@code eps}.
     *
     * @param eps the term added to the denominator for numerical stability, {@code >= 0}
     * @return this group
     */
    public ParamGroup eps(double eps) {
        return set("eps", eps);
    }

    /**
     * The group's {@code betas}.
     *
     * @return a new array {@code {beta1, beta2}}
     * @throws IllegalStateException when {@code betas} is unset
     */
    public double[] betas() {
        Object v = options.get("betas");
        if (!(v instanceof double[] d)) {
            throw new IllegalStateException("parameter group has no betas");
        }
        return d.clone();
    }

    void putAll(Map<String, Object> values) {
        options.clear();
        for (Map.Entry<String, Object> e : values.entrySet()) {
            if (!"params".equals(e.getKey())) {
                options.put(e.getKey(), normalize(e.getKey(), e.getValue()));
            }
        }
    }

    void putIfAbsent(String key, Object value) {
        if (!options.containsKey(key)) {
            options.put(key, normalize(key, value));
        }
    }

    /** Converts numbers to Double and number lists/arrays to double[]. */
    static Object normalize(String key, Object value) {
        if (value instanceof Number n && !(value instanceof Double)) {
            return n.doubleValue();
        }
        if (value instanceof double[] d) {
            return d.clone();
        }
        if (value instanceof float[] f) {
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                d[i] = f[i];
            }
            return d;
        }
        if (value instanceof List<?> l) {
            double[] d = new double[l.size()];
            for (int i = 0; i < d.length; i++) {
                if (!(l.get(i) instanceof Number n)) {
                    throw new IllegalArgumentException("hyper-parameter " + key + " must be a list of numbers: "
                            + value);
                }
                d[i] = n.doubleValue();
            }
            return d;
        }
        if (value == null || value instanceof Double || value instanceof Boolean || value instanceof String) {
            return value;
        }
        throw new IllegalArgumentException("unsupported hyper-parameter value for " + key + ": "
                + value.getClass().getName());
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("ParamGroup{params=").append(params.size());
        for (Map.Entry<String, Object> e : options.entrySet()) {
            sb.append(", ").append(e.getKey()).append('=');
            Object v = e.getValue();
            sb.append(v instanceof double[] d ? java.util.Arrays.toString(d) : String.valueOf(v));
        }
        return sb.append('}').toString();
    }
}
