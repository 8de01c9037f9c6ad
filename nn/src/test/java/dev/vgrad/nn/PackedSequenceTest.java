package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.GradCheck;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.utils.PackedSequence;
import dev.vgrad.nn.utils.Rnn;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The contracts of {@link PackedSequence} and {@link Rnn} beyond the PyTorch fixtures (docs/SEMANTICS.md §22.5):
 * the record's invariants and private copies, the errors PyTorch 1.13 lacks (a length past the input's end),
 * strided inputs, inter-layer dropout on packed input, and second derivatives through pack, LSTM and pad. The
 * few literal expectations (padSequence of an int64 and a float vector, the batch sizes of a strided pack) were
 * checked against PyTorch 1.13.
 */
class PackedSequenceTest {
    private static Tensor longs(long... v) {
        return Tensor.ofLongs(v, v.length);
    }

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void recordChecksItsInvariants() {
        Tensor data = Tensor.zeros(5, 2);
        assertTrue(message(() -> new PackedSequence(data, longs(2, 3))).contains("non-increasing"));
        assertTrue(message(() -> new PackedSequence(data, longs(3, 0, 2))).contains("positive"));
        assertTrue(message(() -> new PackedSequence(data, longs(2, 2))).contains("add up to 4"));
        assertTrue(message(() -> new PackedSequence(data, Tensor.of(3f, 2f))).contains("1-D int64"));
        assertTrue(message(() -> new PackedSequence(null, longs(5))).contains("must not be null"));
        assertTrue(message(() -> new PackedSequence(data, longs(3, 2), longs(0, 0, 1), null))
                .contains("permutation of 0..2"));
        assertTrue(message(() -> new PackedSequence(data, longs(3, 2), longs(2, 0, 1), longs(2, 0, 1)))
                .contains("not the inverse"));
        assertTrue(message(() -> new PackedSequence(data, longs(3, 2), null, longs(0, 1, 2)))
                .contains("without sorted_indices"));
    }

    @Test
    void recordCompletesTheInverseAndKeepsPrivateCopies() {
        Tensor bs = longs(3, 2);
        Tensor sorted = longs(2, 0, 1);
        PackedSequence p = new PackedSequence(Tensor.zeros(5, 2), bs, sorted, null);
        assertArrayEquals(new long[] {1, 2, 0}, p.unsortedIndices().toLongArray());
        bs.set(7, 0);
        sorted.set(1, 0);
        assertArrayEquals(new long[] {3, 2}, p.batchSizes().toLongArray());
        assertArrayEquals(new long[] {2, 0, 1}, p.sortedIndices().toLongArray());
    }

    @Test
    void lengthsPastTheInputAndBadShapesAreRefusedEarly() {
        String m = message(() -> Rnn.packPaddedSequence(Tensor.zeros(3, 2, 1), new long[] {4, 2}, false, true));
        assertTrue(m.startsWith("pack_padded_sequence: a length of 4 exceeds the input's 3 time steps (input [3, 2, 1]"),
                m);
        m = message(() -> Rnn.packPaddedSequence(Tensor.zeros(2, 3, 1), new long[] {4, 2}, true, false));
        assertTrue(m.contains("exceeds the input's 3 time steps") && m.contains("batch_first=True"), m);
        assertTrue(message(() -> Rnn.packPaddedSequence(Tensor.zeros(3), new long[] {3}, false, true))
                .contains("at least 2 dims"));
        assertTrue(message(() -> Rnn.packPaddedSequence(Tensor.zeros(3, 2), Tensor.ofLongs(new long[] {3, 2}, 1, 2),
                false, true)).startsWith("'lengths' argument should be a 1D"));
        PackedSequence p3 = new PackedSequence(Tensor.zeros(3, 1, 1), longs(2, 1));
        assertEquals("input must have 2 dimensions, got 3", message(() -> new LSTM(1, 2).forward(p3)));
        assertTrue(message(() -> Rnn.padSequence(List.of(Tensor.zeros(2, 3), Tensor.zeros(2, 4)), false, 0))
                .contains("output with shape [2, 3] doesn't match the broadcast shape [2, 4]"));
        assertTrue(message(() -> new LSTM(1, 2).forward(Rnn.packPaddedSequence(Tensor.zeros(2, 1, 1),
                new long[] {2}, false, true), Tensor.zeros(1, 1, 2), null)).contains("both"));
    }

    @Test
    void stridedInputsPackAsTheirContiguousCopies() {
        Tensor x = Tensor.randn(new Generator(4), 3, 4, 2).transpose(0, 1); // (4, 3, 2), not contiguous
        long[] lengths = {1, 4, 2};
        PackedSequence a = Rnn.packPaddedSequence(x, lengths, false, false);
        PackedSequence b = Rnn.packPaddedSequence(x.contiguous(), lengths, false, false);
        assertArrayEquals(b.data().toArray(), a.data().toArray());
        assertArrayEquals(new long[] {3, 2, 1, 1}, a.batchSizes().toLongArray());
    }

    @Test
    void padSequenceKeepsTheFirstSequencesDtypeAndAcceptsVectors() {
        Tensor out = Rnn.padSequence(List.of(Tensor.ofLongs(new long[] {1, 2}, 2), Tensor.of(7.9f)), true, -1);
        assertEquals(DType.INT64, out.dtype());
        assertArrayEquals(new long[] {1, 2, 7, -1}, out.toLongArray());
        assertArrayEquals(new int[] {2, 2}, out.shape());
    }

    @Test
    void interLayerDropoutActsOnPackedDataInTrainingOnly() {
        Tensor x = Tensor.randn(new Generator(8), 5, 3, 4);
        PackedSequence p = Rnn.packPaddedSequence(x, new long[] {2, 5, 3}, false, false);
        for (boolean lstm : new boolean[] {true, false}) {
            RNNBase dropped = lstm ? new LSTM(4, 6, 2, true, false, 0.7, true, new Generator(1))
                    : new GRU(4, 6, 2, true, false, 0.7, true, new Generator(1));
            RNNBase plain = lstm ? new LSTM(4, 6, 2, true, false, 0.0, true, new Generator(1))
                    : new GRU(4, 6, 2, true, false, 0.0, true, new Generator(1));
            dropped.eval();
            float[] eval = data(dropped, p);
            assertArrayEquals(data(plain, p), eval, "eval with dropout 0.7 vs 0");
            dropped.train();
            assertFalse(Arrays.equals(eval, data(dropped, p)), "training with dropout 0.7 changed nothing");
        }
    }

    private static float[] data(RNNBase m, PackedSequence p) {
        return m instanceof LSTM l ? l.forward(p).output().data().toArray()
                : ((GRU) m).forward(p).output().data().toArray();
    }

    @Test
    void secondDerivativesThroughPackLstmAndPad() {
        Generator g = new Generator(11);
        LSTM lstm = new LSTM(2, 2, 1, true, true, 0.0, true, g);
        lstm.to(DType.FLOAT64);
        Tensor x = Tensor.randn(g, 3, 3, 2).to(DType.FLOAT64).requiresGrad(true);
        Tensor h0 = Tensor.randn(g, 2, 3, 2).to(DType.FLOAT64).requiresGrad(true);
        Tensor c0 = Tensor.randn(g, 2, 3, 2).to(DType.FLOAT64).requiresGrad(true);
        GradCheck.Result r = GradCheck.gradgradcheck(t -> {
            LSTM.PackedOutput o = lstm.forward(Rnn.packPaddedSequence(t[0], new long[] {2, 3, 1}, true, false),
                    t[1], t[2]);
            Tensor y = Rnn.padPackedSequence(o.output(), true).output();
            return y.mul(y).sum().add(o.hN().mul(o.cN()).sum());
        }, x, h0, c0);
        assertTrue(r.passed(), r.report());
    }
}
