package dev.vgrad.optim;

import dev.vgrad.core.Tensor;
import dev.vgrad.core.kernel.OptimKernels;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum, L2 weight decay and
 * maximization (docs/SEMANTICS.md §6.2, {@code torch.optim.SGD}). Defaults: {@code lr=1e-3} (PyTorch 2.x),
 * {@code momentum=0}, {@code dampening=0}, {@code weight_decay=0}, {@code nesterov=false}, {@code maximize=false}.
 *
 * <pre>
 * g = maximize ? -g : g;  if λ != 0: g = g + λ·θ
 * if μ != 0:  b = (first step) ? g : μ·b + (1-τ)·g;  g = nesterov ? g + μ·b : b
 * θ = θ - γ·g
 * </pre>
 * State per parameter: {@code momentum_buffer}, only when {@code momentum != 0} (PyTorch 2.x: no state otherwise).
 */
public final class SGD extends Optimizer {

    /** Default hyper-parameters, set fluently. */
    public static final class Options extends OptimizerOptions<Options> {
        Options() {
            map.put("lr", 1e-3);
            map.put("momentum", 0.0);
            map.put("dampening", 0.0);
            map.put("weight_decay", 0.0);
            map.put("nesterov", false);
            map.put("maximize", false);
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
         * Sets {@code dampening}.
         *
         * @param v the dampening τ of the momentum buffer update {@code b = μ·b + (1-τ)·g}, finite (default 0)
         * @return these options
         */
        public Options dampening(double v) {
            return set("dampening", v);
        }

        /**
         * Sets {@code nesterov}.
         *
         * @param v true for Nesterov momentum {@code g + μ·b} (needs {@code momentum > 0} and zero dampening)
         * @return these options
         */
        public Options nesterov(boolean v) {
            return set("nesterov", v);
        }
    }

    /**
     * Fresh default options.
     *
     * @return new mutable options holding SGD's defaults
     */
    public static Options options() {
        return new Options();
    }

    /**
     * SGD with the given learning rate and other defaults.
     *
     * @param params the {@link Tensor}s to optimize (one group) or a list of {@link ParamGroup}s
     * @param lr     the learning rate γ, {@code >= 0}
     */
    public SGD(List<?> params, double lr) {
        this(params, options().lr(lr));
    }

    /**
     * SGD over tensors or {@link ParamGroup}s with the given defaults.
     *
     * @param params  the {@link Tensor}s to optimize (one group) or a list of {@link ParamGroup}s
     * @param options the defaults ({@code lr} γ, {@code momentum} μ, {@code dampening} τ, {@code weight_decay} λ,
     *                {@code nesterov}, {@code maximize}); groups override them per key
     * @throws IllegalArgumentException for an empty or invalid parameter list or an invalid hyper-parameter
     *                                  (e.g. "Nesterov momentum requires a momentum and zero dampening")
     */
    public SGD(List<?> params, Options options) {
        super(params, options.map);
    }

    @Override
    protected void validateGroup(ParamGroup g) {
        requireNonNegative(g, "lr", "learning rate");
        requireNonNegative(g, "momentum", "momentum value");
        requireNonNegative(g, "weight_decay", "weight_decay value");
        if (!Double.isFinite(g.getDouble("dampening"))) {
            throw new IllegalArgumentException("Invalid dampening value: " + repr(g.getDouble("dampening")));
        }
        if (g.getBoolean("nesterov") && (g.getDouble("momentum") <= 0 || g.getDouble("dampening") != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening");
        }
    }

    @Override
    protected Set<String> stateTensorKeys() {
        return Set.of("momentum_buffer");
    }

    @Override
    protected void update(ParamGroup g, Tensor param, Tensor p, Tensor grad) {
        double lr = g.getDouble("lr");
        double wd = g.getDouble("weight_decay");
        double momentum = g.getDouble("momentum");
        double dampening = g.getDouble("dampening");
        boolean nesterov = g.getBoolean("nesterov");
        boolean maximize = g.getBoolean("maximize");
        Tensor buf = null;
        boolean first = false;
        if (momentum != 0) {
            Map<String, Object> st = state(param);
            Object b = st.get("momentum_buffer");
            if (b instanceof Tensor t) {
                buf = t;
            } else {
                buf = zerosLike(param);
                st.put("momentum_buffer", buf);
                first = true;
            }
        }
        int n = p.numel();
        if (isFloat(p)) {
            OptimKernels.sgd(p.floatStorage(), p.storageOffset(), grad.floatStorage(), grad.storageOffset(),
                    buf == null ? null : buf.floatStorage(), 0, n, (float) -lr, (float) wd, (float) momentum,
                    (float) (1 - dampening), nesterov, maximize, first);
        } else {
            OptimKernels.sgd(p.doubleStorage(), p.storageOffset(), grad.doubleStorage(), grad.storageOffset(),
                    buf == null ? null : buf.doubleStorage(), 0, n, -lr, wd, momentum, 1 - dampening, nesterov,
                    maximize, first);
        }
        if (buf != null) {
            buf.bumpVersion();
        }
    }
}
