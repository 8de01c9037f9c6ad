package dev.vgrad.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.Linear;
import dev.vgrad.nn.Module;
import dev.vgrad.nn.Sequential;
import dev.vgrad.nn.Tanh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Resume equals continuous: training 2N steps gives bit-identical parameters (and optimizer state, and learning
 * rates) to training N steps, writing one {@link Checkpoint} file, loading it into freshly built model, optimizer
 * and scheduler, and training N more — for every optimizer × every scheduler (and no scheduler).
 */
class ResumeTest {
    private static final int N = 4;
    @TempDir
    Path dir;

    record Setup(Module model, Optimizer opt, LRScheduler sched) {
    }

    static final Map<String, Function<List<Tensor>, Optimizer>> OPTIMIZERS = new java.util.LinkedHashMap<>();
    static final Map<String, Function<Optimizer, LRScheduler>> SCHEDULERS = new java.util.LinkedHashMap<>();

    static {
        OPTIMIZERS.put("SGD", ps -> new SGD(twoGroups(ps), SGD.options().lr(0.05).momentum(0.9).nesterov(true)
                .weightDecay(1e-3)));
        OPTIMIZERS.put("Adam", ps -> new Adam(twoGroups(ps), Adam.options().lr(0.01).amsgrad(true)));
        OPTIMIZERS.put("AdamW", ps -> new AdamW(twoGroups(ps), AdamW.options().lr(0.01)));
        OPTIMIZERS.put("RMSprop", ps -> new RMSprop(twoGroups(ps), RMSprop.options().lr(0.01).centered(true)
                .momentum(0.5)));
        OPTIMIZERS.put("Adagrad", ps -> new Adagrad(twoGroups(ps), Adagrad.options().lr(0.1).lrDecay(0.01)
                .initialAccumulatorValue(0.1)));
        SCHEDULERS.put("none", o -> null);
        SCHEDULERS.put("StepLR", o -> new StepLR(o, 3, 0.5));
        SCHEDULERS.put("MultiStepLR", o -> new MultiStepLR(o, new int[] {2, 5, 5}, 0.5));
        SCHEDULERS.put("ExponentialLR", o -> new ExponentialLR(o, 0.9));
        SCHEDULERS.put("CosineAnnealingLR", o -> new CosineAnnealingLR(o, 5, 0.001));
        SCHEDULERS.put("LinearLR", o -> new LinearLR(o, 0.25, 1.0, 5));
        SCHEDULERS.put("OneCycleLR", o -> new OneCycleLR(o, OneCycleLR.options(0.05, 0.02).totalSteps(2 * N + 2)
                .cycleMomentum(!(o instanceof Adagrad)).threePhase(true)));
        SCHEDULERS.put("SequentialLR", o -> new SequentialLR(o,
                List.of(new LinearLR(o, 0.5, 1.0, 2), new CosineAnnealingLR(o, 4, 0.0), new ExponentialLR(o, 0.8)),
                new int[] {3, 6}));
    }

    /** Weights in one group, biases (no weight decay) in another. */
    static List<ParamGroup> twoGroups(List<Tensor> ps) {
        List<Tensor> w = new ArrayList<>();
        List<Tensor> b = new ArrayList<>();
        for (Tensor p : ps) {
            (p.dim() > 1 ? w : b).add(p);
        }
        return List.of(ParamGroup.of(w), ParamGroup.of(b).set("weight_decay", 0.0));
    }

    static Stream<Arguments> combos() {
        List<Arguments> a = new ArrayList<>();
        for (String o : OPTIMIZERS.keySet()) {
            for (String s : SCHEDULERS.keySet()) {
                a.add(Arguments.of(o, s));
            }
        }
        return a.stream();
    }

    static Setup fresh(String opt, String sched, long initSeed) {
        Generator g = new Generator(initSeed);
        Module model = new Sequential(new Linear(5, 8, true, g), new Tanh(), new Linear(8, 3, true, g));
        Optimizer o = OPTIMIZERS.get(opt).apply(model.parameters());
        return new Setup(model, o, SCHEDULERS.get(sched).apply(o));
    }

    static void train(Setup s, int steps, Tensor x, Tensor y) {
        for (int i = 0; i < steps; i++) {
            s.opt.zeroGrad();
            Tensor d = s.model.forward(x).sub(y);
            d.mul(d).mean().backward();
            s.opt.step();
            if (s.sched != null) {
                s.sched.step();
            }
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("combos")
    void resumeEqualsContinuous(String opt, String sched) throws Exception {
        Generator data = new Generator(1234);
        Tensor x = Tensor.randn(data, 16, 5);
        Tensor y = Tensor.randn(data, 16, 3);

        Setup continuous = fresh(opt, sched, 7);
        train(continuous, 2 * N, x, y);

        Setup first = fresh(opt, sched, 7);
        train(first, N, x, y);
        Path file = dir.resolve(opt + "-" + sched + ".safetensors");
        Checkpoint.save(file, first.model, first.opt, first.sched, Map.of("epoch", Integer.toString(N)));

        Setup resumed = fresh(opt, sched, 99); // different init: everything must come from the file
        Map<String, String> user = Checkpoint.load(file, resumed.model, resumed.opt, resumed.sched);
        assertEquals(Map.of("epoch", Integer.toString(N)), user);
        train(resumed, N, x, y);

        Map<String, Tensor> a = continuous.model.stateDict();
        Map<String, Tensor> b = resumed.model.stateDict();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).toArray(), b.get(k).toArray(), 0f, k + " must be bit-identical");
        }
        assertEquals(Checkpoint.class, Checkpoint.class);
        Map<String, Object> sa = continuous.opt.stateDict();
        Map<String, Object> sb = resumed.opt.stateDict();
        assertEquals(describe(sa), describe(sb), "optimizer state must be identical");
        if (continuous.sched != null) {
            assertArrayEquals(continuous.sched.getLastLr(), resumed.sched.getLastLr(), 0.0);
            assertEquals(continuous.sched.lastEpoch(), resumed.sched.lastEpoch());
        }
    }

    /** A deterministic text form of a state dict with exact float bits. */
    @SuppressWarnings("unchecked")
    static String describe(Map<String, Object> sd) {
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> g : (List<Map<String, Object>>) sd.get("param_groups")) {
            for (Map.Entry<String, Object> e : g.entrySet()) {
                Object v = e.getValue();
                sb.append(e.getKey()).append('=').append(v instanceof double[] d ? java.util.Arrays.toString(d) : v)
                        .append(';');
            }
        }
        for (Map.Entry<Integer, Map<String, Object>> e : ((Map<Integer, Map<String, Object>>) sd.get("state"))
                .entrySet()) {
            for (Map.Entry<String, Object> kv : e.getValue().entrySet()) {
                Object v = kv.getValue();
                sb.append(e.getKey()).append('.').append(kv.getKey()).append('=')
                        .append(v instanceof Tensor t ? java.util.Arrays.toString(t.toArray()) : v).append(';');
            }
        }
        return sb.toString();
    }

    @Test
    void failedLoadLeavesEverythingUntouched() throws Exception {
        Generator data = new Generator(5);
        Tensor x = Tensor.randn(data, 16, 5);
        Tensor y = Tensor.randn(data, 16, 3);
        Setup s = fresh("Adam", "StepLR", 3);
        train(s, 2, x, y);
        Path file = dir.resolve("adam.safetensors");
        Checkpoint.save(file, s.model, s.opt, s.sched);

        // the optimizer part does not fit (SGD state for an Adam checkpoint)
        Setup other = fresh("SGD", "StepLR", 11);
        train(other, 1, x, y);
        String before = describe(other.opt.stateDict());
        Map<String, Tensor> modelBefore = snapshot(other.model);
        assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(file, other.model, other.opt, other.sched));
        assertEquals(before, describe(other.opt.stateDict()));
        assertModelEquals(modelBefore, other.model);

        // the model does not fit (different architecture): optimizer and scheduler untouched too
        Generator g = new Generator(1);
        Module wrong = new Sequential(new Linear(5, 4, true, g), new Tanh(), new Linear(4, 3, true, g));
        Adam wrongOpt = new Adam(twoGroups(wrong.parameters()), Adam.options().lr(0.01).amsgrad(true));
        StepLR wrongSched = new StepLR(wrongOpt, 3, 0.5);
        Map<String, Tensor> wrongBefore = snapshot(wrong);
        assertThrows(RuntimeException.class, () -> Checkpoint.load(file, wrong, wrongOpt, wrongSched));
        assertModelEquals(wrongBefore, wrong);
        assertEquals(0, wrongSched.lastEpoch());
        assertEquals(null, wrongOpt.getState(wrong.parameters().get(0)));

        // not a checkpoint at all
        Path junk = dir.resolve("junk.bin");
        Files.write(junk, new byte[] {1, 2, 3});
        assertThrows(RuntimeException.class, () -> Checkpoint.load(junk, other.model, other.opt, other.sched));
        assertEquals(before, describe(other.opt.stateDict()));
    }

    private static Map<String, Tensor> snapshot(Module m) {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : m.stateDict().entrySet()) {
            out.put(e.getKey(), Tensor.of(e.getValue().toArray(), e.getValue().shape()));
        }
        return out;
    }

    private static void assertModelEquals(Map<String, Tensor> expected, Module m) {
        Map<String, Tensor> now = m.stateDict();
        for (String k : expected.keySet()) {
            assertArrayEquals(expected.get(k).toArray(), now.get(k).toArray(), 0f, k);
        }
    }
}
