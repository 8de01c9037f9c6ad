package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.BadInput;
import dev.vgrad.core.testing.Fixtures;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Dtype discipline (issue 15 item 8, docs/SEMANTICS.md §11): matmul, linear, conv2d and batch_norm, functional and
 * as modules, never promote mixed operand dtypes. Each QuickTheories example picks one configuration recorded from
 * PyTorch 1.13 in {@code dtype_errors.json} ({@code tools/fixtures/dtype_fixtures.py}: every combination of float32,
 * float64 and int64 operands, with PyTorch's result dtype or error line), draws random valid shapes for it, and
 * requires vgrad's outcome to be PyTorch's: the same result dtype, or an IllegalArgumentException carrying
 * PyTorch's error text; int64 products and convolutions compute as PyTorch's do.
 */
class DtypeDisciplinePropertyTest {
    static final List<Map<String, Object>> CASES = Fixtures.cases(Fixtures.load("dtype_errors.json"));
    static final long SEED = Long.getLong("vgrad.qt.seed", 0x15D7L);
    static final int EXAMPLES = Integer.getInteger("vgrad.dtype.examples", 3000);
    static final AtomicInteger TRIED = new AtomicInteger();
    static final AtomicInteger FAILED = new AtomicInteger();

    @AfterAll
    static void report() {
        System.out.println("[issue15] DtypeDisciplinePropertyTest: " + TRIED.get() + " cases tried, " + FAILED.get()
                + " failures (" + CASES.size() + " PyTorch configurations, seed " + SEED + ")");
    }

    @Test
    void everyDtypeCombinationBehavesAsPyTorch() {
        qt().withFixedSeed(SEED).withExamples(EXAMPLES).withShrinkCycles(0)
                .forAll(integers().between(0, CASES.size() - 1), longs().all())
                .checkAssert((ci, seed) -> {
                    TRIED.incrementAndGet();
                    Map<String, Object> c = CASES.get(ci);
                    try {
                        check(c, new Random(seed), seed);
                    } catch (AssertionError | RuntimeException e) {
                        FAILED.incrementAndGet();
                        throw e;
                    }
                });
    }

    /** The issue's own examples, each checked against its recorded PyTorch outcome. */
    @Test
    void issueExamples() {
        // torch.nn.Linear(3, 2)(torch.ones(4, 3, dtype=torch.float64))
        assertOutcome(find("Linear", "input", "2d", "x", "float64", "bias", true),
                () -> new Linear(3, 2).forward(Tensor.ones(DType.FLOAT64, 4, 3)), "Linear example");
        // torch.mm(float32 (2,3), float64 (3,4))
        assertOutcome(find("matmul", "rank_a", 2, "rank_b", 2, "a", "float32", "b", "float64"),
                () -> Tensor.ones(2, 3).matmul(Tensor.ones(DType.FLOAT64, 3, 4)), "mm example");
        // torch.nn.Conv2d(3, 4, 3, padding=1)(float64 input)
        assertOutcome(find("Conv2d", "padding", "numeric", "x", "float64", "bias", true),
                () -> new Conv2d(3, 4, 3, 1, 1).forward(Tensor.ones(DType.FLOAT64, 1, 3, 5, 5)), "Conv2d example");
        // torch.nn.BatchNorm2d(3)(float64 input), training and eval
        for (boolean training : new boolean[] {true, false}) {
            BatchNorm2d bn = new BatchNorm2d(3);
            bn.train(training);
            assertOutcome(find("BatchNorm2d", "training", training, "affine", true, "track_running_stats", true,
                    "x", "float64"), () -> bn.forward(Tensor.ones(DType.FLOAT64, 4, 3, 2, 2)), "BatchNorm2d example");
        }
    }

    /** int64 linear computes exactly, as PyTorch does; values printed by PyTorch 1.13 for the same calls. */
    @Test
    void int64LinearValues() {
        Tensor x = Tensor.arange(6).reshape(2, 3);
        Tensor w = Tensor.arange(12).reshape(4, 3);
        // F.linear(torch.arange(6).reshape(2, 3), torch.arange(12).reshape(4, 3)[, torch.arange(4)])
        assertArrayEquals(new long[] {5, 14, 23, 32, 14, 50, 86, 122}, F.linear(x, w, null).toLongArray());
        Tensor y = F.linear(x, w, Tensor.arange(4));
        assertEquals(DType.INT64, y.dtype());
        assertArrayEquals(new long[] {5, 15, 25, 35, 14, 51, 88, 125}, y.toLongArray());
        // F.linear(torch.arange(24).reshape(1, 2, 3, 4), torch.arange(8).reshape(2, 4), torch.tensor([1, -1]))
        Tensor x4 = Tensor.arange(24).reshape(1, 2, 3, 4);
        Tensor w4 = Tensor.arange(8).reshape(2, 4);
        assertArrayEquals(new long[] {15, 37, 39, 125, 63, 213, 87, 301, 111, 389, 135, 477},
                F.linear(x4, w4, Tensor.ofLongs(new long[] {1, -1}, 2)).toLongArray());
        // ... with torch.ones(2) as the bias: the int64 product cannot take a float bias
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> F.linear(x4, w4, Tensor.ones(2)));
        assertTrue(e.getMessage().contains("result type Float can't be cast to the desired output type Long"),
                e.getMessage());
    }

    private static Map<String, Object> find(String op, Object... kv) {
        outer:
        for (Map<String, Object> c : CASES) {
            if (!op.equals(c.get("op"))) {
                continue;
            }
            for (int i = 0; i < kv.length; i += 2) {
                Object v = c.get((String) kv[i]);
                Object want = kv[i + 1];
                boolean eq = want instanceof Integer ? v instanceof Number n && n.intValue() == (Integer) want
                        : want.equals(v);
                if (!eq) {
                    continue outer;
                }
            }
            return c;
        }
        throw new AssertionError("no fixture case " + op + " " + java.util.Arrays.toString(kv));
    }

    // ------------------------------------------------------------------ one configuration with random shapes

    private static void check(Map<String, Object> c, Random r, long seed) {
        String op = (String) c.get("op");
        Generator g = new Generator(r.nextLong());
        Call call = switch (op) {
            case "matmul" -> matmul(c, r);
            case "linear", "Linear" -> linear(c, r, g);
            case "conv2d", "Conv2d" -> conv(c, r, g);
            case "batch_norm", "BatchNorm1d", "BatchNorm2d" -> batchNorm(c, r);
            default -> throw new AssertionError("unknown op " + op);
        };
        assertOutcome(c, call.run, c.get("name") + " " + call.what + " (case seed " + seed + ")");
    }

    private record Call(String what, java.util.function.Supplier<Tensor> run) {}

    private static void assertOutcome(Map<String, Object> c, java.util.function.Supplier<Tensor> run, String where) {
        String error = (String) c.get("error");
        String outDtype = (String) c.get("out_dtype");
        String want = error;
        Tensor y;
        try {
            y = run.get();
        } catch (IllegalArgumentException | IllegalStateException e) {
            assertTrue(want != null, where + ": PyTorch returns " + outDtype + " but vgrad threw " + e);
            assertTrue(e.getMessage() != null && e.getMessage().contains(want),
                    where + ": expected PyTorch's \"" + want + "\", got \"" + e.getMessage() + "\"");
            return;
        }
        assertTrue(want == null, where + ": PyTorch raises \"" + want + "\" but vgrad returned a " + y.dtype()
                + " result");
        assertEquals(outDtype, y.dtype().toString(), where + ": result dtype");
    }

    private static DType dt(Object name) {
        return name == null ? null : switch ((String) name) {
            case "float32" -> DType.FLOAT32;
            case "float64" -> DType.FLOAT64;
            case "int64" -> DType.INT64;
            default -> throw new AssertionError(name);
        };
    }

    private static Tensor t(Random r, Object dtype, int... shape) {
        return dtype == null ? null : BadInput.tensor(r, dt(dtype), shape);
    }

    private static int size(Random r, int lo, int hi) {
        return lo + r.nextInt(hi - lo + 1);
    }

    private static int[] concat(int[] a, int... b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static Call matmul(Map<String, Object> c, Random r) {
        int ra = ((Number) c.get("rank_a")).intValue();
        int rb = ((Number) c.get("rank_b")).intValue();
        int m = size(r, 1, 4);
        int k = size(r, 1, 4);
        int n = size(r, 1, 4);
        int nb = Math.max(Math.max(ra, rb) - 2, 0);
        int[] batch = new int[nb];
        for (int i = 0; i < nb; i++) {
            batch[i] = size(r, 1, 3);
        }
        int[] sa = ra == 1 ? new int[] {k} : concat(batchFor(r, batch, ra - 2), m, k);
        int[] sb = rb == 1 ? new int[] {k} : concat(batchFor(r, batch, rb - 2), k, n);
        Tensor a = t(r, c.get("a"), sa);
        Tensor b = t(r, c.get("b"), sb);
        return new Call("matmul " + a.dtype() + java.util.Arrays.toString(sa) + " x " + b.dtype()
                + java.util.Arrays.toString(sb), () -> a.matmul(b));
    }

    /** The trailing {@code len} batch dims, each either the broadcast size or 1. */
    private static int[] batchFor(Random r, int[] batch, int len) {
        int[] s = new int[len];
        for (int i = 0; i < len; i++) {
            int size = batch[batch.length - len + i];
            s[i] = r.nextInt(4) == 0 ? 1 : size;
        }
        return s;
    }

    private static Call linear(Map<String, Object> c, Random r, Generator g) {
        int in = size(r, 1, 5);
        int out = size(r, 1, 5);
        String kind = (String) c.get("input");
        Object xd = c.get("x");
        int n = size(r, 2, 4);
        int a = size(r, 2, 4);
        Tensor x = switch (kind) {
            case "1d" -> t(r, xd, in);
            case "2d" -> t(r, xd, size(r, 1, 4), in);
            case "3d" -> t(r, xd, size(r, 1, 3), size(r, 1, 4), in);
            // sizes >= 2, so the transposed view is not contiguous (as in PyTorch's recording)
            case "3d_noncontiguous" -> t(r, xd, n, a, in).transpose(0, 1);
            case "4d" -> t(r, xd, size(r, 1, 3), size(r, 1, 3), size(r, 1, 4), in);
            default -> throw new AssertionError(kind);
        };
        if ("Linear".equals(c.get("op"))) {
            boolean bias = (Boolean) c.get("bias");
            Linear lin = new Linear(in, out, bias, g);
            return new Call("Linear(" + in + ", " + out + ", bias=" + bias + ") on " + x.dtype()
                    + java.util.Arrays.toString(x.shape()), () -> lin.forward(x));
        }
        Tensor w = t(r, c.get("w"), out, in);
        Tensor b = t(r, c.get("b"), out);
        return new Call("linear x " + x.dtype() + java.util.Arrays.toString(x.shape()) + " w " + w.dtype()
                + java.util.Arrays.toString(w.shape()) + " b " + (b == null ? "none" : b.dtype()),
                () -> F.linear(x, w, b));
    }

    private static Call conv(Map<String, Object> c, Random r, Generator g) {
        String padding = (String) c.get("padding");
        int cin = size(r, 1, 3);
        int cout = size(r, 1, 4);
        int kh = size(r, 1, 3);
        int kw = size(r, 1, 3);
        int nb = size(r, 1, 2);
        int h = size(r, kh, kh + 3);
        int w = size(r, kw, kw + 3);
        int stride = padding.equals("same") ? 1 : size(r, 1, 2);
        int pad = padding.equals("numeric") ? r.nextInt(2) : 0;
        Tensor x = t(r, c.get("x"), nb, cin, h, w);
        String what = padding + " padding, stride " + stride + ", x " + x.dtype() + java.util.Arrays.toString(x.shape());
        int[] k = {kh, kw};
        int[] st = {stride, stride};
        int[] one = {1, 1};
        if ("Conv2d".equals(c.get("op"))) {
            boolean bias = (Boolean) c.get("bias");
            Conv2d m = padding.equals("numeric") ? new Conv2d(cin, cout, k, st, new int[] {pad, pad}, one, 1, bias, g)
                    : new Conv2d(cin, cout, k, st, padding, one, 1, bias, g);
            return new Call("Conv2d " + what + ", bias=" + bias, () -> m.forward(x));
        }
        Tensor wt = t(r, c.get("w"), cout, cin, kh, kw);
        Tensor b = t(r, c.get("b"), cout);
        String w2 = what + ", w " + wt.dtype() + ", b " + (b == null ? "none" : b.dtype());
        return padding.equals("numeric")
                ? new Call("conv2d " + w2, () -> F.conv2d(x, wt, b, st, new int[] {pad, pad}, one, 1))
                : new Call("conv2d " + w2, () -> F.conv2d(x, wt, b, st, padding, one, 1));
    }

    private static Call batchNorm(Map<String, Object> c, Random r) {
        String op = (String) c.get("op");
        boolean training = (Boolean) c.get("training");
        int ch = size(r, 1, 4);
        int n = size(r, 2, 4);
        int[] shape;
        if (op.equals("BatchNorm2d")) {
            shape = new int[] {n, ch, size(r, 1, 3), size(r, 1, 3)};
        } else if (op.equals("BatchNorm1d") || r.nextBoolean()) {
            shape = r.nextBoolean() ? new int[] {n, ch} : new int[] {n, ch, size(r, 1, 3)};
        } else {
            shape = new int[] {n, ch, size(r, 1, 3), size(r, 1, 3)};
        }
        Tensor x = t(r, c.get("x"), shape);
        String what = op + " training=" + training + " x " + x.dtype() + java.util.Arrays.toString(shape);
        if (!op.equals("batch_norm")) {
            boolean affine = (Boolean) c.get("affine");
            boolean track = (Boolean) c.get("track_running_stats");
            AbstractBatchNorm bn = op.equals("BatchNorm1d") ? new BatchNorm1d(ch, 1e-5, 0.1, affine, track)
                    : new BatchNorm2d(ch, 1e-5, 0.1, affine, track);
            bn.train(training);
            return new Call(what + " affine=" + affine + " track=" + track, () -> bn.forward(x));
        }
        Tensor w = t(r, c.get("w"), ch);
        Tensor b = t(r, c.get("b"), ch);
        Tensor m = t(r, c.get("mean"), ch);
        Tensor v = t(r, c.get("var"), ch);
        return new Call(what + " w " + c.get("w") + " b " + c.get("b") + " mean " + c.get("mean") + " var "
                + c.get("var"), () -> F.batchNorm(x, m, v, w, b, training, 0.1, 1e-5));
    }
}
