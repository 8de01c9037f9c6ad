package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Fixtures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Version checks of saved inputs for the nn ops (docs/SEMANTICS.md §5.7), as core's {@code SavedInputsPropertyTest}
 * does for core: random shapes, values, dtype and layouts (inputs of rank ≥ 2 are sometimes transposed views);
 * each input is modified in place ({@code add_(0)} under no-grad) between forward and backward, and backward must
 * fail with the version error exactly for the inputs PyTorch 1.13 saves ({@code saved_inputs.json}, written by
 * {@code tools/fixtures/saved_inputs.py}).
 */
class SavedInputsPropertyTest {
    private static final int EXAMPLES = 25;
    private static final AtomicInteger TRIED = new AtomicInteger();
    private static final AtomicInteger FAILED = new AtomicInteger();

    record Case(Tensor[] inputs, Function<Tensor[], Tensor> op, String shapes) {}

    /** Random inputs from one seed; one floating dtype per case, as PyTorch's nn ops require. */
    static final class In {
        final Generator g;
        final DType dtype;
        final StringBuilder shapes = new StringBuilder();

        In(long seed) {
            g = new Generator(seed);
            dtype = g.nextBernoulli(0.5) ? DType.FLOAT32 : DType.FLOAT64;
        }

        int size(int lo, int hi) {
            return lo + (int) g.nextLong(hi - lo + 1);
        }

        private Tensor values(int[] shape) {
            double[] d = new double[Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
            for (int i = 0; i < d.length; i++) {
                d[i] = 0.5 + g.nextDouble();
            }
            return Tensor.of(d, shape).to(dtype);
        }

        /** A floating input requiring grad; for rank ≥ 2 sometimes a transposed (non-contiguous) view of a leaf. */
        Tensor x(int... shape) {
            Tensor t;
            if (shape.length >= 2 && g.nextBernoulli(0.4)) {
                int[] swapped = shape.clone();
                swapped[shape.length - 1] = shape[shape.length - 2];
                swapped[shape.length - 2] = shape[shape.length - 1];
                t = values(swapped).requiresGrad(true).transpose(-1, -2);
            } else {
                t = values(shape).requiresGrad(true);
            }
            return note(t);
        }

        /** A floating input that does not require grad. */
        Tensor c(int... shape) {
            return note(values(shape));
        }

        /** int64 values in [0, bound). */
        Tensor index(int bound, int... shape) {
            long[] v = new long[Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
            for (int i = 0; i < v.length; i++) {
                v[i] = g.nextLong(bound);
            }
            return note(Tensor.ofLongs(v, shape));
        }

        private Tensor note(Tensor t) {
            shapes.append(t.dtype()).append(Arrays.toString(t.shape())).append(t.isContiguous() ? "" : "(strided)")
                    .append(' ');
            return t;
        }

        Case of(Function<Tensor[], Tensor> op, Tensor... inputs) {
            return new Case(inputs, op, shapes.toString());
        }
    }

    /** The op table: names match {@code saved_inputs.json}. */
    static Map<String, Function<In, Case>> ops() {
        Map<String, Function<In, Case>> m = new LinkedHashMap<>();
        m.put("linear", in -> {
            int k = in.size(1, 4);
            int o = in.size(1, 4);
            return in.of(t -> F.linear(t[0], t[1], t[2]), in.x(in.size(1, 4), k), in.x(o, k), in.x(o));
        });
        m.put("linear_3d", in -> {
            int k = in.size(1, 4);
            int o = in.size(1, 4);
            return in.of(t -> F.linear(t[0], t[1], t[2]), in.x(in.size(1, 3), in.size(1, 3), k), in.x(o, k), in.x(o));
        });
        m.put("embedding", in -> {
            int vocab = in.size(1, 5);
            return in.of(t -> F.embedding(t[0], t[1], null), in.index(vocab, in.size(0, 3), in.size(1, 3)),
                    in.x(vocab, in.size(1, 4)));
        });
        for (boolean training : new boolean[] {true, false}) {
            m.put(training ? "batch_norm_train" : "batch_norm_eval", in -> {
                int ch = in.size(1, 3);
                return in.of(t -> F.batchNorm(t[0], t[1], t[2], t[3], t[4], training, 0.1, 1e-5),
                        in.x(in.size(2, 3), ch, in.size(1, 3)), in.c(ch), in.c(ch), in.x(ch), in.x(ch));
            });
        }
        m.put("layer_norm", in -> {
            int d = in.size(1, 4);
            return in.of(t -> F.layerNorm(t[0], new int[] {d}, t[1], t[2], 1e-5), in.x(in.size(1, 3), d), in.x(d),
                    in.x(d));
        });
        m.put("cross_entropy", in -> {
            int n = in.size(1, 4);
            int cl = in.size(1, 4);
            return in.of(t -> F.crossEntropy(t[0], t[1]), in.x(n, cl), in.index(cl, n));
        });
        m.put("cross_entropy_weight", in -> {
            int n = in.size(1, 4);
            int cl = in.size(1, 4);
            return in.of(t -> F.crossEntropy(t[0], t[1], t[2], -100, "mean", 0.0), in.x(n, cl), in.index(cl, n),
                    in.c(cl));
        });
        m.put("cross_entropy_probs", in -> {
            int n = in.size(1, 4);
            int cl = in.size(1, 4);
            return in.of(t -> F.crossEntropy(t[0], t[1]), in.x(n, cl), in.x(n, cl));
        });
        m.put("nll_loss", in -> {
            int n = in.size(1, 4);
            int cl = in.size(1, 4);
            return in.of(t -> F.nllLoss(t[0], t[1]), in.x(n, cl), in.index(cl, n));
        });
        m.put("nll_loss_weight", in -> {
            int n = in.size(1, 4);
            int cl = in.size(1, 4);
            return in.of(t -> F.nllLoss(t[0], t[1], t[2], -100, "mean"), in.x(n, cl), in.index(cl, n), in.c(cl));
        });
        m.put("mse_loss", in -> {
            int[] s = {in.size(1, 3), in.size(1, 3)};
            return in.of(t -> F.mseLoss(t[0], t[1]), in.x(s), in.x(s));
        });
        m.put("bce_with_logits", in -> {
            int[] s = {in.size(1, 3), in.size(1, 3)};
            return in.of(t -> F.bceWithLogits(t[0], t[1]), in.x(s), in.c(s));
        });
        m.put("bce_with_logits_weights", in -> {
            int[] s = {in.size(1, 3), in.size(1, 3)};
            return in.of(t -> F.bceWithLogits(t[0], t[1], t[2], t[3], "mean"), in.x(s), in.c(s), in.c(s), in.c(s[1]));
        });
        return m;
    }

    /** Null when the outcome matches PyTorch's, else what went wrong. */
    static String mismatch(String name, Function<In, Case> build, long seed, int i, boolean saved) {
        Case c = build.apply(new In(seed));
        Tensor out = c.op().apply(c.inputs());
        try (Grad.Scope off = Grad.disabled()) {
            c.inputs()[i].add_(0);
        }
        String where = name + " input " + i + " (" + c.shapes() + ") seed " + seed + ": ";
        try {
            out.sum().backward();
            return saved ? where + "PyTorch saves this input, but backward succeeded after it was modified" : null;
        } catch (IllegalStateException e) {
            if (saved && e.getMessage().contains("modified by an inplace operation")) {
                return null;
            }
            return where + (saved ? "unexpected error " : "PyTorch does not save this input, but backward failed: ")
                    + e.getMessage();
        }
    }

    @Test
    void everyNnOpChecksExactlyTheInputsPyTorchSaves() {
        Map<String, Function<In, Case>> table = ops();
        Map<String, Object> root = Fixtures.load("saved_inputs.json");
        assertEquals(new TreeSet<>(Fixtures.caseNames(root)), new TreeSet<>(table.keySet()),
                "the op table and saved_inputs.json must list the same ops");
        List<String> failures = new ArrayList<>();
        for (Map<String, Object> fc : Fixtures.cases(root)) {
            String name = (String) fc.get("name");
            List<Object> saved = Fixtures.list(fc, "saved");
            Function<In, Case> build = table.get(name);
            try {
                qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
                    int arity = build.apply(new In(seed)).inputs().length;
                    assertEquals(saved.size(), arity, name + ": fixture and table disagree on the number of inputs");
                    for (int i = 0; i < arity; i++) {
                        TRIED.incrementAndGet();
                        String bad = mismatch(name, build, seed, i, (Boolean) saved.get(i));
                        if (bad != null) {
                            FAILED.incrementAndGet();
                            fail(bad);
                        }
                    }
                });
            } catch (AssertionError e) {
                failures.add(e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " nn ops disagree with PyTorch:\n" + String.join("\n", failures));
        }
    }

    /** The target of a loss modified in place before backward (PyTorch saves it; vgrad copied it silently). */
    @Test
    void mseTargetModifiedInPlaceFailsBackward() {
        Tensor x = Tensor.of(new double[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor y = Tensor.of(new double[] {0, 0, 0}, 3);
        Tensor loss = F.mseLoss(x, y);
        y.add_(1);
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("modified by an inplace operation: [torch.DoubleTensor [3]] is at version 1;"
                + " expected version 0 instead."), e.getMessage());
        assertEquals("MseLossBackward0", loss.gradFn().name());
    }

    /**
     * Batch norm saves its running statistics, but its own update of them in a training forward does not bump their
     * version (PyTorch 1.13: {@code running_mean._version} is unchanged by {@code bn(x)}), so two training forwards
     * before one backward work; a user's in-place change between forward and backward still fails.
     */
    @Test
    void batchNormRunningStatisticsUpdateKeepsTheVersion() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            TRIED.incrementAndGet();
            In in = new In(seed);
            int ch = in.size(1, 3);
            Tensor x = in.x(in.size(2, 4), ch, in.size(1, 3));
            Tensor rm = in.c(ch);
            Tensor rv = in.c(ch);
            int vm = rm.version();
            int vv = rv.version();
            Tensor y1 = F.batchNorm(x, rm, rv, null, null, true, 0.1, 1e-5);
            Tensor y2 = F.batchNorm(x, rm, rv, null, null, true, 0.1, 1e-5);
            String what = "seed " + seed + " " + in.shapes;
            assertEquals(vm, rm.version(), what);
            assertEquals(vv, rv.version(), what);
            y1.sum().add(y2.sum()).backward();
            Tensor y3 = F.batchNorm(x, rm, rv, null, null, true, 0.1, 1e-5);
            try (Grad.Scope off = Grad.disabled()) {
                rm.mul_(1.0);
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> y3.sum().backward(), what);
            assertTrue(e.getMessage().contains("modified by an inplace operation"), what + ": " + e.getMessage());
        });
    }

    @AfterAll
    static void report() {
        System.out.println("[issue15] nn.SavedInputsPropertyTest: " + TRIED.get() + " cases tried, " + FAILED.get()
                + " failures");
    }
}
