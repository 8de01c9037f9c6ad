package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import org.junit.jupiter.api.Test;

/**
 * int64 matmul (docs/SEMANTICS.md §11) over random shapes and operand layouts: with small integers every product
 * and sum is exact in float64 too, so the int64 result must equal the float64 matmul of the same values, whatever
 * the views (transposed, batch-broadcast) the operands come as. PyTorch's values and refusals are in
 * int_ops.json (IntOpsConformanceTest).
 */
class IntMatmulTest {
    @Test
    void equalsTheExactFloat64Product() {
        qt().withExamples(60).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int m = (int) g.nextLong(6);
            int k = (int) g.nextLong(6);
            int n = (int) g.nextLong(6);
            int batch = 1 + (int) g.nextLong(3);
            Tensor a = ints(g, batch, m, k);
            Tensor b = g.nextLong(2) == 0 ? ints(g, k, n) : ints(g, n, k).transpose(0, 1);
            if (g.nextLong(2) == 0) {
                a = ints(g, batch, k, m).transpose(1, 2);
            }
            String at = "a " + TestTensors.str(a.shape()) + " b " + TestTensors.str(b.shape()) + " seed " + seed;
            Tensor y = a.matmul(b);
            Tensor want = a.to(DType.FLOAT64).matmul(b.to(DType.FLOAT64));
            assertEquals(DType.INT64, y.dtype(), at);
            // (batch, m, k)·(k, n) is (batch, m, n), zeros when k = 0 (the folded path once lost the rows there)
            assertArrayEquals(new int[] {batch, m, n}, y.shape(), at);
            assertArrayEquals(new int[] {batch, m, n}, want.shape(), at);
            double[] w = want.toDoubleArray();
            long[] got = y.toLongArray();
            for (int i = 0; i < w.length; i++) {
                assertEquals((long) w[i], got[i], at + " [" + i + "]");
            }
        });
    }

    private static Tensor ints(Generator g, int... shape) {
        long[] v = new long[Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = g.nextLong(201) - 100;
        }
        return Tensor.ofLongs(v, shape);
    }
}
