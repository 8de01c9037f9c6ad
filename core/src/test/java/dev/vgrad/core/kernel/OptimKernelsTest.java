package dev.vgrad.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Parity of the SIMD and scalar optimizer kernels (bit-identical on sizes that hit every tail), and
 * thread-count independence of the chunked entry points.
 */
class OptimKernelsTest {
    private static final int[] SIZES = {1, 7, 15, 16, 17, 31, 33, 1021, 4099};
    private static final int OFF = 3;

    private static float[] rand(Random r, int n, boolean positive) {
        float[] a = new float[n + OFF];
        for (int i = 0; i < a.length; i++) {
            float x = (float) r.nextGaussian();
            a[i] = positive ? x * x : x;
        }
        if (n > 2 && !positive) {
            a[OFF] = 0f;
            a[OFF + 1] = -0f;
        }
        return a;
    }

    private static void assertBits(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                throw new AssertionError(what + ": index " + i + " scalar " + expected[i] + " simd " + actual[i]);
            }
        }
    }

    private static float[] copy(float[] a) {
        return a == null ? null : a.clone();
    }

    @Test
    void adamParity() {
        Random r = new Random(42);
        for (int n : SIZES) {
            for (int variant = 0; variant < 8; variant++) {
                boolean maximize = (variant & 1) != 0;
                boolean amsgrad = (variant & 2) != 0;
                boolean decoupled = (variant & 4) != 0;
                float[] p = rand(r, n, false);
                float[] g = rand(r, n, false);
                float[] m = rand(r, n, false);
                float[] v = rand(r, n, true);
                float[] vmax = amsgrad ? rand(r, n, true) : null;
                float wd = decoupled ? 0f : 0.05f;
                float decay = decoupled ? (float) (1 - 0.1 * 0.01) : 1f;
                float[][] a = {copy(p), copy(m), copy(v), copy(vmax)};
                float[][] b = {copy(p), copy(m), copy(v), copy(vmax)};
                OptimKernels.adamScalar(a[0], OFF, g, OFF, a[1], OFF, a[2], OFF, a[3], OFF, n, 0.9f, 0.1f, 0.999f,
                        (float) (1 - 0.999), wd, decay, (float) Math.sqrt(1 - Math.pow(0.999, 3)), 1e-8f,
                        (float) (-0.1 / (1 - Math.pow(0.9, 3))), maximize);
                SimdOptimKernels.adam(b[0], OFF, g, OFF, b[1], OFF, b[2], OFF, b[3], OFF, n, 0.9f, 0.1f, 0.999f,
                        (float) (1 - 0.999), wd, decay, (float) Math.sqrt(1 - Math.pow(0.999, 3)), 1e-8f,
                        (float) (-0.1 / (1 - Math.pow(0.9, 3))), maximize);
                String what = "adam n=" + n + " variant=" + variant;
                assertBits(a[0], b[0], what + " p");
                assertBits(a[1], b[1], what + " m");
                assertBits(a[2], b[2], what + " v");
                if (amsgrad) {
                    assertBits(a[3], b[3], what + " vmax");
                }
                assertEquals(p[0], b[0][0], "elements before the offset are untouched");
            }
        }
    }

    @Test
    void sgdParity() {
        Random r = new Random(7);
        for (int n : SIZES) {
            for (int variant = 0; variant < 16; variant++) {
                boolean maximize = (variant & 1) != 0;
                boolean withBuf = (variant & 2) != 0;
                boolean nesterov = (variant & 4) != 0;
                boolean first = (variant & 8) != 0;
                float[] p = rand(r, n, false);
                float[] g = rand(r, n, false);
                float[] buf = withBuf ? rand(r, n, false) : null;
                float[] pa = p.clone();
                float[] pb = p.clone();
                float[] ba = copy(buf);
                float[] bb = copy(buf);
                OptimKernels.sgdScalar(pa, OFF, g, OFF, ba, OFF, n, -0.05f, 0.01f, 0.9f, 0.7f, nesterov, maximize,
                        first);
                SimdOptimKernels.sgd(pb, OFF, g, OFF, bb, OFF, n, -0.05f, 0.01f, 0.9f, 0.7f, nesterov, maximize,
                        first);
                assertBits(pa, pb, "sgd p n=" + n + " variant=" + variant);
                if (withBuf) {
                    assertBits(ba, bb, "sgd buf n=" + n + " variant=" + variant);
                }
            }
        }
    }

    @Test
    void rmspropParity() {
        Random r = new Random(11);
        for (int n : SIZES) {
            for (int variant = 0; variant < 8; variant++) {
                boolean maximize = (variant & 1) != 0;
                boolean centered = (variant & 2) != 0;
                boolean momentum = (variant & 4) != 0;
                float[] p = rand(r, n, false);
                float[] g = rand(r, n, false);
                float[] sq = rand(r, n, true);
                // keep s - a^2 >= 0 for the centered variant, as the recursion guarantees
                float[] ga = centered ? new float[n + OFF] : null;
                float[] buf = momentum ? rand(r, n, false) : null;
                float[][] a = {p.clone(), sq.clone(), copy(ga), copy(buf)};
                float[][] b = {p.clone(), sq.clone(), copy(ga), copy(buf)};
                OptimKernels.rmspropScalar(a[0], OFF, g, OFF, a[1], OFF, a[2], OFF, a[3], OFF, n, 0.99f,
                        (float) (1 - 0.99), 1e-8f, 0.1f, 0.9f, -0.01f, maximize);
                SimdOptimKernels.rmsprop(b[0], OFF, g, OFF, b[1], OFF, b[2], OFF, b[3], OFF, n, 0.99f,
                        (float) (1 - 0.99), 1e-8f, 0.1f, 0.9f, -0.01f, maximize);
                for (int k = 0; k < 4; k++) {
                    if (a[k] != null) {
                        assertBits(a[k], b[k], "rmsprop n=" + n + " variant=" + variant + " array " + k);
                    }
                }
            }
        }
    }

    @Test
    void adagradParity() {
        Random r = new Random(13);
        for (int n : SIZES) {
            for (int variant = 0; variant < 4; variant++) {
                boolean maximize = (variant & 1) != 0;
                float wd = (variant & 2) != 0 ? 0.1f : 0f;
                float[] p = rand(r, n, false);
                float[] g = rand(r, n, false);
                float[] s = rand(r, n, true);
                float[] pa = p.clone();
                float[] pb = p.clone();
                float[] sa = s.clone();
                float[] sb = s.clone();
                OptimKernels.adagradScalar(pa, OFF, g, OFF, sa, OFF, n, 1e-10f, wd, -0.1f, maximize);
                SimdOptimKernels.adagrad(pb, OFF, g, OFF, sb, OFF, n, 1e-10f, wd, -0.1f, maximize);
                assertBits(pa, pb, "adagrad p n=" + n);
                assertBits(sa, sb, "adagrad sum n=" + n);
            }
        }
    }

    @Test
    void amsgradMaxPropagatesNaN() {
        float[] p = {1f, 1f};
        float[] g = {1f, 1f};
        float[] m = {0f, 0f};
        float[] v = {Float.NaN, 0f};
        float[] vmax = {0f, Float.NaN};
        OptimKernels.adam(p, 0, g, 0, m, 0, v, 0, vmax, 0, 2, 0.9f, 0.1f, 0.999f, 0.001f, 0f, 1f, 1f, 1e-8f, -0.1f,
                false);
        assertTrue(Float.isNaN(vmax[0]) && Float.isNaN(vmax[1]), Arrays.toString(vmax));
    }

    @Test
    void chunkedUpdateIsIndependentOfThreadCount() {
        int n = 3 * OptimKernels.CHUNK + 12345;
        Random r = new Random(99);
        float[] p = rand(r, n, false);
        float[] g = rand(r, n, false);
        float[] m = rand(r, n, false);
        float[] v = rand(r, n, true);
        int saved = Parallel.numThreads();
        float[][] results = new float[2][];
        double[] norms = new double[2];
        try {
            for (int t = 1; t <= 2; t++) {
                Parallel.setNumThreads(t);
                float[] pc = p.clone();
                OptimKernels.adam(pc, OFF, g, OFF, m.clone(), OFF, v.clone(), OFF, null, 0, n, 0.9f, 0.1f, 0.999f,
                        0.001f, 0f, 1f, 0.5f, 1e-8f, -0.01f, false);
                // the chunked result equals one scalar pass over the whole array
                if (t == 1) {
                    float[] ref = p.clone();
                    OptimKernels.adamScalar(ref, OFF, g, OFF, m.clone(), OFF, v.clone(), OFF, null, 0, n, 0.9f, 0.1f,
                            0.999f, 0.001f, 0f, 1f, 0.5f, 1e-8f, -0.01f, false);
                    assertBits(ref, pc, "chunked vs single pass");
                }
                results[t - 1] = pc;
                norms[t - 1] = OptimKernels.sumOfSquares(g, OFF, n);
            }
        } finally {
            Parallel.setNumThreads(saved);
        }
        assertArrayEquals(results[0], results[1]);
        assertEquals(norms[0], norms[1], 0.0);
        double ref = 0;
        for (int i = 0; i < n; i++) {
            ref += (double) g[OFF + i] * g[OFF + i];
        }
        assertEquals(ref, norms[0], 1e-5 * ref);
    }

    @Test
    void float64KernelsMatchFormulas() {
        double[] p = {1.0, -2.0};
        double[] g = {0.5, 0.25};
        double[] m = new double[2];
        double[] v = new double[2];
        OptimKernels.adam(p, 0, g, 0, m, 0, v, 0, null, 0, 2, 0.9, 0.1, 0.999, 0.001, 0, 1, Math.sqrt(0.001), 1e-8,
                -0.1 / 0.1, false);
        // first Adam step moves each coordinate by lr·sign(g) (up to eps)
        assertEquals(0.9, p[0], 1e-6);
        assertEquals(-2.1, p[1], 1e-6);
        double[] s = {0, 0};
        double[] q = {1.0, 1.0};
        OptimKernels.adagrad(q, 0, g, 0, s, 0, 2, 1e-10, 0, -0.1, false);
        assertEquals(0.9, q[0], 1e-9);
        assertEquals(0.25 * 0.25, s[1], 0);
    }
}
