package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code Tensor.of} without a shape is 1-D, as {@code torch.tensor([...])}; with a dtype it converts as {@code to}. */
class TensorOfTest {

    @Test
    void withoutAShapeATensorIsOneDimensional() {
        Tensor a = Tensor.of(1f, 2f, 3f);
        assertArrayEquals(new int[] {3}, a.shape());
        assertEquals(DType.FLOAT32, a.dtype());
        assertArrayEquals(new float[] {1, 2, 3}, a.toArray());
        // torch.tensor([5.]).shape == torch.Size([1]); the 0-d scalar is asked for explicitly
        assertArrayEquals(new int[] {1}, Tensor.of(new float[] {5}).shape());
        assertArrayEquals(new int[] {}, Tensor.of(new float[] {5}, new int[0]).shape());
        assertArrayEquals(new int[] {}, Tensor.scalar(5).shape());
        assertArrayEquals(new int[] {0}, Tensor.of(new float[0]).shape());
        Tensor d = Tensor.of(0.5, -1.0);
        assertArrayEquals(new int[] {2}, d.shape());
        assertEquals(DType.FLOAT64, d.dtype());
        // a shape still works and is still checked
        assertArrayEquals(new int[] {2, 1}, Tensor.of(new double[] {1, 2}, 2, 1).shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.of(new float[] {1, 2, 3}, 2, 2));
        assertTrue(e.getMessage().contains("shape '[2, 2]' is invalid for input of size 3")
                || e.getMessage().contains("is invalid for input of size 3"), e.getMessage());
    }

    @Test
    void ofWithADtypeConvertsAsToDoes() {
        double[] v = {1.7, -1.7, 0.1, 1e300};
        for (DType dt : DType.values()) {
            Tensor t = Tensor.of(v, dt);
            assertEquals(dt, t.dtype());
            assertArrayEquals(new int[] {4}, t.shape());
            // the reference is the cast op, whose conversions are checked against PyTorch elsewhere
            assertArrayEquals(Tensor.of(v).to(dt).toDoubleArray(), t.toDoubleArray(), 0.0, dt.toString());
        }
        assertArrayEquals(new double[] {1, -1, 0}, Tensor.of(new double[] {1.7, -1.7, 0.1}, DType.INT64).toDoubleArray(),
                0.0, "torch.tensor([1.7, -1.7, 0.1], dtype=torch.int64) is tensor([ 1, -1,  0])");
        assertEquals((float) 0.1, Tensor.of(new double[] {0.1}, DType.FLOAT32).toArray()[0]);
        Tensor copy = Tensor.of(v, DType.FLOAT64);
        v[0] = 42;
        assertEquals(1.7, copy.toDoubleArray()[0], "of copies its input");
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(v, (DType) null));
        assertThrows(IllegalArgumentException.class, () -> Tensor.of((double[]) null, DType.FLOAT32));
    }
}
