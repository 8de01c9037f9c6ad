package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every op rejects wrong shapes, ranks, dims and arguments with IllegalArgumentException (IndexOutOfBounds
 * for PyTorch's IndexError cases) whose message names the op and, where shapes are involved, the shapes;
 * never an ArrayIndexOutOfBoundsException from inside a kernel.
 */
class BadInputTest {
    private static final Tensor M23 = Tensor.ones(2, 3);
    private static final Tensor M34 = Tensor.ones(3, 4);
    private static final Tensor V3 = Tensor.ones(3);
    private static final Tensor S = Tensor.scalar(1);
    private static final Tensor IDX = Tensor.ofLongs(new long[] {0, 5}, 2);

    private static void rejects(Executable op, String... mustContain) {
        Throwable e = assertThrows(RuntimeException.class, op);
        assertTrue(e instanceof IllegalArgumentException
                        || (e instanceof IndexOutOfBoundsException && !(e instanceof ArrayIndexOutOfBoundsException)),
                () -> "wrong exception type " + e);
        for (String s : mustContain) {
            assertTrue(e.getMessage().contains(s), () -> "message \"" + e.getMessage() + "\" lacks \"" + s + "\"");
        }
    }

    @Test
    void factories() {
        rejects(() -> Tensor.of(new float[] {1, 2, 3}, 2, 2), "Tensor.of", "[2, 2]");
        rejects(() -> Tensor.zeros(2, -1), "zeros", "[2, -1]");
        rejects(() -> Tensor.full(1.0, -3), "full");
        rejects(() -> Tensor.arange(0, 5, 0), "arange");
        rejects(() -> Tensor.arange(5, 0, 1), "arange");
        rejects(() -> Tensor.linspace(0, 1, -1), "linspace");
        rejects(() -> Tensor.eye(-1), "eye");
        rejects(() -> Tensor.randint(new Generator(1), 3, 3, 2), "randint");
        rejects(() -> Tensor.zeros(100000, 100000), "[100000, 100000]");
    }

    @Test
    void elementwise() {
        rejects(() -> M23.add(M34), "add", "[2, 3]", "[3, 4]");
        rejects(() -> M23.sub(M34), "sub", "[2, 3]", "[3, 4]");
        rejects(() -> M23.mul(M34), "mul", "[2, 3]", "[3, 4]");
        rejects(() -> M23.div(M34), "div", "[2, 3]", "[3, 4]");
        rejects(() -> M23.pow(M34), "pow", "[2, 3]", "[3, 4]");
        rejects(() -> M23.maximum(M34), "maximum", "[2, 3]", "[3, 4]");
        rejects(() -> M23.minimum(M34), "minimum", "[2, 3]", "[3, 4]");
        rejects(() -> M23.gt(M34), "gt", "[2, 3]", "[3, 4]");
        rejects(() -> M23.eq(M34), "eq", "[2, 3]", "[3, 4]");
        rejects(() -> Tensor.where(M23.gt(0), M23, M34), "where", "[2, 3]", "[3, 4]");
        rejects(() -> M23.clamp(Double.NaN, Double.NaN), "clamp");
        rejects(() -> IDX.gelu(), "gelu", "Long");
        rejects(() -> IDX.detach().add_(V3), "add_", "Float", "Long");
        rejects(() -> IDX.floorDivide(IDX.mul(0)), "floor_divide", "ZeroDivisionError");
        rejects(() -> IDX.mean(), "mean", "Long");
        rejects(() -> M23.add_(M34), "add_", "[2, 3]", "[3, 4]");
        rejects(() -> V3.detach().mul_(M23), "mul_", "[3]", "[2, 3]");
        rejects(() -> M23.detach().copy_(M34), "copy_", "[3, 4]", "[2, 3]");
    }

    @Test
    void reductionsAndSoftmax() {
        rejects(() -> M23.sum(new int[] {2}, false), "sum", "Dimension out of range");
        rejects(() -> M23.sum(new int[] {0, 0}, false), "sum", "multiple times");
        rejects(() -> M23.mean(new int[] {-3}, false), "mean");
        rejects(() -> M23.var(new int[] {5}, 1, false), "var");
        rejects(() -> M23.amax(new int[] {2}, false), "amax");
        rejects(() -> M23.amin(new int[] {1, 1}, false), "amin");
        rejects(() -> M23.max(2, false), "max");
        rejects(() -> M23.min(-3, false), "min");
        rejects(() -> M23.argmax(2, false), "argmax");
        rejects(() -> M23.argmin(7, false), "argmin");
        rejects(() -> M23.logsumexp(new int[] {3}, false), "logsumexp");
        rejects(() -> M23.softmax(2), "softmax");
        rejects(() -> M23.logSoftmax(-3), "log_softmax");
        rejects(() -> Tensor.zeros(0, 3).max(), "max", "[0, 3]");
        rejects(() -> Tensor.zeros(0, 3).amax(new int[] {0}, false), "amax", "[0, 3]");
        rejects(() -> Tensor.zeros(0, 3).max(0, false), "max", "[0, 3]");
        rejects(() -> Tensor.zeros(0).argmax(), "argmax");
    }

    @Test
    void matmul() {
        rejects(() -> M23.matmul(M23), "matmul", "[2, 3]");
        rejects(() -> V3.matmul(Tensor.ones(4)), "matmul");
        rejects(() -> S.matmul(V3), "matmul", "0D");
        rejects(() -> Tensor.ones(2, 2, 3).matmul(Tensor.ones(3, 3, 4)), "matmul", "[2]", "[3]");
        rejects(() -> Tensor.ones(4).matmul(M34), "matmul");
        rejects(() -> Tensor.ones(5, 2, 3).matmul(M34.t()), "matmul");
        rejects(() -> IDX.gt(0).matmul(IDX.gt(0)), "matmul", "Bool");
        rejects(() -> IDX.matmul(IDX.toFloat()), "matmul", "Long", "Float");
    }

    @Test
    void views() {
        rejects(() -> M23.view(4, 2), "view", "[2, 3]");
        rejects(() -> M23.t().view(6), "view", "[3, 2]");
        rejects(() -> M23.reshape(-1, -1), "reshape");
        rejects(() -> M23.reshape(5), "reshape", "[2, 3]");
        rejects(() -> M23.transpose(0, 2), "transpose");
        rejects(() -> M23.permute(0), "permute", "[2, 3]");
        rejects(() -> M23.permute(0, 0), "permute");
        rejects(() -> M23.narrow(1, 2, 2), "narrow", "[2, 3]");
        rejects(() -> M23.narrow(2, 0, 1), "narrow");
        rejects(() -> M23.narrow(0, 0, -1), "narrow");
        rejects(() -> S.narrow(0, 0, 1), "narrow");
        rejects(() -> M23.slice(0, 0, 2, 0), "slice");
        rejects(() -> M23.select(0, 2), "select", "[2, 3]");
        rejects(() -> M23.select(2, 0), "select");
        rejects(() -> S.select(0, 0), "select");
        rejects(() -> M23.squeeze(2), "squeeze");
        rejects(() -> M23.unsqueeze(3), "unsqueeze");
        rejects(() -> M23.expand(3, 3), "expand", "[2, 3]");
        rejects(() -> M23.expand(3), "expand");
        rejects(() -> M23.expand(-1, 2, 3), "expand");
        rejects(() -> M23.flatten(1, 0), "flatten");
        rejects(() -> M23.flatten(0, 2), "flatten");
        rejects(() -> Tensor.ones(2, 3, 4).t(), "t");
        rejects(() -> S.size(0), "size");
        rejects(() -> M23.size(2), "size");
    }

    @Test
    void joiningAndIndexing() {
        rejects(() -> Tensor.cat(List.of(), 0), "cat");
        rejects(() -> Tensor.cat(List.of(M23, M34), 0), "cat", "[2, 3]", "[3, 4]");
        rejects(() -> Tensor.cat(List.of(M23, V3), 0), "cat", "[3]");
        rejects(() -> Tensor.cat(List.of(M23, M23), 2), "cat");
        rejects(() -> Tensor.cat(List.of(S, S), 0), "cat");
        rejects(() -> Tensor.cat(List.of(M23, Tensor.zeros(DType.INT64, 2, 3)), 0), "cat");
        rejects(() -> Tensor.stack(List.of(), 0), "stack");
        rejects(() -> Tensor.stack(List.of(M23, M34), 0), "stack", "[2, 3]", "[3, 4]");
        rejects(() -> Tensor.stack(List.of(M23, M23), 3), "stack");
        rejects(() -> M23.split(0, 0), "split");
        rejects(() -> M23.split(1, 2), "split");
        rejects(() -> M23.split(new int[] {1, 1}, 1), "split_with_sizes");
        rejects(() -> M23.split(new int[] {-1, 4}, 1), "split_with_sizes");
        rejects(() -> S.split(1, 0), "split");
        rejects(() -> M23.gather(1, Tensor.ofLongs(new long[] {0, 1}, 2)), "gather", "[2, 3]", "[2]");
        rejects(() -> M23.gather(1, Tensor.ofLongs(new long[] {0, 3}, 2, 1)), "gather", "3");
        rejects(() -> M23.gather(1, Tensor.ofLongs(new long[] {0, 1, 2, 0, 1, 2, 0, 1, 2}, 3, 3)), "gather", "[3, 3]");
        rejects(() -> M23.gather(1, M23), "gather", "int64");
        rejects(() -> M23.gather(2, Tensor.ofLongs(new long[] {0}, 1, 1)), "gather");
        rejects(() -> M23.indexSelect(1, IDX), "index_select", "5");
        rejects(() -> M23.indexSelect(1, Tensor.ofLongs(new long[] {-1}, 1)), "index_select");
        rejects(() -> M23.indexSelect(1, Tensor.ofLongs(new long[] {0}, 1, 1)), "index_select", "[1, 1]");
        rejects(() -> M23.indexSelect(2, Tensor.ofLongs(new long[] {0}, 1)), "index_select");
        rejects(() -> M23.indexSelect(0, V3), "index_select", "int64");
    }

    @Test
    void elementAccess() {
        rejects(() -> M23.get(2, 0), "get", "2");
        rejects(() -> M23.get(0), "get", "[2, 3]");
        rejects(() -> M23.detach().set(1, 0, 3), "set");
        rejects(() -> M23.item(), "item");
        rejects(() -> M23.setGrad(V3), "setGrad", "[3]", "[2, 3]");
    }

    @Test
    void convAndPooling() {
        Tensor x = Tensor.ones(1, 2, 5, 5);
        Tensor w = Tensor.ones(3, 2, 3, 3);
        int[] one = {1, 1};
        int[] zero = {0, 0};
        rejects(() -> x.conv2d(Tensor.ones(3, 1, 3, 3), null), "conv2d", "[1, 2, 5, 5]", "[3, 1, 3, 3]");
        rejects(() -> Tensor.ones(2, 5, 5, 5, 5).conv2d(w, null), "conv2d");
        rejects(() -> x.conv2d(Tensor.ones(3, 2, 3), null), "conv2d");
        rejects(() -> x.conv2d(w, Tensor.ones(2)), "conv2d");
        rejects(() -> x.conv2d(Tensor.ones(3, 2, 7, 7), null), "conv2d");
        rejects(() -> x.conv2d(w, null, new int[] {0, 1}, zero, one, 1), "conv2d");
        rejects(() -> x.conv2d(w, null, one, new int[] {-1, 0}, one, 1), "conv2d");
        rejects(() -> x.conv2d(w, null, one, zero, new int[] {0, 1}, 1), "conv2d");
        rejects(() -> x.conv2d(w, null, one, zero, one, 2), "conv2d");
        rejects(() -> x.conv2d(w, null, one, zero, one, 0), "conv2d");
        rejects(() -> x.conv2d(w, null, new int[] {1, 1, 1}, zero, one, 1), "conv2d");
        rejects(() -> x.maxPool2d(new int[] {0, 2}, null, zero, one, false), "max_pool2d");
        rejects(() -> x.maxPool2d(new int[] {2, 2}, null, new int[] {2, 2}, one, false), "max_pool2d");
        rejects(() -> x.maxPool2d(new int[] {7, 7}, null, zero, one, false), "max_pool2d");
        rejects(() -> Tensor.ones(5, 5).maxPool2d(2), "max_pool2d");
        rejects(() -> x.avgPool2d(new int[] {0, 2}, null, zero, false, true), "avg_pool2d");
        rejects(() -> x.avgPool2d(new int[] {7, 7}, null, zero, false, true), "avg_pool2d");
        rejects(() -> Tensor.ones(5).avgPool2d(2), "avg_pool2d");
        rejects(() -> x.adaptiveAvgPool2d(-1, 2), "adaptive_avg_pool2d");
        rejects(() -> Tensor.ones(5, 5).adaptiveAvgPool2d(2, 2), "adaptive_avg_pool2d");
    }
}
