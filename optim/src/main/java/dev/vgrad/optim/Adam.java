package dev.vgrad.optim;

import dev.vgrad.core.Tensor;
import dev.vgrad.core.kernel.OptimKernels;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Adam (docs/SEMANTICS.md §6.3, {@code torch.optim.Adam}) with coupled L2 weight decay, AMSGrad and maximization.
 * Defaults: {@code lr=1e-3}, {@code betas=(0.9, 0.999)}, {@code eps=1e-8}, {@code weight_decay=0},
 * {@code amsgrad=false}, {@code maximize=false}.
 *
 * <pre>
 * t += 1;  g = maximize ? -g : g;  if λ != 0: g = g + λ·θ
 * m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;  u = amsgrad ? (v_max = max(v_max, v)) : v
 * θ = θ - (γ/(1-β1^t)) · m / (sqrt(u)/sqrt(1-β2^t) + eps)
 * </pre>
 * State per parameter: {@code step} (a number), {@code exp_avg}, {@code exp_avg_sq} and, with amsgrad,
 * {@code max_exp_avg_sq}.
 */
public class Adam extends Optimizer {
    private final boolean decoupled;

    /** Default hyper-parameters, set fluently. */
    public static final class Options extends OptimizerOptions<Options> {
        Options(double weightDecay) {
            map.put("lr", 1e-3);
            map.put("betas", new double[] {0.9, 0.999});
            map.put("eps", 1e-8);
            map.put("weight_decay", weightDecay);
            map.put("amsgrad", false);
            map.put("maximize", false);
        }

        /**
         * Sets {@code betas}, the decay rates of the moment averages.
         *
         * @param beta1 β1, decay of the first moment {@code m}, in {@code [0, 1)} (default 0.9)
         * @param beta2 β2, decay of the second moment {@code v}, in {@code [0, 1)} (default 0.999)
         * @return these options
         */
        public Options betas(double beta1, double beta2) {
            return set("betas", new double[] {beta1, beta2});
        }

        /**
         * Sets {@code eps}, the term added to the bias-corrected {@code sqrt(v)} in the denominator.
         *
         * @param v eps, {@code >= 0} (default 1e-8)
         * @return these options
         */
        public Options eps(double v) {
            return set("eps", v);
        }

        /**
         * Sets {@code amsgrad}: divide by the running maximum {@code v_max} of {@code v} instead of {@code v}.
         *
         * @param v true to use AMSGrad (default false)
         * @return these options
         */
        public Options amsgrad(boolean v) {
            return set("amsgrad", v);
        }
    }

    /**
     * Fresh default options ({@code weight_decay=0}).
     *
     * @return new mutable options holding Adam's defaults
     */
    public static Options options() {
        return new Options(0.0);
    }

    /**
     * Adam with default hyper-parameters.
     *
     * @param params the {@link Tensor}s to optimize (one group) or a list of {@link ParamGroup}s
     */
    public Adam(List<?> params) {
        this(params, options());
    }

    /**
     * Adam with the given learning rate and other defaults.
     *
     * @param params the {@link Tensor}s to optimize (one group) or a list of {@link ParamGroup}s
     * @param lr     the learning rate γ, {@code >= 0}
     */
    public Adam(List<?> params, double lr) {
        this(params, options().lr(lr));
    }

    /**
     * Adam over tensors or {@link ParamGroup}s with the given defaults.
     *
     * @param params  the {@link Tensor}s to optimize (one group) or a list of {@link ParamGroup}s
     * @param options the defaults ({@code lr} γ, {@code betas} (β1, β2), {@code eps}, {@code weight_decay} λ,
     *                {@code amsgrad}, {@code maximize}); groups override them per key
     * @throws IllegalArgumentException for an empty or invalid parameter list or an invalid hyper-parameter
     *                                  (e.g. {@code "Invalid beta parameter at index 0: 1.0"})
     */
    public Adam(List<?> params, Options options) {
        this(params, options, false);
    }

    Adam(List<?> params, Options options, boolean decoupled) {
        super(params, options.map);
        this.decoupled = decoupled;
    }

    @Override
    protected void validateGroup(ParamGroup g) {
        requireNonNegative(g, "lr", "learning rate");
        requireNonNegative(g, "eps", "epsilon value");
        requireBetas(g);
        requireNonNegative(g, "weight_decay", "weight_decay value");
    }

    @Override
    protected Set<String> stateTensorKeys() {
        return Set.of("exp_avg", "exp_avg_sq", "max_exp_avg_sq");
    }

    @Override
    protected Set<String> requiredStateKeys(ParamGroup g) {
        return g.getBoolean("amsgrad") ? Set.of("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
                : Set.of("step", "exp_avg", "exp_avg_sq");
    }

    @Override
    protected void update(ParamGroup g, Tensor param, Tensor p, Tensor grad) {
        double lr = g.getDouble("lr");
        double[] betas = g.betas();
        double beta1 = betas[0];
        double beta2 = betas[1];
        double eps = g.getDouble("eps");
        double wd = g.getDouble("weight_decay");
        boolean amsgrad = g.getBoolean("amsgrad");
        boolean maximize = g.getBoolean("maximize");

        Map<String, Object> st = state(param);
        if (!st.containsKey("step")) {
            st.put("step", 0.0);
        }
        Tensor m = buffer(st, "exp_avg", param);
        Tensor v = buffer(st, "exp_avg_sq", param);
        Tensor vmax = amsgrad ? buffer(st, "max_exp_avg_sq", param) : null;
        double step = ((Number) st.get("step")).doubleValue() + 1;
        st.put("step", step);

        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        double stepSize = lr / bc1;
        double bc2Sqrt = Math.sqrt(bc2);
        double coupledWd = decoupled ? 0 : wd;
        double decay = decoupled ? 1 - lr * wd : 1;
        int n = p.numel();
        if (isFloat(p)) {
            OptimKernels.adam(p.floatStorage(), p.storageOffset(), grad.floatStorage(), grad.storageOffset(),
                    m.floatStorage(), 0, v.floatStorage(), 0, vmax == null ? null : vmax.floatStorage(), 0, n,
                    (float) beta1, (float) (1 - beta1), (float) beta2, (float) (1 - beta2), (float) coupledWd,
                    (float) decay, (float) bc2Sqrt, (float) eps, (float) -stepSize, maximize);
        } else {
            OptimKernels.adam(p.doubleStorage(), p.storageOffset(), grad.doubleStorage(), grad.storageOffset(),
                    m.doubleStorage(), 0, v.doubleStorage(), 0, vmax == null ? null : vmax.doubleStorage(), 0, n,
                    beta1, 1 - beta1, beta2, 1 - beta2, coupledWd, decay, bc2Sqrt, eps, -stepSize, maximize);
        }
        m.bumpVersion();
        v.bumpVersion();
        if (vmax != null) {
            vmax.bumpVersion();
        }
    }
}
