package dev.vgrad.core.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API loops of {@link AttentionKernel} (float32): the same blocks and online softmax as its scalar
 * loops, with queries in lanes. A tile of {@link #QT} queries is transposed once, so every score, probability and
 * gradient of one key for the tile's queries is two vectors: the products are broadcast-fma chains (one key or
 * value element against the queries' vectors, as in a GEMM micro-kernel), and the softmax's maximum, sum and
 * rescaling run down the lanes with no horizontal sum or scalar exponential per query. Exponentials go through
 * {@link VectorMath#exp} (IEEE basic operations only, so a lane's bits never depend on JIT state). Every product
 * sum is an fma chain in the scalar kernel's order; the softmax sums and rescale factors are rounded differently,
 * so SIMD and scalar agree within rounding. Loaded only when the incubator module is present (see
 * {@link KernelProvider}).
 */
final class SimdAttentionKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private SimdAttentionKernel() {}

    /** Σ of the lanes in {@link LaneTree}'s fixed tree (the same bits on every call). */
    private static float hsum(FloatVector v) {
        return LaneTree.sum(v);
    }

    private static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int c = 0;
        float r = 0f;
        if (n >= L) {
            FloatVector acc = FloatVector.fromArray(S, a, aOff).mul(FloatVector.fromArray(S, b, bOff));
            for (c = L; c + L <= n; c += L) {
                acc = FloatVector.fromArray(S, a, aOff + c).fma(FloatVector.fromArray(S, b, bOff + c), acc);
            }
            r = hsum(acc);
        }
        for (; c < n; c++) {
            r = Math.fma(a[aOff + c], b[bOff + c], r);
        }
        return r;
    }

    /** Queries per tile: two vectors, one query per lane. */
    private static final int QT = 2 * L;
    /** Lane indices 0, 1, …, L−1 as floats (exact: L is far below 2²⁴). */
    private static final FloatVector IOTA = FloatVector.zero(S).addIndex(1);

    /**
     * Per-thread work arrays (a slice runs start to end on one thread and calls no other slice), grown on demand
     * so that the steady state allocates nothing; every element is written before it is read in each slice.
     */
    private static final class Scratch {
        float[] a = new float[0], b = new float[0], c = new float[0], e = new float[0];
        final float[] st = new float[AttentionKernel.BLOCK_K * QT], dt = new float[AttentionKernel.BLOCK_K * QT];
        /** The forward's running maximum (lanes 0..QT) and sum (QT..2·QT) per query, and its rescale factors. */
        final float[] ml = new float[2 * QT], corr = new float[QT];
        final int[] off1 = new int[QT], off2 = new int[QT], src16 = new int[16];

        static float[] grow(float[] x, int n) {
            return x.length >= n ? x : new float[n];
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * One slice's forward with queries in lanes: a tile of {@link #QT} queries is transposed once into
     * {@code qt[c·QT + i]}, and for each block of keys the scores are kept as {@code st[j·QT + i]} (key j's scores
     * for the tile's queries in two vectors). The online softmax then runs down the columns, lane by lane (running
     * maximum, rescale factor, exponentials and the running sum are plain vector operations, no horizontal sum or
     * scalar exponential per row), and the output accumulates transposed, {@code ot[c·QT + i]}, as V's elements
     * broadcast against the probability vectors. Every score is the same fma chain in c order as the scalar
     * kernel's, and every output element a chain in key order between rescales; a block's sum of probabilities
     * runs key by key. Causal keys past a lane's query are masked before the maximum and give an exact 0
     * probability.
     */
    static void forwardSlice(float[] q, float[] k, float[] v, float[] mask, float[] out, float[] lse,
                             AttentionKernel.Geometry g, AttentionKernel.Layout lay, float scale, int s) {
        int tq = g.tq(), d = g.d(), dv = g.dv();
        int bk = AttentionKernel.BLOCK_K;
        int qBase = lay.q().base()[s], kBase = lay.k().base()[s], vBase = lay.v().base()[s];
        int oBase = lay.o().base()[s];
        int qs = lay.q().stride(), ks = lay.k().stride(), vs = lay.v().stride(), os = lay.o().stride();
        int mBase = mask == null ? 0 : g.maskOff()[s];
        Scratch w = SCRATCH.get();
        float[] qt = w.a = Scratch.grow(w.a, d * QT);
        float[] ot = w.b = Scratch.grow(w.b, dv * QT);
        float[] st = w.st, ml = w.ml, corr = w.corr;
        int[] rowOff = w.off1;
        for (int i0 = 0; i0 < tq; i0 += QT) {
            int rows = Math.min(QT, tq - i0);
            for (int r = 0; r < QT; r++) {
                rowOff[r] = (i0 + Math.min(r, rows - 1)) * qs;
            }
            toLanes(q, qBase, rowOff, d, qt, 0, QT);
            Arrays.fill(ot, 0f);
            Arrays.fill(ml, 0, QT, Float.NEGATIVE_INFINITY);
            Arrays.fill(ml, QT, 2 * QT, 0f);
            int kMax = g.limit(i0 + rows - 1);
            for (int k0 = 0; k0 < kMax; k0 += bk) {
                int n = Math.min(bk, kMax - k0);
                // S: key j's scores for the tile's queries at st[j·QT]
                mm(k, kBase + k0 * ks, ks, 1, n, d, qt, 0, QT, QT, st, 0, QT, false, scale);
                if (mask != null) {
                    addMaskT(st, n, rows, mask, mBase, g, i0, k0);
                }
                // the lanes' query indices, or, without causality, indices that no key passes
                int q0 = g.causal() ? i0 : Integer.MAX_VALUE / 2;
                softmaxT(st, n, ml, corr, 0, q0, k0);
                softmaxT(st, n, ml, corr, L, q0 + L, k0);
                // Oᵀ = Oᵀ·corr + Vᵀ·P: value column c against the probability vectors of the block's keys
                rescale(ot, dv, corr);
                mm(v, vBase + k0 * vs, 1, vs, dv, n, st, 0, QT, QT, ot, 0, QT, true, 1f);
            }
            for (int h = 0; h < QT; h += L) {
                FloatVector inv = FloatVector.broadcast(S, 1f).div(FloatVector.fromArray(S, ml, QT + h));
                for (int c = 0; c < dv; c++) {
                    FloatVector.fromArray(S, ot, c * QT + h).mul(inv).intoArray(ot, c * QT + h);
                }
            }
            fromLanes(ot, dv, rows, out, oBase + i0 * os, os, w.src16);
            for (int r = 0; r < rows; r++) {
                lse[s * tq + i0 + r] = ml[r] + (float) Math.log(ml[QT + r]);
            }
        }
    }

    /**
     * {@code qt[qOff + c·ld + r] = x[base + rowOff[r] + c]} for c &lt; d, r &lt; {@link #QT} (a tile's missing rows
     * repeat its last row; their lanes are never read back). Whole 16×16 blocks go through the GEMM's register
     * transpose.
     */
    private static void toLanes(float[] x, int base, int[] rowOff, int d, float[] qt, int qOff, int ld) {
        int c = 0;
        if (L == 16) {
            for (; c + 16 <= d; c += 16) {
                for (int h = 0; h < QT; h += 16) {
                    SimdGemm.transpose16(x, base + c, rowOff, h, qt, qOff + c * ld + h, ld);
                }
            }
        }
        for (; c < d; c++) {
            for (int r = 0; r < QT; r++) {
                qt[qOff + c * ld + r] = x[base + rowOff[r] + c];
            }
        }
    }

    /** {@code y[yOff + r·ys + c] = ot[c·QT + r]} for r &lt; rows, c &lt; dv (the inverse of {@link #toLanes}). */
    private static void fromLanes(float[] ot, int dv, int rows, float[] y, int yOff, int ys, int[] src) {
        int c = 0;
        if (L == 16 && rows == QT) {
            for (; c + 16 <= dv; c += 16) {
                for (int j = 0; j < 16; j++) {
                    src[j] = (c + j) * QT;
                }
                for (int h = 0; h < QT; h += 16) {
                    SimdGemm.transpose16(ot, h, src, 0, y, yOff + h * ys + c, ys);
                }
            }
        }
        for (; c < dv; c++) {
            for (int r = 0; r < rows; r++) {
                y[yOff + r * ys + c] = ot[c * QT + r];
            }
        }
    }

    /**
     * The online-softmax step for the query lanes {@code [h, h + L)} of a tile over its n scores
     * {@code st[j·QT + h …]}: new maximum m' = max(m, max_j s_j), rescale factor e^(m − m') into {@code corr},
     * probabilities e^(s_j − m') in place of the scores, and l' = l·e^(m − m') + Σ_j p_j (the block's sum in key
     * order). Lanes whose every key so far is masked keep m = −∞, l = 0 and a factor 1. Key k0 + j is masked in
     * the lanes whose query index ({@code first} + lane) is smaller (causal): it enters neither the maximum nor the
     * sum, and its probability is an exact 0. So is a score of −∞ (an additive padding mask). The exponential
     * never sees −∞: that would leave its fast path and train its shared branch profile (see the comment below)
     * in every program that pads its keys.
     */
    private static void softmaxT(float[] st, int n, float[] ml, float[] corr, int h, int first, int k0) {
        FloatVector query = IOTA.add(first);
        FloatVector ninf = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        FloatVector mOld = FloatVector.fromArray(S, ml, h);
        FloatVector mx = mOld;
        for (int j = 0; j < n; j++) {
            FloatVector sj = FloatVector.fromArray(S, st, j * QT + h);
            mx = mx.max(sj.blend(ninf, query.compare(VectorOperators.LT, (float) (k0 + j))));
        }
        FloatVector shift = mx.blend(0f, mx.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0; j < n; j++) {
            FloatVector sj = FloatVector.fromArray(S, st, j * QT + h);
            VectorMask<Float> off = query.compare(VectorOperators.LT, (float) (k0 + j))
                    .or(sj.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
            FloatVector p = VectorMath.exp(sj.sub(shift).blend(0f, off)).blend(0f, off);
            p.intoArray(st, j * QT + h);
            sum = sum.add(p);
        }
        // The rescale factor comes after the loop so that C2 inlines the loop's exponential first: a second
        // inlined copy exceeds its node budget, and an out-of-line exponential in the loop boxes every vector.
        // Lanes that had no key yet (m = −∞: l and the output are 0) take e^0. An exponential of −∞ would be
        // right too, but would train the exponential's shared branch profile towards its wide-range path, which
        // C2 then compiles into every inlined copy (GELU's included) until their callers outgrow the inlining
        // budget and box their vectors (measured: 447 MB instead of 228 MB allocated per char-GPT step).
        VectorMask<Float> fresh = mOld.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY);
        FloatVector cr = VectorMath.exp(mOld.sub(shift).blend(0f, fresh));
        FloatVector.fromArray(S, ml, QT + h).fma(cr, sum).intoArray(ml, QT + h);
        mx.intoArray(ml, h);
        cr.intoArray(corr, h);
    }

    /**
     * One slice's backward with queries in lanes (FlashAttention-2 order: key blocks outside, query tiles inside).
     * Q and dO are transposed once per slice into {@code qt[c·tp + i]} and {@code gt[c·tp + i]}; for each block of
     * keys and tile of {@link #QT} queries, {@link #mm} gives S and dP = dO·Vᵀ with key j's values for the
     * tile in {@code st[j·QT …]} and {@code dt[j·QT …]}, {@link #gradsT} turns them into P = e^(S − lse) and
     * dS = P ⊙ (dP − D)·scale down the lanes, and {@link #mm} adds dV_j += Σ_i P_ij·dO_i,
     * dK_j += Σ_i dS_ij·Q_i (queries in order) and dQ_i += Σ_j dS_ij·K_j (keys in order), four destination rows
     * at a time with their sums in registers across the whole tile or block. K and V are read in place.
     */
    static void backwardSlice(float[] q, float[] k, float[] v, float[] mask, float[] out, float[] lse,
                              float[] gOut, float[] gq, float[] gk, float[] gv, AttentionKernel.Geometry g,
                              AttentionKernel.Layout lay, AttentionKernel.Layout gLay, float scale, int s) {
        int tq = g.tq(), tk = g.tk(), d = g.d(), dv = g.dv();
        int bk = AttentionKernel.BLOCK_K;
        int qBase = lay.q().base()[s], kBase = lay.k().base()[s], vBase = lay.v().base()[s];
        int oBase = lay.o().base()[s];
        int qs = lay.q().stride(), ks = lay.k().stride(), vs = lay.v().stride(), os = lay.o().stride();
        int gqBase = gLay.q().base()[s], gkBase = gLay.k().base()[s], gvBase = gLay.v().base()[s];
        int goBase = gLay.o().base()[s];
        int gqs = gLay.q().stride(), gks = gLay.k().stride(), gvs = gLay.v().stride(), gos = gLay.o().stride();
        int mBase = mask == null ? 0 : g.maskOff()[s];
        AttentionKernel.zeroRows(gq, gLay.q(), s, tq, d);
        AttentionKernel.zeroRows(gk, gLay.k(), s, tk, d);
        AttentionKernel.zeroRows(gv, gLay.v(), s, tk, dv);
        if (tq == 0 || tk == 0) {
            return;
        }
        int tp = (tq + QT - 1) / QT * QT;
        Scratch w = SCRATCH.get();
        float[] qt = w.a = Scratch.grow(w.a, d * tp);
        float[] gt = w.b = Scratch.grow(w.b, dv * tp);
        float[] di = w.c = Scratch.grow(w.c, tp);
        float[] ls = w.e = Scratch.grow(w.e, tp);
        int[] qOff = w.off1, gOff = w.off2;
        for (int i0 = 0; i0 < tq; i0 += QT) {
            int rows = Math.min(QT, tq - i0);
            for (int r = 0; r < QT; r++) {
                int i = i0 + Math.min(r, rows - 1);
                qOff[r] = i * qs;
                gOff[r] = i * gos;
            }
            toLanes(q, qBase, qOff, d, qt, i0, tp);
            toLanes(gOut, goBase, gOff, dv, gt, i0, tp);
        }
        for (int i = 0; i < tp; i++) {
            // lanes past the last query copy its values, as their scores copy its scores: finite, never read
            int r = Math.min(i, tq - 1);
            di[i] = dot(gOut, goBase + r * gos, out, oBase + r * os, dv);
            ls[i] = lse[s * tq + r];
        }
        float[] st = w.st, dt = w.dt;
        for (int k0 = 0; k0 < tk; k0 += bk) {
            int k1 = Math.min(tk, k0 + bk);
            for (int i0 = 0; i0 < tq; i0 += QT) {
                int rows = Math.min(QT, tq - i0);
                int n = Math.min(k1, g.limit(i0 + rows - 1)) - k0;
                if (n <= 0) {
                    continue; // causal: the block is past every query of the tile
                }
                mm(k, kBase + k0 * ks, ks, 1, n, d, qt, i0, tp, QT, st, 0, QT, false, scale);
                if (mask != null) {
                    addMaskT(st, n, rows, mask, mBase, g, i0, k0);
                }
                mm(v, vBase + k0 * vs, vs, 1, n, dv, gt, i0, tp, QT, dt, 0, QT, false, 1f);
                int q0 = g.causal() ? i0 : Integer.MAX_VALUE / 2;
                gradsT(st, dt, n, ls, di, i0, 0, q0, k0, scale);
                gradsT(st, dt, n, ls, di, i0, L, q0 + L, k0, scale);
                mm(st, 0, QT, 1, n, rows, gOut, goBase + i0 * gos, gos, dv, gv, gvBase + k0 * gvs, gvs, true, 1f);
                mm(dt, 0, QT, 1, n, rows, q, qBase + i0 * qs, qs, d, gk, gkBase + k0 * gks, gks, true, 1f);
                mm(dt, 0, 1, QT, rows, n, k, kBase + k0 * ks, ks, d, gq, gqBase + i0 * gqs, gqs, true, 1f);
            }
        }
    }

    /** {@code st[j·QT + r] += mask(i0 + r, k0 + j)} for j &lt; n, r &lt; rows. */
    private static void addMaskT(float[] st, int n, int rows, float[] mask, int mBase, AttentionKernel.Geometry g,
                                 int i0, int k0) {
        for (int j = 0; j < n; j++) {
            int mo = mBase + (k0 + j) * g.maskCol();
            for (int r = 0; r < rows; r++) {
                st[j * QT + r] += mask[mo + (i0 + r) * g.maskRow()];
            }
        }
    }

    /**
     * For the query lanes {@code [h, h + L)} of a tile at i0 over its n keys: P = e^(S − lse) in place of the
     * scores and dS = P ⊙ (dP − D)·scale in place of dP; causal keys past a lane's query and scores of −∞ get
     * P = dS = 0 exactly (the exponential never sees −∞, see {@link #softmaxT}), except in a query whose every key
     * is masked (lse = −∞), whose probabilities stay e^(−∞ + ∞) = NaN as in the composed softmax.
     */
    private static void gradsT(float[] st, float[] dt, int n, float[] ls, float[] di, int i0, int h,
                               int first, int k0, float scale) {
        FloatVector query = IOTA.add(first);
        FloatVector lv = FloatVector.fromArray(S, ls, i0 + h);
        FloatVector dd = FloatVector.fromArray(S, di, i0 + h);
        FloatVector sv = FloatVector.broadcast(S, scale);
        VectorMask<Float> live = lv.compare(VectorOperators.NE, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < n; j++) {
            int o = j * QT + h;
            FloatVector sj = FloatVector.fromArray(S, st, o);
            VectorMask<Float> off = query.compare(VectorOperators.LT, (float) (k0 + j))
                    .or(sj.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY).and(live));
            FloatVector p = VectorMath.exp(sj.sub(lv).blend(0f, off)).blend(0f, off);
            p.intoArray(st, o);
            p.mul(FloatVector.fromArray(S, dt, o).sub(dd)).mul(sv).intoArray(dt, o);
        }
    }

    /** {@code ot[c·QT + i] *= corr[i]} for c &lt; dv: the online softmax's rescale of the unnormalised output. */
    private static void rescale(float[] ot, int dv, float[] corr) {
        FloatVector f0 = FloatVector.fromArray(S, corr, 0), f1 = FloatVector.fromArray(S, corr, L);
        for (int c = 0; c < dv; c++) {
            FloatVector.fromArray(S, ot, c * QT).mul(f0).intoArray(ot, c * QT);
            FloatVector.fromArray(S, ot, c * QT + L).mul(f1).intoArray(ot, c * QT + L);
        }
    }

    /**
     * Every product of the kernel, a broadcast-fma micro-kernel:
     * <pre>
     * y[yOff + o·ys + c] = ((load ? y[yOff + o·ys + c] : 0) + Σ_{r&lt;reds} w[wOff + o·wo + r·wr]·x[xOff + r·xs + c])·scale
     * </pre>
     * for o &lt; outs, c &lt; len, each sum one fma chain in r order (×1 is exact, so {@code scale = 1} changes no
     * bit). Four destination rows and two vectors of c at a time: eight independent chains, each w element
     * broadcast once for two vectors and each x vector loaded once for four rows, and every destination element
     * loaded and stored once per call. Scores, the output's value sums and all three gradients are this kernel
     * with the strides of their operands.
     */
    private static void mm(float[] w, int wOff, int wo, int wr, int outs, int reds, float[] x, int xOff, int xs,
                           int len, float[] y, int yOff, int ys, boolean load, float scale) {
        FloatVector sv = FloatVector.broadcast(S, scale);
        FloatVector zero = FloatVector.zero(S);
        int o = 0;
        for (; o + 4 <= outs; o += 4) {
            int y0 = yOff + o * ys, y1 = y0 + ys, y2 = y1 + ys, y3 = y2 + ys;
            int w0 = wOff + o * wo, w1 = w0 + wo, w2 = w1 + wo, w3 = w2 + wo;
            int c = 0;
            for (; c + 2 * L <= len; c += 2 * L) {
                FloatVector a00 = load ? FloatVector.fromArray(S, y, y0 + c) : zero;
                FloatVector a01 = load ? FloatVector.fromArray(S, y, y0 + c + L) : zero;
                FloatVector a10 = load ? FloatVector.fromArray(S, y, y1 + c) : zero;
                FloatVector a11 = load ? FloatVector.fromArray(S, y, y1 + c + L) : zero;
                FloatVector a20 = load ? FloatVector.fromArray(S, y, y2 + c) : zero;
                FloatVector a21 = load ? FloatVector.fromArray(S, y, y2 + c + L) : zero;
                FloatVector a30 = load ? FloatVector.fromArray(S, y, y3 + c) : zero;
                FloatVector a31 = load ? FloatVector.fromArray(S, y, y3 + c + L) : zero;
                int xo = xOff + c;
                for (int r = 0, wi = 0; r < reds; r++, xo += xs, wi += wr) {
                    FloatVector x0 = FloatVector.fromArray(S, x, xo);
                    FloatVector x1 = FloatVector.fromArray(S, x, xo + L);
                    FloatVector b0 = FloatVector.broadcast(S, w[w0 + wi]);
                    FloatVector b1 = FloatVector.broadcast(S, w[w1 + wi]);
                    FloatVector b2 = FloatVector.broadcast(S, w[w2 + wi]);
                    FloatVector b3 = FloatVector.broadcast(S, w[w3 + wi]);
                    a00 = b0.fma(x0, a00);
                    a01 = b0.fma(x1, a01);
                    a10 = b1.fma(x0, a10);
                    a11 = b1.fma(x1, a11);
                    a20 = b2.fma(x0, a20);
                    a21 = b2.fma(x1, a21);
                    a30 = b3.fma(x0, a30);
                    a31 = b3.fma(x1, a31);
                }
                a00.mul(sv).intoArray(y, y0 + c);
                a01.mul(sv).intoArray(y, y0 + c + L);
                a10.mul(sv).intoArray(y, y1 + c);
                a11.mul(sv).intoArray(y, y1 + c + L);
                a20.mul(sv).intoArray(y, y2 + c);
                a21.mul(sv).intoArray(y, y2 + c + L);
                a30.mul(sv).intoArray(y, y3 + c);
                a31.mul(sv).intoArray(y, y3 + c + L);
            }
            for (; c + L <= len; c += L) {
                FloatVector a0 = load ? FloatVector.fromArray(S, y, y0 + c) : zero;
                FloatVector a1 = load ? FloatVector.fromArray(S, y, y1 + c) : zero;
                FloatVector a2 = load ? FloatVector.fromArray(S, y, y2 + c) : zero;
                FloatVector a3 = load ? FloatVector.fromArray(S, y, y3 + c) : zero;
                int xo = xOff + c;
                for (int r = 0, wi = 0; r < reds; r++, xo += xs, wi += wr) {
                    FloatVector x0 = FloatVector.fromArray(S, x, xo);
                    a0 = FloatVector.broadcast(S, w[w0 + wi]).fma(x0, a0);
                    a1 = FloatVector.broadcast(S, w[w1 + wi]).fma(x0, a1);
                    a2 = FloatVector.broadcast(S, w[w2 + wi]).fma(x0, a2);
                    a3 = FloatVector.broadcast(S, w[w3 + wi]).fma(x0, a3);
                }
                a0.mul(sv).intoArray(y, y0 + c);
                a1.mul(sv).intoArray(y, y1 + c);
                a2.mul(sv).intoArray(y, y2 + c);
                a3.mul(sv).intoArray(y, y3 + c);
            }
            for (; c < len; c++) {
                mmScalar(w, w0, wo, wr, 4, reds, x, xOff + c, xs, y, y0 + c, ys, load, scale);
            }
        }
        for (; o < outs; o++) {
            int y0 = yOff + o * ys;
            int w0 = wOff + o * wo;
            int c = 0;
            for (; c + L <= len; c += L) {
                FloatVector a0 = load ? FloatVector.fromArray(S, y, y0 + c) : zero;
                int xo = xOff + c;
                for (int r = 0, wi = 0; r < reds; r++, xo += xs, wi += wr) {
                    a0 = FloatVector.broadcast(S, w[w0 + wi]).fma(FloatVector.fromArray(S, x, xo), a0);
                }
                a0.mul(sv).intoArray(y, y0 + c);
            }
            for (; c < len; c++) {
                mmScalar(w, w0, wo, wr, 1, reds, x, xOff + c, xs, y, y0 + c, ys, load, scale);
            }
        }
    }

    /** One column of {@link #mm} for {@code outs} destination rows, scalar. */
    private static void mmScalar(float[] w, int w0, int wo, int wr, int outs, int reds, float[] x, int xOff, int xs,
                                 float[] y, int yOff, int ys, boolean load, float scale) {
        for (int o = 0; o < outs; o++) {
            float acc = load ? y[yOff + o * ys] : 0f;
            for (int r = 0; r < reds; r++) {
                acc = Math.fma(w[w0 + o * wo + r * wr], x[xOff + r * xs], acc);
            }
            y[yOff + o * ys] = acc * scale;
        }
    }
}
