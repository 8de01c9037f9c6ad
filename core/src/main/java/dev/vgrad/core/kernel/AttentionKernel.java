package dev.vgrad.core.kernel;

/**
 * Fused scaled-dot-product attention over {@code bh} independent (batch × head) slices, FlashAttention-2 style:
 * <pre>
 * S = scale · Q·Kᵀ + M          (M: optional additive mask; causal: S[i, j] = −∞ for j &gt; i)
 * O = softmax_rows(S) · V        lse[i] = log Σ_j exp(S[i, j])
 * </pre>
 * Q is {@code (bh, tq, d)}, K {@code (bh, tk, d)}, V {@code (bh, tk, dv)}, O {@code (bh, tq, dv)}; each operand's
 * rows are laid out as its {@link Rows} says (a row's elements contiguous, rows and slices at any offsets), so a
 * head split of a {@code (B, T, H·d)} projection is read in place and the output and gradients can be written in
 * {@code (B, T, H, d)} order; the plain overloads take every operand contiguous from index 0. The forward visits
 * blocks of {@link #BLOCK_Q} queries × {@link #BLOCK_K} keys and keeps, per query row, a running maximum m, a
 * running sum l and an unnormalised output row (online softmax): when a new key block raises the maximum, the old
 * sum and row are rescaled by exp(m_old − m_new). Only one block of scores exists at a time; the {@code tq × tk}
 * matrix is never materialised. The backward recomputes each probability from the saved log-sum-exp,
 * {@code P = exp(S − lse)}, and accumulates
 * <pre>
 * Di = Σ dO_i ⊙ O_i     dV_j += P_ij·dO_i     dS_ij = P_ij·(dO_i·V_j − Di)
 * dQ_i += scale·dS_ij·K_j                     dK_j += scale·dS_ij·Q_i
 * </pre>
 * A row whose every key is masked (−∞) has l = 0: its output row is NaN (0/0) and its lse −∞, as the composed
 * {@code softmax(S)·V} gives NaN for an all −∞ row.
 *
 * <p>Work is split over whole slices with {@link Parallel}; one thread computes each slice from start to end in
 * a fixed order, so the result is bit-identical for any thread count. Float32 runs the Vector API loops of
 * {@code SimdAttentionKernel} when {@link KernelProvider#simdEnabled()} (queries in vector lanes: every product a
 * broadcast-fma chain in the scalar loops' order, the softmax run down the lanes), else the scalar loops here;
 * the softmax sums are rounded in a different order, so the two agree within rounding, not bit for bit. Float64
 * is scalar.
 *
 * <p>Internal: used by core's {@code scaled_dot_product_attention} op; not part of the stable API.
 */
public final class AttentionKernel {
    /** Query rows per block: their running state stays in L1 while one key block is reused for all of them. */
    public static final int BLOCK_Q = 32;
    /** Keys per block: the length of the one score row kept at a time. */
    public static final int BLOCK_K = 64;
    /** Below this many multiply-adds per call everything runs on the calling thread. */
    private static final long PARALLEL_MIN_WORK = 1L << 15;

    private AttentionKernel() {}

    /**
     * Sizes of one call. {@code maskOff} is null (no mask) or holds, per slice, the offset of its mask element
     * (0, 0); element (i, j) is at {@code maskOff[s] + i·maskRow + j·maskCol} (strides may be 0: broadcast).
     *
     * @param bh      number of (batch × head) slices
     * @param tq      query length
     * @param tk      key/value length
     * @param d       query/key feature size
     * @param dv      value feature size
     * @param causal  whether query i sees only keys j ≤ i
     * @param maskOff per-slice offset of mask element (0, 0), length ≥ bh; null when there is no mask
     * @param maskRow mask stride between query rows (≥ 0; 0 broadcasts)
     * @param maskCol mask stride between keys (≥ 0; 0 broadcasts)
     */
    public record Geometry(int bh, int tq, int tk, int d, int dv, boolean causal, int[] maskOff, int maskRow,
                           int maskCol) {
        /**
         * Checks the sizes.
         *
         * @throws IllegalArgumentException if a size is negative or {@code maskOff} has fewer than bh entries
         */
        public Geometry {
            if (bh < 0 || tq < 0 || tk < 0 || d < 0 || dv < 0) {
                throw new IllegalArgumentException("attention kernel: negative size in (bh=" + bh + ", tq=" + tq
                        + ", tk=" + tk + ", d=" + d + ", dv=" + dv + ")");
            }
            if (maskOff != null && maskOff.length < bh) {
                throw new IllegalArgumentException("attention kernel: " + maskOff.length
                        + " mask offsets for " + bh + " slices");
            }
        }

        /** Keys row {@code i} may attend to: [0, limit(i)). */
        int limit(int i) {
            return causal ? Math.min(tk, i + 1) : tk;
        }

        long work() {
            return (long) bh * tq * tk * (d + dv);
        }
    }


    /**
     * Where one operand's rows live: row {@code i} of slice {@code s} starts at {@code base[s] + i·stride}, and its
     * elements are contiguous from there. Rows of an input may overlap (a broadcast); rows an op writes must not
     * (the kernel writes slices from several threads).
     *
     * @param base   per slice, the index of its row 0 (length ≥ bh)
     * @param stride the distance between consecutive rows (≥ 0)
     */
    public record Rows(int[] base, int stride) {
        /**
         * Rows {@code (bh, t, width)} contiguous from index 0.
         *
         * @param bh    slices
         * @param t     rows per slice
         * @param width elements per row
         * @return the dense layout
         */
        public static Rows dense(int bh, int t, int width) {
            int[] b = new int[bh];
            for (int s = 0; s < bh; s++) {
                b[s] = s * t * width;
            }
            return new Rows(b, width);
        }

        int at(int s, int i) {
            return base[s] + i * stride;
        }
    }

    /**
     * The rows of q, k, v and the output (forward), or of gq, gk, gv and the output's gradient (backward).
     *
     * @param q rows of q or gq, {@code tq} of {@code d}
     * @param k rows of k or gk, {@code tk} of {@code d}
     * @param v rows of v or gv, {@code tk} of {@code dv}
     * @param o rows of the output or its gradient, {@code tq} of {@code dv}
     */
    public record Layout(Rows q, Rows k, Rows v, Rows o) {
        /**
         * Every operand contiguous from index 0.
         *
         * @param g the sizes
         * @return the dense layout of {@code g}
         */
        public static Layout dense(Geometry g) {
            return new Layout(Rows.dense(g.bh, g.tq, g.d), Rows.dense(g.bh, g.tk, g.d), Rows.dense(g.bh, g.tk, g.dv),
                    Rows.dense(g.bh, g.tq, g.dv));
        }
    }

    private static void checkRows(String name, Rows r, int len, int bh, int t, int width) {
        if (r.base.length < bh || r.stride < 0) {
            throw new IllegalArgumentException("attention kernel: rows of " + name + " give " + r.base.length
                    + " slice offsets and stride " + r.stride + " for " + bh + " slices");
        }
        if (t == 0 || width == 0) {
            return;
        }
        for (int s = 0; s < bh; s++) {
            long end = r.base[s] + (long) (t - 1) * r.stride + width;
            if (r.base[s] < 0 || end > len) {
                throw new IllegalArgumentException("attention kernel: array " + name + " of length " + len
                        + " is too short for slice " + s + " (" + t + " rows of " + width + " at " + r.base[s]
                        + ", stride " + r.stride + ")");
            }
        }
    }

    private static void checkLen(String name, int len, long need) {
        if (len < need) {
            throw new IllegalArgumentException("attention kernel: array " + name + " of length " + len
                    + " is too short for " + need + " elements");
        }
    }

    private static void checkMask(Geometry g, int len) {
        if ((len >= 0) != (g.maskOff != null)) {
            throw new IllegalArgumentException("attention kernel: a mask array needs mask offsets and vice versa");
        }
        if (g.maskOff == null || g.tq == 0 || g.tk == 0) {
            return;
        }
        for (int s = 0; s < g.bh; s++) {
            long last = g.maskOff[s] + (long) (g.tq - 1) * g.maskRow + (long) (g.tk - 1) * g.maskCol;
            if (g.maskOff[s] < 0 || last >= len || g.maskRow < 0 || g.maskCol < 0) {
                throw new IllegalArgumentException("attention kernel: mask of length " + len
                        + " does not hold slice " + s + " at offset " + g.maskOff[s]);
            }
        }
    }

    private static void checkForward(Geometry g, Layout lay, int q, int k, int v, int out, int lse, int mask) {
        checkRows("q", lay.q, q, g.bh, g.tq, g.d);
        checkRows("k", lay.k, k, g.bh, g.tk, g.d);
        checkRows("v", lay.v, v, g.bh, g.tk, g.dv);
        checkRows("out", lay.o, out, g.bh, g.tq, g.dv);
        checkLen("lse", lse, (long) g.bh * g.tq);
        checkMask(g, mask);
    }

    private static void checkBackward(Geometry g, Layout gl, int gOut, int gq, int gk, int gv) {
        checkRows("gOut", gl.o, gOut, g.bh, g.tq, g.dv);
        checkRows("gq", gl.q, gq, g.bh, g.tq, g.d);
        checkRows("gk", gl.k, gk, g.bh, g.tk, g.d);
        checkRows("gv", gl.v, gv, g.bh, g.tk, g.dv);
    }

    @FunctionalInterface
    private interface Slice {
        void run(int s);
    }

    private static void forSlices(Geometry g, Slice body) {
        if (g.bh == 0) {
            return;
        }
        if (g.work() < PARALLEL_MIN_WORK || g.bh == 1) {
            for (int s = 0; s < g.bh; s++) {
                body.run(s);
            }
            return;
        }
        Parallel.forEachChunk(g.bh, body::run);
    }

    // =================================================================================================
    // float32

    /**
     * Forward in float32 (see the class comment) over operands contiguous from index 0; writes {@code out} and
     * {@code lse}.
     *
     * @param q     queries, contiguous (bh, tq, d) from index 0
     * @param k     keys, contiguous (bh, tk, d)
     * @param v     values, contiguous (bh, tk, dv)
     * @param mask  additive mask laid out as {@code g.maskOff}/{@code maskRow}/{@code maskCol} say, or null
     * @param out   output O, contiguous (bh, tq, dv), overwritten
     * @param lse   output: per query row its log-sum-exp of scores, (bh, tq), overwritten (kept for the backward)
     * @param g     sizes, causality and mask layout
     * @param scale factor applied to Q·Kᵀ (usually 1/√d)
     * @throws IllegalArgumentException if an array is too short for {@code g}, or mask and mask offsets do not
     *                                  come together, or the mask does not hold every slice
     */
    public static void forward(float[] q, float[] k, float[] v, float[] mask, float[] out, float[] lse,
                               Geometry g, float scale) {
        forward(q, k, v, mask, out, lse, g, Layout.dense(g), scale, KernelProvider.simdEnabled());
    }

    /**
     * Forward in float32 over operands laid out as {@code lay} says (see the class comment).
     *
     * @param q     queries: {@code tq} rows of {@code d} per slice, at {@code lay.q()}
     * @param k     keys: {@code tk} rows of {@code d}, at {@code lay.k()}
     * @param v     values: {@code tk} rows of {@code dv}, at {@code lay.v()}
     * @param mask  additive mask laid out as {@code g.maskOff}/{@code maskRow}/{@code maskCol} say, or null
     * @param out   output O: {@code tq} rows of {@code dv} written at {@code lay.o()} (other elements untouched)
     * @param lse   output: per query row its log-sum-exp of scores, (bh, tq) contiguous, overwritten
     * @param g     sizes, causality and mask layout
     * @param lay   where the rows of q, k, v and out are
     * @param scale factor applied to Q·Kᵀ (usually 1/√d)
     * @throws IllegalArgumentException if an array does not hold its rows, or mask and mask offsets do not come
     *                                  together, or the mask does not hold every slice
     */
    public static void forward(float[] q, float[] k, float[] v, float[] mask, float[] out, float[] lse,
                               Geometry g, Layout lay, float scale) {
        forward(q, k, v, mask, out, lse, g, lay, scale, KernelProvider.simdEnabled());
    }

    static void forward(float[] q, float[] k, float[] v, float[] mask, float[] out, float[] lse, Geometry g,
                        float scale, boolean simd) {
        forward(q, k, v, mask, out, lse, g, Layout.dense(g), scale, simd);
    }

    static void forward(float[] q, float[] k, float[] v, float[] mask, float[] out, float[] lse, Geometry g,
                        Layout lay, float scale, boolean simd) {
        checkForward(g, lay, q.length, k.length, v.length, out.length, lse.length, mask == null ? -1 : mask.length);
        boolean vector = simd && lanesExact(g);
        forSlices(g, s -> {
            if (vector) {
                SimdAttentionKernel.forwardSlice(q, k, v, mask, out, lse, g, lay, scale, s);
            } else {
                forwardSliceScalar(q, k, v, mask, out, lse, g, lay, scale, s);
            }
        });
    }

    /**
     * Backward in float32 over operands contiguous from index 0: given the forward's {@code out} and {@code lse}
     * and the output gradient {@code gOut}, writes (overwrites) {@code gq}, {@code gk}, {@code gv}.
     *
     * @param q     queries, contiguous (bh, tq, d) from index 0
     * @param k     keys, contiguous (bh, tk, d)
     * @param v     values, contiguous (bh, tk, dv)
     * @param mask  the forward's additive mask, or null
     * @param out   the forward's output O, (bh, tq, dv)
     * @param lse   the forward's log-sum-exp, (bh, tq)
     * @param gOut  gradient of O, (bh, tq, dv)
     * @param gq    gradient of Q, (bh, tq, d), overwritten
     * @param gk    gradient of K, (bh, tk, d), overwritten
     * @param gv    gradient of V, (bh, tk, dv), overwritten
     * @param g     the forward's geometry
     * @param scale the forward's scale
     * @throws IllegalArgumentException if an array is too short for {@code g}, or mask and mask offsets do not
     *                                  come together, or the mask does not hold every slice
     */
    public static void backward(float[] q, float[] k, float[] v, float[] mask, float[] out, float[] lse,
                                float[] gOut, float[] gq, float[] gk, float[] gv, Geometry g, float scale) {
        backward(q, k, v, mask, out, lse, gOut, gq, gk, gv, g, scale, KernelProvider.simdEnabled());
    }

    /**
     * Backward in float32 over operands laid out as {@code lay} (q, k, v, out) and {@code gLay} (gq, gk, gv,
     * gOut) say; the gradients' rows are overwritten, their other elements untouched.
     *
     * @param q     queries, at {@code lay.q()}
     * @param k     keys, at {@code lay.k()}
     * @param v     values, at {@code lay.v()}
     * @param mask  the forward's additive mask, or null
     * @param out   the forward's output O, at {@code lay.o()}
     * @param lse   the forward's log-sum-exp, (bh, tq) contiguous
     * @param gOut  gradient of O, at {@code gLay.o()}
     * @param gq    gradient of Q, written at {@code gLay.q()}
     * @param gk    gradient of K, written at {@code gLay.k()}
     * @param gv    gradient of V, written at {@code gLay.v()}
     * @param g     the forward's geometry
     * @param lay   where the rows of q, k, v and out are
     * @param gLay  where the rows of gq, gk, gv and gOut are
     * @param scale the forward's scale
     * @throws IllegalArgumentException if an array does not hold its rows, or mask and mask offsets do not come
     *                                  together, or the mask does not hold every slice
     */
    public static void backward(float[] q, float[] k, float[] v, float[] mask, float[] out, float[] lse,
                                float[] gOut, float[] gq, float[] gk, float[] gv, Geometry g, Layout lay,
                                Layout gLay, float scale) {
        backward(q, k, v, mask, out, lse, gOut, gq, gk, gv, g, lay, gLay, scale, KernelProvider.simdEnabled());
    }

    static void backward(float[] q, float[] k, float[] v, float[] mask, float[] out, float[] lse, float[] gOut,
                         float[] gq, float[] gk, float[] gv, Geometry g, float scale, boolean simd) {
        Layout dense = Layout.dense(g);
        backward(q, k, v, mask, out, lse, gOut, gq, gk, gv, g, dense, dense, scale, simd);
    }

    static void backward(float[] q, float[] k, float[] v, float[] mask, float[] out, float[] lse, float[] gOut,
                         float[] gq, float[] gk, float[] gv, Geometry g, Layout lay, Layout gLay, float scale,
                         boolean simd) {
        checkForward(g, lay, q.length, k.length, v.length, out.length, lse.length, mask == null ? -1 : mask.length);
        checkBackward(g, gLay, gOut.length, gq.length, gk.length, gv.length);
        boolean vector = simd && lanesExact(g);
        forSlices(g, s -> {
            if (vector) {
                SimdAttentionKernel.backwardSlice(q, k, v, mask, out, lse, gOut, gq, gk, gv, g, lay, gLay, scale, s);
            } else {
                backwardSliceScalar(q, k, v, mask, out, lse, gOut, gq, gk, gv, g, lay, gLay, scale, s);
            }
        });
    }

    /**
     * Whether the vector loops can compare query and key positions as float lanes: exact below 2²⁴ (longer
     * sequences, far beyond any that fits in memory with a useful d, take the scalar loops).
     */
    private static boolean lanesExact(Geometry g) {
        return Math.max(g.tq, g.tk) < 1 << 24;
    }

    /** Zeroes the {@code t} rows of {@code width} of slice {@code s}. */
    static void zeroRows(float[] a, Rows r, int s, int t, int width) {
        if (r.stride == width) {
            java.util.Arrays.fill(a, r.base[s], r.base[s] + t * width, 0f);
            return;
        }
        for (int i = 0; i < t; i++) {
            java.util.Arrays.fill(a, r.at(s, i), r.at(s, i) + width, 0f);
        }
    }

    private static void zeroRows(double[] a, Rows r, int s, int t, int width) {
        for (int i = 0; i < t; i++) {
            java.util.Arrays.fill(a, r.at(s, i), r.at(s, i) + width, 0);
        }
    }

    private static void forwardSliceScalar(float[] q, float[] k, float[] v, float[] mask, float[] out,
                                           float[] lse, Geometry g, Layout lay, float scale, int s) {
        int tq = g.tq, tk = g.tk, d = g.d, dv = g.dv;
        int qBase = lay.q.base[s], kBase = lay.k.base[s], vBase = lay.v.base[s], oBase = lay.o.base[s];
        int qs = lay.q.stride, ks = lay.k.stride, vs = lay.v.stride, os = lay.o.stride;
        int mBase = mask == null ? 0 : g.maskOff[s];
        float[] sc = new float[BLOCK_K];
        float[] m = new float[BLOCK_Q];
        float[] l = new float[BLOCK_Q];
        float[] acc = new float[BLOCK_Q * dv];
        for (int q0 = 0; q0 < tq; q0 += BLOCK_Q) {
            int q1 = Math.min(tq, q0 + BLOCK_Q);
            java.util.Arrays.fill(m, Float.NEGATIVE_INFINITY);
            java.util.Arrays.fill(l, 0f);
            java.util.Arrays.fill(acc, 0f);
            int kMax = g.limit(q1 - 1);
            for (int k0 = 0; k0 < kMax; k0 += BLOCK_K) {
                int k1 = Math.min(kMax, k0 + BLOCK_K);
                for (int i = q0; i < q1; i++) {
                    int n = Math.min(k1, g.limit(i)) - k0;
                    if (n <= 0) {
                        continue;
                    }
                    int r = i - q0;
                    int qi = qBase + i * qs;
                    float bmax = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        int kj = kBase + (k0 + j) * ks;
                        float dot = 0f;
                        for (int c = 0; c < d; c++) {
                            dot = Math.fma(q[qi + c], k[kj + c], dot);
                        }
                        float sv = dot * scale;
                        if (mask != null) {
                            sv += mask[mBase + i * g.maskRow + (k0 + j) * g.maskCol];
                        }
                        sc[j] = sv;
                        bmax = Math.max(bmax, sv);
                    }
                    float mNew = Math.max(m[r], bmax);
                    if (mNew == Float.NEGATIVE_INFINITY) {
                        continue; // every key so far masked: nothing to add
                    }
                    float corr = (float) Math.exp(m[r] - mNew);
                    float sum = 0f;
                    for (int j = 0; j < n; j++) {
                        float p = (float) Math.exp(sc[j] - mNew);
                        sc[j] = p;
                        sum += p;
                    }
                    l[r] = l[r] * corr + sum;
                    int a = r * dv;
                    for (int c = 0; c < dv; c++) {
                        float x = acc[a + c] * corr;
                        for (int j = 0; j < n; j++) {
                            x = Math.fma(sc[j], v[vBase + (k0 + j) * vs + c], x);
                        }
                        acc[a + c] = x;
                    }
                    m[r] = mNew;
                }
            }
            for (int i = q0; i < q1; i++) {
                int r = i - q0;
                float inv = 1f / l[r];
                for (int c = 0; c < dv; c++) {
                    out[oBase + i * os + c] = acc[r * dv + c] * inv;
                }
                lse[s * tq + i] = m[r] + (float) Math.log(l[r]);
            }
        }
    }

    private static void backwardSliceScalar(float[] q, float[] k, float[] v, float[] mask, float[] out,
                                            float[] lse, float[] gOut, float[] gq, float[] gk, float[] gv,
                                            Geometry g, Layout lay, Layout gLay, float scale, int s) {
        int tq = g.tq, tk = g.tk, d = g.d, dv = g.dv;
        int mBase = mask == null ? 0 : g.maskOff[s];
        zeroRows(gq, gLay.q, s, tq, d);
        zeroRows(gk, gLay.k, s, tk, d);
        zeroRows(gv, gLay.v, s, tk, dv);
        float[] di = new float[tq];
        for (int i = 0; i < tq; i++) {
            float acc = 0f;
            for (int c = 0; c < dv; c++) {
                acc = Math.fma(gOut[gLay.o.at(s, i) + c], out[lay.o.at(s, i) + c], acc);
            }
            di[i] = acc;
        }
        for (int k0 = 0; k0 < tk; k0 += BLOCK_K) {
            int k1 = Math.min(tk, k0 + BLOCK_K);
            int iStart = g.causal ? Math.min(tq, k0) : 0;
            for (int i = iStart; i < tq; i++) {
                int n = Math.min(k1, g.limit(i)) - k0;
                if (n <= 0) {
                    continue;
                }
                int qi = lay.q.at(s, i), gqi = gLay.q.at(s, i);
                int oi = gLay.o.at(s, i);
                float li = lse[s * tq + i];
                for (int j = 0; j < n; j++) {
                    int kj = lay.k.at(s, k0 + j), gkj = gLay.k.at(s, k0 + j);
                    int vj = lay.v.at(s, k0 + j), gvj = gLay.v.at(s, k0 + j);
                    float dot = 0f;
                    for (int c = 0; c < d; c++) {
                        dot = Math.fma(q[qi + c], k[kj + c], dot);
                    }
                    float sv = dot * scale;
                    if (mask != null) {
                        sv += mask[mBase + i * g.maskRow + (k0 + j) * g.maskCol];
                    }
                    float p = (float) Math.exp(sv - li);
                    float dp = 0f;
                    for (int c = 0; c < dv; c++) {
                        gv[gvj + c] = Math.fma(p, gOut[oi + c], gv[gvj + c]);
                        dp = Math.fma(gOut[oi + c], v[vj + c], dp);
                    }
                    float ds = p * (dp - di[i]) * scale;
                    if (ds == 0f) {
                        continue;
                    }
                    for (int c = 0; c < d; c++) {
                        gq[gqi + c] = Math.fma(ds, k[kj + c], gq[gqi + c]);
                        gk[gkj + c] = Math.fma(ds, q[qi + c], gk[gkj + c]);
                    }
                }
            }
        }
    }

    // =================================================================================================
    // float64 (scalar only: gradient checks and float64 models)

    /**
     * Forward in float64 (see the class comment).
     *
     * @param q     queries, contiguous (bh, tq, d) from index 0
     * @param k     keys, contiguous (bh, tk, d)
     * @param v     values, contiguous (bh, tk, dv)
     * @param mask  additive mask laid out as {@code g.maskOff}/{@code maskRow}/{@code maskCol} say, or null
     * @param out   output O, contiguous (bh, tq, dv), overwritten
     * @param lse   output: per query row its log-sum-exp of scores, (bh, tq), overwritten (kept for the backward)
     * @param g     sizes, causality and mask layout
     * @param scale factor applied to Q·Kᵀ (usually 1/√d)
     * @throws IllegalArgumentException if an array is too short for {@code g}, or mask and mask offsets do not
     *                                  come together, or the mask does not hold every slice
     */
    public static void forward(double[] q, double[] k, double[] v, double[] mask, double[] out, double[] lse,
                               Geometry g, double scale) {
        forward(q, k, v, mask, out, lse, g, Layout.dense(g), scale);
    }

    /**
     * Forward in float64 over operands laid out as {@code lay} says (see {@link #forward(float[], float[],
     * float[], float[], float[], float[], Geometry, Layout, float)}).
     *
     * @param q     queries, at {@code lay.q()}
     * @param k     keys, at {@code lay.k()}
     * @param v     values, at {@code lay.v()}
     * @param mask  additive mask laid out as {@code g.maskOff}/{@code maskRow}/{@code maskCol} say, or null
     * @param out   output O, written at {@code lay.o()}
     * @param lse   output: per query row its log-sum-exp of scores, (bh, tq) contiguous, overwritten
     * @param g     sizes, causality and mask layout
     * @param lay   where the rows of q, k, v and out are
     * @param scale factor applied to Q·Kᵀ (usually 1/√d)
     * @throws IllegalArgumentException if an array does not hold its rows, or mask and mask offsets do not come
     *                                  together, or the mask does not hold every slice
     */
    public static void forward(double[] q, double[] k, double[] v, double[] mask, double[] out, double[] lse,
                               Geometry g, Layout lay, double scale) {
        checkForward(g, lay, q.length, k.length, v.length, out.length, lse.length, mask == null ? -1 : mask.length);
        forSlices(g, s -> forwardSlice(q, k, v, mask, out, lse, g, lay, scale, s));
    }

    /**
     * Backward in float64 (see {@link #backward(float[], float[], float[], float[], float[], float[], float[],
     * float[], float[], float[], Geometry, float)}).
     *
     * @param q     queries, contiguous (bh, tq, d) from index 0
     * @param k     keys, contiguous (bh, tk, d)
     * @param v     values, contiguous (bh, tk, dv)
     * @param mask  the forward's additive mask, or null
     * @param out   the forward's output O, (bh, tq, dv)
     * @param lse   the forward's log-sum-exp, (bh, tq)
     * @param gOut  gradient of O, (bh, tq, dv)
     * @param gq    gradient of Q, (bh, tq, d), overwritten
     * @param gk    gradient of K, (bh, tk, d), overwritten
     * @param gv    gradient of V, (bh, tk, dv), overwritten
     * @param g     the forward's geometry
     * @param scale the forward's scale
     * @throws IllegalArgumentException if an array is too short for {@code g}, or mask and mask offsets do not
     *                                  come together, or the mask does not hold every slice
     */
    public static void backward(double[] q, double[] k, double[] v, double[] mask, double[] out, double[] lse,
                                double[] gOut, double[] gq, double[] gk, double[] gv, Geometry g, double scale) {
        Layout dense = Layout.dense(g);
        backward(q, k, v, mask, out, lse, gOut, gq, gk, gv, g, dense, dense, scale);
    }

    /**
     * Backward in float64 over operands laid out as {@code lay} (q, k, v, out) and {@code gLay} (gq, gk, gv,
     * gOut) say (see the float32 overload).
     *
     * @param q     queries, at {@code lay.q()}
     * @param k     keys, at {@code lay.k()}
     * @param v     values, at {@code lay.v()}
     * @param mask  the forward's additive mask, or null
     * @param out   the forward's output O, at {@code lay.o()}
     * @param lse   the forward's log-sum-exp, (bh, tq) contiguous
     * @param gOut  gradient of O, at {@code gLay.o()}
     * @param gq    gradient of Q, written at {@code gLay.q()}
     * @param gk    gradient of K, written at {@code gLay.k()}
     * @param gv    gradient of V, written at {@code gLay.v()}
     * @param g     the forward's geometry
     * @param lay   where the rows of q, k, v and out are
     * @param gLay  where the rows of gq, gk, gv and gOut are
     * @param scale the forward's scale
     * @throws IllegalArgumentException if an array does not hold its rows, or mask and mask offsets do not come
     *                                  together, or the mask does not hold every slice
     */
    public static void backward(double[] q, double[] k, double[] v, double[] mask, double[] out, double[] lse,
                                double[] gOut, double[] gq, double[] gk, double[] gv, Geometry g, Layout lay,
                                Layout gLay, double scale) {
        checkForward(g, lay, q.length, k.length, v.length, out.length, lse.length, mask == null ? -1 : mask.length);
        checkBackward(g, gLay, gOut.length, gq.length, gk.length, gv.length);
        forSlices(g, s -> backwardSlice(q, k, v, mask, out, lse, gOut, gq, gk, gv, g, lay, gLay, scale, s));
    }

    private static void forwardSlice(double[] q, double[] k, double[] v, double[] mask, double[] out,
                                     double[] lse, Geometry g, Layout lay, double scale, int s) {
        int tq = g.tq, tk = g.tk, d = g.d, dv = g.dv;
        int qBase = lay.q.base[s], kBase = lay.k.base[s], vBase = lay.v.base[s], oBase = lay.o.base[s];
        int qs = lay.q.stride, ks = lay.k.stride, vs = lay.v.stride, os = lay.o.stride;
        int mBase = mask == null ? 0 : g.maskOff[s];
        double[] sc = new double[BLOCK_K];
        double[] acc = new double[dv];
        for (int i = 0; i < tq; i++) {
            double m = Double.NEGATIVE_INFINITY;
            double l = 0;
            java.util.Arrays.fill(acc, 0);
            int lim = g.limit(i);
            int qi = qBase + i * qs;
            for (int k0 = 0; k0 < lim; k0 += BLOCK_K) {
                int n = Math.min(lim, k0 + BLOCK_K) - k0;
                double bmax = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    int kj = kBase + (k0 + j) * ks;
                    double dot = 0;
                    for (int c = 0; c < d; c++) {
                        dot += q[qi + c] * k[kj + c];
                    }
                    double sv = dot * scale;
                    if (mask != null) {
                        sv += mask[mBase + i * g.maskRow + (k0 + j) * g.maskCol];
                    }
                    sc[j] = sv;
                    bmax = Math.max(bmax, sv);
                }
                double mNew = Math.max(m, bmax);
                if (mNew == Double.NEGATIVE_INFINITY) {
                    continue;
                }
                double corr = Math.exp(m - mNew);
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    sc[j] = Math.exp(sc[j] - mNew);
                    sum += sc[j];
                }
                l = l * corr + sum;
                for (int c = 0; c < dv; c++) {
                    double x = acc[c] * corr;
                    for (int j = 0; j < n; j++) {
                        x += sc[j] * v[vBase + (k0 + j) * vs + c];
                    }
                    acc[c] = x;
                }
                m = mNew;
            }
            double inv = 1 / l;
            for (int c = 0; c < dv; c++) {
                out[oBase + i * os + c] = acc[c] * inv;
            }
            lse[s * tq + i] = m + Math.log(l);
        }
    }

    private static void backwardSlice(double[] q, double[] k, double[] v, double[] mask, double[] out,
                                      double[] lse, double[] gOut, double[] gq, double[] gk, double[] gv,
                                      Geometry g, Layout lay, Layout gLay, double scale, int s) {
        int tq = g.tq, tk = g.tk, d = g.d, dv = g.dv;
        int mBase = mask == null ? 0 : g.maskOff[s];
        zeroRows(gq, gLay.q, s, tq, d);
        zeroRows(gk, gLay.k, s, tk, d);
        zeroRows(gv, gLay.v, s, tk, dv);
        for (int i = 0; i < tq; i++) {
            int qi = lay.q.at(s, i), gqi = gLay.q.at(s, i);
            int oi = gLay.o.at(s, i), outi = lay.o.at(s, i);
            double di = 0;
            for (int c = 0; c < dv; c++) {
                di += gOut[oi + c] * out[outi + c];
            }
            double li = lse[s * tq + i];
            int lim = g.limit(i);
            for (int j = 0; j < lim; j++) {
                int kj = lay.k.at(s, j), gkj = gLay.k.at(s, j);
                int vj = lay.v.at(s, j), gvj = gLay.v.at(s, j);
                double dot = 0;
                for (int c = 0; c < d; c++) {
                    dot += q[qi + c] * k[kj + c];
                }
                double sv = dot * scale;
                if (mask != null) {
                    sv += mask[mBase + i * g.maskRow + j * g.maskCol];
                }
                double p = Math.exp(sv - li);
                double dp = 0;
                for (int c = 0; c < dv; c++) {
                    gv[gvj + c] += p * gOut[oi + c];
                    dp += gOut[oi + c] * v[vj + c];
                }
                double ds = p * (dp - di) * scale;
                if (ds == 0) {
                    continue;
                }
                for (int c = 0; c < d; c++) {
                    gq[gqi + c] += ds * k[kj + c];
                    gk[gkj + c] += ds * q[qi + c];
                }
            }
        }
    }
}
