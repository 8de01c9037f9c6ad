package dev.vgrad.core.kernel;

/**
 * 2-D pooling kernels over contiguous {@code (N, C, H, W)} arrays, float and double, following ATen's CPU
 * kernels (window bounds, divisor rules, NaN propagation, summation order within a window).
 *
 * <p>Work is split over fixed groups of (n, c) planes, chosen from the sizes only; each plane is computed the
 * same way whichever thread runs it, so results are bit-identical for any thread count. Geometries come from
 * {@link PoolGeometry}, which validates them.
 *
 * <p>Internal: used by core's pooling ops ({@code ConvOps}) and the JMH benchmarks; not part of the stable API.
 */
public final class PoolKernels {
    private PoolKernels() {}

    /** Approximate number of window elements per parallel chunk. */
    private static final long GRAIN = 1L << 16;
    private static final long PARALLEL_MIN_WORK = 1L << 17;

    @FunctionalInterface
    private interface PlaneRange {
        void run(int p0, int p1);
    }

    private static void forPlanes(PoolGeometry g, PlaneRange body) {
        int planes = g.n() * g.c();
        if (planes == 0) {
            return;
        }
        long perPlane = Math.max(1L, (long) g.h() * g.w() + (long) g.outH() * g.outW()
                * Math.max(1, g.kh() * g.kw()));
        long total = perPlane * planes;
        if (total < PARALLEL_MIN_WORK || planes == 1) {
            body.run(0, planes);
            return;
        }
        int per = (int) Math.max(1, Math.min(planes, GRAIN / perPlane));
        int chunks = (planes + per - 1) / per;
        Parallel.forEachChunk(chunks, ch -> body.run(ch * per, Math.min(planes, (ch + 1) * per)));
    }

    private static int start(int i, int in, int out) {
        return (int) ((long) i * in / out);
    }

    private static int end(int i, int in, int out) {
        return (int) (((long) (i + 1) * in + out - 1) / out);
    }

    private static void check(String op, PoolGeometry g, int len1, int off1, int size1, int len2, int off2,
                              int size2) {
        if (g == null) {
            throw new IllegalArgumentException(op + ": geometry must not be null");
        }
        checkRange(op, "input", len1, off1, size1);
        checkRange(op, "output", len2, off2, size2);
    }

    private static void checkRange(String op, String name, int len, int off, int size) {
        if (off < 0 || (long) off + size > len) {
            throw new IllegalArgumentException(op + ": array " + name + " of length " + len
                    + " is too short for " + size + " elements at offset " + off);
        }
    }

    // ------------------------------------------------------------------------------------------ float

    /**
     * Max pooling. out {@code (N,C,OH,OW)} gets the window maxima; argmax (same length) gets the flat index
     * {@code y·W + x} of the chosen element within its input plane. A NaN in a window wins (the last NaN, as in
     * ATen); ties keep the first maximum.
     *
     * @param x      input array, contiguous (N, C, H, W)
     * @param xOff   offset of x's first element
     * @param out    output array, contiguous (N, C, OH, OW), overwritten
     * @param outOff offset of out's first element
     * @param argmax output: per output element the flat index within its input plane, from index 0
     *               (length ≥ N·C·OH·OW)
     * @param g      the validated geometry
     * @throws IllegalArgumentException naming the op if an array is too short for the geometry
     */
    public static void maxPool2dForward(float[] x, int xOff, float[] out, int outOff, int[] argmax,
                                        PoolGeometry g) {
        check("max_pool2d", g, x.length, xOff, g.inputSize(), out.length, outOff, g.outputSize());
        checkRange("max_pool2d", "argmax", argmax.length, 0, g.outputSize());
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW();
        int dh = g.dilationH(), dw = g.dilationW();
        if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && dh == 1 && dw == 1 && 2 * oh <= h
                && 2 * ow <= w) {
            forPlanes(g, (p0, p1) -> maxPool2x2(x, xOff, out, outOff, argmax, h, w, oh, ow, p0, p1));
            return;
        }
        forPlanes(g, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                int in = xOff + p * h * w;
                int o = p * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int ys = oy * sh - ph;
                    int ye = Math.min(ys + (kh - 1) * dh + 1, h);
                    while (ys < 0) {
                        ys += dh;
                    }
                    for (int ox = 0; ox < ow; ox++) {
                        int xs = ox * sw - pw;
                        int xe = Math.min(xs + (kw - 1) * dw + 1, w);
                        while (xs < 0) {
                            xs += dw;
                        }
                        int best = ys * w + xs;
                        float max = Float.NEGATIVE_INFINITY;
                        for (int y = ys; y < ye; y += dh) {
                            for (int xx = xs; xx < xe; xx += dw) {
                                int idx = y * w + xx;
                                float v = x[in + idx];
                                if (v > max || v != v) {
                                    max = v;
                                    best = idx;
                                }
                            }
                        }
                        out[outOff + o] = max;
                        argmax[o] = best;
                        o++;
                    }
                }
            }
        });
    }

    /**
     * The 2×2, stride-2, unpadded window of {@link #maxPool2dForward} (the usual downsampling layer) without the
     * general window bounds: the four candidates are compared in the same order with the same NaN and tie rules
     * ({@code SimdPoolKernels} does L windows at a time with identical results).
     */
    private static void maxPool2x2(float[] x, int xOff, float[] out, int outOff, int[] argmax, int h, int w, int oh,
                                   int ow, int p0, int p1) {
        boolean simd = KernelProvider.simdEnabled();
        for (int p = p0; p < p1; p++) {
            int in = xOff + p * h * w;
            int o = p * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int r0 = 2 * oy * w;
                int ox = 0;
                if (simd) {
                    // the vector loop stops before an access that would cross an array's end
                    ox = SimdPoolKernels.maxPool2x2Row(x, in, r0, w, ow, out, outOff, argmax, o);
                    o += ox;
                }
                for (; ox < ow; ox++, o++) {
                    int i = r0 + 2 * ox;
                    float m = x[in + i];
                    int best = i;
                    float v = x[in + i + 1];
                    if (v > m || v != v) {
                        m = v;
                        best = i + 1;
                    }
                    v = x[in + i + w];
                    if (v > m || v != v) {
                        m = v;
                        best = i + w;
                    }
                    v = x[in + i + w + 1];
                    if (v > m || v != v) {
                        m = v;
                        best = i + w + 1;
                    }
                    out[outOff + o] = m;
                    argmax[o] = best;
                }
            }
        }
    }

    /**
     * Gradient of max pooling: gx (overwritten) gets each gOut added at its argmax.
     *
     * @param gOut   gradient of the output, contiguous (N, C, OH, OW)
     * @param gOff   offset of gOut's first element
     * @param argmax the indices written by the forward, from index 0
     * @param gx     input gradient, contiguous (N, C, H, W), overwritten
     * @param gxOff  offset of gx's first element
     * @param g      the geometry of the forward
     * @throws IllegalArgumentException naming the op if an array is too short or an argmax index is out of its plane
     */
    public static void maxPool2dBackward(float[] gOut, int gOff, int[] argmax, float[] gx, int gxOff,
                                         PoolGeometry g) {
        check("max_pool2d_backward", g, gx.length, gxOff, g.inputSize(), gOut.length, gOff, g.outputSize());
        checkRange("max_pool2d_backward", "argmax", argmax.length, 0, g.outputSize());
        int hw = g.h() * g.w(), ohw = g.outH() * g.outW();
        forPlanes(g, (p0, p1) -> {
            java.util.Arrays.fill(gx, gxOff + p0 * hw, gxOff + p1 * hw, 0f);
            for (int p = p0; p < p1; p++) {
                int base = gxOff + p * hw;
                for (int o = p * ohw, e = o + ohw; o < e; o++) {
                    int idx = argmax[o];
                    if (idx < 0 || idx >= hw) {
                        throw new IllegalArgumentException("max_pool2d_backward: argmax " + idx
                                + " out of range for an input plane of " + hw + " elements");
                    }
                    gx[base + idx] += gOut[gOff + o];
                }
            }
        });
    }

    /**
     * Average pooling with ATen's divisor rules: the window is clipped to the padded input for the
     * {@code countIncludePad} divisor and to the input for the sum (and for the divisor otherwise).
     *
     * @param x      input array, contiguous (N, C, H, W)
     * @param xOff   offset of x's first element
     * @param out    output array, contiguous (N, C, OH, OW), overwritten
     * @param outOff offset of out's first element
     * @param g      the validated geometry
     * @throws IllegalArgumentException naming the op if an array is too short for the geometry
     */
    public static void avgPool2dForward(float[] x, int xOff, float[] out, int outOff, PoolGeometry g) {
        check("avg_pool2d", g, x.length, xOff, g.inputSize(), out.length, outOff, g.outputSize());
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW();
        boolean incl = g.countIncludePad();
        forPlanes(g, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                int in = xOff + p * h * w;
                int o = outOff + p * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int ys = oy * sh - ph;
                    int ye = Math.min(ys + kh, h + ph);
                    int poolH = ye - ys;
                    ys = Math.max(ys, 0);
                    ye = Math.min(ye, h);
                    for (int ox = 0; ox < ow; ox++) {
                        int xs = ox * sw - pw;
                        int xe = Math.min(xs + kw, w + pw);
                        int poolSize = poolH * (xe - xs);
                        xs = Math.max(xs, 0);
                        xe = Math.min(xe, w);
                        if (ys >= ye || xs >= xe) {
                            out[o++] = 0f;
                            continue;
                        }
                        float sum = 0f;
                        for (int y = ys; y < ye; y++) {
                            int r = in + y * w;
                            for (int xx = xs; xx < xe; xx++) {
                                sum += x[r + xx];
                            }
                        }
                        int div = incl ? poolSize : (ye - ys) * (xe - xs);
                        out[o++] = sum / div;
                    }
                }
            }
        });
    }

    /**
     * Gradient of {@link #avgPool2dForward}; gx is overwritten.
     *
     * @param gOut   gradient of the output, contiguous (N, C, OH, OW)
     * @param gOff   offset of gOut's first element
     * @param gx     input gradient, contiguous (N, C, H, W), overwritten
     * @param gxOff  offset of gx's first element
     * @param g      the geometry of the forward
     * @throws IllegalArgumentException naming the op if an array is too short
     */
    public static void avgPool2dBackward(float[] gOut, int gOff, float[] gx, int gxOff, PoolGeometry g) {
        check("avg_pool2d_backward", g, gx.length, gxOff, g.inputSize(), gOut.length, gOff, g.outputSize());
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW();
        boolean incl = g.countIncludePad();
        forPlanes(g, (p0, p1) -> {
            java.util.Arrays.fill(gx, gxOff + p0 * h * w, gxOff + p1 * h * w, 0f);
            for (int p = p0; p < p1; p++) {
                int in = gxOff + p * h * w;
                int o = gOff + p * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int ys = oy * sh - ph;
                    int ye = Math.min(ys + kh, h + ph);
                    int poolH = ye - ys;
                    ys = Math.max(ys, 0);
                    ye = Math.min(ye, h);
                    for (int ox = 0; ox < ow; ox++) {
                        int xs = ox * sw - pw;
                        int xe = Math.min(xs + kw, w + pw);
                        int poolSize = poolH * (xe - xs);
                        xs = Math.max(xs, 0);
                        xe = Math.min(xe, w);
                        if (ys >= ye || xs >= xe) {
                            o++;
                            continue;
                        }
                        int div = incl ? poolSize : (ye - ys) * (xe - xs);
                        float delta = gOut[o++] / div;
                        for (int y = ys; y < ye; y++) {
                            int r = in + y * w;
                            for (int xx = xs; xx < xe; xx++) {
                                gx[r + xx] += delta;
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * Adaptive average pooling: output cell {@code (i, j)} averages rows {@code floor(i·H/OH) .. ceil((i+1)·H/OH)}
     * and the analogous columns ({@code sum / kh / kw}, as ATen).
     *
     * @param x      input array, contiguous (N, C, H, W)
     * @param xOff   offset of x's first element
     * @param out    output array, contiguous (N, C, OH, OW), overwritten
     * @param outOff offset of out's first element
     * @param g      the validated geometry
     * @throws IllegalArgumentException naming the op if an array is too short for the geometry
     */
    public static void adaptiveAvgPool2dForward(float[] x, int xOff, float[] out, int outOff, PoolGeometry g) {
        check("adaptive_avg_pool2d", g, x.length, xOff, g.inputSize(), out.length, outOff, g.outputSize());
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        forPlanes(g, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                int in = xOff + p * h * w;
                int o = outOff + p * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int ys = start(oy, h, oh), ye = end(oy, h, oh);
                    for (int ox = 0; ox < ow; ox++) {
                        int xs = start(ox, w, ow), xe = end(ox, w, ow);
                        float sum = 0f;
                        for (int y = ys; y < ye; y++) {
                            int r = in + y * w;
                            for (int xx = xs; xx < xe; xx++) {
                                sum += x[r + xx];
                            }
                        }
                        out[o++] = sum / (ye - ys) / (xe - xs);
                    }
                }
            }
        });
    }

    /**
     * Gradient of {@link #adaptiveAvgPool2dForward}; gx is overwritten.
     *
     * @param gOut   gradient of the output, contiguous (N, C, OH, OW)
     * @param gOff   offset of gOut's first element
     * @param gx     input gradient, contiguous (N, C, H, W), overwritten
     * @param gxOff  offset of gx's first element
     * @param g      the geometry of the forward
     * @throws IllegalArgumentException naming the op if an array is too short
     */
    public static void adaptiveAvgPool2dBackward(float[] gOut, int gOff, float[] gx, int gxOff, PoolGeometry g) {
        check("adaptive_avg_pool2d_backward", g, gx.length, gxOff, g.inputSize(), gOut.length, gOff,
                g.outputSize());
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        forPlanes(g, (p0, p1) -> {
            java.util.Arrays.fill(gx, gxOff + p0 * h * w, gxOff + p1 * h * w, 0f);
            for (int p = p0; p < p1; p++) {
                int in = gxOff + p * h * w;
                int o = gOff + p * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int ys = start(oy, h, oh), ye = end(oy, h, oh);
                    for (int ox = 0; ox < ow; ox++) {
                        int xs = start(ox, w, ow), xe = end(ox, w, ow);
                        float delta = gOut[o++] / (ye - ys) / (xe - xs);
                        for (int y = ys; y < ye; y++) {
                            int r = in + y * w;
                            for (int xx = xs; xx < xe; xx++) {
                                gx[r + xx] += delta;
                            }
                        }
                    }
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------------ double

    /**
     * Max pooling. out {@code (N,C,OH,OW)} gets the window maxima; argmax (same length) gets the flat index
     * {@code y·W + x} of the chosen element within its input plane. A NaN in a window wins (the last NaN, as in
     * ATen); ties keep the first maximum.
     *
     * @param x      input array, contiguous (N, C, H, W)
     * @param xOff   offset of x's first element
     * @param out    output array, contiguous (N, C, OH, OW), overwritten
     * @param outOff offset of out's first element
     * @param argmax output: per output element the flat index within its input plane, from index 0
     *               (length ≥ N·C·OH·OW)
     * @param g      the validated geometry
     * @throws IllegalArgumentException naming the op if an array is too short for the geometry
     */
    public static void maxPool2dForward(double[] x, int xOff, double[] out, int outOff, int[] argmax,
                                        PoolGeometry g) {
        check("max_pool2d", g, x.length, xOff, g.inputSize(), out.length, outOff, g.outputSize());
        checkRange("max_pool2d", "argmax", argmax.length, 0, g.outputSize());
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW();
        int dh = g.dilationH(), dw = g.dilationW();
        forPlanes(g, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                int in = xOff + p * h * w;
                int o = p * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int ys = oy * sh - ph;
                    int ye = Math.min(ys + (kh - 1) * dh + 1, h);
                    while (ys < 0) {
                        ys += dh;
                    }
                    for (int ox = 0; ox < ow; ox++) {
                        int xs = ox * sw - pw;
                        int xe = Math.min(xs + (kw - 1) * dw + 1, w);
                        while (xs < 0) {
                            xs += dw;
                        }
                        int best = ys * w + xs;
                        double max = Double.NEGATIVE_INFINITY;
                        for (int y = ys; y < ye; y += dh) {
                            for (int xx = xs; xx < xe; xx += dw) {
                                int idx = y * w + xx;
                                double v = x[in + idx];
                                if (v > max || v != v) {
                                    max = v;
                                    best = idx;
                                }
                            }
                        }
                        out[outOff + o] = max;
                        argmax[o] = best;
                        o++;
                    }
                }
            }
        });
    }

    /**
     * Gradient of max pooling: gx (overwritten) gets each gOut added at its argmax.
     *
     * @param gOut   gradient of the output, contiguous (N, C, OH, OW)
     * @param gOff   offset of gOut's first element
     * @param argmax the indices written by the forward, from index 0
     * @param gx     input gradient, contiguous (N, C, H, W), overwritten
     * @param gxOff  offset of gx's first element
     * @param g      the geometry of the forward
     * @throws IllegalArgumentException naming the op if an array is too short or an argmax index is out of its plane
     */
    public static void maxPool2dBackward(double[] gOut, int gOff, int[] argmax, double[] gx, int gxOff,
                                         PoolGeometry g) {
        check("max_pool2d_backward", g, gx.length, gxOff, g.inputSize(), gOut.length, gOff, g.outputSize());
        checkRange("max_pool2d_backward", "argmax", argmax.length, 0, g.outputSize());
        int hw = g.h() * g.w(), ohw = g.outH() * g.outW();
        forPlanes(g, (p0, p1) -> {
            java.util.Arrays.fill(gx, gxOff + p0 * hw, gxOff + p1 * hw, 0.0);
            for (int p = p0; p < p1; p++) {
                int base = gxOff + p * hw;
                for (int o = p * ohw, e = o + ohw; o < e; o++) {
                    int idx = argmax[o];
                    if (idx < 0 || idx >= hw) {
                        throw new IllegalArgumentException("max_pool2d_backward: argmax " + idx
                                + " out of range for an input plane of " + hw + " elements");
                    }
                    gx[base + idx] += gOut[gOff + o];
                }
            }
        });
    }

    /**
     * Average pooling with ATen's divisor rules: the window is clipped to the padded input for the
     * {@code countIncludePad} divisor and to the input for the sum (and for the divisor otherwise).
     *
     * @param x      input array, contiguous (N, C, H, W)
     * @param xOff   offset of x's first element
     * @param out    output array, contiguous (N, C, OH, OW), overwritten
     * @param outOff offset of out's first element
     * @param g      the validated geometry
     * @throws IllegalArgumentException naming the op if an array is too short for the geometry
     */
    public static void avgPool2dForward(double[] x, int xOff, double[] out, int outOff, PoolGeometry g) {
        check("avg_pool2d", g, x.length, xOff, g.inputSize(), out.length, outOff, g.outputSize());
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW();
        boolean incl = g.countIncludePad();
        forPlanes(g, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                int in = xOff + p * h * w;
                int o = outOff + p * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int ys = oy * sh - ph;
                    int ye = Math.min(ys + kh, h + ph);
                    int poolH = ye - ys;
                    ys = Math.max(ys, 0);
                    ye = Math.min(ye, h);
                    for (int ox = 0; ox < ow; ox++) {
                        int xs = ox * sw - pw;
                        int xe = Math.min(xs + kw, w + pw);
                        int poolSize = poolH * (xe - xs);
                        xs = Math.max(xs, 0);
                        xe = Math.min(xe, w);
                        if (ys >= ye || xs >= xe) {
                            out[o++] = 0.0;
                            continue;
                        }
                        double sum = 0.0;
                        for (int y = ys; y < ye; y++) {
                            int r = in + y * w;
                            for (int xx = xs; xx < xe; xx++) {
                                sum += x[r + xx];
                            }
                        }
                        int div = incl ? poolSize : (ye - ys) * (xe - xs);
                        out[o++] = sum / div;
                    }
                }
            }
        });
    }

    /**
     * Gradient of {@link #avgPool2dForward}; gx is overwritten.
     *
     * @param gOut   gradient of the output, contiguous (N, C, OH, OW)
     * @param gOff   offset of gOut's first element
     * @param gx     input gradient, contiguous (N, C, H, W), overwritten
     * @param gxOff  offset of gx's first element
     * @param g      the geometry of the forward
     * @throws IllegalArgumentException naming the op if an array is too short
     */
    public static void avgPool2dBackward(double[] gOut, int gOff, double[] gx, int gxOff, PoolGeometry g) {
        check("avg_pool2d_backward", g, gx.length, gxOff, g.inputSize(), gOut.length, gOff, g.outputSize());
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW();
        boolean incl = g.countIncludePad();
        forPlanes(g, (p0, p1) -> {
            java.util.Arrays.fill(gx, gxOff + p0 * h * w, gxOff + p1 * h * w, 0.0);
            for (int p = p0; p < p1; p++) {
                int in = gxOff + p * h * w;
                int o = gOff + p * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int ys = oy * sh - ph;
                    int ye = Math.min(ys + kh, h + ph);
                    int poolH = ye - ys;
                    ys = Math.max(ys, 0);
                    ye = Math.min(ye, h);
                    for (int ox = 0; ox < ow; ox++) {
                        int xs = ox * sw - pw;
                        int xe = Math.min(xs + kw, w + pw);
                        int poolSize = poolH * (xe - xs);
                        xs = Math.max(xs, 0);
                        xe = Math.min(xe, w);
                        if (ys >= ye || xs >= xe) {
                            o++;
                            continue;
                        }
                        int div = incl ? poolSize : (ye - ys) * (xe - xs);
                        double delta = gOut[o++] / div;
                        for (int y = ys; y < ye; y++) {
                            int r = in + y * w;
                            for (int xx = xs; xx < xe; xx++) {
                                gx[r + xx] += delta;
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * Adaptive average pooling: output cell {@code (i, j)} averages rows {@code floor(i·H/OH) .. ceil((i+1)·H/OH)}
     * and the analogous columns ({@code sum / kh / kw}, as ATen).
     *
     * @param x      input array, contiguous (N, C, H, W)
     * @param xOff   offset of x's first element
     * @param out    output array, contiguous (N, C, OH, OW), overwritten
     * @param outOff offset of out's first element
     * @param g      the validated geometry
     * @throws IllegalArgumentException naming the op if an array is too short for the geometry
     */
    public static void adaptiveAvgPool2dForward(double[] x, int xOff, double[] out, int outOff, PoolGeometry g) {
        check("adaptive_avg_pool2d", g, x.length, xOff, g.inputSize(), out.length, outOff, g.outputSize());
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        forPlanes(g, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                int in = xOff + p * h * w;
                int o = outOff + p * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int ys = start(oy, h, oh), ye = end(oy, h, oh);
                    for (int ox = 0; ox < ow; ox++) {
                        int xs = start(ox, w, ow), xe = end(ox, w, ow);
                        double sum = 0.0;
                        for (int y = ys; y < ye; y++) {
                            int r = in + y * w;
                            for (int xx = xs; xx < xe; xx++) {
                                sum += x[r + xx];
                            }
                        }
                        out[o++] = sum / (ye - ys) / (xe - xs);
                    }
                }
            }
        });
    }

    /**
     * Gradient of {@link #adaptiveAvgPool2dForward}; gx is overwritten.
     *
     * @param gOut   gradient of the output, contiguous (N, C, OH, OW)
     * @param gOff   offset of gOut's first element
     * @param gx     input gradient, contiguous (N, C, H, W), overwritten
     * @param gxOff  offset of gx's first element
     * @param g      the geometry of the forward
     * @throws IllegalArgumentException naming the op if an array is too short
     */
    public static void adaptiveAvgPool2dBackward(double[] gOut, int gOff, double[] gx, int gxOff, PoolGeometry g) {
        check("adaptive_avg_pool2d_backward", g, gx.length, gxOff, g.inputSize(), gOut.length, gOff,
                g.outputSize());
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        forPlanes(g, (p0, p1) -> {
            java.util.Arrays.fill(gx, gxOff + p0 * h * w, gxOff + p1 * h * w, 0.0);
            for (int p = p0; p < p1; p++) {
                int in = gxOff + p * h * w;
                int o = gOff + p * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int ys = start(oy, h, oh), ye = end(oy, h, oh);
                    for (int ox = 0; ox < ow; ox++) {
                        int xs = start(ox, w, ow), xe = end(ox, w, ow);
                        double delta = gOut[o++] / (ye - ys) / (xe - xs);
                        for (int y = ys; y < ye; y++) {
                            int r = in + y * w;
                            for (int xx = xs; xx < xe; xx++) {
                                gx[r + xx] += delta;
                            }
                        }
                    }
                }
            }
        });
    }
}
