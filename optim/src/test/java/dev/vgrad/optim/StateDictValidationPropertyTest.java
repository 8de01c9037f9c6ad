package dev.vgrad.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.SeededCases;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Optimizer and scheduler state dicts are validated at load and loaded all or nothing (issue 15 item 6,
 * docs/SEMANTICS.md §6.8). For every optimizer and scheduler, QuickTheories draws seeds; each seed trains a random
 * configuration for a few steps, takes its state dict and applies one random corruption (negative, fractional or
 * non-finite step, non-boolean flag, negative or non-finite hyper-parameter, betas outside [0, 1), a state tensor of
 * the wrong shape or type, a missing state or hyper-parameter key, a bad parameter index, …). Loading it must throw
 * {@link IllegalArgumentException} with a message and leave the optimizer state, the groups and the parameters
 * bit-identical. A valid state dict must load into a freshly built twin and round-trip exactly.
 */
@DisplayName("Optimizer and scheduler state dicts: validated at load, all or nothing")
class StateDictValidationPropertyTest {
    static final long SEED = Long.getLong("vgrad.qt.seed", 0x15_06_2026L);
    static final int EXAMPLES = Integer.getInteger("vgrad.qt.examples", 60);
    static final List<String> OPTIMIZERS = List.of("SGD", "Adam", "AdamW", "RMSprop", "Adagrad");
    static final List<String> SCHEDULERS = List.of("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
            "LinearLR", "OneCycleLR", "SequentialLR");
    /** Hyper-parameters each optimizer's constructor requires to be >= 0 (PyTorch's checks). */
    static final List<String> NON_NEGATIVE = List.of("lr", "eps", "weight_decay", "momentum", "alpha", "lr_decay",
            "initial_accumulator_value");

    record Setup(List<Tensor> params, Optimizer opt) {}

    /** A randomly configured optimizer of {@code type} over 1-3 random parameters in one or two groups, trained a few steps. */
    static Setup build(String type, long seed, int steps) {
        Random r = new Random(seed);
        Generator g = new Generator(seed);
        List<Tensor> ps = new ArrayList<>();
        int n = 1 + r.nextInt(3);
        DType dt = r.nextBoolean() ? DType.FLOAT32 : DType.FLOAT64;
        for (int i = 0; i < n; i++) {
            int[] shape = r.nextBoolean() ? new int[] {1 + r.nextInt(3)} : new int[] {1 + r.nextInt(2), 1 + r.nextInt(3)};
            ps.add(Tensor.randn(g, shape).to(dt).requiresGrad(true));
        }
        List<Object> groups = new ArrayList<>();
        if (n > 1 && r.nextBoolean()) {
            groups.add(ParamGroup.of(ps.subList(0, 1)));
            groups.add(ParamGroup.of(ps.subList(1, n)).lr(0.05));
        } else {
            groups.addAll(ps);
        }
        Optimizer o = switch (type) {
            case "SGD" -> {
                double mom = r.nextBoolean() ? 0.9 : 0.0;
                yield new SGD(groups, SGD.options().lr(0.1).momentum(mom).nesterov(mom > 0 && r.nextBoolean())
                        .weightDecay(r.nextBoolean() ? 0.01 : 0));
            }
            case "Adam" -> new Adam(groups, Adam.options().lr(0.01).amsgrad(r.nextBoolean())
                    .weightDecay(r.nextBoolean() ? 0.01 : 0));
            case "AdamW" -> new AdamW(groups, AdamW.options().lr(0.01).amsgrad(r.nextBoolean()));
            case "RMSprop" -> new RMSprop(groups, RMSprop.options().momentum(r.nextBoolean() ? 0.5 : 0)
                    .centered(r.nextBoolean()));
            case "Adagrad" -> new Adagrad(groups, Adagrad.options().lrDecay(r.nextBoolean() ? 0.01 : 0));
            default -> throw new IllegalArgumentException(type);
        };
        for (int s = 0; s < steps; s++) {
            for (int i = 0; i < n; i++) {
                // the last parameter sometimes never gets a gradient, so it has no state
                ps.get(i).setGrad(i == n - 1 && seed % 3 == 0 ? null : Tensor.randn(g, ps.get(i).shape()).to(dt));
            }
            o.step();
        }
        return new Setup(ps, o);
    }

    // ------------------------------------------------------------------ snapshots

    /** Everything a load could change, as text: the state dict (tensors as raw bits) and the parameters' bits and versions. */
    static String snapshot(Optimizer o, List<Tensor> params) {
        StringBuilder sb = new StringBuilder();
        render(o.stateDict(), sb);
        for (Tensor p : params) {
            sb.append("|param v").append(p.version()).append(' ');
            render(p, sb);
        }
        return sb.toString();
    }

    static void render(Object v, StringBuilder sb) {
        if (v instanceof Map<?, ?> m) {
            sb.append('{');
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(e.getKey()).append('=');
                render(e.getValue(), sb);
                sb.append(',');
            }
            sb.append('}');
        } else if (v instanceof List<?> l) {
            sb.append('[');
            for (Object o : l) {
                render(o, sb);
                sb.append(',');
            }
            sb.append(']');
        } else if (v instanceof double[] a) {
            for (double d : a) {
                sb.append(Long.toHexString(Double.doubleToRawLongBits(d))).append(';');
            }
        } else if (v instanceof Tensor t) {
            sb.append(t.dtype()).append(Arrays.toString(t.shape()));
            double[] d = t.detach().to(DType.FLOAT64).toDoubleArray();
            for (double x : d) {
                sb.append(Long.toHexString(Double.doubleToRawLongBits(x))).append(';');
            }
        } else if (v instanceof Double d) {
            sb.append("d").append(Long.toHexString(Double.doubleToRawLongBits(d)));
        } else {
            sb.append(v == null ? "null" : v.getClass().getSimpleName() + ":" + v);
        }
    }

    /** A deep copy (maps, lists and arrays copied, tensors cloned) that can be corrupted freely. */
    @SuppressWarnings("unchecked")
    static <T> T deepCopy(T v) {
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> c = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                c.put(e.getKey(), deepCopy(e.getValue()));
            }
            return (T) c;
        }
        if (v instanceof List<?> l) {
            List<Object> c = new ArrayList<>();
            for (Object o : l) {
                c.add(deepCopy(o));
            }
            return (T) c;
        }
        if (v instanceof double[] a) {
            return (T) a.clone();
        }
        if (v instanceof Tensor t) {
            return (T) t.cloneTensor();
        }
        return v;
    }

    // ------------------------------------------------------------------ optimizer corruptions

    @SuppressWarnings("unchecked")
    static Map<Object, Map<String, Object>> states(Map<String, Object> sd) {
        return (Map<Object, Map<String, Object>>) (Map<?, ?>) sd.get("state");
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> groups(Map<String, Object> sd) {
        return (List<Map<String, Object>>) sd.get("param_groups");
    }

    static <T> T pick(Random r, List<T> xs) {
        return xs.get(r.nextInt(xs.size()));
    }

    /** Applies one random invalid change to {@code sd}; returns its description. */
    static String corruptOptimizer(Optimizer o, Map<String, Object> sd, Random r) {
        List<Map<String, Object>> gs = groups(sd);
        Map<String, Object> g = pick(r, gs);
        List<Map<String, Object>> withState = new ArrayList<>();
        for (Map<String, Object> s : states(sd).values()) {
            if (!s.isEmpty()) {
                withState.add(s);
            }
        }
        int kind = r.nextInt(11);
        switch (kind) {
            case 0 -> {
                List<Map<String, Object>> stepped = withState.stream().filter(s -> s.containsKey("step")).toList();
                if (!stepped.isEmpty()) {
                    Object bad = pick(r, List.of(-1.0, -1L, 0.5, 2.5, Double.NaN, Double.POSITIVE_INFINITY,
                            Double.NEGATIVE_INFINITY, "3", true, 0x1p60, Tensor.of(new double[] {-1}),
                            Tensor.of(new double[] {1, 2}, 2)));
                    pick(r, stepped).put("step", bad);
                    return "step = " + show(bad);
                }
            }
            case 1 -> {
                List<String> flags = g.keySet().stream().filter(k -> g.get(k) instanceof Boolean).toList();
                if (!flags.isEmpty()) {
                    String k = pick(r, flags);
                    Object bad = pick(r, new ArrayList<>(Arrays.asList(1.0, "true", null, 0L)));
                    g.put(k, bad);
                    return "flag " + k + " = " + bad;
                }
            }
            case 2 -> {
                List<String> nums = g.keySet().stream().filter(k -> g.get(k) instanceof Double).toList();
                String k = pick(r, nums);
                double bad = pick(r, List.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY));
                g.put(k, bad);
                return "hyper-parameter " + k + " = " + bad;
            }
            case 3 -> {
                List<String> nonneg = g.keySet().stream().filter(NON_NEGATIVE::contains).toList();
                String k = pick(r, nonneg);
                double bad = pick(r, List.of(-0.1, -1e-8, -Double.MIN_VALUE));
                g.put(k, bad);
                return "hyper-parameter " + k + " = " + bad;
            }
            case 4 -> {
                if (g.containsKey("betas")) {
                    Object bad = pick(r, List.of(new double[] {0.9, 1.0}, new double[] {1.0, 0.999},
                            new double[] {Double.NaN, 0.9}, new double[] {0.9}, new double[] {-0.1, 0.999},
                            List.of(0.9, "x"), new double[] {0.9, 0.999, 0.5}));
                    g.put("betas", bad);
                    return "betas = " + show(bad);
                }
            }
            case 5 -> {
                List<Map<String, Object>> tensors = withState.stream()
                        .filter(s -> s.values().stream().anyMatch(v -> v instanceof Tensor)).toList();
                if (!tensors.isEmpty()) {
                    Map<String, Object> s = pick(r, tensors);
                    List<String> keys = s.keySet().stream().filter(k -> s.get(k) instanceof Tensor).toList();
                    String k = pick(r, keys);
                    int[] shape = ((Tensor) s.get(k)).shape();
                    int[] wrong = r.nextBoolean() ? Arrays.copyOf(shape, shape.length + 1) : shape.clone();
                    if (wrong.length > shape.length) {
                        wrong[shape.length] = 1 + r.nextInt(2);
                    } else {
                        wrong[0] += 1;
                    }
                    s.put(k, Tensor.zeros(DType.FLOAT32, wrong));
                    return "state " + k + " of shape " + Arrays.toString(wrong);
                }
            }
            case 6 -> {
                List<Map<String, Object>> required = new ArrayList<>();
                for (Map<String, Object> s : withState) {
                    if (!requiredKeys(o, sd, s).isEmpty()) {
                        required.add(s);
                    }
                }
                if (!required.isEmpty()) {
                    Map<String, Object> s = pick(r, required);
                    String k = pick(r, new ArrayList<>(requiredKeys(o, sd, s)));
                    s.remove(k);
                    return "state key " + k + " removed";
                }
            }
            case 7 -> {
                String k = pick(r, new ArrayList<>(o.defaults().keySet()));
                g.remove(k);
                return "hyper-parameter " + k + " removed";
            }
            case 8 -> {
                List<Map<String, Object>> tensors = withState.stream()
                        .filter(s -> s.values().stream().anyMatch(v -> v instanceof Tensor)).toList();
                if (!tensors.isEmpty()) {
                    Map<String, Object> s = pick(r, tensors);
                    List<String> keys = s.keySet().stream().filter(k -> s.get(k) instanceof Tensor).toList();
                    String k = pick(r, keys);
                    Object bad = pick(r, List.of(1.0, "zeros", List.of(1.0)));
                    s.put(k, bad);
                    return "state " + k + " = " + bad;
                }
            }
            case 9 -> {
                @SuppressWarnings("unchecked")
                List<Object> ids = (List<Object>) g.get("params");
                int i = r.nextInt(ids.size());
                Object bad = pick(r, List.of(0.5, -1, "x", Double.NaN));
                ids.set(i, bad);
                return "param index = " + bad;
            }
            case 10 -> {
                if (r.nextBoolean() || gs.size() == 1) {
                    gs.add(deepCopy(gs.get(0)));
                    return "extra parameter group";
                }
                gs.remove(gs.size() - 1);
                return "missing parameter group";
            }
            default -> throw new AssertionError(kind);
        }
        // the drawn kind did not apply to this configuration: a non-finite learning rate always does
        g.put("lr", Double.NaN);
        return "lr = NaN (kind " + kind + " not applicable)";
    }

    /** The keys the optimizer requires of state entry {@code s} (from the group it belongs to in the saved dict). */
    @SuppressWarnings("unchecked")
    static java.util.Set<String> requiredKeys(Optimizer o, Map<String, Object> sd, Map<String, Object> s) {
        Object id = null;
        for (Map.Entry<Object, Map<String, Object>> e : states(sd).entrySet()) {
            if (e.getValue() == s) {
                id = e.getKey();
            }
        }
        List<Map<String, Object>> gs = groups(sd);
        for (int gi = 0; gi < gs.size(); gi++) {
            if (((List<Object>) gs.get(gi).get("params")).contains(id)) {
                return o.requiredStateKeys(o.paramGroups().get(gi));
            }
        }
        return java.util.Set.of();
    }

    static String show(Object v) {
        if (v instanceof double[] a) {
            return Arrays.toString(a);
        }
        if (v instanceof Tensor t) {
            return "tensor" + Arrays.toString(t.shape()) + Arrays.toString(t.detach().to(DType.FLOAT64).toDoubleArray());
        }
        return String.valueOf(v);
    }

    // ------------------------------------------------------------------ properties

    @Test
    @DisplayName("corrupted optimizer state dicts are rejected and change nothing; valid ones round-trip exactly")
    void optimizerStateDicts() {
        SeededCases cases = new SeededCases();
        Map<String, String> sampleMessages = new LinkedHashMap<>();
        try {
            for (String type : OPTIMIZERS) {
                cases.run(SEED, EXAMPLES, seed -> optimizerCase(type, seed, sampleMessages));
            }
        } finally {
            cases.print("[issue15] StateDictValidationPropertyTest.optimizerStateDicts",
                    OPTIMIZERS.size() + " optimizers, seed " + SEED);
            sampleMessages.forEach((k, v) -> System.out.println("  " + k + " -> " + v));
        }
    }

    private static void optimizerCase(String type, long seed, Map<String, String> sampleMessages) {
        Random r = new Random(seed);
        Setup s = build(type, seed, 1 + r.nextInt(3));
        Map<String, Object> valid = s.opt.stateDict();

        // valid: a twin built from the same seed but trained differently loads it and reproduces it exactly
        Setup twin = build(type, seed, 0);
        twin.opt.loadStateDict(deepCopy(valid));
        assertEquals(renderToString(valid), renderToString(twin.opt.stateDict()), type + " seed " + seed + ": valid round trip");

        // corrupted: rejected, nothing changes
        Map<String, Object> bad = deepCopy(valid);
        String what = corruptOptimizer(s.opt, bad, r);
        String before = snapshot(s.opt, s.params);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.opt.loadStateDict(bad),
                type + " seed " + seed + ": " + what + " must be rejected");
        assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), type + " seed " + seed + ": message");
        assertEquals(before, snapshot(s.opt, s.params), type + " seed " + seed + ": failed load (" + what
                + ") changed the optimizer");
        sampleMessages.putIfAbsent(type + " / " + what.replaceAll(" = .*| of shape .*", ""), e.getMessage());
    }

    static String renderToString(Object v) {
        StringBuilder sb = new StringBuilder();
        render(v, sb);
        return sb.toString();
    }

    @Test
    @DisplayName("issue example: Adam with \"step\": -1 is rejected (it used to turn every parameter NaN)")
    void adamNegativeStep() {
        Setup s = build("Adam", 7, 2);
        Map<String, Object> sd = deepCopy(s.opt.stateDict());
        states(sd).values().iterator().next().put("step", -1.0);
        String before = snapshot(s.opt, s.params);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.opt.loadStateDict(sd));
        assertEquals("loaded state 'step' of parameter 0 must be a non-negative integer, got -1.0", e.getMessage());
        assertEquals(before, snapshot(s.opt, s.params));
        // the optimizer keeps working: the next step is finite
        for (Tensor p : s.params) {
            p.setGrad(p.onesLike());
        }
        s.opt.step();
        for (Tensor p : s.params) {
            for (double d : p.detach().to(DType.FLOAT64).toDoubleArray()) {
                assertTrue(Double.isFinite(d));
            }
        }
    }

    @Test
    @DisplayName("explicit range cases use the constructors' messages")
    void explicitRangeCases() {
        Setup s = build("Adam", 11, 1);
        Function<Function<Map<String, Object>, Object>, String> reject = f -> {
            Map<String, Object> sd = deepCopy(s.opt.stateDict());
            f.apply(sd);
            return assertThrows(IllegalArgumentException.class, () -> s.opt.loadStateDict(sd)).getMessage();
        };
        assertEquals("loaded state dict has an invalid parameter group 0: Invalid learning rate: -0.1",
                reject.apply(sd -> groups(sd).get(0).put("lr", -0.1)));
        assertEquals("loaded state dict has an invalid parameter group 0: Invalid beta parameter at index 1: 1.0",
                reject.apply(sd -> groups(sd).get(0).put("betas", new double[] {0.9, 1.0})));
        assertEquals("loaded state dict has an invalid parameter group 0: Invalid epsilon value: -1e-08",
                reject.apply(sd -> groups(sd).get(0).put("eps", -1e-8)));
        assertEquals("loaded state dict has an invalid parameter group 0: hyper-parameter 'amsgrad' must be a "
                + "boolean, got 1.0", reject.apply(sd -> groups(sd).get(0).put("amsgrad", 1.0)));
        assertEquals("loaded state 'step' of parameter 0 must be a non-negative integer, got 1.5",
                reject.apply(sd -> states(sd).values().iterator().next().put("step", 1.5)));
        assertEquals("loaded state 'step' of parameter 0 must be a non-negative integer, got nan",
                reject.apply(sd -> states(sd).values().iterator().next().put("step", Double.NaN)));
        assertEquals("loaded state of parameter 0 is missing 'exp_avg'",
                reject.apply(sd -> states(sd).values().iterator().next().remove("exp_avg")));
        // a step that is a whole number stored as a JSON integer or a one-element tensor is fine
        Map<String, Object> ok = deepCopy(s.opt.stateDict());
        states(ok).values().iterator().next().put("step", 1L);
        s.opt.loadStateDict(ok);
        states(ok).values().iterator().next().put("step", Tensor.of(new double[] {1}));
        s.opt.loadStateDict(ok);
    }

    // ------------------------------------------------------------------ schedulers

    record Sched(Optimizer opt, List<Tensor> params, LRScheduler sched) {}

    static Sched buildScheduler(String type, long seed, int steps) {
        Random r = new Random(seed);
        Tensor p = Tensor.randn(new Generator(seed), 3).requiresGrad(true);
        Optimizer o = new SGD(List.of(p), SGD.options().lr(0.1).momentum(0.9));
        LRScheduler s = switch (type) {
            case "StepLR" -> new StepLR(o, 1 + r.nextInt(3), 0.5);
            case "MultiStepLR" -> new MultiStepLR(o, new int[] {1 + r.nextInt(2), 3 + r.nextInt(3)}, 0.5);
            case "ExponentialLR" -> new ExponentialLR(o, 0.9);
            case "CosineAnnealingLR" -> new CosineAnnealingLR(o, 3 + r.nextInt(5), 0.001);
            case "LinearLR" -> new LinearLR(o, 0.25, 1.0, 1 + r.nextInt(5));
            case "OneCycleLR" -> new OneCycleLR(o, OneCycleLR.options(0.5).totalSteps(20)
                    .threePhase(r.nextBoolean()));
            case "SequentialLR" -> new SequentialLR(o, List.of(new LinearLR(o, 0.5, 1.0, 3), new ExponentialLR(o, 0.9)),
                    new int[] {2});
            default -> throw new IllegalArgumentException(type);
        };
        for (int i = 0; i < steps; i++) {
            p.setGrad(p.onesLike());
            o.step();
            s.step();
        }
        return new Sched(o, List.of(p), s);
    }

    /** Every leaf of a scheduler state dict, with the container that holds it. */
    record Leaf(Object container, Object key) {}

    static void leaves(Object v, List<Leaf> out) {
        if (v instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (e.getValue() instanceof Map || e.getValue() instanceof List<?> l && !l.isEmpty()
                        && (l.get(0) instanceof Map)) {
                    leaves(e.getValue(), out);
                } else {
                    out.add(new Leaf(m, e.getKey()));
                }
            }
        } else if (v instanceof List<?> l) {
            for (Object o : l) {
                leaves(o, out);
            }
        }
    }

    /** Applies one random invalid change to a scheduler state dict. */
    @SuppressWarnings("unchecked")
    static String corruptScheduler(Map<String, Object> sd, Random r) {
        if (r.nextInt(4) == 0) {
            // a range violation the constructor would reject, where the field exists
            List<Object[]> ranged = new ArrayList<>();
            List<Leaf> all = new ArrayList<>();
            leaves(sd, all);
            for (Leaf l : all) {
                Object[][] table = {
                    {"last_epoch", -2}, {"_step_count", -1}, {"step_size", 0}, {"T_max", 0}, {"total_iters", 0},
                    {"total_steps", 0}, {"pct_start", 1.5}, {"start_factor", 0.0}, {"start_factor", 1.5},
                    {"end_factor", -0.1}, {"end_factor", 1.5}, {"base_lrs", List.of(-0.1)},
                    {"anneal_strategy", "cosine"}};
                for (Object[] row : table) {
                    if (row[0].equals(l.key)) {
                        ranged.add(new Object[] {l, row[1]});
                    }
                }
                if ("gamma".equals(l.key) && ((Map<String, Object>) l.container).get("type").equals("ExponentialLR")) {
                    ranged.add(new Object[] {l, r.nextBoolean() ? 0.0 : -0.5});
                }
            }
            Object[] c = pick(r, ranged);
            Leaf l = (Leaf) c[0];
            ((Map<Object, Object>) l.container).put(l.key, c[1]);
            return l.key + " = " + c[1];
        }
        List<Leaf> all = new ArrayList<>();
        leaves(sd, all);
        Leaf l = pick(r, all);
        Map<Object, Object> m = (Map<Object, Object>) l.container;
        Object v = m.get(l.key);
        Object bad;
        if (v instanceof Integer) {
            bad = pick(r, List.of(1.5, Double.NaN, "x", 1e20));
        } else if (v instanceof Double) {
            bad = pick(r, List.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, "x"));
        } else if (v instanceof Boolean) {
            bad = pick(r, List.of("yes", 1));
        } else if (v instanceof String) {
            bad = "bogus";
        } else if (v instanceof List<?> list) {
            List<Object> c = new ArrayList<>(list);
            if (c.isEmpty() || r.nextBoolean()) {
                c.add(list.isEmpty() ? 1.5 : Double.NaN);
                if (!list.isEmpty() && list.get(0) instanceof Integer) {
                    c.set(c.size() - 1, 2.5);
                }
            } else {
                c.set(r.nextInt(c.size()), c.get(0) instanceof Integer ? (Object) 2.5 : (Object) Double.NaN);
            }
            bad = c;
        } else {
            bad = "bogus";
        }
        if (l.key.equals("base_lrs") || l.key.equals("_last_lr") || l.key.equals("milestones")
                || l.key.equals("_milestones")) {
            // a longer list of valid values is not an error everywhere (milestones may have any length)
            if (bad instanceof List<?> bl && bl.size() > ((List<?>) v).size() && !hasBad(bl)) {
                bad = List.of(Double.NaN);
            }
        }
        m.put(l.key, bad);
        return l.key + " = " + bad;
    }

    static boolean hasBad(List<?> l) {
        for (Object o : l) {
            if (o instanceof Double d && (!Double.isFinite(d) || d != Math.rint(d))) {
                return true;
            }
        }
        return false;
    }

    @Test
    @DisplayName("corrupted scheduler state dicts are rejected and change nothing; valid ones round-trip exactly")
    void schedulerStateDicts() {
        SeededCases cases = new SeededCases();
        Map<String, String> sampleMessages = new LinkedHashMap<>();
        try {
            for (String type : SCHEDULERS) {
                cases.run(SEED, EXAMPLES, seed -> schedulerCase(type, seed, sampleMessages));
            }
        } finally {
            cases.print("[issue15] StateDictValidationPropertyTest.schedulerStateDicts",
                    SCHEDULERS.size() + " schedulers, seed " + SEED);
            sampleMessages.forEach((k, v) -> System.out.println("  " + k + " -> " + v));
        }
    }

    private static void schedulerCase(String type, long seed, Map<String, String> sampleMessages) {
        Random r = new Random(seed);
        Sched s = buildScheduler(type, seed, r.nextInt(6));
        Map<String, Object> valid = s.sched.stateDict();

        Sched twin = buildScheduler(type, seed, 0);
        twin.sched.loadStateDict(deepCopy(valid));
        assertEquals(renderToString(valid), renderToString(twin.sched.stateDict()),
                type + " seed " + seed + ": valid round trip");

        Map<String, Object> bad = deepCopy(valid);
        String what = corruptScheduler(bad, r);
        String before = renderToString(s.sched.stateDict()) + snapshot(s.opt, s.params);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.sched.loadStateDict(bad),
                type + " seed " + seed + ": " + what + " must be rejected");
        assertFalse(e.getMessage() == null || e.getMessage().isBlank(), type + " seed " + seed + ": message");
        assertEquals(before, renderToString(s.sched.stateDict()) + snapshot(s.opt, s.params),
                type + " seed " + seed + ": failed load (" + what + ") changed the scheduler");
        sampleMessages.putIfAbsent(type + " / " + what.replaceAll(" = .*", ""), e.getMessage());
    }
}
