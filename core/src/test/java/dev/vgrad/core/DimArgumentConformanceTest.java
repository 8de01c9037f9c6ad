package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.testing.Fixtures;
import dev.vgrad.core.testing.Fixtures.FixtureTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every op that takes a dimension, on a 3-D, a 1-D and a 0-d tensor, with each valid dim (negative ones included)
 * and the first dim out of range on either side, against PyTorch 1.13 ({@code dim_ops.json} from
 * tools/fixtures/dim_ops.py, docs/SEMANTICS.md §10): the same output for a valid dim, PyTorch's "Dimension out of
 * range (expected to be in range of [-3, 2], but got 3)" otherwise, as an IllegalArgumentException or
 * IndexOutOfBoundsException and never from inside a kernel.
 */
class DimArgumentConformanceTest {
    private static final Map<String, Object> ROOT = Fixtures.load("dim_ops.json");

    @TestFactory
    Stream<DynamicTest> matchesPyTorch() {
        List<Map<String, Object>> cases = Fixtures.cases(ROOT);
        assertTrue(cases.size() > 300, "cases: " + cases.size());
        List<DynamicTest> tests = new ArrayList<>();
        for (Map<String, Object> c : cases) {
            tests.add(DynamicTest.dynamicTest((String) c.get("name"), () -> check(c)));
        }
        return tests.stream();
    }

    private static void check(Map<String, Object> c) {
        String name = c.get("name") + " dim " + Fixtures.integer(c, "dim");
        Tensor x = TestTensors.of(Fixtures.tensor(c, "x"), DType.FLOAT64);
        String op = (String) c.get("op");
        int d = Fixtures.integer(c, "dim");
        if (c.containsKey("error")) {
            String want = (String) c.get("error");
            RuntimeException e = assertThrows(RuntimeException.class, () -> apply(op, x, d), name);
            assertTrue(e instanceof IllegalArgumentException || e instanceof IndexOutOfBoundsException,
                    name + ": " + e);
            assertTrue(e.getMessage().contains(want), name + ": got \"" + e.getMessage() + "\", PyTorch: \"" + want
                    + "\"");
            return;
        }
        Tensor y = apply(op, x, d);
        FixtureTensor want = Fixtures.tensor(c, "y");
        assertArrayEquals(want.shape(), y.shape(), name + ": shape");
        if (want.isFloating()) {
            assertEquals(DType.FLOAT64, y.dtype(), name);
            Fixtures.assertClose(want.data(), y.toDoubleArray(), 1e-12, 1e-12, name);
        } else {
            assertArrayEquals(want.longs(), y.toLongArray(), name);
        }
    }

    private static Tensor apply(String op, Tensor x, int d) {
        return switch (op) {
            case "sum" -> x.sum(d);
            case "mean" -> x.mean(d);
            case "amax" -> x.amax(new int[] {d}, false);
            case "max" -> x.max(d, false);
            case "argmin" -> x.argmin(d, false);
            case "logsumexp" -> x.logsumexp(new int[] {d}, false);
            case "var" -> x.var(new int[] {d}, 1, false);
            case "std" -> x.std(new int[] {d}, 1, false);
            case "softmax" -> x.softmax(d);
            case "log_softmax" -> x.logSoftmax(d);
            case "cumsum" -> x.cumsum(d);
            case "sort" -> x.sort(d, false).values();
            case "argsort" -> x.argsort(d, false);
            case "topk" -> x.topk(1, d, true, true).values();
            case "flip" -> x.flip(d);
            case "narrow" -> x.narrow(d, 0, 1);
            case "select" -> x.select(d, 0);
            case "squeeze" -> x.squeeze(d);
            case "unsqueeze" -> x.unsqueeze(d);
            case "transpose" -> x.transpose(d, 0);
            case "index_select" -> x.indexSelect(d, Tensor.ofLongs(new long[] {0}, 1));
            case "gather" -> x.gather(d, Tensor.zeros(DType.INT64, x.shape()));
            case "cat" -> Tensor.cat(List.of(x, x), d);
            case "stack" -> Tensor.stack(List.of(x, x), d);
            case "split" -> x.split(1, d).get(0);
            default -> throw new AssertionError("unknown op " + op);
        };
    }
}
