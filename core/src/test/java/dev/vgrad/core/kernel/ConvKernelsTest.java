package dev.vgrad.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.impl.Constraint;

/**
 * Property tests for {@link ConvKernels} against naive double-precision loops: forward, backward-input and
 * backward-weight with stride, padding, dilation and groups, float and double, offsets, and 1 vs 2 threads
 * bit-identity. QuickTheories prints the seed of a failing run; messages carry the geometry.
 */
class ConvKernelsTest {
    private static final int SAVED_THREADS = Parallel.numThreads();

    @AfterEach
    void restoreThreads() {
        Parallel.setNumThreads(SAVED_THREADS);
    }

    record Case(ConvGeometry g, boolean bias, int off, long seed) {
        @Override
        public String toString() {
            return g + " bias=" + bias + " off=" + off + " dataSeed=" + seed;
        }
    }

    private static int between(org.quicktheories.core.RandomnessSource in, int lo, int hi) {
        return (int) in.next(Constraint.between(lo, hi));
    }

    /** Random valid geometries; invalid combinations are retried by adjusting the input size. */
    static Gen<Case> cases(int maxN, int maxHw, int maxCpg) {
        return cases(maxN, maxHw, 1, maxCpg, 3);
    }

    static Gen<Case> cases(int maxN, int maxHw, int minCpg, int maxCpg, int maxStride) {
        return in -> {
            int groups = between(in, 1, 3);
            int cpg = between(in, minCpg, maxCpg);
            int opg = between(in, 1, maxCpg);
            int kh = between(in, 1, 4);
            int kw = between(in, 1, 4);
            int sh = between(in, 1, maxStride);
            int sw = between(in, 1, maxStride);
            int dh = between(in, 1, 2);
            int dw = between(in, 1, 2);
            int ph = between(in, 0, 2);
            int pw = between(in, 0, 2);
            int h = between(in, 1, maxHw);
            int w = between(in, 1, maxHw);
            int n = between(in, 1, maxN);
            boolean bias = between(in, 0, 1) == 1;
            int off = between(in, 0, 3);
            long seed = in.next(Constraint.between(0, Integer.MAX_VALUE));
            // make sure the output is at least 1x1
            h = Math.max(h, dh * (kh - 1) + 1 - 2 * ph);
            w = Math.max(w, dw * (kw - 1) + 1 - 2 * pw);
            ConvGeometry g = ConvGeometry.of(n, cpg * groups, h, w, opg * groups, kh, kw, sh, sw, ph, pw, dh, dw,
                    groups);
            return new Case(g, bias, off, seed);
        };
    }

    static double[] randomD(int len, SplittableRandom r) {
        double[] x = new double[len];
        for (int i = 0; i < len; i++) {
            x[i] = r.nextDouble() * 2 - 1;
        }
        return x;
    }

    static float[] toF(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    static double[] toD(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    /** Naive references. Returns {out, gx, gw} and the matching absolute-term sums for tolerances. */
    static double[][] reference(ConvGeometry g, double[] x, double[] w, double[] bias, double[] gOut) {
        int oh = g.outH(), ow = g.outW(), cpg = g.cPerGroup(), opg = g.oPerGroup();
        double[] out = new double[g.outputSize()], outMag = new double[g.outputSize()];
        double[] gx = new double[g.inputSize()], gxMag = new double[g.inputSize()];
        double[] gw = new double[g.weightSize()], gwMag = new double[g.weightSize()];
        for (int b = 0; b < g.n(); b++) {
            for (int o = 0; o < g.outChannels(); o++) {
                int grp = o / opg;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        int oi = ((b * g.outChannels() + o) * oh + oy) * ow + ox;
                        double s = bias == null ? 0 : bias[o];
                        double mag = Math.abs(s);
                        for (int ci = 0; ci < cpg; ci++) {
                            int c = grp * cpg + ci;
                            for (int ki = 0; ki < g.kh(); ki++) {
                                int iy = oy * g.strideH() - g.padH() + ki * g.dilationH();
                                if (iy < 0 || iy >= g.h()) {
                                    continue;
                                }
                                for (int kj = 0; kj < g.kw(); kj++) {
                                    int ix = ox * g.strideW() - g.padW() + kj * g.dilationW();
                                    if (ix < 0 || ix >= g.w()) {
                                        continue;
                                    }
                                    int xi = ((b * g.c() + c) * g.h() + iy) * g.w() + ix;
                                    int wi = ((o * cpg + ci) * g.kh() + ki) * g.kw() + kj;
                                    s += w[wi] * x[xi];
                                    mag += Math.abs(w[wi] * x[xi]);
                                    gx[xi] += w[wi] * gOut[oi];
                                    gxMag[xi] += Math.abs(w[wi] * gOut[oi]);
                                    gw[wi] += gOut[oi] * x[xi];
                                    gwMag[wi] += Math.abs(gOut[oi] * x[xi]);
                                }
                            }
                        }
                        out[oi] = s;
                        outMag[oi] = mag;
                    }
                }
            }
        }
        return new double[][] {out, gx, gw, outMag, gxMag, gwMag};
    }

    static void compare(String what, float[] got, int off, double[] ref, double[] mag, Object cs) {
        for (int i = 0; i < ref.length; i++) {
            double tol = 2e-6 * mag[i] * 8 + 1e-6;
            if (!(Math.abs(got[off + i] - ref[i]) <= tol)) {
                fail(what + "[" + i + "] = " + got[off + i] + ", expected " + ref[i] + " (tol " + tol + ") for " + cs);
            }
        }
    }

    static void compareD(String what, double[] got, int off, double[] ref, double[] mag, Object cs) {
        for (int i = 0; i < ref.length; i++) {
            double tol = 1e-13 * mag[i] + 1e-300;
            if (!(Math.abs(got[off + i] - ref[i]) <= tol)) {
                fail(what + "[" + i + "] = " + got[off + i] + ", expected " + ref[i] + " (tol " + tol + ") for " + cs);
            }
        }
    }

    /** Runs the three float kernels; returns {out, gx, gw} arrays (with offset prefix). */
    static float[][] runFloat(Case cs, float[] x, float[] w, float[] bias, float[] gOut) {
        ConvGeometry g = cs.g();
        int off = cs.off();
        float[] out = new float[off + g.outputSize()];
        java.util.Arrays.fill(out, 7f); // must be overwritten
        ConvKernels.conv2dForward(x, off, w, off, bias, off, out, off, g);
        float[] gx = new float[off + g.inputSize()];
        java.util.Arrays.fill(gx, 7f);
        ConvKernels.conv2dBackwardInput(gOut, off, w, off, gx, off, g);
        float[] gw = new float[off + g.weightSize()];
        java.util.Arrays.fill(gw, 7f);
        ConvKernels.conv2dBackwardWeight(gOut, off, x, off, gw, off, g);
        return new float[][] {out, gx, gw};
    }

    static double[] withOffset(double[] x, int off) {
        double[] y = new double[off + x.length];
        System.arraycopy(x, 0, y, off, x.length);
        return y;
    }

    @Test
    void matchesNaiveReference() {
        qt().withExamples(150).forAll(cases(3, 12, 4)).checkAssert(cs -> check(cs, false));
    }

    @Test
    void largerShapesMatchReference() {
        qt().withExamples(12).forAll(cases(4, 24, 12)).checkAssert(cs -> check(cs, true));
    }

    /**
     * Wide inputs with stride 1 take the float path that computes the input gradient as a forward convolution
     * with the flipped, transposed kernel; small maps and several images take the batched-GEMM path.
     */
    @Test
    void strideOneTransposedGradientAndBatchedImagesMatchReference() {
        qt().withExamples(25).forAll(cases(6, 10, 16, 18, 1)).checkAssert(cs -> check(cs, true));
    }

    /**
     * The weight gradient over random strides, dilations and paddings (one image, so one chain per element): bit
     * for bit the scalar im2col followed by the scalar GEMM, with and without an infinite or NaN input. Geometries
     * that take the shifted-window path on the SIMD kernels (their positions skip the padded width's extra
     * columns) are counted, so the law is known to have run there.
     */
    @Test
    void weightGradientIsIm2colGemmBitForBit() {
        int[] shifted = {0};
        int[] channelsLast = {0};
        int[] stridedLast = {0};
        Gen<Case> gen = in -> {
            // half the cases in the channels-last path's range: dilation 1, kW·C a multiple of 12, strides 1–3
            boolean last = between(in, 0, 1) == 1;
            int k = last ? 3 : between(in, 2, 4);
            int d = last ? 1 : between(in, 1, 2);
            int pad = between(in, 0, 2);
            int span = d * (k - 1) + 1;
            int h = Math.max(span - 2 * pad, between(in, 7, 26));
            int w = Math.max(span - 2 * pad, between(in, 7, 26));
            int c = last ? 4 * between(in, 1, 10) : between(in, 4, 16);
            int sh = last ? between(in, 1, 3) : between(in, 1, 2);
            int sw = last && between(in, 0, 2) > 0 ? sh : between(in, 1, 2);
            ConvGeometry g = ConvGeometry.of(1, c, h, w, between(in, 1, 40), k, k, sh, sw, pad, pad, d, d, 1);
            return new Case(g, false, 0, in.next(Constraint.between(0, 1 << 30)));
        };
        qt().withExamples(80).forAll(gen).checkAssert(cs -> {
            ConvGeometry g = cs.g();
            SplittableRandom r = new SplittableRandom(cs.seed());
            float[] x = toF(randomD(g.inputSize(), r));
            // one case in three gets a non-finite input element
            if (cs.seed() % 3 == 0) {
                x[r.nextInt(x.length)] = r.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NaN;
            }
            float[] gOut = toF(randomD(g.outputSize(), r));
            float[] gw = new float[g.weightSize()];
            ConvKernels.conv2dBackwardWeight(gOut, 0, x, 0, gw, 0, g);
            int ohw = g.outH() * g.outW();
            int kk = g.c() * g.kh() * g.kw();
            float[] col = new float[kk * ohw];
            ConvKernels.im2col(x, 0, g, col, 0, ohw);
            float[] want = new float[g.weightSize()];
            ScalarGemm.sgemm(false, true, g.outChannels(), kk, ohw, gOut, 0, ohw, col, 0, ohw, want, 0, kk, false);
            for (int i = 0; i < want.length; i++) {
                if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(gw[i])) {
                    fail("weight gradient vs scalar im2col+GEMM [" + i + "]: " + gw[i] + " vs " + want[i] + " for "
                            + cs);
                }
            }
            if (KernelProvider.simdEnabled() && SimdShiftedConv.applies(g)) {
                shifted[0]++;
                channelsLast[0] += SimdShiftedConv.channelsLastWeightGrad(g) ? 1 : 0;
                stridedLast[0] += SimdShiftedConv.channelsLastWeightGrad(g) && g.strideH() * g.strideW() > 1 ? 1 : 0;
            }
        });
        assertTrue(!KernelProvider.simdEnabled() || shifted[0] > 0, "no geometry took the shifted-window path");
        assertTrue(!KernelProvider.simdEnabled() || channelsLast[0] > 0,
                "no geometry took the channels-last weight gradient");
        assertTrue(!KernelProvider.simdEnabled() || stridedLast[0] > 0,
                "no strided geometry took the channels-last weight gradient");
    }

    /**
     * A batch large enough for several chunks of images: each chunk's weight gradient is the chain im2col + GEMM
     * computes over its images, and the chunks' sums are added in chunk order (whether or not the kernel keeps them
     * transposed until then), at 1 and at 2 threads. Covers the shifted-window paths (channels-last and
     * channel-major), the swapped GEMM of few taps and the plain GEMM of a pointwise kernel.
     */
    @Test
    void weightGradientOfSeveralChunksAddsTheirChainsInChunkOrder() {
        ConvGeometry[] geometries = {
            ConvGeometry.of(16, 16, 12, 12, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1), // channels-last windows
            ConvGeometry.of(16, 4, 11, 39, 24, 3, 3, 2, 2, 1, 1, 2, 2, 1), // channel-major windows (dilated)
            ConvGeometry.of(16, 1, 20, 20, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1), // swapped GEMM: 9 taps, 40 channels
            ConvGeometry.of(16, 24, 12, 12, 32, 1, 1, 1, 1, 0, 0, 1, 1, 1), // pointwise
        };
        if (KernelProvider.simdEnabled()) {
            assertTrue(SimdShiftedConv.channelsLastWeightGrad(geometries[0]), "channels-last path");
            assertTrue(SimdShiftedConv.applies(geometries[1]) && !SimdShiftedConv.channelsLastWeightGrad(geometries[1]),
                    "channel-major shifted path");
            assertTrue(!SimdShiftedConv.applies(geometries[2]), "swapped GEMM path");
        }
        for (ConvGeometry g : geometries) {
            SplittableRandom r = new SplittableRandom(g.hashCode());
            float[] x = toF(randomD(g.inputSize(), r));
            float[] gOut = toF(randomD(g.outputSize(), r));
            int ohw = g.outH() * g.outW();
            int kk = g.c() * g.kh() * g.kw();
            int wSize = g.weightSize();
            int chunks = ConvKernels.weightChunks(g.n(), wSize, (long) g.n() * g.outChannels() * ohw * kk);
            assertTrue(chunks > 1, "one chunk of images for " + g);
            int per = (g.n() + chunks - 1) / chunks;
            float[] col = new float[kk * ohw];
            float[] want = null;
            for (int b0 = 0; b0 < g.n(); b0 += per) {
                float[] sum = new float[wSize];
                for (int b = b0; b < Math.min(g.n(), b0 + per); b++) {
                    ConvKernels.im2col(x, b * g.c() * g.h() * g.w(), g, col, 0, ohw);
                    ScalarGemm.sgemm(false, true, g.outChannels(), kk, ohw, gOut, b * g.outChannels() * ohw, ohw,
                            col, 0, ohw, sum, 0, kk, b > b0);
                }
                if (want == null) {
                    want = sum;
                } else {
                    for (int i = 0; i < wSize; i++) {
                        want[i] += sum[i];
                    }
                }
            }
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setNumThreads(threads);
                float[] gw = new float[wSize];
                ConvKernels.conv2dBackwardWeight(gOut, 0, x, 0, gw, 0, g);
                for (int i = 0; i < wSize; i++) {
                    if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(gw[i])) {
                        fail("weight gradient [" + i + "] at " + threads + " threads: " + gw[i] + " vs " + want[i]
                                + " (" + chunks + " chunks of " + per + " images) for " + g);
                    }
                }
            }
        }
    }

    /**
     * Stride-1 convolutions with enough channels·taps and a large enough map take the shifted-window path on
     * the SIMD kernels ({@code SimdShiftedConv}): checked against the reference and 1 vs 2 threads, the forward
     * output and the weight gradient bit for bit against im2col followed by the same GEMM (the weight gradient also
     * with a non-finite input), and an input holding ±∞ or NaN against the reference's pattern of non-finite
     * weight-gradient entries.
     */
    @Test
    void shiftedWindowPathMatchesReferenceAndIm2col() {
        Gen<Case> gen = in -> {
            int groups = between(in, 1, 2);
            int cpg = between(in, 8, 20);
            int opg = between(in, 1, 40);
            int kh = between(in, 2, 3);
            int kw = between(in, 2, 3);
            int dh = between(in, 1, 2);
            int dw = between(in, 1, 2);
            int ph = between(in, 0, 2);
            int pw = between(in, 0, 2);
            int h = between(in, 16, 24);
            // an output width that is a multiple of 32 (one SIMD panel) makes the product write the output directly
            int w = between(in, 0, 2) == 0 ? 32 - 2 * pw + dw * (kw - 1) : between(in, 16, 24);
            int n = between(in, 1, 3);
            ConvGeometry g = ConvGeometry.of(n, cpg * groups, h, w, opg * groups, kh, kw, 1, 1, ph, pw, dh, dw,
                    groups);
            return new Case(g, between(in, 0, 1) == 1, between(in, 0, 3), in.next(Constraint.between(0, 1 << 30)));
        };
        qt().withExamples(20).forAll(gen).checkAssert(cs -> {
            check(cs, true);
            checkForwardEqualsIm2colGemm(cs);
            checkNonFiniteWeightGradient(cs);
        });
        // more than one 96-row block of output channels: the packed weights are indexed per row block
        for (ConvGeometry g : new ConvGeometry[] {
            ConvGeometry.of(2, 16, 12, 13, 100, 3, 3, 1, 1, 1, 1, 1, 1, 1),
            ConvGeometry.of(1, 24, 14, 14, 2 * 97, 3, 3, 1, 1, 1, 1, 1, 1, 2),
            // output rows of 32 and 64 (written in place), with 64 and 28 channels per group (m % 12 == 4)
            ConvGeometry.of(2, 16, 9, 32, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1),
            ConvGeometry.of(1, 8, 10, 66, 2 * 28, 3, 3, 1, 1, 0, 0, 1, 1, 2),
            // output planes of 512 floats: the product runs on rows 16 floats longer and is copied out
            ConvGeometry.of(2, 8, 16, 32, 28, 3, 3, 1, 1, 1, 1, 1, 1, 1),
        }) {
            Case cs = new Case(g, true, 1, g.outChannels());
            check(cs, true);
            checkForwardEqualsIm2colGemm(cs);
        }
    }

    /**
     * Strided input gradients scatter through phase planes on the SIMD kernels ({@code SimdStridedCol2im}, when
     * the taps reach every phase): gx must be bit for bit the scalar {@code col2im} of the same column matrix
     * (every element starts at +0 and adds its taps in ascending order either way), every element written over
     * a garbage-filled gx, including ±∞ and NaN terms. Geometries whose taps miss a phase (1×1 stride 2) take the
     * scalar scatter and are checked the same way.
     */
    @Test
    void stridedInputGradientEqualsScalarCol2im() {
        Gen<Case> gen = in -> {
            int groups = between(in, 1, 2);
            int cpg = between(in, 1, 6);
            int opg = between(in, 1, 8);
            int kh = between(in, 1, 5);
            int kw = between(in, 1, 5);
            int sh = between(in, 1, 3);
            int sw = between(in, 2, 3);
            int dh = between(in, 1, 2);
            int dw = between(in, 1, 2);
            int ph = between(in, 0, 2);
            int pw = between(in, 0, 2);
            int h = Math.max(between(in, 3, 30), dh * (kh - 1) + 1 - 2 * ph);
            int w = Math.max(between(in, 3, 30), dw * (kw - 1) + 1 - 2 * pw);
            ConvGeometry g = ConvGeometry.of(between(in, 1, 3), cpg * groups, h, w, opg * groups, kh, kw, sh, sw,
                    ph, pw, dh, dw, groups);
            return new Case(g, false, between(in, 0, 3), in.next(Constraint.between(0, 1 << 30)));
        };
        qt().withExamples(80).forAll(gen).checkAssert(ConvKernelsTest::checkStridedInputGradient);
        for (ConvGeometry g : new ConvGeometry[] {
            ConvGeometry.of(2, 8, 28, 28, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1),
            ConvGeometry.of(2, 16, 14, 14, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1),
            ConvGeometry.of(2, 8, 28, 28, 16, 1, 1, 2, 2, 0, 0, 1, 1, 1),
            ConvGeometry.of(1, 4, 40, 37, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1),
        }) {
            checkStridedInputGradient(new Case(g, false, 1, g.n() * 31L + g.h()));
        }
    }

    private static void checkStridedInputGradient(Case cs) {
        ConvGeometry g = cs.g();
        int off = cs.off();
        SplittableRandom r = new SplittableRandom(cs.seed());
        float[] w = withOffsetF(toF(randomD(g.weightSize(), r)), off);
        float[] gOut = withOffsetF(toF(randomD(g.outputSize(), r)), off);
        if (g.outputSize() > 2) {
            gOut[off + 1] = Float.POSITIVE_INFINITY;
            gOut[off + g.outputSize() - 1] = Float.NaN;
        }
        float[] gx = new float[off + g.inputSize()];
        java.util.Arrays.fill(gx, 7f);
        ConvKernels.conv2dBackwardInput(gOut, off, w, off, gx, off, g);
        int cpg = g.cPerGroup();
        int opg = g.oPerGroup();
        int kk = cpg * g.kh() * g.kw();
        int ohw = g.outH() * g.outW();
        int hw = g.h() * g.w();
        float[] want = new float[off + g.inputSize()];
        float[] col = new float[kk * ohw];
        for (int b = 0; b < g.n(); b++) {
            for (int gr = 0; gr < g.groups(); gr++) {
                Gemm.sgemm(true, false, kk, ohw, opg, w, off + gr * opg * kk, kk, gOut,
                        off + (b * g.outChannels() + gr * opg) * ohw, ohw, col, 0, ohw, false);
                ConvKernels.col2im(col, 0, ohw, g, want, off + (b * g.c() + gr * cpg) * hw);
            }
        }
        for (int i = 0; i < g.inputSize(); i++) {
            if (Float.floatToRawIntBits(want[off + i]) != Float.floatToRawIntBits(gx[off + i])) {
                fail("gx[" + i + "] = " + gx[off + i] + ", scalar col2im " + want[off + i] + " for " + cs
                        + (KernelProvider.simdEnabled() ? " (phased: " + SimdStridedCol2im.applies(g) + ")" : ""));
            }
        }
    }

    private static float[] withOffsetF(float[] x, int off) {
        float[] y = new float[off + x.length];
        System.arraycopy(x, 0, y, off, x.length);
        return y;
    }

    /**
     * Maps narrower than a panel share one forward product across several images, their padded rows interleaved,
     * strides above 1 read phase planes, and output rows whose kernel rows partly fall in the padding skip those
     * taps: checked against the reference,
     * 1 vs 2 threads, bit for bit against im2col followed by the same GEMM (one image at a time), and with a
     * non-finite weight (every tap kept, so the same NaN and ±∞ pattern as im2col).
     */
    @Test
    void smallMapsShareForwardProductsAcrossImages() {
        Gen<Case> gen = in -> {
            int groups = between(in, 1, 2);
            int cpg = between(in, 4, 12);
            int opg = between(in, 1, 30);
            int pad = between(in, 1, 2);
            int k = 2 * pad + 1 - between(in, 0, 1);
            int stride = between(in, 1, 3);
            int h = between(in, 3, 12) * stride;
            int w = between(in, 7, 15) * stride + between(in, 0, stride - 1);
            int n = between(in, 1, 24);
            ConvGeometry g = ConvGeometry.of(n, cpg * groups, h, w, opg * groups, k, k, stride, stride, pad, pad, 1,
                    1, groups);
            return new Case(g, between(in, 0, 1) == 1, between(in, 0, 3), in.next(Constraint.between(0, 1 << 30)));
        };
        qt().withExamples(20).forAll(gen).checkAssert(cs -> {
            check(cs, true);
            checkForwardEqualsIm2colGemm(cs);
            checkNonFiniteWeightForward(cs);
            checkNonFiniteWeightGradient(cs);
        });
        for (ConvGeometry g : new ConvGeometry[] {
            // ResNet's last stage (7×7, images innermost) and a 14×14 map with dilation (shared products)
            ConvGeometry.of(20, 32, 7, 7, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1),
            ConvGeometry.of(9, 16, 14, 14, 24, 3, 3, 1, 1, 2, 2, 2, 2, 2),
            // images innermost (SimdBatchInnerConv): 5-wide rows, padding 2 and dilation 2, two groups
            ConvGeometry.of(12, 16, 6, 5, 24, 3, 3, 1, 1, 2, 2, 2, 2, 2),
            // stride 2 and 3 through phase planes: ResNet's downsampling 3×3 and 1×1, and a dilated one
            ConvGeometry.of(12, 32, 14, 14, 40, 3, 3, 2, 2, 1, 1, 1, 1, 1),
            ConvGeometry.of(3, 40, 16, 16, 24, 1, 1, 2, 2, 0, 0, 1, 1, 1),
            ConvGeometry.of(4, 16, 23, 23, 20, 3, 3, 3, 3, 1, 1, 1, 1, 1),
            ConvGeometry.of(3, 8, 15, 30, 12, 3, 3, 2, 2, 2, 2, 2, 2, 1),
        }) {
            // the scalar run never loads the SIMD class (it needs the Vector API module)
            assertTrue(!KernelProvider.simdEnabled() || SimdShiftedConv.appliesForward(g)
                    || SimdBatchInnerConv.applies(g), g.toString());
            Case cs = new Case(g, true, 2, g.n());
            check(cs, true);
            checkForwardEqualsIm2colGemm(cs);
            checkNonFiniteWeightForward(cs);
        }
    }

    /** One weight set to ±∞ or NaN: the forward equals im2col + GEMM, NaNs included (no tap is dropped then). */
    private static void checkNonFiniteWeightForward(Case cs) {
        ConvGeometry g = cs.g();
        SplittableRandom r = new SplittableRandom(cs.seed() + 3);
        float[] x = toF(randomD(g.inputSize(), r));
        float[] w = toF(randomD(g.weightSize(), r));
        float[] specials = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        w[r.nextInt(w.length)] = specials[r.nextInt(3)];
        float[] out = new float[g.outputSize()];
        ConvKernels.conv2dForward(x, 0, w, 0, null, 0, out, 0, g);
        int ohw = g.outH() * g.outW(), opg = g.oPerGroup();
        for (int b = 0; b < g.n(); b++) {
            for (int gr = 0; gr < g.groups(); gr++) {
                float[] c = im2colGemm(g, x, w, null, b, gr);
                int base = (b * g.outChannels() + gr * opg) * ohw;
                for (int i = 0; i < c.length; i++) {
                    float got = out[base + i];
                    if (!(Float.isNaN(got) ? Float.isNaN(c[i]) : got == c[i])) {
                        fail("non-finite weight: forward vs im2col+GEMM, image " + b + " group " + gr + " [" + i
                                + "]: " + got + " vs " + c[i] + " for " + cs);
                    }
                }
            }
        }
    }

    /** Image b, group gr of the forward as im2col followed by the GEMM (the reference order of every chain). */
    private static float[] im2colGemm(ConvGeometry g, float[] x, float[] w, float[] bias, int b, int gr) {
        int ohw = g.outH() * g.outW(), cpg = g.cPerGroup(), opg = g.oPerGroup(), kk = cpg * g.kh() * g.kw();
        float[] col = new float[kk * ohw];
        float[] c = new float[opg * ohw];
        ConvKernels.im2col(x, (b * g.c() + gr * cpg) * g.h() * g.w(), g, col, 0, ohw);
        for (int o = 0; o < opg; o++) {
            java.util.Arrays.fill(c, o * ohw, (o + 1) * ohw, bias == null ? 0f : bias[gr * opg + o]);
        }
        Gemm.sgemm(false, false, opg, ohw, kk, w, gr * opg * kk, kk, col, 0, ohw, c, 0, ohw, bias != null);
        return c;
    }

    private static void checkForwardEqualsIm2colGemm(Case cs) {
        ConvGeometry g = cs.g();
        SplittableRandom r = new SplittableRandom(cs.seed() + 1);
        float[] x = toF(randomD(g.inputSize(), r));
        float[] w = toF(randomD(g.weightSize(), r));
        float[] bias = cs.bias() ? toF(randomD(g.outChannels(), r)) : null;
        float[] out = new float[g.outputSize()];
        ConvKernels.conv2dForward(x, 0, w, 0, bias, 0, out, 0, g);
        int ohw = g.outH() * g.outW(), cpg = g.cPerGroup(), opg = g.oPerGroup(), kk = cpg * g.kh() * g.kw();
        float[] col = new float[kk * ohw];
        for (int b = 0; b < g.n(); b++) {
            for (int gr = 0; gr < g.groups(); gr++) {
                float[] c = im2colGemm(g, x, w, bias, b, gr);
                float[] slice = java.util.Arrays.copyOfRange(out, (b * g.outChannels() + gr * opg) * ohw,
                        (b * g.outChannels() + (gr + 1) * opg) * ohw);
                GemmTest.assertBitIdentical("forward vs im2col+GEMM, image " + b + " group " + gr, c, slice, cs);
            }
        }
        // the weight gradient: the same chain as im2col + GEMM, so the same bits, also with a non-finite input (a
        // row's last column, which the padded width's extra positions would read), for a single chunk of images
        if (g.n() == 1) {
            float[] gOut = toF(randomD(g.outputSize(), r));
            for (boolean special : new boolean[] {false, true}) {
                if (special) {
                    x[(r.nextInt(g.c()) * g.h() + r.nextInt(g.h())) * g.w() + g.w() - 1] =
                            r.nextBoolean() ? Float.NEGATIVE_INFINITY : Float.NaN;
                }
                float[] gw = new float[g.weightSize()];
                ConvKernels.conv2dBackwardWeight(gOut, 0, x, 0, gw, 0, g);
                float[] want = new float[g.weightSize()];
                for (int gr = 0; gr < g.groups(); gr++) {
                    ConvKernels.im2col(x, gr * cpg * g.h() * g.w(), g, col, 0, ohw);
                    Gemm.sgemm(false, true, opg, kk, ohw, gOut, gr * opg * ohw, ohw, col, 0, ohw, want,
                            gr * opg * kk, kk, false);
                }
                for (int i = 0; i < want.length; i++) {
                    if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(gw[i])) {
                        fail("weight gradient vs im2col+GEMM [" + i + "]" + (special ? " (non-finite input)" : "")
                                + ": " + gw[i] + " vs " + want[i] + " for " + cs);
                    }
                }
            }
        }
    }

    private static void checkNonFiniteWeightGradient(Case cs) {
        ConvGeometry g = cs.g();
        SplittableRandom r = new SplittableRandom(cs.seed() + 2);
        double[] x = toD(toF(randomD(g.inputSize(), r)));
        double[] gOut = toD(toF(randomD(g.outputSize(), r)));
        // the last column of a row: garbage positions of the padded width read it when padW < (kW−1)·dW
        int b = r.nextInt(g.n());
        int at = ((b * g.c() + r.nextInt(g.c())) * g.h() + r.nextInt(g.h())) * g.w() + g.w() - 1;
        x[at] = r.nextBoolean() ? Double.POSITIVE_INFINITY : Double.NaN;
        double[][] ref = reference(g, x, new double[g.weightSize()], null, gOut);
        float[] gw = new float[g.weightSize()];
        ConvKernels.conv2dBackwardWeight(toF(gOut), 0, toF(x), 0, gw, 0, g);
        for (int i = 0; i < gw.length; i++) {
            double want = ref[2][i];
            boolean ok = Double.isFinite(want)
                    ? Math.abs(gw[i] - want) <= 2e-6 * 8 * ref[5][i] + 1e-6
                    : Double.isNaN(want) ? Float.isNaN(gw[i]) : gw[i] == want;
            if (!ok) {
                fail("gw[" + i + "] = " + gw[i] + ", expected " + want + " with x[" + at + "] = " + x[at] + " for "
                        + cs);
            }
        }
    }

    private static void check(Case cs, boolean threads) {
        ConvGeometry g = cs.g();
        SplittableRandom r = new SplittableRandom(cs.seed());
        int off = cs.off();
        double[] x = randomD(g.inputSize(), r);
        double[] w = randomD(g.weightSize(), r);
        double[] bias = cs.bias() ? randomD(g.outChannels(), r) : null;
        double[] gOut = randomD(g.outputSize(), r);
        double[][] ref = reference(g, x, w, bias, gOut);
        float[] xf = toF(withOffset(x, off)), wf = toF(withOffset(w, off)), gf = toF(withOffset(gOut, off));
        float[] bf = bias == null ? null : toF(withOffset(bias, off));
        // the float reference uses the rounded inputs
        double[][] refF = reference(g, toD(toF(x)), toD(toF(w)), bias == null ? null : toD(toF(bias)),
                toD(toF(gOut)));
        Parallel.setNumThreads(2);
        float[][] two = runFloat(cs, xf, wf, bf, gf);
        compare("out", two[0], off, refF[0], refF[3], cs);
        compare("gx", two[1], off, refF[1], refF[4], cs);
        compare("gw", two[2], off, refF[2], refF[5], cs);
        if (threads) {
            Parallel.setNumThreads(1);
            float[][] one = runFloat(cs, xf, wf, bf, gf);
            for (int t = 0; t < 3; t++) {
                GemmTest.assertBitIdentical("conv 1 vs 2 threads, output " + t, one[t], two[t], cs);
            }
            Parallel.setNumThreads(2);
        }
        // double
        double[] xd = withOffset(x, off), wd = withOffset(w, off), gd = withOffset(gOut, off);
        double[] bd = bias == null ? null : withOffset(bias, off);
        double[] out = new double[off + g.outputSize()];
        ConvKernels.conv2dForward(xd, off, wd, off, bd, off, out, off, g);
        compareD("out(double)", out, off, ref[0], ref[3], cs);
        double[] gx = new double[off + g.inputSize()];
        java.util.Arrays.fill(gx, 3.0);
        ConvKernels.conv2dBackwardInput(gd, off, wd, off, gx, off, g);
        compareD("gx(double)", gx, off, ref[1], ref[4], cs);
        double[] gw = new double[off + g.weightSize()];
        java.util.Arrays.fill(gw, 3.0);
        ConvKernels.conv2dBackwardWeight(gd, off, xd, off, gw, off, g);
        compareD("gw(double)", gw, off, ref[2], ref[5], cs);
    }

    @Test
    void oneVersusTwoThreadsBitIdenticalOnRealisticShapes() {
        ConvGeometry[] gs = {
            ConvGeometry.of(8, 16, 20, 20, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1),
            ConvGeometry.of(3, 32, 17, 15, 64, 1, 1, 1, 1, 0, 0, 1, 1, 1),
            ConvGeometry.of(2, 16, 33, 31, 16, 5, 5, 2, 2, 2, 2, 1, 1, 4),
            ConvGeometry.of(1, 24, 30, 30, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1),
            ConvGeometry.of(9, 8, 12, 12, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8),
            // a first layer: 9 taps per output channel, so the weight gradient is computed transposed
            ConvGeometry.of(4, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1),
        };
        long seed = 1;
        for (ConvGeometry g : gs) {
            Case cs = new Case(g, true, 2, seed++);
            check(cs, true);
        }
    }

    @Test
    void zeroBatchIsFine() {
        ConvGeometry g = ConvGeometry.of(0, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        float[] gw = new float[g.weightSize()];
        java.util.Arrays.fill(gw, 5f);
        ConvKernels.conv2dForward(new float[0], 0, new float[g.weightSize()], 0, null, 0, new float[0], 0, g);
        ConvKernels.conv2dBackwardInput(new float[0], 0, new float[g.weightSize()], 0, new float[0], 0, g);
        ConvKernels.conv2dBackwardWeight(new float[0], 0, new float[0], 0, gw, 0, g);
        for (float v : gw) {
            assertEquals(0f, v);
        }
    }

    @Test
    void geometryValidation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConvGeometry.of(1, 5, 8, 8, 4, 3, 3, 1, 1, 0, 0, 1, 1, 2));
        assertTrue(e.getMessage().contains("conv2d") && e.getMessage().contains("divisible")
                && e.getMessage().contains("5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ConvGeometry.of(1, 4, 8, 8, 3, 3, 3, 1, 1, 0, 0, 1, 1, 2));
        assertTrue(e.getMessage().contains("conv2d") && e.getMessage().contains("out channels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ConvGeometry.of(1, 3, 2, 2, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1));
        assertTrue(e.getMessage().contains("conv2d") && e.getMessage().contains("too small"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ConvGeometry.of(1, 3, 8, 8, 4, 3, 3, 0, 1, 0, 0, 1, 1, 1));
        assertTrue(e.getMessage().contains("conv2d") && e.getMessage().contains("stride"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ConvGeometry.of(1, 3, 8, 8, 4, 3, 3, 1, 1, -1, 0, 1, 1, 1));
        assertTrue(e.getMessage().contains("conv2d") && e.getMessage().contains("padding"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ConvGeometry.of(1, 3, 8, 8, 4, 3, 3, 1, 1, 0, 0, 0, 1, 1));
        assertTrue(e.getMessage().contains("conv2d") && e.getMessage().contains("dilation"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ConvGeometry.of(1, 3, 8, 8, 4, 3, 3, 1, 1, 0, 0, 1, 1, 0));
        assertTrue(e.getMessage().contains("conv2d") && e.getMessage().contains("groups"), e.getMessage());
        ConvGeometry g = ConvGeometry.of(2, 3, 7, 9, 4, 3, 2, 2, 3, 1, 0, 1, 2, 1);
        assertEquals(4, g.outH()); // (7 + 2 - 3) / 2 + 1
        assertEquals(3, g.outW()); // (9 - 3) / 3 + 1
        e = assertThrows(IllegalArgumentException.class,
                () -> ConvKernels.conv2dForward(new float[10], 0, new float[g.weightSize()], 0, null, 0,
                        new float[g.outputSize()], 0, g));
        assertTrue(e.getMessage().contains("conv2dForward") && e.getMessage().contains("x"), e.getMessage());
    }
}
