package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.SeededCases;
import dev.vgrad.nn.testing.ModuleChecks;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * TransformerDecoder (docs/SEMANTICS.md §21.4) beyond the PyTorch fixtures of AttentionConformanceTest: the module
 * laws (ModuleChecks, through a one-input wrapper, since the decoder needs tgt and memory), PyTorch's state-dict
 * names and deepcopy semantics (same initial values, independent parameters, mode copied), train/eval reaching
 * every layer, causal masking and memory padding over random sizes (QuickTheories seeds, bit-identical), zero
 * layers, and the argument errors, worded as TransformerEncoder's.
 */
class TransformerDecoderTest {
    private static final int EXAMPLES = 20;

    /**
     * The decoder as a batch-first one-input module: memory is derived from the sample itself (so samples stay
     * independent) and the target attends causally.
     */
    static final class SelfDecoding extends Module {
        SelfDecoding(TransformerDecoder dec) {
            registerModule("decoder", dec);
        }

        @Override
        public Tensor forward(Tensor x) {
            int t = x.shape()[1];
            Tensor causal = Tensor.zeros(x.dtype(), t, t).maskedFill(Tensor.ones(DType.BOOL, t, t).triu(1),
                    Double.NEGATIVE_INFINITY);
            return ((TransformerDecoder) child("decoder")).forward(x, x.mul(0.5).tanh(), causal, null, null, null);
        }
    }

    private static TransformerDecoder decoder(long seed, boolean normFirst, double dropout, int layers,
                                              boolean finalNorm) {
        TransformerDecoderLayer layer = new TransformerDecoderLayer(4, 2, 6, dropout, normFirst ? "gelu" : "relu",
                1e-5, true, normFirst, new Generator(seed));
        return new TransformerDecoder(layer, layers, finalNorm ? new LayerNorm(4) : null);
    }

    private static long[] bits(Tensor t) {
        double[] a = t.toDoubleArray();
        long[] b = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Double.doubleToRawLongBits(a[i]);
        }
        return b;
    }

    @Test
    void moduleLawsHold() {
        Tensor x = Tensor.randn(new Generator(11), 3, 3, 4);
        ModuleChecks.of(() -> new SelfDecoding(decoder(1, false, 0.1, 2, true)), x).checkAll();
        ModuleChecks.of(() -> new SelfDecoding(decoder(2, true, 0.0, 2, false)), x).checkAll();
    }

    @Test
    void layersAreDeepCopiesWithPyTorchNames() {
        TransformerDecoderLayer template = new TransformerDecoderLayer(8, 2, 16, 0.1, "relu", 1e-5, false, false,
                new Generator(3));
        template.eval();
        TransformerDecoder dec = new TransformerDecoder(template, 3, new LayerNorm(8));
        assertEquals(3, dec.numLayers());
        Map<String, Tensor> sd = dec.stateDict();
        assertEquals(template.stateDict().size() * 3 + 2, sd.size());
        for (String k : template.stateDict().keySet()) {
            for (int i = 0; i < 3; i++) {
                assertTrue(sd.containsKey("layers." + i + "." + k), "missing layers." + i + "." + k);
                // PyTorch's deepcopy: every layer starts from the template's values
                assertArrayEquals(template.stateDict().get(k).toDoubleArray(), sd.get("layers." + i + "." + k)
                        .toDoubleArray(), k);
            }
        }
        assertTrue(sd.containsKey("layers.2.multihead_attn.in_proj_weight"));
        assertTrue(sd.containsKey("norm.weight") && sd.containsKey("norm.bias"));
        assertFalse(new TransformerDecoder(template, 2, null).stateDict().containsKey("norm.weight"));
        // each layer owns its parameters: none is the template's, and changing one layer leaves the others alone
        Tensor w0 = dec.layer(0).child("linear1").param("weight");
        assertNotSame(template.child("linear1").param("weight"), w0);
        assertNotSame(dec.layer(1).child("linear1").param("weight"), w0);
        try (Grad.Scope off = Grad.disabled()) {
            w0.add_(Tensor.ones(w0.shape()));
        }
        assertFalse(java.util.Arrays.equals(w0.toDoubleArray(),
                dec.layer(1).child("linear1").param("weight").toDoubleArray()));
        assertSame(dec.layer(-1), dec.layer(2));
        // the template's mode is copied, then train/eval reach every child
        assertFalse(dec.layer(1).isTraining());
        dec.train();
        assertTrue(dec.modules().stream().allMatch(Module::isTraining));
        dec.eval();
        assertTrue(dec.modules().stream().noneMatch(Module::isTraining));
    }

    @Test
    void causalTgtMaskKeepsEarlierOutputs() {
        SeededCases.check("transformer decoder causal", 2311, EXAMPLES, seed -> {
            Random r = new Random(seed);
            Generator g = new Generator(seed);
            DType d = r.nextBoolean() ? DType.FLOAT32 : DType.FLOAT64;
            // e >= 3: a LayerNorm over one feature maps every row to its bias, over two to ±weight + bias (up to eps),
            // so a changed row could leave every output bit-identical
            int heads = 1 + r.nextInt(2), e = heads * (3 + r.nextInt(3)), t = 2 + r.nextInt(20), s = 1 + r.nextInt(8);
            TransformerDecoder m = new TransformerDecoder(new TransformerDecoderLayer(e, heads, 2 * e, 0.0,
                    r.nextBoolean() ? "gelu" : "relu", 1e-5, true, r.nextBoolean(), g), 1 + r.nextInt(3),
                    r.nextBoolean() ? new LayerNorm(e) : null);
            m.to(d).eval();
            Tensor mask = Tensor.zeros(d, t, t).maskedFill(Tensor.ones(DType.BOOL, t, t).triu(1), Double.NEGATIVE_INFINITY);
            int pos = 1 + r.nextInt(t - 1);
            Tensor x = Tensor.randn(g, 1, t, e).to(d);
            Tensor mem = Tensor.randn(g, 1, s, e).to(d);
            double[] changed = x.toDoubleArray();
            for (int c = 0; c < e; c++) {
                changed[pos * e + c] += 1 + r.nextDouble();
            }
            Tensor x2 = Tensor.of(changed, 1, t, e).to(d);
            try (Grad.Scope off = Grad.disabled()) {
                long[] y1 = bits(m.forward(x, mem, mask, null, null, null));
                long[] y2 = bits(m.forward(x2, mem, mask, null, null, null));
                for (int i = 0; i < pos * e; i++) {
                    assertEquals(y1[i], y2[i], "seed " + seed + ": output row " + i / e + " changed when row " + pos
                            + " changed");
                }
                assertFalse(java.util.Arrays.equals(y1, y2), "seed " + seed + ": the changed row changed nothing");
            }
        });
    }

    @Test
    void paddedMemoryNeverInfluencesTheOutput() {
        SeededCases.check("transformer decoder memory padding", 2312, EXAMPLES, seed -> {
            Random r = new Random(seed);
            Generator g = new Generator(seed);
            DType d = r.nextBoolean() ? DType.FLOAT32 : DType.FLOAT64;
            int heads = 1 + r.nextInt(2), e = heads * (1 + r.nextInt(4)), t = 1 + r.nextInt(8);
            int s = 2 + r.nextInt(8), n = 1 + r.nextInt(3);
            TransformerDecoder m = new TransformerDecoder(new TransformerDecoderLayer(e, heads, 2 * e, 0.0,
                    r.nextBoolean() ? "gelu" : "relu", 1e-5, false, r.nextBoolean(), g), 1 + r.nextInt(3),
                    r.nextBoolean() ? new LayerNorm(e) : null);
            m.to(d).eval();
            int pad = 1 + r.nextInt(s - 1);
            long[] kp = new long[n * s];
            for (int b = 0; b < n; b++) {
                kp[b * s + pad] = 1;
            }
            Tensor kpm = Tensor.ofLongs(kp, n, s).to(DType.BOOL);
            Tensor x = Tensor.randn(g, t, n, e).to(d);
            Tensor mem = Tensor.randn(g, s, n, e).to(d);
            double[] changed = mem.toDoubleArray();
            for (int b = 0; b < n; b++) {
                for (int c = 0; c < e; c++) {
                    changed[(pad * n + b) * e + c] = 100 * r.nextGaussian();
                }
            }
            Tensor mem2 = Tensor.of(changed, s, n, e).to(d);
            try (Grad.Scope off = Grad.disabled()) {
                assertArrayEquals(bits(m.forward(x, mem, null, null, null, kpm)),
                        bits(m.forward(x, mem2, null, null, null, kpm)),
                        "seed " + seed + ": padded memory position " + pad + " changed the output");
            }
        });
    }

    @Test
    void zeroLayersIsTheNormOfTgt() {
        Tensor tgt = Tensor.randn(new Generator(5), 3, 2, 4);
        Tensor mem = Tensor.randn(new Generator(6), 5, 2, 4);
        assertSame(tgt, decoder(1, false, 0.0, 0, false).forward(tgt, mem));
        LayerNorm norm = new LayerNorm(4);
        TransformerDecoder dec = new TransformerDecoder(new TransformerDecoderLayer(4, 2), 0, norm);
        assertArrayEquals(bits(norm.forward(tgt)), bits(dec.forward(tgt, mem)));
    }

    @Test
    void badArgumentsAreRefusedClearly() {
        TransformerDecoderLayer layer = new TransformerDecoderLayer(4, 2);
        String msg = assertThrows(IllegalArgumentException.class, () -> new TransformerDecoder(null, 2, null))
                .getMessage();
        assertEquals("TransformerDecoder: argument 'decoder_layer' must not be null", msg);
        msg = assertThrows(IllegalArgumentException.class, () -> new TransformerDecoder(layer, -1, null)).getMessage();
        assertEquals("TransformerDecoder: num_layers must be non-negative, got -1", msg);
        TransformerDecoder dec = new TransformerDecoder(layer, 2, null);
        msg = assertThrows(IllegalStateException.class, () -> dec.forward(Tensor.zeros(3, 2, 4))).getMessage();
        assertTrue(msg.startsWith("TransformerDecoder.forward needs tgt and memory"), msg);
        msg = assertThrows(IllegalArgumentException.class, () -> dec.forward(Tensor.zeros(3, 2, 4), null))
                .getMessage();
        assertEquals("TransformerDecoder: argument 'memory' must not be null", msg);
        msg = assertThrows(IllegalArgumentException.class,
                () -> dec.forward(Tensor.zeros(3, 2, 4), Tensor.zeros(5, 2, 6))).getMessage();
        assertTrue(msg.contains("6"), msg);
    }
}
