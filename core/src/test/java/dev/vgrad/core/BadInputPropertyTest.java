package dev.vgrad.core;

import static dev.vgrad.core.testing.BadInput.badDim;
import static dev.vgrad.core.testing.BadInput.nonFinite;
import static dev.vgrad.core.testing.BadInput.pick;
import static dev.vgrad.core.testing.BadInput.shape;
import static dev.vgrad.core.testing.BadInput.tensor;
import static dev.vgrad.core.testing.BadInput.unbroadcastable;

import dev.vgrad.core.testing.BadInput;
import dev.vgrad.core.testing.BadInput.Call;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every public {@link Tensor} op driven with random invalid arguments (wrong ranks, mismatched shapes, dims out of
 * range, empty tensors where invalid, int64 where floats are needed, non-finite or inconsistent scalars, null
 * arguments): each call must throw IllegalArgumentException / IllegalStateException / IndexOutOfBoundsException
 * naming the op. The number of cases tried is printed and shown in the test names.
 */
@DisplayName("Bad input (core Tensor ops): random invalid calls fail with a clear exception naming the op")
class BadInputPropertyTest {

    private static Call call(String what, BadInput.ThrowingRunnable run, String... names) {
        return new Call(what, run, names);
    }

    private static String s(int[] a) {
        return Arrays.toString(a);
    }

    /** A float tensor whose rank is random in [lo, hi]. */
    private static Tensor anyRank(Random r, int lo, int hi) {
        return tensor(r, shape(r, lo + r.nextInt(hi - lo + 1), 3));
    }

    private static Tensor longs(Random r, int... shape) {
        return tensor(r, DType.INT64, shape);
    }

    /**
     * Binary elementwise op: unbroadcastable shapes or a null operand (an int64 operand is valid: arithmetic
     * promotes it and comparisons accept it, SEMANTICS §11, §17).
     */
    private static Function<Random, Call> binary(String name, BiFunction<Tensor, Tensor, Tensor> f) {
        return r -> switch (r.nextInt(2)) {
            case 0 -> {
                int[][] p = unbroadcastable(r, 1 + r.nextInt(3));
                Tensor a = tensor(r, p[0]);
                Tensor b = tensor(r, p[1]);
                boolean swap = r.nextBoolean();
                yield call(s(p[0]) + " vs " + s(p[1]), () -> f.apply(swap ? b : a, swap ? a : b), name);
            }
            default -> {
                Tensor a = anyRank(r, 0, 3);
                yield call("null operand", () -> f.apply(a, null), name);
            }
        };
    }

    /** A comparison: the same invalid calls as {@link #binary}. */
    private static Function<Random, Call> comparison(String name, BiFunction<Tensor, Tensor, Tensor> f) {
        return binary(name, f);
    }

    /** Unary op that PyTorch does not compute for int64 input (leaky_relu, gelu, silu, softplus, softmax, clamp). */
    private static Function<Random, Call> unary(String name, Function<Tensor, Tensor> f) {
        return r -> {
            Tensor l = longs(r, shape(r, r.nextInt(3), 3));
            return call("int64 input " + s(l.shape()), () -> f.apply(l), name);
        };
    }

    /** Unary op that takes int64 but refuses bool input (neg, abs, relu; SEMANTICS §17). */
    private static Function<Random, Call> unaryOfBool(String name, Function<Tensor, Tensor> f) {
        return r -> {
            Tensor m = tensor(r, shape(r, r.nextInt(3), 3)).gt(0);
            return call("bool input " + s(m.shape()), () -> f.apply(m), name);
        };
    }

    /** A reduction over dims: dims out of range, duplicated dims, null dims array entries. */
    private static Function<Random, Call> dimsReduction(String name, BiFunction<Tensor, int[], Tensor> f) {
        return dimsReduction(name, f, true);
    }

    /** As above; {@code int64Invalid} false for sum, which sums int64 exactly (SEMANTICS §17). */
    private static Function<Random, Call> dimsReduction(String name, BiFunction<Tensor, int[], Tensor> f,
            boolean int64Invalid) {
        return r -> {
            Tensor x = anyRank(r, 0, 3);
            int rank = x.dim();
            switch (r.nextInt(int64Invalid ? 3 : 2)) {
                case 0: {
                    int[] dims = {badDim(r, rank)};
                    return call(s(x.shape()) + " dims " + s(dims), () -> f.apply(x, dims), name);
                }
                case 1: {
                    if (rank >= 1) {
                        int d = r.nextInt(rank);
                        int[] dims = {d, d - rank};
                        return call(s(x.shape()) + " duplicated dims " + s(dims), () -> f.apply(x, dims), name);
                    }
                    int[] dims = {0, 5};
                    return call(s(x.shape()) + " dims " + s(dims), () -> f.apply(x, dims), name);
                }
                default: {
                    Tensor l = longs(r, x.shape());
                    int[] dims = {0};
                    return call("int64 input", () -> f.apply(l, dims), name);
                }
            }
        };
    }

    /** A single-dim op: dim out of range. */
    private static Function<Random, Call> dimOp(String name, BiFunction<Tensor, Integer, Object> f) {
        return r -> {
            Tensor x = anyRank(r, 0, 4);
            int d = badDim(r, x.dim());
            return call(s(x.shape()) + " dim " + d, () -> f.apply(x, d), name);
        };
    }

    @TestFactory
    Stream<DynamicTest> everyTensorOpRejectsInvalidArguments() {
        BadInput b = new BadInput("core Tensor ops");

        // ---------------------------------------------------------------- factories
        b.add("Tensor.of", r -> {
            int[] sh = shape(r, 1 + r.nextInt(3), 4);
            int n = Arrays.stream(sh).reduce(1, (x, y) -> x * y);
            return switch (r.nextInt(4)) {
                case 0 -> call("length mismatch", () -> Tensor.of(new float[n + 1 + r.nextInt(3)], sh), "Tensor.of");
                case 1 -> call("negative dim", () -> Tensor.of(new float[0], -1 - r.nextInt(5), 0), "Tensor.of");
                case 2 -> call("null data", () -> Tensor.of((float[]) null, sh), "Tensor.of");
                default -> call("null shape", () -> Tensor.of(new double[1], (int[]) null), "Tensor.of");
            };
        });
        b.add("Tensor.ofLongs", r -> r.nextBoolean()
                ? call("length mismatch", () -> Tensor.ofLongs(new long[3], 2, 2), "Tensor.ofLongs")
                : call("null data", () -> Tensor.ofLongs(null, 2), "Tensor.ofLongs"));
        b.add("zeros/ones/full", r -> {
            int[] sh = shape(r, 1 + r.nextInt(3), 4);
            sh[r.nextInt(sh.length)] = -1 - r.nextInt(100);
            return switch (r.nextInt(5)) {
                case 0 -> call("zeros " + s(sh), () -> Tensor.zeros(sh), "zeros");
                case 1 -> call("ones " + s(sh), () -> Tensor.ones(sh), "ones", "full");
                case 2 -> call("full " + s(sh), () -> Tensor.full(2.0, sh), "full");
                case 3 -> call("huge", () -> Tensor.zeros(65536, 65536, 2), "zeros");
                default -> call("null dtype", () -> Tensor.zeros((DType) null, 2), "zeros");
            };
        });
        b.add("arange", r -> switch (r.nextInt(4)) {
            case 0 -> call("step 0", () -> Tensor.arange(0, 5, 0), "arange");
            case 1 -> call("wrong sign", () -> Tensor.arange(5, 0, 1 + r.nextInt(3)), "arange");
            case 2 -> call("non-finite bound", () -> Tensor.arange(0, nonFinite(r), 1), "arange");
            default -> call("too many elements", () -> Tensor.arange(0, 1e12, 1), "arange");
        });
        b.add("linspace", r -> r.nextBoolean()
                ? call("negative steps", () -> Tensor.linspace(0, 1, -1 - r.nextInt(10)), "linspace")
                : call("non-finite", () -> Tensor.linspace(0, nonFinite(r), 5), "linspace"));
        b.add("eye", r -> call("negative n", () -> Tensor.eye(-1 - r.nextInt(100)), "eye"));
        b.add("rand/randn", r -> switch (r.nextInt(3)) {
            case 0 -> call("negative shape", () -> Tensor.rand(new Generator(1), 2, -3), "rand");
            case 1 -> call("null generator", () -> Tensor.randn((Generator) null, 2, 3), "randn");
            default -> call("null generator", () -> Tensor.rand((Generator) null, 2), "rand");
        });
        b.add("randint", r -> switch (r.nextInt(3)) {
            case 0 -> call("low >= high", () -> Tensor.randint(new Generator(1), 3, 3 - r.nextInt(5), 2), "randint");
            case 1 -> call("negative shape", () -> Tensor.randint(new Generator(1), 0, 3, -2), "randint");
            default -> call("null generator", () -> Tensor.randint(null, 0, 3, 2), "randint");
        });

        // ---------------------------------------------------------------- metadata and element access
        b.add("size", dimOp("size", (x, d) -> x.size(d)));
        b.add("get/set", r -> {
            Tensor x = anyRank(r, 1, 3);
            int[] idx = new int[x.dim()];
            int k = r.nextInt(x.dim());
            idx[k] = pick(r, x.shape()[k], -x.shape()[k] - 1, Integer.MAX_VALUE, Integer.MIN_VALUE);
            int[] wrongCount = new int[x.dim() + 1];
            return switch (r.nextInt(4)) {
                case 0 -> call("get " + s(idx) + " on " + s(x.shape()), () -> x.get(idx), "get");
                case 1 -> call("set " + s(idx), () -> x.detach().set(1, idx), "set");
                case 2 -> call("get with " + wrongCount.length + " indices", () -> x.get(wrongCount), "get");
                default -> call("get null", () -> x.get((int[]) null), "get");
            };
        });
        b.add("item", r -> {
            Tensor x = tensor(r, shape(r, 1, 3)[0] + 1);
            return r.nextBoolean() ? call("item of " + x.numel(), x::item, "item")
                    : call("item of empty", () -> Tensor.zeros(0).item(), "item");
        });
        b.add("requiresGrad", r -> switch (r.nextInt(2)) {
            case 0 -> call("int64 requires grad", () -> longs(r, 2).requiresGrad(true), "can require gradients");
            default -> {
                Tensor a = tensor(r, 2).requiresGrad(true);
                Tensor y = a.mul(2);
                yield call("non-leaf", () -> y.requiresGrad(false), "requires_grad");
            }
        });
        b.add("setGrad", r -> {
            Tensor x = tensor(r, 2, 3).requiresGrad(true);
            return switch (r.nextInt(2)) {
                case 0 -> call("wrong shape", () -> x.setGrad(tensor(r, 3, 2)), "setGrad");
                default -> call("wrong dtype", () -> x.setGrad(tensor(r, DType.FLOAT64, 2, 3)), "setGrad");
            };
        });
        b.add("backward", r -> {
            Tensor a = tensor(r, 3).requiresGrad(true);
            return switch (r.nextInt(5)) {
                case 0 -> call("non-scalar", () -> a.mul(2).backward(), "grad can be implicitly created");
                case 1 -> call("no grad", () -> tensor(r, 1).backward(), "does not require grad");
                case 2 -> call("shape mismatch", () -> a.mul(2).backward(Tensor.ones(2)), "Mismatch in shape");
                case 3 -> {
                    Tensor y = a.mul(a).sum();
                    y.backward();
                    yield call("second time", y::backward, "backward through the graph a second time");
                }
                default -> {
                    Tensor y = a.exp();
                    y.add_(1);
                    yield call("modified saved tensor", () -> y.sum().backward(), "modified by an inplace operation");
                }
            };
        });
        b.add("retainGrad", r -> call("no grad", () -> tensor(r, 2).retainGrad(), "retain_grad"));
        b.add("to", r -> call("null dtype", () -> tensor(r, 2).to(null), "to"));

        // ---------------------------------------------------------------- views
        b.add("view", r -> {
            Tensor x = anyRank(r, 1, 3);
            int n = x.numel();
            return switch (r.nextInt(5)) {
                case 0 -> call("numel mismatch", () -> x.view(n + 1 + r.nextInt(4)), "view");
                case 1 -> call("two -1", () -> x.view(-1, -1), "view");
                case 2 -> call("negative size", () -> x.view(-2 - r.nextInt(4), n), "view");
                case 3 -> call("non-viewable", () -> Tensor.zeros(3, 4).transpose(0, 1).view(12), "view");
                default -> call("null shape", () -> x.view((int[]) null), "view");
            };
        });
        b.add("reshape", r -> {
            Tensor x = anyRank(r, 1, 3);
            int n = x.numel();
            return switch (r.nextInt(3)) {
                case 0 -> call("numel mismatch", () -> x.reshape(n + 1, 1), "reshape", "view");
                case 1 -> call("-1 with 0", () -> Tensor.zeros(0, 2).reshape(-1, 0), "reshape", "view");
                default -> call("negative", () -> x.reshape(-3), "reshape", "view");
            };
        });
        b.add("flatten", r -> {
            Tensor x = anyRank(r, 0, 3);
            int rank = x.dim();
            return switch (r.nextInt(2)) {
                case 0 -> call("start out of range", () -> x.flatten(badDim(r, rank), -1), "flatten");
                default -> rank >= 2
                        ? call("start > end", () -> x.flatten(1, 0), "flatten")
                        : call("end out of range", () -> x.flatten(0, badDim(r, rank)), "flatten");
            };
        });
        b.add("transpose", r -> {
            Tensor x = anyRank(r, 0, 4);
            return call(s(x.shape()), () -> x.transpose(badDim(r, x.dim()), 0), "transpose");
        });
        b.add("t", r -> {
            Tensor x = anyRank(r, 3, 5);
            return call(s(x.shape()), x::t, "t");
        });
        b.add("permute", r -> {
            Tensor x = anyRank(r, 1, 4);
            int rank = x.dim();
            int[] p = new int[rank];
            for (int i = 0; i < rank; i++) {
                p[i] = i;
            }
            return switch (r.nextInt(4)) {
                case 0 -> call("wrong length", () -> x.permute(Arrays.copyOf(p, rank + 1)), "permute");
                case 1 -> {
                    int[] q = p.clone();
                    q[0] = badDim(r, rank);
                    yield call("dim out of range " + s(q), () -> x.permute(q), "permute");
                }
                case 2 -> {
                    if (rank < 2) {
                        yield call("null", () -> x.permute((int[]) null), "permute");
                    }
                    int[] q = p.clone();
                    q[1] = q[0];
                    yield call("repeated " + s(q), () -> x.permute(q), "permute");
                }
                default -> call("null", () -> x.permute((int[]) null), "permute");
            };
        });
        b.add("narrow", r -> {
            Tensor x = anyRank(r, 1, 3);
            int d = r.nextInt(x.dim());
            int size = x.shape()[d];
            return switch (r.nextInt(4)) {
                case 0 -> call("bad dim", () -> x.narrow(badDim(r, x.dim()), 0, 1), "narrow");
                case 1 -> call("start past end", () -> x.narrow(d, size + 1 + r.nextInt(3), 0), "narrow");
                case 2 -> call("length too long", () -> x.narrow(d, 0, size + 1 + r.nextInt(3)), "narrow");
                default -> call("negative length", () -> x.narrow(d, 0, -1 - r.nextInt(3)), "narrow");
            };
        });
        b.add("slice", r -> {
            Tensor x = anyRank(r, 0, 3);
            return switch (r.nextInt(2)) {
                case 0 -> call("bad dim", () -> x.slice(badDim(r, x.dim()), 0, 1, 1), "slice");
                default -> call("step <= 0", () -> x.slice(0, 0, 1, -r.nextInt(3)), "slice");
            };
        });
        b.add("select", r -> {
            Tensor x = anyRank(r, 0, 3);
            if (x.dim() == 0) {
                return call("0-d", () -> x.select(0, 0), "select");
            }
            int d = r.nextInt(x.dim());
            int size = x.shape()[d];
            return switch (r.nextInt(2)) {
                case 0 -> call("bad dim", () -> x.select(badDim(r, x.dim()), 0), "select");
                default -> call("index out of range", () -> x.select(d, pick(r, size, -size - 1, Integer.MIN_VALUE)),
                        "select");
            };
        });
        b.add("squeeze", dimOp("squeeze", (x, d) -> x.squeeze(d)));
        b.add("unsqueeze", r -> {
            Tensor x = anyRank(r, 0, 3);
            int rank = x.dim() + 1;
            int d = pick(r, rank + r.nextInt(3), -rank - 1 - r.nextInt(3), Integer.MIN_VALUE);
            return call(s(x.shape()) + " dim " + d, () -> x.unsqueeze(d), "unsqueeze");
        });
        b.add("expand", r -> {
            Tensor x = anyRank(r, 1, 3);
            int[] sh = x.shape();
            return switch (r.nextInt(4)) {
                case 0 -> call("fewer dims", () -> x.expand(Arrays.copyOf(sh, sh.length - 1)), "expand");
                case 1 -> {
                    int[] t = sh.clone();
                    int k = r.nextInt(t.length);
                    t[k] = sh[k] == 1 ? -2 - r.nextInt(3) : sh[k] + 1;
                    yield call(s(sh) + " to " + s(t), () -> x.expand(t), "expand");
                }
                case 2 -> call("-1 in new leading dim", () -> x.expand(concat(-1, sh)), "expand");
                default -> call("null", () -> x.expand((int[]) null), "expand");
            };
        });

        // ---------------------------------------------------------------- elementwise
        b.add("add", binary("add", Tensor::add));
        b.add("sub", binary("sub", Tensor::sub));
        b.add("mul", binary("mul", Tensor::mul));
        b.add("div", binary("div", Tensor::div));
        b.add("pow", binary("pow", Tensor::pow));
        b.add("maximum", binary("maximum", Tensor::maximum));
        b.add("minimum", binary("minimum", Tensor::minimum));
        b.add("gt", comparison("gt", Tensor::gt));
        b.add("lt", comparison("lt", Tensor::lt));
        b.add("ge", comparison("ge", Tensor::ge));
        b.add("le", comparison("le", Tensor::le));
        b.add("eq", comparison("eq", Tensor::eq));
        b.add("ne", comparison("ne", Tensor::ne));
        b.add("scalar ops on int64", r -> {
            Tensor l = longs(r, 3);
            // (comparisons with a scalar accept int64, SEMANTICS §17; mean refuses it as PyTorch does)
            return switch (r.nextInt(5)) {
                case 0 -> call("add_ of a float", () -> l.add_(1.5), "add_", "Long");
                case 1 -> call("mul_ of a float", () -> l.mul_(2.0), "mul_", "Long");
                case 2 -> call("div_", () -> l.div_(2), "div_", "Long");
                case 3 -> call("floor_divide by 0", () -> l.floorDivide(0), "floor_divide", "ZeroDivisionError");
                default -> call("mean", () -> l.mean(), "mean");
            };
        });
        // exp, log, sqrt, reciprocal, tanh, sigmoid take every dtype (int64 and bool compute in float32, §17)
        b.add("neg", unaryOfBool("Negation", Tensor::neg));
        b.add("abs", unaryOfBool("abs", Tensor::abs));
        b.add("relu", unaryOfBool("relu", Tensor::relu));
        b.add("leakyRelu", r -> r.nextBoolean() ? unary("leaky_relu", x -> x.leakyRelu(0.1)).apply(r)
                : call("NaN slope", () -> tensor(r, 3).leakyRelu(Double.NaN), "leaky_relu", "leakyRelu"));
        b.add("gelu", r -> switch (r.nextInt(3)) {
            case 0 -> unary("gelu", Tensor::gelu).apply(r);
            case 1 -> call("bad approximate", () -> tensor(r, 3).gelu(pick(r, "tanhh", "", "None")), "gelu");
            default -> call("null approximate", () -> tensor(r, 3).gelu(null), "gelu");
        });
        b.add("silu", unary("silu", Tensor::silu));
        b.add("softplus", r -> switch (r.nextInt(3)) {
            case 0 -> unary("softplus", Tensor::softplus).apply(r);
            case 1 -> call("beta 0", () -> tensor(r, 3).softplus(0, 20), "softplus");
            default -> call("non-finite beta", () -> tensor(r, 3).softplus(nonFinite(r), 20), "softplus");
        });
        b.add("clamp", r -> switch (r.nextInt(2)) {
            case 0 -> call("no bounds", () -> tensor(r, 3).clamp(Double.NaN, Double.NaN), "clamp");
            default -> call("no bounds on int64", () -> longs(r, 3).clamp(Double.NaN, Double.NaN), "clamp");
        });
        b.add("where", r -> {
            int[][] p = unbroadcastable(r, 1 + r.nextInt(2));
            Tensor c = tensor(r, p[0]).gt(0);
            Tensor a = tensor(r, p[0]);
            Tensor o = tensor(r, p[1]);
            return switch (r.nextInt(3)) {
                case 0 -> call(s(p[0]) + " vs " + s(p[1]), () -> Tensor.where(c, a, o), "where");
                case 1 -> call(s(p[1]) + " condition", () -> Tensor.where(o.gt(0), a, a), "where");
                default -> call("null", () -> Tensor.where(null, a, a), "where");
            };
        });

        // ---------------------------------------------------------------- reductions
        b.add("sum", dimsReduction("sum", (x, d) -> x.sum(d, false), false));
        b.add("mean", dimsReduction("mean", (x, d) -> x.mean(d, true)));
        b.add("var", dimsReduction("var", (x, d) -> x.var(d, 1, false)));
        b.add("amax", dimsReduction("amax", (x, d) -> x.amax(d, false), false));
        b.add("amin", dimsReduction("amin", (x, d) -> x.amin(d, true), false));
        b.add("logsumexp", dimsReduction("logsumexp", (x, d) -> x.logsumexp(d, false)));
        b.add("max/min(dim)", r -> {
            Tensor x = anyRank(r, 0, 3);
            int d = badDim(r, x.dim());
            return switch (r.nextInt(3)) {
                case 0 -> call("max dim " + d, () -> x.max(d, false), "max");
                case 1 -> call("min dim " + d, () -> x.min(d, true), "min");
                default -> call("max over empty dim", () -> Tensor.zeros(2, 0).max(1, false), "max");
            };
        });
        b.add("max/min of empty", r -> switch (r.nextInt(4)) {
            case 0 -> call("max", () -> Tensor.zeros(0, 3).max(), "max");
            case 1 -> call("min", () -> Tensor.zeros(0).min(), "min");
            case 2 -> call("amax over empty dim", () -> Tensor.zeros(3, 0).amax(new int[] {1}, false), "amax");
            default -> call("amin", () -> Tensor.zeros(0).amin(new int[] {0}, false), "amin");
        });
        b.add("argmax/argmin", r -> {
            Tensor x = anyRank(r, 0, 3);
            int d = badDim(r, x.dim());
            return switch (r.nextInt(4)) {
                case 0 -> call("argmax dim " + d, () -> x.argmax(d, false), "argmax");
                case 1 -> call("argmin dim " + d, () -> x.argmin(d, true), "argmin");
                case 2 -> call("argmax of empty", () -> Tensor.zeros(0).argmax(), "argmax");
                default -> call("argmin over empty dim", () -> Tensor.zeros(2, 0).argmin(1, false), "argmin");
            };
        });
        b.add("softmax", r -> r.nextBoolean() ? dimOp("softmax", (x, d) -> x.softmax(d)).apply(r)
                : unary("softmax", x -> x.softmax(0)).apply(r));
        b.add("logSoftmax", r -> r.nextBoolean() ? dimOp("log_softmax", (x, d) -> x.logSoftmax(d)).apply(r)
                : unary("log_softmax", x -> x.logSoftmax(0)).apply(r));

        // ---------------------------------------------------------------- linear algebra
        b.add("matmul", r -> {
            int k = 2 + r.nextInt(4);
            return switch (r.nextInt(6)) {
                case 0 -> call("inner mismatch 2-D", () -> tensor(r, 3, k).matmul(tensor(r, k + 1, 2)), "matmul");
                case 1 -> call("inner mismatch 1-D", () -> tensor(r, k).matmul(tensor(r, k + 1)), "matmul");
                case 2 -> call("0-d operand", () -> Tensor.scalar(2).matmul(tensor(r, k)), "matmul");
                case 3 -> call("batch mismatch", () -> tensor(r, 2, 3, k).matmul(tensor(r, 3, k, 2)), "matmul");
                case 4 -> call("int64", () -> longs(r, 2, 2).matmul(tensor(r, 2, 2)), "matmul");
                default -> call("null", () -> tensor(r, 2, 2).matmul(null), "matmul");
            };
        });

        // ---------------------------------------------------------------- convolution and pooling
        b.add("conv2d", r -> {
            int c = 1 + r.nextInt(3);
            Tensor x = tensor(r, 1 + r.nextInt(2), c, 5, 5);
            Tensor w = tensor(r, 2, c, 3, 3);
            int[] one = {1, 1};
            int[] zero = {0, 0};
            return switch (r.nextInt(11)) {
                case 0 -> call("input rank", () -> tensor(r, shape(r, pick(r, 1, 2, 5), 3)).conv2d(w, null), "conv2d");
                case 1 -> call("weight rank", () -> x.conv2d(tensor(r, 2, c, 3), null), "conv2d");
                case 2 -> call("channel mismatch", () -> x.conv2d(tensor(r, 2, c + 1, 3, 3), null), "conv2d");
                case 3 -> call("groups", () -> x.conv2d(w, null, one, zero, one, pick(r, 0, -1, 3)), "conv2d");
                case 4 -> call("stride", () -> x.conv2d(w, null, new int[] {pick(r, 0, -1), 1}, zero, one, 1), "conv2d");
                case 5 -> call("padding", () -> x.conv2d(w, null, one, new int[] {-1 - r.nextInt(2), 0}, one, 1), "conv2d");
                case 6 -> call("dilation", () -> x.conv2d(w, null, one, zero, new int[] {pick(r, 0, -2), 1}, 1), "conv2d");
                case 7 -> call("kernel larger than input", () -> x.conv2d(tensor(r, 2, c, 7, 3), null), "conv2d");
                case 8 -> call("bias shape", () -> x.conv2d(w, tensor(r, 3)), "conv2d");
                case 9 -> call("null weight", () -> x.conv2d(null, null), "conv2d");
                default -> call("empty spatial input", () -> tensor(r, 1, c, 0, 5).conv2d(w, null), "conv2d");
            };
        });
        b.add("maxPool2d", r -> {
            Tensor x = tensor(r, 1, 2, 4, 4);
            return switch (r.nextInt(7)) {
                case 0 -> call("input rank", () -> tensor(r, 4, 4).maxPool2d(2), "max_pool2d");
                case 1 -> call("kernel <= 0", () -> x.maxPool2d(pick(r, 0, -1)), "max_pool2d");
                case 2 -> call("stride 0", () -> x.maxPool2d(new int[] {2, 2}, new int[] {0, 1}, new int[] {0, 0},
                        new int[] {1, 1}, false), "max_pool2d");
                case 3 -> call("pad > half kernel", () -> x.maxPool2d(new int[] {2, 2}, null, new int[] {2, 0},
                        new int[] {1, 1}, false), "max_pool2d");
                case 4 -> call("kernel larger than input", () -> x.maxPool2d(5), "max_pool2d");
                case 5 -> call("int64", () -> longs(r, 1, 1, 4, 4).maxPool2d(2), "max_pool2d");
                default -> call("null kernel", () -> x.maxPool2d(null, null, null, null, false), "max_pool2d");
            };
        });
        b.add("avgPool2d", r -> {
            Tensor x = tensor(r, 1, 2, 4, 4);
            return switch (r.nextInt(6)) {
                case 0 -> call("input rank", () -> tensor(r, 4).avgPool2d(2), "avg_pool2d");
                case 1 -> call("kernel <= 0", () -> x.avgPool2d(pick(r, 0, -3)), "avg_pool2d");
                case 2 -> call("stride <0", () -> x.avgPool2d(new int[] {2, 2}, new int[] {-1, 1}, new int[] {0, 0},
                        false, true), "avg_pool2d");
                case 3 -> call("pad > half kernel", () -> x.avgPool2d(new int[] {3, 3}, null, new int[] {0, 2},
                        false, true), "avg_pool2d");
                case 4 -> call("kernel larger than input", () -> x.avgPool2d(6), "avg_pool2d");
                default -> call("kernel with 3 entries", () -> x.avgPool2d(new int[] {2, 2, 2}, null, null, false, true),
                        "avg_pool2d");
            };
        });
        b.add("adaptiveAvgPool2d", r -> switch (r.nextInt(3)) {
            case 0 -> call("output <= 0", () -> tensor(r, 1, 2, 4, 4).adaptiveAvgPool2d(pick(r, 0, -1), 2),
                    "adaptive_avg_pool2d");
            case 1 -> call("input rank", () -> tensor(r, 4, 4).adaptiveAvgPool2d(2, 2), "adaptive_avg_pool2d");
            default -> call("empty spatial", () -> tensor(r, 1, 2, 0, 4).adaptiveAvgPool2d(2, 2), "adaptive_avg_pool2d");
        });

        // ---------------------------------------------------------------- joining and indexing
        b.add("cat", r -> {
            int[][] p = unbroadcastable(r, 2);
            Tensor a = tensor(r, p[0]);
            return switch (r.nextInt(6)) {
                case 0 -> call("empty list", () -> Tensor.cat(List.of(), 0), "cat");
                case 1 -> call("null list", () -> Tensor.cat(null, 0), "cat");
                case 2 -> call("null element", () -> Tensor.cat(Arrays.asList(a, null), 0), "cat");
                case 3 -> call("bad dim", () -> Tensor.cat(List.of(a, a), badDim(r, 2)), "cat");
                case 4 -> call("rank mismatch", () -> Tensor.cat(List.of(a, tensor(r, 3)), 0), "cat");
                default -> {
                    // sizes differ in a dim other than the cat dim
                    int d = p[0][0] != p[1][0] ? 1 : 0;
                    yield call(s(p[0]) + " vs " + s(p[1]) + " along " + d,
                            () -> Tensor.cat(List.of(a, tensor(r, p[1])), d), "cat");
                }
            };
        });
        b.add("stack", r -> {
            int[][] p = unbroadcastable(r, 2);
            Tensor a = tensor(r, p[0]);
            return switch (r.nextInt(4)) {
                case 0 -> call("empty list", () -> Tensor.stack(new ArrayList<>(), 0), "stack");
                case 1 -> call("shape mismatch", () -> Tensor.stack(List.of(a, tensor(r, p[1])), 0), "stack");
                case 2 -> call("bad dim", () -> Tensor.stack(List.of(a, a), pick(r, 3, -4, 100)), "stack");
                default -> call("null list", () -> Tensor.stack(null, 0), "stack");
            };
        });
        b.add("split", r -> {
            Tensor x = anyRank(r, 1, 3);
            int n = x.shape()[0];
            return switch (r.nextInt(5)) {
                case 0 -> call("split size <= 0", () -> x.split(-r.nextInt(3), 0), "split");
                case 1 -> call("bad dim", () -> x.split(1, badDim(r, x.dim())), "split");
                case 2 -> call("sizes don't sum", () -> x.split(new int[] {n, 1}, 0), "split");
                case 3 -> call("negative size", () -> x.split(new int[] {n + 1, -1}, 0), "split");
                default -> call("null sizes", () -> x.split((int[]) null, 0), "split");
            };
        });
        b.add("gather", r -> {
            Tensor x = tensor(r, 3, 4);
            return switch (r.nextInt(6)) {
                case 0 -> call("float index", () -> x.gather(1, tensor(r, 3, 2)), "gather");
                case 1 -> call("rank mismatch", () -> x.gather(1, Tensor.ofLongs(new long[] {0, 1}, 2)), "gather");
                case 2 -> call("index out of range", () -> x.gather(1,
                        Tensor.ofLongs(new long[] {pick(r, 4L, -5L, Long.MAX_VALUE, Long.MIN_VALUE)}, 1, 1)), "gather");
                case 3 -> call("bad dim", () -> x.gather(badDim(r, 2), Tensor.ofLongs(new long[] {0}, 1, 1)), "gather");
                case 4 -> call("index larger than input", () -> x.gather(1, Tensor.ofLongs(new long[8], 4, 2)), "gather");
                default -> call("null index", () -> x.gather(1, null), "gather");
            };
        });
        b.add("indexSelect", r -> {
            Tensor x = tensor(r, 3, 4);
            return switch (r.nextInt(5)) {
                case 0 -> call("float index", () -> x.indexSelect(0, tensor(r, 2)), "index_select");
                case 1 -> call("2-D index", () -> x.indexSelect(0, Tensor.ofLongs(new long[4], 2, 2)), "index_select");
                case 2 -> call("out of range", () -> x.indexSelect(0,
                        Tensor.ofLongs(new long[] {pick(r, 3L, -4L, Long.MAX_VALUE)}, 1)), "index_select");
                case 3 -> call("bad dim", () -> x.indexSelect(badDim(r, 2), Tensor.ofLongs(new long[1], 1)),
                        "index_select");
                default -> call("null", () -> x.indexSelect(0, null), "index_select");
            };
        });

        // ---------------------------------------------------------------- in-place
        b.add("in-place arithmetic", r -> {
            int[][] p = unbroadcastable(r, 2);
            Tensor a = tensor(r, p[0]);
            Tensor o = tensor(r, p[1]);
            return switch (r.nextInt(8)) {
                case 0 -> call("add_ mismatch", () -> a.add_(o), "add_");
                case 1 -> call("sub_ mismatch", () -> a.sub_(o), "sub_");
                case 2 -> call("mul_ mismatch", () -> a.mul_(o), "mul_");
                case 3 -> call("div_ mismatch", () -> a.div_(o), "div_");
                case 4 -> call("add_ broadcast grows self", () -> tensor(r, 3).add_(tensor(r, 2, 3)), "add_");
                case 5 -> call("add_ null", () -> a.add_(null), "add_");
                case 6 -> call("leaf requiring grad", () -> tensor(r, 3).requiresGrad(true).mul_(2), "leaf Variable");
                default -> call("float into int64", () -> longs(r, 3).add_(tensor(r, 3)), "add_");
            };
        });
        b.add("copy_", r -> {
            int[][] p = unbroadcastable(r, 2);
            return switch (r.nextInt(3)) {
                case 0 -> call("shape mismatch", () -> tensor(r, p[0]).copy_(tensor(r, p[1])), "copy_");
                case 1 -> call("grow", () -> tensor(r, 3).copy_(tensor(r, 2, 3)), "copy_");
                default -> call("null", () -> tensor(r, 3).copy_(null), "copy_");
            };
        });
        b.add("fill_/zero_/clamp_", r -> {
            Tensor leaf = tensor(r, 3).requiresGrad(true);
            return switch (r.nextInt(4)) {
                case 0 -> call("fill_ leaf", () -> leaf.fill_(1), "leaf Variable");
                case 1 -> call("zero_ leaf", leaf::zero_, "leaf Variable");
                case 2 -> call("clamp_ no bounds", () -> tensor(r, 3).clamp_(Double.NaN, Double.NaN), "clamp");
                default -> call("clamp_ int64 with float bounds", () -> longs(r, 3).clamp_(0.5, 1.0), "clamp");
            };
        });
        b.add("uniform_/normal_", r -> {
            Tensor x = tensor(r, 4);
            return switch (r.nextInt(6)) {
                case 0 -> call("low > high", () -> x.uniform_(new Generator(1), 1, 0), "uniform_");
                case 1 -> call("non-finite", () -> x.uniform_(new Generator(1), 0, nonFinite(r)), "uniform_");
                case 2 -> call("negative std", () -> x.normal_(new Generator(1), 0, -1), "normal_");
                case 3 -> call("NaN std", () -> x.normal_(new Generator(1), 0, Double.NaN), "normal_");
                case 4 -> call("null generator", () -> x.uniform_(null, 0, 1), "uniform_");
                default -> call("int64", () -> longs(r, 3).normal_(new Generator(1), 0, 1), "normal_");
            };
        });
        b.add("Autograd.grad", r -> {
            Tensor a = tensor(r, 3).requiresGrad(true);
            Tensor c = tensor(r, 3).requiresGrad(true);
            Tensor y = a.mul(2).sum();
            return switch (r.nextInt(3)) {
                case 0 -> call("unused input", () -> Autograd.grad(y, new Tensor[] {c}, null, false), "not have been used");
                case 1 -> call("input without grad", () -> Autograd.grad(y, new Tensor[] {tensor(r, 2)}, null, false),
                        "does not require grad");
                default -> call("null inputs", () -> Autograd.grad(y, null, null, false), "grad");
            };
        });

        return b.tests();
    }

    private static int[] concat(int first, int[] rest) {
        int[] o = new int[rest.length + 1];
        o[0] = first;
        System.arraycopy(rest, 0, o, 1, rest.length);
        return o;
    }
}
