package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Laws of the recurrent layers (docs/SEMANTICS.md §22) over random sizes, options and values (float32, the
 * SIMD kernels when enabled); every failure reports its seed:
 * eval-mode determinism; batch independence (a sample's output and final states are bit-identical whatever the rest
 * of the batch, and alone); inter-layer dropout is off in eval (bit-identical to the same weights with p = 0) and
 * on in training; the fused layers agree with the cells stepped one by one; batch_first is the transpose of
 * sequence-first; the same laws for an LSTM with proj_size.
 */
class RnnPropertyTest {
    private static final int EXAMPLES = 25;

    private record Cfg(boolean lstm, int t, int b, int in, int h, int layers, boolean bidi, boolean bf, long seed,
                       int proj) {
        Cfg(boolean lstm, int t, int b, int in, int h, int layers, boolean bidi, boolean bf, long seed) {
            this(lstm, t, b, in, h, layers, bidi, bf, seed, 0);
        }

        RNNBase make(double dropout) {
            Generator g = new Generator(seed);
            return lstm ? new LSTM(in, h, layers, true, bf, dropout, bidi, proj, g)
                    : new GRU(in, h, layers, true, bf, dropout, bidi, g);
        }

        int[] inputShape(int batch) {
            return bf ? new int[] {batch, t, in} : new int[] {t, batch, in};
        }
    }

    private static Cfg cfg(long seed) {
        Generator g = new Generator(seed);
        return new Cfg(g.nextBernoulli(0.5), 1 + (int) g.nextLong(6), 2 + (int) g.nextLong(4),
                1 + (int) g.nextLong(6), 1 + (int) g.nextLong(19), 1 + (int) g.nextLong(2), g.nextBernoulli(0.5),
                g.nextBernoulli(0.5), seed);
    }

    /** An LSTM with a projection: proj_size in [1, H), H at least 2. */
    private static Cfg projCfg(long seed) {
        Cfg c = cfg(seed);
        Generator g = new Generator(~seed);
        int h = Math.max(2, c.h());
        return new Cfg(true, c.t(), c.b(), c.in(), h, c.layers(), c.bidi(), c.bf(), seed, 1 + (int) g.nextLong(h - 1));
    }

    /** {output, h_n[, c_n]} of a forward pass. */
    private static Tensor[] run(RNNBase m, Tensor x) {
        if (m instanceof LSTM l) {
            LSTM.Output o = l.forward(x, null, null);
            return new Tensor[] {o.output(), o.hN(), o.cN()};
        }
        GRU.Output o = ((GRU) m).forward(x, null);
        return new Tensor[] {o.output(), o.hN()};
    }

    private static void same(Tensor[] a, Tensor[] b, String at) {
        for (int i = 0; i < a.length; i++) {
            assertArrayEquals(a[i].toArray(), b[i].toArray(), at + " output " + i);
        }
    }

    @Test
    void evalIsDeterministicAndDropoutIsOffInEval() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Cfg c = cfg(seed);
            RNNBase plain = c.make(0.0);
            RNNBase dropped = c.make(0.7);
            dropped.eval();
            plain.eval();
            Tensor x = Tensor.randn(new Generator(seed + 1), c.inputShape(c.b()));
            Tensor[] a = run(dropped, x);
            same(a, run(dropped, x), c + " repeat");
            same(run(plain, x), a, c + " dropout in eval");
            if (c.layers() > 1) {
                dropped.train();
                Tensor[] tr = run(dropped, x);
                assertFalse(java.util.Arrays.equals(tr[0].toArray(), a[0].toArray()),
                        c + ": dropout 0.7 between layers changed nothing in training");
            }
        });
    }

    @Test
    void samplesAreBatchIndependent() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Cfg c = cfg(seed);
            RNNBase m = c.make(0.0);
            m.eval();
            int bd = c.bf() ? 0 : 1;
            Tensor x = Tensor.randn(new Generator(seed + 1), c.inputShape(c.b()));
            Tensor other = Tensor.randn(new Generator(seed + 2), c.inputShape(c.b()));
            int k = (int) Math.floorMod(seed, (long) c.b());
            // the same sample k among different neighbours
            Tensor mixed = Tensor.cat(List.of(other.narrow(bd, 0, k), x.narrow(bd, k, 1),
                    other.narrow(bd, k + 1, c.b() - k - 1)), bd);
            Tensor[] full;
            Tensor[] mix;
            Tensor[] alone;
            try (Grad.Scope off = Grad.disabled()) {
                full = run(m, x);
                mix = run(m, mixed);
                alone = run(m, x.narrow(bd, k, 1).contiguous());
            }
            for (int i = 0; i < full.length; i++) {
                int d = i == 0 ? bd : 1;
                float[] want = full[i].narrow(d, k, 1).contiguous().toArray();
                assertArrayEquals(want, mix[i].narrow(d, k, 1).contiguous().toArray(), c + " mixed, output " + i);
                assertArrayEquals(want, alone[i].toArray(), c + " alone, output " + i);
            }
        });
    }

    /** One-layer, one-direction layers equal their cell stepped over the sequence (shared weights by name). */
    @Test
    void layerMatchesCellSteppedOverTime() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Cfg c = cfg(seed);
            Generator g = new Generator(seed);
            RNNBase layer = c.lstm() ? new LSTM(c.in(), c.h(), 1, true, false, 0.0, false, g)
                    : new GRU(c.in(), c.h(), 1, true, false, 0.0, false, g);
            RNNCellBase cell = c.lstm() ? new LSTMCell(c.in(), c.h()) : new GRUCell(c.in(), c.h());
            java.util.Map<String, Tensor> sd = new java.util.HashMap<>();
            for (var e : layer.stateDict().entrySet()) {
                sd.put(e.getKey().replace("_l0", ""), e.getValue());
            }
            cell.loadStateDict(sd, true);
            Tensor x = Tensor.randn(new Generator(seed + 3), c.t(), c.b(), c.in());
            Tensor[] y = run(layer, x);
            Tensor h = null;
            Tensor cc = null;
            List<Tensor> hs = new ArrayList<>();
            for (int s = 0; s < c.t(); s++) {
                if (cell instanceof LSTMCell lc) {
                    LSTMCell.State st = lc.forward(x.select(0, s), h, cc);
                    h = st.h();
                    cc = st.c();
                } else {
                    h = ((GRUCell) cell).forward(x.select(0, s), h);
                }
                hs.add(h);
            }
            float[] want = Tensor.stack(hs, 0).toArray();
            float[] got = y[0].toArray();
            for (int i = 0; i < want.length; i++) {
                assertTrue(Math.abs(want[i] - got[i]) <= 1e-6 + 1e-5 * Math.abs(want[i]),
                        c + " [" + i + "] cell " + want[i] + " layer " + got[i]);
            }
        });
    }

    /** batch_first only changes the layout: the output is the transpose, the final states are equal. */
    @Test
    void batchFirstIsTheTranspose() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Cfg c = cfg(seed);
            Cfg seqFirst = new Cfg(c.lstm(), c.t(), c.b(), c.in(), c.h(), c.layers(), c.bidi(), false, seed);
            Cfg batchFirst = new Cfg(c.lstm(), c.t(), c.b(), c.in(), c.h(), c.layers(), c.bidi(), true, seed);
            Tensor x = Tensor.randn(new Generator(seed + 4), seqFirst.inputShape(c.b()));
            Tensor[] a = run(seqFirst.make(0.0), x);
            Tensor[] b = run(batchFirst.make(0.0), x.transpose(0, 1).contiguous());
            assertArrayEquals(a[0].toArray(), b[0].transpose(0, 1).contiguous().toArray(), c + " output");
            for (int i = 1; i < a.length; i++) {
                assertArrayEquals(a[i].toArray(), b[i].toArray(), c + " state " + i);
            }
        });
    }

    /**
     * The laws above for an LSTM with proj_size (the recorded, op-by-op path): eval determinism, dropout off in
     * eval, batch independence (mixed and alone, bit for bit), batch_first the transpose.
     */
    @Test
    void projectedLstmKeepsTheLaws() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Cfg c = projCfg(seed);
            RNNBase plain = c.make(0.0);
            RNNBase dropped = c.make(0.7);
            plain.eval();
            dropped.eval();
            int bd = c.bf() ? 0 : 1;
            Tensor x = Tensor.randn(new Generator(seed + 1), c.inputShape(c.b()));
            Tensor other = Tensor.randn(new Generator(seed + 2), c.inputShape(c.b()));
            int k = (int) Math.floorMod(seed, (long) c.b());
            Tensor mixed = Tensor.cat(List.of(other.narrow(bd, 0, k), x.narrow(bd, k, 1),
                    other.narrow(bd, k + 1, c.b() - k - 1)), bd);
            Tensor[] full;
            Tensor[] mix;
            Tensor[] alone;
            try (Grad.Scope off = Grad.disabled()) {
                full = run(dropped, x);
                same(full, run(dropped, x), c + " repeat");
                same(run(plain, x), full, c + " dropout in eval");
                mix = run(plain, mixed);
                alone = run(plain, x.narrow(bd, k, 1).contiguous());
            }
            assertTrue(full[0].size(2) == c.proj() * (c.bidi() ? 2 : 1) && full[1].size(2) == c.proj()
                    && full[2].size(2) == c.h(), c + " widths");
            for (int i = 0; i < full.length; i++) {
                int d = i == 0 ? bd : 1;
                float[] want = full[i].narrow(d, k, 1).contiguous().toArray();
                assertArrayEquals(want, mix[i].narrow(d, k, 1).contiguous().toArray(), c + " mixed, output " + i);
                assertArrayEquals(want, alone[i].toArray(), c + " alone, output " + i);
            }
            Cfg seqFirst = new Cfg(true, c.t(), c.b(), c.in(), c.h(), c.layers(), c.bidi(), false, seed, c.proj());
            Cfg batchFirst = new Cfg(true, c.t(), c.b(), c.in(), c.h(), c.layers(), c.bidi(), true, seed, c.proj());
            Tensor xs = Tensor.randn(new Generator(seed + 4), seqFirst.inputShape(c.b()));
            Tensor[] a = run(seqFirst.make(0.0), xs);
            Tensor[] b = run(batchFirst.make(0.0), xs.transpose(0, 1).contiguous());
            assertArrayEquals(a[0].toArray(), b[0].transpose(0, 1).contiguous().toArray(), c + " batch_first output");
            for (int i = 1; i < a.length; i++) {
                assertArrayEquals(a[i].toArray(), b[i].toArray(), c + " batch_first state " + i);
            }
        });
    }
}
