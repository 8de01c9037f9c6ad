package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import org.junit.jupiter.api.Test;

/** nn.init laws and the Linear/Conv2d defaults (docs/SEMANTICS.md §7). */
class InitTest {
    private static void uniformStats(Tensor w, double bound) {
        double[] v = w.toDoubleArray();
        double mean = 0;
        double sq = 0;
        for (double x : v) {
            assertTrue(Math.abs(x) <= bound + 1e-7, "max|W| <= bound: " + x + " vs " + bound);
            mean += x / v.length;
            sq += x * x / v.length;
        }
        double var = sq - mean * mean;
        double expVar = bound * bound / 3;
        assertEquals(0, mean, 5 * Math.sqrt(expVar / v.length), "mean");
        assertEquals(expVar, var, 0.1 * expVar, "variance");
    }

    @Test
    void linearDefault() {
        Linear l = new Linear(100, 200, true, new Generator(1));
        uniformStats(l.weight(), 1 / Math.sqrt(100));
        double[] b = l.bias().toDoubleArray();
        for (double x : b) {
            assertTrue(Math.abs(x) <= 0.1);
        }
        // weight is drawn before bias from the same generator: the same seed reproduces both exactly
        Linear l2 = new Linear(100, 200, true, new Generator(1));
        assertArrayEquals(l.weight().toArray(), l2.weight().toArray());
        assertArrayEquals(l.bias().toArray(), l2.bias().toArray());
        Generator g = new Generator(1);
        Tensor w = Tensor.zeros(200, 100);
        Init.kaimingUniform(w, Math.sqrt(5), "fan_in", "leaky_relu", g);
        assertArrayEquals(w.toArray(), l.weight().toArray());
        Linear empty = new Linear(0, 3);
        assertArrayEquals(new float[3], empty.bias().toArray());
    }

    @Test
    void conv2dDefault() {
        Conv2d c = new Conv2d(8, 16, new int[] {3, 3}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 2, true,
                new Generator(3));
        assertArrayEquals(new int[] {16, 4, 3, 3}, c.weight().shape());
        uniformStats(c.weight(), 1 / Math.sqrt(36));
        for (double x : c.bias().toDoubleArray()) {
            assertTrue(Math.abs(x) <= 1 / 6.0);
        }
    }

    @Test
    void fansAndGains() {
        assertEquals(36, Init.fanIn(Tensor.zeros(16, 4, 3, 3)));
        assertEquals(144, Init.fanOut(Tensor.zeros(16, 4, 3, 3)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Init.fanIn(Tensor.zeros(5)));
        assertEquals("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Init.xavierUniform(Tensor.zeros(5), 1, new Generator(1)));
        assertEquals(1.0, Init.calculateGain("linear"));
        assertEquals(1.0, Init.calculateGain("conv2d"));
        assertEquals(1.0, Init.calculateGain("sigmoid"));
        assertEquals(5.0 / 3, Init.calculateGain("tanh"));
        assertEquals(Math.sqrt(2), Init.calculateGain("relu"));
        assertEquals(Math.sqrt(2 / (1 + 0.01 * 0.01)), Init.calculateGain("leaky_relu"));
        assertEquals(Math.sqrt(2 / (1 + 0.04)), Init.calculateGain("leaky_relu", 0.2));
        assertEquals(0.75, Init.calculateGain("selu"));
        assertEquals("Unsupported nonlinearity foo",
                assertThrows(IllegalArgumentException.class, () -> Init.calculateGain("foo")).getMessage());
        assertEquals("Mode fan_avg not supported, please use one of fan_in, fan_out",
                assertThrows(IllegalArgumentException.class, () -> Init.kaimingUniform(Tensor.zeros(2, 2), 0, "fan_avg",
                        "relu", new Generator(1))).getMessage());
    }

    @Test
    void laws() {
        Generator g = new Generator(11);
        Tensor t = Tensor.zeros(400, 100).requiresGrad(true);
        Init.xavierUniform(t, 1, g);
        assertTrue(t.isLeaf() && t.requiresGrad());
        uniformStats(t, Math.sqrt(6.0 / 500));
        Init.kaimingUniform(t, 0, "fan_out", "relu", g);
        uniformStats(t, Math.sqrt(3) * Math.sqrt(2) / Math.sqrt(400));
        Init.uniform(t, -2, 2, g);
        uniformStats(t, 2);
        Init.kaimingNormal(t, 0, "fan_in", "relu", g);
        assertEquals(Math.sqrt(2.0 / 100), Math.sqrt(t.toDouble().var().item()), 0.02 * Math.sqrt(2.0 / 100));
        Init.xavierNormal(t, 2, g);
        assertEquals(2 * Math.sqrt(2.0 / 500), Math.sqrt(t.toDouble().var().item()), 0.02 * 2 * Math.sqrt(2.0 / 500));
        Init.normal(t, 3, 0.5, g);
        assertEquals(3, t.toDouble().mean().item(), 0.01);
        Init.truncNormal(t, 1, 2, -1, 2, g);
        double[] v = t.toDoubleArray();
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (double x : v) {
            min = Math.min(min, x);
            max = Math.max(max, x);
        }
        assertTrue(min >= -1 && max <= 2 && min < -0.9 && max > 1.9, min + " " + max);
        Init.truncNormal(t, 0, 1, 5, 6, g); // far tail: still inside [a, b]
        for (double x : t.toDoubleArray()) {
            assertTrue(x >= 5 && x <= 6);
        }
        Init.constant(t, 0.5);
        assertEquals(0.5 * t.numel(), t.sum().item(), 1e-6);
        Init.zeros(t);
        assertEquals(0.0, t.abs().sum().item());
        Init.ones(t);
        assertEquals(t.numel(), t.sum().item(), 1e-6);
        // reproducible from the generator
        Tensor a = Init.normal(Tensor.zeros(10), 0, 1, new Generator(5));
        Tensor b = Init.normal(Tensor.zeros(10), 0, 1, new Generator(5));
        assertArrayEquals(a.toArray(), b.toArray());
    }

    @Test
    void batchNormAndLayerNormDefaults() {
        BatchNorm2d bn = new BatchNorm2d(3);
        assertArrayEquals(new float[] {1, 1, 1}, bn.weight().toArray());
        assertArrayEquals(new float[] {0, 0, 0}, bn.bias().toArray());
        LayerNorm ln = new LayerNorm(4);
        assertArrayEquals(new float[] {1, 1, 1, 1}, ln.weight().toArray());
        assertTrue(ln.weight().requiresGrad() && ln.weight().isLeaf());
    }
}
