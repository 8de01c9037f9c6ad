package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.Autograd;
import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.GradCheck;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.utils.PackedSequence;
import dev.vgrad.nn.utils.Rnn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Laws of packed sequences (docs/SEMANTICS.md §22.5) over random lengths, batch, hidden sizes and options; every
 * failure reports its seed: (a) the values at padded positions never influence any output, final state or
 * gradient (NaN there leaves every result bit-identical); (b) a sequence's packed output and final states equal
 * running the layer on that sequence alone, unpadded, as a batch of 1; (c) padding a packed batch restores the
 * input at real positions and the padding value elsewhere; (d) float64 gradcheck through pack, LSTM/GRU and pad,
 * for the input, the initial states and every parameter.
 */
class PackedRnnPropertyTest {
    private static final int EXAMPLES = 25;

    private record Cfg(boolean lstm, int t, int b, int in, int h, int layers, boolean bidi, boolean bf,
                       boolean sorted, boolean withH0, long[] lengths, long seed) {
        RNNBase make() {
            Generator g = new Generator(seed);
            return lstm ? new LSTM(in, h, layers, true, bf, 0.0, bidi, g) : new GRU(in, h, layers, true, bf, 0.0, bidi, g);
        }

        int[] shape() {
            return bf ? new int[] {b, t, in} : new int[] {t, b, in};
        }

        boolean padded(int step, int seq) {
            return step >= lengths[seq];
        }

        @Override
        public String toString() {
            return (lstm ? "LSTM" : "GRU") + " T=" + t + " B=" + b + " in=" + in + " H=" + h + " layers=" + layers
                    + " bidi=" + bidi + " bf=" + bf + " sorted=" + sorted + " h0=" + withH0 + " lengths="
                    + Arrays.toString(lengths) + " seed=" + seed;
        }
    }

    private static Cfg cfg(long seed, int maxT, int maxB, int maxH) {
        Generator g = new Generator(seed);
        int t = 1 + (int) g.nextLong(maxT);
        int b = 1 + (int) g.nextLong(maxB);
        boolean sorted = g.nextBernoulli(0.3);
        long[] lengths = new long[b];
        for (int j = 0; j < b; j++) {
            lengths[j] = 1 + g.nextLong(t);
        }
        lengths[(int) g.nextLong(b)] = t; // the padded input is as long as its longest sequence, as PyTorch's
        if (sorted) {
            Arrays.sort(lengths);
            for (int j = 0; j < b / 2; j++) {
                long v = lengths[j];
                lengths[j] = lengths[b - 1 - j];
                lengths[b - 1 - j] = v;
            }
        }
        return new Cfg(g.nextBernoulli(0.5), t, b, 1 + (int) g.nextLong(4), 1 + (int) g.nextLong(maxH),
                1 + (int) g.nextLong(2), g.nextBernoulli(0.5), g.nextBernoulli(0.5), sorted, g.nextBernoulli(0.5),
                lengths, seed);
    }

    /** x with every padded position set to {@code value}. */
    private static Tensor withPadding(Cfg c, Tensor x, double value) {
        double[] v = x.toDoubleArray();
        for (int s = 0; s < c.t(); s++) {
            for (int j = 0; j < c.b(); j++) {
                if (c.padded(s, j)) {
                    int base = (c.bf() ? j * c.t() + s : s * c.b() + j) * c.in();
                    Arrays.fill(v, base, base + c.in(), value);
                }
            }
        }
        return Tensor.of(v, x.shape()).to(x.dtype());
    }

    /** {packed data, padded output, h_n[, c_n]}. */
    private static Tensor[] run(RNNBase m, Cfg c, Tensor x, Tensor h0, Tensor c0) {
        PackedSequence p = Rnn.packPaddedSequence(x, c.lengths(), c.bf(), c.sorted());
        if (m instanceof LSTM l) {
            LSTM.PackedOutput o = l.forward(p, h0, c0);
            return new Tensor[] {o.output().data(), Rnn.padPackedSequence(o.output(), c.bf()).output(), o.hN(),
                o.cN()};
        }
        GRU.PackedOutput o = ((GRU) m).forward(p, h0);
        return new Tensor[] {o.output().data(), Rnn.padPackedSequence(o.output(), c.bf()).output(), o.hN()};
    }

    private static Tensor[] states(RNNBase m, Cfg c, Generator g) {
        if (!c.withH0()) {
            return new Tensor[] {null, null};
        }
        int ld = c.layers() * (c.bidi() ? 2 : 1);
        return new Tensor[] {Tensor.randn(g, ld, c.b(), c.h()).requiresGrad(true),
            c.lstm() ? Tensor.randn(g, ld, c.b(), c.h()).requiresGrad(true) : null};
    }

    @Test
    void paddedValuesNeverMatter() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Cfg c = cfg(seed, 6, 5, 8);
            RNNBase m = c.make();
            Generator g = new Generator(seed + 1);
            Tensor base = Tensor.randn(g, c.shape());
            Tensor[] st = states(m, c, g);
            Tensor[][] results = new Tensor[2][];
            Tensor[][] grads = new Tensor[2][];
            for (int k = 0; k < 2; k++) {
                Tensor x = (k == 0 ? base : withPadding(c, base, Double.NaN)).requiresGrad(true);
                Tensor[] r = run(m, c, x, st[0], st[1]);
                Generator gw = new Generator(seed + 2);
                Tensor loss = null;
                for (Tensor t : r) {
                    Tensor term = t.mul(Tensor.randn(gw, t.shape())).sum();
                    loss = loss == null ? term : loss.add(term);
                }
                List<Tensor> wrt = new ArrayList<>(List.of(x));
                for (Tensor s : st) {
                    if (s != null) {
                        wrt.add(s);
                    }
                }
                wrt.addAll(m.parameters());
                results[k] = r;
                grads[k] = Autograd.grad(loss, wrt.toArray(new Tensor[0]), null, false);
            }
            for (int i = 0; i < results[0].length; i++) {
                assertArrayEquals(results[0][i].toArray(), results[1][i].toArray(), c + ": result " + i);
            }
            for (int i = 0; i < grads[0].length; i++) {
                assertArrayEquals(grads[0][i].toArray(), grads[1][i].toArray(), c + ": gradient " + i);
            }
            // and the padded positions' own gradient is zero
            assertArrayEquals(withPadding(c, grads[0][0], 0.0).toArray(), grads[0][0].toArray(), c + ": grad at pad");
        });
    }

    @Test
    void eachSequenceEqualsRunningItAlone() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Cfg c = cfg(seed, 6, 5, 12);
            RNNBase m = c.make();
            Generator g = new Generator(seed + 1);
            Tensor x = Tensor.randn(g, c.shape());
            Tensor[] st = states(m, c, g);
            Tensor[] r = run(m, c, x, st[0], st[1]);
            int bd = c.bf() ? 0 : 1;
            for (int j = 0; j < c.b(); j++) {
                int len = (int) c.lengths()[j];
                Tensor xj = x.narrow(bd, j, 1).narrow(1 - bd, 0, len).contiguous();
                Tensor h0 = st[0] == null ? null : st[0].narrow(1, j, 1).contiguous();
                Tensor c0 = st[1] == null ? null : st[1].narrow(1, j, 1).contiguous();
                Tensor[] alone;
                if (m instanceof LSTM l) {
                    LSTM.Output o = l.forward(xj, h0, c0);
                    alone = new Tensor[] {o.output(), o.hN(), o.cN()};
                } else {
                    GRU.Output o = ((GRU) m).forward(xj, h0);
                    alone = new Tensor[] {o.output(), o.hN()};
                }
                String at = c + " sequence " + j;
                close(alone[0], r[1].narrow(bd, j, 1).narrow(1 - bd, 0, len), at + " output");
                for (int i = 1; i < alone.length; i++) {
                    close(alone[i], r[i + 1].narrow(1, j, 1), at + " state " + i);
                }
            }
        });
    }

    private static void close(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        float[] e = expected.toArray();
        float[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertTrue(Math.abs(e[i] - a[i]) <= 1e-5f + 1e-5f * Math.abs(e[i]),
                    what + " at " + i + ": " + e[i] + " vs " + a[i]);
        }
    }

    @Test
    void padOfPackRestoresTheInput() {
        qt().withExamples(50).forAll(longs().all()).checkAssert(seed -> {
            Cfg c = cfg(seed, 7, 6, 1);
            Generator g = new Generator(seed + 1);
            double pv = g.nextBernoulli(0.5) ? 0.0 : -2.5;
            Tensor x = Tensor.randn(g, c.shape()).to(DType.FLOAT64);
            PackedSequence p = Rnn.packPaddedSequence(x, Tensor.ofLongs(c.lengths(), c.b()), c.bf(), c.sorted());
            int extra = (int) g.nextLong(3);
            Rnn.Padded back = Rnn.padPackedSequence(p, c.bf(), pv, c.t() + extra);
            Tensor want = withPadding(c, x, pv);
            if (extra > 0) {
                int[] padShape = c.bf() ? new int[] {c.b(), extra, c.in()} : new int[] {extra, c.b(), c.in()};
                want = Tensor.cat(List.of(want, Tensor.full(DType.FLOAT64, pv, padShape)), c.bf() ? 1 : 0);
            }
            assertArrayEquals(want.shape(), back.output().shape(), c + " shape");
            assertArrayEquals(want.toDoubleArray(), back.output().toDoubleArray(), c + " values");
            assertArrayEquals(c.lengths(), back.lengths().toLongArray(), c + " lengths");
            assertEquals(Arrays.stream(c.lengths()).sum(), p.data().size(0), c + " packed rows");
        });
    }

    @Test
    void gradcheckThroughPackRecurrentLayerAndPad() {
        qt().withExamples(6).forAll(longs().all()).checkAssert(seed -> {
            Cfg c = cfg(seed, 4, 3, 3);
            RNNBase m = c.make();
            m.to(DType.FLOAT64);
            Generator g = new Generator(seed + 1);
            List<String> names = List.copyOf(m.stateDict().keySet());
            List<Tensor> in = new ArrayList<>();
            in.add(Tensor.randn(g, c.shape()).to(DType.FLOAT64).requiresGrad(true));
            Tensor[] st = states(m, c, g);
            int nStates = 0;
            for (Tensor s : st) {
                if (s != null) {
                    in.add(s.detach().to(DType.FLOAT64).requiresGrad(true));
                    nStates++;
                }
            }
            for (String n : names) {
                in.add(m.param(n).detach().requiresGrad(true));
            }
            int first = 1 + nStates;
            int ns = nStates;
            GradCheck.Result r = GradCheck.check(t -> {
                for (int i = 0; i < names.size(); i++) {
                    m.registerParameter(names.get(i), t[first + i]);
                }
                Tensor[] out = run(m, c, t[0], ns > 0 ? t[1] : null, ns > 1 ? t[2] : null);
                Tensor sum = out[1].sum().mul(Tensor.scalar(DType.FLOAT64, 0.5));
                for (int i = 2; i < out.length; i++) {
                    sum = sum.add(out[i].mul(out[i]).sum());
                }
                return sum.add(out[1].mul(out[1]).sum());
            }, in.toArray(new Tensor[0]));
            assertTrue(r.passed(), c + ": " + r.report());
        });
    }
}
