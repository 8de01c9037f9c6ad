package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.testing.ModuleChecks;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.QuickTheory;

/**
 * QuickTheories properties over random architectures built from Linear/Conv2d/BatchNorm/Dropout/DropPath.
 * Each example is one architecture seed (QuickTheories reports the falsifying seed); the QuickTheories seed
 * itself is printed and can be fixed with {@code -Dvgrad.qt.seed=...}.
 */
class PropertiesTest {
    static final long SEED = Long.getLong("vgrad.qt.seed", System.nanoTime());
    static final int EXAMPLES = Integer.getInteger("vgrad.qt.examples", 25);

    @BeforeAll
    static void announce() {
        System.out.println("PropertiesTest: QuickTheories seed = " + SEED + " (rerun with -Dvgrad.qt.seed=" + SEED + ")");
    }

    static QuickTheory theory() {
        return qt().withFixedSeed(SEED).withExamples(EXAMPLES);
    }

    /** A random model and a matching input factory, both determined by {@code seed}. */
    record Arch(Module model, int[] inputShape, String description) {
        Tensor input(Generator g, int batch) {
            int[] s = inputShape.clone();
            s[0] = batch;
            return Tensor.randn(g, s).mul(1.5).add(0.25);
        }
    }

    static Arch randomArch(long seed) {
        Generator g = new Generator(seed);
        boolean conv = g.nextDouble() < 0.5;
        Sequential s = new Sequential();
        StringBuilder d = new StringBuilder();
        int[] shape;
        int width;
        if (conv) {
            int c = 1 + (int) g.nextLong(3);
            int hw = 4 + (int) g.nextLong(3);
            shape = new int[] {1, c, hw, hw};
            int blocks = 1 + (int) g.nextLong(2);
            for (int b = 0; b < blocks; b++) {
                int c2 = 2 + (int) g.nextLong(3);
                s.append(new Conv2d(c, c2, 3, 1, 1, g.nextDouble() < 0.5, g));
                if (g.nextDouble() < 0.7) {
                    s.append(new BatchNorm2d(c2));
                }
                s.append(new ReLU());
                if (g.nextDouble() < 0.5) {
                    s.append(new Dropout2d(0.2 + 0.5 * g.nextDouble(), new Generator(g.nextLong())));
                }
                if (g.nextDouble() < 0.5) {
                    s.append(new DropPath(0.1 + 0.5 * g.nextDouble(), true, new Generator(g.nextLong())));
                }
                c = c2;
            }
            s.append(new Flatten());
            width = c * hw * hw;
        } else {
            width = 2 + (int) g.nextLong(6);
            shape = new int[] {1, width};
        }
        int layers = 1 + (int) g.nextLong(3);
        for (int i = 0; i < layers; i++) {
            int w2 = 2 + (int) g.nextLong(6);
            s.append(new Linear(width, w2, g.nextDouble() < 0.8, g));
            if (g.nextDouble() < 0.6) {
                s.append(new BatchNorm1d(w2, 1e-5, g.nextDouble() < 0.2 ? null : 0.1, g.nextDouble() < 0.8, true));
            }
            s.append(g.nextDouble() < 0.5 ? new ReLU() : new Tanh());
            if (g.nextDouble() < 0.6) {
                s.append(new Dropout(0.1 + 0.6 * g.nextDouble(), new Generator(g.nextLong())));
            }
            if (g.nextDouble() < 0.4) {
                s.append(new DropPath(0.1 + 0.5 * g.nextDouble(), g.nextDouble() < 0.7, new Generator(g.nextLong())));
            }
            width = w2;
        }
        s.append(new Linear(width, 3, true, g));
        d.append(s);
        Arch a = new Arch(s, shape, d.toString());
        // a few training steps so running statistics are not at their defaults
        for (int i = 0; i < 2; i++) {
            a.model.forward(a.input(g, 6));
        }
        return a;
    }

    private static List<double[]> snapshot(Module m) {
        List<double[]> out = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : m.stateDict().entrySet()) {
            out.add(e.getValue().toDoubleArray());
        }
        return out;
    }

    private static void assertSameState(List<double[]> a, List<double[]> b, String what) {
        assertEquals(a.size(), b.size(), what);
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i), b.get(i), what);
        }
    }

    @Test
    void fusedLinearIsBitIdenticalToMatmulPlusBias() {
        // F.linear on a 2-D input with a bias is one AddmmBackward0 node; its output and all three gradients must
        // equal x.matmul(W.t()).add(b) bit for bit, whichever inputs require grad
        theory().forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int m = 1 + (int) g.nextLong(140);
            int k = 1 + (int) g.nextLong(300);
            int n = 1 + (int) g.nextLong(140);
            int grads = (int) g.nextLong(8);
            Tensor x = Tensor.randn(g, m, k);
            Tensor w = Tensor.randn(g, n, k);
            Tensor b = Tensor.randn(g, n);
            Tensor up = Tensor.randn(g, m, n);
            String at = "seed " + seed + " (m=" + m + ", k=" + k + ", n=" + n + ", grads " + grads + ")";
            Tensor[] fused = leaves(grads, x, w, b);
            Tensor[] plain = leaves(grads, x, w, b);
            Tensor yf = F.linear(fused[0], fused[1], fused[2]);
            Tensor yp = plain[0].matmul(plain[1].t()).add(plain[2]);
            assertArrayEquals(yp.toArray(), yf.toArray(), at);
            assertEquals(yp.version(), yf.version(), at + ": version counter of a fresh output");
            if (grads == 0) {
                assertNull(yf.gradFn(), at);
                return;
            }
            assertEquals("AddmmBackward0", yf.gradFn().name(), at);
            yf.backward(up);
            yp.backward(up);
            for (int i = 0; i < 3; i++) {
                if ((grads & (1 << i)) == 0) {
                    assertNull(fused[i].grad(), at);
                } else {
                    assertArrayEquals(plain[i].grad().toArray(), fused[i].grad().toArray(), at + " input " + i);
                }
            }
        });
    }

    @Test
    void batchNormBackwardOverwritesOnlyPrivateGradients() {
        // batch norm's input gradient is written over the incoming gradient when nothing else holds it (here: the
        // fresh output of y.mul(1)); with the caller's root gradient it must allocate. Both give the same bits,
        // the caller's gradient and a retained .grad stay untouched
        theory().forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int n = 2 + (int) g.nextLong(5);
            int c = 1 + (int) g.nextLong(4);
            int hw = 1 + (int) g.nextLong(6);
            Tensor x0 = Tensor.randn(g, n, c, hw, hw);
            Tensor up = Tensor.randn(g, n, c, hw, hw);
            float[] upBefore = up.toArray();
            String at = "seed " + seed + " shape (" + n + ", " + c + ", " + hw + ", " + hw + ")";
            float[][] grads = new float[2][];
            float[][] wgrads = new float[2][];
            for (int mode = 0; mode < 2; mode++) {
                BatchNorm2d bn = new BatchNorm2d(c);
                bn.train();
                Tensor x = x0.cloneTensor().requiresGrad(true);
                Tensor y = bn.call(x);
                if (mode == 0) {
                    y.backward(up);
                } else {
                    y.retainGrad();
                    y.mul(1).backward(up);
                    assertArrayEquals(upBefore, y.grad().toArray(), at + ": retained grad overwritten");
                }
                grads[mode] = x.grad().toArray();
                wgrads[mode] = bn.weight().grad().toArray();
            }
            assertArrayEquals(upBefore, up.toArray(), at + ": root gradient overwritten");
            assertArrayEquals(grads[0], grads[1], at + ": input gradient");
            assertArrayEquals(wgrads[0], wgrads[1], at + ": weight gradient");
        });
    }

    /** Fresh leaf copies of {@code ts}; copy i requires grad when bit i of {@code mask} is set. */
    private static Tensor[] leaves(int mask, Tensor... ts) {
        Tensor[] out = new Tensor[ts.length];
        for (int i = 0; i < ts.length; i++) {
            out[i] = ts[i].cloneTensor().requiresGrad((mask & (1 << i)) != 0);
        }
        return out;
    }

    /** The module laws of {@link ModuleChecks} that hold for every architecture (the gradient check is in GradCheckTest). */
    private static ModuleChecks laws(long seed, int batch) {
        Arch a = randomArch(seed);
        return ModuleChecks.of(() -> randomArch(seed).model, a.input(new Generator(seed + 1), batch));
    }

    @Test
    void evalIsDeterministicAndLeavesRunningStatsAlone() {
        theory().forAll(longs().all()).checkAssert(seed -> laws(seed, 5).evalIsDeterministic());
    }

    @Test
    void evalOutputOfASampleIsIndependentOfTheBatch() {
        theory().forAll(longs().all()).checkAssert(seed -> laws(seed, 7).evalIsBatchIndependent());
    }

    @Test
    void noGradBuildsNoGraphButTrainingStillUpdatesStats() {
        theory().forAll(longs().all()).checkAssert(seed -> {
            laws(seed, 4).noGradBuildsNothing();
            laws(seed, 4).trainAndEvalReachEveryChild();
            // batch norm in train mode still tracks statistics under no-grad (as in PyTorch)
            Arch a = randomArch(seed);
            Tensor x = a.input(new Generator(seed + 3), 4).requiresGrad(true);
            try (Grad.Scope off = Grad.disabled()) {
                a.model.train().forward(x);
            }
            for (Module m : a.model.modules()) {
                if (m instanceof AbstractBatchNorm bn) {
                    assertEquals(3L, bn.numBatchesTracked().toLongArray()[0], "seed " + seed);
                }
            }
        });
    }

    @Test
    void modeSwitchesNeverChangeParametersAndTrainRestoresStochasticity() {
        theory().forAll(longs().all()).checkAssert(seed -> {
            Arch a = randomArch(seed);
            List<double[]> before = snapshot(a.model);
            a.model.eval().train().eval().train(false).train(true);
            assertSameState(before, snapshot(a.model), "seed " + seed);
            Tensor x = a.input(new Generator(seed + 4), 8);
            a.model.eval();
            float[] e1 = a.model.forward(x).toArray();
            float[] e2 = a.model.forward(x).toArray();
            assertArrayEquals(e1, e2);
            // train() restores stochasticity: every dropout / drop-path layer is back in training mode and is no
            // longer the identity. Checked on what each layer actually received (through forward hooks), because a
            // layer may see an all-zero input (after a ReLU), on which no dropout can be observed.
            List<double[][]> seen = new ArrayList<>();
            List<Module> stochasticLayers = new ArrayList<>();
            for (Module m : a.model.modules()) {
                if (m instanceof AbstractDropout || m instanceof DropPath) {
                    stochasticLayers.add(m);
                    m.registerForwardHook((mm, in, out) -> {
                        seen.add(new double[][] {in.toDoubleArray(), out.toDoubleArray()});
                        return null;
                    });
                }
            }
            a.model.train();
            for (Module m : stochasticLayers) {
                assertTrue(m.isTraining(), "train() did not reach " + m + ", seed " + seed);
            }
            a.model.forward(x);
            assertEquals(stochasticLayers.size(), seen.size());
            for (int k = 0; k < seen.size(); k++) {
                Module m = stochasticLayers.get(k);
                double[] in = seen.get(k)[0];
                double[] out = seen.get(k)[1];
                double p = m instanceof AbstractDropout d ? d.p() : ((DropPath) m).dropProb();
                double scale = m instanceof DropPath dp && !dp.scaleByKeep() ? 1 : 1 / (1 - p);
                boolean nonzero = false;
                boolean changed = false;
                for (int i = 0; i < in.length; i++) {
                    nonzero |= in[i] != 0;
                    changed |= out[i] != in[i];
                    double kept = in[i] * scale;
                    assertTrue(out[i] == 0 || Math.abs(out[i] - kept) <= 1e-5 * Math.max(1, Math.abs(kept)),
                            "train-mode " + m + " gave " + out[i] + " for " + in[i] + ", seed " + seed);
                }
                if (nonzero && scale != 1) {
                    assertTrue(changed, "train() after eval() must restore " + m + ", seed " + seed + ": "
                            + a.description);
                }
            }
            // and eval() makes them the identity again
            seen.clear();
            a.model.eval();
            a.model.forward(x);
            for (double[][] io : seen) {
                assertArrayEquals(io[0], io[1], "eval-mode dropout must be the identity, seed " + seed);
            }
        });
    }

    @Test
    void dropoutZeroesAboutPAndKeepsTheMean() {
        theory().withExamples(15).forAll(doubles().between(0.05, 0.9), longs().all()).checkAssert((p, seed) -> {
            int n = 20000;
            Tensor x = Tensor.ones(n);
            Dropout d = new Dropout(p, new Generator(seed));
            double[] y = d.forward(x).toDoubleArray();
            int zeros = 0;
            double sum = 0;
            for (double v : y) {
                if (v == 0) {
                    zeros++;
                } else {
                    assertEquals(1 / (1 - p), v, 1e-6);
                }
                sum += v;
            }
            double sd = Math.sqrt(n * p * (1 - p));
            assertTrue(Math.abs(zeros - n * p) < 6 * sd, "zeros " + zeros + " for p=" + p + " seed " + seed);
            double meanSd = Math.sqrt(p / (1 - p) / n);
            assertTrue(Math.abs(sum / n - 1) < 6 * meanSd, "mean " + sum / n + " for p=" + p + " seed " + seed);
        });
    }

    @Test
    void dropPathZeroesWholeSamples() {
        theory().withExamples(15).forAll(doubles().between(0.05, 0.9), longs().all()).checkAssert((p, seed) -> {
            int n = 4000;
            DropPath d = new DropPath(p, true, new Generator(seed));
            Tensor y = d.forward(Tensor.ones(n, 3, 2));
            double[] v = y.toDoubleArray();
            int dropped = 0;
            for (int i = 0; i < n; i++) {
                double first = v[i * 6];
                for (int j = 1; j < 6; j++) {
                    assertEquals(first, v[i * 6 + j], "sample " + i + " is not all-or-nothing, seed " + seed);
                }
                if (first == 0) {
                    dropped++;
                } else {
                    assertEquals(1 / (1 - p), first, 1e-6);
                }
            }
            double sd = Math.sqrt(n * p * (1 - p));
            assertTrue(Math.abs(dropped - n * p) < 6 * sd, "dropped " + dropped + " for p=" + p + " seed " + seed);
        });
    }

    @Test
    void batchNormTrainOutputsAreStandardisedPerChannel() {
        theory().withExamples(20).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int c = 1 + (int) g.nextLong(4);
            boolean twoD = g.nextDouble() < 0.5;
            Tensor x = twoD ? Tensor.randn(g, 3 + (int) g.nextLong(4), c, 3, 2) : Tensor.randn(g, 4 + (int) g.nextLong(8), c);
            x = x.mul(2 + 3 * g.nextDouble()).add(g.nextDouble() * 4 - 2);
            Module bn = twoD ? new BatchNorm2d(c) : new BatchNorm1d(c);
            Tensor y = bn.forward(x);
            int[] dims = twoD ? new int[] {0, 2, 3} : new int[] {0};
            double[] mean = y.toDouble().mean(dims, false).toDoubleArray();
            double[] var = y.toDouble().var(dims, 0, false).toDoubleArray();
            for (int k = 0; k < c; k++) {
                assertEquals(0.0, mean[k], 1e-5, "seed " + seed);
                assertEquals(1.0, var[k], 2e-3, "seed " + seed);
            }
        });
    }
}
