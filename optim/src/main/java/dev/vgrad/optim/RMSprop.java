package dev.vgrad.optim;

import dev.vgrad.core.Tensor;
import dev.vgrad.core.kernel.OptimKernels;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * RMSprop (docs/SEMANTICS.md §6.5, {@code torch.optim.RMSprop}). Defaults: {@code lr=1e-2}, {@code alpha=0.99},
 * {@code eps=1e-8}, {@code weight_decay=0}, {@code momentum=0}, {@code centered=false}, {@code maximize=false}.
 *
 * <pre>
 * g = maximize ? -g : g;  if λ != 0: g = g + λ·θ
 * s = α·s + (1-α)·g²;  centered: a = α·a + (1-α)·g, avg = sqrt(s - a²) + eps;  else avg = sqrt(s) + eps
 * μ > 0: buf = μ·buf + g/avg, θ = θ - γ·buf;  else θ = θ - γ·g/avg
 * </pre>
 * State per parameter: {@code step}, {@code square_avg}, and {@code momentum_buffer} (μ > 0) / {@code grad_avg}
 * (centered).
 */
public final class RMSprop extends Optimizer {

    /** Default hyper-parameters, set fluently. */
    public static final class Options extends OptimizerOptions<Options> {
        Options() {
            map.put("lr", 1e-2);
            map.put("momentum", 0.0);
            map.put("alpha", 0.99);
            map.put("eps", 1e-8);
            map.put("centered", false);
            map.put("weight_decay", 0.0);
            map.put("maximize", false);
        }

        /**
         * Sets {@code alpha}.
         *
         * @param v the smoothing constant α of {@code s = α·s + (1-α)·g²}, {@code >= 0} (default 0.99)
         * @return these options
         */
        public Options alpha(double v) {
            return set("alpha", v);
        }

        /**
         * Sets {@code eps}.
         *
         * @param v eps, added to the root-mean-square in the denominator, {@code >= 0} (default 1e-8)
         * @return these options
         */
        public Options eps(double v) {
            return set("eps", v);
        }

        /**
         * Sets {@code momentum}.
         *
         * @param v the momentum factor μ, {@code >= 0} (default 0: no momentum buffer)
         * @return these options
         */
        public Options momentum(double v) {
            return set("momentum", v);
        }

        /**
         * Sets {@code centered}.
         *
         * @param v true to normalise by the estimated variance {@code s - a²} instead of {@code s} (default false)
         * @return these options
         */
        public Options centered(boolean v) {
            return set("centered", v);
        }
    }

    /**
     * Fresh default options.
     *
     * @return new mutable options holding RMSprop's defaults
     */
    public static Options options() {
        return new Options();
    }

    /**
     * RMSprop with default hyper-parameters.
     *
     * @param params the {@link Tensor}s to optimize (one group) or a list of {@link ParamGroup}s
     */
    public RMSprop(List<?> params) {
        this(params, options());
    }

    /**
     * RMSprop with the given learning rate and other defaults.
     *
     * @param params the {@link Tensor}s to optimize (one group) or a list of {@link ParamGroup}s
     * @param lr     the learning rate γ, {@code >= 0}
     */
    public RMSprop(List<?> params, double lr) {
        this(params, options().lr(lr));
    }

    /**
     * RMSprop over tensors or {@link ParamGroup}s with the given defaults.
     *
     * @param params  the {@link Tensor}s to optimize (one group) or a list of {@link ParamGroup}s
     * @param options the defaults ({@code lr} γ, {@code alpha} α, {@code eps}, {@code weight_decay} λ,
     *                {@code momentum} μ, {@code centered}, {@code maximize}); groups override them per key
     * @throws IllegalArgumentException for an empty or invalid parameter list or an invalid hyper-parameter
     */
    public RMSprop(List<?> params, Options options) {
        super(params, options.map);
    }

    @Override
    protected void validateGroup(ParamGroup g) {
        requireNonNegative(g, "lr", "learning rate");
        requireNonNegative(g, "eps", "epsilon value");
        requireNonNegative(g, "momentum", "momentum value");
        requireNonNegative(g, "weight_decay", "weight_decay value");
        requireNonNegative(g, "alpha", "alpha value");
    }

    @Override
    protected Set<String> stateTensorKeys() {
        return Set.of("square_avg", "momentum_buffer", "grad_avg");
    }

    @Override
    protected Set<String> requiredStateKeys(ParamGroup g) {
        Set<String> keys = new java.util.LinkedHashSet<>(List.of("step", "square_avg"));
        if (g.getDouble("momentum") > 0) {
            keys.add("momentum_buffer");
        }
        if (g.getBoolean("centered")) {
            keys.add("grad_avg");
        }
        return keys;
    }

    @Override
    protected void update(ParamGroup g, Tensor param, Tensor p, Tensor grad) {
        double lr = g.getDouble("lr");
        double alpha = g.getDouble("alpha");
        double eps = g.getDouble("eps");
        double wd = g.getDouble("weight_decay");
        double momentum = g.getDouble("momentum");
        boolean centered = g.getBoolean("centered");
        boolean maximize = g.getBoolean("maximize");

        Map<String, Object> st = state(param);
        if (!st.containsKey("step")) {
            st.put("step", 0.0);
        }
        Tensor sq = buffer(st, "square_avg", param);
        Tensor buf = momentum > 0 ? buffer(st, "momentum_buffer", param) : null;
        Tensor ga = centered ? buffer(st, "grad_avg", param) : null;
        st.put("step", ((Number) st.get("step")).doubleValue() + 1);
        int n = p.numel();
        if (isFloat(p)) {
            OptimKernels.rmsprop(p.floatStorage(), p.storageOffset(), grad.floatStorage(), grad.storageOffset(),
                    sq.floatStorage(), 0, ga == null ? null : ga.floatStorage(), 0,
                    buf == null ? null : buf.floatStorage(), 0, n, (float) alpha, (float) (1 - alpha), (float) eps,
                    (float) wd, (float) momentum, (float) -lr, maximize);
        } else {
            OptimKernels.rmsprop(p.doubleStorage(), p.storageOffset(), grad.doubleStorage(), grad.storageOffset(),
                    sq.doubleStorage(), 0, ga == null ? null : ga.doubleStorage(), 0,
                    buf == null ? null : buf.doubleStorage(), 0, n, alpha, 1 - alpha, eps, wd, momentum, -lr,
                    maximize);
        }
        sq.bumpVersion();
        if (buf != null) {
            buf.bumpVersion();
        }
        if (ga != null) {
            ga.bumpVersion();
        }
    }
}
