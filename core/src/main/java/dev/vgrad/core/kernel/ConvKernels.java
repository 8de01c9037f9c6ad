package dev.vgrad.core.kernel;

/**
 * 2-D convolution kernels (forward, gradient w.r.t. input, gradient w.r.t. weight) for float and double,
 * with stride, padding, dilation and groups. Layouts are contiguous NCHW; weights are
 * {@code (O, C/groups, kH, kW)}.
 *
 * <p>Implementation: im2col into a per-thread scratch buffer followed by {@link Gemm}; 1×1 convolutions with
 * stride 1 and no padding use the input directly. On the SIMD kernels, convolutions with enough taps (strided
 * ones through the phase planes of the input) skip the im2col matrix for the forward pass and the weight
 * gradient: {@link SimdShiftedConv} reads the GEMM operands straight from a zero-padded copy of the images, with
 * the same summation order up to exact zero terms (padding taps the forward drops); the forward of maps at
 * most 8 wide puts the images innermost ({@link SimdBatchInnerConv}) and skips every padding tap. For float32, small
 * feature maps batch several images into one GEMM (up to {@code COLS_TARGET} output columns) so that packing
 * the weights and loading C is amortised, and a
 * stride-1 convolution's input gradient runs as the forward convolution of the output gradient with the flipped,
 * transposed kernel (a GEMM with a long K and no scatter-add). Forward and backward-input run one chunk per
 * (image group, group), each writing a disjoint slice of the output; backward-weight splits the batch into a
 * fixed number of chunks whose partial gradients are added in chunk order. Every split depends only on the
 * sizes, so results are bit-identical for any thread count. Small problems run on the caller thread; a single
 * chunk lets {@link Gemm} use the threads instead.
 *
 * <p>The caller validates tensor shapes against {@link ConvGeometry}; these methods check array bounds.
 *
 * <p>Internal: used by core's convolution op ({@code ConvOps}) and the JMH benchmarks; not part of the stable API.
 */
public final class ConvKernels {
    private ConvKernels() {}

    /** Multiply-adds below which a convolution runs on the caller thread. */
    private static final long PARALLEL_MIN_WORK = 1L << 20;
    /** Upper bound, in elements, for the partial weight gradients of conv2dBackwardWeight. */
    private static final long PARTIAL_LIMIT = 1L << 23;
    private static final int MAX_WEIGHT_CHUNKS = 8;

    /** Output columns (images × output pixels) one GEMM covers when small feature maps are batched. */
    private static final int COLS_TARGET = 512;
    /** Backward-weight computes gwᵀ when C/groups·kh·kw is below this and below O/groups. */
    private static final int SWAP_K = 32;

    /** Per-thread unfolded columns. */
    private static final ThreadLocal<float[]> FSCRATCH = ThreadLocal.withInitial(() -> new float[0]);
    /** Per-thread GEMM output or gathered gradient block when several images share one GEMM. */
    private static final ThreadLocal<float[]> CSCRATCH = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<double[]> DSCRATCH = ThreadLocal.withInitial(() -> new double[0]);
    /** Per-thread transposed weight gradient of one chunk of images (conv2dBackwardWeight). */
    private static final ThreadLocal<float[]> GW_T = ThreadLocal.withInitial(() -> new float[0]);

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
    static int weightChunks(int n, int wSize, long work) {
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
     *
     * @param x      input array, contiguous (N, C, H, W)
     * @param xOff   offset of x's first element
     * @param w      weight array, contiguous (O, C/groups, kH, kW)
     * @param wOff   offset of w's first element
     * @param bias   bias array of O elements, or null for none
     * @param bOff   offset of bias's first element (ignored when bias is null)
     * @param out    output array, contiguous (N, O, OH, OW), overwritten
     * @param outOff offset of out's first element
     * @param g      the validated geometry
     * @throws IllegalArgumentException naming the kernel if the geometry is null or an array is too short for it
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
        if (g.n() == 0 || ohw == 0 || opg == 0) {
            return;
        }
        boolean direct = isPointwise(g);
        boolean simd = !direct && KernelProvider.simdEnabled();
        boolean inner = simd && SimdBatchInnerConv.applies(g);
        boolean shifted = simd && SimdShiftedConv.appliesForward(g);
        // taps that read only padding are dropped unless a weight is non-finite (then 0·w is NaN, as im2col has it)
        boolean finite = (inner || shifted) && Float.isFinite(KernelProvider.kernels().sum(w, wOff, g.weightSize()));
        if (inner && finite) {
            SimdBatchInnerConv bi = new SimdBatchInnerConv(g);
            var packed = bi.packWeights(w, wOff);
            int per = SimdBatchInnerConv.imagesPerProduct(g);
            Parallel.ChunkBody body = ch -> {
                int b0 = ch / g.groups() * per;
                bi.forward(x, xOff, b0, Math.min(per, g.n() - b0), ch % g.groups(), packed, bias, bOff, out, outOff);
            };
            run((g.n() + per - 1) / per * g.groups(), (long) opg * ohw * kk * g.n() * g.groups(), body);
            return;
        }
        if (shifted) {
            SimdShiftedConv sh = new SimdShiftedConv(g);
            SimdShiftedConv.PackedWeights packed = sh.packWeights(w, wOff, finite);
            int per = sh.imagesPerProduct();
            Parallel.ChunkBody body = ch -> {
                int b0 = ch / g.groups() * per;
                sh.forward(x, xOff, b0, Math.min(per, g.n() - b0), ch % g.groups(), packed, bias, bOff, out, outOff);
            };
            run((g.n() + per - 1) / per * g.groups(), (long) opg * ohw * kk * g.n() * g.groups(), body);
            return;
        }
        int per = direct || kk == 0 ? 1 : imagesPerGemm(g.n(), ohw);
        int chunks = (g.n() + per - 1) / per * g.groups();
        Parallel.ChunkBody body = ch -> {
            int b0 = ch / g.groups() * per;
            int nb = Math.min(per, g.n() - b0);
            int gr = ch % g.groups();
            int o0 = gr * opg;
            int cols = nb * ohw;
            // one GEMM for nb images: C is the caller's output for one image, a scratch block for several
            float[] c;
            int cBase;
            int ldc;
            if (nb == 1) {
                c = out;
                cBase = outOff + (b0 * g.outChannels() + o0) * ohw;
                ldc = ohw;
            } else {
                c = floatScratch(CSCRATCH, opg * cols);
                cBase = 0;
                ldc = cols;
            }
            if (bias != null) {
                for (int o = 0; o < opg; o++) {
                    java.util.Arrays.fill(c, cBase + o * ldc, cBase + o * ldc + cols, bias[bOff + o0 + o]);
                }
            } else if (kk == 0) {
                java.util.Arrays.fill(c, cBase, cBase + opg * cols, 0f);
            }
            if (kk > 0) {
                float[] col = direct ? x : unfold(x, xOff, g, b0, nb, gr);
                int colOff = direct ? xOff + (b0 * g.c() + gr * cpg) * g.h() * g.w() : 0;
                Gemm.sgemm(false, false, opg, cols, kk, w, wOff + o0 * kk, kk, col, colOff, cols, c, cBase, ldc,
                        bias != null);
            }
            if (nb > 1) {
                for (int i = 0; i < nb; i++) {
                    for (int o = 0; o < opg; o++) {
                        System.arraycopy(c, o * cols + i * ohw, out, outOff + ((b0 + i) * g.outChannels() + o0 + o) * ohw,
                                ohw);
                    }
                }
            }
        };
        run(chunks, (long) opg * ohw * kk * g.n() * g.groups(), body);
    }

    /**
     * Gradient of {@link #conv2dForward} with respect to x: {@code gx = Σ wᵀ·gOut} scattered back through the
     * im2col mapping. gOut is {@code (N,O,OH,OW)}; gx {@code (N,C,H,W)} is overwritten. A stride-1 convolution's
     * input gradient is computed as the forward convolution of gOut with the flipped, transposed kernel.
     *
     * @param gOut   output gradient, contiguous (N, O, OH, OW)
     * @param gOff   offset of gOut's first element
     * @param w      weight array, contiguous (O, C/groups, kH, kW)
     * @param wOff   offset of w's first element
     * @param gx     input gradient, contiguous (N, C, H, W), overwritten; must not alias gOut or w
     * @param gxOff  offset of gx's first element
     * @param g      the geometry of the forward
     * @throws IllegalArgumentException naming the kernel if the geometry is null or an array is too short for it
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
        if (g.n() == 0 || cpg == 0 || hw == 0) {
            return;
        }
        boolean direct = isPointwise(g);
        // the transposed GEMM has M = C/groups rows: below a micro-kernel's height it would be mostly padding
        ConvGeometry full = direct || cpg < 16 ? null : transposedStrideOne(g);
        if (full != null) {
            // stride 1: gx is the "full" correlation of gOut with the flipped, transposed kernel, a forward
            // convolution whose GEMM has K = O/groups·kh·kw instead of O/groups, and no scatter-add
            conv2dForward(gOut, gOff, flipTranspose(w, wOff, g), 0, null, 0, gx, gxOff, full);
            return;
        }
        int per = direct || opg == 0 ? 1 : imagesPerGemm(g.n(), ohw);
        int chunks = (g.n() + per - 1) / per * g.groups();
        // strided: the scatter-add goes through phase planes (contiguous vector adds) and writes gx whole
        SimdStridedCol2im phased = !direct && opg > 0 && KernelProvider.simdEnabled() && SimdStridedCol2im.applies(g)
                ? new SimdStridedCol2im(g) : null;
        Parallel.ChunkBody body = ch -> {
            int b0 = ch / g.groups() * per;
            int nb = Math.min(per, g.n() - b0);
            int gr = ch % g.groups();
            int wBase = wOff + gr * opg * kk;
            if (direct) {
                // gx_g (cpg × hw) = W_gᵀ (cpg × opg) · gOut_g (opg × hw)
                Gemm.sgemm(true, false, cpg, hw, opg, w, wBase, kk, gOut, gOff + (b0 * g.outChannels() + gr * opg) * ohw,
                        ohw, gx, gxOff + (b0 * g.c() + gr * cpg) * hw, hw, false);
                return;
            }
            if (phased == null) {
                for (int i = 0; i < nb; i++) {
                    int gxBase = gxOff + ((b0 + i) * g.c() + gr * cpg) * hw;
                    java.util.Arrays.fill(gx, gxBase, gxBase + cpg * hw, 0f);
                }
            }
            if (opg == 0) {
                return;
            }
            int cols = nb * ohw;
            float[] gs = gatherImages(gOut, gOff, g.outChannels(), gr * opg, opg, ohw, b0, nb);
            int gsOff = nb == 1 ? gOff + (b0 * g.outChannels() + gr * opg) * ohw : 0;
            float[] col = floatScratch(FSCRATCH, kk * cols);
            Gemm.sgemm(true, false, kk, cols, opg, w, wBase, kk, gs, gsOff, cols, col, 0, cols, false);
            for (int i = 0; i < nb; i++) {
                int gxBase = gxOff + ((b0 + i) * g.c() + gr * cpg) * hw;
                if (phased != null) {
                    phased.col2im(col, i * ohw, cols, gx, gxBase);
                } else {
                    col2im(col, i * ohw, cols, g, gx, gxBase);
                }
            }
        };
        run(chunks, (long) opg * ohw * kk * g.n() * g.groups(), body);
    }

    /**
     * Gradient of {@link #conv2dForward} with respect to w: {@code gw[o,c,ki,kj] = Σ_{b,oy,ox} gOut[b,o,oy,ox]·
     * x[b, …]}. gw {@code (O,C/groups,kH,kW)} is overwritten. The batch is split into fixed chunks whose partial
     * gradients are summed in chunk order, so the result does not depend on the number of threads.
     *
     * @param gOut   output gradient, contiguous (N, O, OH, OW)
     * @param gOff   offset of gOut's first element
     * @param x      forward input, contiguous (N, C, H, W)
     * @param xOff   offset of x's first element
     * @param gw     weight gradient, contiguous (O, C/groups, kH, kW), overwritten
     * @param gwOff  offset of gw's first element
     * @param g      the geometry of the forward
     * @throws IllegalArgumentException naming the kernel if the geometry is null or an array is too short for it
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
        int perGemm = direct ? 1 : imagesPerGemm(per, ohw);
        // SimdShiftedConv uses the Vector API: not even loaded when the scalar kernels are selected
        SimdShiftedConv sh = !direct && KernelProvider.simdEnabled() && SimdShiftedConv.applies(g)
                ? new SimdShiftedConv(g) : null;
        // few taps per output channel (a first layer's C·kh·kw = 9): computing gwᵀ puts the short side on the
        // micro-kernel's 12 rows instead of its 32 columns; each element is the same FMA chain either way
        boolean swap = sh == null && kk < SWAP_K && opg > kk;
        boolean transposed = swap || sh != null;
        // Each chunk's sum is one FMA chain per element over its images; the chunks' sums are then added in
        // chunk order. A transposed sum (gwT) stays transposed until all chunks are added, so it is transposed
        // once per call, not once per chunk (7 of 8 transposes of a 128→128 3×3 gradient cost 1.2 of 12 ms at
        // one thread); the additions are elementwise, so the bits are those of adding the transposed copies.
        // Every chunk's first write overwrites its slice, so the slices need no zeroing.
        float[] partial = nChunks == 1 ? null : new float[(transposed ? nChunks : nChunks - 1) * wSize];
        Parallel.ChunkBody body = ch -> {
            float[] dst = ch == 0 ? gw : partial;
            int dstOff = ch == 0 ? gwOff : (ch - 1) * wSize;
            // the running sum lives transposed in gwT while the swapped GEMM or the shifted path adds to it; a
            // chunk runs start to end on one thread, so with one chunk a per-thread buffer serves
            float[] gwT = !transposed ? null : partial != null ? partial : floatScratch(GW_T, wSize);
            int tOff = partial != null ? ch * wSize : 0;
            int b0 = ch * per;
            int b1 = Math.min(g.n(), b0 + per);
            int b = b0;
            while (b < b1) {
                if (sh != null) {
                    // the shifted path image by image (each element the chain im2col + GEMM computes)
                    sh.weightGradT(gOut, gOff, x, xOff, b, gwT, tOff, b > b0);
                    b++;
                    continue;
                }
                int nb = Math.min(perGemm, b1 - b);
                int cols = nb * ohw;
                for (int gr = 0; gr < g.groups(); gr++) {
                    float[] gs = gatherImages(gOut, gOff, g.outChannels(), gr * opg, opg, ohw, b, nb);
                    int gsOff = nb == 1 ? gOff + (b * g.outChannels() + gr * opg) * ohw : 0;
                    float[] src = direct ? x : unfold(x, xOff, g, b, nb, gr);
                    int srcOff = direct ? xOff + (b * g.c() + gr * cpg) * g.h() * g.w() : 0;
                    if (swap) {
                        // gw_gᵀ (kk × opg) += col (kk × cols) · gOut_gᵀ (cols × opg)
                        Gemm.sgemm(false, true, kk, opg, cols, src, srcOff, cols, gs, gsOff, cols, gwT,
                                tOff + gr * opg * kk, opg, b > b0);
                    } else {
                        // gw_g (opg × kk) += gOut_g (opg × cols) · colᵀ (cols × kk)
                        Gemm.sgemm(false, true, opg, kk, cols, gs, gsOff, cols, src, srcOff, cols, dst,
                                dstOff + gr * opg * kk, kk, b > b0);
                    }
                }
                b += nb;
            }
            if (transposed && partial == null && b1 > b0) {
                transposeGroups(gw, gwOff, gwT, g, sh != null && sh.tapMajor());
            }
        };
        run(nChunks, work, body);
        if (partial == null) {
            return;
        }
        Kernels k = KernelProvider.kernels();
        if (transposed) {
            for (int ch = 1; ch < nChunks; ch++) {
                k.binary(BinaryOp.ADD, partial, 0, 1, partial, ch * wSize, 1, partial, 0, wSize);
            }
            transposeGroups(gw, gwOff, partial, g, sh != null && sh.tapMajor());
        } else {
            for (int ch = 1; ch < nChunks; ch++) {
                k.binary(BinaryOp.ADD, gw, gwOff, 1, partial, (ch - 1) * wSize, 1, gw, gwOff, wSize);
            }
        }
    }

    /**
     * Copies a weight gradient from the transposed layout in gwT (group gr's {@code kk × O/groups} block at
     * {@code gr·O/groups·kk}, its rows the taps (c, ki, kj), or (ki, kj, c) when {@code tapMajor}) to its layout
     * {@code (O, C/groups·kh·kw)} in {@code gw} at {@code gwOff}; exact copies.
     */
    private static void transposeGroups(float[] gw, int gwOff, float[] gwT, ConvGeometry g, boolean tapMajor) {
        int opg = g.oPerGroup();
        int cpg = g.cPerGroup();
        int khw = g.kh() * g.kw();
        int kk = cpg * khw;
        // TRANSPOSE_BLOCK rows of gw are written left to right, each step reading one row segment (a cache line) of
        // gwT: reading gwT down its columns missed the cache on every element (128→128 3×3: 4 ms a call)
        for (int gr = 0; gr < g.groups(); gr++) {
            int base = gr * opg * kk;
            for (int o0 = 0; o0 < opg; o0 += TRANSPOSE_BLOCK) {
                int o1 = Math.min(opg, o0 + TRANSPOSE_BLOCK);
                int p = 0;
                for (int c = 0; c < cpg; c++) {
                    for (int t = 0; t < khw; t++, p++) {
                        // column p = (c, ki, kj) sits in row (ki, kj, c) when tap-major, else in row p
                        int src = base + (tapMajor ? t * cpg + c : p) * opg;
                        int dst = gwOff + base + p;
                        for (int o = o0; o < o1; o++) {
                            gw[dst + o * kk] = gwT[src + o];
                        }
                    }
                }
            }
        }
    }

    /** Output channels per pass of {@link #transposeGroups}: one cache line of gwT, 16 rows of gw. */
    private static final int TRANSPOSE_BLOCK = 16;

    /**
     * The im2col columns of images {@code b0..b0+nb} of group gr side by side ({@code kk × nb·OH·OW}, row stride
     * {@code nb·OH·OW}) in the thread's {@link #FSCRATCH} buffer.
     */
    private static float[] unfold(float[] x, int xOff, ConvGeometry g, int b0, int nb, int gr) {
        int ohw = g.outH() * g.outW();
        int cols = nb * ohw;
        float[] col = floatScratch(FSCRATCH, g.cPerGroup() * g.kh() * g.kw() * cols);
        for (int i = 0; i < nb; i++) {
            im2col(x, xOff + ((b0 + i) * g.c() + gr * g.cPerGroup()) * g.h() * g.w(), g, col, i * ohw, cols);
        }
        return col;
    }

    /** Images per GEMM: enough that small feature maps do not pay per-image packing; depends only on sizes. */
    private static int imagesPerGemm(int n, int ohw) {
        return Math.max(1, Math.min(n, COLS_TARGET / ohw));
    }

    /**
     * Channels {@code o0..o0+count} of images {@code b0..b0+nb} of an (N, channels, hw) array as one
     * {@code count × nb·hw} matrix: the array itself for one image (the caller offsets into it), else a gathered
     * copy in the per-thread {@link #CSCRATCH} buffer.
     */
    private static float[] gatherImages(float[] a, int aOff, int channels, int o0, int count, int hw, int b0, int nb) {
        if (nb == 1) {
            return a;
        }
        int cols = nb * hw;
        float[] buf = floatScratch(CSCRATCH, count * cols);
        for (int i = 0; i < nb; i++) {
            for (int o = 0; o < count; o++) {
                System.arraycopy(a, aOff + ((b0 + i) * channels + o0 + o) * hw, buf, o * cols + i * hw, hw);
            }
        }
        return buf;
    }

    /**
     * For a stride-1 convolution, the geometry of the forward convolution that computes its input gradient:
     * input gOut {@code (n, O, oh, ow)}, padding {@code d·(k−1) − p} (so the output is {@code h × w} again),
     * same dilation and groups; null when that padding would be negative.
     */
    private static ConvGeometry transposedStrideOne(ConvGeometry g) {
        int ph = g.dilationH() * (g.kh() - 1) - g.padH();
        int pw = g.dilationW() * (g.kw() - 1) - g.padW();
        if (g.strideH() != 1 || g.strideW() != 1 || ph < 0 || pw < 0 || g.outChannels() == 0 || g.h() == 0
                || g.w() == 0 || (long) g.oPerGroup() * g.kh() * g.kw() * g.h() * g.w() > Integer.MAX_VALUE) {
            return null;
        }
        return new ConvGeometry(g.n(), g.outChannels(), g.outH(), g.outW(), g.c(), g.kh(), g.kw(), 1, 1, ph, pw,
                g.dilationH(), g.dilationW(), g.groups());
    }

    /** {@code wt[gr·cpg + c, o, i, j] = w[gr·opg + o, c, kh−1−i, kw−1−j]}: the kernel of {@link #transposedStrideOne}. */
    private static float[] flipTranspose(float[] w, int wOff, ConvGeometry g) {
        int cpg = g.cPerGroup();
        int opg = g.oPerGroup();
        int khw = g.kh() * g.kw();
        float[] wt = new float[g.weightSize()];
        for (int gr = 0; gr < g.groups(); gr++) {
            for (int o = 0; o < opg; o++) {
                for (int c = 0; c < cpg; c++) {
                    int src = wOff + ((gr * opg + o) * cpg + c) * khw;
                    int dst = ((gr * cpg + c) * opg + o) * khw;
                    for (int t = 0; t < khw; t++) {
                        wt[dst + khw - 1 - t] = w[src + t];
                    }
                }
            }
        }
        return wt;
    }

    /**
     * Unfolds one (batch, group) slice of x into columns {@code colOff..colOff+oh·ow} of col, a
     * {@code cpg·kh·kw}-row matrix with row stride ld; zero outside the input.
     */
    static void im2col(float[] x, int xBase, ConvGeometry g, float[] col, int colOff, int ld) {
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW();
        int ph = g.padH(), pw = g.padW(), dh = g.dilationH(), dw = g.dilationW();
        int cpg = g.cPerGroup();
        boolean simd = KernelProvider.simdEnabled();
        int r = 0;
        for (int ci = 0; ci < cpg; ci++) {
            int plane = xBase + ci * h * w;
            for (int ki = 0; ki < kh; ki++) {
                for (int kj = 0; kj < kw; kj++) {
                    int d = colOff + r++ * ld;
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
                            int ox = oxLo;
                            if (sw == 2 && simd && oxHi > oxLo) {
                                // the strided scalar loads were a third of a stride-2 convolution's time
                                ox += SimdPoolKernels.everyOther(x, row + 2 * oxLo, col, d + oxLo, oxHi - oxLo);
                            }
                            for (; ox < oxHi; ox++) {
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

    /**
     * Adds columns {@code colOff..colOff+oh·ow} of col (row stride ld) back into one (batch, group) slice of gx,
     * in a fixed order.
     */
    static void col2im(float[] col, int colOff, int ld, ConvGeometry g, float[] gx, int gxBase) {
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW();
        int ph = g.padH(), pw = g.padW(), dh = g.dilationH(), dw = g.dilationW();
        int cpg = g.cPerGroup();
        int r = 0;
        for (int ci = 0; ci < cpg; ci++) {
            int plane = gxBase + ci * h * w;
            for (int ki = 0; ki < kh; ki++) {
                for (int kj = 0; kj < kw; kj++) {
                    int d = colOff + r++ * ld;
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

    /** The thread's buffer in {@code slot}, grown to at least {@code size} floats (contents unspecified). */
    static float[] floatScratch(ThreadLocal<float[]> slot, int size) {
        float[] buf = slot.get();
        if (buf.length < size) {
            buf = new float[size];
            slot.set(buf);
        }
        return buf;
    }

    // ------------------------------------------------------------------------------------------ double

    /**
     * Forward convolution: {@code out[b,o] = bias[o] + Σ_{c,ki,kj} w[o,c,ki,kj]·x[b, g·C/G + c, oy·sh − ph + ki·dh,
     * ox·sw − pw + kj·dw]} (zero outside the input). x is {@code (N,C,H,W)}, w {@code (O,C/groups,kH,kW)}, bias
     * {@code (O)} or null, out {@code (N,O,OH,OW)}, all contiguous at the given offsets. out is overwritten.
     *
     * @param x      input array, contiguous (N, C, H, W)
     * @param xOff   offset of x's first element
     * @param w      weight array, contiguous (O, C/groups, kH, kW)
     * @param wOff   offset of w's first element
     * @param bias   bias array of O elements, or null for none
     * @param bOff   offset of bias's first element (ignored when bias is null)
     * @param out    output array, contiguous (N, O, OH, OW), overwritten
     * @param outOff offset of out's first element
     * @param g      the validated geometry
     * @throws IllegalArgumentException naming the kernel if the geometry is null or an array is too short for it
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
     *
     * @param gOut   output gradient, contiguous (N, O, OH, OW)
     * @param gOff   offset of gOut's first element
     * @param w      weight array, contiguous (O, C/groups, kH, kW)
     * @param wOff   offset of w's first element
     * @param gx     input gradient, contiguous (N, C, H, W), overwritten; must not alias gOut or w
     * @param gxOff  offset of gx's first element
     * @param g      the geometry of the forward
     * @throws IllegalArgumentException naming the kernel if the geometry is null or an array is too short for it
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
     *
     * @param gOut   output gradient, contiguous (N, O, OH, OW)
     * @param gOff   offset of gOut's first element
     * @param x      forward input, contiguous (N, C, H, W)
     * @param xOff   offset of x's first element
     * @param gw     weight gradient, contiguous (O, C/groups, kH, kW), overwritten
     * @param gwOff  offset of gw's first element
     * @param g      the geometry of the forward
     * @throws IllegalArgumentException naming the kernel if the geometry is null or an array is too short for it
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
