package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Fixtures;
import dev.vgrad.core.testing.Fixtures.FixtureTensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Ops on tensors with a zero-size dimension against PyTorch 1.13 ({@code empty_ops.json} from
 * tools/fixtures/empty_ops.py, docs/SEMANTICS.md §10): products with an empty inner, outer or batch dim, layers and
 * losses on an empty batch (a mean over nothing is NaN, a sum 0), softmax, sort, topk, cumsum, gathers, reshapes
 * and masks. Each case checks the output's shape, dtype and values, and the gradient of {@code sum(output)} for
 * every floating input (zeros of the input's shape, weights included), or PyTorch's error text. In float64 and
 * float32. Modules ({@code empty_modules.json}: recurrent nets and cells, attention, a transformer layer, norms,
 * convolutions, resizing, dropout, embedding) on an empty batch or sequence give PyTorch's output shapes or error.
 */
class EmptyOpsConformanceTest {
    private static final Map<String, Object> ROOT = Fixtures.load("empty_ops.json");

    @TestFactory
    Stream<DynamicTest> matchesPyTorch() {
        List<Map<String, Object>> cases = Fixtures.cases(ROOT);
        assertTrue(cases.size() > 80, "cases: " + cases.size());
        List<DynamicTest> tests = new ArrayList<>();
        for (Map<String, Object> c : cases) {
            for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
                tests.add(DynamicTest.dynamicTest(c.get("name") + " " + dt, () -> check(c, dt)));
            }
        }
        return tests.stream();
    }

    /** Modules on an empty batch or sequence ({@code empty_modules.json}): every output's shape, or the error. */
    @TestFactory
    Stream<DynamicTest> modulesMatchPyTorch() {
        List<Map<String, Object>> cases = Fixtures.cases(Fixtures.load("empty_modules.json"));
        assertTrue(cases.size() >= 18, "cases: " + cases.size());
        return cases.stream().map(c -> DynamicTest.dynamicTest((String) c.get("name"), () -> checkModule(c)));
    }

    private static void checkModule(Map<String, Object> c) {
        String name = (String) c.get("name");
        String op = (String) c.get("op");
        if (c.containsKey("error")) {
            String want = (String) c.get("error");
            RuntimeException e = assertThrows(RuntimeException.class, () -> module(op), name);
            assertTrue(e instanceof IllegalArgumentException || e instanceof IllegalStateException, name + ": " + e);
            assertTrue(e.getMessage().contains(want), name + ": got \"" + e.getMessage() + "\", PyTorch: \"" + want
                    + "\"");
            return;
        }
        List<Tensor> ys = module(op);
        List<Object> shapes = Fixtures.list(c, "shapes");
        assertEquals(shapes.size(), ys.size(), name + ": outputs");
        for (int i = 0; i < ys.size(); i++) {
            assertArrayEquals(Fixtures.ints(shapes.get(i)), ys.get(i).shape(), name + ": output " + i + " shape");
        }
        if (c.containsKey("y")) {
            FixtureTensor want = Fixtures.tensor(c, "y");
            Fixtures.assertClose(want.data(), ys.get(0).toDoubleArray(), 1e-7, 1e-7, name);
        }
    }

    private static List<Tensor> module(String op) {
        Generator g = new Generator(0);
        return switch (op) {
            case "lstm_b0" -> rnn(new LSTM(4, 3, 1, true, true, 0.0, false, g).forward(Tensor.zeros(0, 5, 4), null, null));
            case "lstm_t0" -> rnn(new LSTM(4, 3, 1, true, true, 0.0, false, g).forward(Tensor.zeros(2, 0, 4), null, null));
            case "gru_b0" -> {
                GRU.Output o = new GRU(4, 3, 1, true, true, 0.0, false, g).forward(Tensor.zeros(0, 5, 4), null);
                yield List.of(o.output(), o.hN());
            }
            case "lstm_cell_b0" -> {
                LSTMCell.State s = new LSTMCell(4, 3, true, g).forward(Tensor.zeros(0, 4), null, null);
                yield List.of(s.h(), s.c());
            }
            case "mha_b0" -> mha(g, new int[] {0, 5, 4}, new int[] {0, 5, 4});
            case "mha_t0" -> mha(g, new int[] {2, 0, 4}, new int[] {2, 0, 4});
            case "mha_s0" -> mha(g, new int[] {2, 3, 4}, new int[] {2, 0, 4});
            case "encoder_b0" -> List.of(encoder(g).forward(Tensor.zeros(0, 5, 4)));
            case "encoder_t0" -> List.of(encoder(g).forward(Tensor.zeros(2, 0, 4)));
            case "batchnorm1d_eval_b0" -> {
                BatchNorm1d bn = new BatchNorm1d(3);
                bn.eval();
                yield List.of(bn.forward(Tensor.zeros(0, 3)));
            }
            case "conv1d_b0" -> List.of(new Conv1d(3, 4, 3).forward(Tensor.zeros(0, 3, 5)));
            case "conv_transpose2d_b0" -> List.of(new ConvTranspose2d(3, 4, 3, 1).forward(Tensor.zeros(0, 3, 5, 5)));
            case "upsample_nearest_b0" -> List.of(new Upsample(2.0).forward(Tensor.zeros(0, 3, 2, 2)));
            case "upsample_bilinear_b0" -> List.of(new Upsample(null, new double[] {2.0, 2.0}, "bilinear", null)
                    .forward(Tensor.zeros(0, 3, 2, 2)));
            case "group_norm_b0" -> List.of(new GroupNorm(1, 3).forward(Tensor.zeros(0, 3, 2)));
            case "dropout_train_b0" -> List.of(new Dropout(0.5).forward(Tensor.zeros(0, 3)));
            case "embedding_b0" -> List.of(new Embedding(5, 3).forward(Tensor.zeros(DType.INT64, 0, 4)));
            case "adaptive_avg_pool2d_b0" -> List.of(new AdaptiveAvgPool2d(1).forward(Tensor.zeros(0, 3, 4, 4)));
            default -> throw new AssertionError("unknown module case " + op);
        };
    }

    private static List<Tensor> rnn(LSTM.Output o) {
        return List.of(o.output(), o.hN(), o.cN());
    }

    private static List<Tensor> mha(Generator g, int[] q, int[] kv) {
        MultiheadAttention m = new MultiheadAttention(4, 2, 0.0, true, null, null, true, g);
        MultiheadAttention.Output o = m.forward(Tensor.zeros(q), Tensor.zeros(kv), Tensor.zeros(kv));
        return List.of(o.output(), o.weights());
    }

    private static TransformerEncoderLayer encoder(Generator g) {
        return new TransformerEncoderLayer(4, 2, 8, 0.1, "relu", 1e-5, true, false, g);
    }

    private static void check(Map<String, Object> c, DType dt) {
        String name = c.get("name") + " " + dt;
        Map<String, Object> rawInputs = Fixtures.map(c, "inputs");
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (String k : rawInputs.keySet()) {
            Tensor t = Fx.t(rawInputs, k, dt);
            in.put(k, t.dtype().isFloatingPoint() ? t.requiresGrad(true) : t);
        }
        Map<String, Object> params = Fixtures.map(c, "params");
        String op = (String) c.get("op");
        if (c.containsKey("error")) {
            String want = (String) c.get("error");
            RuntimeException e = assertThrows(RuntimeException.class, () -> apply(op, in, params), name);
            assertTrue(e instanceof IllegalArgumentException || e instanceof IllegalStateException
                    || e instanceof IndexOutOfBoundsException, name + ": " + e);
            assertTrue(e.getMessage().contains(want), name + ": got \"" + e.getMessage() + "\", PyTorch: \"" + want
                    + "\"");
            return;
        }
        Tensor y = apply(op, in, params);
        FixtureTensor want = Fixtures.tensor(c, "y");
        assertArrayEquals(want.shape(), y.shape(), name + ": shape");
        if (want.isFloating()) {
            assertEquals(dt, y.dtype(), name + ": dtype");
            double tol = dt == DType.FLOAT64 ? 1e-12 : 1e-6;
            Fixtures.assertClose(want.data(), y.toDoubleArray(), tol, tol, name);
        } else {
            assertEquals(DType.INT64, y.dtype(), name + ": dtype");
            assertArrayEquals(want.longs(), y.toLongArray(), name);
        }
        if (!c.containsKey("grads")) {
            return;
        }
        y.sum().backward();
        Map<String, Object> grads = Fixtures.map(c, "grads");
        for (String k : grads.keySet()) {
            FixtureTensor g = Fixtures.tensor(grads, k);
            Tensor got = in.get(k).grad();
            // an input the output does not depend on may keep a null gradient where PyTorch's is unused (zeros here)
            double[] gv = got == null ? new double[g.numel()] : got.toDoubleArray();
            assertArrayEquals(g.shape(), got == null ? in.get(k).shape() : got.shape(), name + ": grad " + k + " shape");
            Fixtures.assertClose(g.data(), gv, 1e-6, 1e-6, name + ": grad " + k);
        }
    }

    private static Tensor apply(String op, Map<String, Tensor> in, Map<String, Object> params) {
        Tensor a = in.get("a");
        Tensor b = in.get("b");
        Tensor c = in.get("c");
        int dim = params.containsKey("dim") ? Fixtures.integer(params, "dim") : 0;
        return switch (op) {
            case "matmul" -> a.matmul(b);
            case "linear" -> F.linear(a, b, c);
            case "conv2d" -> F.conv2d(a, b, c, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1);
            case "max_pool2d" -> a.maxPool2d(2);
            case "avg_pool2d" -> a.avgPool2d(2);
            case "cat0" -> Tensor.cat(List.of(a, b), 0);
            case "cat1" -> Tensor.cat(List.of(a, b), 1);
            case "stack0" -> Tensor.stack(List.of(a, b), 0);
            case "softmax" -> a.softmax(dim);
            case "log_softmax" -> a.logSoftmax(dim);
            case "cumsum" -> a.cumsum(dim);
            case "sort" -> a.sort(dim, false).values();
            case "argsort" -> a.argsort(dim, false);
            case "flip" -> a.flip(dim);
            case "logsumexp" -> a.logsumexp(new int[] {dim}, false);
            case "topk" -> a.topk(Fixtures.integer(params, "k"), dim, true, true).values();
            case "index_select" -> a.indexSelect(a.dim() == 2 && a.size(0) == 0 ? 1 : 0, b);
            case "gather" -> a.gather(a.size(0) == 0 ? 0 : 1, b);
            case "embedding" -> F.embedding(b, a, null);
            case "repeat" -> a.size(0) == 0 ? a.repeat(2, 2) : a.repeat(0, 2);
            case "tril" -> a.tril(0);
            case "triu" -> a.triu(1);
            case "reshape_flat" -> a.reshape(-1);
            case "reshape_05" -> a.reshape(0, 5);
            case "reshape_m10" -> a.reshape(-1, 0);
            case "narrow" -> a.narrow(0, 2, 0);
            case "select" -> a.select(0, 0);
            case "transpose" -> a.t().contiguous();
            case "split" -> a.split(2, 0).get(0);
            case "cross_entropy_mean" -> F.crossEntropy(a, b);
            case "cross_entropy_sum" -> F.crossEntropy(a, b, null, -100, "sum", 0.0);
            case "cross_entropy_none" -> F.crossEntropy(a, b, null, -100, "none", 0.0);
            case "nll_loss_mean" -> F.nllLoss(a, b);
            case "nll_loss_sum" -> F.nllLoss(a, b, null, -100, "sum");
            case "mse_loss_mean" -> F.mseLoss(a, b);
            case "mse_loss_sum" -> F.mseLoss(a, b, "sum");
            case "l1_loss_mean" -> F.l1Loss(a, b);
            case "l1_loss_sum" -> F.l1Loss(a, b, "sum");
            case "layer_norm" -> F.layerNorm(a, new int[] {4}, b, c, 1e-5);
            case "group_norm" -> F.groupNorm(a, 2, b, c, 1e-5);
            case "maximum" -> a.maximum(b);
            case "where" -> Tensor.where(a.gt(0), a, b);
            case "masked_fill" -> a.maskedFill(a.gt(0), 1.0);
            case "clamp" -> a.clamp(-1.0, 1.0);
            case "std" -> a.std();
            case "var_dim" -> a.var(new int[] {1}, 1, false);
            case "einsum_ij_jk" -> Tensor.einsum("ij,jk->ik", a, b);
            case "einsum_bij_bjk" -> Tensor.einsum("bij,bjk->bik", a, b);
            case "nonzero" -> a.nonzero();
            case "masked_select" -> a.maskedSelect(a.gt(0));
            case "arange0" -> Tensor.arange(0L);
            case "randperm0" -> Tensor.randperm(0, new Generator(0));
            default -> throw new AssertionError("unknown op " + op);
        };
    }
}
