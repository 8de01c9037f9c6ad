package dev.vgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import org.junit.jupiter.api.Test;

class NormalizeTest {
    @Test
    void fitComputesPopulationMeanAndStd() {
        Normalize n = Normalize.fit(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2));
        assertEquals(2.5, n.mean()[0], 1e-12);
        assertEquals(Math.sqrt(1.25), n.std()[0], 1e-12);
        Normalize constant = Normalize.fit(Tensor.full(3.0, 5));
        assertEquals(1.0, constant.std()[0]);
    }

    @Test
    void applyAndInPlaceAgree() {
        Tensor x = Tensor.of(new float[] {0, 0.5f, 1, 0.25f}, 4);
        Normalize n = new Normalize(0.5, 0.25);
        assertArrayEquals(new float[] {-2, 0, 2, -1}, n.apply(x).toArray());
        n.applyInPlace(x);
        assertArrayEquals(new float[] {-2, 0, 2, -1}, x.toArray());
    }

    @Test
    void perChannel() {
        // [N=2, C=2, 2]: channel 0 values {0,2,4,6}, channel 1 values {10,10,10,10}
        Tensor x = Tensor.of(new float[] {0, 2, 10, 10, 4, 6, 10, 10}, 2, 2, 2);
        Normalize n = Normalize.fitPerChannel(x);
        assertArrayEquals(new double[] {3, 10}, n.mean(), 1e-12);
        assertArrayEquals(new double[] {Math.sqrt(5), 1}, n.std(), 1e-12);
        Tensor y = n.apply(x);
        assertEquals(-3 / Math.sqrt(5), y.get(0, 0, 0), 1e-6);
        assertEquals(0, y.get(1, 1, 1), 1e-6);
        Tensor z = x.cloneTensor();
        n.applyInPlace(z);
        assertArrayEquals(y.toArray(), z.toArray(), 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> n.apply(Tensor.zeros(2, 3, 2)));
    }

    @Test
    void validation() {
        assertThrows(IllegalArgumentException.class, () -> new Normalize(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Normalize(Double.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> new Normalize(new double[] {0, 1}, new double[] {1}));
        assertThrows(IllegalArgumentException.class, () -> Normalize.fit(Tensor.zeros(0)));
        assertThrows(IllegalArgumentException.class, () -> Normalize.fitPerChannel(Tensor.zeros(3)));
        assertThrows(IllegalArgumentException.class, () -> new Normalize(0, 1).applyInPlace(Tensor.ofLongs(new long[] {1}, 1)));
    }

    /** After fitting, the normalised data has mean ≈ 0 and std ≈ 1. */
    @Test
    void normalisedDataIsStandardised() {
        qt().withExamples(40).forAll(integers().between(2, 200), integers().all()).checkAssert((n, seed) -> {
            Tensor x = Tensor.rand(new Generator(seed), n).mul(7).add(3);
            Normalize norm = Normalize.fit(x);
            Normalize after = Normalize.fit(norm.apply(x));
            // (x − mean) is rounded in float32 at x's magnitude, then divided by std: the error scales with
            // max|x| / std (two nearly equal samples have a tiny std)
            double scale = 1 + x.abs().max().item() / norm.std()[0];
            assertEquals(0, after.mean()[0], 1e-6 * scale, "mean for n=" + n + ", seed " + seed);
            assertEquals(1, after.std()[0], 1e-5 * scale, "std for n=" + n + ", seed " + seed);
        });
    }
}
