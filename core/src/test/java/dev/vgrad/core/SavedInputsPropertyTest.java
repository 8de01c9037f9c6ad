package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.testing.Fixtures;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Version checks of saved inputs (docs/SEMANTICS.md §5.7): for every differentiable core op, over random shapes,
 * values, dtypes and layouts (a random input may be a transposed, non-contiguous view), each input is modified in
 * place between forward and backward ({@code add_(0)} under no-grad: only the version changes). Backward must
 * fail with the version error exactly for the inputs PyTorch 1.13 saves, and succeed for the others. Which inputs
 * PyTorch saves comes from {@code saved_inputs.json}, written by {@code tools/fixtures/saved_inputs.py}, which runs
 * the same experiment on PyTorch.
 */
class SavedInputsPropertyTest {
    private static final int EXAMPLES = 25;
    private static final AtomicInteger TRIED = new AtomicInteger();
    private static final AtomicInteger FAILED = new AtomicInteger();

    /** One op applied to its inputs. */
    record Case(Tensor[] inputs, Function<Tensor[], Tensor> op, String shapes) {}

    /** Random inputs drawn from one seed; the same seed gives the same inputs again. */
    static final class In {
        final Generator g;
        final StringBuilder shapes = new StringBuilder();
        /** When set, every floating input gets this dtype (PyTorch's matmul and conv2d reject mixed dtypes). */
        DType fixed;

        In(long seed) {
            g = new Generator(seed);
        }

        int size(int lo, int hi) {
            return lo + (int) g.nextLong(hi - lo + 1);
        }

        int[] shape(int minRank, int maxRank) {
            int rank = size(minRank, maxRank);
            int[] s = new int[rank];
            for (int i = 0; i < rank; i++) {
                s[i] = size(1, 4);
            }
            return s;
        }

        /**
         * A floating input requiring grad, values in [0.5, 1.5): float32 or float64, and for rank ≥ 2 sometimes a
         * transposed view of a leaf (non-contiguous), so saving a contiguous copy instead of the input is caught.
         */
        Tensor x(int... shape) {
            DType dt = g.nextBernoulli(0.5) ? DType.FLOAT32 : DType.FLOAT64;
            dt = fixed != null ? fixed : dt;
            Tensor t;
            if (shape.length >= 2 && g.nextBernoulli(0.4)) {
                int[] swapped = shape.clone();
                swapped[shape.length - 1] = shape[shape.length - 2];
                swapped[shape.length - 2] = shape[shape.length - 1];
                t = TestTensors.uniform(g, 0.5, 1.5, swapped).to(dt).requiresGrad(true).transpose(-1, -2);
            } else {
                t = TestTensors.uniform(g, 0.5, 1.5, shape).to(dt).requiresGrad(true);
            }
            note(t);
            return t;
        }

        /** A float64 input that does not require grad. */
        Tensor c(int... shape) {
            Tensor t = TestTensors.uniform(g, 0.5, 1.5, shape);
            note(t);
            return t;
        }

        /** An int64 tensor of the given shape with values in [0, bound). */
        Tensor index(int bound, int... shape) {
            long[] v = new long[Shape.numel(shape)];
            for (int i = 0; i < v.length; i++) {
                v[i] = g.nextLong(bound);
            }
            Tensor t = Tensor.ofLongs(v, shape);
            note(t);
            return t;
        }

        private void note(Tensor t) {
            shapes.append(t.dtype()).append(TestTensors.str(t.shape())).append(t.isContiguous() ? "" : "(strided)")
                    .append(' ');
        }

        Case of(Function<Tensor[], Tensor> op, Tensor... inputs) {
            return new Case(inputs, op, shapes.toString());
        }
    }

    /** The op table: names match {@code saved_inputs.json}. */
    static Map<String, Function<In, Case>> ops() {
        Map<String, Function<In, Case>> m = new LinkedHashMap<>();
        unary(m, "neg", Tensor::neg);
        unary(m, "exp", Tensor::exp);
        unary(m, "log", Tensor::log);
        unary(m, "sqrt", Tensor::sqrt);
        unary(m, "reciprocal", Tensor::reciprocal);
        unary(m, "abs", Tensor::abs);
        unary(m, "tanh", Tensor::tanh);
        unary(m, "sigmoid", Tensor::sigmoid);
        unary(m, "relu", Tensor::relu);
        unary(m, "leaky_relu", t -> t.leakyRelu(0.1));
        unary(m, "gelu", Tensor::gelu);
        unary(m, "gelu_tanh", t -> t.gelu("tanh"));
        unary(m, "silu", Tensor::silu);
        unary(m, "softplus", Tensor::softplus);
        unary(m, "softplus_beta", t -> t.softplus(2, 10));
        unary(m, "pow_scalar", t -> t.pow(2.5));
        unary(m, "clamp", t -> t.clamp(0.6, 1.2));
        unary(m, "add_scalar", t -> t.add(1.5));
        unary(m, "mul_scalar", t -> t.mul(1.5));
        unary(m, "div_scalar", t -> t.div(1.5));
        unary(m, "to_float32", t -> t.to(t.dtype() == DType.FLOAT32 ? DType.FLOAT64 : DType.FLOAT32));
        unary(m, "clone", Tensor::cloneTensor);
        binary(m, "add", Tensor::add);
        binary(m, "sub", Tensor::sub);
        binary(m, "mul", Tensor::mul);
        binary(m, "div", Tensor::div);
        binary(m, "pow", Tensor::pow);
        binary(m, "maximum", Tensor::maximum);
        binary(m, "minimum", Tensor::minimum);
        m.put("mul_nograd_other", in -> {
            int[] s = in.shape(0, 3);
            return in.of(t -> t[0].mul(t[1]), in.x(s), in.c(TestTensors.broadcastable(in.g, s)));
        });
        m.put("div_nograd_other", in -> {
            int[] s = in.shape(0, 3);
            return in.of(t -> t[0].div(t[1]), in.x(s), in.c(TestTensors.broadcastable(in.g, s)));
        });
        m.put("where", in -> {
            int[] s = in.shape(0, 3);
            return in.of(t -> Tensor.where(t[0], t[1], t[2]), in.c(TestTensors.broadcastable(in.g, s)).gt(1),
                    in.x(s), in.x(TestTensors.broadcastable(in.g, s)));
        });
        m.put("mul_int_other", in -> {
            int[] s = in.shape(0, 3);
            return in.of(t -> t[0].mul(t[1]), in.x(s), in.index(4, TestTensors.broadcastable(in.g, s)));
        });
        m.put("masked_select", in -> {
            int[] s = in.shape(0, 3);
            return in.of(t -> t[0].maskedSelect(t[1]), in.x(s), in.c(TestTensors.broadcastable(in.g, s)).gt(1));
        });
        binary(m, "remainder", Tensor::remainder);
        m.put("masked_scatter", in -> {
            // PyTorch's masked_scatter requires source of self's dtype
            in.fixed = in.g.nextBernoulli(0.5) ? DType.FLOAT32 : DType.FLOAT64;
            int[] s = in.shape(0, 3);
            return in.of(t -> t[0].maskedScatter(t[1], t[2]), in.x(s), in.c(TestTensors.broadcastable(in.g, s)).gt(1),
                    in.x(Math.max(1, Shape.numel(s))));
        });
        m.put("remainder_nograd_other", in -> {
            int[] s = in.shape(0, 3);
            return in.of(t -> t[0].remainder(t[1]), in.x(s), in.c(TestTensors.broadcastable(in.g, s)));
        });
        unary(m, "sign", Tensor::sign);
        reduction(m, "sum", Tensor::sum);
        reduction(m, "mean", Tensor::mean);
        reduction(m, "var", Tensor::var);
        reduction(m, "max", Tensor::max);
        reduction(m, "max_dim", t -> t.max(-1, false));
        reduction(m, "amax", t -> t.amax(new int[] {-1}, false));
        reduction(m, "logsumexp", t -> t.logsumexp(new int[] {-1}, false));
        reduction(m, "softmax", t -> t.softmax(-1));
        reduction(m, "log_softmax", t -> t.logSoftmax(-1));
        m.put("matmul", in -> {
            in.fixed = in.g.nextBernoulli(0.5) ? DType.FLOAT32 : DType.FLOAT64;
            int k = in.size(1, 4);
            return in.of(t -> t[0].matmul(t[1]), in.x(in.size(1, 4), k), in.x(k, in.size(1, 4)));
        });
        m.put("matmul_batched", in -> {
            in.fixed = in.g.nextBernoulli(0.5) ? DType.FLOAT32 : DType.FLOAT64;
            int b = in.size(1, 3);
            int k = in.size(1, 4);
            return in.of(t -> t[0].matmul(t[1]), in.x(b, in.size(1, 4), k), in.x(b, k, in.size(1, 4)));
        });
        m.put("conv2d", in -> {
            // PyTorch's conv2d rejects mixed operand dtypes too (docs/SEMANTICS.md §11)
            in.fixed = in.g.nextBernoulli(0.5) ? DType.FLOAT32 : DType.FLOAT64;
            int c = in.size(1, 3);
            int o = in.size(1, 3);
            int kh = in.size(1, 2);
            int kw = in.size(1, 2);
            return in.of(t -> t[0].conv2d(t[1], t[2]), in.x(in.size(1, 2), c, in.size(kh, 5), in.size(kw, 5)),
                    in.x(o, c, kh, kw), in.x(o));
        });
        pool(m, "max_pool2d", t -> t.maxPool2d(2));
        pool(m, "avg_pool2d", t -> t.avgPool2d(2));
        pool(m, "adaptive_avg_pool2d", t -> t.adaptiveAvgPool2d(2, 1));
        m.put("cat", in -> {
            int[] s = in.shape(1, 3);
            return in.of(t -> Tensor.cat(List.of(t[0], t[1]), 0), in.x(s), in.x(s));
        });
        m.put("stack", in -> {
            int[] s = in.shape(0, 3);
            return in.of(t -> Tensor.stack(List.of(t[0], t[1]), 0), in.x(s), in.x(s));
        });
        m.put("gather", in -> {
            int rows = in.size(1, 4);
            int cols = in.size(1, 4);
            return in.of(t -> t[0].gather(1, t[1]), in.x(rows, cols), in.index(cols, in.size(1, rows), in.size(1, 4)));
        });
        m.put("index_select", in -> {
            int rows = in.size(1, 4);
            return in.of(t -> t[0].indexSelect(0, t[1]), in.x(rows, in.size(1, 4)), in.index(rows, in.size(0, 5)));
        });
        return m;
    }

    private static void unary(Map<String, Function<In, Case>> m, String name, Function<Tensor, Tensor> f) {
        m.put(name, in -> in.of(t -> f.apply(t[0]), in.x(in.shape(0, 3))));
    }

    private static void reduction(Map<String, Function<In, Case>> m, String name, Function<Tensor, Tensor> f) {
        m.put(name, in -> in.of(t -> f.apply(t[0]), in.x(in.shape(1, 3))));
    }

    private static void pool(Map<String, Function<In, Case>> m, String name, Function<Tensor, Tensor> f) {
        m.put(name, in -> in.of(t -> f.apply(t[0]), in.x(in.size(1, 2), in.size(1, 3), in.size(2, 5), in.size(2, 5))));
    }

    private static void binary(Map<String, Function<In, Case>> m, String name, java.util.function.BinaryOperator<Tensor> f) {
        m.put(name, in -> {
            int[] s = in.shape(0, 3);
            boolean swap = in.g.nextBernoulli(0.5);
            Tensor a = in.x(s);
            Tensor b = in.x(TestTensors.broadcastable(in.g, s));
            return swap ? in.of(t -> f.apply(t[0], t[1]), b, a) : in.of(t -> f.apply(t[0], t[1]), a, b);
        });
    }

    /**
     * Runs {@code op} on fresh inputs, bumps the version of input {@code i} and runs backward; returns null when
     * the outcome is the expected one, else a description of the mismatch.
     */
    static String mismatch(String name, Function<In, Case> build, long seed, int i, boolean saved) {
        Case c = build.apply(new In(seed));
        Tensor out = c.op().apply(c.inputs());
        try (Grad.Scope off = Grad.disabled()) {
            // a zero of the input's own dtype: a bool input takes only a bool operand in place
            c.inputs()[i].add_(Tensor.zeros(c.inputs()[i].dtype()));
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

    /** Checks every op of {@code table} against {@code fixture}; both must list the same ops. */
    static void checkTable(String test, Map<String, Function<In, Case>> table, String fixture, AtomicInteger tried,
                           AtomicInteger failed) {
        Map<String, Object> root = Fixtures.load(fixture);
        assertEquals(new java.util.TreeSet<>(Fixtures.caseNames(root)), new java.util.TreeSet<>(table.keySet()),
                "the op table and " + fixture
                + " must list the same ops");
        List<String> failures = new java.util.ArrayList<>();
        for (Map<String, Object> fc : Fixtures.cases(root)) {
            String name = (String) fc.get("name");
            List<Object> saved = Fixtures.list(fc, "saved");
            Function<In, Case> build = table.get(name);
            // every op is run even when an earlier one fails, so one run lists every mismatch
            try {
                qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
                    int arity = build.apply(new In(seed)).inputs().length;
                    assertEquals(saved.size(), arity, name + ": fixture and table disagree on the number of inputs");
                    for (int i = 0; i < arity; i++) {
                        tried.incrementAndGet();
                        String bad = mismatch(name, build, seed, i, (Boolean) saved.get(i));
                        if (bad != null) {
                            failed.incrementAndGet();
                            fail(bad);
                        }
                    }
                });
            } catch (AssertionError e) {
                failures.add(e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            fail(test + ": " + failures.size() + " ops disagree with PyTorch:\n" + String.join("\n", failures));
        }
    }

    @Test
    void everyCoreOpChecksExactlyTheInputsPyTorchSaves() {
        checkTable("core", ops(), "saved_inputs.json", TRIED, FAILED);
    }

    /** The example: where's condition changed in place before backward used to give a.grad = 0 silently. */
    @Test
    void whereConditionModifiedInPlaceFailsBackward() {
        Tensor a = Tensor.of(new double[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {4, 5, 6}, 3).requiresGrad(true);
        Tensor cond = Tensor.of(new boolean[] {true, true, true}, 3);
        Tensor y = Tensor.where(cond, a, b);
        cond.fill_(0);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> y.sum().backward());
        assertTrue(e.getMessage().startsWith("one of the variables needed for gradient computation has been modified "
                + "by an inplace operation: [torch.BoolTensor [3]] is at version 1; expected version 0 instead."),
                e.getMessage());
        assertEquals(null, a.grad());
    }

    /** Unchanged condition: the gradient goes where the condition says (a sanity check of the same graph). */
    @Test
    void whereConditionUnchangedRoutesGradient() {
        Tensor a = Tensor.of(new double[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {4, 5, 6}, 3).requiresGrad(true);
        Tensor cond = Tensor.of(new boolean[] {true, false, true}, 3);
        Tensor.where(cond, a, b).sum().backward();
        assertNotNull(a.grad());
        assertEquals(List.of(1.0, 0.0, 1.0), List.of(a.grad().get(0), a.grad().get(1), a.grad().get(2)));
        assertEquals(List.of(0.0, 1.0, 0.0), List.of(b.grad().get(0), b.grad().get(1), b.grad().get(2)));
    }

    @AfterAll
    static void report() {
        System.out.println("[issue15] SavedInputsPropertyTest: " + TRIED.get() + " cases tried, " + FAILED.get()
                + " failures");
    }
}
