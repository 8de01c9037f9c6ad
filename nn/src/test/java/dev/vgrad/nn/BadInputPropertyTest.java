package dev.vgrad.nn;

import static dev.vgrad.core.testing.BadInput.badDim;
import static dev.vgrad.core.testing.BadInput.nonFinite;
import static dev.vgrad.core.testing.BadInput.pick;
import static dev.vgrad.core.testing.BadInput.shape;
import static dev.vgrad.core.testing.BadInput.tensor;
import static dev.vgrad.core.testing.BadInput.unbroadcastable;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.BadInput;
import dev.vgrad.core.testing.BadInput.Call;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every nn layer (constructor and forward), loss, functional and init function driven with random invalid
 * arguments; each call must throw IllegalArgumentException / IllegalStateException / IndexOutOfBoundsException
 * whose message names the op (or is the exact PyTorch text docs/SEMANTICS.md prescribes for that op). Case counts are
 * printed and shown in the test names.
 */
@DisplayName("Bad input (nn layers, losses, F, init): random invalid calls fail with a clear exception naming the op")
class BadInputPropertyTest {

    private static Call call(String what, BadInput.ThrowingRunnable run, String... names) {
        return new Call(what, run, names);
    }

    private static Tensor longs(Random r, long hi, int... shape) {
        return Tensor.randint(new Generator(r.nextLong()), 0, hi, shape);
    }

    /** A float tensor whose rank is NOT in {@code okRanks}. */
    private static Tensor wrongRank(Random r, int... okRanks) {
        int rank;
        do {
            rank = r.nextInt(6);
        } while (contains(okRanks, rank));
        return tensor(r, shape(r, rank, 3));
    }

    private static boolean contains(int[] a, int v) {
        return Arrays.stream(a).anyMatch(x -> x == v);
    }

    private static double badP(Random r) {
        return pick(r, -0.1, 1.5, -1e-9, 1 + 1e-9, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
    }

    private static String badReduction(Random r) {
        return pick(r, "avg", "MEAN", "", "none ", null);
    }

    /** A forward pass on {@code m} with an input of a wrong rank, a null input, or an int64 input. */
    private static Function<Random, Call> forward(String name, Function<Random, Module> make, int[] okRanks,
                                                  String... opNames) {
        String[] names = Arrays.copyOf(opNames, opNames.length + 1);
        names[opNames.length] = name;
        return r -> {
            Module m = make.apply(r);
            return switch (r.nextInt(3)) {
                case 0 -> {
                    Tensor x = wrongRank(r, okRanks);
                    yield call(name + " forward rank " + x.dim(), () -> m.call(x), names);
                }
                case 1 -> call(name + " forward null", () -> m.call(null), names);
                default -> {
                    int rank = okRanks[r.nextInt(okRanks.length)];
                    Tensor x = longs(r, 3, shape(r, rank, 3));
                    yield call(name + " forward int64", () -> m.call(x), names);
                }
            };
        };
    }

    private static final int[] ANY_FLOAT_RANK = {};

    @TestFactory
    Stream<DynamicTest> everyLayerLossAndFunctionRejectsInvalidArguments() {
        BadInput b = new BadInput("nn");

        // ---------------------------------------------------------------- layers: constructors
        b.add("Linear()", r -> call("features", () -> new Linear(pick(r, -1, -5, Integer.MIN_VALUE), 3), "Linear"));
        b.add("Linear(..., null generator)", r -> call("null gen", () -> new Linear(2, 3, true, null), "Linear"));
        b.add("Conv2d()", r -> switch (r.nextInt(7)) {
            case 0 -> call("in channels", () -> new Conv2d(pick(r, 0, -1), 2, 3), "Conv2d");
            case 1 -> call("out channels", () -> new Conv2d(2, pick(r, 0, -3), 3), "Conv2d");
            case 2 -> call("kernel", () -> new Conv2d(2, 2, pick(r, 0, -1)), "Conv2d");
            case 3 -> call("stride", () -> new Conv2d(2, 2, 3, pick(r, 0, -2), 0), "Conv2d");
            case 4 -> call("padding", () -> new Conv2d(2, 2, 3, 1, pick(r, -1, -7)), "Conv2d");
            case 5 -> call("groups", () -> new Conv2d(4, 6, new int[] {3, 3}, new int[] {1, 1}, new int[] {0, 0},
                    new int[] {1, 1}, pick(r, 0, -1, 4, 5), true, new Generator(1)), "Conv2d", "groups");
            default -> r.nextBoolean()
                    ? call("padding string", () -> new Conv2d(2, 2, new int[] {3, 3}, new int[] {pick(r, 1, 2), 1},
                    pick(r, "full", "SAME", null), new int[] {1, 1}, 1, true, new Generator(1)), "Conv2d", "padding")
                    : call("same with stride", () -> new Conv2d(2, 2, new int[] {3, 3}, new int[] {2, 1}, "same",
                    new int[] {1, 1}, 1, true, new Generator(1)), "Conv2d", "padding");
        });
        b.add("MaxPool2d()", r -> call("kernel", () -> new MaxPool2d(pick(r, 0, -1)), "MaxPool2d", "max_pool2d"));
        b.add("AvgPool2d()", r -> call("kernel", () -> new AvgPool2d(pick(r, 0, -1)), "AvgPool2d", "avg_pool2d"));
        b.add("AdaptiveAvgPool2d()", r -> call("size", () -> new AdaptiveAvgPool2d(pick(r, 0, -2)),
                "AdaptiveAvgPool2d", "adaptive_avg_pool2d"));
        b.add("BatchNorm1d()/2d()", r -> switch (r.nextInt(4)) {
            case 0 -> call("features", () -> new BatchNorm1d(pick(r, 0, -1)), "BatchNorm");
            case 1 -> call("eps", () -> new BatchNorm2d(3, pick(r, -1e-5, Double.NaN, Double.POSITIVE_INFINITY), 0.1,
                    true, true), "BatchNorm");
            case 2 -> call("momentum", () -> new BatchNorm1d(3, 1e-5, pick(r, Double.NaN, -0.5, 1.5,
                    Double.POSITIVE_INFINITY), true, true), "BatchNorm");
            default -> call("features", () -> new BatchNorm2d(-4), "BatchNorm");
        });
        b.add("LayerNorm()", r -> switch (r.nextInt(4)) {
            case 0 -> call("empty shape", () -> new LayerNorm(new int[0]), "LayerNorm");
            case 1 -> call("non-positive size", () -> new LayerNorm(3, pick(r, 0, -2)), "LayerNorm");
            case 2 -> call("eps", () -> new LayerNorm(new int[] {3}, pick(r, -1.0, Double.NaN), true, true), "LayerNorm");
            default -> call("null", () -> new LayerNorm((int[]) null), "LayerNorm");
        });
        b.add("Embedding()", r -> switch (r.nextInt(3)) {
            case 0 -> call("num", () -> new Embedding(pick(r, 0, -1), 3), "Embedding");
            case 1 -> call("dim", () -> new Embedding(3, pick(r, -1, -5)), "Embedding");
            default -> call("padding idx", () -> new Embedding(4, 2, pick(r, 4, -5, 100), new Generator(1)),
                    "Padding_idx", "Embedding");
        });
        b.add("Dropout family()", r -> {
            double p = badP(r);
            return switch (r.nextInt(4)) {
                case 0 -> call("Dropout(" + p + ")", () -> new Dropout(p), "dropout probability");
                case 1 -> call("Dropout1d(" + p + ")", () -> new Dropout1d(p), "dropout probability");
                case 2 -> call("Dropout2d(" + p + ")", () -> new Dropout2d(p), "dropout probability");
                default -> call("DropPath(" + p + ")", () -> new DropPath(p), "drop_prob", "DropPath");
            };
        });
        b.add("activations()", r -> switch (r.nextInt(4)) {
            case 0 -> call("GELU", () -> new GELU(pick(r, "tan", "None", null)), "approximate", "GELU");
            case 1 -> call("LeakyReLU NaN", () -> new LeakyReLU(Double.NaN), "LeakyReLU", "negative_slope");
            case 2 -> call("Softmax null-free bad dim on forward", () -> new Softmax(badDim(r, 2)).call(tensor(r, 2, 3)),
                    "softmax");
            default -> call("LogSoftmax bad dim on forward", () -> new LogSoftmax(badDim(r, 2)).call(tensor(r, 2, 3)),
                    "log_softmax");
        });
        b.add("Flatten()", r -> switch (r.nextInt(2)) {
            case 0 -> call("bad dims on forward", () -> new Flatten(badDim(r, 2), -1).call(tensor(r, 2, 3)), "flatten");
            default -> call("start > end on forward", () -> new Flatten(1, 0).call(tensor(r, 2, 3)), "flatten");
        });
        b.add("Sequential()", r -> r.nextBoolean()
                ? call("null module", () -> new Sequential(new ReLU(), null), "Sequential", "module")
                : call("null array", () -> new Sequential((Module[]) null), "Sequential"));

        // ---------------------------------------------------------------- layers: forward
        b.add("Linear.forward", r -> {
            int in = 2 + r.nextInt(3);
            Linear l = new Linear(in, 2, true, new Generator(1));
            return switch (r.nextInt(4)) {
                case 0 -> {
                    int[] sh = shape(r, 1 + r.nextInt(3), 3);
                    sh[sh.length - 1] = pick(r, in - 1, in + 1, in + 2);
                    yield call("last dim " + Arrays.toString(sh), () -> l.call(tensor(r, sh)), "linear", "mat1 and mat2");
                }
                case 1 -> call("0-d", () -> l.call(Tensor.scalar(1)), "linear", "mat1 and mat2");
                case 2 -> call("null", () -> l.call(null), "Linear");
                default -> call("int64", () -> l.call(longs(r, 3, 2, in)), "linear", "matmul");
            };
        });
        b.add("Conv2d.forward", r -> {
            Conv2d c = new Conv2d(2, 3, 3);
            return switch (r.nextInt(3)) {
                case 0 -> call("channels", () -> c.call(tensor(r, 1, 3, 5, 5)), "conv2d");
                case 1 -> call("too small", () -> c.call(tensor(r, 1, 2, 2, 5)), "conv2d");
                default -> forward("Conv2d", x -> c, new int[] {3, 4}, "conv2d").apply(r);
            };
        });
        b.add("MaxPool2d.forward", forward("MaxPool2d", x -> new MaxPool2d(2), new int[] {3, 4}, "max_pool2d"));
        b.add("AvgPool2d.forward", forward("AvgPool2d", x -> new AvgPool2d(2), new int[] {3, 4}, "avg_pool2d"));
        b.add("AdaptiveAvgPool2d.forward", forward("AdaptiveAvgPool2d", x -> new AdaptiveAvgPool2d(2),
                new int[] {3, 4}, "adaptive_avg_pool2d"));
        b.add("BatchNorm1d.forward", r -> {
            BatchNorm1d bn = new BatchNorm1d(3);
            return switch (r.nextInt(4)) {
                case 0 -> {
                    Tensor x = wrongRank(r, 2, 3);
                    yield call("rank " + x.dim(), () -> bn.call(x), "expected 2D or 3D input");
                }
                case 1 -> call("channels", () -> bn.call(tensor(r, 4, pick(r, 2, 4, 5))), "running_mean", "BatchNorm",
                        "batch_norm");
                case 2 -> call("one value per channel", () -> bn.call(tensor(r, 1, 3)),
                        "Expected more than 1 value per channel");
                default -> call("null", () -> bn.call(null), "BatchNorm", "batch_norm");
            };
        });
        b.add("BatchNorm2d.forward", r -> {
            BatchNorm2d bn = new BatchNorm2d(3);
            return switch (r.nextInt(3)) {
                case 0 -> {
                    Tensor x = wrongRank(r, 4);
                    yield call("rank " + x.dim(), () -> bn.call(x), "expected 4D input");
                }
                case 1 -> call("channels", () -> bn.call(tensor(r, 2, 4, 2, 2)), "running_mean", "BatchNorm",
                        "batch_norm");
                default -> call("int64", () -> bn.call(longs(r, 3, 2, 3, 2, 2)), "BatchNorm", "batch_norm");
            };
        });
        b.add("LayerNorm.forward", r -> {
            LayerNorm ln = new LayerNorm(4);
            return r.nextBoolean() ? call("shape", () -> ln.call(tensor(r, 2, 3)), "normalized_shape")
                    : call("null", () -> ln.call(null), "layer_norm", "LayerNorm", "normalized_shape");
        });
        b.add("Embedding.forward", r -> {
            Embedding e = new Embedding(5, 2);
            return switch (r.nextInt(3)) {
                case 0 -> call("float indices", () -> e.call(tensor(r, 3)), "embedding");
                case 1 -> call("index out of range", () -> e.call(Tensor.ofLongs(
                        new long[] {pick(r, 5L, -1L, Long.MAX_VALUE, Long.MIN_VALUE)}, 1)), "embedding");
                default -> call("null", () -> e.call(null), "embedding");
            };
        });
        b.add("Dropout1d.forward", r -> {
            Tensor x = wrongRank(r, 2, 3);
            return call("rank " + x.dim(), () -> new Dropout1d(0.5).call(x), "dropout1d");
        });
        b.add("Dropout.forward", r -> r.nextBoolean()
                ? call("null", () -> new Dropout(0.5).call(null), "dropout")
                : call("int64", () -> new Dropout(0.5).call(longs(r, 3, 4)), "dropout", "mul"));

        // ---------------------------------------------------------------- functional
        b.add("F.linear", r -> switch (r.nextInt(4)) {
            case 0 -> call("weight rank", () -> F.linear(tensor(r, 2, 3), tensor(r, 3), null), "linear");
            case 1 -> call("bias shape", () -> F.linear(tensor(r, 2, 3), tensor(r, 4, 3), tensor(r, 5)), "linear", "add");
            case 2 -> call("0-d input", () -> F.linear(Tensor.scalar(1), tensor(r, 4, 3), null), "linear", "mat1");
            default -> call("null weight", () -> F.linear(tensor(r, 2, 3), null, null), "linear");
        });
        b.add("F.conv2d(padding string)", r -> switch (r.nextInt(3)) {
            case 0 -> call("bad string", () -> F.conv2d(tensor(r, 1, 2, 5, 5), tensor(r, 2, 2, 3, 3), null,
                    new int[] {1, 1}, pick(r, "full", "", "SAME"), new int[] {1, 1}, 1), "padding");
            case 1 -> call("same with stride", () -> F.conv2d(tensor(r, 1, 2, 5, 5), tensor(r, 2, 2, 3, 3), null,
                    new int[] {2, 1}, "same", new int[] {1, 1}, 1), "padding='same'");
            default -> call("null padding", () -> F.conv2d(tensor(r, 1, 2, 5, 5), tensor(r, 2, 2, 3, 3), null,
                    new int[] {1, 1}, (String) null, new int[] {1, 1}, 1), "conv2d", "padding");
        });
        b.add("F.pad2d", r -> r.nextBoolean()
                ? call("negative", () -> F.pad2d(tensor(r, 2, 2), 0, -1 - r.nextInt(3), 0, 0), "pad2d")
                : call("rank", () -> F.pad2d(tensor(r, 3), 1, 1, 1, 1), "pad2d"));
        b.add("F.dropout", r -> {
            double p = badP(r);
            return switch (r.nextInt(4)) {
                case 0 -> call("p " + p, () -> F.dropout(tensor(r, 3), p), "dropout probability");
                case 1 -> call("dropout2d p " + p, () -> F.dropout2d(tensor(r, 2, 3, 2), p, true), "dropout probability");
                case 2 -> call("null generator", () -> F.dropout(tensor(r, 3), 0.5, true, null), "dropout");
                default -> call("dropoutWithMask shape", () -> F.dropoutWithMask(tensor(r, 3), Tensor.ones(2), 0.5),
                        "dropout", "mul");
            };
        });
        b.add("F.dropPath", r -> switch (r.nextInt(2)) {
            case 0 -> call("p", () -> F.dropPath(tensor(r, 2, 3), badP(r), true, true, new Generator(1)), "drop_path",
                    "drop_prob");
            default -> call("mask shape", () -> F.dropPathWithMask(tensor(r, 2, 3), Tensor.ones(3, 1), 0.5, true, true),
                    "drop_path", "mul");
        });
        b.add("F.batchNorm", r -> switch (r.nextInt(4)) {
            case 0 -> call("running mean size", () -> F.batchNorm(tensor(r, 4, 3), Tensor.zeros(5), Tensor.ones(5)),
                    "running_mean");
            case 1 -> call("weight size", () -> F.batchNorm(tensor(r, 4, 3), null, null, Tensor.ones(2), null, true,
                    0.1, 1e-5), "weight", "batch_norm");
            case 2 -> call("eps", () -> F.batchNorm(tensor(r, 4, 3), null, null, null, null, true, 0.1,
                    pick(r, -1.0, Double.NaN)), "batch_norm", "eps");
            default -> call("rank 1", () -> F.batchNorm(tensor(r, 4), null, null, null, null, true, 0.1, 1e-5),
                    "batch_norm", "BatchNorm", "expected");
        });
        b.add("F.layerNorm", r -> switch (r.nextInt(3)) {
            case 0 -> call("shape", () -> F.layerNorm(tensor(r, 2, 3), new int[] {2}, null, null, 1e-5),
                    "normalized_shape");
            case 1 -> call("weight shape", () -> F.layerNorm(tensor(r, 2, 3), new int[] {3}, Tensor.ones(2), null, 1e-5),
                    "layer_norm", "weight");
            default -> call("eps", () -> F.layerNorm(tensor(r, 2, 3), new int[] {3}, null, null, Double.NaN),
                    "layer_norm", "eps");
        });
        b.add("F.embedding", r -> switch (r.nextInt(3)) {
            case 0 -> call("weight rank", () -> F.embedding(Tensor.ofLongs(new long[] {0}, 1), tensor(r, 3), null),
                    "embedding");
            case 1 -> call("padding idx", () -> F.embedding(Tensor.ofLongs(new long[] {0}, 1), tensor(r, 3, 2), 7),
                    "embedding", "Padding_idx");
            default -> call("null weight", () -> F.embedding(Tensor.ofLongs(new long[] {0}, 1), null, null),
                    "embedding");
        });
        b.add("F.softmax/logSoftmax", r -> {
            Tensor x = tensor(r, shape(r, 1 + r.nextInt(3), 3));
            int d = badDim(r, x.dim());
            return r.nextBoolean() ? call("dim " + d, () -> F.softmax(x, d), "softmax")
                    : call("dim " + d, () -> F.logSoftmax(x, d), "log_softmax");
        });
        b.add("F.gelu", r -> call("approximate", () -> F.gelu(tensor(r, 3), pick(r, "fast", null)), "approximate",
                "gelu"));

        // ---------------------------------------------------------------- losses
        String[] ce = {"cross_entropy", "Target", "target", "batch_size", "label_smoothing", "ignore_index",
            "reduction", "expected scalar type Long"};
        b.add("cross_entropy", r -> {
            int n = 2 + r.nextInt(3);
            int c = 2 + r.nextInt(3);
            Tensor x = tensor(r, n, c);
            return switch (r.nextInt(10)) {
                case 0 -> call("target out of range", () -> F.crossEntropy(x, Tensor.ofLongs(
                        fill(n, pick(r, (long) c, -1L, -101L, Long.MAX_VALUE, Long.MIN_VALUE)), n)), ce);
                case 1 -> call("batch mismatch", () -> F.crossEntropy(x, longs(r, c, n + 1)), ce);
                case 2 -> call("float target of wrong shape", () -> F.crossEntropy(x, tensor(r, n)), ce);
                case 3 -> call("label smoothing", () -> F.crossEntropy(x, longs(r, c, n), null, -100, "mean", badP(r)), ce);
                case 4 -> call("reduction", () -> F.crossEntropy(x, longs(r, c, n), null, -100, badReduction(r), 0), ce);
                case 5 -> call("weight shape", () -> F.crossEntropy(x, longs(r, c, n), Tensor.ones(c + 1), -100, "mean", 0),
                        ce[0], "weight");
                case 6 -> call("prob target ignore index", () -> F.crossEntropy(x, tensor(r, n, c).softmax(1), null, 1,
                        "mean", 0), ce);
                case 7 -> call("0-d input", () -> F.crossEntropy(Tensor.scalar(1), Tensor.ofLongs(new long[] {0})), ce);
                case 8 -> call("int64 input", () -> F.crossEntropy(longs(r, 2, n, c), longs(r, c, n)), ce);
                default -> call("null target", () -> F.crossEntropy(x, null), ce);
            };
        });
        b.add("nll_loss", r -> {
            int n = 2 + r.nextInt(3);
            int c = 2 + r.nextInt(3);
            Tensor x = tensor(r, n, c).logSoftmax(1);
            String[] nl = {"nll_loss", "Target", "target", "batch_size", "reduction", "expected scalar type Long"};
            return switch (r.nextInt(4)) {
                case 0 -> call("target out of range", () -> F.nllLoss(x, Tensor.ofLongs(fill(n, c), n)), nl);
                case 1 -> call("reduction", () -> F.nllLoss(x, longs(r, c, n), null, -100, badReduction(r)), nl);
                case 2 -> call("float target", () -> F.nllLoss(x, tensor(r, n)), nl);
                default -> call("target shape", () -> F.nllLoss(x, longs(r, c, n, 2)), nl);
            };
        });
        b.add("mse_loss", r -> {
            int[][] p = unbroadcastable(r, 1 + r.nextInt(2));
            return switch (r.nextInt(3)) {
                case 0 -> call("shapes", () -> F.mseLoss(tensor(r, p[0]), tensor(r, p[1])), "mse_loss", "sub");
                case 1 -> call("reduction", () -> F.mseLoss(tensor(r, 3), tensor(r, 3), badReduction(r)), "reduction");
                default -> call("null target", () -> F.mseLoss(tensor(r, 3), null), "mse_loss");
            };
        });
        b.add("binary_cross_entropy_with_logits", r -> switch (r.nextInt(4)) {
            case 0 -> call("shape", () -> F.bceWithLogits(tensor(r, 3), tensor(r, 3, 1)), "Target size");
            case 1 -> call("pos weight", () -> F.bceWithLogits(tensor(r, 2, 3), tensor(r, 2, 3), null, Tensor.ones(4),
                    "mean"), "binary_cross_entropy_with_logits", "pos_weight", "mul", "sub");
            case 2 -> call("reduction", () -> F.bceWithLogits(tensor(r, 3), tensor(r, 3), null, null, badReduction(r)),
                    "reduction");
            default -> call("null", () -> F.bceWithLogits(tensor(r, 3), null), "binary_cross_entropy_with_logits");
        });
        b.add("loss modules", r -> switch (r.nextInt(4)) {
            case 0 -> call("CE", () -> new CrossEntropyLoss().forward(tensor(r, 2, 3), Tensor.ofLongs(new long[] {0, 3}, 2)),
                    ce);
            case 1 -> call("MSE", () -> new MSELoss().forward(tensor(r, 2, 3), tensor(r, 3, 2)), "mse_loss", "sub");
            case 2 -> call("BCE", () -> new BCEWithLogitsLoss().forward(tensor(r, 2), tensor(r, 3)), "Target size");
            default -> call("NLL", () -> new NLLLoss().forward(tensor(r, 2, 3), tensor(r, 2)), "nll_loss",
                    "expected scalar type Long");
        });

        // ---------------------------------------------------------------- init
        b.add("Init", r -> switch (r.nextInt(7)) {
            case 0 -> call("fans of 1-D", () -> Init.kaimingUniform(tensor(r, 3), new Generator(1)),
                    "Fan in and fan out can not be computed");
            case 1 -> call("mode", () -> Init.kaimingNormal(tensor(r, 3, 3), 0, pick(r, "fan", null), "relu",
                    new Generator(1)), "mode");
            case 2 -> call("nonlinearity", () -> Init.calculateGain(pick(r, "swish", "")), "nonlinearity");
            case 3 -> call("uniform low > high", () -> Init.uniform(tensor(r, 3), 1, 0, new Generator(1)), "uniform");
            case 4 -> call("normal std < 0", () -> Init.normal(tensor(r, 3), 0, -1, new Generator(1)), "normal");
            case 5 -> call("trunc normal a > b", () -> Init.truncNormal(tensor(r, 3), 0, 1, 2, -2, new Generator(1)),
                    "trunc_normal", "truncNormal");
            default -> call("null tensor", () -> Init.xavierUniform(null, 1, new Generator(1)), "xavier", "Fan in",
                    "init");
        });

        // ---------------------------------------------------------------- Module API
        b.add("Module API", r -> {
            Linear l = new Linear(2, 3, true, new Generator(1));
            return switch (r.nextInt(7)) {
                case 0 -> call("train(null)", () -> l.train((Boolean) null), "training mode is expected to be boolean");
                case 1 -> call("load wrong shape", () -> l.loadStateDict(Map.of("weight", Tensor.zeros(2, 2),
                        "bias", Tensor.zeros(3))), "size mismatch", "state_dict");
                case 2 -> call("load missing key", () -> l.loadStateDict(Map.of("weight", Tensor.zeros(3, 2))),
                        "Missing key", "state_dict");
                case 3 -> call("registerParameter dotted name", () -> l.registerParameter(pick(r, "a.b", "", null),
                        Tensor.zeros(2)), "parameter", "name");
                case 4 -> call("getSubmodule", () -> l.getSubmodule("nope.x"), "has no attribute", "submodule");
                case 5 -> {
                    Map<String, Tensor> sd = new LinkedHashMap<>();
                    sd.put("weight", null);
                    sd.put("bias", Tensor.zeros(3));
                    yield call("load null tensor", () -> l.loadStateDict(sd), "state_dict", "null", "weight");
                }
                default -> call("to(null)", () -> l.to(null), "dtype", "to");
            };
        });

        return b.tests();
    }

    private static long[] fill(int n, long v) {
        long[] a = new long[n];
        Arrays.fill(a, v);
        return a;
    }

    @SuppressWarnings("unused")
    private static DType unused() {
        return DType.FLOAT32;
    }
}
