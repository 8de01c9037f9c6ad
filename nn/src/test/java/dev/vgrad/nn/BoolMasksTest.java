package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Fixtures;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Bool masks in nn (docs/SEMANTICS.md §17, §21): MultiheadAttention's refusals of int64 masks in PyTorch 1.13's words
 * and a bool mask equal bit for bit to its −∞ float equivalent ({@code nn_bool_masks.json},
 * tools/fixtures/bool_ops.py); safetensors BOOL files read as torch writes them and round trips of random bool
 * tensors.
 */
class BoolMasksTest {
    private static final Map<String, Object> ROOT = Fixtures.load("nn_bool_masks.json");

    private static String error(String prefix) {
        for (Map<String, Object> c : Fixtures.cases(ROOT)) {
            if (((String) c.get("name")).startsWith(prefix)) {
                return (String) c.get("error");
            }
        }
        throw new AssertionError("no case " + prefix);
    }

    @Test
    void multiheadAttentionRefusesInt64MasksWithPyTorchsWords() {
        MultiheadAttention mha = new MultiheadAttention(4, 2);
        Tensor x = Tensor.zeros(3, 2, 4);
        String m = assertThrows(IllegalArgumentException.class, () -> mha.forward(x, x, x, null, true,
                Tensor.zeros(DType.INT64, 3, 3), true)).getMessage();
        assertEquals(error("mha_long_attn_mask"), m);
        m = assertThrows(IllegalArgumentException.class, () -> mha.forward(x, x, x, Tensor.zeros(DType.INT64, 2, 3),
                true, null, true)).getMessage();
        assertEquals(error("mha_long_key_padding_mask"), m);
    }

    /** MHA's bool masks (true = masked) give the same bits as the float masks with −∞ where true. */
    @Test
    void boolMasksEqualTheirFloatEquivalentsBitForBit() {
        qt().withExamples(20).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int heads = 1 + (int) g.nextLong(2);
            int e = heads * (1 + (int) g.nextLong(4));
            int l = 1 + (int) g.nextLong(6);
            int n = 1 + (int) g.nextLong(3);
            DType d = g.nextLong(2) == 0 ? DType.FLOAT32 : DType.FLOAT64;
            MultiheadAttention mha = new MultiheadAttention(e, heads, 0.0, true, null, null, true, g);
            mha.to(d).eval();
            Tensor x = Tensor.randn(g, n, l, e).to(d);
            boolean[] am = Tensor.rand(g, l, l).lt(0.3).toBooleanArray();
            boolean[] kp = Tensor.rand(g, n, l).lt(0.3).toBooleanArray();
            for (int i = 0; i < am.length; i += l) {
                am[i] = false; // key 0 is never masked: no row is fully masked
            }
            for (int i = 0; i < kp.length; i += l) {
                kp[i] = false;
            }
            Tensor bam = Tensor.of(am, l, l);
            Tensor bkp = Tensor.of(kp, n, l);
            Tensor fam = Tensor.zeros(d, l, l).maskedFill(bam, Double.NEGATIVE_INFINITY);
            Tensor fkp = Tensor.zeros(d, n, l).maskedFill(bkp, Double.NEGATIVE_INFINITY);
            String at = d + " n " + n + " l " + l + " e " + e + " seed " + seed;
            for (boolean need : new boolean[] {false, true}) {
                MultiheadAttention.Output ob = mha.forward(x, x, x, bkp, need, bam, true);
                MultiheadAttention.Output of = mha.forward(x, x, x, fkp, need, fam, true);
                assertArrayEquals(of.output().toDoubleArray(), ob.output().toDoubleArray(), "need " + need + " " + at);
                if (need) {
                    assertArrayEquals(of.weights().toDoubleArray(), ob.weights().toDoubleArray(), at);
                }
            }
        });
    }

    @Test
    void readsTorchsBoolSafetensorsAndWritesTheSameBytes() {
        byte[] file = Fixtures.bytes("bool_masks.safetensors");
        SafeTensors.Loaded l = SafeTensors.fromBytes(file);
        Map<String, Object> c = Fixtures.cases(ROOT).stream().filter(x -> "safetensors".equals(x.get("kind")))
                .findFirst().orElseThrow();
        List<Object> order = Fixtures.list(c, "order");
        assertEquals(order, new ArrayList<Object>(l.tensors().keySet()));
        Map<String, Object> want = Fixtures.map(c, "tensors");
        for (String k : l.tensors().keySet()) {
            Tensor t = l.tensors().get(k);
            Fixtures.FixtureTensor e = Fixtures.tensor(want, k);
            assertEquals("bool", e.dtype(), k);
            assertEquals(DType.BOOL, t.dtype(), k);
            assertArrayEquals(e.shape(), t.shape(), k);
            assertArrayEquals(e.longs(), t.toLongArray(), k);
        }
        assertArrayEquals(file, SafeTensors.toBytes(l.tensors(), l.metadata()), "the same bytes as torch's");
    }

    @Test
    void randomBoolTensorsRoundTrip() {
        qt().withExamples(30).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            Map<String, Tensor> m = new LinkedHashMap<>();
            int count = 1 + (int) g.nextLong(4);
            for (int i = 0; i < count; i++) {
                int rank = (int) g.nextLong(4);
                int[] shape = new int[rank];
                for (int j = 0; j < rank; j++) {
                    shape[j] = (int) g.nextLong(5);
                }
                Tensor t = Tensor.rand(g, shape).lt(0.5);
                // a transposed view is written in row-major order of its logical shape
                m.put("m" + i, rank >= 2 ? t.transpose(0, 1) : t);
                m.put("f" + i, Tensor.rand(g, shape));
            }
            byte[] bytes = SafeTensors.toBytes(m, null);
            SafeTensors.Loaded l = SafeTensors.fromBytes(bytes);
            for (Map.Entry<String, Tensor> en : m.entrySet()) {
                Tensor b = l.tensors().get(en.getKey());
                String at = en.getKey() + " seed " + seed;
                assertEquals(en.getValue().dtype(), b.dtype(), at);
                assertArrayEquals(en.getValue().shape(), b.shape(), at);
                assertArrayEquals(en.getValue().toDoubleArray(), b.toDoubleArray(), at);
            }
            assertTrue(bytes.length > 8, "seed " + seed);
        });
    }
}
