package dev.vgrad.optim;

import dev.vgrad.core.Tensor;
import dev.vgrad.core.kernel.OptimKernels;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Adagrad (docs/SEMANTICS.md §6.6, {@code torch.optim.Adagrad}). Defaults: {@code lr=1e-2}, {@code lr_decay=0},
 * {@code weight_decay=0}, {@code initial_accumulator_value=0}, {@code eps=1e-10}, {@code maximize=false}.
 *
 * <pre>
 * t += 1;  g = maximize ? -g : g;  if λ != 0: g = g + λ·θ
 * clr = γ / (1 + (t-1)·lr_decay);  sum = sum + g²;  θ = θ - clr·g/(sqrt(sum) + eps)
 * </pre>
 * State ({@code step = 0}, {@code sum = initial_accumulator_value}) is created at construction for every
 * parameter, as in PyTorch (and for groups added later).
 */
public final class Adagrad extends Optimizer {

    /** Default hyper-parameters, set fluently. */
    public static final class Options extends OptimizerOptions<Options> {
        Options() {
            map.put("lr", 1e-2);
            map.put("lr_decay", 0.0);
            map.put("eps", 1e-10);
            map.put("weight_decay", 0.0);
            map.put("initial_accumulator_value", 0.0);
            map.put("maximize", false);
        }

        /**
         * Sets {@code lr_decay}.
         *
         * @param v the learning-rate decay in {@code clr = γ / (1 + (t-1)·lr_decay)}, {@code >= 0} (default 0)
         * @return these options
         */
        public Options lrDecay(double v) {
            return set("lr_decay", v);
        }

        /**
         * Sets {@code eps}.
         *
         * @param v eps, added to {@code sqrt(sum)} in the denominator, {@code >= 0} (default 1e-10)
         * @return these options
         */
        public Options eps(double v) {
            return set("eps", v);
        }

        /**
         * Sets {@code initial_accumulator_value}.
         *
         * @param v the starting value of every element of the state {@code sum}, {@code >= 0} (default 0)
         * @return these options
         */
        public Options initialAccumulatorValue(double v) {
            return set("initial_accumulator_value", v);
        }
    }

    /**
     * Fresh default options.
     *
     * @return new mutable options holding Adagrad's defaults
     */
    public static Options options() {
        return new Options();
    }

    /**
     * Adagrad with default hyper-parameters.
     *
     * @param params the {@link Tensor}s to optimize (one group) or a list of {@link ParamGroup}s
     */
    public Adagrad(List<?> params) {
        this(params, options());
    }

    /**
     * Adagrad with the given learning rate and other defaults.
     *
     * @param params the {@link Tensor}s to optimize (one group) or a list of {@link ParamGroup}s
     * @param lr     the learning rate γ, {@code >= 0}
     */
    public Adagrad(List<?> params, double lr) {
        this(params, options().lr(lr));
    }

    /**
     * Adagrad over tensors or {@link ParamGroup}s with the given defaults.
     *
     * @param params  the {@link Tensor}s to optimize (one group) or a list of {@link ParamGroup}s
     * @param options the defaults ({@code lr} γ, {@code lr_decay}, {@code eps}, {@code weight_decay} λ,
     *                {@code initial_accumulator_value}, {@code maximize}); groups override them per key
     * @throws IllegalArgumentException for an empty or invalid parameter list or an invalid hyper-parameter
     */
    public Adagrad(List<?> params, Options options) {
        super(params, options.map);
    }

    @Override
    protected void validateGroup(ParamGroup g) {
        requireNonNegative(g, "lr", "learning rate");
        requireNonNegative(g, "lr_decay", "lr_decay value");
        requireNonNegative(g, "weight_decay", "weight_decay value");
        requireNonNegative(g, "initial_accumulator_value", "initial_accumulator_value value");
        requireNonNegative(g, "eps", "epsilon value");
    }

    @Override
    protected void groupAdded(ParamGroup g) {
        double init = g.getDouble("initial_accumulator_value");
        for (Tensor p : g.params()) {
            Map<String, Object> st = state(p);
            st.put("step", 0.0);
            st.put("sum", Tensor.full(p.dtype(), init, p.shape()));
        }
    }

    @Override
    protected Set<String> stateTensorKeys() {
        return Set.of("sum");
    }

    @Override
    protected Set<String> requiredStateKeys(ParamGroup g) {
        return Set.of("step", "sum");
    }

    @Override
    protected void update(ParamGroup g, Tensor param, Tensor p, Tensor grad) {
        double lr = g.getDouble("lr");
        double lrDecay = g.getDouble("lr_decay");
        double eps = g.getDouble("eps");
        double wd = g.getDouble("weight_decay");
        boolean maximize = g.getBoolean("maximize");
        Map<String, Object> st = state(param);
        if (!st.containsKey("sum")) {
            st.put("sum", Tensor.full(param.dtype(), g.getDouble("initial_accumulator_value"), param.shape()));
        }
        Tensor sum = (Tensor) st.get("sum");
        double step = (st.get("step") instanceof Number n ? n.doubleValue() : 0) + 1;
        st.put("step", step);
        double clr = lr / (1 + (step - 1) * lrDecay);
        int n = p.numel();
        if (isFloat(p)) {
            OptimKernels.adagrad(p.floatStorage(), p.storageOffset(), grad.floatStorage(), grad.storageOffset(),
                    sum.floatStorage(), 0, n, (float) eps, (float) wd, (float) -clr, maximize);
        } else {
            OptimKernels.adagrad(p.doubleStorage(), p.storageOffset(), grad.doubleStorage(), grad.storageOffset(),
                    sum.doubleStorage(), 0, n, eps, wd, -clr, maximize);
        }
        sum.bumpVersion();
    }
}
