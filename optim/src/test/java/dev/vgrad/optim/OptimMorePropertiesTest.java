package dev.vgrad.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.SeededCases;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Laws of ReduceLROnPlateau, CosineAnnealingWarmRestarts and LBFGS over QuickTheories-drawn seeds
 * (docs/SEMANTICS.md §20.5–15.7), state-dict round trips that continue bit-identically, and the error texts.
 */
class OptimMorePropertiesTest {

    private static Optimizer sgd(double... lrs) {
        List<Object> groups = new ArrayList<>();
        for (double lr : lrs) {
            groups.add(ParamGroup.of(Tensor.zeros(DType.FLOAT64, 2).requiresGrad(true)).lr(lr));
        }
        return new SGD(groups, lrs[0]);
    }

    private static ReduceLROnPlateau.Options randomPlateau(Random r) {
        return ReduceLROnPlateau.options().mode(r.nextBoolean() ? "min" : "max")
                .factor(r.nextDouble() * 0.9).patience(r.nextInt(4)).threshold(r.nextDouble() * 0.1)
                .thresholdMode(r.nextBoolean() ? "rel" : "abs").cooldown(r.nextInt(3))
                .minLr(r.nextBoolean() ? 0 : 1e-3 * r.nextDouble()).eps(r.nextBoolean() ? 1e-8 : 1e-4);
    }

    @Test
    void plateauNeverRaisesLrAndNeverGoesBelowMinLr() {
        SeededCases.check("ReduceLROnPlateau: lr non-increasing, ≥ min_lr", 17_101L, 80, seed -> {
            Random r = new Random(seed);
            ReduceLROnPlateau.Options o = randomPlateau(r);
            double minLr = o.minLr[0];
            Optimizer opt = sgd(0.01 + r.nextDouble());
            ReduceLROnPlateau s = new ReduceLROnPlateau(opt, o);
            double prev = opt.paramGroups().get(0).lr();
            double metric = r.nextGaussian();
            for (int e = 0; e < 60; e++) {
                metric += r.nextGaussian() * (r.nextBoolean() ? 0.01 : 1);
                s.step(r.nextInt(20) == 0 ? Double.NaN : metric);
                double lr = opt.paramGroups().get(0).lr();
                assertTrue(lr <= prev, "seed " + seed + " epoch " + e + ": lr rose from " + prev + " to " + lr);
                assertTrue(lr >= minLr, "seed " + seed + " epoch " + e + ": lr " + lr + " below min_lr " + minLr);
                assertEquals(lr, s.getLastLr()[0]);
                prev = lr;
            }
        });
    }

    @Test
    void plateauStateDictRoundTripContinuesBitIdentically() {
        SeededCases.check("ReduceLROnPlateau: state-dict round trip mid-run", 17_102L, 40, seed -> {
            Random r = new Random(seed);
            ReduceLROnPlateau.Options o = randomPlateau(r);
            double lr0 = 0.01 + r.nextDouble();
            double[] metrics = new double[40];
            for (int i = 0; i < metrics.length; i++) {
                metrics[i] = (i == 0 ? 0 : metrics[i - 1]) + r.nextGaussian();
            }
            int cut = r.nextInt(metrics.length);
            Optimizer a = sgd(lr0);
            ReduceLROnPlateau sa = new ReduceLROnPlateau(a, o);
            for (int i = 0; i < cut; i++) {
                sa.step(metrics[i]);
            }
            Map<String, Object> optState = a.stateDict();
            Map<String, Object> schedState = sa.stateDict();
            Optimizer b = sgd(lr0);
            ReduceLROnPlateau sb = new ReduceLROnPlateau(b, o);
            b.loadStateDict(optState);
            sb.loadStateDict(schedState);
            assertEquals(sa.stateDict(), sb.stateDict(), "seed " + seed);
            for (int i = cut; i < metrics.length; i++) {
                sa.step(metrics[i]);
                sb.step(metrics[i]);
                assertEquals(a.paramGroups().get(0).lr(), b.paramGroups().get(0).lr(), 0.0, "seed " + seed);
            }
            assertEquals(sa.stateDict(), sb.stateDict(), "seed " + seed);
        });
    }

    @Test
    void warmRestartsArePeriodicWithPeriodT0WhenTMultIs1() {
        SeededCases.check("CosineAnnealingWarmRestarts: period T_0 for T_mult = 1", 17_103L, 60, seed -> {
            Random r = new Random(seed);
            int t0 = 1 + r.nextInt(12);
            double etaMin = r.nextBoolean() ? 0 : r.nextDouble() * 1e-3;
            Optimizer opt = sgd(0.01 + r.nextDouble());
            CosineAnnealingWarmRestarts s = new CosineAnnealingWarmRestarts(opt, t0, 1, etaMin);
            List<Double> lrs = new ArrayList<>();
            lrs.add(s.getLastLr()[0]);
            for (int e = 1; e < 4 * t0 + 3; e++) {
                s.step();
                lrs.add(s.getLastLr()[0]);
            }
            for (int e = t0; e < lrs.size(); e++) {
                assertEquals(lrs.get(e - t0), lrs.get(e), 0.0, "seed " + seed + " epoch " + e);
            }
            // fractional epochs: epoch and epoch + k·T_0 give the same lr (to the rounding of the remainder)
            double ep = r.nextDouble() * t0;
            s.step(ep);
            double first = s.getLastLr()[0];
            s.step(ep + t0 * (1 + r.nextInt(5)));
            assertEquals(first, s.getLastLr()[0], 1e-12, "seed " + seed);
            assertTrue(first >= etaMin - 1e-15 && first <= opt.paramGroups().get(0).getDouble("initial_lr") + 1e-15);
        });
    }

    @Test
    void warmRestartsStateDictRoundTripContinuesBitIdentically() {
        SeededCases.check("CosineAnnealingWarmRestarts: state-dict round trip mid-run", 17_104L, 40, seed -> {
            Random r = new Random(seed);
            int t0 = 1 + r.nextInt(5);
            int mult = 1 + r.nextInt(3);
            CosineAnnealingWarmRestarts a = new CosineAnnealingWarmRestarts(sgd(0.1, 0.02), t0, mult, 1e-4);
            CosineAnnealingWarmRestarts b = new CosineAnnealingWarmRestarts(sgd(0.1, 0.02), t0, mult, 1e-4);
            int cut = r.nextInt(20);
            for (int i = 0; i < cut; i++) {
                if (r.nextInt(4) == 0) {
                    a.step(r.nextDouble() * 30);
                } else {
                    a.step();
                }
            }
            b.optimizer().loadStateDict(a.optimizer().stateDict());
            b.loadStateDict(a.stateDict());
            for (int i = 0; i < 20; i++) {
                a.step();
                b.step();
                assertArrayEquals(a.getLastLr(), b.getLastLr(), "seed " + seed + " step " + i);
            }
            assertEquals(a.stateDict(), b.stateDict());
        });
    }

    /** A random SPD matrix {@code QᵀQ + I} (float64, n×n) and right-hand side. */
    private static Tensor[] spdProblem(long seed, int n) {
        Generator g = new Generator(seed);
        Tensor q = Tensor.randn(g, n, n).toDouble();
        Tensor a = q.t().matmul(q).add(Tensor.eye(n).toDouble());
        Tensor b = Tensor.randn(g, n, 1).toDouble();
        return new Tensor[] {a, b};
    }

    /** Solves {@code a·x = b} by Gaussian elimination with partial pivoting (the reference). */
    private static double[] solve(Tensor a, Tensor b) {
        int n = a.size(0);
        double[][] m = new double[n][n + 1];
        double[] av = a.toDoubleArray();
        double[] bv = b.toDoubleArray();
        for (int i = 0; i < n; i++) {
            System.arraycopy(av, i * n, m[i], 0, n);
            m[i][n] = bv[i];
        }
        for (int c = 0; c < n; c++) {
            int piv = c;
            for (int i = c + 1; i < n; i++) {
                if (Math.abs(m[i][c]) > Math.abs(m[piv][c])) {
                    piv = i;
                }
            }
            double[] t = m[c];
            m[c] = m[piv];
            m[piv] = t;
            for (int i = c + 1; i < n; i++) {
                double f = m[i][c] / m[c][c];
                for (int k = c; k <= n; k++) {
                    m[i][k] -= f * m[c][k];
                }
            }
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = m[i][n];
            for (int k = i + 1; k < n; k++) {
                s -= m[i][k] * x[k];
            }
            x[i] = s / m[i][i];
        }
        return x;
    }

    private static Tensor quadratic(Tensor a, Tensor b, Tensor x) {
        Tensor xc = x.reshape(-1, 1);
        return xc.t().matmul(a).matmul(xc).mul(0.5).sub(b.t().matmul(xc)).sum();
    }

    private static Tensor step(LBFGS opt, Tensor a, Tensor b, Tensor x) {
        return opt.step(() -> {
            opt.zeroGrad();
            Tensor l = quadratic(a, b, x);
            l.backward();
            return l;
        });
    }

    @Test
    void lbfgsConvergesOnRandomSpdQuadratics() {
        for (String ls : new String[] {null, "strong_wolfe"}) {
            SeededCases.check("LBFGS(" + ls + ") solves a random SPD quadratic", 17_105L, 40, seed -> {
                Random r = new Random(seed);
                int n = 2 + r.nextInt(7);
                Tensor[] ab = spdProblem(seed, n);
                Tensor x = Tensor.zeros(DType.FLOAT64, n).requiresGrad(true);
                LBFGS opt = new LBFGS(List.of(x), LBFGS.options().maxIter(50).historySize(1 + r.nextInt(10))
                        .toleranceGrad(1e-12).toleranceChange(1e-15).lineSearchFn(ls));
                for (int k = 0; k < 4; k++) {
                    step(opt, ab[0], ab[1], x);
                }
                double[] want = solve(ab[0], ab[1]);
                double[] got = x.toDoubleArray();
                for (int i = 0; i < n; i++) {
                    assertEquals(want[i], got[i], 1e-6 * (1 + Math.abs(want[i])), "seed " + seed + " n " + n
                            + " element " + i);
                }
            });
        }
    }

    @Test
    void lbfgsStateDictRoundTripContinuesBitIdentically() {
        for (String ls : new String[] {null, "strong_wolfe"}) {
            SeededCases.check("LBFGS(" + ls + ") state-dict round trip mid-run", 17_106L, 30, seed -> {
                Random r = new Random(seed);
                int n = 2 + r.nextInt(7);
                Tensor[] ab = spdProblem(seed, n);
                LBFGS.Options o = LBFGS.options().maxIter(1 + r.nextInt(4)).historySize(1 + r.nextInt(4))
                        .lr(r.nextBoolean() ? 1 : 0.3).lineSearchFn(ls);
                Tensor x = Tensor.randn(new Generator(seed + 1), n).toDouble().requiresGrad(true);
                LBFGS a = new LBFGS(List.of(x), o);
                int cut = 1 + r.nextInt(3);
                for (int k = 0; k < cut; k++) {
                    step(a, ab[0], ab[1], x);
                }
                Map<String, Object> saved = a.stateDict();
                Tensor y = x.detach().cloneTensor().requiresGrad(true);
                LBFGS b = new LBFGS(List.of(y), o);
                b.loadStateDict(saved);
                for (int k = 0; k < 3; k++) {
                    double la = step(a, ab[0], ab[1], x).item();
                    double lb = step(b, ab[0], ab[1], y).item();
                    assertEquals(la, lb, 0.0, "seed " + seed + " step " + k);
                    assertArrayEquals(x.toDoubleArray(), y.toDoubleArray(), "seed " + seed + " step " + k);
                }
                assertEquals(a.getState(x).get("func_evals"), b.getState(y).get("func_evals"));
            });
        }
    }

    @Test
    void lbfgsWorksOnSeveralFloat32Parameters() {
        Tensor[] ab = spdProblem(7, 4);
        Tensor w = Tensor.zeros(3).requiresGrad(true);
        Tensor c = Tensor.zeros(1).requiresGrad(true);
        LBFGS opt = new LBFGS(List.of(w, c), LBFGS.options().lineSearchFn("strong_wolfe"));
        Tensor af = ab[0].toFloat();
        Tensor bf = ab[1].toFloat();
        for (int k = 0; k < 5; k++) {
            opt.step(() -> {
                opt.zeroGrad();
                Tensor l = quadratic(af, bf, Tensor.cat(List.of(w, c), 0));
                l.backward();
                return l;
            });
        }
        double[] want = solve(ab[0], ab[1]);
        double[] got = Tensor.cat(List.of(w, c), 0).toDoubleArray();
        for (int i = 0; i < 4; i++) {
            assertEquals(want[i], got[i], 1e-3 * (1 + Math.abs(want[i])), "element " + i);
        }
        assertEquals(DType.FLOAT32, ((Tensor) opt.getState(w).get("d")).dtype());
        assertEquals(5, opt.stepCount(), "schedulers see LBFGS steps (call-order warning)");
    }

    @TempDir
    Path dir;

    /** A {@link Checkpoint} file mid-run (JSON and safetensors, not just the in-memory dict) resumes exactly. */
    @Test
    void checkpointFilesResumeBitIdentically() throws Exception {
        for (String ls : new String[] {null, "strong_wolfe"}) {
            Tensor[] ab = spdProblem(11, 5);
            LBFGS.Options o = LBFGS.options().maxIter(2).historySize(3).lineSearchFn(ls);
            Tensor x = Tensor.zeros(DType.FLOAT64, 5).requiresGrad(true);
            LBFGS a = new LBFGS(List.of(x), o);
            for (int k = 0; k < 2; k++) {
                step(a, ab[0], ab[1], x);
            }
            Path f = dir.resolve("lbfgs-" + ls);
            Checkpoint.save(f, null, a, null);
            Tensor y = x.detach().cloneTensor().requiresGrad(true);
            LBFGS b = new LBFGS(List.of(y), o);
            Checkpoint.load(f, null, b, null);
            for (int k = 0; k < 3; k++) {
                assertEquals(step(a, ab[0], ab[1], x).item(), step(b, ab[0], ab[1], y).item(), 0.0);
                assertArrayEquals(x.toDoubleArray(), y.toDoubleArray());
            }
        }
        Optimizer oa = sgd(0.5);
        ReduceLROnPlateau pa = new ReduceLROnPlateau(oa, ReduceLROnPlateau.options().patience(1));
        Optimizer ob = sgd(0.5);
        ReduceLROnPlateau pb = new ReduceLROnPlateau(ob, ReduceLROnPlateau.options().patience(1));
        Checkpoint.save(dir.resolve("fresh"), null, oa, pa); // best is still +inf here
        Checkpoint.load(dir.resolve("fresh"), null, ob, pb);
        double[] metrics = {3, 2, 2, 2, 2, 1, 1, 1, 1, 1};
        for (int i = 0; i < 4; i++) {
            pa.step(metrics[i]);
        }
        Checkpoint.save(dir.resolve("plateau"), null, oa, pa);
        Checkpoint.load(dir.resolve("plateau"), null, ob, pb);
        for (int i = 4; i < metrics.length; i++) {
            pa.step(metrics[i]);
            pb.step(metrics[i]);
            assertArrayEquals(pa.getLastLr(), pb.getLastLr());
        }
        assertEquals(pa.stateDict(), pb.stateDict());
    }

    @Test
    void errors() {
        Tensor p = Tensor.zeros(DType.FLOAT64, 2).requiresGrad(true);
        Tensor q = Tensor.zeros(DType.FLOAT64, 2).requiresGrad(true);
        assertEquals("LBFGS doesn't support per-parameter options (parameter groups)",
                assertThrows(IllegalArgumentException.class,
                        () -> new LBFGS(List.of(ParamGroup.of(p), ParamGroup.of(q)))).getMessage());
        LBFGS l = new LBFGS(List.of(p));
        assertEquals("LBFGS doesn't support per-parameter options (parameter groups)",
                assertThrows(IllegalArgumentException.class, () -> l.addParamGroup(ParamGroup.of(q))).getMessage());
        assertEquals(1, l.paramGroups().size());
        assertEquals(25.0, l.paramGroups().get(0).getDouble("max_eval"));
        assertThrows(IllegalArgumentException.class, l::step);
        assertEquals("only 'strong_wolfe' is supported", assertThrows(IllegalArgumentException.class,
                () -> new LBFGS(List.of(p), LBFGS.options().lineSearchFn("armijo"))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LBFGS(List.of(p), LBFGS.options().maxIter(0)));
        // PyTorch: LBFGS(params, weight_decay=0.1) -> TypeError: unexpected keyword argument; never silently ignored
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new LBFGS(List.of(p), LBFGS.options().weightDecay(0.1))).getMessage()
                .startsWith("LBFGS: unexpected option 'weight_decay'"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new LBFGS(List.of(p), LBFGS.options().maximize(true))).getMessage()
                .startsWith("LBFGS: unexpected option 'maximize'"));
        assertEquals("ReduceLROnPlateau: min_lr must be one number per group, got null",
                assertThrows(IllegalArgumentException.class,
                        () -> ReduceLROnPlateau.options().minLrs((double[]) null)).getMessage());
        assertEquals("Invalid learning rate: -1.0", assertThrows(IllegalArgumentException.class,
                () -> new LBFGS(List.of(p), LBFGS.options().lr(-1))).getMessage());

        Optimizer opt = sgd(0.1, 0.2);
        assertEquals("Factor should be < 1.0.", assertThrows(IllegalArgumentException.class,
                () -> new ReduceLROnPlateau(opt, ReduceLROnPlateau.options().factor(1.0))).getMessage());
        assertEquals("mode foo is unknown!", assertThrows(IllegalArgumentException.class,
                () -> new ReduceLROnPlateau(opt, ReduceLROnPlateau.options().mode("foo"))).getMessage());
        assertEquals("threshold mode foo is unknown!", assertThrows(IllegalArgumentException.class,
                () -> new ReduceLROnPlateau(opt, ReduceLROnPlateau.options().thresholdMode("foo"))).getMessage());
        assertEquals("expected 2 min_lrs, got 3", assertThrows(IllegalArgumentException.class,
                () -> new ReduceLROnPlateau(opt, ReduceLROnPlateau.options().minLrs(0, 0, 0))).getMessage());
        ReduceLROnPlateau s = new ReduceLROnPlateau(opt);
        assertEquals(0.1, opt.paramGroups().get(0).lr());
        assertThrows(IllegalArgumentException.class, s::step);

        assertEquals("Expected positive integer T_0, but got 0", assertThrows(IllegalArgumentException.class,
                () -> new CosineAnnealingWarmRestarts(opt, 0)).getMessage());
        assertEquals("Expected integer T_mult >= 1, but got 0", assertThrows(IllegalArgumentException.class,
                () -> new CosineAnnealingWarmRestarts(opt, 2, 0, 0)).getMessage());
        CosineAnnealingWarmRestarts w = new CosineAnnealingWarmRestarts(opt, 2);
        assertEquals("Expected non-negative epoch, but got -1.0", assertThrows(IllegalArgumentException.class,
                () -> w.step(-1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> w.step(Double.NaN));
    }

    @Test
    void malformedStateDictsChangeNothing() {
        Tensor[] ab = spdProblem(3, 3);
        Tensor x = Tensor.zeros(DType.FLOAT64, 3).requiresGrad(true);
        LBFGS l = new LBFGS(List.of(x), LBFGS.options().maxIter(2));
        step(l, ab[0], ab[1], x);
        Map<String, Object> good = l.stateDict();
        List<Map<String, Object>> bad = new ArrayList<>();
        for (String key : new String[] {"d", "t", "old_dirs", "ro", "n_iter", "H_diag"}) {
            bad.add(withState(good, key, null));
        }
        bad.add(withState(good, "d", Tensor.zeros(DType.FLOAT64, 4)));
        bad.add(withState(good, "t", Double.NaN));
        bad.add(withState(good, "n_iter", -1.0));
        bad.add(withState(good, "ro", List.of(1.0, 2.0, 3.0)));
        bad.add(withState(good, "bogus", 1.0));
        // PyTorch's layout (histories as lists of flat tensors) loads to the same state
        Tensor dirs = (Tensor) ((Map<?, ?>) ((Map<?, ?>) good.get("state")).get(0)).get("old_dirs");
        Tensor stps = (Tensor) ((Map<?, ?>) ((Map<?, ?>) good.get("state")).get(0)).get("old_stps");
        List<Tensor> dirList = new ArrayList<>();
        List<Tensor> stpList = new ArrayList<>();
        for (int i = 0; i < dirs.size(0); i++) {
            dirList.add(dirs.select(0, i));
            stpList.add(stps.select(0, i));
        }
        LBFGS l2 = new LBFGS(List.of(Tensor.zeros(DType.FLOAT64, 3).requiresGrad(true)), LBFGS.options().maxIter(2));
        l2.loadStateDict(withState(withState(good, "old_dirs", dirList), "old_stps", stpList));
        assertEquals(good.toString(), l2.stateDict().toString());
        for (Map<String, Object> sd : bad) {
            assertThrows(IllegalArgumentException.class, () -> l.loadStateDict(sd), sd.toString());
            assertEquals(good.toString(), l.stateDict().toString());
        }

        Optimizer opt = sgd(0.1);
        ReduceLROnPlateau s = new ReduceLROnPlateau(opt, ReduceLROnPlateau.options().patience(0));
        s.step(1.0);
        s.step(2.0);
        Map<String, Object> before = s.stateDict();
        for (Object[] kv : new Object[][] {{"mode", "max"}, {"threshold_mode", "x"}, {"factor", 1.5},
                {"best", Double.NaN}, {"num_bad_epochs", -1}, {"min_lrs", List.of(0.0, 0.0)}, {"patience", 1.5}}) {
            Map<String, Object> sd = new LinkedHashMap<>(before);
            sd.put((String) kv[0], kv[1]);
            assertThrows(IllegalArgumentException.class, () -> s.loadStateDict(sd), kv[0] + "=" + kv[1]);
            assertEquals(before, s.stateDict());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withState(Map<String, Object> sd, String key, Object value) {
        Map<String, Object> out = new LinkedHashMap<>(sd);
        Map<Integer, Map<String, Object>> st = new LinkedHashMap<>((Map<Integer, Map<String, Object>>) sd.get("state"));
        Map<String, Object> e = new LinkedHashMap<>(st.get(0));
        if (value == null) {
            e.remove(key);
        } else {
            e.put(key, value);
        }
        st.put(0, e);
        out.put("state", st);
        return out;
    }
}
