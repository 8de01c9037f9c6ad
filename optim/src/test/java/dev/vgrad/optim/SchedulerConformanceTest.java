package dev.vgrad.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Conformance of the LR schedulers with PyTorch 1.13 ({@code fixtures/schedulers.json}): {@code get_last_lr()}
 * after construction and after each {@code optimizer.step(); scheduler.step()} pair, momentum/β1 for OneCycleLR,
 * and the error past {@code total_steps}.
 */
class SchedulerConformanceTest {
    private static final Map<String, Object> ROOT = Fixtures.load("schedulers.json");
    /** "values agree to rounding": the recursive forms are the same, cos may differ by an ulp between libms. */
    private static final double ATOL = 1e-15;
    private static final double RTOL = 1e-12;

    static Stream<String> cases() {
        return Fixtures.caseNames(ROOT).stream();
    }

    static LRScheduler build(String type, Map<String, Object> a, Optimizer opt) {
        return switch (type) {
            case "StepLR" -> new StepLR(opt, num(a, "step_size").intValue(), num(a, "gamma").doubleValue());
            case "MultiStepLR" -> new MultiStepLR(opt, ints(a.get("milestones")), num(a, "gamma").doubleValue());
            case "ExponentialLR" -> new ExponentialLR(opt, num(a, "gamma").doubleValue());
            case "CosineAnnealingLR" -> new CosineAnnealingLR(opt, num(a, "T_max").intValue(),
                    num(a, "eta_min").doubleValue());
            case "LinearLR" -> new LinearLR(opt, num(a, "start_factor").doubleValue(),
                    num(a, "end_factor").doubleValue(), num(a, "total_iters").intValue());
            case "OneCycleLR" -> new OneCycleLR(opt, OneCycleLR.options(num(a, "max_lr").doubleValue())
                    .totalSteps(num(a, "total_steps").intValue())
                    .pctStart(num(a, "pct_start").doubleValue())
                    .annealStrategy("cos".equals(a.get("anneal_strategy")) ? OneCycleLR.Anneal.COS
                            : OneCycleLR.Anneal.LINEAR)
                    .cycleMomentum((Boolean) a.get("cycle_momentum"))
                    .baseMomentum(num(a, "base_momentum").doubleValue())
                    .maxMomentum(num(a, "max_momentum").doubleValue())
                    .divFactor(num(a, "div_factor").doubleValue())
                    .finalDivFactor(num(a, "final_div_factor").doubleValue())
                    .threePhase((Boolean) a.get("three_phase")));
            default -> throw new IllegalArgumentException(type);
        };
    }

    @SuppressWarnings("unchecked")
    static LRScheduler buildCase(Map<String, Object> c, Optimizer opt) {
        Map<String, Object> a = Fixtures.map(c, "args");
        String type = (String) c.get("scheduler");
        if (!type.equals("SequentialLR")) {
            return build(type, a, opt);
        }
        List<LRScheduler> children = new ArrayList<>();
        for (Object o : (List<Object>) a.get("schedulers")) {
            Map<String, Object> s = (Map<String, Object>) o;
            children.add(build((String) s.get("type"), s, opt));
        }
        return new SequentialLR(opt, children, ints(a.get("milestones")));
    }

    static Optimizer optimizerFor(Map<String, Object> c) {
        List<Object> lrs = Fixtures.list(c, "base_lrs");
        List<Object> groups = new ArrayList<>();
        for (Object lr : lrs) {
            Tensor p = Tensor.zeros(DType.FLOAT64, 2).requiresGrad(true);
            groups.add(ParamGroup.of(p).lr(((Number) lr).doubleValue()));
        }
        Map<String, Object> extra = new java.util.LinkedHashMap<>(Fixtures.map(c, "optimizer_args"));
        extra.put("lr", ((Number) lrs.get(0)).doubleValue());
        return TestSupport.make((String) c.get("optimizer"), extra, groups);
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesPyTorch(String name) {
        Map<String, Object> c = Fixtures.caseNamed(ROOT, name);
        Optimizer opt = optimizerFor(c);
        LRScheduler sched = buildCase(c, opt);
        List<Object> lr = Fixtures.list(c, "lr");
        List<Object> mom = Fixtures.list(c, "momentum");
        Map<String, Object> error = Fixtures.map(c, "error");
        check(name + " epoch 0", lr.get(0), sched.getLastLr());
        if (mom != null) {
            check(name + " momentum 0", mom.get(0), momentum(opt));
        }
        int steps = lr.size() - 1 + (error != null ? 1 : 0);
        for (int e = 1; e <= steps; e++) {
            for (Tensor p : opt.params()) {
                p.setGrad(p.zerosLike());
            }
            opt.step();
            if (error != null && e == lr.size()) {
                IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, sched::step);
                assertEquals(error.get("message"), ex.getMessage());
                return;
            }
            sched.step();
            check(name + " epoch " + e, lr.get(e), sched.getLastLr());
            double[] groupLrs = opt.paramGroups().stream().mapToDouble(ParamGroup::lr).toArray();
            check(name + " group lr epoch " + e, lr.get(e), groupLrs);
            if (mom != null) {
                check(name + " momentum " + e, mom.get(e), momentum(opt));
            }
        }
        if (error != null) {
            fail("expected an error after " + error.get("after_steps") + " steps");
        }
        assertNull(error);
        assertNotNull(sched);
    }

    private static double[] momentum(Optimizer opt) {
        return opt.paramGroups().stream()
                .mapToDouble(g -> g.has("betas") ? g.betas()[0] : g.getDouble("momentum")).toArray();
    }

    @SuppressWarnings("unchecked")
    private static void check(String what, Object expected, double[] actual) {
        List<Object> e = (List<Object>) expected;
        double[] ed = new double[e.size()];
        for (int i = 0; i < ed.length; i++) {
            ed[i] = ((Number) e.get(i)).doubleValue();
        }
        Fixtures.assertClose(ed, actual, ATOL, RTOL, what);
    }

    static Number num(Map<String, Object> a, String key) {
        return (Number) a.get(key);
    }

    @SuppressWarnings("unchecked")
    static int[] ints(Object o) {
        List<Object> l = (List<Object>) o;
        int[] r = new int[l.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = ((Number) l.get(i)).intValue();
        }
        return r;
    }
}
