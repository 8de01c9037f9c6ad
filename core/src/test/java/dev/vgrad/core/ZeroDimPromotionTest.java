package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * docs/SEMANTICS.md §11: a 0-d operand decides the dtype only from a higher category; its gradient still comes
 * back in its own dtype. (The dtypes of every operand pair are in bool_ops.json, checked by
 * BoolOpsConformanceTest; this test covers the backward.)
 */
class ZeroDimPromotionTest {
    @Test
    void zeroDimFloat64ScalesAFloat32TensorInFloat32AndGetsAFloat64Gradient() {
        float[] xs = {0.1f, -2.5f, 3.25f, 1e-3f, 7f, -0.75f};
        Tensor x = Tensor.of(xs, 2, 3).requiresGrad(true);
        Tensor w = Tensor.scalar(DType.FLOAT64, 0.1).requiresGrad(true);
        Tensor y = x.mul(w);
        assertEquals(DType.FLOAT32, y.dtype());
        float[] want = new float[xs.length];
        float wf = (float) 0.1;
        for (int i = 0; i < xs.length; i++) {
            want[i] = xs[i] * wf; // the product in float32, w rounded to float32 first
        }
        assertArrayEquals(want, y.toArray());
        y.sum().backward();
        assertEquals(DType.FLOAT64, w.grad().dtype());
        assertEquals(DType.FLOAT32, x.grad().dtype());
        float sum = 0f;
        for (float v : xs) {
            sum += v;
        }
        assertEquals(sum, w.grad().item(), 1e-6 * (1 + Math.abs(sum)));
        for (float g : x.grad().toArray()) {
            assertEquals(wf, g);
        }
    }
}
