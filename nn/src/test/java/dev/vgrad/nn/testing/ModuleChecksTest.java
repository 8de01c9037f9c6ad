package dev.vgrad.nn.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.Function;
import dev.vgrad.core.FunctionContext;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.BatchNorm1d;
import dev.vgrad.nn.Dropout;
import dev.vgrad.nn.Linear;
import dev.vgrad.nn.Module;
import dev.vgrad.nn.ReLU;
import dev.vgrad.nn.Sequential;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Mutation check of {@link ModuleChecks}: a correct layer passes every law, and each deliberately broken layer
 * breaks exactly the law written for its bug, with a message that names the law, the layer, the input shape and
 * the differing index or value.
 */
class ModuleChecksTest {
    private static final Tensor X = Tensor.randn(new Generator(7), 4, 3);

    /** A correct composite layer: children in fields, BatchNorm buffers, Dropout in train mode. */
    static final class Good extends Module {
        final Linear fc = registerModule("fc", new Linear(3, 5, true, new Generator(1)));
        final BatchNorm1d bn = registerModule("bn", new BatchNorm1d(5));
        final Dropout drop = registerModule("drop", new Dropout(0.3, new Generator(2)));
        final Linear out = registerModule("out", new Linear(5, 2, true, new Generator(3)));

        @Override
        public Tensor forward(Tensor x) {
            return out.call(drop.call(bn.call(fc.call(x)).tanh()));
        }
    }

    /** Adds fresh noise even in eval mode. */
    static final class NoisyInEval extends Module {
        final Linear fc = registerModule("fc", new Linear(3, 2, true, new Generator(1)));
        final Generator g = new Generator(9);

        @Override
        public Tensor forward(Tensor x) {
            return fc.call(x).add(Tensor.randn(g, x.shape()[0], 2).mul(1e-3));
        }
    }

    /** Subtracts the batch mean: every sample's output depends on the others. */
    static final class BatchMean extends Module {
        final Linear fc = registerModule("fc", new Linear(3, 2, true, new Generator(1)));

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = fc.call(x);
            return h.sub(h.mean(new int[] {0}, true));
        }
    }

    /** Turns grad mode back on inside forward, so no-grad callers still get a graph. */
    static final class ForcesGraph extends Module {
        final Linear fc = registerModule("fc", new Linear(3, 2, true, new Generator(1)));

        @Override
        public Tensor forward(Tensor x) {
            try (Grad.Scope on = Grad.enabled()) {
                return fc.call(x);
            }
        }
    }

    /** Keeps its last input for "debugging": the input outlives every call. */
    static final class CachesInput extends Module {
        final Linear fc = registerModule("fc", new Linear(3, 2, true, new Generator(1)));
        Tensor last;

        @Override
        public Tensor forward(Tensor x) {
            last = x;
            return fc.call(x);
        }
    }

    /** y = x² whose backward forgets the factor 2. */
    static final class HalfSquare extends Function {
        @Override
        protected Tensor forward(FunctionContext ctx, Tensor... in) {
            ctx.saveForBackward(in[0]);
            return in[0].mul(in[0]);
        }

        @Override
        protected Tensor[] backward(FunctionContext ctx, Tensor g) {
            return new Tensor[] {g.mul(ctx.savedTensors()[0])};
        }
    }

    static final class WrongBackward extends Module {
        final Linear fc = registerModule("fc", new Linear(3, 2, true, new Generator(1)));

        @Override
        public Tensor forward(Tensor x) {
            return new HalfSquare().apply(fc.call(x));
        }
    }

    /** Tracks a running mean in train mode and uses it in eval, but registers it as non-persistent. */
    static final class ForgetsBuffer extends Module {
        final Linear fc = registerModule("fc", new Linear(3, 2, true, new Generator(1)));

        ForgetsBuffer() {
            registerBuffer("running_mean", Tensor.zeros(2), false);
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = fc.call(x);
            if (isTraining()) {
                try (Grad.Scope off = Grad.disabled()) {
                    buffer("running_mean").mul_(0.9).add_(h.detach().mean(new int[] {0}, false).mul(0.1));
                }
                return h;
            }
            return h.sub(buffer("running_mean"));
        }
    }

    /** A dropout whose train(false) is ignored. */
    static final class StubbornDropout extends Dropout {
        StubbornDropout() {
            super(0.5, new Generator(4));
        }

        @Override
        public Module train(boolean mode) {
            training = true;
            return this;
        }
    }

    static final class ChildIgnoresEval extends Module {
        final Linear fc = registerModule("fc", new Linear(3, 2, true, new Generator(1)));
        final Dropout drop = registerModule("drop", new StubbornDropout());

        @Override
        public Tensor forward(Tensor x) {
            return drop.call(fc.call(x));
        }
    }

    private static void breaks(Supplier<? extends Module> factory, Executable law, String... fragments) {
        AssertionError e = assertThrows(AssertionError.class, law);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message lacks '" + f + "':\n" + e.getMessage());
        }
        // checkAll reports the same law first, since every other law holds for each broken layer
        AssertionError all = assertThrows(AssertionError.class, () -> ModuleChecks.of(factory, X).checkAll());
        assertTrue(all.getMessage().startsWith(e.getMessage().substring(0, e.getMessage().indexOf(':', 15))),
                "checkAll reported another law first:\n" + all.getMessage() + "\nexpected\n" + e.getMessage());
    }

    @Test
    void correctLayersPassEveryLaw() {
        ModuleChecks.of(Good::new, X).checkAll();
        ModuleChecks.of(() -> new Sequential(new Linear(3, 4, true, new Generator(5)), new ReLU(),
                new Linear(4, 2, true, new Generator(6))), X).checkAll();
    }

    @Test
    void nonDeterminismInEvalIsCaught() {
        breaks(NoisyInEval::new, () -> ModuleChecks.of(NoisyInEval::new, X).evalIsDeterministic(),
                "ModuleChecks: law 'eval is deterministic (docs/SEMANTICS.md §12.3)' broke for NoisyInEval on input "
                        + "shape [4, 3] float32: second eval call vs first: output [0, 0] is ",
                "(bit-identical)");
    }

    @Test
    void mixingSamplesIsCaught() {
        breaks(BatchMean::new, () -> ModuleChecks.of(BatchMean::new, X).evalIsBatchIndependent(),
                "law 'a sample's eval output does not depend on its batch", "broke for BatchMean on input shape [4, 3]",
                "rows 0..1 alone vs in the whole batch: output [0, 0] is ");
    }

    @Test
    void aGraphUnderNoGradIsCaught() {
        breaks(ForcesGraph::new, () -> ModuleChecks.of(ForcesGraph::new, X).noGradBuildsNothing(),
                "law 'no-grad builds no graph and retains nothing (docs/SEMANTICS.md §5.5)' broke for ForcesGraph",
                "eval mode: the output of a call under Grad.disabled() has grad_fn=", "requiresGrad=true");
    }

    @Test
    void aRetainedInputIsCaught() {
        breaks(CachesInput::new, () -> ModuleChecks.of(CachesInput::new, X).noGradBuildsNothing(),
                "broke for CachesInput", "eval mode: the input of a no-grad call is still reachable after the caller "
                        + "dropped it");
    }

    @Test
    void aWrongBackwardIsCaught() {
        breaks(WrongBackward::new, () -> ModuleChecks.of(WrongBackward::new, X).gradientsMatchFiniteDifferences(),
                "law 'gradients match finite differences in float64 (docs/SEMANTICS.md §12.5)' broke for WrongBackward",
                "inputs are [input, fc.weight, fc.bias]; max |analytic − numeric| = ");
    }

    @Test
    void aBufferMissingFromTheStateDictIsCaught() {
        breaks(ForgetsBuffer::new, () -> ModuleChecks.of(ForgetsBuffer::new, X).stateDictRoundTrips(),
                "law 'a state-dict round trip gives the same outputs (docs/SEMANTICS.md §13)' broke for ForgetsBuffer",
                "fresh instance after loadStateDict(stateDict()) vs original: output [0, 0] is ");
    }

    @Test
    void aChildIgnoringEvalIsCaught() {
        breaks(ChildIgnoresEval::new, () -> ModuleChecks.of(ChildIgnoresEval::new, X).trainAndEvalReachEveryChild(),
                "law 'train()/eval() reach every child (docs/SEMANTICS.md §1.2)' broke for ChildIgnoresEval",
                "eval() left child 'drop' (StubbornDropout) with isTraining() == true");
    }

    @Test
    void badArgumentsAreRejectedEarly() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModuleChecks.of(Good::new, Tensor.randn(new Generator(1), 1, 3)));
        assertTrue(e.getMessage().contains("must be at least 2") && e.getMessage().contains("[1, 3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ModuleChecks.of(null, X));
    }
}
