package dev.vgrad.core;

import static dev.vgrad.core.TestTensors.compare;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.testing.Fixtures;
import dev.vgrad.core.testing.Fixtures.FixtureTensor;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The bool dtype against PyTorch 1.13 ({@code bool_ops.json} from tools/fixtures/bool_ops.py, docs/SEMANTICS.md §17):
 * comparisons across every dtype pair always give bool; arithmetic with a bool operand promotes as PyTorch does;
 * logical ops, mask sums, cumsum, any/all, where and maskedFill with bool conditions, casts to and from bool,
 * printing, and PyTorch's refusals, word for word. Every case checks the result's dtype as well as its values.
 */
class BoolOpsConformanceTest {
    private static final Map<String, Object> ROOT = Fixtures.load("bool_ops.json");

    /** A fixture tensor in its own dtype. */
    static Tensor of(FixtureTensor f) {
        return switch (f.dtype()) {
            case "bool" -> Tensor.ofLongs(f.longs(), f.shape()).to(DType.BOOL);
            case "int64" -> Tensor.ofLongs(f.longs(), f.shape());
            case "float32" -> Tensor.of(f.floats(), f.shape());
            default -> Tensor.of(f.data().clone(), f.shape());
        };
    }

    private static DType dtype(String name) {
        return switch (name) {
            case "bool" -> DType.BOOL;
            case "int64" -> DType.INT64;
            case "float32" -> DType.FLOAT32;
            default -> DType.FLOAT64;
        };
    }

    /** Same dtype, shape and values (bit-exact: every reference value here is exactly representable). */
    private static void same(FixtureTensor want, Tensor got, String what) {
        assertEquals(dtype(want.dtype()), got.dtype(), what + ": dtype");
        assertArrayEquals(want.shape(), got.shape(), what + ": shape");
        if (want.isFloating()) {
            double[] g = got.toDoubleArray();
            for (int i = 0; i < g.length; i++) {
                assertEquals(want.data()[i], g[i], what + " [" + i + "]");
            }
        } else {
            assertArrayEquals(want.longs(), got.toLongArray(), what);
        }
    }

    private static Tensor binary(String op, Tensor a, Tensor b) {
        return switch (op) {
            case "add" -> a.add(b);
            case "mul" -> a.mul(b);
            case "div" -> a.div(b);
            case "maximum" -> a.maximum(b);
            default -> a.minimum(b);
        };
    }

    private static Tensor binary(String op, Tensor a, double s) {
        return switch (op) {
            case "add" -> a.add(s);
            case "mul" -> a.mul(s);
            default -> a.div(s);
        };
    }

    private static Tensor logical(String op, Tensor a, Tensor b) {
        return switch (op) {
            case "not" -> a.logicalNot();
            case "and" -> a.logicalAnd(b);
            case "or" -> a.logicalOr(b);
            default -> a.logicalXor(b);
        };
    }

    private static Tensor reduce(Map<String, Object> c, Tensor a) {
        String op = (String) c.get("op");
        return switch (op) {
            case "sum" -> a.sum();
            case "sum_dim" -> a.sum(new int[] {(int) Fixtures.number(c.get("dim"))}, (Boolean) c.get("keepdim"));
            case "cumsum" -> a.cumsum((int) Fixtures.number(c.get("dim")));
            case "any" -> a.any();
            case "all" -> a.all();
            case "any_dim" -> a.any((int) Fixtures.number(c.get("dim")), (Boolean) c.get("keepdim"));
            case "all_dim" -> a.all((int) Fixtures.number(c.get("dim")), (Boolean) c.get("keepdim"));
            default -> throw new AssertionError(op);
        };
    }

    private static Runnable refused(String kind) {
        Tensor b = Tensor.of(new boolean[] {true, false, true, false, true, true}, 6);
        Tensor f = Tensor.of(new float[] {-1.5f, 0, 1, Float.NaN, 0.5f, -0f}, 6);
        Tensor l = Tensor.ofLongs(new long[] {-2, 0, 1, 1, 3, 0}, 6);
        return switch (kind.substring(0, kind.lastIndexOf('_'))) {
            case "where_float_cond" -> () -> Tensor.where(f, f, f);
            case "where_long_cond" -> () -> Tensor.where(l, f, f);
            case "mean_bool" -> b::mean;
            case "var_bool" -> b::var;
            case "std_bool" -> b::std;
            case "sub_bools" -> () -> b.sub(b.flip(0));
            case "sub_bool_float" -> () -> b.sub(f);
            case "sub_float_bool" -> () -> f.sub(b);
            case "sub_bool_scalar" -> () -> b.sub(1.0);
            case "neg_bool" -> b::neg;
            case "relu_bool" -> b::relu;
            case "pow_bools" -> () -> b.pow(b);
            case "requires_grad_bool" -> () -> b.cloneTensor().requiresGrad(true);
            case "add_inplace_float_into_bool" -> () -> b.cloneTensor().add_(f);
            case "add_inplace_long_into_bool" -> () -> b.cloneTensor().add_(l);
            case "argmax_bool" -> b::argmax;
            case "argmin_bool" -> () -> b.argmin(0, false);
            case "topk_bool" -> () -> b.topk(2, -1, true, true);
            default -> throw new AssertionError(kind);
        };
    }

    private static void check(Map<String, Object> c) {
        String name = (String) c.get("name");
        String kind = (String) c.get("kind");
        String op = (String) c.get("op");
        if (kind.equals("error")) {
            String want = (String) c.get("error");
            RuntimeException e = assertThrows(RuntimeException.class, refused(name)::run, name);
            assertTrue(e instanceof IllegalArgumentException || e instanceof IllegalStateException, name + ": " + e);
            // PyTorch's sentence, possibly after vgrad's "op: " prefix and before its shapes
            assertTrue(e.getMessage().contains(want), name + ": got \"" + e.getMessage() + "\", PyTorch: \"" + want
                    + "\"");
            return;
        }
        if (kind.equals("print")) {
            assertEquals(c.get("str"), of(Fixtures.tensor(c, "a")).toString(), name);
            return;
        }
        FixtureTensor want = Fixtures.tensor(c, "y");
        Tensor y = switch (kind) {
            case "compare" -> compare(op, of(Fixtures.tensor(c, "a")), of(Fixtures.tensor(c, "b")));
            case "compare_scalar" -> compare(op, of(Fixtures.tensor(c, "a")), Fixtures.number(c.get("s")));
            case "binary" -> binary(op, of(Fixtures.tensor(c, "a")), of(Fixtures.tensor(c, "b")));
            case "binary_scalar" -> binary(op, of(Fixtures.tensor(c, "a")), Fixtures.number(c.get("s")));
            case "logical" -> logical(op, of(Fixtures.tensor(c, "a")),
                    c.containsKey("b") ? of(Fixtures.tensor(c, "b")) : null);
            case "reduce" -> reduce(c, of(Fixtures.tensor(c, "a")));
            case "where" -> Tensor.where(of(Fixtures.tensor(c, "cond")), of(Fixtures.tensor(c, "a")),
                    of(Fixtures.tensor(c, "b")));
            case "masked_fill" -> {
                Tensor x = of(Fixtures.tensor(c, "x"));
                Tensor mask = of(Fixtures.tensor(c, "mask"));
                double v = Fixtures.number(c.get("value"));
                Tensor out = x.maskedFill(mask, v);
                Tensor inPlace = x.cloneTensor().maskedFill_(mask, v);
                assertArrayEquals(out.toDoubleArray(), inPlace.toDoubleArray(), name + ": in place");
                yield out;
            }
            case "cast" -> of(Fixtures.tensor(c, "a")).to(dtype((String) c.get("to")));
            default -> throw new AssertionError(kind);
        };
        same(want, y, name);
        if (kind.startsWith("compare") || kind.equals("logical")) {
            assertEquals(null, y.gradFn(), name + ": masks carry no history");
        }
    }

    @TestFactory
    Stream<DynamicTest> matchesPyTorch() {
        List<Map<String, Object>> cases = Fixtures.cases(ROOT);
        assertTrue(cases.size() > 300, "cases: " + cases.size());
        return cases.stream().map(c -> DynamicTest.dynamicTest((String) c.get("name"), () -> check(c)));
    }
}
