package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.GradCheck;
import dev.vgrad.core.Tensor;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Finite-difference gradient checks in float64 of every fused op, loss and layer. */
class GradCheckTest {
    private final Generator gen = new Generator(20240601L);

    private Tensor rnd(int... shape) {
        return Tensor.randn(gen, shape).to(DType.FLOAT64).requiresGrad(true);
    }

    private Tensor pos(int... shape) {
        return Tensor.rand(gen, shape).to(DType.FLOAT64).add(0.5).requiresGrad(true);
    }

    private static void ok(Function<Tensor[], Tensor> f, Tensor... in) {
        GradCheck.Result r = GradCheck.check(f, in);
        assertTrue(r.passed(), r.report());
    }

    @Test
    void batchNormTraining() {
        ok(t -> F.batchNorm(t[0], null, null, t[1], t[2], true, 0.1, 1e-5), rnd(4, 3), rnd(3), rnd(3));
        ok(t -> F.batchNorm(t[0], null, null, t[1], t[2], true, 0.1, 1e-3), rnd(2, 3, 4), rnd(3), rnd(3));
        ok(t -> F.batchNorm(t[0], null, null, t[1], t[2], true, 0.1, 1e-5), rnd(2, 2, 3, 2), rnd(2), rnd(2));
        ok(t -> F.batchNorm(t[0], null, null, null, null, true, 0.1, 1e-5), rnd(3, 2, 2, 2));
    }

    @Test
    void batchNormTrainingModuleUpdatesStatsButGradIsUnaffected() {
        BatchNorm2d bn = new BatchNorm2d(2);
        bn.to(DType.FLOAT64);
        ok(t -> bn.forward(t[0]), rnd(3, 2, 2, 2));
    }

    @Test
    void batchNormEval() {
        Tensor rm = Tensor.randn(gen, 3).toDouble();
        Tensor rv = Tensor.rand(gen, 3).toDouble().add(0.5);
        ok(t -> F.batchNorm(t[0], rm, rv, t[1], t[2], false, 0.1, 1e-5), rnd(4, 3), rnd(3), rnd(3));
        ok(t -> F.batchNorm(t[0], rm, rv, t[1], t[2], false, 0.1, 1e-5), rnd(2, 3, 2, 2), rnd(3), rnd(3));
        BatchNorm1d bn = new BatchNorm1d(3);
        bn.to(DType.FLOAT64);
        bn.forward(Tensor.randn(gen, 8, 3).toDouble());
        bn.eval();
        ok(t -> bn.forward(t[0]), rnd(1, 3));
    }

    @Test
    void crossEntropyClassIndices() {
        Tensor t = Tensor.ofLongs(new long[] {0, 3, 1, -100, 2}, 5);
        Tensor w = Tensor.of(new double[] {0.5, 2, 1, 0.25}, 4);
        for (String red : new String[] {"mean", "sum", "none"}) {
            for (double ls : new double[] {0.0, 0.2}) {
                ok(x -> F.crossEntropy(x[0], t, null, -100, red, ls), rnd(5, 4));
                ok(x -> F.crossEntropy(x[0], t, w, -100, red, ls), rnd(5, 4));
            }
        }
        Tensor t4 = Tensor.ofLongs(new long[] {0, 2, 1, -100, 2, 2, 0, 1}, 2, 2, 2);
        ok(x -> F.crossEntropy(x[0], t4, Tensor.of(new double[] {1.5, 0.5, 1}, 3), -100, "mean", 0.1), rnd(2, 3, 2, 2));
        ok(x -> F.crossEntropy(x[0], Tensor.ofLongs(new long[] {1}), null, -100, "mean", 0.3), rnd(4));
    }

    @Test
    void crossEntropyProbabilityTargets() {
        Tensor w = Tensor.of(new double[] {0.5, 2, 1, 0.25}, 4);
        for (String red : new String[] {"mean", "sum", "none"}) {
            ok(x -> F.crossEntropy(x[0], x[1], w, -100, red, 0.1), rnd(3, 4), pos(3, 4));
            ok(x -> F.crossEntropy(x[0], x[1], null, -100, red, 0.0), rnd(2, 4, 3), pos(2, 4, 3));
        }
    }

    @Test
    void nllLoss() {
        Tensor t = Tensor.ofLongs(new long[] {0, 3, 1, -100, 2}, 5);
        Tensor w = Tensor.of(new double[] {0.5, 2, 1, 0.25}, 4);
        for (String red : new String[] {"mean", "sum", "none"}) {
            ok(x -> F.nllLoss(x[0], t, w, -100, red), rnd(5, 4));
        }
        ok(x -> F.nllLoss(x[0].logSoftmax(1), Tensor.ofLongs(new long[] {1, 0}, 2, 1), null, -100, "mean"),
                rnd(2, 3, 1));
    }

    @Test
    void mseLoss() {
        for (String red : new String[] {"mean", "sum", "none"}) {
            ok(x -> F.mseLoss(x[0], x[1], red), rnd(3, 4), rnd(3, 4));
        }
    }

    @Test
    void bceWithLogits() {
        for (String red : new String[] {"mean", "sum", "none"}) {
            ok(x -> F.bceWithLogits(x[0], x[1], x[2], x[3], red), rnd(3, 4), pos(3, 4), pos(3, 4), pos(4));
            ok(x -> F.bceWithLogits(x[0], x[1], null, null, red), rnd(5), pos(5));
        }
        ok(x -> F.bceWithLogits(x[0].mul(30.0), x[1], null, null, "sum"), rnd(6), pos(6));
    }

    @Test
    void layerNorm() {
        ok(x -> F.layerNorm(x[0], new int[] {4}, x[1], x[2], 1e-5), rnd(3, 4), rnd(4), rnd(4));
        ok(x -> F.layerNorm(x[0], new int[] {2, 3}, x[1], x[2], 1e-5), rnd(2, 2, 3), rnd(2, 3), rnd(2, 3));
        // the fused kernel without an affine part, and with a weight only
        ok(x -> F.layerNorm(x[0], new int[] {5}, null, null, 1e-3), rnd(2, 3, 5));
        ok(x -> F.layerNorm(x[0], new int[] {5}, x[1], null, 1e-5), rnd(4, 5), rnd(5));
    }

    @Test
    void linear() {
        ok(x -> F.linear(x[0], x[1], x[2]), rnd(3, 4), rnd(2, 4), rnd(2));
        ok(x -> F.linear(x[0], x[1], null), rnd(2, 3, 4), rnd(5, 4));
        ok(x -> F.linear(x[0], x[1], x[2]), rnd(4), rnd(2, 4), rnd(2));
    }

    @Test
    void conv2d() {
        ok(x -> F.conv2d(x[0], x[1], x[2], new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1),
                rnd(2, 2, 4, 4), rnd(3, 2, 3, 3), rnd(3));
        ok(x -> F.conv2d(x[0], x[1], x[2], new int[] {1, 1}, "same", new int[] {1, 1}, 1),
                rnd(1, 1, 4, 5), rnd(2, 1, 2, 4), rnd(2));
    }

    @Test
    void dropoutWithFixedMask() {
        Tensor mask = Tensor.of(new double[] {1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0}, 3, 4);
        ok(x -> F.dropoutWithMask(x[0], mask, 0.25), rnd(3, 4));
        Generator g = new Generator(7);
        long[] state = g.getState();
        // the same generator state gives the same mask, so the stochastic path is differentiable as a function
        ok(x -> {
            g.setState(state);
            return F.dropout(x[0], 0.4, true, g);
        }, rnd(4, 5));
    }

    @Test
    void dropPath() {
        Tensor mask = Tensor.of(new double[] {1, 0, 1}, 3, 1, 1);
        ok(x -> F.dropPathWithMask(x[0], mask, 0.3, true, true), rnd(3, 2, 2));
        Generator g = new Generator(11);
        long[] state = g.getState();
        ok(x -> {
            g.setState(state);
            return F.dropPath(x[0], 0.5, true, false, g);
        }, rnd(4, 3));
    }

    @Test
    void embedding() {
        Tensor idx = Tensor.ofLongs(new long[] {0, 2, 2, 4, 1, 0}, 2, 3);
        ok(x -> F.embedding(idx, x[0], null), rnd(5, 3));
        // padding_idx rows get no gradient by design (so they fail a finite-difference check, as in PyTorch)
        Tensor w = rnd(5, 3);
        F.embedding(idx, w, 2).sum().backward();
        double[] g = w.grad().toDoubleArray();
        for (int j = 0; j < 3; j++) {
            assertTrue(g[2 * 3 + j] == 0.0 && g[0 * 3 + j] == 2.0 && g[4 * 3 + j] == 1.0 && g[3 * 3 + j] == 0.0);
        }
    }
}
