package dev.vgrad.core;


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
 * Forward values and every input gradient against PyTorch 1.13 fixtures (tools/fixtures/core_ops.py), in
 * float64 (1e-10 + 1e-10·|b|) and float32 (1e-5 + 1e-4·|b|), docs/SEMANTICS.md §12.
 */
class ConformanceTest {

    @TestFactory
    Stream<DynamicTest> matmul() {
        return cases("matmul.json");
    }

    @TestFactory
    Stream<DynamicTest> softmax() {
        return cases("softmax.json");
    }

    @TestFactory
    Stream<DynamicTest> reductions() {
        return cases("reductions.json");
    }

    @TestFactory
    Stream<DynamicTest> elementwise() {
        return cases("elementwise.json");
    }

    @TestFactory
    Stream<DynamicTest> indexing() {
        return cases("indexing.json");
    }

    @TestFactory
    Stream<DynamicTest> conv2d() {
        return cases("conv2d.json");
    }

    @TestFactory
    Stream<DynamicTest> pool() {
        return cases("pool.json");
    }

    private static Stream<DynamicTest> cases(String file) {
        Map<String, Object> root = Fixtures.load(file);
        List<DynamicTest> tests = new ArrayList<>();
        for (Map<String, Object> c : Fixtures.cases(root)) {
            for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
                String name = file + " " + c.get("name") + " " + dt;
                tests.add(DynamicTest.dynamicTest(name, () -> run(name, c, dt)));
            }
        }
        return tests.stream();
    }

    /** Cases whose PyTorch arguments vgrad does not offer. */
    @SuppressWarnings("unchecked")
    private static void run(String what, Map<String, Object> c, DType dt) {
        String op = (String) c.get("op");
        Map<String, Object> args = (Map<String, Object>) c.get("args");
        Map<String, Object> inNode = (Map<String, Object>) c.get("inputs");
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : inNode.entrySet()) {
            FixtureTensor ft = Fixtures.tensor(e.getValue());
            Tensor t = TestTensors.of(ft, dt);
            if (ft.isFloating()) {
                t.requiresGrad(true);
            }
            in.put(e.getKey(), t);
        }
        Map<String, Tensor> out = apply(op, args, in);
        double atol = dt == DType.FLOAT64 ? Fixtures.F64_ATOL : Fixtures.F32_ATOL;
        double rtol = dt == DType.FLOAT64 ? Fixtures.F64_RTOL : Fixtures.F32_RTOL;
        Map<String, Object> outNode = (Map<String, Object>) c.get("outputs");
        for (Map.Entry<String, Object> e : outNode.entrySet()) {
            FixtureTensor exp = Fixtures.tensor(e.getValue());
            Tensor act = out.get(e.getKey());
            if (act == null) {
                throw new AssertionError(what + ": no output " + e.getKey());
            }
            if (!exp.isFloating()) {
                Fixtures.assertEqualLongs(exp.longs(), act.toLongArray(), what + " output " + e.getKey());
                DType want = exp.dtype().equals("bool") ? DType.BOOL : DType.INT64;
                if (act.dtype() != want) {
                    throw new AssertionError(what + ": output dtype " + act.dtype() + ", expected " + want);
                }
                if (!java.util.Arrays.equals(exp.shape(), act.shape())) {
                    throw new AssertionError(what + " output " + e.getKey() + " shape " + TestTensors.str(act.shape())
                            + " expected " + TestTensors.str(exp.shape()));
                }
            } else {
                Fixtures.assertClose(exp, act.shape(), act.toDoubleArray(), atol, rtol, what + " output " + e.getKey());
                if (act.dtype() != dt) {
                    throw new AssertionError(what + ": output dtype " + act.dtype() + ", expected " + dt);
                }
            }
        }
        Map<String, Object> goNode = (Map<String, Object>) c.get("grad_outputs");
        Map<String, Object> gradNode = (Map<String, Object>) c.get("grads");
        if (goNode == null || goNode.isEmpty() || gradNode == null || gradNode.isEmpty()) {
            return;
        }
        Tensor loss = null;
        for (Map.Entry<String, Object> e : goNode.entrySet()) {
            Tensor go = TestTensors.of(Fixtures.tensor(e.getValue()), dt);
            Tensor term = out.get(e.getKey()).mul(go).sum();
            loss = loss == null ? term : loss.add(term);
        }
        loss.backward();
        for (Map.Entry<String, Object> e : gradNode.entrySet()) {
            FixtureTensor exp = Fixtures.tensor(e.getValue());
            Tensor x = in.get(e.getKey());
            Tensor g = x.grad();
            if (g == null) {
                throw new AssertionError(what + ": no gradient for input " + e.getKey());
            }
            if (g.dtype() != dt) {
                throw new AssertionError(what + ": gradient dtype " + g.dtype() + ", expected " + dt);
            }
            Fixtures.assertClose(exp, g.shape(), g.toDoubleArray(), atol, rtol, what + " grad " + e.getKey());
        }
    }

    private static int[] dims(Object node) {
        return node == null ? null : Fixtures.ints(node);
    }

    private static double num(Map<String, Object> args, String key) {
        Object v = args.get(key);
        return v == null ? Double.NaN : Fixtures.number(v);
    }

    private static int integer(Map<String, Object> args, String key) {
        return ((Number) args.get(key)).intValue();
    }

    private static boolean bool(Map<String, Object> args, String key) {
        return Boolean.TRUE.equals(args.get(key));
    }

    private static Map<String, Tensor> one(Tensor t) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("out", t);
        return m;
    }

    private static Map<String, Tensor> apply(String op, Map<String, Object> args, Map<String, Tensor> in) {
        Tensor a = in.get("a");
        Tensor b = in.get("b");
        Tensor x = in.get("input");
        switch (op) {
            case "matmul": return one(a.matmul(b));
            case "add": return one(a.add(b));
            case "sub": return one(a.sub(b));
            case "mul": return one(a.mul(b));
            case "div": return one(a.div(b));
            case "pow": return one(a.pow(b));
            case "maximum": return one(a.maximum(b));
            case "minimum": return one(a.minimum(b));
            case "add_scalar": return one(a.add(num(args, "scalar")));
            case "sub_scalar": return one(a.sub(num(args, "scalar")));
            case "mul_scalar": return one(a.mul(num(args, "scalar")));
            case "div_scalar": return one(a.div(num(args, "scalar")));
            case "exp": return one(a.exp());
            case "log": return one(a.log());
            case "sqrt": return one(a.sqrt());
            case "abs": return one(a.abs());
            case "tanh": return one(a.tanh());
            case "sigmoid": return one(a.sigmoid());
            case "relu": return one(a.relu());
            case "leaky_relu": return one(a.leakyRelu(num(args, "negative_slope")));
            case "gelu": return one(a.gelu((String) args.get("approximate")));
            case "silu": return one(a.silu());
            case "softplus": return one(a.softplus(Fixtures.number(args.get("beta")), Fixtures.number(args.get("threshold"))));
            case "clamp": return one(a.clamp(num(args, "min"), num(args, "max")));
            case "neg": return one(a.neg());
            case "pow_scalar": return one(a.pow(num(args, "exponent")));
            case "where": return one(Tensor.where(in.get("cond"), a, b));
            case "eq": return one(a.eq(b));
            case "ne": return one(a.ne(b));
            case "lt": return one(a.lt(b));
            case "le": return one(a.le(b));
            case "gt": return one(a.gt(b));
            case "ge": return one(a.ge(b));
            case "softmax": return one(x.softmax(integer(args, "dim")));
            case "log_softmax": return one(x.logSoftmax(integer(args, "dim")));
            case "sum": return one(args.get("dim") == null ? x.sum() : x.sum(dims(args.get("dim")), bool(args, "keepdim")));
            case "mean": return one(args.get("dim") == null ? x.mean() : x.mean(dims(args.get("dim")), bool(args, "keepdim")));
            case "var": return one(x.var(dims(args.get("dim")), integer(args, "correction"), bool(args, "keepdim")));
            case "logsumexp": return one(x.logsumexp(dims(args.get("dim")), bool(args, "keepdim")));
            case "amax": return one(x.amax(dims(args.get("dim")), bool(args, "keepdim")));
            case "amin": return one(x.amin(dims(args.get("dim")), bool(args, "keepdim")));
            case "max": return one(x.max());
            case "min": return one(x.min());
            case "max_dim", "min_dim": {
                boolean isMax = op.equals("max_dim");
                int dim = integer(args, "dim");
                boolean keep = bool(args, "keepdim");
                Map<String, Tensor> m = new LinkedHashMap<>();
                m.put("values", isMax ? x.max(dim, keep) : x.min(dim, keep));
                m.put("indices", isMax ? x.argmax(dim, keep) : x.argmin(dim, keep));
                return m;
            }
            case "argmax", "argmin": {
                boolean isMax = op.equals("argmax");
                if (args.get("dim") == null) {
                    return one(isMax ? x.argmax() : x.argmin());
                }
                int dim = integer(args, "dim");
                boolean keep = bool(args, "keepdim");
                return one(isMax ? x.argmax(dim, keep) : x.argmin(dim, keep));
            }
            case "cat": return one(Tensor.cat(tensorsInOrder(in), integer(args, "dim")));
            case "stack": return one(Tensor.stack(tensorsInOrder(in), integer(args, "dim")));
            case "split": {
                Object s = args.get("split_size_or_sections");
                List<Tensor> parts = s instanceof Number n ? x.split(n.intValue(), integer(args, "dim"))
                        : x.split(Fixtures.ints(s), integer(args, "dim"));
                Map<String, Tensor> m = new LinkedHashMap<>();
                for (int i = 0; i < parts.size(); i++) {
                    m.put("out" + i, parts.get(i));
                }
                return m;
            }
            case "gather": return one(x.gather(integer(args, "dim"), in.get("index")));
            case "index_select": return one(x.indexSelect(integer(args, "dim"), in.get("index")));
            case "narrow": return one(x.narrow(integer(args, "dim"), integer(args, "start"), integer(args, "length")));
            case "transpose": return one(x.transpose(integer(args, "dim0"), integer(args, "dim1")));
            case "permute": return one(x.permute(Fixtures.ints(args.get("dims"))));
            case "permute_mul": return one(x.permute(Fixtures.ints(args.get("dims"))).mul(in.get("w")));
            case "expand": return one(x.expand(Fixtures.ints(args.get("size"))));
            case "view_chain": return one(x.transpose(0, 1).narrow(0, 1, 2).mul(in.get("w")));
            case "conv2d":
                return one(x.conv2d(in.get("weight"), in.get("bias"), Fixtures.ints(args.get("stride")),
                        Fixtures.ints(args.get("padding")), Fixtures.ints(args.get("dilation")), integer(args, "groups")));
            case "max_pool2d":
                return one(x.maxPool2d(Fixtures.ints(args.get("kernel_size")), Fixtures.ints(args.get("stride")),
                        Fixtures.ints(args.get("padding")), Fixtures.ints(args.get("dilation")), bool(args, "ceil_mode")));
            case "avg_pool2d":
                return one(x.avgPool2d(Fixtures.ints(args.get("kernel_size")), Fixtures.ints(args.get("stride")),
                        Fixtures.ints(args.get("padding")), bool(args, "ceil_mode"), bool(args, "count_include_pad")));
            case "adaptive_avg_pool2d": {
                int[] o = Fixtures.ints(args.get("output_size"));
                return one(x.adaptiveAvgPool2d(o[0], o[1]));
            }
            default:
                throw new AssertionError("fixture op without a mapping: " + op);
        }
    }

    private static List<Tensor> tensorsInOrder(Map<String, Tensor> in) {
        List<Tensor> l = new ArrayList<>();
        for (int i = 0; in.containsKey("t" + i); i++) {
            l.add(in.get("t" + i));
        }
        return l;
    }
}
