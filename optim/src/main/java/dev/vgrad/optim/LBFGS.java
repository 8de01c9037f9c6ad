package dev.vgrad.optim;

import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Limited-memory BFGS, after {@code torch.optim.LBFGS} (docs/SEMANTICS.md §20.7). Each {@link #step(Supplier)}
 * runs up to {@code max_iter} quasi-Newton iterations on all parameters seen as one flat vector: the direction
 * {@code d = −H·g} comes from the two-loop recursion over the last {@code history_size} pairs
 * {@code (s, y) = (t·d, g − g_prev)} (a pair is kept only when {@code y·s > 1e-10}) with {@code H₀ = (y·s)/(y·y)};
 * the first step length is {@code min(1, 1/‖g‖₁)·lr}, later ones {@code lr}, or a strong-Wolfe line search
 * ({@code c₁ = 1e-4}, {@code c₂ = 0.9}, at most 25 evaluations, cubic interpolation) when {@code line_search_fn}
 * is {@code "strong_wolfe"}. It stops when {@code max|g| ≤ tolerance_grad}, when {@code g·d > −tolerance_change},
 * when a step or the change in loss falls below {@code tolerance_change}, or after {@code max_eval} evaluations.
 *
 * <p>The closure must zero the gradients, recompute the loss, call {@code backward()} and return the loss; it is
 * called several times per step, with grad mode enabled. Only one parameter group is supported. The arithmetic
 * runs in float64; the state (on the first parameter, as in PyTorch: {@code func_evals}, {@code n_iter},
 * {@code d}, {@code t}, {@code old_dirs}, {@code old_stps}, {@code ro}, {@code H_diag}, {@code prev_flat_grad},
 * {@code prev_loss}) keeps its vectors as flat tensors of the parameters' dtype — the histories {@code old_dirs}
 * and {@code old_stps} as one {@code [m, numel]} tensor each, where PyTorch keeps a list, so that a
 * {@link Checkpoint} can store them — and is never modified in place, so a state-dict round trip continues
 * bit-identically.
 */
public final class LBFGS extends Optimizer {
    private static final Set<String> KEYS = Set.of("func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro",
            "H_diag", "prev_flat_grad", "prev_loss", "al");

    /** Defaults as in PyTorch: lr 1, max_iter 20, max_eval = max_iter·5/4, tolerances 1e-7 and 1e-9, history 100. */
    public static final class Options extends OptimizerOptions<Options> {
        Options() {
            map.put("lr", 1.0);
            map.put("max_iter", 20.0);
            map.put("tolerance_grad", 1e-7);
            map.put("tolerance_change", 1e-9);
            map.put("history_size", 100.0);
            map.put("line_search_fn", null);
        }

        /**
         * Sets {@code max_iter}.
         *
         * @param v the maximum number of quasi-Newton iterations per {@code step}, {@code >= 1} (default 20)
         * @return these options
         */
        public Options maxIter(int v) {
            return set("max_iter", (double) v);
        }

        /**
         * Sets {@code max_eval}, the evaluation budget per step (default {@code floor(max_iter·5/4)}).
         *
         * @param v the maximum number of closure evaluations per {@code step}, {@code >= 1}
         * @return these options
         */
        public Options maxEval(int v) {
            return set("max_eval", (double) v);
        }

        /**
         * Sets {@code tolerance_grad}.
         *
         * @param v stop when {@code max|g| <= tolerance_grad}, {@code >= 0} (default 1e-7)
         * @return these options
         */
        public Options toleranceGrad(double v) {
            return set("tolerance_grad", v);
        }

        /**
         * Sets {@code tolerance_change}.
         *
         * @param v stop when a step, the change in loss or {@code -g·d} falls below it, {@code >= 0} (default 1e-9)
         * @return these options
         */
        public Options toleranceChange(double v) {
            return set("tolerance_change", v);
        }

        /**
         * Sets {@code history_size}.
         *
         * @param v the number of {@code (s, y)} pairs kept for the two-loop recursion, {@code >= 1} (default 100)
         * @return these options
         */
        public Options historySize(int v) {
            return set("history_size", (double) v);
        }

        /**
         * Sets {@code line_search_fn}.
         *
         * @param v null for a fixed step length (the default) or {@code "strong_wolfe"}
         * @return these options
         */
        public Options lineSearchFn(String v) {
            return set("line_search_fn", v);
        }

        Map<String, Object> resolved() {
            Map<String, Object> m = new LinkedHashMap<>(map);
            if (m.get("max_eval") == null && m.get("max_iter") instanceof Number n) {
                m.put("max_eval", Math.floor(n.doubleValue() * 5 / 4));
            }
            Object ls = m.remove("line_search_fn");
            m.put("line_search_fn", ls);
            return m;
        }
    }

    /**
     * Fresh default options.
     *
     * @return new mutable options holding LBFGS's defaults
     */
    public static Options options() {
        return new Options();
    }

    private final List<Tensor> params;
    private final int numel;

    /**
     * LBFGS with PyTorch's defaults.
     *
     * @param params the {@link Tensor}s to optimize, as one group (LBFGS supports only one)
     */
    public LBFGS(List<?> params) {
        this(params, options());
    }

    /**
     * LBFGS with the given defaults.
     *
     * @param params  the {@link Tensor}s to optimize, or a list holding exactly one {@link ParamGroup}
     * @param options the hyper-parameters ({@code lr}, {@code max_iter}, {@code max_eval}, {@code tolerance_grad},
     *                {@code tolerance_change}, {@code history_size}, {@code line_search_fn})
     * @throws IllegalArgumentException "LBFGS doesn't support per-parameter options (parameter groups)", "only
     *                                  'strong_wolfe' is supported", an invalid hyper-parameter, or
     *                                  {@code weight_decay}/{@code maximize}, which LBFGS does not have
     */
    public LBFGS(List<?> params, Options options) {
        super(params, options.resolved());
        if (paramGroups().size() != 1) {
            throw new IllegalArgumentException("LBFGS doesn't support per-parameter options (parameter groups)");
        }
        this.params = paramGroups().get(0).params();
        long n = 0;
        for (Tensor p : this.params) {
            n += p.numel();
        }
        this.numel = Math.toIntExact(n);
    }

    @Override
    protected void validateGroup(ParamGroup g) {
        if (!paramGroups().isEmpty() && !sameParams(paramGroups().get(0).params(), g.params())) {
            throw new IllegalArgumentException("LBFGS doesn't support per-parameter options (parameter groups)");
        }
        for (String unsupported : new String[] {"weight_decay", "maximize"}) {
            // inherited setters from OptimizerOptions: LBFGS would silently ignore them, PyTorch's rejects them
            if (g.has(unsupported)) {
                throw new IllegalArgumentException("LBFGS: unexpected option '" + unsupported + "' (PyTorch's LBFGS "
                        + "has no such argument; it takes lr, max_iter, max_eval, tolerance_grad, tolerance_change, "
                        + "history_size and line_search_fn)");
            }
        }
        requireNonNegative(g, "lr", "learning rate");
        positiveInt(g, "max_iter");
        positiveInt(g, "max_eval");
        positiveInt(g, "history_size");
        requireNonNegative(g, "tolerance_grad", "tolerance_grad value");
        requireNonNegative(g, "tolerance_change", "tolerance_change value");
        Object ls = g.get("line_search_fn");
        if (ls != null && !"strong_wolfe".equals(ls)) {
            throw new IllegalArgumentException("only 'strong_wolfe' is supported");
        }
    }

    private static boolean sameParams(List<Tensor> a, List<Tensor> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i) != b.get(i)) {
                return false;
            }
        }
        return true;
    }

    private static void positiveInt(ParamGroup g, String key) {
        double v = g.getDouble(key);
        if (!(v >= 1) || v != Math.rint(v) || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("LBFGS: " + key + " must be a positive integer, got " + repr(v));
        }
    }

    /** LBFGS re-evaluates the loss: use {@link #step(Supplier)}. */
    @Override
    public void step() {
        throw new IllegalArgumentException("LBFGS.step() missing 1 required positional argument: 'closure'");
    }

    @Override
    protected void update(ParamGroup group, Tensor param, Tensor data, Tensor grad) {
        throw new IllegalStateException("LBFGS updates all parameters at once in step(closure)");
    }

    /**
     * Runs one LBFGS step (several iterations and closure calls) and returns the loss of the first evaluation.
     *
     * @throws IllegalArgumentException when {@code closure} is null
     */
    @Override
    public Tensor step(Supplier<Tensor> closure) {
        if (closure == null) {
            throw new IllegalArgumentException("LBFGS.step() missing 1 required positional argument: 'closure'");
        }
        countStep();
        ParamGroup group = paramGroups().get(0);
        double lr = group.lr();
        int maxIter = (int) group.getDouble("max_iter");
        int maxEval = (int) group.getDouble("max_eval");
        double tolGrad = group.getDouble("tolerance_grad");
        double tolChange = group.getDouble("tolerance_change");
        boolean wolfe = group.get("line_search_fn") != null;
        int historySize = (int) group.getDouble("history_size");
        Map<String, Object> st = state(params.get(0));
        double funcEvals = st.get("func_evals") instanceof Double f ? f : 0;
        double nIterTotal = st.get("n_iter") instanceof Double f ? f : 0;

        Tensor origLoss = evaluate(closure);
        double loss = origLoss.item();
        int currentEvals = 1;
        funcEvals++;
        double[] flatGrad = gatherFlatGrad();
        boolean optCond = maxAbs(flatGrad) <= tolGrad;
        if (optCond) {
            st.put("func_evals", funcEvals);
            st.put("n_iter", nIterTotal);
            return origLoss;
        }
        double[] d = vec(st.get("d"));
        double t = st.get("t") instanceof Double v ? v : 0;
        List<double[]> oldDirs = vecs(st.get("old_dirs"));
        List<double[]> oldStps = vecs(st.get("old_stps"));
        List<Double> ro = nums(st.get("ro"));
        double hDiag = st.get("H_diag") instanceof Double v ? v : 1;
        double[] prevFlatGrad = vec(st.get("prev_flat_grad"));
        double prevLoss = st.get("prev_loss") instanceof Double v ? v : 0;

        int nIter = 0;
        while (nIter < maxIter) {
            nIter++;
            nIterTotal++;
            if (nIterTotal == 1) {
                d = neg(flatGrad);
                oldDirs = new ArrayList<>();
                oldStps = new ArrayList<>();
                ro = new ArrayList<>();
                hDiag = 1;
            } else {
                double[] y = new double[numel];
                double[] s = new double[numel];
                for (int i = 0; i < numel; i++) {
                    y[i] = flatGrad[i] - prevFlatGrad[i];
                    s[i] = d[i] * t;
                }
                double ys = dot(y, s);
                if (ys > 1e-10) {
                    if (oldDirs.size() == historySize) {
                        oldDirs.remove(0);
                        oldStps.remove(0);
                        ro.remove(0);
                    }
                    oldDirs.add(y);
                    oldStps.add(s);
                    ro.add(1.0 / ys);
                    hDiag = ys / dot(y, y);
                }
                int numOld = oldDirs.size();
                double[] al = new double[numOld];
                double[] q = neg(flatGrad);
                for (int i = numOld - 1; i >= 0; i--) {
                    al[i] = dot(oldStps.get(i), q) * ro.get(i);
                    axpy(q, -al[i], oldDirs.get(i));
                }
                double[] r = new double[numel];
                for (int k = 0; k < numel; k++) {
                    r[k] = q[k] * hDiag;
                }
                for (int i = 0; i < numOld; i++) {
                    double beI = dot(oldDirs.get(i), r) * ro.get(i);
                    axpy(r, al[i] - beI, oldStps.get(i));
                }
                d = r;
            }
            prevFlatGrad = flatGrad.clone();
            prevLoss = loss;
            if (nIterTotal == 1) {
                t = Math.min(1.0, 1.0 / sumAbs(flatGrad)) * lr;
            } else {
                t = lr;
            }
            double gtd = dot(flatGrad, d);
            if (gtd > -tolChange) {
                break;
            }
            int lsEvals = 0;
            if (wolfe) {
                double[][] x0 = cloneParams();
                double[] dir = d;
                StrongWolfe.Result ls = StrongWolfe.search(
                        (tt, lossOut) -> directional(closure, x0, tt, dir, lossOut), t, d, loss, flatGrad, gtd,
                        tolChange);
                loss = ls.f();
                flatGrad = ls.g();
                t = ls.t();
                lsEvals = ls.evals();
                addGrad(t, d);
                optCond = maxAbs(flatGrad) <= tolGrad;
            } else {
                addGrad(t, d);
                if (nIter != maxIter) {
                    loss = evaluate(closure).item();
                    flatGrad = gatherFlatGrad();
                    optCond = maxAbs(flatGrad) <= tolGrad;
                    lsEvals = 1;
                }
            }
            currentEvals += lsEvals;
            funcEvals += lsEvals;
            if (nIter == maxIter || currentEvals >= maxEval || optCond) {
                break;
            }
            double stepMax = 0;
            for (double v : d) {
                stepMax = Math.max(stepMax, Math.abs(v * t));
            }
            if (stepMax <= tolChange || Math.abs(loss - prevLoss) < tolChange) {
                break;
            }
        }
        st.clear();
        st.put("func_evals", funcEvals);
        st.put("n_iter", nIterTotal);
        st.put("d", flat(d));
        st.put("t", t);
        st.put("old_dirs", rows(oldDirs));
        st.put("old_stps", rows(oldStps));
        st.put("ro", Collections.unmodifiableList(new ArrayList<>(ro)));
        st.put("H_diag", hDiag);
        st.put("prev_flat_grad", flat(prevFlatGrad));
        st.put("prev_loss", prevLoss);
        return origLoss;
    }

    // ------------------------------------------------------------------------------------------ flat vectors

    private Tensor evaluate(Supplier<Tensor> closure) {
        Tensor loss;
        try (var on = Grad.enabled()) {
            loss = closure.get();
        }
        if (loss == null) {
            throw new IllegalArgumentException("LBFGS: the closure returned null; it must return the loss");
        }
        return loss;
    }

    /** Loss and flat gradient at {@code x + t·d}; the parameters are restored to {@code x} afterwards. */
    private double[] directional(Supplier<Tensor> closure, double[][] x, double t, double[] d, double[] loss) {
        addGrad(t, d);
        loss[0] = evaluate(closure).item();
        double[] g = gatherFlatGrad();
        setParams(x);
        return g;
    }

    private double[] gatherFlatGrad() {
        double[] out = new double[numel];
        int off = 0;
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g != null) {
                double[] v = g.toDoubleArray();
                System.arraycopy(v, 0, out, off, v.length);
            }
            off += p.numel();
        }
        return out;
    }

    /** {@code p += t·d} per parameter, rounding {@code t·d} to the parameter's dtype first as PyTorch's add_ does. */
    private void addGrad(double t, double[] d) {
        try (var off = Grad.disabled()) {
            int o = 0;
            for (Tensor p : params) {
                int n = p.numel();
                double[] u = new double[n];
                for (int i = 0; i < n; i++) {
                    u[i] = t * d[o + i];
                }
                p.add_(Tensor.of(u, p.shape()).to(p.dtype()));
                o += n;
            }
        }
    }

    private double[][] cloneParams() {
        double[][] x = new double[params.size()][];
        for (int i = 0; i < x.length; i++) {
            x[i] = params.get(i).detach().toDoubleArray();
        }
        return x;
    }

    private void setParams(double[][] x) {
        try (var off = Grad.disabled()) {
            for (int i = 0; i < x.length; i++) {
                Tensor p = params.get(i);
                p.copy_(Tensor.of(x[i], p.shape()).to(p.dtype()));
            }
        }
    }

    private Tensor flat(double[] v) {
        return v == null ? null : Tensor.of(v, v.length).to(params.get(0).dtype());
    }

    /** A history as one {@code [m, numel]} tensor (row i = pair i), so checkpoints can store it as a tensor. */
    private Tensor rows(List<double[]> vs) {
        double[] all = new double[vs.size() * numel];
        for (int i = 0; i < vs.size(); i++) {
            System.arraycopy(vs.get(i), 0, all, i * numel, numel);
        }
        return Tensor.of(all, vs.size(), numel).to(params.get(0).dtype());
    }

    private static double[] vec(Object o) {
        return o instanceof Tensor t ? t.toDoubleArray() : null;
    }

    private List<double[]> vecs(Object o) {
        List<double[]> out = new ArrayList<>();
        if (o instanceof Tensor t) {
            double[] all = t.toDoubleArray();
            for (int i = 0; i < t.size(0); i++) {
                out.add(java.util.Arrays.copyOfRange(all, i * numel, (i + 1) * numel));
            }
        }
        return out;
    }

    private static List<Double> nums(Object o) {
        List<Double> out = new ArrayList<>();
        if (o instanceof List<?> l) {
            for (Object e : l) {
                out.add((Double) e);
            }
        }
        return out;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static void axpy(double[] y, double a, double[] x) {
        for (int i = 0; i < y.length; i++) {
            y[i] += a * x[i];
        }
    }

    private static double[] neg(double[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = -a[i];
        }
        return r;
    }

    /** {@code max|a|}, NaN if any element is NaN (as torch's {@code abs().max()}). */
    static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) {
            if (Double.isNaN(v)) {
                return Double.NaN;
            }
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    private static double sumAbs(double[] a) {
        double s = 0;
        for (double v : a) {
            s += Math.abs(v);
        }
        return s;
    }

    // ------------------------------------------------------------------------------------------ state dicts

    /**
     * LBFGS's state lives on the first parameter: {@code func_evals} and {@code n_iter} (non-negative integers)
     * and, once an iteration ran, the flat vectors {@code d} and {@code prev_flat_grad} (one element per parameter
     * element), finite numbers {@code t}, {@code H_diag}, {@code prev_loss}, and the equally long histories
     * {@code old_dirs}, {@code old_stps} ({@code [m, numel]} tensors, or PyTorch's lists of flat vectors) and
     * {@code ro} (finite numbers), at most
     * {@code history_size} long. PyTorch's scratch list {@code al} is accepted and dropped. Anything else fails.
     */
    @Override
    protected Map<String, Object> loadState(int index, Tensor param, Map<?, ?> entry) {
        if (param != params.get(0)) {
            if (!entry.isEmpty()) {
                throw new IllegalArgumentException("LBFGS keeps its state on the first parameter, but the loaded "
                        + "state has entries for parameter " + index);
            }
            return new LinkedHashMap<>();
        }
        Map<String, Object> s = new LinkedHashMap<>();
        if (entry.isEmpty()) {
            return s;
        }
        for (Object k : entry.keySet()) {
            if (!KEYS.contains(String.valueOf(k))) {
                throw new IllegalArgumentException("loaded LBFGS state has an unknown key '" + k + "'");
            }
        }
        double nIter = count(entry, "n_iter");
        s.put("func_evals", count(entry, "func_evals"));
        s.put("n_iter", nIter);
        if (nIter == 0 && !entry.containsKey("d")) {
            return s;
        }
        try (var off = Grad.disabled()) {
            s.put("d", flatOf(entry.get("d"), "d"));
            s.put("t", number(entry.get("t"), "t"));
            Tensor dirs = history(entry.get("old_dirs"), "old_dirs");
            Tensor stps = history(entry.get("old_stps"), "old_stps");
            if (!(entry.get("ro") instanceof List<?> roList)) {
                throw new IllegalArgumentException("loaded LBFGS state needs the list 'ro'");
            }
            List<Double> ro = new ArrayList<>();
            for (Object o : roList) {
                ro.add(number(o, "ro"));
            }
            int history = (int) paramGroups().get(0).getDouble("history_size");
            if (dirs.size(0) != stps.size(0) || dirs.size(0) != ro.size() || dirs.size(0) > history) {
                throw new IllegalArgumentException("loaded LBFGS state has histories of lengths " + dirs.size(0)
                        + ", " + stps.size(0) + " and " + ro.size() + "; they must be equal and at most history_size "
                        + history);
            }
            s.put("old_dirs", dirs);
            s.put("old_stps", stps);
            s.put("ro", Collections.unmodifiableList(ro));
            s.put("H_diag", number(entry.get("H_diag"), "H_diag"));
            s.put("prev_flat_grad", flatOf(entry.get("prev_flat_grad"), "prev_flat_grad"));
            s.put("prev_loss", number(entry.get("prev_loss"), "prev_loss"));
        }
        return s;
    }

    private static double count(Map<?, ?> entry, String key) {
        Object v = entry.get(key);
        if (v instanceof Tensor t && t.numel() == 1) {
            v = t.item();
        }
        if (!(v instanceof Number n) || !(n.doubleValue() >= 0) || n.doubleValue() != Math.rint(n.doubleValue())
                || n.doubleValue() > 0x1p53) {
            throw new IllegalArgumentException("loaded LBFGS state '" + key + "' must be a non-negative integer, got "
                    + v);
        }
        return n.doubleValue();
    }

    private static double number(Object v, String key) {
        if (v instanceof Tensor t && t.numel() == 1) {
            v = t.item();
        }
        if (!(v instanceof Number n) || v instanceof Boolean || !Double.isFinite(n.doubleValue())) {
            throw new IllegalArgumentException("loaded LBFGS state '" + key + "' must be a finite number, got " + v);
        }
        return n.doubleValue();
    }

    private Tensor flatOf(Object v, String key) {
        if (!(v instanceof Tensor t) || !t.dtype().isFloatingPoint() || t.dim() != 1 || t.numel() != numel) {
            throw new IllegalArgumentException("loaded LBFGS state '" + key + "' must be a floating tensor of shape ["
                    + numel + "], got " + (v instanceof Tensor t ? t.dtype() + " " + java.util.Arrays.toString(
                    t.shape()) : String.valueOf(v)));
        }
        Tensor c = Tensor.zeros(params.get(0).dtype(), numel);
        c.copy_(t.detach());
        return c;
    }

    /** A history: our {@code [m, numel]} tensor, or PyTorch's list of flat tensors; a copy in the params' dtype. */
    private Tensor history(Object v, String key) {
        List<double[]> rowsList = new ArrayList<>();
        if (v instanceof Tensor t && t.dtype().isFloatingPoint() && t.dim() == 2 && t.size(1) == numel) {
            return rows(vecs(t));
        }
        if (!(v instanceof List<?> l)) {
            throw new IllegalArgumentException("loaded LBFGS state '" + key + "' must be a floating tensor of shape "
                    + "[m, " + numel + "] or a list of flat tensors, got " + (v instanceof Tensor t
                    ? t.dtype() + " " + java.util.Arrays.toString(t.shape()) : String.valueOf(v)));
        }
        for (Object o : l) {
            rowsList.add(flatOf(o, key).toDoubleArray());
        }
        return rows(rowsList);
    }
}
