package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.GradCheck;
import dev.vgrad.core.Tensor;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Float64 finite-difference checks of the docs/SEMANTICS.md §19 layers, with respect to the input and every
 * parameter; second order too for the ops whose backward is itself recorded (all of them are compositions of
 * recorded ops, and conv_transpose2d is conv2d's bilinear input-gradient op).
 */
class SeqLayersGradCheckTest {
    private final Generator gen = new Generator(20261205L);

    private Tensor rnd(int... shape) {
        return Tensor.randn(gen, shape).to(DType.FLOAT64).requiresGrad(true);
    }

    private static void ok(Function<Tensor[], Tensor> f, Tensor... in) {
        GradCheck.Result r = GradCheck.check(f, in);
        assertTrue(r.passed(), r.report());
    }

    private static void ok2(Function<Tensor[], Tensor> f, Tensor... in) {
        ok(f, in);
        GradCheck.Result r = GradCheck.gradgradcheck(f, in);
        assertTrue(r.passed(), r.report());
    }

    @Test
    void rmsNorm() {
        ok2(t -> F.rmsNorm(t[0], new int[] {4}, t[1], null), rnd(2, 3, 4), rnd(4));
        ok(t -> F.rmsNorm(t[0], new int[] {2, 3}, t[1], 1e-3), rnd(4, 2, 3), rnd(2, 3));
        ok(t -> F.rmsNorm(t[0], new int[] {5}, null, 1e-6), rnd(3, 5));
    }

    @Test
    void groupNorm() {
        ok2(t -> F.groupNorm(t[0], 2, t[1], t[2], 1e-5), rnd(2, 4, 3, 2), rnd(4), rnd(4));
        ok(t -> F.groupNorm(t[0], 3, t[1], t[2], 1e-5), rnd(2, 3, 5), rnd(3), rnd(3));
        ok(t -> F.groupNorm(t[0], 1, null, null, 1e-5), rnd(3, 2, 2, 2));
    }

    @Test
    void conv1d() {
        ok2(t -> F.conv1d(t[0], t[1], t[2], 1, 1, 1, 1), rnd(2, 2, 6), rnd(3, 2, 3), rnd(3));
        ok(t -> F.conv1d(t[0], t[1], t[2], 2, 2, 2, 2), rnd(1, 4, 9), rnd(2, 2, 3), rnd(2));
        ok(t -> F.conv1d(t[0], t[1], null, 1, "same", 1, 1), rnd(2, 6), rnd(2, 2, 4));
    }

    @Test
    void convTranspose2d() {
        ok2(t -> F.convTranspose2d(t[0], t[1], t[2], new int[] {2}, new int[] {1}, new int[] {1}, 1, new int[] {1}),
                rnd(1, 2, 3, 3), rnd(2, 3, 3, 3), rnd(3));
        ok(t -> F.convTranspose2d(t[0], t[1], t[2], new int[] {1, 2}, new int[] {1, 0}, new int[] {0, 1}, 2,
                new int[] {2, 1}), rnd(2, 4, 3, 2), rnd(4, 1, 2, 3), rnd(2));
        // output_padding ≥ stride, allowed because it is below the dilation
        ok(t -> F.convTranspose2d(t[0], t[1], null, new int[] {1}, new int[] {0}, new int[] {1}, 1, new int[] {2}),
                rnd(2, 3, 3), rnd(2, 1, 2, 2));
        ConvTranspose2d m = new ConvTranspose2d(2, 2, new int[] {2}, new int[] {2}, new int[] {0}, new int[] {0}, 1,
                true, new int[] {1}, gen);
        m.to(DType.FLOAT64);
        ok(t -> m.forward(t[0]), rnd(1, 2, 2, 2));
    }

    @Test
    void upsample() {
        ok2(t -> F.interpolate(t[0], null, new double[] {2, 2}, "nearest", null), rnd(1, 2, 2, 3));
        ok(t -> F.interpolate(t[0], new int[] {5, 2}, null, "nearest", null), rnd(2, 1, 3, 4));
        ok2(t -> F.interpolate(t[0], new int[] {5, 4}, null, "bilinear", false), rnd(1, 2, 3, 3));
        ok(t -> F.interpolate(t[0], new int[] {4, 7}, null, "bilinear", true), rnd(1, 1, 3, 3));
        ok(t -> F.interpolate(t[0], null, new double[] {0.5, 1.5}, "bilinear", false), rnd(1, 1, 4, 3));
    }

    @Test
    void positionEncodings() {
        ok2(t -> F.rotaryEmbedding(t[0], 2, 10000), rnd(2, 5, 6));
        ok(t -> new RotaryEmbedding(4, 50).forward(t[0], 7), rnd(3, 4));
        ok(t -> new SinusoidalPositionalEncoding(6, 8).forward(t[0]), rnd(2, 5, 6));
    }
}
