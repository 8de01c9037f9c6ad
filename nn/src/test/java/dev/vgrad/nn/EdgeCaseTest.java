package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import org.junit.jupiter.api.Test;

/** docs/SEMANTICS.md §9 edge cases #1–#14 and #42–#50 with PyTorch's error texts. */
class EdgeCaseTest {
    private static final String BN_ONE = "Expected more than 1 value per channel when training";

    @Test
    void case01DropoutProbabilityValidation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Dropout(1.1));
        assertEquals("dropout probability has to be between 0 and 1, but got 1.1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Dropout(-0.1));
        assertEquals("dropout probability has to be between 0 and 1, but got -0.1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> F.dropout(Tensor.ones(3), 1.5));
        assertEquals("dropout probability has to be between 0 and 1, but got 1.5", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Dropout2d(2.0));
        assertThrows(IllegalArgumentException.class, () -> new Dropout1d(Double.NaN));
    }

    @Test
    void case02DropoutP1GivesZerosAndNaN() {
        Tensor x = Tensor.of(new float[] {1, 2, Float.NaN, Float.POSITIVE_INFINITY}, 4).requiresGrad(true);
        Tensor y = new Dropout(1.0).forward(x);
        double[] v = y.toDoubleArray();
        assertEquals(0.0, v[0]);
        assertEquals(0.0, v[1]);
        assertTrue(Double.isNaN(v[2]));
        assertTrue(Double.isNaN(v[3]));
        y.sum().backward();
        assertArrayEquals(new double[] {0, 0, 0, 0}, x.grad().toDoubleArray());
    }

    @Test
    void case03IdentityReturnsSameObject() {
        Tensor x = Tensor.randn(new Generator(1), 3, 4).requiresGrad(true);
        Dropout d0 = new Dropout(0.0);
        Tensor y = d0.forward(x);
        assertSame(x, y);
        assertNull(y.gradFn());
        Dropout d = new Dropout(0.7);
        d.eval();
        assertSame(x, d.forward(x));
        Tensor h = x.mul(2.0);
        Tensor y2 = d.forward(h);
        assertSame(h.gradFn(), y2.gradFn());
        y2.sum().backward();
        assertArrayEquals(Tensor.full(2.0, 3, 4).toDoubleArray(), x.grad().toDoubleArray());
        for (AbstractDropout m : new AbstractDropout[] {new Dropout2d(0.5), new Dropout1d(0.5)}) {
            m.eval();
            Tensor z = Tensor.ones(2, 3, 4);
            assertSame(z, m.forward(z));
        }
    }

    @Test
    void case04FunctionalDropoutDefaultsToTraining() {
        Sequential model = new Sequential(new Linear(4, 4));
        model.eval();
        Tensor x = Tensor.ones(100, 10);
        Tensor y = F.dropout(x); // default training=true, p=0.5: still drops inside an eval'd model
        double zeros = x.numel() - y.ne(Tensor.zeros(1)).sum().item();
        assertTrue(zeros > 300 && zeros < 700, "zeros: " + zeros);
        assertSame(x, F.dropout(x, 0.5, false));
    }

    @Test
    void case05BatchStatsNeedMoreThanOneValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BatchNorm1d(3).forward(Tensor.ones(1, 3)));
        assertEquals(BN_ONE + ", got input size torch.Size([1, 3])", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new BatchNorm1d(3).forward(Tensor.ones(1, 3, 1)));
        assertTrue(e.getMessage().startsWith(BN_ONE));
        e = assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(3).forward(Tensor.ones(1, 3, 1, 1)));
        assertTrue(e.getMessage().startsWith(BN_ONE));
        new BatchNorm1d(3).forward(Tensor.ones(1, 3, 2));
        new BatchNorm2d(2).forward(Tensor.ones(1, 2, 2, 2));
    }

    @Test
    void case06EvalWithRunningStatsAcceptsOneSample() {
        BatchNorm1d bn = new BatchNorm1d(3);
        bn.eval();
        Tensor y = bn.forward(Tensor.ones(1, 3));
        for (double v : y.toDoubleArray()) {
            assertEquals(1 / Math.sqrt(1 + 1e-5), v, 1e-6);
        }
    }

    @Test
    void case07EvalWithoutTrackingUsesBatchStats() {
        BatchNorm1d bn = new BatchNorm1d(3, 1e-5, 0.1, true, false);
        bn.eval();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.ones(1, 3)));
        assertTrue(e.getMessage().startsWith(BN_ONE));
    }

    @Test
    void case08RankChecks() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BatchNorm1d(3).forward(Tensor.ones(2, 3, 2, 2)));
        assertEquals("expected 2D or 3D input (got 4D input)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new BatchNorm1d(3).forward(Tensor.ones(3)));
        assertEquals("expected 2D or 3D input (got 1D input)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(3).forward(Tensor.ones(2, 3, 2)));
        assertEquals("expected 4D input (got 3D input)", e.getMessage());
        IllegalStateException s = assertThrows(IllegalStateException.class,
                () -> new BatchNorm1d(3).forward(Tensor.ones(4, 5)));
        assertEquals("running_mean should contain 5 elements not 3", s.getMessage());
    }

    @Test
    void case09TrainingUpdatesWithUnbiasedVariance() {
        BatchNorm1d bn = dbl(new BatchNorm1d(3));
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 6, 8, 0, 1, -1, 3, -2, 5}, 4, 3);
        Tensor y = bn.forward(x);
        double[] xs = x.toDoubleArray();
        for (int c = 0; c < 3; c++) {
            double m = 0;
            for (int n = 0; n < 4; n++) {
                m += xs[n * 3 + c] / 4;
            }
            double ss = 0;
            for (int n = 0; n < 4; n++) {
                ss += (xs[n * 3 + c] - m) * (xs[n * 3 + c] - m);
            }
            assertEquals(0.1 * m, bn.runningMean().get(c), 1e-12);
            assertEquals(0.9 + 0.1 * ss / 3, bn.runningVar().get(c), 1e-12);
            assertEquals((xs[c] - m) / Math.sqrt(ss / 4 + 1e-5), y.get(0, c), 1e-12);
        }
        assertEquals(1L, bn.numBatchesTracked().toLongArray()[0]);
    }

    @Test
    void case10NoGradTrainingStillUpdatesStats() {
        BatchNorm2d bn = new BatchNorm2d(2);
        Tensor y;
        try (Grad.Scope off = Grad.disabled()) {
            y = bn.forward(Tensor.randn(new Generator(4), 3, 2, 2, 2).add(5.0));
        }
        assertNull(y.gradFn());
        assertTrue(bn.runningMean().get(0) > 0.3);
        assertEquals(1L, bn.numBatchesTracked().toLongArray()[0]);
    }

    @Test
    void case11MomentumNoneIsCumulativeAverage() {
        BatchNorm1d bn = dbl(new BatchNorm1d(2, 1e-5, null, true, true));
        Tensor a = Tensor.of(new double[] {1, 2, 3, 5, 2, -1}, 3, 2);
        bn.forward(a);
        assertArrayEquals(a.mean(0).toDoubleArray(), bn.runningMean().toDoubleArray(), 1e-15);
        assertArrayEquals(a.var(new int[] {0}, 1, false).toDoubleArray(), bn.runningVar().toDoubleArray(), 1e-15);
        Tensor b = Tensor.of(new double[] {0, 0, 4, 8}, 2, 2);
        bn.forward(b);
        assertEquals((a.mean(0).get(1) + b.mean(0).get(1)) / 2, bn.runningMean().get(1), 1e-15);
    }

    @Test
    void case12ResetRunningStatsKeepsGamma() {
        BatchNorm1d bn = new BatchNorm1d(3);
        bn.forward(Tensor.randn(new Generator(2), 4, 3));
        Fx.set(bn.weight(), Tensor.full(2.5, 3));
        bn.resetRunningStats();
        assertArrayEquals(new double[] {0, 0, 0}, bn.runningMean().toDoubleArray());
        assertArrayEquals(new double[] {1, 1, 1}, bn.runningVar().toDoubleArray());
        assertEquals(0L, bn.numBatchesTracked().toLongArray()[0]);
        assertArrayEquals(new double[] {2.5, 2.5, 2.5}, bn.weight().toDoubleArray());
        bn.resetParameters();
        assertArrayEquals(new double[] {1, 1, 1}, bn.weight().toDoubleArray());
    }

    private static BatchNorm1d dbl(BatchNorm1d bn) {
        bn.to(DType.FLOAT64);
        return bn;
    }

    // ------------------------------------------------------------------ losses

    @Test
    void case42AllIgnored() {
        Tensor x = Tensor.randn(new Generator(3), 4, 3).requiresGrad(true);
        Tensor t = Tensor.ofLongs(new long[] {-100, -100, -100, -100}, 4);
        assertTrue(Double.isNaN(F.crossEntropy(x, t).item()));
        Tensor s = F.crossEntropy(x, t, null, -100, "sum", 0.0);
        assertEquals(0.0, s.item());
        s.backward();
        assertEquals(0.0, x.grad().abs().sum().item());
    }

    @Test
    void case43TargetOutOfBounds() {
        Tensor x = Tensor.zeros(2, 3);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> F.crossEntropy(x, Tensor.ofLongs(new long[] {0, 3}, 2)));
        assertEquals("Target 3 is out of bounds.", e.getMessage());
        e = assertThrows(IndexOutOfBoundsException.class, () -> F.nllLoss(x, Tensor.ofLongs(new long[] {-1, 0}, 2)));
        assertEquals("Target -1 is out of bounds.", e.getMessage());
        IllegalArgumentException b = assertThrows(IllegalArgumentException.class,
                () -> F.crossEntropy(Tensor.zeros(4, 3), Tensor.ofLongs(new long[] {0, 1, 2}, 3)));
        assertEquals("Expected input batch_size (4) to match target batch_size (3).", b.getMessage());
        IllegalStateException ls = assertThrows(IllegalStateException.class,
                () -> new CrossEntropyLoss().labelSmoothing(1.5));
        assertEquals("label_smoothing must be between 0.0 and 1.0. Got: 1.5", ls.getMessage());
        assertThrows(IllegalStateException.class,
                () -> F.crossEntropy(x, Tensor.zeros(DType.INT64, 2), null, -100, "mean", -0.5));
    }

    @Test
    void case44LabelSmoothingIgnoreDenominator() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 0, 0, 0, -1, 4, 2}, 3, 3);
        Tensor t = Tensor.ofLongs(new long[] {2, -100, 1}, 3);
        double eps = 0.2;
        double mean = F.crossEntropy(x, t, null, -100, "mean", eps).item();
        double sum = F.crossEntropy(x, t, null, -100, "sum", eps).item();
        assertEquals(sum / 2, mean, 1e-12, "mean divides by the number of non-ignored items");
    }

    @Test
    void case45ProbTargetRejectsIgnoreIndex() {
        Tensor x = Tensor.zeros(2, 3);
        Tensor p = Tensor.full(1.0 / 3, 2, 3);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> F.crossEntropy(x, p, null, 1, "mean", 0.0));
        assertEquals("ignore_index is not supported for floating point target", e.getMessage());
    }

    @Test
    void case46BceWithLogitsExtremes() {
        Tensor z = Tensor.of(new double[] {1000, -1000, 1000, -1000}, 4).requiresGrad(true);
        Tensor y = Tensor.of(new double[] {1, 0, 0, 1}, 4);
        Tensor l = F.bceWithLogits(z, y, null, null, "none");
        assertArrayEquals(new double[] {0, 0, 1000, 1000}, l.toDoubleArray(), 1e-12);
        l.sum().backward();
        assertArrayEquals(new double[] {0, 0, 1, -1}, z.grad().toDoubleArray(), 1e-12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> F.bceWithLogits(Tensor.zeros(3), Tensor.zeros(3, 1)));
        assertEquals("Target size (torch.Size([3, 1])) must be the same as input size (torch.Size([3]))",
                e.getMessage());
    }

    @Test
    void case47InvalidReduction() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MSELoss().reduction("avg"));
        assertEquals("avg is not a valid value for reduction", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> F.crossEntropy(Tensor.zeros(2, 3),
                Tensor.zeros(DType.INT64, 2), null, -100, "avg", 0));
        assertThrows(IllegalArgumentException.class, () -> F.bceWithLogits(Tensor.zeros(2), Tensor.zeros(2), null,
                null, "avg"));
        assertThrows(IllegalArgumentException.class, () -> F.nllLoss(Tensor.zeros(2, 3), Tensor.zeros(DType.INT64, 2),
                null, -100, "avg"));
    }

    @Test
    void case48DropPathProbOneGivesZeros() {
        Tensor x = Tensor.randn(new Generator(5), 4, 3, 2).requiresGrad(true);
        Tensor y = new DropPath(1.0).forward(x);
        assertEquals(0.0, y.abs().sum().item());
        y.sum().backward();
        assertEquals(0.0, x.grad().abs().sum().item());
        Tensor special = Tensor.of(new float[] {Float.NaN, 1, Float.POSITIVE_INFINITY, 2}, 4);
        double[] v = F.dropPath(special, 1.0, true, true, new Generator(1)).toDoubleArray();
        assertTrue(Double.isNaN(v[0]) && v[1] == 0 && Double.isNaN(v[2]) && v[3] == 0);
    }

    @Test
    void case49DropPathEvalIsIdentity() {
        Tensor x = Tensor.randn(new Generator(6), 4, 3);
        DropPath d = new DropPath(0.9);
        d.eval();
        assertSame(x, d.forward(x));
        assertSame(x, F.dropPath(x, 0.9));
        assertSame(x, F.dropPath(x, 0.0, true, true, new Generator(1)));
    }

    @Test
    void case50Dropout1dRank() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Dropout1d(0.5).forward(Tensor.ones(2, 3, 4, 5)));
        assertTrue(e.getMessage().startsWith("dropout1d: Expected 2D or 3D input, but received a 4D input."),
                e.getMessage());
        Tensor y = new Dropout1d(0.5, new Generator(3)).forward(Tensor.ones(3, 50));
        assertArrayEquals(new int[] {3, 50}, y.shape());
        for (int c = 0; c < 3; c++) {
            double first = y.get(c, 0);
            for (int l = 0; l < 50; l++) {
                assertEquals(first, y.get(c, l), "whole channels are dropped together");
            }
        }
    }

    @Test
    void dropout2dZeroesWholeChannels() {
        Tensor y = new Dropout2d(0.5, new Generator(9)).forward(Tensor.ones(4, 6, 3, 3));
        int zeroChannels = 0;
        for (int n = 0; n < 4; n++) {
            for (int c = 0; c < 6; c++) {
                Tensor ch = y.select(0, n).select(0, c);
                double s = ch.sum().item();
                assertTrue(s == 0 || Math.abs(s - 18) < 1e-6, "channel is all 0 or all 2: " + s);
                zeroChannels += s == 0 ? 1 : 0;
            }
        }
        assertTrue(zeroChannels > 0 && zeroChannels < 24);
    }
}
