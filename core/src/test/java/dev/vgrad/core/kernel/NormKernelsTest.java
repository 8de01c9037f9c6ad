package dev.vgrad.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vgrad.core.testing.SeededCases;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link NormKernels}: the SIMD loops give the scalar loops' bits (both sum in the same eight fixed chains), over
 * row lengths that hit every tail (1 to 9, 15 to 17, 63 to 65, 128, 130), with and without weight and bias, and
 * with the input gradient written over the output gradient; and both agree with the formulas evaluated with one
 * double chain per sum (docs/SEMANTICS.md §3.7) to float rounding.
 */
class NormKernelsTest {
    private static final int[] D = {1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 128, 130};

    private static float[] rnd(Random r, int n, double scale, double shift) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (shift + scale * r.nextGaussian());
        }
        return a;
    }

    private static void bitEqual(float[] a, float[] b, String what) {
        for (int i = 0; i < a.length; i++) {
            assertEquals(Float.floatToIntBits(a[i]), Float.floatToIntBits(b[i]),
                    what + " at " + i + ": " + a[i] + " vs " + b[i]);
        }
    }

    @Test
    void simdIsBitIdenticalToScalarAndMatchesTheFormulas() {
        SeededCases.check("layer norm kernels simd = scalar", 4101, 80, seed -> {
            Random r = new Random(seed);
            int d = D[r.nextInt(D.length)];
            int rows = 1 + r.nextInt(5);
            int off = r.nextInt(3);
            boolean hasW = r.nextBoolean();
            boolean hasB = r.nextBoolean();
            boolean inPlace = r.nextBoolean();
            // a large common offset makes the centred sums matter
            float[] x = rnd(r, off + rows * d, 1 + 3 * r.nextDouble(), r.nextBoolean() ? 0 : 50);
            float[] g = rnd(r, off + rows * d, 1, 0);
            float[] w = hasW ? rnd(r, d, 1, 1) : null;
            float[] b = hasB ? rnd(r, d, 1, 0) : null;
            double eps = 1e-5;
            String what = "seed " + seed + " d" + d + " rows" + rows + " off" + off + " w " + hasW + " b " + hasB
                    + " inPlace " + inPlace;
            float[][] y = new float[2][], gx = new float[2][];
            double[][] mean = new double[2][], rstd = new double[2][], accW = new double[2][], accB = new double[2][];
            for (int p = 0; p < 2; p++) {
                boolean simd = p == 1;
                y[p] = new float[off + rows * d];
                mean[p] = new double[rows + 1];
                rstd[p] = new double[rows + 1];
                NormKernels.layerNormForward(simd, x, off, y[p], off, rows, d, w, b, eps, mean[p], rstd[p], 1);
                float[] gCopy = g.clone();
                gx[p] = inPlace ? gCopy : new float[off + rows * d];
                accW[p] = hasW ? new double[d] : null;
                accB[p] = hasB ? new double[d] : null;
                NormKernels.layerNormBackward(simd, x, off, gCopy, off, gx[p], off, rows, d, w, mean[p], rstd[p], 1,
                        accW[p], accB[p]);
            }
            bitEqual(y[0], y[1], what + " y");
            bitEqual(gx[0], gx[1], what + " gx");
            assertEquals(Arrays.toString(mean[0]), Arrays.toString(mean[1]), what + " mean");
            assertEquals(Arrays.toString(rstd[0]), Arrays.toString(rstd[1]), what + " rstd");
            assertEquals(Arrays.toString(accW[0]), Arrays.toString(accW[1]), what + " dw");
            assertEquals(Arrays.toString(accB[0]), Arrays.toString(accB[1]), what + " db");
            // reference: the formulas with one chain per sum
            for (int row = 0; row < rows; row++) {
                int o = off + row * d;
                double s = 0;
                for (int j = 0; j < d; j++) {
                    s += x[o + j];
                }
                double mu = s / d;
                double v = 0;
                for (int j = 0; j < d; j++) {
                    v += (x[o + j] - mu) * (x[o + j] - mu);
                }
                double inv = 1 / Math.sqrt(v / d + eps);
                double sg = 0;
                double sgx = 0;
                for (int j = 0; j < d; j++) {
                    double gh = g[o + j] * (hasW ? w[j] : 1.0);
                    sg += gh;
                    sgx += gh * (x[o + j] - mu) * inv;
                }
                for (int j = 0; j < d; j++) {
                    double xh = (x[o + j] - mu) * inv;
                    double want = xh * (hasW ? w[j] : 1) + (hasB ? b[j] : 0);
                    assertEquals(want, y[0][o + j], 2e-6 * (1 + Math.abs(want)), what + " y ref " + row + "," + j);
                    double gh = g[o + j] * (hasW ? w[j] : 1.0);
                    double wantG = inv * (gh - sg / d - xh * sgx / d);
                    assertEquals(wantG, gx[0][o + j], 1e-5 * (1 + Math.abs(wantG)) * Math.max(1, inv),
                            what + " gx ref " + row + "," + j);
                }
            }
        });
    }
}
