package dev.vgrad.optim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fluent defaults behind each optimizer's {@code Options}: a map from PyTorch's hyper-parameter names
 * ({@code lr}, {@code weight_decay}, …) to values, filled with the optimizer's defaults and changed by setters that
 * return the concrete options type. The setters every optimizer shares live here; each {@code Options} adds its
 * own. Values are validated when the optimizer is built (docs/SEMANTICS.md §6.1), not here.
 *
 * @param <T> the concrete options type returned by the setters
 */
public abstract class OptimizerOptions<T extends OptimizerOptions<T>> {
    final Map<String, Object> map = new LinkedHashMap<>();

    OptimizerOptions() {}

    /** Sets {@code key} and returns these options. */
    @SuppressWarnings("unchecked")
    final T set(String key, Object value) {
        map.put(key, value);
        return (T) this;
    }

    /**
     * Learning rate ({@code lr}, the step size γ of the update equations).
     *
     * @param v the learning rate, {@code >= 0} (checked when the optimizer is built)
     * @return these options
     */
    public T lr(double v) {
        return set("lr", v);
    }

    /**
     * Weight decay ({@code weight_decay}, λ in the update equations): L2 penalty, or decoupled decay for AdamW.
     *
     * @param v the weight decay λ, {@code >= 0}
     * @return these options
     */
    public T weightDecay(double v) {
        return set("weight_decay", v);
    }

    /**
     * Maximise the objective instead of minimising it ({@code maximize}: the gradient's sign is flipped).
     *
     * @param v true to maximise, false (the default) to minimise
     * @return these options
     */
    public T maximize(boolean v) {
        return set("maximize", v);
    }
}
