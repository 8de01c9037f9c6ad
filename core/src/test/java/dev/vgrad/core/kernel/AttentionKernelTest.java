package dev.vgrad.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.testing.SeededCases;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link AttentionKernel}: the Vector API loops agree with the scalar loops within float32 rounding (their
 * summation orders differ, so not bit for bit), over sizes that hit every vector tail (d, dv in 1, 7, 15, 16, 17,
 * 31, 33) and block edges (T around 32 and 64); the float32 result agrees with the float64 kernel; short arrays
 * are refused before any index is read.
 */
class AttentionKernelTest {
    private static final int[] SIZES = {1, 2, 7, 15, 16, 17, 31, 33, 63, 64, 65, 100};

    private static float[] rnd(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    private static void close(float[] want, float[] got, double tol, String what) {
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], tol * (1 + Math.abs(want[i])), what + " at " + i);
        }
    }

    @Test
    void simdAgreesWithScalarAndFloat64() {
        SeededCases.check("attention simd = scalar", 2201, 60, seed -> {
            Random r = new Random(seed);
            int bh = 1 + r.nextInt(3);
            int tq = SIZES[r.nextInt(SIZES.length)], tk = SIZES[r.nextInt(SIZES.length)];
            int d = SIZES[r.nextInt(10)], dv = SIZES[r.nextInt(10)]; // up to 64: whole 16×16 transpose tiles
            boolean causal = r.nextBoolean();
            boolean masked = !causal && r.nextBoolean();
            float[] mask = masked ? rnd(r, tq * tk) : null;
            int[] moff = masked ? new int[bh] : null;
            AttentionKernel.Geometry g = new AttentionKernel.Geometry(bh, tq, tk, d, dv, causal, moff, tk, 1);
            float[] q = rnd(r, bh * tq * d), k = rnd(r, bh * tk * d), v = rnd(r, bh * tk * dv);
            float[] go = rnd(r, bh * tq * dv);
            float scale = (float) (1 / Math.sqrt(d));
            float[][] res = new float[2][];
            float[][][] grads = new float[2][][];
            for (int p = 0; p < 2; p++) {
                float[] out = new float[bh * tq * dv], lse = new float[bh * tq];
                float[] gq = new float[q.length], gk = new float[k.length], gv = new float[v.length];
                AttentionKernel.forward(q, k, v, mask, out, lse, g, scale, p == 1 && KernelProvider.simdEnabled());
                AttentionKernel.backward(q, k, v, mask, out, lse, go, gq, gk, gv, g, scale, p == 1 && KernelProvider.simdEnabled());
                res[p] = out;
                grads[p] = new float[][] {gq, gk, gv};
            }
            String what = "seed " + seed + " bh" + bh + " tq" + tq + " tk" + tk + " d" + d + " dv" + dv + " causal "
                    + causal + " masked " + masked;
            close(res[0], res[1], 1e-4, what + " out");
            for (int i = 0; i < 3; i++) {
                close(grads[0][i], grads[1][i], 2e-4 * Math.sqrt(Math.max(tq, tk)), what + " grad " + i);
            }
            // float64 reference
            double[] out64 = new double[bh * tq * dv], lse64 = new double[bh * tq];
            AttentionKernel.forward(dbl(q), dbl(k), dbl(v), mask == null ? null : dbl(mask), out64, lse64, g, scale);
            for (int i = 0; i < out64.length; i++) {
                assertEquals(out64[i], res[KernelProvider.simdEnabled() ? 1 : 0][i], 1e-4 * (1 + Math.abs(out64[i])),
                        what + " float64 at " + i);
            }
        });
    }

    private static double[] dbl(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /**
     * Rows read and written in place: q, k and v as head views of one (B, T, 3·H·d) array, the output, its gradient
     * and the input gradients in (B, T, H, ·) order, give the dense layout's values bit for bit (the same
     * arithmetic at other addresses) and write every element of their rows (outputs start as NaN).
     */
    @Test
    void stridedRowsGiveTheDenseResultBitForBit() {
        SeededCases.check("attention strided rows = dense", 2207, 40, seed -> {
            Random r = new Random(seed);
            int b = 1 + r.nextInt(2), h = 1 + r.nextInt(3), t = SIZES[r.nextInt(SIZES.length)];
            int d = SIZES[r.nextInt(10)];
            boolean causal = r.nextBoolean();
            boolean simd = r.nextBoolean() && KernelProvider.simdEnabled();
            int bh = b * h, c = h * d;
            AttentionKernel.Geometry g = new AttentionKernel.Geometry(bh, t, t, d, d, causal, null, 0, 0);
            float[] qkv = rnd(r, b * t * 3 * c), go = rnd(r, b * t * c);
            // the dense operands: slice s = (bi, hi), row i = qkv[bi, i, part·c + hi·d …]
            float[][] dense = new float[3][bh * t * d];
            float[] goDense = new float[bh * t * d];
            int[][] base = new int[3][bh];
            int[] headBase = new int[bh];
            for (int s = 0; s < bh; s++) {
                int bi = s / h, hi = s % h;
                headBase[s] = bi * t * c + hi * d;
                for (int part = 0; part < 3; part++) {
                    base[part][s] = bi * t * 3 * c + part * c + hi * d;
                    for (int i = 0; i < t; i++) {
                        System.arraycopy(qkv, base[part][s] + i * 3 * c, dense[part], (s * t + i) * d, d);
                    }
                }
                for (int i = 0; i < t; i++) {
                    System.arraycopy(go, headBase[s] + i * c, goDense, (s * t + i) * d, d);
                }
            }
            float scale = (float) (1 / Math.sqrt(d));
            float[] out = new float[bh * t * d], lse = new float[bh * t];
            float[] gq = new float[bh * t * d], gk = new float[bh * t * d], gv = new float[bh * t * d];
            AttentionKernel.forward(dense[0], dense[1], dense[2], null, out, lse, g, scale, simd);
            AttentionKernel.backward(dense[0], dense[1], dense[2], null, out, lse, goDense, gq, gk, gv, g, scale,
                    simd);

            AttentionKernel.Rows heads = new AttentionKernel.Rows(headBase, c);
            AttentionKernel.Layout lay = new AttentionKernel.Layout(new AttentionKernel.Rows(base[0], 3 * c),
                    new AttentionKernel.Rows(base[1], 3 * c), new AttentionKernel.Rows(base[2], 3 * c), heads);
            AttentionKernel.Layout gLay = new AttentionKernel.Layout(heads, heads, heads, heads);
            float[] out2 = nan(b * t * c), lse2 = nan(bh * t);
            float[] gq2 = nan(b * t * c), gk2 = nan(b * t * c), gv2 = nan(b * t * c);
            AttentionKernel.forward(qkv, qkv, qkv, null, out2, lse2, g, lay, scale, simd);
            AttentionKernel.backward(qkv, qkv, qkv, null, out2, lse2, go, gq2, gk2, gv2, g, lay, gLay, scale, simd);
            String what = "seed " + seed + " b" + b + " h" + h + " t" + t + " d" + d + " causal " + causal
                    + " simd " + simd;
            float[][] want = {out, gq, gk, gv}, got = {out2, gq2, gk2, gv2};
            for (int w = 0; w < 4; w++) {
                for (int s = 0; s < bh; s++) {
                    for (int i = 0; i < t; i++) {
                        for (int e = 0; e < d; e++) {
                            assertEquals(Float.floatToRawIntBits(want[w][(s * t + i) * d + e]),
                                    Float.floatToRawIntBits(got[w][headBase[s] + i * c + e]),
                                    what + " tensor " + w + " slice " + s + " row " + i + " col " + e);
                        }
                    }
                }
            }
            for (int i = 0; i < lse.length; i++) {
                assertEquals(Float.floatToRawIntBits(lse[i]), Float.floatToRawIntBits(lse2[i]), what + " lse " + i);
            }
        });
    }

    private static float[] nan(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, Float.NaN);
        return a;
    }

    @Test
    void shortArraysAreRefused() {
        AttentionKernel.Geometry g = new AttentionKernel.Geometry(2, 3, 4, 5, 6, false, null, 0, 0);
        float[] q = new float[30], k = new float[40], v = new float[48], out = new float[36], lse = new float[6];
        String m = assertThrows(IllegalArgumentException.class,
                () -> AttentionKernel.forward(q, new float[39], v, null, out, lse, g, 1f)).getMessage();
        assertTrue(m.contains("array k of length 39 is too short for slice 1 (4 rows of 5 at 20, stride 5)"), m);
        AttentionKernel.Geometry gm = new AttentionKernel.Geometry(2, 3, 4, 5, 6, false, new int[] {0, 12}, 4, 1);
        m = assertThrows(IllegalArgumentException.class,
                () -> AttentionKernel.forward(q, k, v, new float[20], out, lse, gm, 1f)).getMessage();
        assertTrue(m.contains("mask of length 20 does not hold slice 1"), m);
        assertThrows(IllegalArgumentException.class,
                () -> new AttentionKernel.Geometry(1, -1, 1, 1, 1, false, null, 0, 0));
    }
}
