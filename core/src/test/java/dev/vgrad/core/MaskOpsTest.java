package dev.vgrad.core;

import static dev.vgrad.core.TestTensors.compare;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.testing.Fixtures;
import dev.vgrad.core.testing.Fixtures.FixtureTensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 17's mask, triangle, integer and math ops (docs/SEMANTICS.md §17): values, gradients, grad_fn names, dtypes
 * and error wording against {@code masks.json} (tools/fixtures/mask_fixtures.py, PyTorch 1.13), float64 gradient
 * checks, and the laws tying the ops together.
 */
class MaskOpsTest {
    private static final int EXAMPLES = 30;

    private static void close(FixtureTensor want, Tensor got, double tol, String what) {
        assertArrayEquals(want.shape(), got.shape(), what + ": shape");
        double[] g = got.toDoubleArray();
        for (int i = 0; i < g.length; i++) {
            assertEquals(want.data()[i], g[i], tol * (1 + Math.abs(want.data()[i])), what + " [" + i + "]");
        }
    }

    private static Tensor apply(Map<String, Object> c, Tensor x) {
        String kind = (String) c.get("kind");
        return switch (kind) {
            case "tril" -> x.tril((int) Fixtures.number(c.get("k")));
            case "triu" -> x.triu((int) Fixtures.number(c.get("k")));
            case "masked_fill" -> x.maskedFill(TestTensors.of(Fixtures.tensor(c, "mask"), DType.FLOAT64),
                    Fixtures.number(c.get("value")));
            case "sin" -> x.sin();
            case "cos" -> x.cos();
            case "erf" -> x.erf();
            case "log1p" -> x.log1p();
            case "expm1" -> x.expm1();
            case "rsqrt" -> x.rsqrt();
            case "mask_index" -> x.index(TestTensors.of(Fixtures.tensor(c, "mask"), null));
            case "std_all" -> x.std();
            case "std" -> {
                List<Object> d = Fixtures.list(c, "dims");
                int[] dims = d.stream().mapToInt(o -> (int) Fixtures.number(o)).toArray();
                yield x.std(dims, (int) Fixtures.number(c.get("correction")), (Boolean) c.get("keepdim"));
            }
            default -> throw new AssertionError(kind);
        };
    }

    @Test
    void matchesPyTorch() {
        Map<String, Object> root = Fixtures.load("masks.json");
        int checked = 0;
        for (Map<String, Object> c : Fixtures.cases(root)) {
            String name = (String) c.get("name");
            String kind = (String) c.get("kind");
            if (c.containsKey("grad")) {
                for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
                    double tol = dt == DType.FLOAT64 ? 1e-12 : 2e-6;
                    Tensor x = TestTensors.of(Fixtures.tensor(c, "x"), dt).requiresGrad(true);
                    Tensor y = apply(c, x);
                    assertEquals(dt, y.dtype(), name);
                    // x[mask] is composed (reshape, nonzero, indexSelect), so its node is index_select's
                    String node = kind.equals("mask_index") ? "IndexSelectBackward0" : (String) c.get("grad_fn");
                    assertEquals(node, y.gradFn().name(), name + ": grad_fn");
                    close(Fixtures.tensor(c, "y"), y, tol, name + " " + dt + " value");
                    y.mul(TestTensors.of(Fixtures.tensor(c, "u"), dt)).sum().backward();
                    close(Fixtures.tensor(c, "grad"), x.grad(), tol, name + " " + dt + " grad");
                }
            } else if (c.containsKey("error")) {
                String want = (String) c.get("error");
                Tensor a = Tensor.ofLongs(new long[] {3, -2, 5, 7, 0, -1}, 2, 3);
                Runnable call = switch (kind) {
                    case "mean_int64" -> a::mean;
                    case "mean_bool" -> () -> a.gt(0).mean();
                    case "std_int64" -> a::std;
                    case "mask_index_rank" -> () -> Tensor.zeros(2, 3, 4).index(Tensor.ones(2, 3, 4, 1).gt(0));
                    case "mask_index_shape" -> () -> Tensor.zeros(2, 3, 4).index(Tensor.ones(2, 4).gt(0));
                    default -> () -> Tensor.ones(3).tril();
                };
                RuntimeException e = assertThrows(IllegalArgumentException.class, call::run, name);
                assertTrue(e.getMessage().contains(want), name + ": " + e.getMessage() + " vs " + want);
            } else {
                FixtureTensor want = Fixtures.tensor(c, "y");
                Tensor y = switch (kind) {
                    case "compare_int" -> compare((String) c.get("op"), TestTensors.of(Fixtures.tensor(c, "a"), null),
                            TestTensors.of(Fixtures.tensor(c, "b"), null));
                    case "compare_int_scalar" -> compare((String) c.get("op"),
                            TestTensors.of(Fixtures.tensor(c, "a"), null), Fixtures.number(c.get("s")));
                    case "mask_sum" -> TestTensors.of(Fixtures.tensor(c, "a"), null).gt(0).sum();
                    case "mask_sum_dim" -> TestTensors.of(Fixtures.tensor(c, "a"), null).gt(0).sum(1);
                    case "mask_float_mean" -> TestTensors.of(Fixtures.tensor(c, "a"), null).gt(0).toFloat().mean();
                    case "arange_int" -> {
                        long[] a = Fixtures.list(c, "args").stream().mapToLong(o -> (long) Fixtures.number(o)).toArray();
                        yield a.length == 1 ? Tensor.arange(a[0]) : Tensor.arange(a[0], a[1], a[2]);
                    }
                    default -> throw new AssertionError(kind);
                };
                assertArrayEquals(want.shape(), y.shape(), name);
                if (want.isFloating()) {
                    assertEquals(DType.FLOAT32, y.dtype(), name);
                    close(want, y, 1e-7, name);
                } else {
                    assertEquals(want.dtype().equals("bool") ? DType.BOOL : DType.INT64, y.dtype(), name);
                    assertArrayEquals(want.longs(), y.toLongArray(), name);
                }
            }
            checked++;
        }
        assertTrue(checked > 40, "cases checked: " + checked);
    }

    @Test
    void gradcheckFloat64() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, 2 + (int) g.nextLong(2), 3);
            for (int i = 0; i < s.length; i++) {
                s[i]++; // std with correction 1 needs two elements per reduced row
            }
            int k = (int) g.nextLong(5) - 2;
            Tensor mask = TestTensors.uniform(g, 0, 1, s).gt(0.5);
            Tensor lead = TestTensors.uniform(g, 0, 1, s[0]).gt(0.5);
            Tensor x = TestTensors.uniform(g, -2, 2, s).requiresGrad(true);
            String at = "shape " + TestTensors.str(s) + " k " + k + " seed " + seed;
            List<java.util.function.Function<Tensor[], Tensor>> fs = List.of(t -> t[0].tril(k), t -> t[0].triu(k),
                    t -> t[0].maskedFill(mask, 0.25), t -> t[0].std(), t -> t[0].std(new int[] {-1}, 1, true),
                    t -> t[0].std(0, false, false), t -> t[0].index(mask), t -> t[0].index(lead));
            for (var f : fs) {
                GradCheck.Result r = GradCheck.check(f, x);
                assertTrue(r.passed(), () -> at + "\n" + r.report());
                GradCheck.Result r2 = GradCheck.gradgradcheck(f, x);
                assertTrue(r2.passed(), () -> at + " (second order)\n" + r2.report());
            }
        });
    }

    /**
     * x[mask] over the leading dims stacks exactly the sub-tensors x[i] where the mask holds, in order; with a mask
     * of x's full shape it is maskedSelect.
     */
    @Test
    void maskIndexSelectsTheMarkedSubTensors() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, 1 + (int) g.nextLong(3), 4);
            Tensor x = TestTensors.uniform(g, -2, 2, s);
            Tensor full = TestTensors.uniform(g, 0, 1, s).gt(0.5);
            String at = "shape " + TestTensors.str(s) + " seed " + seed;
            assertArrayEquals(x.maskedSelect(full).toDoubleArray(), x.index(full).toDoubleArray(), at);
            Tensor lead = TestTensors.uniform(g, 0, 1, s[0]).gt(0.5);
            Tensor y = x.index(lead);
            long[] m = lead.toLongArray();
            int k = 0;
            for (int i = 0; i < m.length; i++) {
                if (m[i] != 0) {
                    assertArrayEquals(x.select(0, i).toDoubleArray(), y.select(0, k++).toDoubleArray(), at + " row " + i);
                }
            }
            assertEquals(k, y.shape()[0], at);
        });
    }

    /** tril(k) + triu(k+1) = x: the two triangles partition every matrix. */
    @Test
    void trianglesPartition() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, 2 + (int) g.nextLong(2), 6);
            int k = (int) g.nextLong(13) - 6;
            Tensor x = TestTensors.uniform(g, -5, 5, s).toFloat();
            assertArrayEquals(x.toArray(), x.tril(k).add(x.triu(k + 1)).toArray(), "k " + k + " seed " + seed);
        });
    }

    /** maskedFill is the identity where the mask is 0 and the value where it is not. */
    @Test
    void maskedFillIsIdentityOffTheMask() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, 1 + (int) g.nextLong(3), 5);
            Tensor x = TestTensors.uniform(g, -5, 5, s);
            Tensor mask = TestTensors.uniform(g, 0, 1, TestTensors.broadcastable(g, s)).lt(0.4);
            Tensor y = x.maskedFill(mask, 7.5);
            Tensor m = mask.expand(s).contiguous();
            double[] xd = x.toDoubleArray();
            double[] yd = y.toDoubleArray();
            double[] md = m.toDoubleArray();
            for (int i = 0; i < xd.length; i++) {
                assertEquals(md[i] != 0 ? 7.5 : xd[i], yd[i], 0, "seed " + seed);
            }
            Tensor z = x.cloneTensor();
            z.maskedFill_(mask, 7.5);
            assertArrayEquals(yd, z.toDoubleArray(), "in place, seed " + seed);
        });
    }

    /** A comparison with a scalar equals the comparison with a full tensor of it, for float and int64 tensors. */
    @Test
    void scalarComparisonsEqualFullTensorComparisons() {
        List<String> ops = List.of("eq", "ne", "lt", "le", "gt", "ge");
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, 1 + (int) g.nextLong(3), 5);
            Tensor f = TestTensors.uniform(g, -3, 3, s).toFloat();
            long[] ls = new long[Shape.numel(s)];
            for (int i = 0; i < ls.length; i++) {
                ls[i] = g.nextLong(7) - 3;
            }
            Tensor l = Tensor.ofLongs(ls, s);
            double sv = g.nextLong(7) - 3;
            for (String op : ops) {
                assertArrayEquals(compare(op, f, Tensor.full(sv, s)).toArray(), compare(op, f, sv).toArray(),
                        op + " float, seed " + seed);
                assertArrayEquals(compare(op, l, Tensor.full(DType.INT64, sv, s)).toLongArray(),
                        compare(op, l, sv).toLongArray(), op + " int64, seed " + seed);
            }
        });
    }

    /** Integer arange is exact far past float precision: every element start + i·step up to 2^40 and beyond. */
    @Test
    void intArangeIsExactUpTo2Pow40() {
        qt().withExamples(EXAMPLES).forAll(longs().between(0, 1L << 40)).checkAssert(start -> {
            long step = 1 + start % 97;
            Tensor t = Tensor.arange(start, start + 50 * step + 1, step);
            assertEquals(DType.INT64, t.dtype());
            long[] v = t.toLongArray();
            assertEquals(51, v.length);
            for (int i = 0; i < v.length; i++) {
                assertEquals(start + i * step, v[i], "start " + start);
            }
            // and comparisons on them are exact too: start + 1 differs from start even past 2^24
            assertEquals(1L, t.eq((double) start).sum().toLongArray()[0], "start " + start);
        });
        assertEquals(DType.INT64, Tensor.arange(5).dtype(), "an int literal selects the int64 overload");
        assertEquals(DType.FLOAT32, Tensor.arange(5.0).dtype());
    }

    /** where with scalar operands (values from torch.where(c, x, 9.) etc. computed by hand on a 2x2 case). */
    @Test
    void whereScalarOverloads() {
        Tensor c = Tensor.of(new boolean[] {true, false, true, false}, 2, 2);
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        assertArrayEquals(new float[] {1, 9, 3, 9}, Tensor.where(c, x, 9).toArray());
        assertArrayEquals(new float[] {9, 2, 9, 4}, Tensor.where(c, 9, x).toArray());
        assertArrayEquals(new float[] {5, 6, 5, 6}, Tensor.where(c, 5.0, 6.0).toArray());
        Tensor x64 = x.toDouble();
        assertEquals(DType.FLOAT64, Tensor.where(c, x64, 9).dtype(), "the scalar takes the tensor's dtype");
    }
}
