package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.testing.SeededCases;
import org.junit.jupiter.api.Test;

/**
 * The fused attention op (docs/SEMANTICS.md §21): float64 gradient checks of the fused path (plain, causal, float
 * and boolean masks, custom scale, L ≠ S, E ≠ Ev) and of its createGraph form (second order); fused = composed
 * {@code softmax(scale·q·kᵀ + M)·v} within rounding; the causal law; all-masked rows; error texts.
 */
class AttentionOpsTest {
    private static Tensor rnd(Generator g, DType d, int... shape) {
        return Tensor.randn(g, shape).toRaw(d);
    }

    private static Tensor boolMask(Generator g, int... shape) {
        // a random bool allow-mask with column 0 always allowed, so no row is fully masked
        boolean[] a = Tensor.rand(g, shape).gt(0.4).toBooleanArray();
        int s = shape[shape.length - 1];
        for (int i = 0; i < a.length; i += s) {
            a[i] = true;
        }
        return Tensor.of(a, shape);
    }

    private static void gradcheck(String what, java.util.function.Function<Tensor[], Tensor> f, Tensor... in) {
        GradCheck.Result r = GradCheck.check(f, in);
        assertTrue(r.passed(), what + ": " + r.report());
    }

    @Test
    void fusedPathRecordsFlashNode() {
        Generator g = new Generator(1);
        Tensor q = rnd(g, DType.FLOAT64, 2, 3, 4).requiresGrad(true);
        Tensor y = AttentionOps.scaledDotProductAttention(q, q, q, null, false, null);
        assertEquals("ScaledDotProductFlashAttentionBackward0", y.gradFn().name());
    }

    @Test
    void gradcheckFusedFloat64() {
        Generator g = new Generator(2);
        int[][] shapes = {{2, 5, 3, 5, 4}, {1, 7, 2, 4, 3}, {3, 1, 5, 6, 2}};
        for (int[] sh : shapes) {
            int b = sh[0], l = sh[1], e = sh[2], s = sh[3], ev = sh[4];
            Tensor q = rnd(g, DType.FLOAT64, b, l, e).requiresGrad(true);
            Tensor k = rnd(g, DType.FLOAT64, b, s, e).requiresGrad(true);
            Tensor v = rnd(g, DType.FLOAT64, b, s, ev).requiresGrad(true);
            Tensor fm = rnd(g, DType.FLOAT64, l, s);
            Tensor bm = boolMask(g, b, 1, l, s).reshape(b, l, s);
            String sz = java.util.Arrays.toString(sh);
            gradcheck("plain " + sz, x -> AttentionOps.scaledDotProductAttention(x[0], x[1], x[2], null, false, null),
                    q, k, v);
            gradcheck("causal " + sz, x -> AttentionOps.scaledDotProductAttention(x[0], x[1], x[2], null, true, null),
                    q, k, v);
            gradcheck("float mask " + sz, x -> AttentionOps.scaledDotProductAttention(x[0], x[1], x[2], fm, false,
                    0.3), q, k, v);
            gradcheck("bool mask " + sz, x -> AttentionOps.scaledDotProductAttention(x[0], x[1], x[2], bm, false,
                    null), q, k, v);
        }
    }

    @Test
    void gradcheckRank4AndLongSequences() {
        // more keys than one kernel block (64) and more queries than one query block (32)
        Generator g = new Generator(3);
        Tensor q = rnd(g, DType.FLOAT64, 1, 2, 70, 3).requiresGrad(true);
        Tensor k = rnd(g, DType.FLOAT64, 1, 2, 70, 3).requiresGrad(true);
        Tensor v = rnd(g, DType.FLOAT64, 1, 2, 70, 2).requiresGrad(true);
        gradcheck("causal T=70", x -> AttentionOps.scaledDotProductAttention(x[0], x[1], x[2], null, true, null),
                q, k, v);
    }

    @Test
    void gradgradcheckUsesRecordedRule() {
        Generator g = new Generator(4);
        Tensor q = rnd(g, DType.FLOAT64, 2, 3, 2).requiresGrad(true);
        Tensor k = rnd(g, DType.FLOAT64, 2, 4, 2).requiresGrad(true);
        Tensor v = rnd(g, DType.FLOAT64, 2, 4, 3).requiresGrad(true);
        Tensor bm = boolMask(g, 3, 4);
        for (boolean causal : new boolean[] {false, true}) {
            GradCheck.Result r = GradCheck.gradgradcheck(
                    x -> AttentionOps.scaledDotProductAttention(x[0], x[1], x[2], causal ? null : bm, causal, null),
                    q, k, v);
            assertTrue(r.passed(), "causal=" + causal + ": " + r.report());
        }
    }

    @Test
    void gradcheckMaskRequiringGradTakesComposedPath() {
        Generator g = new Generator(5);
        Tensor q = rnd(g, DType.FLOAT64, 2, 3, 2).requiresGrad(true);
        Tensor m = rnd(g, DType.FLOAT64, 3, 3).requiresGrad(true);
        gradcheck("grad into mask", x -> AttentionOps.scaledDotProductAttention(x[0], x[0], x[0], x[1], false, null),
                q, m);
    }

    @Test
    void fusedMatchesComposed() {
        SeededCases.check("fused = composed", 2101, 40, seed -> {
            Generator g = new Generator(seed);
            java.util.Random r = new java.util.Random(seed);
            DType d = r.nextBoolean() ? DType.FLOAT32 : DType.FLOAT64;
            int b = 1 + r.nextInt(3), l = 1 + r.nextInt(80), s = 1 + r.nextInt(80);
            int e = 1 + r.nextInt(40), ev = 1 + r.nextInt(40);
            int kind = r.nextInt(4);
            boolean causal = kind == 1;
            Tensor mask = kind == 2 ? rnd(g, d, 1, l, s) : kind == 3 ? boolMask(g, b, l, s) : null;
            Double scale = r.nextBoolean() ? null : 0.05 + r.nextDouble();
            Tensor q = rnd(g, d, b, l, e).requiresGrad(true);
            Tensor k = rnd(g, d, b, s, e).requiresGrad(true);
            Tensor v = rnd(g, d, b, s, ev).requiresGrad(true);
            Tensor go = rnd(g, d, b, l, ev);
            Tensor y1 = AttentionOps.scaledDotProductAttention(q, k, v, mask, causal, scale);
            Tensor[] g1 = Autograd.grad(y1, new Tensor[] {q, k, v}, go, false);
            Tensor y2 = AttentionOps.composed(q, k, v, mask, causal, scale);
            Tensor[] g2 = Autograd.grad(y2, new Tensor[] {q, k, v}, go, false);
            double tol = d == DType.FLOAT32 ? 2e-4 : 1e-11;
            String what = "seed " + seed + " " + d + " b" + b + " l" + l + " s" + s + " e" + e + " ev" + ev
                    + " kind" + kind;
            close(y2, y1, tol, what + " out");
            for (int i = 0; i < 3; i++) {
                close(g2[i], g1[i], tol, what + " grad " + i);
            }
        });
    }

    private static void close(Tensor want, Tensor got, double tol, String what) {
        assertArrayEquals(want.shape(), got.shape(), what + " shape");
        double[] a = want.toDoubleArray(), b = got.toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], tol * (1 + Math.abs(a[i])), what + " at " + i);
        }
    }

    @Test
    void causalFutureTokenNeverChangesEarlierOutputs() {
        SeededCases.check("causal law", 2102, 30, seed -> {
            Generator g = new Generator(seed);
            java.util.Random r = new java.util.Random(seed);
            DType d = r.nextBoolean() ? DType.FLOAT32 : DType.FLOAT64;
            int t = 2 + r.nextInt(100), e = 1 + r.nextInt(20);
            int pos = 1 + r.nextInt(t - 1);
            Tensor x = rnd(g, d, 2, t, e);
            double[] changed = x.toDoubleArray();
            for (int b = 0; b < 2; b++) {
                for (int c = 0; c < e; c++) {
                    changed[(b * t + pos) * e + c] += 1 + r.nextDouble();
                }
            }
            Tensor x2 = Tensor.of(changed, 2, t, e).toRaw(d);
            double[] y1 = AttentionOps.scaledDotProductAttention(x, x, x, null, true, null).toDoubleArray();
            double[] y2 = AttentionOps.scaledDotProductAttention(x2, x2, x2, null, true, null).toDoubleArray();
            for (int b = 0; b < 2; b++) {
                for (int i = 0; i < pos; i++) {
                    for (int c = 0; c < e; c++) {
                        int at = (b * t + i) * e + c;
                        assertEquals(Double.doubleToRawLongBits(y1[at]), Double.doubleToRawLongBits(y2[at]),
                                "seed " + seed + ": row " + i + " changed after position " + pos + " changed");
                    }
                }
            }
        });
    }

    @Test
    void fullyMaskedRowIsNaNAsComposed() {
        Tensor q = Tensor.of(new double[] {1, 2, 3, 4}, 1, 2, 2);
        Tensor m = Tensor.of(new boolean[] {true, true, false, false}, 2, 2);
        double[] y = AttentionOps.scaledDotProductAttention(q, q, q, m, false, null).toDoubleArray();
        double[] c = AttentionOps.composed(q, q, q, m, false, null).toDoubleArray();
        assertTrue(!Double.isNaN(y[0]) && !Double.isNaN(y[1]) && Double.isNaN(y[2]) && Double.isNaN(y[3]));
        assertTrue(Double.isNaN(c[2]) && Double.isNaN(c[3]));
        assertEquals(c[0], y[0], 1e-12);
    }

    /**
     * float32 over whole vector tiles: rows with every key masked give NaN outputs and gradients (batch 0), padded
     * keys (masked for every query) of a batch without such rows get exactly zero gradient (batch 1), and the rest
     * matches the composed ops, NaN for NaN, as in float64.
     */
    @Test
    void maskedRowsAndPaddedKeysFloat32MatchComposed() {
        Generator g = new Generator(7);
        int b = 2, l = 40, s = 37, e = 16;
        boolean[] allow = new boolean[b * l * s];
        for (int i = 0; i < allow.length; i++) {
            int batch = i / (l * s), row = i / s % l, key = i % s;
            // batch 0: rows 4, 13, 22 and 31 fully masked; both batches: the last 5 keys are padding
            allow[i] = (batch == 1 || row % 9 != 4) && key < s - 5;
        }
        Tensor m = Tensor.of(allow, b, l, s);
        Tensor q = rnd(g, DType.FLOAT32, b, l, e).requiresGrad(true);
        Tensor k = rnd(g, DType.FLOAT32, b, s, e).requiresGrad(true);
        Tensor v = rnd(g, DType.FLOAT32, b, s, e).requiresGrad(true);
        Tensor go = rnd(g, DType.FLOAT32, b, l, e);
        Tensor y1 = AttentionOps.scaledDotProductAttention(q, k, v, m, false, null);
        Tensor[] g1 = Autograd.grad(y1, new Tensor[] {q, k, v}, go, false);
        Tensor y2 = AttentionOps.composed(q, k, v, m, false, null);
        Tensor[] g2 = Autograd.grad(y2, new Tensor[] {q, k, v}, go, false);
        Tensor[] want = {y2, g2[0], g2[1], g2[2]}, got = {y1, g1[0], g1[1], g1[2]};
        String[] names = {"out", "grad q", "grad k", "grad v"};
        for (int t = 0; t < 4; t++) {
            double[] a = want[t].toDoubleArray(), c = got[t].toDoubleArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(Double.isNaN(a[i]), Double.isNaN(c[i]), names[t] + " NaN at " + i);
                if (!Double.isNaN(a[i])) {
                    assertEquals(a[i], c[i], 2e-4 * (1 + Math.abs(a[i])), names[t] + " at " + i);
                }
            }
        }
        double[] y = y1.toDoubleArray(), gk = g1[1].toDoubleArray();
        assertTrue(Double.isNaN(y[4 * e]) && !Double.isNaN(y[3 * e]), "a fully masked row is NaN, the others are not");
        for (int key = 0; key < s; key++) {
            double x = gk[(s + key) * e];
            assertTrue(key < s - 5 ? x != 0 && !Double.isNaN(x) : x == 0, "batch 1 key " + key + " grad " + x);
        }
    }

    @Test
    void badInputsNameTheProblem() {
        Tensor q = Tensor.zeros(2, 3, 4);
        Tensor k = Tensor.zeros(2, 5, 4);
        Tensor v = Tensor.zeros(2, 5, 6);
        String m = assertThrows(IllegalArgumentException.class,
                () -> AttentionOps.scaledDotProductAttention(q, Tensor.zeros(2, 5, 3), v, null, false, null))
                .getMessage();
        assertTrue(m.contains("same embedding size E") && m.contains("[2, 5, 3]"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> AttentionOps.scaledDotProductAttention(q, k, Tensor.zeros(2, 4, 6), null, false, null))
                .getMessage();
        assertTrue(m.contains("same sequence length S"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> AttentionOps.scaledDotProductAttention(q, k, v.toRaw(DType.FLOAT64), null, false, null))
                .getMessage();
        assertEquals("Expected query, key, and value to have the same dtype, but got query.dtype: float key.dtype: "
                + "float and value.dtype: double instead.", m);
        m = assertThrows(IllegalArgumentException.class,
                () -> AttentionOps.scaledDotProductAttention(q, k, v, Tensor.zeros(3, 5), true, null)).getMessage();
        assertEquals("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True", m);
        m = assertThrows(IllegalArgumentException.class,
                () -> AttentionOps.scaledDotProductAttention(q, k, v, Tensor.zeros(4, 5), false, null)).getMessage();
        assertTrue(m.contains("attn_mask of shape [4, 5] cannot be broadcast"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> AttentionOps.scaledDotProductAttention(q, k, v, Tensor.zeros(DType.FLOAT64, 3, 5), false, null))
                .getMessage();
        assertTrue(m.startsWith("Expected attn_mask dtype to be bool or to match query dtype"), m);
        // an int64 mask is no longer read as bool: refused with torch 2.x's words
        m = assertThrows(IllegalArgumentException.class,
                () -> AttentionOps.scaledDotProductAttention(q, k, v, Tensor.zeros(DType.INT64, 3, 5), false, null))
                .getMessage();
        assertEquals("Expected attn_mask dtype to be bool or to match query dtype, but got attn_mask.dtype: long int "
                + "and  query.dtype: float instead.", m);
        m = assertThrows(IllegalArgumentException.class,
                () -> AttentionOps.scaledDotProductAttention(Tensor.zeros(4), k, v, null, false, null)).getMessage();
        assertTrue(m.contains("rank >= 2"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> AttentionOps.scaledDotProductAttention(q, Tensor.zeros(3, 5, 4), Tensor.zeros(3, 5, 6), null,
                        false, null)).getMessage();
        assertTrue(m.contains("same batch dims"), m);
    }

    @Test
    void emptyKeysGiveZerosAsComposed() {
        Tensor q = Tensor.ones(1, 2, 3);
        Tensor y = AttentionOps.scaledDotProductAttention(q, Tensor.zeros(1, 0, 3), Tensor.zeros(1, 0, 2), null, false,
                null);
        assertArrayEquals(new int[] {1, 2, 2}, y.shape());
        assertArrayEquals(new double[4], y.toDoubleArray());
    }

    /**
     * The kernel reads strided per-head views in place and writes the output and gradients in the inputs' memory
     * order: over random shapes, heads split out of one (B, T, 3·H·d) projection, and q given with a transposed
     * (non-unit) last stride and k broadcast over the heads (stride 0), give the bits of the same call on
     * contiguous copies, forward and backward; the output of head views merges back to (B, T, H·d) without a copy,
     * as PyTorch's CPU flash attention's does.
     */
    @Test
    void stridedInputsGiveTheContiguousBits() {
        SeededCases.check("sdpa strided = contiguous", 2311, 25, seed -> {
            java.util.Random r = new java.util.Random(seed);
            int b = 1 + r.nextInt(2), h = 1 + r.nextInt(3), t = 1 + r.nextInt(70), d = 1 + r.nextInt(40);
            boolean causal = r.nextBoolean();
            int c = h * d;
            Generator g = new Generator(seed);
            Tensor proj = rnd(g, DType.FLOAT32, b, t, 3 * c).requiresGrad(true);
            Tensor qt = rnd(g, DType.FLOAT32, b, h, d, t).requiresGrad(true); // q = qtᵀ: last stride t
            Tensor go = rnd(g, DType.FLOAT32, b, t, c);
            java.util.List<Tensor> parts = proj.split(c, 2);
            Tensor[] heads = new Tensor[3];
            for (int i = 0; i < 3; i++) {
                heads[i] = parts.get(i).view(b, t, h, d).transpose(1, 2);
            }
            boolean headView = r.nextBoolean();
            Tensor q = headView ? heads[0] : qt.transpose(2, 3);
            // one key head shared by all query heads (multi-query attention): a stride-0 head dim
            Tensor k = r.nextInt(3) == 0
                    ? rnd(g, DType.FLOAT32, b, 1, t, d).requiresGrad(true).expand(b, h, t, d) : heads[1];
            Tensor y = AttentionOps.scaledDotProductAttention(q, k, heads[2], null, causal, null);
            Tensor merged = y.transpose(1, 2);
            assertTrue(!headView || merged.isContiguous(), "seed " + seed + ": output not in the heads' (B, T, H, d) order");
            Tensor[] gr = Autograd.grad(merged.reshape(b, t, c), new Tensor[] {q, k, heads[2]}, go, false);

            Tensor[] dense = new Tensor[3];
            Tensor[] src = {q, k, heads[2]};
            for (int i = 0; i < 3; i++) {
                dense[i] = src[i].detach().contiguous().requiresGrad(true);
            }
            Tensor y2 = AttentionOps.scaledDotProductAttention(dense[0], dense[1], dense[2], null, causal, null);
            Tensor[] gr2 = Autograd.grad(y2.transpose(1, 2).reshape(b, t, c), dense, go, false);
            String what = "seed " + seed + " b" + b + " h" + h + " t" + t + " d" + d + " causal " + causal;
            bitsEqual(y2, y, what + " out");
            for (int i = 0; i < 3; i++) {
                bitsEqual(gr2[i], gr[i], what + " grad " + i);
            }
        });
    }

    private static void bitsEqual(Tensor want, Tensor got, String what) {
        assertArrayEquals(want.shape(), got.shape(), what);
        float[] a = want.contiguous().toArray(), b = got.contiguous().toArray();
        for (int i = 0; i < a.length; i++) {
            assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), what + " at " + i);
        }
    }

    /** One and two threads give bit-identical outputs and gradients (each slice is computed whole by one thread). */
    @Test
    void threadCountNeverChangesBits() {
        Generator g = new Generator(9);
        Tensor q = rnd(g, DType.FLOAT32, 2, 4, 70, 16).requiresGrad(true);
        Tensor k = rnd(g, DType.FLOAT32, 2, 4, 70, 16).requiresGrad(true);
        Tensor v = rnd(g, DType.FLOAT32, 2, 4, 70, 16).requiresGrad(true);
        Tensor go = rnd(g, DType.FLOAT32, 2, 4, 70, 16);
        int before = Vgrad.numThreads();
        float[][][] res = new float[2][][];
        try {
            for (int t = 1; t <= 2; t++) {
                Vgrad.setNumThreads(t);
                Tensor y = AttentionOps.scaledDotProductAttention(q, k, v, null, true, null);
                Tensor[] gr = Autograd.grad(y, new Tensor[] {q, k, v}, go, false);
                res[t - 1] = new float[][] {y.toArray(), gr[0].toArray(), gr[1].toArray(), gr[2].toArray()};
            }
        } finally {
            Vgrad.setNumThreads(before);
        }
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < res[0][i].length; j++) {
                assertEquals(Float.floatToRawIntBits(res[0][i][j]), Float.floatToRawIntBits(res[1][i][j]),
                        "result " + i + " at " + j);
            }
        }
    }
}
