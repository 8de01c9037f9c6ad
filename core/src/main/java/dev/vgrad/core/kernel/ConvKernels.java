package dev.vgrad.core.kernel;

/**
 * 2-D convolution kernels (forward, gradient w.r.t. input, gradient w.r.t. weight) for float and double,
 * with stride, padding, dilation and groups. Layouts are contiguous NCHW; weights are
 * {@code (O, C/groups, kH, kW)}.
 *
 * <p>Implementation: im2col of one (batch, group) slice into a per-thread scratch buffer followed by
 * {@link Gemm}; 1×1 convolutions with stride 1 and no padding use the input directly. Forward and
 * backward-input run one chunk per (batch, group) (each writes a disjoint slice of the output); backward-weight
 * splits the batch into a fixed number of chunks (chosen from the sizes only) whose partial gradients are added
 * in chunk order. Results are therefore bit-identical for any thread count. Small problems run on the caller
 * thread; a single chunk lets {@link Gemm} use the threads instead.
 *
 * <p>The caller validates tensor shapes against {@link ConvGeometry}; these methods check array bounds.
 */
public final class ConvKernels {
    private ConvKernels() {}

    /** Multiply-adds below which a convolution runs on the caller thread. */
    private static final long PARALLEL_MIN_WORK = 1L << 20;
    /** Upper bound, in elements, for the partial weight gradients of conv2dBackwardWeight. */
    private static final long PARTIAL_LIMIT = 1L << 23;
    private static final int MAX_WEIGHT_CHUNKS = 8;

    private static final ThreadLocal<float[]> FSCRATCH = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<double[]> DSCRATCH = ThreadLocal.withInitial(() -> new double[0]);

    private static boolean isPointwise(ConvGeometry g) {
        return g.kh() == 1 && g.kw() == 1 && g.strideH() == 1 && g.strideW() == 1 && g.padH() == 0
                && g.padW() == 0;
    }

    private static void run(int chunks, long work, Parallel.ChunkBody body) {
        if (chunks == 1 || work < PARALLEL_MIN_WORK) {
            for (int c = 0; c < chunks; c++) {
                body.run(c);
            }
        } else {
            Parallel.forEachChunk(chunks, body);
        }
    }

    /** Number of batch chunks for backward-weight: depends only on the sizes. */
    private static int weightChunks(int n, int wSize, long work) {
        if (work < PARALLEL_MIN_WORK || n == 1) {
            return 1;
        }
        long byMem = Math.max(1, PARTIAL_LIMIT / Math.max(1, wSize));
        return (int) Math.max(1, Math.min(Math.min(n, MAX_WEIGHT_CHUNKS), byMem));
    }

    private static void checkArrays(String op, ConvGeometry g, int len1, int off1, int size1, String name1,
                                    int len2, int off2, int size2, String name2, int len3, int off3, int size3,
                                    String name3) {
        if (g == null) {
            throw new IllegalArgumentException(op + ": geometry must not be null");
        }
        checkRange(op, name1, len1, off1, size1);
        checkRange(op, name2, len2, off2, size2);
        checkRange(op, name3, len3, off3, size3);
    }

    private static void checkRange(String op, String name, int len, int off, int size) {
        if (off < 0 || (long) off + size > len) {
            throw new IllegalArgumentException(op + ": array " + name + " of length " + len
                    + " is too short for " + size + " elements at offset " + off);
        }
    }

    // ------------------------------------------------------------------------------------------ float

    /**
     * Forward convolution: {@code out[b,o] = bias[o] + Σ_{c,ki,kj} w[o,c,ki,kj]·x[b, g·C/G + c, oy·sh − ph + ki·dh,
     * ox·sw − pw + kj·dw]} (zero outside the input). x is {@code (N,C,H,W)}, w {@code (O,C/groups,kH,kW)}, bias
     * {@code (O)} or null, out {@code (N,O,OH,OW)}, all contiguous at the given offsets. out is overwritten.
     */
    public static void conv2dForward(float[] x, int xOff, float[] w, int wOff, float[] bias, int bOff,
                                     float[] out, int outOff, ConvGeometry g) {
        checkArrays("conv2dForward", g, x.length, xOff, g.inputSize(), "x", w.length, wOff, g.weightSize(), "w",
                out.length, outOff, g.outputSize(), "out");
        if (bias != null) {
            checkRange("conv2dForward", "bias", bias.length, bOff, g.outChannels());
        }
        int ohw = g.outH() * g.outW();
        int cpg = g.cPerGroup();
        int opg = g.oPerGroup();
        int kk = cpg * g.kh() * g.kw();
        int chunks = g.n() * g.groups();
        if (chunks == 0 || ohw == 0 || opg == 0) {
            return;
        }
        boolean direct = isPointwise(g);
        Parallel.ChunkBody body = ch -> {
            int b = ch / g.groups();
            int gr = ch % g.groups();
            int o0 = gr * opg;
            int outBase = outOff + (b * g.outChannels() + o0) * ohw;
            if (bias != null) {
                for (int o = 0; o < opg; o++) {
                    java.util.Arrays.fill(out, outBase + o * ohw, outBase + (o + 1) * ohw, bias[bOff + o0 + o]);
                }
            } else if (kk == 0) {
                java.util.Arrays.fill(out, outBase, outBase + opg * ohw, 0f);
            }
            if (kk == 0) {
                return;
            }
            int xBase = xOff + (b * g.c() + gr * cpg) * g.h() * g.w();
            float[] col;
            int colOff;
            if (direct) {
                col = x;
                colOff = xBase;
            } else {
                col = floatScratch(kk * ohw);
                colOff = 0;
                im2col(x, xBase, g, col);
            }
            Gemm.sgemm(false, false, opg, ohw, kk, w, wOff + o0 * kk, kk, col, colOff, ohw, out, outBase, ohw,
                    bias != null);
        };
        run(chunks, (long) opg * ohw * kk * chunks, body);
    }

    /**
     * Gradient of {@link #conv2dForward} with respect to x: {@code gx = Σ wᵀ·gOut} scattered back through the
     * im2col mapping. gOut is {@code (N,O,OH,OW)}; gx {@code (N,C,H,W)} is overwritten.
     */
    public static void conv2dBackwardInput(float[] gOut, int gOff, float[] w, int wOff, float[] gx, int gxOff,
                                           ConvGeometry g) {
        checkArrays("conv2dBackwardInput", g, gx.length, gxOff, g.inputSize(), "gx", w.length, wOff,
                g.weightSize(), "w", gOut.length, gOff, g.outputSize(), "gOut");
        int ohw = g.outH() * g.outW();
        int cpg = g.cPerGroup();
        int opg = g.oPerGroup();
        int kk = cpg * g.kh() * g.kw();
        int hw = g.h() * g.w();
        int chunks = g.n() * g.groups();
        if (chunks == 0 || cpg == 0 || hw == 0) {
            return;
        }
        boolean direct = isPointwise(g);
        Parallel.ChunkBody body = ch -> {
            int b = ch / g.groups();
            int gr = ch % g.groups();
            int gxBase = gxOff + (b * g.c() + gr * cpg) * hw;
            int gBase = gOff + (b * g.outChannels() + gr * opg) * ohw;
            int wBase = wOff + gr * opg * kk;
            if (direct) {
                // gx_g (cpg × hw) = W_gᵀ (cpg × opg) · gOut_g (opg × hw)
                Gemm.sgemm(true, false, cpg, hw, opg, w, wBase, kk, gOut, gBase, ohw, gx, gxBase, hw, false);
                return;
            }
            java.util.Arrays.fill(gx, gxBase, gxBase + cpg * hw, 0f);
            if (opg == 0) {
                return;
            }
            float[] col = floatScratch(kk * ohw);
            Gemm.sgemm(true, false, kk, ohw, opg, w, wBase, kk, gOut, gBase, ohw, col, 0, ohw, false);
            col2im(col, g, gx, gxBase);
        };
        run(chunks, (long) opg * ohw * kk * chunks, body);
    }

    /**
     * Gradient of {@link #conv2dForward} with respect to w: {@code gw[o,c,ki,kj] = Σ_{b,oy,ox} gOut[b,o,oy,ox]·
     * x[b, …]}. gw {@code (O,C/groups,kH,kW)} is overwritten. The batch is split into fixed chunks whose partial
     * gradients are summed in chunk order, so the result does not depend on the number of threads.
     */
    public static void conv2dBackwardWeight(float[] gOut, int gOff, float[] x, int xOff, float[] gw, int gwOff,
                                            ConvGeometry g) {
        checkArrays("conv2dBackwardWeight", g, x.length, xOff, g.inputSize(), "x", gw.length, gwOff,
                g.weightSize(), "gw", gOut.length, gOff, g.outputSize(), "gOut");
        int ohw = g.outH() * g.outW();
        int cpg = g.cPerGroup();
        int opg = g.oPerGroup();
        int kk = cpg * g.kh() * g.kw();
        int wSize = g.weightSize();
        java.util.Arrays.fill(gw, gwOff, gwOff + wSize, 0f);
        if (g.n() == 0 || wSize == 0 || ohw == 0) {
            return;
        }
        boolean direct = isPointwise(g);
        long work = (long) g.n() * g.groups() * opg * ohw * kk;
        int chunks = weightChunks(g.n(), wSize, work);
        int per = (g.n() + chunks - 1) / chunks;
        int nChunks = (g.n() + per - 1) / per;
        float[] partial = nChunks == 1 ? null : new float[(nChunks - 1) * wSize];
        Parallel.ChunkBody body = ch -> {
            float[] dst = ch == 0 ? gw : partial;
            int dstOff = ch == 0 ? gwOff : (ch - 1) * wSize;
            int b0 = ch * per;
            int b1 = Math.min(g.n(), b0 + per);
            float[] col = direct ? null : floatScratch(kk * ohw);
            for (int b = b0; b < b1; b++) {
                for (int gr = 0; gr < g.groups(); gr++) {
                    int xBase = xOff + (b * g.c() + gr * cpg) * g.h() * g.w();
                    int gBase = gOff + (b * g.outChannels() + gr * opg) * ohw;
                    float[] src;
                    int srcOff;
                    if (direct) {
                        src = x;
                        srcOff = xBase;
                    } else {
                        im2col(x, xBase, g, col);
                        src = col;
                        srcOff = 0;
                    }
                    // gw_g (opg × kk) += gOut_g (opg × ohw) · colᵀ (ohw × kk)
                    Gemm.sgemm(false, true, opg, kk, ohw, gOut, gBase, ohw, src, srcOff, ohw, dst,
                            dstOff + gr * opg * kk, kk, b > b0);
                }
            }
        };
        run(nChunks, work, body);
        for (int ch = 1; ch < nChunks; ch++) {
            int src = (ch - 1) * wSize;
            for (int i = 0; i < wSize; i++) {
                gw[gwOff + i] += partial[src + i];
            }
        }
    }

    /** Unfolds one (batch, group) slice of x into col ({@code cpg·kh·kw × oh·ow}), zero outside the input. */
    static void im2col(float[] x, int xBase, ConvGeometry g, float[] col) {
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW();
        int ph = g.padH(), pw = g.padW(), dh = g.dilationH(), dw = g.dilationW();
        int cpg = g.cPerGroup();
        int d = 0;
        for (int ci = 0; ci < cpg; ci++) {
            int plane = xBase + ci * h * w;
            for (int ki = 0; ki < kh; ki++) {
                for (int kj = 0; kj < kw; kj++) {
                    int ix0 = kj * dw - pw;
                    // valid ox: 0 <= ox*sw + ix0 < w
                    int oxLo = ix0 >= 0 ? 0 : Math.min(ow, (-ix0 + sw - 1) / sw);
                    int oxHi = w - ix0 <= 0 ? 0 : Math.min(ow, (w - ix0 + sw - 1) / sw);
                    if (oxHi < oxLo) {
                        oxHi = oxLo;
                    }
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * sh - ph + ki * dh;
                        if (iy < 0 || iy >= h) {
                            java.util.Arrays.fill(col, d, d + ow, 0f);
                            d += ow;
                            continue;
                        }
                        int row = plane + iy * w + ix0;
                        for (int ox = 0; ox < oxLo; ox++) {
                            col[d + ox] = 0f;
                        }
                        if (sw == 1 && oxHi > oxLo) {
                            System.arraycopy(x, row + oxLo, col, d + oxLo, oxHi - oxLo);
                        } else {
                            for (int ox = oxLo; ox < oxHi; ox++) {
                                col[d + ox] = x[row + ox * sw];
                            }
                        }
                        for (int ox = oxHi; ox < ow; ox++) {
                            col[d + ox] = 0f;
                        }
                        d += ow;
                    }
                }
            }
        }
    }

    /** Adds col ({@code cpg·kh·kw × oh·ow}) back into one (batch, group) slice of gx, in a fixed order. */
    static void col2im(float[] col, ConvGeometry g, float[] gx, int gxBase) {
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW();
        int ph = g.padH(), pw = g.padW(), dh = g.dilationH(), dw = g.dilationW();
        int cpg = g.cPerGroup();
        int d = 0;
        for (int ci = 0; ci < cpg; ci++) {
            int plane = gxBase + ci * h * w;
            for (int ki = 0; ki < kh; ki++) {
                for (int kj = 0; kj < kw; kj++) {
                    int ix0 = kj * dw - pw;
                    int oxLo = ix0 >= 0 ? 0 : Math.min(ow, (-ix0 + sw - 1) / sw);
                    int oxHi = w - ix0 <= 0 ? 0 : Math.min(ow, (w - ix0 + sw - 1) / sw);
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * sh - ph + ki * dh;
                        if (iy >= 0 && iy < h) {
                            int row = plane + iy * w + ix0;
                            if (sw == 1) {
                                for (int ox = oxLo; ox < oxHi; ox++) {
                                    gx[row + ox] += col[d + ox];
                                }
                            } else {
                                for (int ox = oxLo; ox < oxHi; ox++) {
                                    gx[row + ox * sw] += col[d + ox];
                                }
                            }
                        }
                        d += ow;
                    }
                }
            }
        }
    }

    private static float[] floatScratch(int size) {
        float[] buf = FSCRATCH.get();
        if (buf.length < size) {
            buf = new float[size];
            FSCRATCH.set(buf);
        }
        return buf;
    }

    // ------------------------------------------------------------------------------------------ double

    /**
     * Forward convolution: {@code out[b,o] = bias[o] + Σ_{c,ki,kj} w[o,c,ki,kj]·x[b, g·C/G + c, oy·sh − ph + ki·dh,
     * ox·sw − pw + kj·dw]} (zero outside the input). x is {@code (N,C,H,W)}, w {@code (O,C/groups,kH,kW)}, bias
     * {@code (O)} or null, out {@code (N,O,OH,OW)}, all contiguous at the given offsets. out is overwritten.
     */
    public static void conv2dForward(double[] x, int xOff, double[] w, int wOff, double[] bias, int bOff,
                                     double[] out, int outOff, ConvGeometry g) {
        checkArrays("conv2dForward", g, x.length, xOff, g.inputSize(), "x", w.length, wOff, g.weightSize(), "w",
                out.length, outOff, g.outputSize(), "out");
        if (bias != null) {
            checkRange("conv2dForward", "bias", bias.length, bOff, g.outChannels());
        }
        int ohw = g.outH() * g.outW();
        int cpg = g.cPerGroup();
        int opg = g.oPerGroup();
        int kk = cpg * g.kh() * g.kw();
        int chunks = g.n() * g.groups();
        if (chunks == 0 || ohw == 0 || opg == 0) {
            return;
        }
        boolean direct = isPointwise(g);
        Parallel.ChunkBody body = ch -> {
            int b = ch / g.groups();
            int gr = ch % g.groups();
            int o0 = gr * opg;
            int outBase = outOff + (b * g.outChannels() + o0) * ohw;
            if (bias != null) {
                for (int o = 0; o < opg; o++) {
                    java.util.Arrays.fill(out, outBase + o * ohw, outBase + (o + 1) * ohw, bias[bOff + o0 + o]);
                }
            } else if (kk == 0) {
                java.util.Arrays.fill(out, outBase, outBase + opg * ohw, 0.0);
            }
            if (kk == 0) {
                return;
            }
            int xBase = xOff + (b * g.c() + gr * cpg) * g.h() * g.w();
            double[] col;
            int colOff;
            if (direct) {
                col = x;
                colOff = xBase;
            } else {
                col = doubleScratch(kk * ohw);
                colOff = 0;
                im2col(x, xBase, g, col);
            }
            Gemm.dgemm(false, false, opg, ohw, kk, w, wOff + o0 * kk, kk, col, colOff, ohw, out, outBase, ohw,
                    bias != null);
        };
        run(chunks, (long) opg * ohw * kk * chunks, body);
    }

    /**
     * Gradient of {@link #conv2dForward} with respect to x: {@code gx = Σ wᵀ·gOut} scattered back through the
     * im2col mapping. gOut is {@code (N,O,OH,OW)}; gx {@code (N,C,H,W)} is overwritten.
     */
    public static void conv2dBackwardInput(double[] gOut, int gOff, double[] w, int wOff, double[] gx, int gxOff,
                                           ConvGeometry g) {
        checkArrays("conv2dBackwardInput", g, gx.length, gxOff, g.inputSize(), "gx", w.length, wOff,
                g.weightSize(), "w", gOut.length, gOff, g.outputSize(), "gOut");
        int ohw = g.outH() * g.outW();
        int cpg = g.cPerGroup();
        int opg = g.oPerGroup();
        int kk = cpg * g.kh() * g.kw();
        int hw = g.h() * g.w();
        int chunks = g.n() * g.groups();
        if (chunks == 0 || cpg == 0 || hw == 0) {
            return;
        }
        boolean direct = isPointwise(g);
        Parallel.ChunkBody body = ch -> {
            int b = ch / g.groups();
            int gr = ch % g.groups();
            int gxBase = gxOff + (b * g.c() + gr * cpg) * hw;
            int gBase = gOff + (b * g.outChannels() + gr * opg) * ohw;
            int wBase = wOff + gr * opg * kk;
            if (direct) {
                // gx_g (cpg × hw) = W_gᵀ (cpg × opg) · gOut_g (opg × hw)
                Gemm.dgemm(true, false, cpg, hw, opg, w, wBase, kk, gOut, gBase, ohw, gx, gxBase, hw, false);
                return;
            }
            java.util.Arrays.fill(gx, gxBase, gxBase + cpg * hw, 0.0);
            if (opg == 0) {
                return;
            }
            double[] col = doubleScratch(kk * ohw);
            Gemm.dgemm(true, false, kk, ohw, opg, w, wBase, kk, gOut, gBase, ohw, col, 0, ohw, false);
            col2im(col, g, gx, gxBase);
        };
        run(chunks, (long) opg * ohw * kk * chunks, body);
    }

    /**
     * Gradient of {@link #conv2dForward} with respect to w: {@code gw[o,c,ki,kj] = Σ_{b,oy,ox} gOut[b,o,oy,ox]·
     * x[b, …]}. gw {@code (O,C/groups,kH,kW)} is overwritten. The batch is split into fixed chunks whose partial
     * gradients are summed in chunk order, so the result does not depend on the number of threads.
     */
    public static void conv2dBackwardWeight(double[] gOut, int gOff, double[] x, int xOff, double[] gw, int gwOff,
                                            ConvGeometry g) {
        checkArrays("conv2dBackwardWeight", g, x.length, xOff, g.inputSize(), "x", gw.length, gwOff,
                g.weightSize(), "gw", gOut.length, gOff, g.outputSize(), "gOut");
        int ohw = g.outH() * g.outW();
        int cpg = g.cPerGroup();
        int opg = g.oPerGroup();
        int kk = cpg * g.kh() * g.kw();
        int wSize = g.weightSize();
        java.util.Arrays.fill(gw, gwOff, gwOff + wSize, 0.0);
        if (g.n() == 0 || wSize == 0 || ohw == 0) {
            return;
        }
        boolean direct = isPointwise(g);
        long work = (long) g.n() * g.groups() * opg * ohw * kk;
        int chunks = weightChunks(g.n(), wSize, work);
        int per = (g.n() + chunks - 1) / chunks;
        int nChunks = (g.n() + per - 1) / per;
        double[] partial = nChunks == 1 ? null : new double[(nChunks - 1) * wSize];
        Parallel.ChunkBody body = ch -> {
            double[] dst = ch == 0 ? gw : partial;
            int dstOff = ch == 0 ? gwOff : (ch - 1) * wSize;
            int b0 = ch * per;
            int b1 = Math.min(g.n(), b0 + per);
            double[] col = direct ? null : doubleScratch(kk * ohw);
            for (int b = b0; b < b1; b++) {
                for (int gr = 0; gr < g.groups(); gr++) {
                    int xBase = xOff + (b * g.c() + gr * cpg) * g.h() * g.w();
                    int gBase = gOff + (b * g.outChannels() + gr * opg) * ohw;
                    double[] src;
                    int srcOff;
                    if (direct) {
                        src = x;
                        srcOff = xBase;
                    } else {
                        im2col(x, xBase, g, col);
                        src = col;
                        srcOff = 0;
                    }
                    // gw_g (opg × kk) += gOut_g (opg × ohw) · colᵀ (ohw × kk)
                    Gemm.dgemm(false, true, opg, kk, ohw, gOut, gBase, ohw, src, srcOff, ohw, dst,
                            dstOff + gr * opg * kk, kk, b > b0);
                }
            }
        };
        run(nChunks, work, body);
        for (int ch = 1; ch < nChunks; ch++) {
            int src = (ch - 1) * wSize;
            for (int i = 0; i < wSize; i++) {
                gw[gwOff + i] += partial[src + i];
            }
        }
    }

    /** Unfolds one (batch, group) slice of x into col ({@code cpg·kh·kw × oh·ow}), zero outside the input. */
    static void im2col(double[] x, int xBase, ConvGeometry g, double[] col) {
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW();
        int ph = g.padH(), pw = g.padW(), dh = g.dilationH(), dw = g.dilationW();
        int cpg = g.cPerGroup();
        int d = 0;
        for (int ci = 0; ci < cpg; ci++) {
            int plane = xBase + ci * h * w;
            for (int ki = 0; ki < kh; ki++) {
                for (int kj = 0; kj < kw; kj++) {
                    int ix0 = kj * dw - pw;
                    // valid ox: 0 <= ox*sw + ix0 < w
                    int oxLo = ix0 >= 0 ? 0 : Math.min(ow, (-ix0 + sw - 1) / sw);
                    int oxHi = w - ix0 <= 0 ? 0 : Math.min(ow, (w - ix0 + sw - 1) / sw);
                    if (oxHi < oxLo) {
                        oxHi = oxLo;
                    }
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * sh - ph + ki * dh;
                        if (iy < 0 || iy >= h) {
                            java.util.Arrays.fill(col, d, d + ow, 0.0);
                            d += ow;
                            continue;
                        }
                        int row = plane + iy * w + ix0;
                        for (int ox = 0; ox < oxLo; ox++) {
                            col[d + ox] = 0.0;
                        }
                        if (sw == 1 && oxHi > oxLo) {
                            System.arraycopy(x, row + oxLo, col, d + oxLo, oxHi - oxLo);
                        } else {
                            for (int ox = oxLo; ox < oxHi; ox++) {
                                col[d + ox] = x[row + ox * sw];
                            }
                        }
                        for (int ox = oxHi; ox < ow; ox++) {
                            col[d + ox] = 0.0;
                        }
                        d += ow;
                    }
                }
            }
        }
    }

    /** Adds col ({@code cpg·kh·kw × oh·ow}) back into one (batch, group) slice of gx, in a fixed order. */
    static void col2im(double[] col, ConvGeometry g, double[] gx, int gxBase) {
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW();
        int ph = g.padH(), pw = g.padW(), dh = g.dilationH(), dw = g.dilationW();
        int cpg = g.cPerGroup();
        int d = 0;
        for (int ci = 0; ci < cpg; ci++) {
            int plane = gxBase + ci * h * w;
            for (int ki = 0; ki < kh; ki++) {
                for (int kj = 0; kj < kw; kj++) {
                    int ix0 = kj * dw - pw;
                    int oxLo = ix0 >= 0 ? 0 : Math.min(ow, (-ix0 + sw - 1) / sw);
                    int oxHi = w - ix0 <= 0 ? 0 : Math.min(ow, (w - ix0 + sw - 1) / sw);
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * sh - ph + ki * dh;
                        if (iy >= 0 && iy < h) {
                            int row = plane + iy * w + ix0;
                            for (int ox = oxLo; ox < oxHi; ox++) {
                                gx[row + ox * sw] += col[d + ox];
                            }
                        }
                        d += ow;
                    }
                }
            }
        }
    }

    private static double[] doubleScratch(int size) {
        double[] buf = DSCRATCH.get();
        if (buf.length < size) {
            buf = new double[size];
            DSCRATCH.set(buf);
        }
        return buf;
    }
}
