package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.SeededCases;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Laws of docs/SEMANTICS.md §21 over random sizes and values (QuickTheories seeds, reported on failure):
 * causal masking (a future token never changes an earlier output, bit for bit), eval-mode determinism and batch
 * independence of MultiheadAttention and the Transformer layers (one sample's output is bit-identical whatever
 * the rest of the batch), dropout off in eval, a padded key never influences the other positions, the fused and
 * composed paths agree; Sequential composition and clear errors for bad shapes.
 */
class AttentionPropertyTest {
    private static final int EXAMPLES = 25;

    private static Tensor rnd(Generator g, DType d, int... shape) {
        return Tensor.randn(g, shape).to(d);
    }

    private static long[] bits(Tensor t) {
        double[] a = t.toDoubleArray();
        long[] b = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Double.doubleToRawLongBits(a[i]);
        }
        return b;
    }

    /** A random module (MHA, encoder layer, encoder, decoder layer) as a batch-first function of one input. */
    private interface Model {
        Tensor apply(Tensor x, Tensor kpm);
    }

    private static Model model(int kind, Random r, Generator g, DType d, int e, int heads, double dropout) {
        boolean normFirst = r.nextBoolean();
        String act = r.nextBoolean() ? "relu" : "gelu";
        switch (kind) {
            case 0 -> {
                MultiheadAttention m = new MultiheadAttention(e, heads, dropout, r.nextBoolean(), null, null, true, g);
                m.to(d).eval();
                boolean need = r.nextBoolean();
                return (x, kpm) -> m.forward(x, x, x, kpm, need, null, true).output();
            }
            case 1 -> {
                TransformerEncoderLayer m = new TransformerEncoderLayer(e, heads, 2 * e, dropout, act, 1e-5, true,
                        normFirst, g);
                m.to(d).eval();
                return (x, kpm) -> m.forward(x, null, kpm);
            }
            case 2 -> {
                TransformerEncoder m = new TransformerEncoder(new TransformerEncoderLayer(e, heads, 2 * e, dropout, act,
                        1e-5, true, normFirst, g), 2, new LayerNorm(e));
                m.to(d).eval();
                return (x, kpm) -> m.forward(x, null, kpm);
            }
            default -> {
                TransformerDecoderLayer m = new TransformerDecoderLayer(e, heads, 2 * e, dropout, act, 1e-5, true,
                        normFirst, g);
                m.to(d).eval();
                // memory derived from the sample itself, so samples stay independent
                return (x, kpm) -> m.forward(x, x.mul(0.5), null, null, kpm, kpm);
            }
        }
    }

    @Test
    void evalBatchIndependenceAndDeterminism() {
        SeededCases.check("attention batch independence", 2301, EXAMPLES, seed -> {
            Random r = new Random(seed);
            Generator g = new Generator(seed);
            DType d = r.nextBoolean() ? DType.FLOAT32 : DType.FLOAT64;
            int heads = 1 + r.nextInt(3), e = heads * (1 + r.nextInt(5)), t = 1 + r.nextInt(12), n = 2 + r.nextInt(4);
            int kind = r.nextInt(4);
            Model m = model(kind, r, g, d, e, heads, 0.3);
            Tensor x = rnd(g, d, n, t, e);
            int pick = r.nextInt(n);
            try (Grad.Scope off = Grad.disabled()) {
                Tensor all = m.apply(x, null);
                assertArrayEquals(bits(all), bits(m.apply(x, null)), "seed " + seed + ": eval not deterministic");
                Tensor alone = m.apply(x.narrow(0, pick, 1).contiguous(), null);
                assertArrayEquals(bits(alone), bits(all.narrow(0, pick, 1).contiguous()),
                        "seed " + seed + " kind " + kind + ": sample " + pick + " depends on the rest of the batch");
            }
        });
    }

    @Test
    void paddedKeyNeverInfluencesOtherPositions() {
        SeededCases.check("attention padding", 2302, EXAMPLES, seed -> {
            Random r = new Random(seed);
            Generator g = new Generator(seed);
            DType d = r.nextBoolean() ? DType.FLOAT32 : DType.FLOAT64;
            int heads = 1 + r.nextInt(3), e = heads * (1 + r.nextInt(5)), t = 2 + r.nextInt(12), n = 1 + r.nextInt(3);
            int kind = r.nextInt(4);
            Model m = model(kind, r, g, d, e, heads, 0.0);
            int pad = 1 + r.nextInt(t - 1);
            long[] kp = new long[n * t];
            for (int b = 0; b < n; b++) {
                kp[b * t + pad] = 1;
            }
            Tensor kpm = Tensor.ofLongs(kp, n, t).to(DType.BOOL);
            Tensor x = rnd(g, d, n, t, e);
            double[] changed = x.toDoubleArray();
            for (int b = 0; b < n; b++) {
                for (int c = 0; c < e; c++) {
                    changed[(b * t + pad) * e + c] = 100 * r.nextGaussian();
                }
            }
            Tensor x2 = Tensor.of(changed, n, t, e).to(d);
            try (Grad.Scope off = Grad.disabled()) {
                long[] y1 = bits(m.apply(x, kpm)), y2 = bits(m.apply(x2, kpm));
                for (int b = 0; b < n; b++) {
                    for (int i = 0; i < t; i++) {
                        if (i == pad) {
                            continue;
                        }
                        for (int c = 0; c < e; c++) {
                            int at = (b * t + i) * e + c;
                            assertEquals(y1[at], y2[at], "seed " + seed + " kind " + kind + ": position " + i
                                    + " changed when padded position " + pad + " changed");
                        }
                    }
                }
            }
        });
    }

    @Test
    void causalMaskKeepsEarlierOutputs() {
        SeededCases.check("transformer causal", 2303, EXAMPLES, seed -> {
            Random r = new Random(seed);
            Generator g = new Generator(seed);
            DType d = r.nextBoolean() ? DType.FLOAT32 : DType.FLOAT64;
            int heads = 1 + r.nextInt(2), e = heads * (1 + r.nextInt(4)), t = 2 + r.nextInt(40);
            TransformerEncoderLayer m = new TransformerEncoderLayer(e, heads, 2 * e, 0.0, "gelu", 1e-5, true,
                    r.nextBoolean(), g);
            m.to(d).eval();
            Tensor mask = Tensor.zeros(d, t, t).maskedFill(Tensor.ones(DType.BOOL, t, t).triu(1), Double.NEGATIVE_INFINITY);
            int pos = 1 + r.nextInt(t - 1);
            Tensor x = rnd(g, d, 1, t, e);
            double[] changed = x.toDoubleArray();
            for (int c = 0; c < e; c++) {
                changed[pos * e + c] += 1 + r.nextDouble();
            }
            Tensor x2 = Tensor.of(changed, 1, t, e).to(d);
            try (Grad.Scope off = Grad.disabled()) {
                long[] y1 = bits(m.forward(x, mask, null)), y2 = bits(m.forward(x2, mask, null));
                for (int i = 0; i < pos * e; i++) {
                    assertEquals(y1[i], y2[i], "seed " + seed + ": output row " + i / e + " changed when row " + pos
                            + " changed");
                }
            }
        });
    }

    @Test
    void dropoutIsOffInEvalAndOnInTraining() {
        SeededCases.check("attention dropout", 2304, EXAMPLES, seed -> {
            Random r = new Random(seed);
            int heads = 1 + r.nextInt(2), e = heads * (2 + r.nextInt(4)), t = 3 + r.nextInt(8);
            MultiheadAttention withDrop = new MultiheadAttention(e, heads, 0.5, true, null, null, true,
                    new Generator(seed));
            MultiheadAttention noDrop = new MultiheadAttention(e, heads, 0.0, true, null, null, true,
                    new Generator(seed));
            Tensor x = Tensor.randn(new Generator(seed + 1), 2, t, e);
            try (Grad.Scope off = Grad.disabled()) {
                withDrop.eval();
                noDrop.eval();
                boolean need = r.nextBoolean();
                assertArrayEquals(bits(noDrop.forward(x, x, x, null, need, null, true).output()),
                        bits(withDrop.forward(x, x, x, null, need, null, true).output()), "seed " + seed);
                withDrop.train();
                assertFalse(java.util.Arrays.equals(bits(noDrop.forward(x)), bits(withDrop.forward(x))),
                        "seed " + seed + ": dropout 0.5 changed nothing in training");
            }
        });
    }

    @Test
    void fusedAndComposedPathsAgree() {
        SeededCases.check("mha fused = composed", 2305, EXAMPLES, seed -> {
            Random r = new Random(seed);
            Generator g = new Generator(seed);
            DType d = r.nextBoolean() ? DType.FLOAT32 : DType.FLOAT64;
            int heads = 1 + r.nextInt(3), e = heads * (1 + r.nextInt(6)), l = 1 + r.nextInt(40), s = 1 + r.nextInt(40);
            MultiheadAttention m = new MultiheadAttention(e, heads, 0.0, true, null, null, false, g);
            m.to(d);
            Tensor q = rnd(g, d, l, 2, e), kv = rnd(g, d, s, 2, e);
            Tensor am = rnd(g, d, l, s);
            MultiheadAttention.Output fused = m.forward(q, kv, kv, null, false, am, true);
            MultiheadAttention.Output comp = m.forward(q, kv, kv, null, true, am, false);
            assertNull(fused.weights());
            assertNotNull(comp.weights());
            assertArrayEquals(new int[] {2, heads, l, s}, comp.weights().shape());
            double[] a = fused.output().toDoubleArray(), b = comp.output().toDoubleArray();
            double tol = d == DType.FLOAT32 ? 1e-4 : 1e-12;
            for (int i = 0; i < a.length; i++) {
                assertEquals(b[i], a[i], tol * (1 + Math.abs(b[i])), "seed " + seed + " at " + i);
            }
            // averaged weights are the head mean and each row sums to 1
            double[] avg = m.forward(q, kv, kv, null, true, am, true).weights().sum(-1).toDoubleArray();
            for (double v : avg) {
                assertEquals(1.0, v, 1e-5);
            }
        });
    }

    @Test
    void worksInsideSequentialAndLoadsPyTorchNames() {
        Generator g = new Generator(1);
        Sequential s = new Sequential(new Linear(6, 8, true, g),
                new TransformerEncoderLayer(8, 2, 16, 0.1, "relu", 1e-5, true, false, g),
                new MultiheadAttention(8, 4, 0.0, true, null, null, true, g));
        Tensor y = s.forward(Tensor.randn(g, 2, 5, 6));
        assertArrayEquals(new int[] {2, 5, 8}, y.shape());
        assertTrue(s.stateDict().containsKey("1.self_attn.in_proj_weight"));
        assertTrue(s.stateDict().containsKey("2.out_proj.bias"));
        TransformerEncoder enc = new TransformerEncoder(new TransformerEncoderLayer(8, 2), 3, null);
        assertTrue(enc.stateDict().containsKey("layers.2.linear2.weight"));
        assertFalse(enc.stateDict().containsKey("norm.weight"));
        // PyTorch's deepcopy: every layer starts from the same parameters
        assertArrayEquals(enc.layer(0).selfAttn().param("in_proj_weight").toDoubleArray(),
                enc.layer(2).selfAttn().param("in_proj_weight").toDoubleArray());
    }

    @Test
    void badShapesAreRefusedClearly() {
        MultiheadAttention m = new MultiheadAttention(8, 2);
        String msg = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(3, 2, 6))).getMessage();
        assertEquals("was expecting embedding dimension of 8, but got 6", msg);
        msg = assertThrows(IllegalArgumentException.class, () -> new MultiheadAttention(6, 4)).getMessage();
        assertTrue(msg.startsWith("embed_dim must be divisible by num_heads"), msg);
        msg = assertThrows(IllegalArgumentException.class,
                () -> m.forward(Tensor.zeros(3, 2, 8), Tensor.zeros(4, 2, 8), Tensor.zeros(4, 2, 8),
                        Tensor.zeros(2, 3), false, null, true)).getMessage();
        assertEquals("expecting key_padding_mask shape of (2, 4), but got [2, 3]", msg);
        msg = assertThrows(IllegalArgumentException.class,
                () -> m.forward(Tensor.zeros(3, 2, 8), Tensor.zeros(4, 2, 8), Tensor.zeros(4, 2, 8), null, false,
                        Tensor.zeros(3, 3), true)).getMessage();
        assertEquals("The shape of the 2D attn_mask is [3, 3], but should be (3, 4).", msg);
        msg = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(8))).getMessage();
        assertEquals("query should be unbatched 2D or batched 3D tensor but received 1-D query tensor", msg);
        msg = assertThrows(IllegalArgumentException.class,
                () -> new TransformerEncoderLayer(8, 2, 16, 0.1, "tanh", 1e-5, false, false, new Generator(1)))
                .getMessage();
        assertEquals("activation should be relu/gelu, not tanh", msg);
        assertThrows(IllegalStateException.class, () -> new TransformerDecoderLayer(8, 2).forward(Tensor.zeros(2, 1, 8)));
        msg = assertThrows(IllegalArgumentException.class,
                () -> F.scaledDotProductAttention(Tensor.zeros(2, 3), Tensor.zeros(2, 3), Tensor.zeros(2, 3), null, 1.5,
                        false, null)).getMessage();
        assertTrue(msg.startsWith("dropout probability has to be between 0 and 1"), msg);
    }

    /** The README's snippet (section "Attention and transformers"), with x and the causal mask defined. */
    @Test
    void readmeSnippetRuns() {
        Tensor x = Tensor.randn(new Generator(2), 3, 5, 64);
        Tensor causalMask = Tensor.zeros(5, 5).maskedFill(Tensor.ones(DType.BOOL, 5, 5).triu(1), Double.NEGATIVE_INFINITY);
        var layer = new TransformerEncoderLayer(64, 4, 256, 0.1, "gelu", 1e-5, true, true, new Generator(1));
        var enc = new TransformerEncoder(layer, 2, new LayerNorm(64));
        Tensor y = enc.forward(x, causalMask, null);             // x: (N, L, 64)
        assertArrayEquals(new int[] {3, 5, 64}, y.shape());
        assertEquals(12, enc.stateDict().keySet().stream().filter(k -> k.startsWith("layers.1.")).count());
    }
}
