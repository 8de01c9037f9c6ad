package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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
 * int64 and bool arithmetic against PyTorch 1.13 ({@code int_ops.json} from tools/fixtures/int_ops.py,
 * docs/SEMANTICS.md §11 and §17): tensor-tensor and tensor-scalar arithmetic with PyTorch's promotion (wrapping
 * int64 overflow, true division in float32, Python's floor division and remainder), gradients to the floating
 * operand of a mixed op, in-place int64 updates, unary math of integer inputs in float32, int64/bool max and min,
 * maskedSelect (values and gradient), nonzero, and PyTorch's refusals word for word. Every case checks the
 * result's dtype and shape as well as its values.
 */
class IntOpsConformanceTest {
    private static final Map<String, Object> ROOT = Fixtures.load("int_ops.json");

    private static DType dtype(String name) {
        return switch (name) {
            case "bool" -> DType.BOOL;
            case "int64" -> DType.INT64;
            case "float32" -> DType.FLOAT32;
            default -> DType.FLOAT64;
        };
    }

    /**
     * Same dtype, shape and values. Integers are exact; floating values are exact too, except the transcendental
     * unary functions ({@code ulps} &gt; 0), whose float32 results may differ from PyTorch's by a few ulps.
     */
    private static void same(FixtureTensor want, Tensor got, String what, int ulps) {
        assertEquals(dtype(want.dtype()), got.dtype(), what + ": dtype");
        assertArrayEquals(want.shape(), got.shape(), what + ": shape");
        if (!want.isFloating()) {
            assertArrayEquals(want.longs(), got.toLongArray(), what);
            return;
        }
        double[] g = got.toDoubleArray();
        for (int i = 0; i < g.length; i++) {
            double w = want.data()[i];
            boolean ok = Double.compare(w, g[i]) == 0 || w == g[i]
                    || ulps > 0 && Math.abs(w - g[i]) <= ulps * Math.ulp((float) w);
            assertTrue(ok, what + " [" + i + "]: PyTorch " + w + ", vgrad " + g[i]);
        }
    }

    private static Tensor binary(String op, Tensor a, Tensor b) {
        return switch (op) {
            case "add" -> a.add(b);
            case "sub" -> a.sub(b);
            case "mul" -> a.mul(b);
            case "div" -> a.div(b);
            case "maximum" -> a.maximum(b);
            case "minimum" -> a.minimum(b);
            case "floor_divide" -> a.floorDivide(b);
            case "remainder" -> a.remainder(b);
            case "pow" -> a.pow(b);
            case "matmul" -> a.matmul(b);
            default -> throw new AssertionError(op);
        };
    }

    private static Tensor scalar(String op, Tensor a, Object s, boolean integral) {
        if (integral) {
            long v = ((Number) s).longValue();
            return switch (op) {
                case "add" -> a.add(v);
                case "sub" -> a.sub(v);
                case "mul" -> a.mul(v);
                case "remainder" -> a.remainder(v);
                case "floor_divide" -> a.floorDivide(v);
                case "pow" -> a.pow(v);
                case "eq" -> a.eq(v);
                case "ne" -> a.ne(v);
                case "lt" -> a.lt(v);
                case "le" -> a.le(v);
                case "gt" -> a.gt(v);
                case "ge" -> a.ge(v);
                default -> a.div(v);
            };
        }
        double v = Fixtures.number(s);
        return switch (op) {
            case "pow" -> a.pow(v);
            case "add" -> a.add(v);
            case "sub" -> a.sub(v);
            case "mul" -> a.mul(v);
            default -> a.div(v);
        };
    }

    private static Tensor unary(String op, Tensor a) {
        return switch (op) {
            case "exp" -> a.exp();
            case "log" -> a.log();
            case "sqrt" -> a.sqrt();
            case "tanh" -> a.tanh();
            case "sigmoid" -> a.sigmoid();
            case "reciprocal" -> a.reciprocal();
            case "sin" -> a.sin();
            case "cos" -> a.cos();
            case "erf" -> a.erf();
            case "log1p" -> a.log1p();
            case "expm1" -> a.expm1();
            case "rsqrt" -> a.rsqrt();
            case "pow" -> a.pow(2.5);
            case "abs" -> a.abs();
            case "neg" -> a.neg();
            case "relu" -> a.relu();
            case "sign" -> a.sign();
            default -> throw new AssertionError(op);
        };
    }

    private static Tensor reduce(Map<String, Object> c, Tensor a) {
        String op = (String) c.get("op");
        if (!c.containsKey("dim")) {
            return switch (op) {
                case "max" -> a.max();
                case "min" -> a.min();
                case "amax" -> a.amax(null, false);
                case "amin" -> a.amin(null, false);
                case "argmax" -> a.argmax();
                default -> a.argmin();
            };
        }
        int d = (int) Fixtures.number(c.get("dim"));
        boolean keep = (Boolean) c.get("keepdim");
        return switch (op) {
            case "max" -> a.max(d, keep);
            case "min" -> a.min(d, keep);
            case "amax" -> a.amax(new int[] {d}, keep);
            case "amin" -> a.amin(new int[] {d}, keep);
            case "argmax" -> a.argmax(d, keep);
            default -> a.argmin(d, keep);
        };
    }

    private static Runnable refused(String kind) {
        Tensor i = Tensor.ofLongs(new long[] {7, -7, 3}, 3);
        Tensor z = Tensor.ofLongs(new long[] {1, 0, 2}, 3);
        Tensor f = Tensor.of(new float[] {1.5f, 2, 3}, 3);
        Tensor b = Tensor.of(new boolean[] {true, false, true}, 3);
        return switch (kind.substring(0, kind.lastIndexOf('_'))) {
            case "floor_divide_by_zero" -> () -> i.floorDivide(z);
            case "remainder_by_zero" -> () -> i.remainder(z);
            case "floor_divide_scalar_zero" -> () -> i.floorDivide(0);
            case "add_inplace_float_into_long" -> () -> i.cloneTensor().add_(f);
            case "mul_inplace_float_scalar_into_long" -> () -> i.cloneTensor().mul_(2.0);
            case "add_inplace_float_scalar_into_long" -> () -> i.cloneTensor().add_(1.5);
            case "div_inplace_long" -> () -> i.cloneTensor().div_(z.add(1));
            // Python's i.div_(2): Java resolves div_(2) to div_(double), true division either way
            case "div_inplace_long_scalar" -> () -> i.cloneTensor().div_(2);
            case "abs_bool" -> b::abs;
            case "leaky_relu_long" -> () -> i.leakyRelu(0.1);
            case "gelu_long" -> i::gelu;
            case "silu_long" -> i::silu;
            case "softplus_long" -> i::softplus;
            case "masked_select_long_mask" -> () -> f.maskedSelect(z);
            case "masked_select_float_mask" -> () -> f.maskedSelect(f);
            case "masked_select_shapes" -> () -> f.maskedSelect(Tensor.of(new boolean[] {true, false}, 2));
            case "argmax_bool" -> b::argmax;
            case "index_put_mask_shape" -> () -> Tensor.zeros(2, 3).indexPut(
                    new Tensor[] {Tensor.of(new boolean[] {true, false, true}, 3)}, Tensor.scalar(1), false);
            case "masked_scatter_small_source" -> () -> Tensor.zeros(3).maskedScatter(b, Tensor.ones(1));
            case "masked_scatter_dtypes" -> () -> Tensor.zeros(3).maskedScatter(b, Tensor.ones(DType.FLOAT64, 3));
            case "masked_scatter_shapes" -> () -> Tensor.zeros(3).maskedScatter(
                    Tensor.of(new boolean[] {true, false}, 2), Tensor.ones(3));
            case "pow_negative_int" -> () -> i.pow(-1);
            case "clamp_inplace_float_bounds_long" -> () -> i.cloneTensor().clamp_(-1.5, 1.0);
            case "clamp_inplace_bool" -> () -> b.cloneTensor().clamp_(0, 1);
            case "floor_divide_backward" -> () -> f.cloneTensor().requiresGrad(true).floorDivide(2).sum().backward();
            case "matmul_bool_dot" -> () -> b.narrow(0, 0, 2).matmul(b.narrow(0, 0, 2));
            case "matmul_bool_mv" -> () -> b.narrow(0, 0, 2).reshape(1, 2).matmul(b.narrow(0, 0, 2));
            case "matmul_bool_mm" -> () -> b.narrow(0, 0, 2).reshape(1, 2).matmul(b.narrow(0, 0, 2).reshape(2, 1));
            case "matmul_bool_bmm" -> () -> b.narrow(0, 0, 2).reshape(1, 1, 2)
                    .matmul(b.narrow(0, 0, 2).reshape(1, 2, 1));
            case "matmul_long_float" -> () -> i.reshape(1, 3).matmul(f.reshape(3, 1));
            default -> throw new AssertionError(kind);
        };
    }

    private static void check(Map<String, Object> c) {
        String name = (String) c.get("name");
        String kind = (String) c.get("kind");
        String op = (String) c.get("op");
        if (kind.equals("error")) {
            String want = (String) c.get("error");
            Runnable r = refused(name);
            RuntimeException e = assertThrows(RuntimeException.class, r::run, name);
            assertTrue(e instanceof IllegalArgumentException || e instanceof IllegalStateException, name + ": " + e);
            // PyTorch's sentence, possibly after vgrad's "op: " prefix and before its shapes
            assertTrue(e.getMessage().contains(want), name + ": got \"" + e.getMessage() + "\", PyTorch: \"" + want
                    + "\"");
            return;
        }
        FixtureTensor want = Fixtures.tensor(c, "y");
        switch (kind) {
            case "binary" -> {
                Tensor a = BoolOpsConformanceTest.of(Fixtures.tensor(c, "a"));
                Tensor b = BoolOpsConformanceTest.of(Fixtures.tensor(c, "b"));
                boolean gradA = a.dtype().isFloatingPoint();
                if (c.containsKey("grad")) {
                    (gradA ? a : b).requiresGrad(true);
                }
                Tensor y = binary(op, a, b);
                same(want, y, name, 0);
                if (c.containsKey("grad")) {
                    Tensor g = BoolOpsConformanceTest.of(Fixtures.tensor(c, "g"));
                    Tensor[] gs = Autograd.grad(y, new Tensor[] {gradA ? a : b}, g, false);
                    same(Fixtures.tensor(c, "grad"), gs[0], name + ": grad", 0);
                } else {
                    assertNull(y.gradFn(), name + ": integer results carry no history");
                }
            }
            case "conv2d" -> {
                Tensor bias = c.get("bias") == null ? null : BoolOpsConformanceTest.of(Fixtures.tensor(c, "bias"));
                Tensor y = BoolOpsConformanceTest.of(Fixtures.tensor(c, "a")).conv2d(
                        BoolOpsConformanceTest.of(Fixtures.tensor(c, "b")), bias, Fixtures.ints(c.get("stride")),
                        Fixtures.ints(c.get("padding")), Fixtures.ints(c.get("dilation")), Fixtures.integer(c, "groups"));
                same(want, y, name, 0);
            }
            case "scalar" -> same(want, scalar(op, BoolOpsConformanceTest.of(Fixtures.tensor(c, "a")), c.get("s"),
                    c.get("stype").equals("int")), name, 0);
            case "inplace" -> {
                Tensor a = BoolOpsConformanceTest.of(Fixtures.tensor(c, "a"));
                int version = a.version();
                Tensor r;
                if (c.containsKey("s")) {
                    long s = ((Number) c.get("s")).longValue();
                    r = op.equals("add_") ? a.add_(s) : op.equals("mul_") ? a.mul_(s) : a.add_(-s);
                } else {
                    Tensor b = BoolOpsConformanceTest.of(Fixtures.tensor(c, "b"));
                    r = op.equals("add_") ? a.add_(b) : op.equals("mul_") ? a.mul_(b) : a.sub_(b);
                }
                assertTrue(r == a && a.version() > version, name + ": in place, version bumped");
                same(want, a, name, 0);
            }
            case "unary" -> {
                Tensor a = BoolOpsConformanceTest.of(Fixtures.tensor(c, "a"));
                same(want, unary(op, a), name, want.isFloating() ? 4 : 0);
            }
            case "reduce" -> same(want, reduce(c, BoolOpsConformanceTest.of(Fixtures.tensor(c, "a"))), name, 0);
            case "masked_select" -> {
                Tensor x = BoolOpsConformanceTest.of(Fixtures.tensor(c, "x"));
                Tensor mask = BoolOpsConformanceTest.of(Fixtures.tensor(c, "mask"));
                if (c.containsKey("grad")) {
                    x.requiresGrad(true);
                }
                Tensor y = x.maskedSelect(mask);
                same(want, y, name, 0);
                if (c.containsKey("grad")) {
                    assertEquals("MaskedSelectBackward0", y.gradFn().name(), name);
                    Tensor g = BoolOpsConformanceTest.of(Fixtures.tensor(c, "g"));
                    Tensor[] gs = Autograd.grad(y, new Tensor[] {x}, g, false);
                    same(Fixtures.tensor(c, "grad"), gs[0], name + ": grad", 0);
                }
            }
            case "remainder_grad" -> {
                Tensor a = BoolOpsConformanceTest.of(Fixtures.tensor(c, "a")).requiresGrad(true);
                Tensor b = BoolOpsConformanceTest.of(Fixtures.tensor(c, "b")).requiresGrad(true);
                Tensor y = a.remainder(b);
                same(want, y, name, 0);
                assertEquals("RemainderBackward1", y.gradFn().name(), name);
                Tensor g = BoolOpsConformanceTest.of(Fixtures.tensor(c, "g"));
                Tensor[] gs = Autograd.grad(y, new Tensor[] {a, b}, g, false);
                same(Fixtures.tensor(c, "grad_a"), gs[0], name + ": grad a", 0);
                same(Fixtures.tensor(c, "grad_b"), gs[1], name + ": grad b", 0);
            }
            case "index_put_mask" -> {
                Tensor x = BoolOpsConformanceTest.of(Fixtures.tensor(c, "x")).requiresGrad(true);
                Tensor mask = BoolOpsConformanceTest.of(Fixtures.tensor(c, "mask"));
                Tensor v = BoolOpsConformanceTest.of(Fixtures.tensor(c, "v")).requiresGrad(true);
                Tensor y = x.indexPut(new Tensor[] {mask}, v, (Boolean) c.get("accumulate"));
                same(want, y, name, 0);
                Tensor g = BoolOpsConformanceTest.of(Fixtures.tensor(c, "g"));
                Tensor[] gs = Autograd.grad(y, new Tensor[] {x, v}, g, false);
                same(Fixtures.tensor(c, "grad_x"), gs[0], name + ": grad x", 0);
                same(Fixtures.tensor(c, "grad_v"), gs[1], name + ": grad v", 0);
            }
            case "masked_scatter" -> {
                Tensor x = BoolOpsConformanceTest.of(Fixtures.tensor(c, "x")).requiresGrad(true);
                Tensor mask = BoolOpsConformanceTest.of(Fixtures.tensor(c, "mask"));
                Tensor src = BoolOpsConformanceTest.of(Fixtures.tensor(c, "source")).requiresGrad(true);
                Tensor y = x.maskedScatter(mask, src);
                same(want, y, name, 0);
                assertEquals("MaskedScatterBackward0", y.gradFn().name(), name);
                Tensor g = BoolOpsConformanceTest.of(Fixtures.tensor(c, "g"));
                Tensor[] gs = Autograd.grad(y, new Tensor[] {x, src}, g, false);
                same(Fixtures.tensor(c, "grad_x"), gs[0], name + ": grad x", 0);
                same(Fixtures.tensor(c, "grad_source"), gs[1], name + ": grad source", 0);
            }
            case "clamp" -> {
                Tensor a = BoolOpsConformanceTest.of(Fixtures.tensor(c, "a"));
                Tensor y = c.get("stype").equals("int")
                        ? a.clamp(((Number) c.get("lo")).longValue(), ((Number) c.get("hi")).longValue())
                        : a.clamp(Fixtures.number(c.get("lo")), Fixtures.number(c.get("hi")));
                same(want, y, name, 0);
            }
            case "clamp_" -> {
                Tensor a = BoolOpsConformanceTest.of(Fixtures.tensor(c, "a"));
                int version = a.version();
                Tensor r = a.clamp_(((Number) c.get("lo")).longValue(), ((Number) c.get("hi")).longValue());
                assertTrue(r == a && a.version() > version, name + ": in place, version bumped");
                same(want, a, name, 0);
            }
            case "nonzero" -> same(want, BoolOpsConformanceTest.of(Fixtures.tensor(c, "a")).nonzero(), name, 0);
            default -> throw new AssertionError(kind);
        }
    }

    @TestFactory
    Stream<DynamicTest> matchesPyTorch() {
        List<Map<String, Object>> cases = Fixtures.cases(ROOT);
        assertTrue(cases.size() > 200, "cases: " + cases.size());
        return cases.stream().map(c -> DynamicTest.dynamicTest((String) c.get("name"), () -> check(c)));
    }
}
