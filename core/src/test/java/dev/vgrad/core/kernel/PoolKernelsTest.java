package dev.vgrad.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;
import org.quicktheories.impl.Constraint;

/**
 * Tests for {@link PoolKernels}: values taken from PyTorch 1.13, property tests against naive references
 * (window scans with explicit padding checks, adjoint identities for the backward passes), float and double,
 * and 1 vs 2 threads bit-identity. QuickTheories prints the seed of a failing run.
 */
class PoolKernelsTest {
    private static final int SAVED_THREADS = Parallel.numThreads();

    @AfterEach
    void restoreThreads() {
        Parallel.setNumThreads(SAVED_THREADS);
    }

    private static float[] arange(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i + 1;
        }
        return x;
    }

    private static void assertClose(float[] expected, float[] got, String what) {
        assertEquals(expected.length, got.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(expected[i])) {
                assertTrue(Float.isNaN(got[i]), what + " at " + i);
            } else {
                assertEquals(expected[i], got[i], 1e-5f * Math.max(1, Math.abs(expected[i])), what + " at " + i);
            }
        }
    }

    // ------------------------------------------------------------------ values from PyTorch 1.13

    @Test
    void avgPoolMatchesPyTorchWithCeilModeAndPadding() {
        float[] x = arange(35); // (1,1,5,7)
        PoolGeometry g = PoolGeometry.avgPool2d(1, 1, 5, 7, 3, 3, 2, 2, 1, 1, true, true);
        assertEquals(3, g.outH());
        assertEquals(4, g.outW());
        float[] out = new float[12];
        PoolKernels.avgPool2dForward(x, 0, out, 0, g);
        assertClose(new float[] {2.222222328186035f, 4.333333492279053f, 5.666666507720947f, 4.44444465637207f,
            10.333333015441895f, 17.0f, 19.0f, 13.666666984558105f, 11.55555534362793f, 18.33333396911621f,
            19.66666603088379f, 13.777777671813965f}, out, "avg count_include_pad=True");
        g = PoolGeometry.avgPool2d(1, 1, 5, 7, 3, 3, 2, 2, 1, 1, true, false);
        PoolKernels.avgPool2dForward(x, 0, out, 0, g);
        assertClose(new float[] {5.0f, 6.5f, 8.5f, 10.0f, 15.5f, 17.0f, 19.0f, 20.5f, 26.0f, 27.5f, 29.5f, 31.0f},
                out, "avg count_include_pad=False");
        g = PoolGeometry.avgPool2d(1, 1, 5, 7, 2, 2, 3, 3, 0, 0, true, true);
        assertEquals(2, g.outH());
        assertEquals(3, g.outW());
        float[] out2 = new float[6];
        PoolKernels.avgPool2dForward(x, 0, out2, 0, g);
        assertClose(new float[] {5.0f, 8.0f, 10.5f, 26.0f, 29.0f, 31.5f}, out2, "avg k2 s3 ceil");
        g = PoolGeometry.avgPool2d(1, 1, 4, 4, 3, 3, 2, 2, 1, 1, true, true);
        float[] out3 = new float[9];
        PoolKernels.avgPool2dForward(arange(16), 0, out3, 0, g);
        assertClose(new float[] {1.5555555820465088f, 3.3333332538604736f, 2.0f, 6.333333492279053f, 11.0f, 6.0f,
            4.5f, 7.5f, 4.0f}, out3, "avg 4x4 k3 s2 p1 ceil");
    }

    @Test
    void maxPoolMatchesPyTorchIncludingNaN() {
        float[] x = arange(35);
        x[1 * 7 + 1] = Float.NaN;
        PoolGeometry g = PoolGeometry.maxPool2d(1, 1, 5, 7, 3, 3, 2, 2, 1, 1, 1, 1, true);
        float[] out = new float[12];
        int[] idx = new int[12];
        PoolKernels.maxPool2dForward(x, 0, out, 0, idx, g);
        float nan = Float.NaN;
        assertClose(new float[] {nan, nan, 13, 14, nan, nan, 27, 28, 30, 32, 34, 35}, out, "max with NaN");
        assertArrayEquals(new int[] {8, 8, 12, 13, 8, 8, 26, 27, 29, 31, 33, 34}, idx);
        g = PoolGeometry.maxPool2d(1, 1, 5, 7, 2, 2, 1, 1, 0, 0, 2, 2, false);
        float[] out2 = new float[15];
        int[] idx2 = new int[15];
        PoolKernels.maxPool2dForward(arange(35), 0, out2, 0, idx2, g);
        assertClose(new float[] {17, 18, 19, 20, 21, 24, 25, 26, 27, 28, 31, 32, 33, 34, 35}, out2, "max dilation");
        assertArrayEquals(new int[] {16, 17, 18, 19, 20, 23, 24, 25, 26, 27, 30, 31, 32, 33, 34}, idx2);
    }

    @Test
    void adaptiveMatchesPyTorch() {
        PoolGeometry g = PoolGeometry.adaptive(1, 1, 5, 7, 3, 4);
        float[] out = new float[12];
        PoolKernels.adaptiveAvgPool2dForward(arange(35), 0, out, 0, g);
        assertClose(new float[] {5.0f, 6.5f, 8.5f, 10.0f, 15.5f, 17.0f, 19.0f, 20.5f, 26.0f, 27.5f, 29.5f, 31.0f},
                out, "adaptive (3,4)");
    }

    @Test
    void validation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PoolGeometry.maxPool2d(1, 1, 5, 5, 3, 3, 1, 1, 2, 2, 1, 1, false));
        assertTrue(e.getMessage().contains("max_pool2d") && e.getMessage().contains("pad should be at most half"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PoolGeometry.avgPool2d(1, 1, 2, 2, 3, 3, 1, 1, 0, 0, false, true));
        assertTrue(e.getMessage().contains("avg_pool2d") && e.getMessage().contains("too small"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PoolGeometry.avgPool2d(1, 1, 4, 4, 0, 3, 1, 1, 0, 0, false, true));
        assertTrue(e.getMessage().contains("avg_pool2d") && e.getMessage().contains("kernel"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PoolGeometry.maxPool2d(1, 1, 4, 4, 2, 2, 0, 1, 0, 0, 1, 1, false));
        assertTrue(e.getMessage().contains("max_pool2d") && e.getMessage().contains("stride"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PoolGeometry.adaptive(1, 1, 4, 0, 2, 2));
        assertTrue(e.getMessage().contains("adaptive_avg_pool2d"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PoolGeometry.adaptive(1, 1, 4, 4, -1, 2));
        assertTrue(e.getMessage().contains("adaptive_avg_pool2d"), e.getMessage());
    }

    // ------------------------------------------------------------------ property tests

    enum Kind { MAX, AVG, ADAPTIVE }

    record Case(Kind kind, PoolGeometry g, int off, long seed) {
        @Override
        public String toString() {
            return kind + " " + g + " off=" + off + " dataSeed=" + seed;
        }
    }

    private static int between(RandomnessSource in, int lo, int hi) {
        return (int) in.next(Constraint.between(lo, hi));
    }

    static Gen<Case> cases(int maxPlanes, int maxHw) {
        return in -> {
            Kind kind = Kind.values()[between(in, 0, 2)];
            int n = between(in, 1, maxPlanes);
            int c = between(in, 1, 3);
            int h = between(in, 1, maxHw);
            int w = between(in, 1, maxHw);
            int off = between(in, 0, 3);
            long seed = in.next(Constraint.between(0, Integer.MAX_VALUE));
            if (kind == Kind.ADAPTIVE) {
                return new Case(kind, PoolGeometry.adaptive(n, c, h, w, between(in, 1, h + 3), between(in, 1, w + 3)),
                        off, seed);
            }
            int kh = between(in, 1, 4), kw = between(in, 1, 4);
            int sh = between(in, 1, 4), sw = between(in, 1, 4);
            int dh = kind == Kind.MAX ? between(in, 1, 2) : 1;
            int dw = kind == Kind.MAX ? between(in, 1, 2) : 1;
            int ph = between(in, 0, ((kh - 1) * dh + 1) / 2);
            int pw = between(in, 0, ((kw - 1) * dw + 1) / 2);
            boolean ceil = between(in, 0, 1) == 1;
            boolean incl = between(in, 0, 1) == 1;
            h = Math.max(h, (kh - 1) * dh + 1);
            w = Math.max(w, (kw - 1) * dw + 1);
            PoolGeometry g = kind == Kind.MAX
                    ? PoolGeometry.maxPool2d(n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, ceil)
                    : PoolGeometry.avgPool2d(n, c, h, w, kh, kw, sh, sw, ph, pw, ceil, incl);
            return new Case(kind, g, off, seed);
        };
    }

    /** Output size computed independently: ceil/floor division with the ceil-mode rule. */
    static int refOut(int in, int k, int p, int s, int d, boolean ceil) {
        int span = in + 2 * p - d * (k - 1) - 1;
        int out = (ceil ? (int) Math.ceil(span / (double) s) : Math.floorDiv(span, s)) + 1;
        if (ceil && (out - 1) * s >= in + p) {
            out--;
        }
        return out;
    }

    /** Naive forward reference in double; for MAX also returns the argmax (as doubles) in slot 1. */
    static double[][] refForward(Case cs, double[] x) {
        PoolGeometry g = cs.g();
        int oh = g.outH(), ow = g.outW();
        double[] out = new double[g.outputSize()];
        double[] arg = new double[g.outputSize()];
        for (int pl = 0; pl < g.n() * g.c(); pl++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    int o = (pl * oh + oy) * ow + ox;
                    if (cs.kind() == Kind.ADAPTIVE) {
                        int y0 = (int) Math.floor(oy * (double) g.h() / oh);
                        int y1 = (int) Math.ceil((oy + 1) * (double) g.h() / oh);
                        int x0 = (int) Math.floor(ox * (double) g.w() / ow);
                        int x1 = (int) Math.ceil((ox + 1) * (double) g.w() / ow);
                        double s = 0;
                        for (int y = y0; y < y1; y++) {
                            for (int xx = x0; xx < x1; xx++) {
                                s += x[(pl * g.h() + y) * g.w() + xx];
                            }
                        }
                        out[o] = s / ((y1 - y0) * (x1 - x0));
                        continue;
                    }
                    double best = Double.NEGATIVE_INFINITY;
                    int bestIdx = -1;
                    double sum = 0;
                    int valid = 0;
                    int padded = 0;
                    for (int ki = 0; ki < g.kh(); ki++) {
                        int y = oy * g.strideH() - g.padH() + ki * g.dilationH();
                        for (int kj = 0; kj < g.kw(); kj++) {
                            int xx = ox * g.strideW() - g.padW() + kj * g.dilationW();
                            boolean inPadded = y < g.h() + g.padH() && xx < g.w() + g.padW();
                            if (inPadded) {
                                padded++;
                            }
                            if (y < 0 || y >= g.h() || xx < 0 || xx >= g.w()) {
                                continue;
                            }
                            int idx = y * g.w() + xx;
                            double v = x[pl * g.h() * g.w() + idx];
                            valid++;
                            sum += v;
                            if (bestIdx < 0 || v > best || Double.isNaN(v)) {
                                best = v;
                                bestIdx = idx;
                            }
                        }
                    }
                    if (cs.kind() == Kind.MAX) {
                        out[o] = best;
                        arg[o] = bestIdx;
                    } else {
                        out[o] = valid == 0 ? 0 : sum / (g.countIncludePad() ? padded : valid);
                    }
                }
            }
        }
        return new double[][] {out, arg};
    }

    /**
     * The 2×2/stride-2 fast path against the general window loop of the float64 kernel: ties (values from a
     * small set), NaNs, odd sizes with and without ceil mode (whose clipped last window takes the general path),
     * rows wide enough for the vector loop and its scalar tail.
     */
    @Test
    void maxPool2x2FastPathMatchesGeneralWindow() {
        qt().withExamples(200).forAll(integers().between(2, 9), integers().between(2, 80), integers().between(0, 7),
                longs().all()).checkAssert((h, w, planesAndCeil, seed) -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    int planes = 1 + (planesAndCeil >> 1);
                    boolean ceil = (planesAndCeil & 1) == 1;
                    PoolGeometry g = PoolGeometry.maxPool2d(1, planes, h, w, 2, 2, 2, 2, 0, 0, 1, 1, ceil);
                    float[] xf = new float[g.inputSize()];
                    double[] xd = new double[xf.length];
                    for (int i = 0; i < xf.length; i++) {
                        int k = r.nextInt(12);
                        xf[i] = k == 0 ? Float.NaN : k == 1 ? Float.NEGATIVE_INFINITY : r.nextInt(4);
                        xd[i] = xf[i];
                    }
                    float[] of = new float[g.outputSize()];
                    double[] od = new double[of.length];
                    int[] af = new int[of.length];
                    int[] ad = new int[of.length];
                    PoolKernels.maxPool2dForward(xf, 0, of, 0, af, g);
                    PoolKernels.maxPool2dForward(xd, 0, od, 0, ad, g);
                    assertArrayEquals(ad, af, "argmax, seed " + seed);
                    for (int i = 0; i < of.length; i++) {
                        assertEquals(od[i], of[i], 0.0, "value " + i + ", seed " + seed);
                    }
                });
    }

    @Test
    void propertiesAgainstReference() {
        qt().withExamples(300).forAll(cases(3, 14)).checkAssert(PoolKernelsTest::check);
    }

    private static void check(Case cs) {
        PoolGeometry g = cs.g();
        if (cs.kind() != Kind.ADAPTIVE) {
            assertEquals(refOut(g.h(), g.kh(), g.padH(), g.strideH(), g.dilationH(), g.ceilMode()), g.outH(),
                    "outH for " + cs);
            assertEquals(refOut(g.w(), g.kw(), g.padW(), g.strideW(), g.dilationW(), g.ceilMode()), g.outW(),
                    "outW for " + cs);
        }
        SplittableRandom r = new SplittableRandom(cs.seed());
        int off = cs.off();
        double[] x = new double[g.inputSize()];
        for (int i = 0; i < x.length; i++) {
            // small integers make ties likely (first maximum must win)
            x[i] = r.nextInt(4) == 0 ? r.nextInt(3) : r.nextDouble() * 2 - 1;
        }
        double[] gOut = new double[g.outputSize()];
        for (int i = 0; i < gOut.length; i++) {
            gOut[i] = r.nextDouble() * 2 - 1;
        }
        double[][] ref = refForward(cs, x);
        // float
        float[] xf = new float[off + x.length];
        double[] xr = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            xf[off + i] = (float) x[i];
            xr[i] = xf[off + i];
        }
        double[][] refF = refForward(cs, xr);
        float[] gf = new float[off + gOut.length];
        for (int i = 0; i < gOut.length; i++) {
            gf[off + i] = (float) gOut[i];
        }
        float[] out = new float[off + g.outputSize()];
        // both kernels must write every element (ops hand them recycled arrays)
        java.util.Arrays.fill(out, Float.NaN);
        float[] gx = new float[off + g.inputSize()];
        java.util.Arrays.fill(gx, 9f);
        int[] arg = new int[g.outputSize()];
        switch (cs.kind()) {
            case MAX -> {
                PoolKernels.maxPool2dForward(xf, off, out, off, arg, g);
                PoolKernels.maxPool2dBackward(gf, off, arg, gx, off, g);
            }
            case AVG -> {
                PoolKernels.avgPool2dForward(xf, off, out, off, g);
                PoolKernels.avgPool2dBackward(gf, off, gx, off, g);
            }
            case ADAPTIVE -> {
                PoolKernels.adaptiveAvgPool2dForward(xf, off, out, off, g);
                PoolKernels.adaptiveAvgPool2dBackward(gf, off, gx, off, g);
            }
        }
        for (int o = 0; o < g.outputSize(); o++) {
            if (!(Math.abs(out[off + o] - refF[0][o]) <= 1e-5 * (1 + Math.abs(refF[0][o])))) {
                fail("out[" + o + "] = " + out[off + o] + ", expected " + refF[0][o] + " for " + cs);
            }
            if (cs.kind() == Kind.MAX && arg[o] != (int) refF[1][o]) {
                fail("argmax[" + o + "] = " + arg[o] + ", expected " + (int) refF[1][o] + " for " + cs);
            }
        }
        // backward: adjoint identity <forward(x), g> == <x, backward(g)> (exact for max given argmax)
        checkAdjoint(cs, g, xr, refF[0], gf, off, gx);
        // double path
        double[] xd = new double[off + x.length];
        System.arraycopy(x, 0, xd, off, x.length);
        double[] gd = new double[off + gOut.length];
        System.arraycopy(gOut, 0, gd, off, gOut.length);
        double[] outD = new double[off + g.outputSize()];
        java.util.Arrays.fill(outD, Double.NaN);
        double[] gxD = new double[off + g.inputSize()];
        java.util.Arrays.fill(gxD, 9.0);
        switch (cs.kind()) {
            case MAX -> {
                PoolKernels.maxPool2dForward(xd, off, outD, off, arg, g);
                PoolKernels.maxPool2dBackward(gd, off, arg, gxD, off, g);
            }
            case AVG -> {
                PoolKernels.avgPool2dForward(xd, off, outD, off, g);
                PoolKernels.avgPool2dBackward(gd, off, gxD, off, g);
            }
            case ADAPTIVE -> {
                PoolKernels.adaptiveAvgPool2dForward(xd, off, outD, off, g);
                PoolKernels.adaptiveAvgPool2dBackward(gd, off, gxD, off, g);
            }
        }
        for (int o = 0; o < g.outputSize(); o++) {
            if (!(Math.abs(outD[off + o] - ref[0][o]) <= 1e-12 * (1 + Math.abs(ref[0][o])))) {
                fail("double out[" + o + "] = " + outD[off + o] + ", expected " + ref[0][o] + " for " + cs);
            }
        }
        double lhs = 0, rhs = 0, mag = 0;
        for (int o = 0; o < g.outputSize(); o++) {
            lhs += ref[0][o] * gOut[o];
            mag += Math.abs(ref[0][o] * gOut[o]);
        }
        for (int i = 0; i < x.length; i++) {
            rhs += x[i] * gxD[off + i];
            mag += Math.abs(x[i] * gxD[off + i]);
        }
        assertTrue(Math.abs(lhs - rhs) <= 1e-12 * (1 + mag), "double adjoint " + lhs + " vs " + rhs + " for " + cs);
    }

    private static void checkAdjoint(Case cs, PoolGeometry g, double[] x, double[] out, float[] gf, int off,
                                     float[] gx) {
        double lhs = 0, rhs = 0, mag = 0;
        for (int o = 0; o < g.outputSize(); o++) {
            lhs += out[o] * gf[off + o];
            mag += Math.abs(out[o] * gf[off + o]);
        }
        for (int i = 0; i < x.length; i++) {
            rhs += x[i] * gx[off + i];
            mag += Math.abs(x[i] * gx[off + i]);
        }
        assertTrue(Math.abs(lhs - rhs) <= 1e-5 * (1 + mag), "adjoint " + lhs + " vs " + rhs + " for " + cs);
        if (cs.kind() != Kind.MAX) {
            // direct check of the avg backward: gx[i] = Σ_o g[o] / div(o) over windows containing i
            double[] ref = new double[x.length];
            double[] e = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                java.util.Arrays.fill(e, 0);
                e[i] = 1;
                double[] col = refForward(cs, e)[0]; // column i of the forward operator
                double s = 0;
                for (int o = 0; o < col.length; o++) {
                    s += col[o] * gf[off + o];
                }
                ref[i] = s;
                if (i > 400) {
                    break; // keep the O(n²) check cheap
                }
            }
            for (int i = 0; i < Math.min(x.length, 401); i++) {
                assertEquals(ref[i], gx[off + i], 1e-5 * (1 + Math.abs(ref[i])), "gx[" + i + "] for " + cs);
            }
        }
    }

    @Test
    void oneVersusTwoThreadsBitIdentical() {
        SplittableRandom r = new SplittableRandom(7);
        PoolGeometry[] gs = {
            PoolGeometry.maxPool2d(8, 16, 64, 64, 3, 3, 2, 2, 1, 1, 1, 1, true),
            PoolGeometry.avgPool2d(8, 16, 64, 63, 3, 3, 2, 2, 1, 1, true, false),
            PoolGeometry.adaptive(8, 16, 65, 64, 7, 7),
        };
        for (PoolGeometry g : gs) {
            float[] x = new float[g.inputSize()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            float[] gOut = new float[g.outputSize()];
            for (int i = 0; i < gOut.length; i++) {
                gOut[i] = (float) r.nextGaussian();
            }
            float[][] res = new float[2][];
            float[][] grads = new float[2][];
            for (int t = 1; t <= 2; t++) {
                Parallel.setNumThreads(t);
                float[] out = new float[g.outputSize()];
                float[] gx = new float[g.inputSize()];
                int[] arg = new int[g.outputSize()];
                if (g.op().equals("max_pool2d")) {
                    PoolKernels.maxPool2dForward(x, 0, out, 0, arg, g);
                    PoolKernels.maxPool2dBackward(gOut, 0, arg, gx, 0, g);
                } else if (g.isAdaptive()) {
                    PoolKernels.adaptiveAvgPool2dForward(x, 0, out, 0, g);
                    PoolKernels.adaptiveAvgPool2dBackward(gOut, 0, gx, 0, g);
                } else {
                    PoolKernels.avgPool2dForward(x, 0, out, 0, g);
                    PoolKernels.avgPool2dBackward(gOut, 0, gx, 0, g);
                }
                res[t - 1] = out;
                grads[t - 1] = gx;
            }
            GemmTest.assertBitIdentical("pool forward 1 vs 2 threads", res[0], res[1], g);
            GemmTest.assertBitIdentical("pool backward 1 vs 2 threads", grads[0], grads[1], g);
        }
    }
}
