package dev.vgrad.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Fixtures;
import dev.vgrad.core.testing.Fixtures.FixtureTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Conformance with PyTorch 1.13 ({@code fixtures/optim_more.json}, tools/fixtures/optim_fixtures.py) of
 * ReduceLROnPlateau (learning rates, best, bad-epoch and cooldown counters after each {@code step(metric)}),
 * CosineAnnealingWarmRestarts ({@code step()} and fractional {@code step(epoch)}: lr, last_epoch, T_cur, T_i) and
 * LBFGS (float64 parameter trajectories, returned losses, evaluation and iteration counts, final state) with and
 * without the strong-Wolfe line search.
 */
class OptimMoreConformanceTest {
    private static final Map<String, Object> ROOT = Fixtures.load("optim_more.json");
    private static final double ATOL = 1e-15;
    private static final double RTOL = 1e-12;
    /**
     * LBFGS trajectories: float64, but dot products and the loss are summed in a different order than PyTorch's
     * BLAS, and the iteration feeds rounding back (docs/SEMANTICS.md §12: multi-step trajectories).
     */
    private static final double LBFGS_ATOL = 1e-9;
    private static final double LBFGS_RTOL = 1e-7;

    static Stream<String> plateauCases() {
        return names("ReduceLROnPlateau");
    }

    static Stream<String> warmCases() {
        return names("CosineAnnealingWarmRestarts");
    }

    static Stream<String> lbfgsCases() {
        return names("LBFGS");
    }

    private static Stream<String> names(String op) {
        return Fixtures.cases(ROOT).stream().filter(c -> op.equals(c.get("op"))).map(c -> (String) c.get("name"));
    }

    static Optimizer sgd(List<Object> lrs) {
        List<Object> groups = new ArrayList<>();
        for (Object lr : lrs) {
            groups.add(ParamGroup.of(Tensor.zeros(DType.FLOAT64, 2).requiresGrad(true)).lr(((Number) lr).doubleValue()));
        }
        return new SGD(groups, ((Number) lrs.get(0)).doubleValue());
    }

    private static void stepOptimizer(Optimizer opt) {
        for (Tensor p : opt.params()) {
            p.setGrad(p.zerosLike());
        }
        opt.step();
    }

    @SuppressWarnings("unchecked")
    static ReduceLROnPlateau.Options plateauOptions(Map<String, Object> a) {
        ReduceLROnPlateau.Options o = ReduceLROnPlateau.options();
        if (a.containsKey("mode")) {
            o.mode((String) a.get("mode"));
        }
        if (a.containsKey("factor")) {
            o.factor(Fixtures.number(a.get("factor")));
        }
        if (a.containsKey("patience")) {
            o.patience((int) Fixtures.number(a.get("patience")));
        }
        if (a.containsKey("threshold")) {
            o.threshold(Fixtures.number(a.get("threshold")));
        }
        if (a.containsKey("threshold_mode")) {
            o.thresholdMode((String) a.get("threshold_mode"));
        }
        if (a.containsKey("cooldown")) {
            o.cooldown((int) Fixtures.number(a.get("cooldown")));
        }
        if (a.get("min_lr") instanceof List<?> l) {
            o.minLrs(((List<Object>) l).stream().mapToDouble(Fixtures::number).toArray());
        } else if (a.containsKey("min_lr")) {
            o.minLr(Fixtures.number(a.get("min_lr")));
        }
        if (a.containsKey("eps")) {
            o.eps(Fixtures.number(a.get("eps")));
        }
        return o;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plateauCases")
    void plateauMatchesPyTorch(String name) {
        Map<String, Object> c = Fixtures.caseNamed(ROOT, name);
        Optimizer opt = sgd(Fixtures.list(c, "base_lrs"));
        ReduceLROnPlateau s = new ReduceLROnPlateau(opt, plateauOptions(Fixtures.map(c, "args")));
        List<Object> lr = Fixtures.list(c, "lr");
        List<Object> metrics = Fixtures.list(c, "metrics");
        check(name + " initial", lr.get(0), s.getLastLr());
        for (int e = 0; e < metrics.size(); e++) {
            stepOptimizer(opt);
            s.step(Fixtures.number(metrics.get(e)));
            check(name + " step " + (e + 1), lr.get(e + 1), s.getLastLr());
            assertEquals(Fixtures.number(Fixtures.list(c, "best").get(e)), s.best(), name + " best " + (e + 1));
            assertEquals((int) Fixtures.number(Fixtures.list(c, "num_bad_epochs").get(e)), s.numBadEpochs(),
                    name + " num_bad_epochs " + (e + 1));
            assertEquals((int) Fixtures.number(Fixtures.list(c, "cooldown_counter").get(e)), s.cooldownCounter(),
                    name + " cooldown_counter " + (e + 1));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("warmCases")
    void warmRestartsMatchPyTorch(String name) {
        Map<String, Object> c = Fixtures.caseNamed(ROOT, name);
        Map<String, Object> a = Fixtures.map(c, "args");
        Optimizer opt = sgd(Fixtures.list(c, "base_lrs"));
        CosineAnnealingWarmRestarts s = new CosineAnnealingWarmRestarts(opt, (int) Fixtures.number(a.get("T_0")),
                (int) Fixtures.number(a.get("T_mult")), Fixtures.number(a.get("eta_min")));
        List<Object> lr = Fixtures.list(c, "lr");
        List<Object> epochs = Fixtures.list(c, "epochs");
        for (int e = 0; e <= epochs.size(); e++) {
            if (e > 0) {
                stepOptimizer(opt);
                Object ep = epochs.get(e - 1);
                if ("step".equals(ep)) {
                    s.step();
                } else {
                    s.step(Fixtures.number(ep));
                }
            }
            String what = name + " #" + e;
            check(what + " lr", lr.get(e), s.getLastLr());
            assertEquals((int) Fixtures.number(Fixtures.list(c, "last_epoch").get(e)), s.lastEpoch(), what);
            assertEquals((int) Fixtures.number(Fixtures.list(c, "T_i").get(e)), s.tI(), what);
            double tCur = Fixtures.number(Fixtures.list(c, "T_cur").get(e));
            assertEquals(tCur, s.tCur(), 1e-12 * (1 + Math.abs(tCur)), what + " T_cur");
        }
    }

    /** The fixture's problem as a loss of the parameters. */
    static Function<List<Tensor>, Tensor> problem(Map<String, Object> c) {
        if ("rosenbrock".equals(c.get("problem"))) {
            return ps -> rosenbrock(ps.get(0));
        }
        Map<String, Object> in = Fixtures.map(c, "inputs");
        Tensor a = tensor(Fixtures.tensor(in, "A"));
        Tensor b = tensor(Fixtures.tensor(in, "b"));
        return ps -> {
            Tensor r = a.matmul(ps.get(0).reshape(-1, 1)).reshape(-1).add(ps.get(1)).sub(b);
            return r.mul(r).sum();
        };
    }

    static Tensor rosenbrock(Tensor p) {
        Tensor x = p.narrow(0, 0, 1);
        Tensor y = p.narrow(0, 1, 1);
        Tensor u = x.neg().add(1);
        Tensor v = y.sub(x.mul(x));
        return u.mul(u).add(v.mul(v).mul(100)).sum();
    }

    static Tensor tensor(FixtureTensor f) {
        return Tensor.of(f.data(), f.shape());
    }

    static LBFGS.Options lbfgsOptions(Map<String, Object> a) {
        LBFGS.Options o = LBFGS.options().lr(Fixtures.number(a.get("lr")));
        if (a.containsKey("max_iter")) {
            o.maxIter((int) Fixtures.number(a.get("max_iter")));
        }
        if (a.containsKey("max_eval")) {
            o.maxEval((int) Fixtures.number(a.get("max_eval")));
        }
        if (a.containsKey("history_size")) {
            o.historySize((int) Fixtures.number(a.get("history_size")));
        }
        return o.lineSearchFn((String) a.get("line_search_fn"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lbfgsCases")
    void lbfgsMatchesPyTorch(String name) {
        Map<String, Object> c = Fixtures.caseNamed(ROOT, name);
        List<Tensor> ps = new ArrayList<>();
        for (Object init : Fixtures.list(c, "init")) {
            ps.add(tensor(Fixtures.tensor(init)).requiresGrad(true));
        }
        LBFGS opt = new LBFGS(ps, lbfgsOptions(Fixtures.map(c, "args")));
        Function<List<Tensor>, Tensor> f = problem(c);
        List<Object> traj = Fixtures.list(c, "params");
        for (int k = 0; k < traj.size(); k++) {
            Tensor loss = opt.step(() -> {
                opt.zeroGrad();
                Tensor l = f.apply(ps);
                l.backward();
                return l;
            });
            String what = name + " step " + (k + 1);
            double expLoss = Fixtures.number(Fixtures.list(c, "losses").get(k));
            Fixtures.assertClose(new double[] {expLoss}, new double[] {loss.item()}, LBFGS_ATOL, LBFGS_RTOL,
                    what + " loss");
            @SuppressWarnings("unchecked")
            List<Object> expParams = (List<Object>) traj.get(k);
            for (int i = 0; i < ps.size(); i++) {
                Fixtures.assertClose(Fixtures.tensor(expParams.get(i)).data(), ps.get(i).toDoubleArray(), LBFGS_ATOL,
                        LBFGS_RTOL, what + " param " + i);
            }
            Map<String, Object> st = opt.getState(ps.get(0));
            assertEquals(Fixtures.number(Fixtures.list(c, "func_evals").get(k)), (Double) st.get("func_evals"), what);
            assertEquals(Fixtures.number(Fixtures.list(c, "n_iter").get(k)), (Double) st.get("n_iter"), what);
        }
        Map<String, Object> fin = Fixtures.map(c, "final_state");
        Map<String, Object> st = opt.getState(ps.get(0));
        Fixtures.assertClose(Fixtures.tensor(fin, "d").data(), ((Tensor) st.get("d")).toDoubleArray(), LBFGS_ATOL,
                LBFGS_RTOL, name + " d");
        Fixtures.assertClose(Fixtures.tensor(fin, "prev_flat_grad").data(),
                ((Tensor) st.get("prev_flat_grad")).toDoubleArray(), LBFGS_ATOL, LBFGS_RTOL, name + " prev_flat_grad");
        Fixtures.assertClose(new double[] {Fixtures.number(fin.get("H_diag")), Fixtures.number(fin.get("prev_loss"))},
                new double[] {(Double) st.get("H_diag"), (Double) st.get("prev_loss")}, LBFGS_ATOL, LBFGS_RTOL,
                name + " H_diag, prev_loss");
        List<Object> ro = Fixtures.list(fin, "ro");
        assertEquals(ro.size(), ((List<?>) st.get("ro")).size(), name + " history length");
    }

    @SuppressWarnings("unchecked")
    private static void check(String what, Object expected, double[] actual) {
        List<Object> e = (List<Object>) expected;
        double[] ed = new double[e.size()];
        for (int i = 0; i < ed.length; i++) {
            ed[i] = Fixtures.number(e.get(i));
        }
        Fixtures.assertClose(ed, actual, ATOL, RTOL, what);
    }
}
