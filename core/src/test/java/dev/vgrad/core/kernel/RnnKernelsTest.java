package dev.vgrad.core.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link RnnKernels}: the SIMD loops agree with the scalar ones within a few float ulps (they share the formula
 * and the order of operations; only exp and tanh differ, {@link VectorMath}'s against {@link Math}'s), and with the
 * double kernels within float rounding; every row is computed from its own data (a row's bits do not change
 * with its neighbours). On a machine without the Vector API both paths are scalar and agree exactly.
 */
class RnnKernelsTest {
    private static float[] rand(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    private static double[] wide(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    private static void close(float[] scalar, float[] simd, double[] exact, String at) {
        for (int i = 0; i < scalar.length; i++) {
            int k = i;
            double tol = 2e-6 + 2e-6 * Math.abs(scalar[i]);
            assertTrue(Math.abs(scalar[i] - simd[i]) <= tol,
                    () -> at + " [" + k + "] scalar " + scalar[k] + " simd " + simd[k]);
            if (exact != null) {
                double tol2 = 1e-5 + 1e-5 * Math.abs(exact[i]);
                assertTrue(Math.abs(scalar[i] - exact[i]) <= tol2,
                        () -> at + " [" + k + "] float " + scalar[k] + " double " + exact[k]);
            }
        }
    }

    @Test
    void lstmSimdMatchesScalar() {
        qt().withExamples(40).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int b = 1 + r.nextInt(4);
            int h = 1 + r.nextInt(40);
            int ld = 2 * h + r.nextInt(3);
            String at = "b " + b + " h " + h + " seed " + seed;
            float[] pre = rand(r, b * 4 * h, 4);
            float[] cp = rand(r, b * ld, 2);
            float[][] gates = {pre.clone(), pre.clone()};
            float[][] y = {new float[b * ld], new float[b * ld]};
            double[] gd = wide(pre);
            double[] yd = new double[b * ld];
            RnnKernels.lstmForward(false, b, h, gates[0], 0, cp, 0, ld, y[0], 0, ld);
            RnnKernels.lstmForward(true, b, h, gates[1], 0, cp, 0, ld, y[1], 0, ld);
            RnnKernels.lstmForward(b, h, gd, 0, wide(cp), 0, ld, yd, 0, ld);
            close(gates[0], gates[1], gd, at + " gates");
            close(y[0], y[1], yd, at + " y");
            float[] gy = rand(r, b * ld, 1);
            float[] dh = rand(r, b * h, 1);
            float[] dc0 = rand(r, b * h, 1);
            float[][] dc = {dc0.clone(), dc0.clone()};
            float[][] dg = {new float[b * 4 * h], new float[b * 4 * h]};
            double[] dcd = wide(dc0);
            double[] dgd = new double[b * 4 * h];
            RnnKernels.lstmBackward(false, b, h, gates[0], 0, cp, 0, ld, y[0], 0, ld, gy, 0, ld, dh, dc[0], dg[0], 0);
            RnnKernels.lstmBackward(true, b, h, gates[0], 0, cp, 0, ld, y[0], 0, ld, gy, 0, ld, dh, dc[1], dg[1], 0);
            RnnKernels.lstmBackward(b, h, wide(gates[0]), 0, wide(cp), 0, ld, wide(y[0]), 0, ld, wide(gy), 0, ld,
                    wide(dh), dcd, dgd, 0);
            close(dg[0], dg[1], dgd, at + " dgates");
            close(dc[0], dc[1], dcd, at + " dc");
        });
    }

    @Test
    void gruSimdMatchesScalar() {
        qt().withExamples(40).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int b = 1 + r.nextInt(4);
            int h = 1 + r.nextInt(40);
            String at = "b " + b + " h " + h + " seed " + seed;
            float[] pre = rand(r, b * 4 * h, 3);
            float[] hh = rand(r, b * 3 * h, 2);
            float[] bhh = r.nextBoolean() ? rand(r, 3 * h, 1) : null;
            float[] hp = rand(r, b * h, 1);
            float[][] act = {pre.clone(), pre.clone()};
            float[][] y = {new float[b * h], new float[b * h]};
            double[] ad = wide(pre);
            double[] yd = new double[b * h];
            RnnKernels.gruForward(false, b, h, act[0], 0, hh, bhh, hp, 0, h, y[0], 0, h);
            RnnKernels.gruForward(true, b, h, act[1], 0, hh, bhh, hp, 0, h, y[1], 0, h);
            RnnKernels.gruForward(b, h, ad, 0, wide(hh), bhh == null ? null : wide(bhh), wide(hp), 0, h, yd, 0, h);
            close(act[0], act[1], ad, at + " act");
            close(y[0], y[1], yd, at + " y");
            float[] gy = rand(r, b * h, 1);
            float[] dh0 = rand(r, b * h, 1);
            float[][] dh = {dh0.clone(), dh0.clone()};
            float[][] dgi = {new float[b * 3 * h], new float[b * 3 * h]};
            float[][] dgh = {new float[b * 3 * h], new float[b * 3 * h]};
            double[] dhd = wide(dh0);
            double[] dgid = new double[b * 3 * h];
            double[] dghd = new double[b * 3 * h];
            RnnKernels.gruBackward(false, b, h, act[0], 0, hp, 0, h, gy, 0, h, dh[0], dgi[0], dgh[0], 0);
            RnnKernels.gruBackward(true, b, h, act[0], 0, hp, 0, h, gy, 0, h, dh[1], dgi[1], dgh[1], 0);
            RnnKernels.gruBackward(b, h, wide(act[0]), 0, wide(hp), 0, h, wide(gy), 0, h, dhd, dgid, dghd, 0);
            close(dgi[0], dgi[1], dgid, at + " dgi");
            close(dgh[0], dgh[1], dghd, at + " dgh");
            close(dh[0], dh[1], dhd, at + " dh");
        });
    }

    /** A row's results are the same bits whether it runs alone or inside a batch (SIMD path included). */
    @Test
    void rowsAreIndependent() {
        qt().withExamples(30).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int b = 2 + r.nextInt(4);
            int h = 1 + r.nextInt(40);
            int row = r.nextInt(b);
            float[] pre = rand(r, b * 4 * h, 4);
            float[] cp = rand(r, b * 2 * h, 2);
            float[] all = pre.clone();
            float[] yAll = new float[b * 2 * h];
            RnnKernels.lstmForward(true, b, h, all, 0, cp, 0, 2 * h, yAll, 0, 2 * h);
            float[] one = java.util.Arrays.copyOfRange(pre, row * 4 * h, (row + 1) * 4 * h);
            float[] yOne = new float[2 * h];
            RnnKernels.lstmForward(true, 1, h, one, 0, cp, row * 2 * h, 2 * h, yOne, 0, 2 * h);
            for (int j = 0; j < 2 * h; j++) {
                int k = j;
                assertTrue(Float.floatToIntBits(yOne[j]) == Float.floatToIntBits(yAll[row * 2 * h + j]),
                        () -> "row " + row + " col " + k + " seed " + seed);
            }
        });
    }
}
