package dev.vgrad.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.CrossEntropyLoss;
import dev.vgrad.nn.Linear;
import dev.vgrad.nn.ReLU;
import dev.vgrad.nn.Sequential;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code zeroGrad} recycles a dropped {@code .grad} only when no reference to it left vgrad (docs/SEMANTICS.md
 * §25), seen through the public API: a gradient user code read with {@code grad()}, a view of one, a gradient
 * clipped by {@link ClipGrad} and then read, and the gradient an update rule written outside vgrad received all
 * keep their values through later steps, whose gradients of the same sizes come from recycled arrays; and
 * training with recycling gives the same bits as with every gradient read (so none recycled).
 */
class GradRecyclingTest {
    private record Run(List<Tensor> kept, List<double[]> snapshots, double[] losses) {}

    /** Adam (or the given optimizer) on a small MLP; at the steps in {@code keepAt} user code keeps the gradients. */
    private static Run train(boolean readEveryGrad, java.util.function.Function<List<Tensor>, Optimizer> make,
                             List<Integer> keepAt) {
        Generator gen = new Generator(7);
        Sequential model = new Sequential(new Linear(40, 64, true, gen), new ReLU(), new Linear(64, 48, true, gen));
        List<Tensor> params = model.parameters();
        Optimizer opt = make.apply(params);
        Tensor x = Tensor.randn(gen, 32, 40);
        long[] y = new long[32];
        for (int i = 0; i < y.length; i++) {
            y[i] = i % 48;
        }
        Tensor target = Tensor.ofLongs(y, 32);
        CrossEntropyLoss ce = new CrossEntropyLoss();
        List<Tensor> kept = new ArrayList<>();
        List<double[]> snapshots = new ArrayList<>();
        double[] losses = new double[12];
        for (int step = 0; step < losses.length; step++) {
            opt.zeroGrad();
            Tensor loss = ce.forward(model.forward(x), target);
            loss.backward();
            if (step % 3 == 1) {
                ClipGrad.clipGradNorm(params, 0.5);
            }
            if (readEveryGrad) {
                params.forEach(Tensor::grad);
            }
            if (keepAt.contains(step)) {
                for (Tensor p : params) {
                    Tensor g = step % 2 == 0 ? p.grad() : p.grad().view(-1);
                    kept.add(g);
                    snapshots.add(g.toDoubleArray());
                }
            }
            opt.step();
            losses[step] = loss.item();
        }
        return new Run(kept, snapshots, losses);
    }

    private static void assertKeptUnchanged(Run r) {
        assertFalse(r.kept.isEmpty());
        for (int i = 0; i < r.kept.size(); i++) {
            assertArrayEquals(r.snapshots.get(i), r.kept.get(i).toDoubleArray(),
                    "kept gradient " + i + " was overwritten after zeroGrad");
        }
    }

    @Test
    void gradientsUserCodeReadAreNeverRecycled() {
        Run free = train(false, ps -> new Adam(ps, 1e-2), List.of(2, 5, 6));
        assertKeptUnchanged(free);
        Run pinned = train(true, ps -> new Adam(ps, 1e-2), List.of(2, 5, 6));
        assertArrayEquals(pinned.losses, free.losses, "recycling changed the training");
        Run sgd = train(false, ps -> new SGD(ps, SGD.options().lr(0.05).momentum(0.9)), List.of(1, 4));
        assertKeptUnchanged(sgd);
    }

    @Test
    void anUpdateRuleWrittenOutsideVgradMayKeepItsGradients() {
        List<Tensor> keptByRule = new ArrayList<>();
        List<double[]> snapshots = new ArrayList<>();
        train(false, ps -> new Optimizer(ps, Map.of("lr", 0.05)) {
            @Override
            protected void validateGroup(ParamGroup g) {
            }

            @Override
            protected void update(ParamGroup g, Tensor param, Tensor p, Tensor grad) {
                keptByRule.add(grad);
                snapshots.add(grad.toDoubleArray());
                p.sub_(grad.mul(g.getDouble("lr")));
            }
        }, List.of());
        assertFalse(keptByRule.isEmpty());
        for (int i = 0; i < keptByRule.size(); i++) {
            assertArrayEquals(snapshots.get(i), keptByRule.get(i).toDoubleArray(),
                    "a gradient the custom update rule kept (" + i + ") was overwritten");
        }
    }

    @Test
    void stateIsUnaffected() {
        // the optimizer's own buffers are never gradients: Adam's moments after training match with and without
        // recycling (compared through the public state dict)
        Map<String, Object> a = stateAfter(false);
        Map<String, Object> b = stateAfter(true);
        assertArrayEquals(((Tensor) b.get("exp_avg")).toDoubleArray(), ((Tensor) a.get("exp_avg")).toDoubleArray());
        assertArrayEquals(((Tensor) b.get("exp_avg_sq")).toDoubleArray(),
                ((Tensor) a.get("exp_avg_sq")).toDoubleArray());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> stateAfter(boolean readEveryGrad) {
        Optimizer[] holder = new Optimizer[1];
        train(readEveryGrad, ps -> holder[0] = new Adam(ps, 1e-2), List.of());
        Map<String, Object> sd = holder[0].stateDict();
        Map<Object, Object> state = (Map<Object, Object>) sd.get("state");
        return (Map<String, Object>) state.values().iterator().next();
    }
}
