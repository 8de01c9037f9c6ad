package dev.vgrad.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Fixtures;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Conformance with PyTorch 1.13 trajectories ({@code fixtures/optimizers.json}): every optimizer and option set,
 * 5 steps, parameters and full state after each step, fed with the recorded gradients. Float64 is compared with
 * §10's float64 tolerance, float32 with the float32 tolerance (1e-4 absolute for multi-step trajectories).
 */
class OptimizerConformanceTest {
    private static final Map<String, Object> ROOT = Fixtures.load("optimizers.json");

    static Stream<Arguments> cases() {
        List<Arguments> args = new ArrayList<>();
        for (String name : Fixtures.caseNames(ROOT)) {
            args.add(Arguments.of(name, DType.FLOAT64));
            args.add(Arguments.of(name, DType.FLOAT32));
        }
        return args.stream();
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesPyTorch(String name, DType dtype) {
        Map<String, Object> c = Fixtures.caseNamed(ROOT, name);
        double atol = dtype == DType.FLOAT64 ? Fixtures.F64_ATOL : 1e-4;
        double rtol = dtype == DType.FLOAT64 ? Fixtures.F64_RTOL : Fixtures.F32_RTOL;
        Map<String, Tensor> params = new LinkedHashMap<>();
        Map<String, Object> init = Fixtures.map(c, "initial_params");
        for (String p : List.of("p0", "p1")) {
            params.put(p, TestSupport.tensor(Fixtures.tensor(init, p), dtype).requiresGrad(true));
        }
        List<Object> groupsDesc = Fixtures.list(c, "groups");
        List<Object> input = new ArrayList<>();
        List<String> order = new ArrayList<>();
        if (groupsDesc == null) {
            input.add(params.get("p0"));
            input.add(params.get("p1"));
            order.addAll(List.of("p0", "p1"));
        } else {
            for (Object gd : groupsDesc) {
                Map<String, Object> g = (Map<String, Object>) gd;
                List<Tensor> ps = new ArrayList<>();
                for (Object pn : (List<Object>) g.get("params")) {
                    ps.add(params.get((String) pn));
                    order.add((String) pn);
                }
                ParamGroup pg = ParamGroup.of(ps);
                for (Map.Entry<String, Object> e : g.entrySet()) {
                    if (!e.getKey().equals("params")) {
                        pg.set(e.getKey(), e.getValue());
                    }
                }
                input.add(pg);
            }
        }
        Optimizer opt = TestSupport.make((String) c.get("optimizer"), Fixtures.map(c, "args"), input);

        // hyper-parameters: every key we keep exists in PyTorch's param_groups with the same value
        List<Object> expectedGroups = Fixtures.list(c, "param_groups");
        List<Map<String, Object>> ourGroups = (List<Map<String, Object>>) opt.stateDict().get("param_groups");
        assertEquals(expectedGroups.size(), ourGroups.size());
        for (int gi = 0; gi < ourGroups.size(); gi++) {
            Map<String, Object> exp = (Map<String, Object>) expectedGroups.get(gi);
            for (Map.Entry<String, Object> e : ourGroups.get(gi).entrySet()) {
                assertTrue(exp.containsKey(e.getKey()), name + ": PyTorch has no group key " + e.getKey());
                Object ev = exp.get(e.getKey());
                Object ov = e.getValue();
                if (ov instanceof double[] d) {
                    List<Object> el = (List<Object>) ev;
                    for (int k = 0; k < d.length; k++) {
                        assertEquals(((Number) el.get(k)).doubleValue(), d[k], 0.0, name + " " + e.getKey());
                    }
                } else if (ov instanceof Double d) {
                    assertEquals(((Number) ev).doubleValue(), d, 0.0, name + " " + e.getKey());
                } else if (ov instanceof List<?> l) {
                    List<Object> el = (List<Object>) ev;
                    for (int k = 0; k < l.size(); k++) {
                        assertEquals(((Number) el.get(k)).intValue(), ((Number) l.get(k)).intValue());
                    }
                } else {
                    assertEquals(ev, ov, name + " " + e.getKey());
                }
            }
        }
        checkState(name + " initial", Fixtures.map(c, "initial_state"), opt, order, params, atol, rtol);

        for (Object so : Fixtures.list(c, "steps")) {
            Map<String, Object> s = (Map<String, Object>) so;
            String at = name + " " + dtype + " step " + s.get("step");
            opt.zeroGrad();
            for (String p : params.keySet()) {
                assertNull(params.get(p).grad());
                params.get(p).setGrad(TestSupport.tensor(Fixtures.tensor(Fixtures.map(s, "grads"), p), dtype));
            }
            int v0 = params.get("p0").version();
            opt.step();
            assertEquals(v0 + 1, params.get("p0").version(), "the step bumps the version counter once");
            Map<String, Object> expParams = Fixtures.map(s, "params");
            for (String p : params.keySet()) {
                Fixtures.assertClose(Fixtures.tensor(expParams, p), params.get(p).shape(),
                        params.get(p).toDoubleArray(), atol, rtol, at + " " + p);
            }
            checkState(at, Fixtures.map(s, "state"), opt, order, params, atol, rtol);
        }
    }

    @SuppressWarnings("unchecked")
    private static void checkState(String at, Map<String, Object> expected, Optimizer opt, List<String> order,
                                   Map<String, Tensor> params, double atol, double rtol) {
        for (int idx = 0; idx < order.size(); idx++) {
            Tensor p = params.get(order.get(idx));
            Map<String, Object> exp = (Map<String, Object>) expected.get(Integer.toString(idx));
            Map<String, Object> ours = opt.getState(p);
            if (exp == null) {
                assertNull(ours, at + ": unexpected state for param " + idx);
                continue;
            }
            int expectedKeys = 0;
            for (Map.Entry<String, Object> e : exp.entrySet()) {
                String key = e.getKey();
                if (e.getValue() == null) {
                    // PyTorch 1.13 stores momentum_buffer=None when momentum == 0; 2.x (our reference) stores nothing
                    assertTrue(ours == null || !ours.containsKey(key), at + ": " + key + " should be absent");
                    continue;
                }
                expectedKeys++;
                assertNotNull(ours, at + ": no state for param " + idx);
                Object v = ours.get(key);
                assertNotNull(v, at + ": missing state " + key);
                if (e.getValue() instanceof Number n) {
                    assertEquals(n.doubleValue(), ((Number) v).doubleValue(), 0.0, at + " " + key);
                } else {
                    Tensor t = (Tensor) v;
                    assertEquals(p.dtype(), t.dtype());
                    Fixtures.assertClose(Fixtures.tensor(e.getValue()), t.shape(), t.toDoubleArray(), atol,
                            rtol * 10, at + " state " + idx + "." + key);
                }
            }
            if (ours != null) {
                assertEquals(expectedKeys, ours.size(), at + ": state keys " + ours.keySet() + " vs " + exp.keySet());
            }
        }
    }
}
