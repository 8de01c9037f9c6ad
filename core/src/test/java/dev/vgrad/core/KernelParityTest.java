package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.kernel.BinaryOp;
import dev.vgrad.core.kernel.KernelProvider;
import dev.vgrad.core.kernel.Kernels;
import dev.vgrad.core.kernel.UnaryOp;
import org.junit.jupiter.api.Test;

/**
 * The active kernels ({@code KernelProvider.kernels()}, SIMD unless -Dvgrad.simd=false) against the scalar
 * reference on sizes that hit every vector tail, with non-zero offsets. Bit-identical except for the
 * transcendental unary ops, which agree within a few ulps (Kernels Javadoc).
 */
class KernelParityTest {
    private static final int[] SIZES = {1, 7, 15, 16, 17, 31, 33, 1021, 4099};
    private static final int OFF = 3;

    private final Kernels ref = KernelProvider.scalar();
    private final Kernels act = KernelProvider.kernels();

    private static float[] data(long seed, int n, float lo, float hi) {
        Generator g = new Generator(seed);
        float[] d = new float[n + 2 * OFF];
        for (int i = 0; i < d.length; i++) {
            d[i] = lo + (hi - lo) * g.nextFloat();
        }
        return d;
    }

    private static void bitEqual(float[] e, float[] a, String what) {
        for (int i = 0; i < e.length; i++) {
            if (Float.floatToIntBits(e[i]) != Float.floatToIntBits(a[i])) {
                throw new AssertionError(what + ": index " + i + " scalar " + e[i] + " vs active " + a[i]);
            }
        }
    }

    private static void close(float[] e, float[] a, double atol, double rtol, String what) {
        for (int i = 0; i < e.length; i++) {
            boolean ok = Float.isNaN(e[i]) ? Float.isNaN(a[i]) : Math.abs(e[i] - a[i]) <= atol + rtol * Math.abs(e[i]);
            if (!ok) {
                throw new AssertionError(what + ": index " + i + " expected " + e[i] + " got " + a[i]);
            }
        }
    }

    private static void ulpClose(float[] e, float[] a, int ulps, String what) {
        for (int i = 0; i < e.length; i++) {
            boolean ok = Float.isNaN(e[i]) ? Float.isNaN(a[i])
                    : e[i] == a[i] || Math.abs(e[i] - a[i]) <= ulps * Math.max(Math.ulp(e[i]), Float.MIN_NORMAL);
            if (!ok) {
                throw new AssertionError(what + ": index " + i + " scalar " + e[i] + " vs active " + a[i]);
            }
        }
    }

    @Test
    void binary() {
        for (int n : SIZES) {
            float[] a = data(n, n, -3, 3);
            float[] b = data(n + 1, n, 0.25f, 3);
            a[OFF] = Float.NaN;
            for (BinaryOp op : BinaryOp.values()) {
                for (int bStride : new int[] {1, 0}) {
                    for (int aStride : new int[] {1, 0, 2}) {
                        int need = aStride == 2 ? 2 * n + OFF : 0;
                        float[] aa = aStride == 2 ? data(n + 7, need, -3, 3) : a;
                        float[] e = new float[n + OFF];
                        float[] r = new float[n + OFF];
                        ref.binary(op, aa, OFF, aStride, b, OFF, bStride, e, OFF, n);
                        act.binary(op, aa, OFF, aStride, b, OFF, bStride, r, OFF, n);
                        String what = op + " n=" + n + " strides " + aStride + "," + bStride;
                        if (op == BinaryOp.POW) {
                            ulpClose(e, r, 2, what);
                        } else {
                            bitEqual(e, r, what);
                        }
                    }
                }
            }
        }
    }

    @Test
    void unaryAndBackward() {
        for (int n : SIZES) {
            for (UnaryOp op : UnaryOp.values()) {
                boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RECIPROCAL
                        || op == UnaryOp.POW_SCALAR;
                float[] x = data(31L * n + op.ordinal(), n, positive ? 0.1f : -4, 4);
                float alpha = op == UnaryOp.POW_SCALAR ? 1.5f : 0.1f;
                float[] e = new float[n + OFF];
                float[] r = new float[n + OFF];
                ref.unary(op, x, OFF, e, OFF, n, alpha);
                act.unary(op, x, OFF, r, OFF, n, alpha);
                String what = op + " n=" + n;
                if (op.forwardLoop().withinUlps) {
                    for (int i = OFF; i < OFF + n; i++) {
                        if (!UlpBounds.forwardClose(op, e[i], r[i])) {
                            throw new AssertionError(what + ": index " + i + " scalar " + e[i] + " vs active " + r[i]);
                        }
                    }
                } else {
                    bitEqual(e, r, what);
                }
                // backward with y from the reference forward, so only the backward kernels are compared
                float[] y = new float[n + 2 * OFF];
                ref.unary(op, x, OFF, y, OFF, n, alpha);
                float[] g = data(7L * n, n, -2, 2);
                float[] eb = new float[n + OFF];
                float[] rb = new float[n + OFF];
                ref.unaryBackward(op, x, OFF, y, OFF, g, OFF, eb, OFF, n, alpha);
                act.unaryBackward(op, x, OFF, y, OFF, g, OFF, rb, OFF, n, alpha);
                if (op.backwardLoop().withinUlps) {
                    for (int i = 0; i < n; i++) {
                        if (!UlpBounds.backwardClose(op, x[OFF + i], g[OFF + i], eb[OFF + i], rb[OFF + i])) {
                            throw new AssertionError(op + " backward n=" + n + ": index " + i + " x " + x[OFF + i]
                                    + " scalar " + eb[OFF + i] + " vs active " + rb[OFF + i]);
                        }
                    }
                } else {
                    bitEqual(eb, rb, op + " backward n=" + n);
                }
            }
        }
    }

    @Test
    void clampAffineAxpy() {
        for (int n : SIZES) {
            float[] x = data(n, n, -3, 3);
            x[OFF + n / 2] = Float.NaN;
            float[] e = new float[n + OFF];
            float[] r = new float[n + OFF];
            ref.clamp(x, OFF, e, OFF, n, -1, 1.5f);
            act.clamp(x, OFF, r, OFF, n, -1, 1.5f);
            bitEqual(e, r, "clamp n=" + n);
            ref.affine(x, OFF, e, OFF, n, 1.7f, -0.3f);
            act.affine(x, OFF, r, OFF, n, 1.7f, -0.3f);
            bitEqual(e, r, "affine n=" + n);
            float[] ye = data(n + 5, n, -1, 1);
            float[] yr = ye.clone();
            ref.axpy(0.37f, x, OFF, ye, OFF, n);
            act.axpy(0.37f, x, OFF, yr, OFF, n);
            bitEqual(ye, yr, "axpy n=" + n);
        }
    }

    @Test
    void reductions() {
        for (int n : SIZES) {
            float[] x = data(n, n, -3, 3);
            float[] y = data(n + 9, n, -3, 3);
            assertEquals(Float.floatToIntBits(ref.sum(x, OFF, n)), Float.floatToIntBits(act.sum(x, OFF, n)), "sum n=" + n);
            assertEquals(Float.floatToIntBits(ref.dot(x, OFF, y, OFF, n)), Float.floatToIntBits(act.dot(x, OFF, y, OFF, n)),
                    "dot n=" + n);
            assertEquals(ref.max(x, OFF, n), act.max(x, OFF, n), "max n=" + n);
            assertEquals(ref.min(x, OFF, n), act.min(x, OFF, n), "min n=" + n);
            float[] z = x.clone();
            z[OFF + n - 1] = Float.NaN;
            assertTrue(Float.isNaN(act.max(z, OFF, n)) && Float.isNaN(ref.max(z, OFF, n)), "max NaN n=" + n);
            assertTrue(Float.isNaN(act.min(z, OFF, n)) && Float.isNaN(ref.min(z, OFF, n)), "min NaN n=" + n);
            // the blocked sum order is the documented one: 16 lane partials, pairwise, then the tail
            double exact = 0;
            for (int i = 0; i < n; i++) {
                exact += x[OFF + i];
            }
            assertEquals(exact, act.sum(x, OFF, n), 1e-4 * n, "sum accuracy n=" + n);
            assertEquals(Float.floatToIntBits(ref.centeredDot(x, OFF, 0.25f, y, OFF, -0.5f, n)),
                    Float.floatToIntBits(act.centeredDot(x, OFF, 0.25f, y, OFF, -0.5f, n)), "centeredDot n=" + n);
            double exactDev = 0;
            for (int i = 0; i < n; i++) {
                exactDev += ((double) x[OFF + i] - 0.25) * ((double) y[OFF + i] + 0.5);
            }
            assertEquals(exactDev, act.centeredDot(x, OFF, 0.25f, y, OFF, -0.5f, n), 1e-4 * n, "centeredDot accuracy n=" + n);
            float[] both = new float[2];
            act.sumAndCenteredDot(x, OFF, y, OFF, -0.5f, n, both);
            assertEquals(Float.floatToIntBits(ref.sum(x, OFF, n)), Float.floatToIntBits(both[0]), "fused sum n=" + n);
            assertEquals(Float.floatToIntBits(ref.centeredDot(x, OFF, 0f, y, OFF, -0.5f, n)),
                    Float.floatToIntBits(both[1]), "fused centeredDot n=" + n);
        }
    }

    /**
     * The row-batched reductions of batch norm: every row bit-identical to the scalar single-row kernel, for row
     * counts that leave remainders after the kernels' groups of 2 and 4, strides that are not multiples of a
     * vector, and lengths that hit every tail.
     */
    @Test
    void rowBatchedReductions() {
        for (int n : new int[] {1, 15, 16, 17, 49, 196, 256}) {
            for (int rows : new int[] {1, 2, 3, 4, 5, 9}) {
                int stride = n + 5;
                float[] x = data(31L * n + rows, rows * stride, -3, 3);
                float[] g = data(37L * n + rows, rows * stride, -2, 2);
                float[] sums = new float[rows];
                float[] squares = new float[rows];
                float[] pairs = new float[2 * rows];
                act.sumRows(x, OFF, stride, rows, n, sums);
                act.centeredSquareRows(x, OFF, stride, rows, n, 0.3f, squares);
                act.sumAndCenteredDotRows(g, OFF, x, OFF, stride, rows, n, 0.3f, pairs);
                float[] one = new float[2];
                for (int r = 0; r < rows; r++) {
                    int o = OFF + r * stride;
                    String at = " n=" + n + " rows=" + rows + " row " + r;
                    assertEquals(Float.floatToIntBits(ref.sum(x, o, n)), Float.floatToIntBits(sums[r]), "sumRows" + at);
                    assertEquals(Float.floatToIntBits(ref.centeredDot(x, o, 0.3f, x, o, 0.3f, n)),
                            Float.floatToIntBits(squares[r]), "centeredSquareRows" + at);
                    ref.sumAndCenteredDot(g, o, x, o, 0.3f, n, one);
                    assertEquals(Float.floatToIntBits(one[0]), Float.floatToIntBits(pairs[2 * r]), "rows sum" + at);
                    assertEquals(Float.floatToIntBits(one[1]), Float.floatToIntBits(pairs[2 * r + 1]), "rows dot" + at);
                }
            }
        }
    }

    @Test
    void batchNormGrad() {
        for (int n : SIZES) {
            float[] g = data(n, n, -2, 2);
            float[] x = data(n + 1, n, -3, 3);
            float[] e = new float[n + OFF];
            float[] r = new float[n + OFF];
            ref.batchNormGrad(g, OFF, x, OFF, e, OFF, n, 0.1f, 0.7f, -0.2f, 1.3f);
            act.batchNormGrad(g, OFF, x, OFF, r, OFF, n, 0.1f, 0.7f, -0.2f, 1.3f);
            bitEqual(e, r, "batchNormGrad n=" + n);
            for (int i = 0; i < n; i++) {
                double want = (g[OFF + i] - (x[OFF + i] - 0.1) * 0.7 - -0.2) * 1.3;
                assertEquals(want, r[OFF + i], 1e-5 * (1 + Math.abs(want)), "batchNormGrad value n=" + n);
            }
        }
    }

    @Test
    void softmaxRows() {
        for (int cols : SIZES) {
            int rows = 3;
            float[] x = data(cols, rows * cols, -5, 5);
            float[] e = new float[rows * cols + OFF];
            float[] r = new float[rows * cols + OFF];
            for (boolean log : new boolean[] {false, true}) {
                ref.softmaxRows(x, OFF, e, OFF, rows, cols, log);
                act.softmaxRows(x, OFF, r, OFF, rows, cols, log);
                // vector exp and float sums versus the scalar double path: close, not bit-equal
                close(e, r, 1e-6, 1e-5, "softmax log=" + log + " cols=" + cols);
                float[] g = data(cols + 3, rows * cols, -1, 1);
                float[] eb = new float[rows * cols + OFF];
                float[] rb = new float[rows * cols + OFF];
                ref.softmaxBackwardRows(e, OFF, g, OFF, eb, OFF, rows, cols, log);
                act.softmaxBackwardRows(e, OFF, g, OFF, rb, OFF, rows, cols, log);
                close(eb, rb, 1e-6, 1e-5, "softmax backward log=" + log + " cols=" + cols);
            }
        }
        // the active kernel equals its own definition built from the active max, exp and sum kernels bit for bit;
        // rows shorter than a vector and the scalar kernels take the double-precision path instead
        for (int cols : KernelProvider.simdEnabled() ? new int[] {16, 17, 31, 33, 1021, 4099} : new int[0]) {
            int rows = 2;
            float[] x = data(7L * cols, rows * cols, -6, 6);
            for (boolean log : new boolean[] {false, true}) {
                float[] got = new float[rows * cols + OFF];
                act.softmaxRows(x, OFF, got, OFF, rows, cols, log);
                for (int r = 0; r < rows; r++) {
                    int o = OFF + r * cols;
                    float m = act.max(x, o, cols);
                    float[] shifted = new float[cols];
                    for (int i = 0; i < cols; i++) {
                        shifted[i] = x[o + i] - m;
                    }
                    float[] ex = new float[cols];
                    act.unary(UnaryOp.EXP, shifted, 0, ex, 0, cols, 0f);
                    float s = act.sum(ex, 0, cols);
                    float[] want = new float[cols];
                    float[] have = java.util.Arrays.copyOfRange(got, o, o + cols);
                    for (int i = 0; i < cols; i++) {
                        want[i] = log ? x[o + i] - (m + (float) Math.log(s)) : ex[i] * (1f / s);
                    }
                    bitEqual(want, have, "softmax by definition log=" + log + " cols=" + cols + " row " + r);
                }
            }
        }
        // stable: no overflow, and a row of -inf gives NaN
        float[] big = {1000, 1001, 1002};
        float[] out = new float[3];
        act.softmaxRows(big, 0, out, 0, 1, 3, false);
        assertArrayEquals(new float[] {0.0900306f, 0.2447285f, 0.6652409f}, out, 1e-6f);
        float[] ninf = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        float[] o2 = new float[2];
        act.softmaxRows(ninf, 0, o2, 0, 1, 2, false);
        assertTrue(Float.isNaN(o2[0]) && Float.isNaN(o2[1]));
    }
}
