package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * An op's result does not depend on how its float32 operands are laid out in memory (docs/SEMANTICS.md §10 and
 * §18): for random shapes, each operand is given as a strided view (transposed, narrowed at an offset, every
 * other element, permuted or expanded from a size-1 dim) and the op's output and the gradients that reach the
 * views' base tensors must equal those of the same values made contiguous first. The SIMD kernels take strided
 * operands directly (GEMM with transposed panels, attention reading heads in place, row kernels on strided rows);
 * float64 gradcheck does not reach those float32 paths. Elementwise ops must agree bit for bit; ops that sum may
 * round in another order, within a few float32 ulps of the sum's magnitude. Modules (LSTM, GRU, multi-head
 * attention, a transformer layer, Conv1d, GroupNorm) given strided inputs must also give their parameters the same
 * gradients.
 */
class LayoutInvariancePropertyTest {
    private static final int EXAMPLES = 25;

    /** A view of the given shape over a larger base, drawn from the five layouts; values uniform in [-2, 2]. */
    private record View(Tensor base, Function<Tensor, Tensor> make, String how) {}

    private static View view(Generator g, int[] shape, boolean allowExpand) {
        int rank = shape.length;
        int kind = (int) g.nextLong(allowExpand ? 5 : 4);
        if (rank < 2 && (kind == 0 || kind == 3)) {
            kind = 1;
        }
        int d = (int) g.nextLong(rank);
        switch (kind) {
            case 0 -> { // transposed: the last two dims swapped in memory
                int[] bs = shape.clone();
                bs[rank - 1] = shape[rank - 2];
                bs[rank - 2] = shape[rank - 1];
                Tensor base = rand(g, bs);
                return new View(base, t -> t.transpose(rank - 2, rank - 1), "transpose");
            }
            case 1 -> { // narrowed at an offset along d
                int[] bs = shape.clone();
                int extra = 1 + (int) g.nextLong(3);
                bs[d] += extra;
                Tensor base = rand(g, bs);
                int start = (int) g.nextLong(extra + 1);
                return new View(base, t -> t.narrow(d, start, shape[d]), "narrow(" + d + ", " + start + ")");
            }
            case 2 -> { // every other element along d
                int[] bs = shape.clone();
                bs[d] = 2 * shape[d];
                Tensor base = rand(g, bs);
                return new View(base, t -> t.slice(d, 1, bs[d], 2), "slice(" + d + ", 1, :, 2)");
            }
            case 3 -> { // a permutation: dims reversed in memory
                int[] bs = new int[rank];
                int[] perm = new int[rank];
                for (int i = 0; i < rank; i++) {
                    bs[i] = shape[rank - 1 - i];
                    perm[i] = rank - 1 - i;
                }
                Tensor base = rand(g, bs);
                return new View(base, t -> t.permute(perm), "permute reversed");
            }
            default -> { // expanded from size 1 along d
                int[] bs = shape.clone();
                bs[d] = 1;
                Tensor base = rand(g, bs);
                return new View(base, t -> t.expand(shape), "expand dim " + d);
            }
        }
    }

    private static Tensor rand(Generator g, int... shape) {
        return Tensor.rand(g, shape).mul(4).sub(2).detach();
    }

    private static int[] shape(Generator g, int rank, int max) {
        int[] s = new int[rank];
        for (int i = 0; i < rank; i++) {
            s[i] = 1 + (int) g.nextLong(max);
        }
        return s;
    }

    /**
     * Runs {@code f} on the views and on contiguous copies of them, with the gradient of sum(out·u) reaching the
     * bases both times; {@code ulps} 0 asks for equal bits.
     */
    private static void same(String what, double ulps, Function<Tensor[], Tensor> f, View... vs) {
        Tensor[] a = new Tensor[vs.length];
        Tensor[] b = new Tensor[vs.length];
        Tensor[] baseA = new Tensor[vs.length];
        Tensor[] baseB = new Tensor[vs.length];
        StringBuilder layout = new StringBuilder();
        for (int i = 0; i < vs.length; i++) {
            baseA[i] = vs[i].base().detach().requiresGrad(true);
            baseB[i] = vs[i].base().detach().requiresGrad(true);
            a[i] = remake(vs[i], baseA[i]);
            b[i] = remake(vs[i], baseB[i]).contiguous();
            layout.append(' ').append(vs[i].how()).append(Arrays.toString(a[i].shape()));
        }
        String at = what + " with" + layout;
        Tensor ya = f.apply(a);
        Tensor yb = f.apply(b);
        assertArrayEquals(yb.shape(), ya.shape(), at + ": shape");
        double scale = Math.max(1, maxAbs(yb));
        compare(yb.toDoubleArray(), ya.toDoubleArray(), ulps * scale * Math.ulp(1f), at + ": output");
        Tensor u = upstream(ya);
        ya.mul(u).sum().backward();
        yb.mul(u).sum().backward();
        for (int i = 0; i < vs.length; i++) {
            Tensor gb = baseB[i].grad();
            Tensor ga = baseA[i].grad();
            assertTrue((ga == null) == (gb == null), at + ": gradient " + i + " presence");
            if (gb != null) {
                double gs = Math.max(1, maxAbs(gb));
                compare(gb.toDoubleArray(), ga.toDoubleArray(), ulps * gs * Math.ulp(1f), at + ": gradient " + i);
            }
        }
    }

    /** The view's construction replayed on another leaf, so that each side has its own base. */
    private static Tensor remake(View v, Tensor base) {
        return v.make().apply(base);
    }

    private static double maxAbs(Tensor t) {
        double m = 0;
        for (double x : t.toDoubleArray()) {
            if (Double.isFinite(x)) {
                m = Math.max(m, Math.abs(x));
            }
        }
        return m;
    }

    private static void compare(double[] want, double[] got, double tol, String at) {
        for (int i = 0; i < want.length; i++) {
            boolean ok = tol == 0 ? Double.compare(want[i], got[i]) == 0
                    : Math.abs(want[i] - got[i]) <= tol || (Double.isNaN(want[i]) && Double.isNaN(got[i]));
            assertTrue(ok, at + " [" + i + "]: contiguous " + want[i] + ", strided " + got[i] + " (tolerance " + tol
                    + ")");
        }
    }

    /**
     * As {@link #same}, for a module whose parameters are shared by both runs: its output, the inputs' gradients
     * and every parameter's gradient must agree.
     */
    private static void sameModule(String what, Module m, Function<Tensor[], Tensor> f, View... vs) {
        // same() runs both forwards before either backward, so the parameters end with the sum of the two runs'
        // gradients: strided + contiguous, which must be twice a third, contiguous-only run's
        m.zeroGrad(true);
        same(what, 64, f, vs);
        List<double[]> both = new ArrayList<>();
        for (Tensor p : m.parameters()) {
            both.add(p.grad() == null ? null : p.grad().toDoubleArray());
        }
        m.zeroGrad(true);
        Tensor[] c = new Tensor[vs.length];
        for (int i = 0; i < vs.length; i++) {
            c[i] = remake(vs[i], vs[i].base().detach()).contiguous();
        }
        Tensor y = f.apply(c);
        y.mul(upstream(y)).sum().backward();
        int i = 0;
        for (Tensor p : m.parameters()) {
            double[] sum = both.get(i++);
            if (sum == null) {
                continue;
            }
            double[] one = p.grad().toDoubleArray();
            double tol = 128 * Math.max(1, maxAbs(p.grad())) * Math.ulp(1f);
            for (int k = 0; k < one.length; k++) {
                assertTrue(Math.abs(sum[k] - 2 * one[k]) <= tol,
                        what + ": parameter gradient [" + k + "]: both runs " + sum[k] + ", contiguous alone " + one[k]);
            }
        }
    }

    /** The upstream gradient u of sum(out·u): the same values for every run of a check. */
    private static Tensor upstream(Tensor y) {
        return Tensor.rand(new Generator(7), y.shape());
    }

    @Test
    void modulesTakeStridedInputs() {
        qt().withExamples(10).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            String at = "seed " + seed + " ";
            int b = 1 + (int) g.nextLong(3);
            int t = 1 + (int) g.nextLong(6);
            int in = 1 + (int) g.nextLong(6);
            int hidden = 1 + (int) g.nextLong(5);
            LSTM lstm = new LSTM(in, hidden, 2, true, true, 0.0, true, g);
            sameModule(at + "LSTM", lstm, x -> lstm.forward(x[0], null, null).output(), view(g, new int[] {b, t, in},
                    false));
            GRU gru = new GRU(in, hidden, 1, true, true, 0.0, false, g);
            sameModule(at + "GRU", gru, x -> gru.forward(x[0], null).output(), view(g, new int[] {b, t, in}, false));
            int heads = 1 + (int) g.nextLong(2);
            int e = heads * (1 + (int) g.nextLong(4));
            MultiheadAttention mha = new MultiheadAttention(e, heads, 0.0, true, null, null, true, g);
            sameModule(at + "MultiheadAttention", mha, x -> mha.forward(x[0], x[1], x[2]).output(),
                    view(g, new int[] {b, t, e}, false), view(g, new int[] {b, t + 1, e}, false),
                    view(g, new int[] {b, t + 1, e}, false));
            TransformerEncoderLayer enc = new TransformerEncoderLayer(e, heads, 2 * e, 0.0, "gelu", 1e-5, true,
                    g.nextLong(2) == 0, g);
            sameModule(at + "TransformerEncoderLayer", enc, x -> enc.forward(x[0]), view(g, new int[] {b, t, e},
                    false));
            Conv1d conv = new Conv1d(in, hidden, 3, 1, 1, 1, 1, true, g);
            sameModule(at + "Conv1d", conv, x -> conv.forward(x[0]), view(g, new int[] {b, in, t + 2}, false));
            GroupNorm gn = new GroupNorm(1, in);
            sameModule(at + "GroupNorm", gn, x -> gn.forward(x[0]), view(g, new int[] {b, in, t + 1}, false));
        });
    }

    @Test
    void elementwiseOpsAgreeBitForBit() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = shape(g, 1 + (int) g.nextLong(4), 40);
            String at = "seed " + seed + " ";
            Map<String, Function<Tensor[], Tensor>> unary = new LinkedHashMap<>();
            unary.put("exp", x -> x[0].exp());
            unary.put("tanh", x -> x[0].tanh());
            unary.put("sigmoid", x -> x[0].sigmoid());
            unary.put("gelu", x -> x[0].gelu());
            unary.put("silu", x -> x[0].silu());
            unary.put("relu", x -> x[0].relu());
            unary.put("erf", x -> x[0].erf());
            unary.put("sin", x -> x[0].sin());
            unary.put("log(|x|+1)", x -> x[0].abs().add(1).log());
            unary.put("sqrt(|x|+0.1)", x -> x[0].abs().add(0.1).sqrt());
            unary.put("pow 3", x -> x[0].pow(3.0));
            unary.put("clamp", x -> x[0].clamp(-0.5, 0.7));
            unary.put("mul 1.5 add 0.25", x -> x[0].mul(1.5).add(0.25));
            for (var e : unary.entrySet()) {
                same(at + e.getKey(), 0, e.getValue(), view(g, s, true));
            }
            same(at + "add", 0, x -> x[0].add(x[1]), view(g, s, true), view(g, s, true));
            same(at + "mul", 0, x -> x[0].mul(x[1]), view(g, s, true), view(g, s, true));
            same(at + "div", 0, x -> x[0].div(x[1].abs().add(0.5)), view(g, s, true), view(g, s, true));
            same(at + "maximum", 0, x -> x[0].maximum(x[1]), view(g, s, true), view(g, s, true));
            same(at + "where", 0, x -> Tensor.where(x[0].gt(0), x[0], x[1]), view(g, s, true), view(g, s, true));
        });
    }

    @Test
    void reductionsAndRowOps() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int rank = 1 + (int) g.nextLong(3);
            int[] s = shape(g, rank, 70);
            int d = (int) g.nextLong(rank);
            String at = "seed " + seed + " dim " + d + " ";
            double tol = 64;
            same(at + "sum(dim)", tol, x -> x[0].sum(d), view(g, s, true));
            same(at + "mean(dim)", tol, x -> x[0].mean(d), view(g, s, true));
            same(at + "amax(dim)", 0, x -> x[0].amax(new int[] {d}, false), view(g, s, false));
            same(at + "logsumexp(dim)", tol, x -> x[0].logsumexp(new int[] {d}, true), view(g, s, true));
            same(at + "softmax(dim)", tol, x -> x[0].softmax(d), view(g, s, true));
            same(at + "logSoftmax(dim)", tol, x -> x[0].logSoftmax(d), view(g, s, true));
            same(at + "cumsum(dim)", tol, x -> x[0].cumsum(d), view(g, s, true));
            same(at + "var(dim)", tol, x -> x[0].var(new int[] {d}, 1, false), view(g, s, true));
            same(at + "sum()", tol, x -> x[0].sum(), view(g, s, true));
            int last = s[rank - 1];
            Tensor w = rand(g, last);
            Tensor bias = rand(g, last);
            same(at + "layerNorm", tol, x -> F.layerNorm(x[0], new int[] {last}, w, bias, 1e-5), view(g, s, false));
        });
    }

    @Test
    void productsConvolutionAndAttention() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            String at = "seed " + seed + " ";
            int m = 1 + (int) g.nextLong(40);
            int k = 1 + (int) g.nextLong(70);
            int n = 1 + (int) g.nextLong(50);
            int batch = 1 + (int) g.nextLong(3);
            double tol = 64;
            same(at + "matmul 2-D", tol, x -> x[0].matmul(x[1]), view(g, new int[] {m, k}, false),
                    view(g, new int[] {k, n}, false));
            same(at + "matmul batched", tol, x -> x[0].matmul(x[1]), view(g, new int[] {batch, m, k}, false),
                    view(g, new int[] {batch, k, n}, false));
            same(at + "matmul batch-broadcast", tol, x -> x[0].matmul(x[1]), view(g, new int[] {batch, m, k}, true),
                    view(g, new int[] {k, n}, false));
            same(at + "linear", tol, x -> F.linear(x[0], x[1], x[2]), view(g, new int[] {batch, m, k}, false),
                    view(g, new int[] {n, k}, false), view(g, new int[] {n}, false));
            int c = 1 + (int) g.nextLong(4);
            int h = 3 + (int) g.nextLong(8);
            int o = 1 + (int) g.nextLong(5);
            same(at + "conv2d", tol, x -> F.conv2d(x[0], x[1], x[2], new int[] {1, 1}, new int[] {1, 1},
                    new int[] {1, 1}, 1), view(g, new int[] {batch, c, h, h + 1}, false),
                    view(g, new int[] {o, c, 3, 3}, false), view(g, new int[] {o}, false));
            same(at + "maxPool2d", 0, x -> x[0].maxPool2d(2), view(g, new int[] {batch, c, h, h}, false));
            same(at + "avgPool2d", tol, x -> x[0].avgPool2d(2), view(g, new int[] {batch, c, h, h}, false));
            int heads = 1 + (int) g.nextLong(3);
            int tq = 1 + (int) g.nextLong(40);
            int tk = 1 + (int) g.nextLong(40);
            int e = 1 + (int) g.nextLong(20);
            boolean causal = g.nextLong(2) == 0;
            same(at + "scaledDotProductAttention causal " + causal, tol,
                    x -> F.scaledDotProductAttention(x[0], x[1], x[2], null, 0.0, causal, null),
                    view(g, new int[] {batch, heads, tq, e}, false), view(g, new int[] {batch, heads, tk, e}, false),
                    view(g, new int[] {batch, heads, tk, e}, false));
        });
    }
}
