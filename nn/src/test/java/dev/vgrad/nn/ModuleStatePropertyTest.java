package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
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
import java.util.function.Consumer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Modules are all or nothing (issue 15 item 6): {@link Module#loadStateDict} validates everything before copying
 * anything (docs/SEMANTICS.md §13), registering a module inside itself is rejected, and {@link Module#to(DType)}
 * converts parameters in place (docs/SEMANTICS.md §11). Random module trees come from QuickTheories-drawn seeds.
 */
@DisplayName("Modules: all-or-nothing state-dict loads, no cycles, in-place dtype conversion")
class ModuleStatePropertyTest {
    static final long SEED = Long.getLong("vgrad.qt.seed", 0x15_06_2026L);
    static final int EXAMPLES = Integer.getInteger("vgrad.qt.examples", 200);

    /** A random tree of Linear / BatchNorm1d / LayerNorm / nested Sequential, sometimes with a shared child. */
    static Module randomTree(long seed) {
        Random r = new Random(seed);
        Generator g = new Generator(seed);
        return randomSeq(r, g, 0);
    }

    private static Sequential randomSeq(Random r, Generator g, int depth) {
        Sequential s = new Sequential();
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(depth < 2 ? 5 : 4);
            switch (k) {
                case 0, 1 -> s.append(new Linear(1 + r.nextInt(4), 1 + r.nextInt(4), r.nextBoolean(), g));
                case 2 -> s.append(new BatchNorm1d(1 + r.nextInt(4)));
                case 3 -> s.append(new LayerNorm(1 + r.nextInt(3)));
                default -> s.append(randomSeq(r, g, depth + 1));
            }
        }
        if (r.nextInt(4) == 0) {
            s.append(s.get(0)); // a shared child: the same module under two names
        }
        if (r.nextBoolean()) {
            s.toDouble();
        }
        return s;
    }

    /** Raw bits, dtype, shape, version and identity of every parameter and buffer: what a failed load must not touch. */
    static String snapshot(Module m) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Module> e : m.namedModules().entrySet()) {
            for (Tensor t : e.getValue().parameters()) {
                append(sb, t);
            }
            for (Tensor t : e.getValue().buffers()) {
                append(sb, t);
            }
        }
        return sb.toString();
    }

    private static void append(StringBuilder sb, Tensor t) {
        sb.append(System.identityHashCode(t)).append(t.dtype()).append(Arrays.toString(t.shape())).append('v')
                .append(t.version()).append(':');
        if (t.dtype() == DType.INT64) {
            for (long x : t.toLongArray()) {
                sb.append(x).append(',');
            }
        } else {
            for (double x : t.detach().to(DType.FLOAT64).toDoubleArray()) {
                sb.append(Long.toHexString(Double.doubleToRawLongBits(x))).append(',');
            }
        }
        sb.append('|');
    }

    /** One corruption of a state dict: whether it is an error with the given strictness. */
    record Corruption(String what, boolean fatalStrict, boolean fatalLenient) {}

    static Corruption corrupt(Map<String, Tensor> sd, Random r) {
        // corrupt keys the module expects (an unexpected key is ignored whatever its value when not strict)
        List<String> keys = new ArrayList<>(sd.keySet().stream().filter(x -> !x.startsWith("extra.")).toList());
        if (keys.isEmpty()) {
            sd.put("extra." + r.nextInt(5) + ".weight", Tensor.zeros(2));
            return new Corruption("add a key", true, false);
        }
        String k = keys.get(r.nextInt(keys.size()));
        Tensor v = sd.get(k);
        switch (v == null ? 1 : r.nextInt(6)) {
            case 0 -> {
                if (!k.endsWith("num_batches_tracked")) { // BatchNorm fills that one in, as PyTorch does
                    sd.remove(k);
                    return new Corruption("drop " + k, true, false);
                }
                sd.put(k, null);
                return new Corruption("null " + k, true, true);
            }
            case 1 -> {
                sd.put("extra." + r.nextInt(5) + ".weight", Tensor.zeros(2));
                return new Corruption("add a key", true, false);
            }
            case 2 -> {
                int[] s = v.shape();
                int[] wrong = r.nextBoolean() || s.length == 0 ? Arrays.copyOf(s, s.length + 1) : s.clone();
                wrong[wrong.length - 1] = wrong.length > s.length ? 1 + r.nextInt(2) : wrong[wrong.length - 1] + 1;
                sd.put(k, Tensor.zeros(wrong));
                return new Corruption("shape of " + k + " -> " + Arrays.toString(wrong), true, true);
            }
            case 3 -> {
                sd.put(k, null);
                return new Corruption("null " + k, true, true);
            }
            case 4 -> {
                // another dtype is converted by copy_, as in PyTorch: not an error by itself
                DType other = v.dtype() == DType.FLOAT64 ? DType.FLOAT32 : DType.FLOAT64;
                sd.put(k, v.detach().to(other).cloneTensor());
                return new Corruption("dtype of " + k + " -> " + other, false, false);
            }
            default -> {
                sd.put(k, Tensor.randn(new Generator(r.nextLong()), v.shape()).to(v.dtype()));
                return new Corruption("new values for " + k, false, false);
            }
        }
    }

    @Test
    @DisplayName("loadStateDict: corrupted dicts throw and leave the module bit-identical; valid ones load")
    void loadStateDictIsAllOrNothing() {
        SeededCases.check("[issue15] ModuleStatePropertyTest.loadStateDictIsAllOrNothing", SEED, EXAMPLES,
                ModuleStatePropertyTest::loadCase);
    }

    private static void loadCase(long seed) {
        Random r = new Random(seed ^ 0x5EEDL);
        Module target = randomTree(seed);
        Module source = randomTree(seed); // same architecture, its own values
        for (Tensor p : source.parameters()) {
            p.detach().copy_(Tensor.randn(new Generator(r.nextLong()), p.shape()).to(p.dtype()));
        }
        Map<String, Tensor> sd = new LinkedHashMap<>(source.stateDict());
        boolean strict = r.nextInt(4) != 0;
        List<Corruption> applied = new ArrayList<>();
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) {
            applied.add(corrupt(sd, r));
        }
        boolean fatal = applied.stream().anyMatch(c -> strict ? c.fatalStrict : c.fatalLenient);
        String before = snapshot(target);
        String what = "seed " + seed + ", strict=" + strict + ", " + applied;
        if (fatal) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> target.loadStateDict(sd, strict),
                    what);
            assertTrue(e.getMessage().startsWith("Error(s) in loading state_dict for Sequential:\n\t"), e.getMessage());
            assertEquals(before, snapshot(target), what + ": a failed load changed the module");
        } else {
            target.loadStateDict(sd, strict);
            Map<String, Tensor> now = target.stateDict();
            for (Map.Entry<String, Tensor> e : sd.entrySet()) {
                Tensor dst = now.get(e.getKey());
                if (dst != null) {
                    Tensor want = e.getValue().detach().to(dst.dtype());
                    assertEquals(Arrays.toString(want.to(DType.FLOAT64).toDoubleArray()),
                            Arrays.toString(dst.to(DType.FLOAT64).toDoubleArray()), what + ": " + e.getKey());
                }
            }
        }
    }

    @Test
    @DisplayName("PyTorch's error text: missing, unexpected, size mismatch, null")
    void pytorchErrorText() {
        // expected texts from torch 1.13: nn.Linear(2, 2).load_state_dict(...) with bias dropped, "extra" added and
        // weight of shape (3, 2); and with weight None
        Linear lin = new Linear(2, 2, true, new Generator(1));
        String before = snapshot(lin);
        Map<String, Tensor> sd = new LinkedHashMap<>(lin.stateDict());
        sd.remove("bias");
        sd.put("extra", Tensor.zeros(1));
        sd.put("weight", Tensor.zeros(3, 2));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> lin.loadStateDict(sd));
        assertEquals("Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: \"bias\". \n\t"
                + "Unexpected key(s) in state_dict: \"extra\". \n\tsize mismatch for weight: copying a param with shape "
                + "torch.Size([3, 2]) from checkpoint, the shape in current model is torch.Size([2, 2]).", e.getMessage());
        Map<String, Tensor> sd2 = new LinkedHashMap<>(lin.stateDict());
        sd2.put("weight", null);
        e = assertThrows(IllegalStateException.class, () -> lin.loadStateDict(sd2));
        assertEquals("Error(s) in loading state_dict for Linear:\n\tWhile copying the parameter named \"weight\", "
                + "expected a Tensor from checkpoint but received null", e.getMessage());
        assertEquals(before, snapshot(lin));
    }

    // ------------------------------------------------------------------ cycles

    @Test
    @DisplayName("registering a module inside itself, directly or through a cycle, is rejected")
    void cyclesAreRejected() {
        SeededCases.check("[issue15] ModuleStatePropertyTest.cyclesAreRejected", SEED, EXAMPLES,
                ModuleStatePropertyTest::cycleCase);
        // the examples, explicitly
        Sequential a = new Sequential(new Linear(1, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.addModule("self", a));
        assertEquals("cannot register module Sequential as a child of Sequential (name 'self'): it would create a "
                + "cycle", e.getMessage());
        Sequential b = new Sequential(a);
        Sequential c = new Sequential(b);
        e = assertThrows(IllegalArgumentException.class, () -> a.append(c));
        assertEquals("cannot register module Sequential as a child of Sequential (name '1'): it would create a cycle",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.get(0).registerModule("up", b));
        assertEquals("cannot register module Sequential as a child of Linear (name 'up'): it would create a cycle",
                e.getMessage());
    }

    private static void cycleCase(long seed) {
        Random r = new Random(seed);
        Module root = randomTree(seed);
        List<Module> mods = root.modules();
        Module child = mods.get(r.nextInt(mods.size()));
        // an ancestor-or-self of child: walk down from root to child and pick a module on the way
        List<Module> path = pathTo(root, child);
        Module ancestor = path.get(r.nextInt(path.size()));
        String before = root.toString() + root.namedModules().keySet();
        Consumer<Module> register = switch (r.nextInt(3)) {
            case 0 -> m -> child.registerModule("c", m);
            case 1 -> m -> child.addModule("c", m);
            default -> m -> {
                if (child instanceof Sequential s) {
                    s.append(m);
                } else {
                    child.registerModule("c", m);
                }
            };
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> register.accept(ancestor),
                "seed " + seed);
        assertTrue(e.getMessage().contains("as a child of " + child.getClass().getSimpleName())
                && e.getMessage().contains("cannot register module " + ancestor.getClass().getSimpleName())
                && e.getMessage().endsWith("it would create a cycle"), e.getMessage());
        assertEquals(before, root.toString() + root.namedModules().keySet(), "seed " + seed + ": tree changed");
        // a module that is not an ancestor (a fresh one, or a descendant) may be registered: sharing is not a cycle
        Linear fresh = new Linear(1, 1);
        child.registerModule("fresh", fresh);
        assertSame(fresh, child.child("fresh"));
    }

    /** Modules from root down to target (inclusive), following first-found children. */
    private static List<Module> pathTo(Module root, Module target) {
        List<Module> path = new ArrayList<>();
        if (find(root, target, path)) {
            return path;
        }
        throw new AssertionError("target not in tree");
    }

    private static boolean find(Module m, Module target, List<Module> path) {
        path.add(m);
        if (m == target) {
            return true;
        }
        for (Module c : m.children()) {
            if (find(c, target, path)) {
                return true;
            }
        }
        path.remove(path.size() - 1);
        return false;
    }

    // ------------------------------------------------------------------ Module.to

    @Test
    @DisplayName("Module.to converts parameters in place: same objects, converted values and gradients")
    void toKeepsParameterIdentity() {
        SeededCases.check("[issue15] ModuleStatePropertyTest.toKeepsParameterIdentity", SEED, EXAMPLES,
                ModuleStatePropertyTest::toCase);
    }

    private static void toCase(long seed) {
        Random r = new Random(seed);
        Module m = randomTree(seed);
        List<Tensor> params = m.parameters();
        for (Tensor p : params) {
            if (r.nextBoolean()) {
                p.setGrad(Tensor.randn(new Generator(r.nextLong()), p.shape()).to(p.dtype()));
            }
        }
        DType target = r.nextBoolean() ? DType.FLOAT32 : DType.FLOAT64;
        List<double[]> values = new ArrayList<>();
        List<double[]> grads = new ArrayList<>();
        for (Tensor p : params) {
            // the converted value, derived independently: float64 -> float32 rounds, float32 -> float64 is exact
            values.add(convert(p, target));
            grads.add(p.grad() == null ? null : convert(p.grad(), target));
        }
        Map<String, DType> bufferTypes = new LinkedHashMap<>();
        m.namedBuffers().forEach((k, b) -> bufferTypes.put(k, b.dtype().isFloatingPoint() ? target : b.dtype()));
        m.to(target);
        List<Tensor> after = m.parameters();
        assertEquals(params.size(), after.size());
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            assertSame(p, after.get(i), "seed " + seed + ": parameter " + i + " was replaced");
            assertEquals(target, p.dtype());
            assertTrue(p.isLeaf() && p.requiresGrad());
            assertArrayEquals(values.get(i), p.to(DType.FLOAT64).toDoubleArray());
            if (grads.get(i) != null) {
                assertEquals(target, p.grad().dtype());
                assertArrayEquals(grads.get(i), p.grad().to(DType.FLOAT64).toDoubleArray());
            }
        }
        m.namedBuffers().forEach((k, b) -> assertEquals(bufferTypes.get(k), b.dtype(), "seed " + seed + ": " + k));
    }

    private static double[] convert(Tensor t, DType target) {
        double[] v = t.detach().to(DType.FLOAT64).toDoubleArray();
        if (target == DType.FLOAT32) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) v[i];
            }
        }
        return v;
    }
}
