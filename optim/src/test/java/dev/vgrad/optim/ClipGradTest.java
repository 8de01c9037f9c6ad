package dev.vgrad.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** clip_grad_norm_ / clip_grad_value_ semantics. */
class ClipGradTest {

    private static Tensor withGrad(double[] v, double[] g) {
        Tensor p = Tensor.of(v, v.length).requiresGrad(true);
        p.setGrad(Tensor.of(g, g.length));
        return p;
    }

    @Test
    void clipsToMaxNormWithPyTorchCoefficient() {
        Tensor a = withGrad(new double[] {0, 0}, new double[] {3, 4});
        Tensor b = withGrad(new double[] {0}, new double[] {12});
        Tensor none = Tensor.zeros(DType.FLOAT64, 3).requiresGrad(true);
        double total = ClipGrad.clipGradNorm(List.of(a, b, none), 1.0);
        assertEquals(13.0, total, 0.0);
        double coef = 1.0 / (13.0 + 1e-6);
        assertArrayEquals(new double[] {3 * coef, 4 * coef}, a.grad().toDoubleArray(), 1e-15);
        assertArrayEquals(new double[] {12 * coef}, b.grad().toDoubleArray(), 1e-15);
        assertEquals(null, none.grad());
    }

    @Test
    void leavesSmallGradientsUntouched() {
        Tensor a = withGrad(new double[] {0, 0}, new double[] {0.3, 0.4});
        int v = a.grad().version();
        assertEquals(0.5, ClipGrad.clipGradNorm(List.of(a), 1.0), 1e-15);
        assertArrayEquals(new double[] {0.3, 0.4}, a.grad().toDoubleArray(), 0.0);
        assertEquals(v, a.grad().version());
        assertEquals(0.0, ClipGrad.clipGradNorm(List.of(Tensor.zeros(2).requiresGrad(true)), 1.0), 0.0);
    }

    @Test
    void otherNormTypes() {
        Tensor a = withGrad(new double[] {0, 0}, new double[] {3, -4});
        Tensor b = withGrad(new double[] {0}, new double[] {-12});
        assertEquals(12.0, ClipGrad.clipGradNorm(List.of(a, b), 100, Double.POSITIVE_INFINITY), 0.0);
        assertEquals(19.0, ClipGrad.clipGradNorm(List.of(a, b), 100, 1.0), 1e-12);
        assertEquals(Math.cbrt(27 + 64 + 1728), ClipGrad.clipGradNorm(List.of(a, b), 100, 3.0), 1e-12);
        double total = ClipGrad.clipGradNorm(List.of(a, b), 6, Double.POSITIVE_INFINITY);
        assertEquals(12.0, total, 0.0);
        assertArrayEquals(new double[] {-12 * 6 / (12 + 1e-6)}, b.grad().toDoubleArray(), 1e-12);
    }

    @Test
    void float32LargeGradientMatchesDoubleReference() {
        int n = 200_003;
        Random r = new Random(3);
        float[] g = new float[n];
        double ss = 0;
        for (int i = 0; i < n; i++) {
            g[i] = (float) r.nextGaussian();
            ss += (double) g[i] * g[i];
        }
        Tensor p = Tensor.zeros(n).requiresGrad(true);
        p.setGrad(Tensor.of(g, n));
        double total = ClipGrad.clipGradNorm(List.of(p), 1.0);
        assertEquals((float) Math.sqrt(ss), total, 1e-6 * total);
        double norm = 0;
        for (float x : p.grad().toArray()) {
            norm += (double) x * x;
        }
        assertEquals(1.0, Math.sqrt(norm), 1e-5);
    }

    @Test
    void nonFiniteNorm() {
        Tensor a = withGrad(new double[] {0, 0}, new double[] {Double.POSITIVE_INFINITY, 1});
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ClipGrad.clipGradNorm(List.of(a), 1.0, 2.0, true));
        assertTrue(e.getMessage().startsWith("The total norm of order 2.0 for gradients from `parameters` is "
                + "non-finite, so it cannot be clipped."), e.getMessage());
        assertEquals(Double.POSITIVE_INFINITY, ClipGrad.clipGradNorm(List.of(a), 1.0), 0.0);
    }

    @Test
    void clipValueClampsInPlace() {
        Tensor a = withGrad(new double[] {0, 0, 0, 0}, new double[] {-3, 0.5, 2, Double.NaN});
        Tensor g = a.grad();
        ClipGrad.clipGradValue(List.of(a), 1.0);
        assertEquals(g, a.grad());
        double[] v = a.grad().toDoubleArray();
        assertEquals(-1.0, v[0], 0.0);
        assertEquals(0.5, v[1], 0.0);
        assertEquals(1.0, v[2], 0.0);
        assertTrue(Double.isNaN(v[3]));
    }
}
