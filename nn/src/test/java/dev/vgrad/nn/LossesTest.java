package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.GradCheck;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.SeededCases;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * L1/SmoothL1/Huber/KLDiv/BCE: float64 finite-difference gradient checks (first and second order) with respect to
 * the input and, where PyTorch differentiates it, the target; algebraic laws as QuickTheories properties over
 * random shapes and values; and PyTorch's error texts (docs/SEMANTICS.md §20.1–15.4).
 */
class LossesTest {
    private final Generator gen = new Generator(20261705L);

    private Tensor rnd(int... shape) {
        return Tensor.randn(gen, shape).to(DType.FLOAT64).requiresGrad(true);
    }

    /** Values in (0.05, 0.95): BCE's interior, away from the clamp. */
    private Tensor prob(int... shape) {
        return Tensor.rand(gen, shape).to(DType.FLOAT64).mul(0.9).add(0.05).requiresGrad(true);
    }

    private static void ok(Function<Tensor[], Tensor> f, Tensor... in) {
        GradCheck.Result r = GradCheck.check(f, in);
        assertTrue(r.passed(), r.report());
        GradCheck.Result rr = GradCheck.gradgradcheck(f, in);
        assertTrue(rr.passed(), rr.report());
    }

    @Test
    void gradcheckRegressionLosses() {
        for (String red : new String[] {"mean", "sum", "none"}) {
            ok(t -> F.l1Loss(t[0], t[1], red), rnd(3, 4), rnd(3, 4));
            ok(t -> F.smoothL1Loss(t[0], t[1], red, 0.7), rnd(3, 4), rnd(3, 4));
            ok(t -> F.smoothL1Loss(t[0], t[1], red, 0.0), rnd(3, 4), rnd(3, 4));
            ok(t -> F.huberLoss(t[0], t[1], red, 0.6), rnd(3, 4), rnd(3, 4));
        }
        // broadcasting (with PyTorch's warning) sums the expanded gradients back
        ok(t -> F.smoothL1Loss(t[0], t[1], "mean", 0.5), rnd(3, 1), rnd(4));
        ok(t -> F.huberLoss(t[0], t[1], "sum", 2.0), rnd(2, 1, 3), rnd(4, 1));
        ok(t -> F.l1Loss(t[0], t[1], "mean"), rnd(3, 1), rnd(4));
    }

    @Test
    void gradcheckKlDiv() {
        for (String red : new String[] {"mean", "sum", "none", "batchmean"}) {
            ok(t -> F.klDiv(t[0], t[1], red, false), rnd(3, 4), prob(3, 4));
            ok(t -> F.klDiv(t[0], t[1], red, true), rnd(3, 4), rnd(3, 4));
        }
    }

    @Test
    void gradcheckBce() {
        Tensor w = Tensor.rand(gen, 4).toDouble().add(0.5);
        for (String red : new String[] {"mean", "sum", "none"}) {
            ok(t -> F.binaryCrossEntropy(t[0], t[1], null, red), prob(3, 4), prob(3, 4));
            ok(t -> F.binaryCrossEntropy(t[0], t[1], w, red), prob(3, 4), prob(3, 4));
        }
    }

    @Test
    void propertiesHuberIsDeltaTimesSmoothL1AndBetaZeroIsL1() {
        SeededCases.check("Huber(δ) = δ·SmoothL1(β=δ), SmoothL1(β=0) = L1", 17_001L, 60, seed -> {
            Random r = new Random(seed);
            Generator g = new Generator(seed);
            int[] shape = {1 + r.nextInt(5), 1 + r.nextInt(6)};
            double scale = Math.exp(r.nextGaussian() * 2);
            Tensor x = Tensor.randn(g, shape).toDouble().mul(scale);
            Tensor y = Tensor.randn(g, shape).toDouble().mul(scale);
            double delta = 0.01 + r.nextDouble() * 3 * scale;
            double[] hub = F.huberLoss(x, y, "none", delta).toDoubleArray();
            double[] sl1 = F.smoothL1Loss(x, y, "none", delta).toDoubleArray();
            for (int i = 0; i < hub.length; i++) {
                assertEquals(delta * sl1[i], hub[i], 1e-12 * (1 + Math.abs(hub[i])), "seed " + seed + " at " + i);
            }
            assertArrayEquals(F.l1Loss(x, y, "none").toDoubleArray(),
                    F.smoothL1Loss(x, y, "none", 0.0).toDoubleArray(), "seed " + seed);
            // the three reductions agree: sum = mean·numel = Σ none
            double none = F.huberLoss(x, y, "none", delta).sum().item();
            assertEquals(none, F.huberLoss(x, y, "sum", delta).item(), 1e-12 * (1 + Math.abs(none)));
            assertEquals(none / x.numel(), F.huberLoss(x, y, "mean", delta).item(),
                    1e-12 * (1 + Math.abs(none)));
        });
    }

    @Test
    void propertiesKlDiv() {
        SeededCases.check("KL(p‖p) = 0, KL ≥ 0, log_target agrees with probabilities", 17_002L, 60, seed -> {
            Random r = new Random(seed);
            Generator g = new Generator(seed);
            int n = 1 + r.nextInt(5);
            int c = 2 + r.nextInt(6);
            Tensor logQ = Tensor.randn(g, n, c).toDouble().logSoftmax(1);
            Tensor logP = Tensor.randn(g, n, c).toDouble().mul(3).logSoftmax(1);
            Tensor p = logP.exp();
            double kl = F.klDiv(logQ, p, "batchmean", false).item();
            assertTrue(kl >= -1e-12, "seed " + seed + ": KL = " + kl);
            assertEquals(kl, F.klDiv(logQ, logP, "batchmean", true).item(), 1e-12 * (1 + kl), "seed " + seed);
            assertEquals(0.0, F.klDiv(logP, p, "batchmean", false).item(), 1e-12, "seed " + seed);
            assertEquals(kl * n, F.klDiv(logQ, p, "sum", false).item(), 1e-12 * (1 + kl * n));
        });
    }

    @Test
    void propertiesBceMatchesBceWithLogits() {
        SeededCases.check("BCE(σ(z), y) = BCEWithLogits(z, y) for moderate z", 17_003L, 60, seed -> {
            Random r = new Random(seed);
            Generator g = new Generator(seed);
            int[] shape = {1 + r.nextInt(4), 1 + r.nextInt(5)};
            Tensor z = Tensor.randn(g, shape).toDouble().mul(4);
            Tensor y = Tensor.rand(g, shape).toDouble();
            double a = F.binaryCrossEntropy(z.sigmoid(), y, null, "sum").item();
            double b = F.bceWithLogits(z, y, null, null, "sum").item();
            assertEquals(b, a, 1e-9 * (1 + Math.abs(b)), "seed " + seed);
        });
    }

    @Test
    void bceClampsLogAtMinus100AndTargetIsNotRangeChecked() {
        Tensor x = Tensor.of(new double[] {0, 1, 0, 1}, 4);
        Tensor y = Tensor.of(new double[] {1, 0, 0, 1}, 4);
        // PyTorch prints the last as -0.0 too: (1 − 1)·(−100) − 1·log 1
        assertArrayEquals(new double[] {100, 100, 0, -0.0}, F.binaryCrossEntropy(x, y, null, "none").toDoubleArray());
        // PyTorch 1.13 computes a target outside [0, 1] without complaint: 0.5·log 2·2
        assertEquals(Math.log(2), F.binaryCrossEntropy(Tensor.of(new double[] {0.5}, 1),
                Tensor.of(new double[] {1.5}, 1)).item(), 1e-15);
    }

    @Test
    void errorsUsePyTorchsWording() {
        Tensor a = Tensor.rand(3);
        Tensor b = Tensor.rand(2);
        assertEquals("all elements of input should be between 0 and 1", assertThrows(IllegalArgumentException.class,
                () -> F.binaryCrossEntropy(Tensor.of(new float[] {1.5f}, 1), Tensor.of(new float[] {0.5f}, 1)))
                .getMessage());
        assertEquals("all elements of input should be between 0 and 1", assertThrows(IllegalArgumentException.class,
                () -> new BCELoss().forward(Tensor.of(new float[] {Float.NaN}, 1), Tensor.of(new float[] {0}, 1)))
                .getMessage());
        assertEquals("Using a target size (torch.Size([2])) that is different to the input size (torch.Size([3])) is "
                + "deprecated. Please ensure they have the same size.", assertThrows(IllegalArgumentException.class,
                () -> F.binaryCrossEntropy(a, b)).getMessage());
        assertEquals("The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0",
                assertThrows(IllegalArgumentException.class,
                        () -> F.binaryCrossEntropy(a, Tensor.rand(3), Tensor.rand(2), "mean")).getMessage());
        assertEquals("smooth_l1_loss does not support negative values for beta.",
                assertThrows(IllegalArgumentException.class, () -> new SmoothL1Loss(-1)).getMessage());
        assertEquals("huber_loss does not support non-positive values for delta.",
                assertThrows(IllegalArgumentException.class, () -> new HuberLoss(0)).getMessage());
        assertEquals("huber_loss does not support non-positive values for delta.",
                assertThrows(IllegalArgumentException.class, () -> F.huberLoss(a, a, "mean", Double.NaN)).getMessage());
        for (Function<Tensor[], Tensor> f : java.util.List.<Function<Tensor[], Tensor>>of(
                t -> F.l1Loss(t[0], t[1]), t -> F.smoothL1Loss(t[0], t[1]), t -> F.huberLoss(t[0], t[1]))) {
            assertEquals("The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0",
                    assertThrows(IllegalArgumentException.class, () -> f.apply(new Tensor[] {a, b})).getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> F.klDiv(a, b));
        assertEquals("foo is not a valid value for reduction", assertThrows(IllegalArgumentException.class,
                () -> new KLDivLoss().reduction("foo")).getMessage());
        assertEquals("batchmean is not a valid value for reduction", assertThrows(IllegalArgumentException.class,
                () -> new L1Loss().reduction("batchmean")).getMessage());
    }

    @Test
    void klDivModuleReductions() {
        KLDivLoss m = new KLDivLoss().reduction("batchmean");
        assertEquals("batchmean", m.reductionName());
        Tensor x = Tensor.of(new double[] {-0.75}, 1);
        Tensor y = Tensor.of(new double[] {0.5}, 1);
        // a 0-d input under batchmean is the plain sum (PyTorch: -0.8466 for these values)
        assertEquals(F.klDiv(x.reshape(), y.reshape(), "sum", false).item(),
                F.klDiv(x.reshape(), y.reshape(), "batchmean", false).item());
        assertEquals("sum", m.reduction(Reduction.SUM).reductionName());
        // target 0 contributes 0, not NaN (xlogy)
        assertEquals(0.0, F.klDiv(Tensor.of(new double[] {-1.0}, 1), Tensor.of(new double[] {0.0}, 1), "sum", false)
                .item());
    }
}
