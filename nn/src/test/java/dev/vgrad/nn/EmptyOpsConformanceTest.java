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
 * float32.
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
