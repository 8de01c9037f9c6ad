package dev.vgrad.core.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API loops of {@link AttentionKernel} (float32), the same algorithm as its scalar loops: dot products
 * over d and row updates over dv run {@code L} lanes at a time, and the exponentials of one block of scores run
 * through {@link VectorMath#exp} (IEEE basic operations only, so a lane's bits never depend on JIT state).
 * Loaded only when the incubator module is present (see {@link KernelProvider}).
 */
final class SimdAttentionKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Score row length rounded up to whole vectors (see {@link #expRow} for what padding lanes hold). */
    private static final int ROW = (AttentionKernel.BLOCK_K + L - 1) / L * L;

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

    /** y[c] += a·x[c] for c &lt; n. */
    private static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int c = 0;
        FloatVector av = FloatVector.broadcast(S, a);
        for (; c + L <= n; c += L) {
            av.fma(FloatVector.fromArray(S, x, xOff + c), FloatVector.fromArray(S, y, yOff + c))
                    .intoArray(y, yOff + c);
        }
        for (; c < n; c++) {
            y[yOff + c] = Math.fma(a, x[xOff + c], y[yOff + c]);
        }
    }

    /**
     * sc[j] = exp(sc[j] − shift) for j &lt; n and 0 for the rest of the last vector (lanes past it hold −∞);
     * returns Σ of the first n. Lanes past n enter the exponential as x − shift = 0 and are then zeroed: a −∞
     * there would send every partial row through {@link VectorMath#exp}'s wide-range path, an out-of-line call
     * whose vectors the JIT boxes. The lane sum is {@link #hsum}'s tree written out, since a call with a vector
     * argument is not always inlined into this method's large callers, and then boxes too.
     */
    private static float expRow(float[] sc, int n, float shift) {
        int pad = (n + L - 1) / L * L;
        Arrays.fill(sc, pad, ROW, Float.NEGATIVE_INFINITY);
        FloatVector sh = FloatVector.broadcast(S, shift);
        FloatVector sum = FloatVector.zero(S);
        int full = n / L * L;
        for (int j = 0; j < full; j += L) {
            FloatVector p = VectorMath.exp(FloatVector.fromArray(S, sc, j).sub(sh));
            p.intoArray(sc, j);
            sum = sum.add(p);
        }
        if (full < n) {
            VectorMask<Float> past = S.indexInRange(full, n).not();
            FloatVector x = FloatVector.fromArray(S, sc, full).blend(sh, past);
            FloatVector p = VectorMath.exp(x.sub(sh)).blend(FloatVector.zero(S), past);
            p.intoArray(sc, full);
            sum = sum.add(p);
        }
        if (L > 16) {
            return hsum(sum);
        }
        if (L >= 16) {
            sum = sum.add(sum.rearrange(LaneTree.ROT8));
        }
        if (L >= 8) {
            sum = sum.add(sum.rearrange(LaneTree.ROT4));
        }
        if (L >= 4) {
            sum = sum.add(sum.rearrange(LaneTree.ROT2));
        }
        if (L >= 2) {
            sum = sum.add(sum.rearrange(LaneTree.ROT1));
        }
        return sum.lane(0);
    }

    /**
     * The key block [k0, k0 + n) (rows {@code rowStride} apart from {@code kBase}) transposed into {@code kt[c·ROW + j]} (zeros from n to the next whole vector;
     * columns beyond hold stale keys that no score loop reads), so one query's scores are
     * {@code d} broadcast-fma steps over whole vectors of keys instead of n horizontal sums.
     */
    private static void transposeBlock(float[] k, int kBase, int rowStride, int k0, int n, int d, float[] kt) {
        int done = 0;
        if (L == 16 && d % 16 == 0 && n >= 16) {
            // whole 16×16 tiles through the GEMM's register transpose: a scalar scatter into kt's columns cost
            // about as much as the scores themselves
            done = n / 16 * 16;
            int[] rows = new int[done];
            for (int j = 0; j < done; j++) {
                rows[j] = (k0 + j) * rowStride;
            }
            for (int j0 = 0; j0 < done; j0 += 16) {
                for (int c0 = 0; c0 < d; c0 += 16) {
                    SimdGemm.transpose16(k, kBase + c0, rows, j0, kt, c0 * ROW + j0, ROW);
                }
            }
        }
        for (int j = done; j < n; j++) {
            int kj = kBase + (k0 + j) * rowStride;
            for (int c = 0; c < d; c++) {
                kt[c * ROW + j] = k[kj + c];
            }
        }
        // The score loops read columns up to n rounded up to a whole vector and discard the lanes past n, so only
        // those columns are cleared (to keep stale keys out of any lane); clearing the rest of each ROW, as
        // before, cost 3% of a char-GPT step for causal blocks.
        int pad = Math.min(ROW, (n + L - 1) / L * L);
        if (n < pad) {
            for (int c = 0; c < d; c++) {
                Arrays.fill(kt, c * ROW + n, c * ROW + pad, 0f);
            }
        }
    }

    /**
     * sc[j] = (Σ_c a[ai + c]·bt[c·ROW + j])·scale (+ mask) for j &lt; n, each sum an fma chain in c order (the
     * scalar kernel's order); lanes past n are left for {@link #expRow} to overwrite.
     */
    private static void scores(float[] a, int ai, float[] bt, int d, int n, float scale, float[] mask, int mRow,
                               int maskCol, int k0, float[] sc) {
        int pad = (n + L - 1) / L * L;
        FloatVector sv = FloatVector.broadcast(S, scale);
        for (int j = 0; j < pad; j += 4 * L) {
            int blocks = Math.min(4, (pad - j) / L);
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0; c < d; c++) {
                FloatVector x = FloatVector.broadcast(S, a[ai + c]);
                int o = c * ROW + j;
                a0 = x.fma(FloatVector.fromArray(S, bt, o), a0);
                if (blocks > 1) {
                    a1 = x.fma(FloatVector.fromArray(S, bt, o + L), a1);
                }
                if (blocks > 2) {
                    a2 = x.fma(FloatVector.fromArray(S, bt, o + 2 * L), a2);
                }
                if (blocks > 3) {
                    a3 = x.fma(FloatVector.fromArray(S, bt, o + 3 * L), a3);
                }
            }
            a0.mul(sv).intoArray(sc, j);
            if (blocks > 1) {
                a1.mul(sv).intoArray(sc, j + L);
            }
            if (blocks > 2) {
                a2.mul(sv).intoArray(sc, j + 2 * L);
            }
            if (blocks > 3) {
                a3.mul(sv).intoArray(sc, j + 3 * L);
            }
        }
        if (mask != null) {
            for (int j = 0; j < n; j++) {
                sc[j] += mask[mRow + (k0 + j) * maskCol];
            }
        }
    }

    /**
     * {@link #scores} without mask for the four rows {@code a[a0 + r·stride …]}, r &lt; 4, over the same key lanes
     * [0, n): each transposed key vector is loaded once for four rows. Every lane is the same fma chain in c order
     * as in {@link #scores}, so the values are bit-identical to four single-row calls.
     */
    private static void scores4(float[] a, int a0, int stride, float[] bt, int d, int n, float scale, float[][] out) {
        int pad = (n + L - 1) / L * L;
        FloatVector sv = FloatVector.broadcast(S, scale);
        float[] o0 = out[0], o1 = out[1], o2 = out[2], o3 = out[3];
        int r1 = a0 + stride, r2 = a0 + 2 * stride, r3 = a0 + 3 * stride;
        int j = 0;
        for (; j + 2 * L <= pad; j += 2 * L) {
            FloatVector s00 = FloatVector.zero(S), s01 = s00, s10 = s00, s11 = s00;
            FloatVector s20 = s00, s21 = s00, s30 = s00, s31 = s00;
            for (int c = 0; c < d; c++) {
                int o = c * ROW + j;
                FloatVector b0 = FloatVector.fromArray(S, bt, o);
                FloatVector b1 = FloatVector.fromArray(S, bt, o + L);
                FloatVector x0 = FloatVector.broadcast(S, a[a0 + c]);
                FloatVector x1 = FloatVector.broadcast(S, a[r1 + c]);
                FloatVector x2 = FloatVector.broadcast(S, a[r2 + c]);
                FloatVector x3 = FloatVector.broadcast(S, a[r3 + c]);
                s00 = x0.fma(b0, s00);
                s01 = x0.fma(b1, s01);
                s10 = x1.fma(b0, s10);
                s11 = x1.fma(b1, s11);
                s20 = x2.fma(b0, s20);
                s21 = x2.fma(b1, s21);
                s30 = x3.fma(b0, s30);
                s31 = x3.fma(b1, s31);
            }
            s00.mul(sv).intoArray(o0, j);
            s01.mul(sv).intoArray(o0, j + L);
            s10.mul(sv).intoArray(o1, j);
            s11.mul(sv).intoArray(o1, j + L);
            s20.mul(sv).intoArray(o2, j);
            s21.mul(sv).intoArray(o2, j + L);
            s30.mul(sv).intoArray(o3, j);
            s31.mul(sv).intoArray(o3, j + L);
        }
        for (; j < pad; j += L) {
            FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
            for (int c = 0; c < d; c++) {
                FloatVector b0 = FloatVector.fromArray(S, bt, c * ROW + j);
                s0 = FloatVector.broadcast(S, a[a0 + c]).fma(b0, s0);
                s1 = FloatVector.broadcast(S, a[r1 + c]).fma(b0, s1);
                s2 = FloatVector.broadcast(S, a[r2 + c]).fma(b0, s2);
                s3 = FloatVector.broadcast(S, a[r3 + c]).fma(b0, s3);
            }
            s0.mul(sv).intoArray(o0, j);
            s1.mul(sv).intoArray(o1, j);
            s2.mul(sv).intoArray(o2, j);
            s3.mul(sv).intoArray(o3, j);
        }
    }

    private static void addMask(float[] sc, int n, float[] mask, int mRow, int maskCol, int k0) {
        if (mask != null) {
            for (int j = 0; j < n; j++) {
                sc[j] += mask[mRow + (k0 + j) * maskCol];
            }
        }
    }

    static void forwardSlice(float[] q, float[] k, float[] v, float[] mask, float[] out, float[] lse,
                             AttentionKernel.Geometry g, AttentionKernel.Layout lay, float scale, int s) {
        int tq = g.tq(), tk = g.tk(), d = g.d(), dv = g.dv();
        int bq = AttentionKernel.BLOCK_Q, bk = AttentionKernel.BLOCK_K;
        int qBase = lay.q().base()[s], kBase = lay.k().base()[s], vBase = lay.v().base()[s];
        int oBase = lay.o().base()[s];
        int qs = lay.q().stride(), ks = lay.k().stride(), vs = lay.v().stride(), os = lay.o().stride();
        int mBase = mask == null ? 0 : g.maskOff()[s];
        float[][] p = new float[GROUP][ROW];
        float[] corr = new float[GROUP];
        float[] m = new float[bq];
        float[] l = new float[bq];
        float[] acc = new float[bq * dv];
        float[] kt = new float[d * ROW];
        int dvFull = dv / L * L;
        for (int q0 = 0; q0 < tq; q0 += bq) {
            int q1 = Math.min(tq, q0 + bq);
            Arrays.fill(m, Float.NEGATIVE_INFINITY);
            Arrays.fill(l, 0f);
            Arrays.fill(acc, 0f);
            int kMax = g.limit(q1 - 1);
            for (int k0 = 0; k0 < kMax; k0 += bk) {
                int k1 = Math.min(kMax, k0 + bk);
                transposeBlock(k, kBase, ks, k0, k1 - k0, d, kt);
                for (int i0 = q0; i0 < q1; i0 += GROUP) {
                    int rows = Math.min(GROUP, q1 - i0);
                    int nMax = 0;
                    int nLast = Math.max(0, Math.min(k1, g.limit(i0 + rows - 1)) - k0);
                    boolean grouped = rows == GROUP && nLast > 0;
                    if (grouped) {
                        scores4(q, qBase + i0 * qs, qs, kt, d, nLast, scale, p);
                    }
                    for (int r = 0; r < rows; r++) {
                        int i = i0 + r;
                        int rr = i - q0;
                        int n = Math.max(0, Math.min(k1, g.limit(i)) - k0);
                        float[] pr = p[r];
                        corr[r] = 1f;
                        if (n > 0) {
                            if (grouped) {
                                addMask(pr, n, mask, mBase + i * g.maskRow(), g.maskCol(), k0);
                            } else {
                                scores(q, qBase + i * qs, kt, d, n, scale, mask, mBase + i * g.maskRow(), g.maskCol(),
                                        k0, pr);
                            }
                            float bmax = rowMax(pr, n);
                            float mNew = Math.max(m[rr], bmax);
                            if (mNew == Float.NEGATIVE_INFINITY) {
                                n = 0; // every key so far masked: nothing to add
                            } else {
                                corr[r] = (float) Math.exp(m[rr] - mNew);
                                l[rr] = l[rr] * corr[r] + expRow(pr, n, mNew);
                                m[rr] = mNew;
                            }
                        }
                        // keys this row may not see add exactly nothing to the group update below
                        Arrays.fill(pr, n, ROW, 0f);
                        nMax = Math.max(nMax, n);
                    }
                    if (nMax == 0) {
                        continue;
                    }
                    int a = (i0 - q0) * dv;
                    int vo0 = vBase + k0 * vs;
                    int c = 0;
                    if (rows == GROUP) {
                        float[] p0 = p[0], p1 = p[1], p2 = p[2], p3 = p[3];
                        FloatVector c0 = FloatVector.broadcast(S, corr[0]), c1 = FloatVector.broadcast(S, corr[1]);
                        FloatVector c2 = FloatVector.broadcast(S, corr[2]), c3 = FloatVector.broadcast(S, corr[3]);
                        for (; c < dvFull; c += L) {
                            FloatVector x0 = FloatVector.fromArray(S, acc, a + c).mul(c0);
                            FloatVector x1 = FloatVector.fromArray(S, acc, a + dv + c).mul(c1);
                            FloatVector x2 = FloatVector.fromArray(S, acc, a + 2 * dv + c).mul(c2);
                            FloatVector x3 = FloatVector.fromArray(S, acc, a + 3 * dv + c).mul(c3);
                            int vo = vo0 + c;
                            for (int j = 0; j < nMax; j++, vo += vs) {
                                FloatVector vj = FloatVector.fromArray(S, v, vo);
                                x0 = vj.fma(FloatVector.broadcast(S, p0[j]), x0);
                                x1 = vj.fma(FloatVector.broadcast(S, p1[j]), x1);
                                x2 = vj.fma(FloatVector.broadcast(S, p2[j]), x2);
                                x3 = vj.fma(FloatVector.broadcast(S, p3[j]), x3);
                            }
                            x0.intoArray(acc, a + c);
                            x1.intoArray(acc, a + dv + c);
                            x2.intoArray(acc, a + 2 * dv + c);
                            x3.intoArray(acc, a + 3 * dv + c);
                        }
                    } else {
                        for (int r = 0; r < rows; r++) {
                            FloatVector cv = FloatVector.broadcast(S, corr[r]);
                            float[] pr = p[r];
                            int ar = a + r * dv;
                            for (int cc = 0; cc < dvFull; cc += L) {
                                FloatVector x = FloatVector.fromArray(S, acc, ar + cc).mul(cv);
                                int vo = vo0 + cc;
                                for (int j = 0; j < nMax; j++, vo += vs) {
                                    x = FloatVector.broadcast(S, pr[j]).fma(FloatVector.fromArray(S, v, vo), x);
                                }
                                x.intoArray(acc, ar + cc);
                            }
                        }
                        c = dvFull;
                    }
                    for (; c < dv; c++) {
                        for (int r = 0; r < rows; r++) {
                            float x = acc[a + r * dv + c] * corr[r];
                            for (int j = 0; j < nMax; j++) {
                                x = Math.fma(p[r][j], v[vo0 + j * vs + c], x);
                            }
                            acc[a + r * dv + c] = x;
                        }
                    }
                }
            }
            for (int i = q0; i < q1; i++) {
                int r = i - q0;
                float inv = 1f / l[r];
                int c = 0;
                FloatVector iv = FloatVector.broadcast(S, inv);
                for (; c < dvFull; c += L) {
                    FloatVector.fromArray(S, acc, r * dv + c).mul(iv).intoArray(out, oBase + i * os + c);
                }
                for (; c < dv; c++) {
                    out[oBase + i * os + c] = acc[r * dv + c] * inv;
                }
                lse[s * tq + i] = m[r] + (float) Math.log(l[r]);
            }
        }
    }

    /** Query rows whose dK/dV contributions are summed in registers before one store per key row. */
    private static final int GROUP = 4;

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
        float[] di = new float[tq];
        for (int i = 0; i < tq; i++) {
            di[i] = dot(gOut, goBase + i * gos, out, oBase + i * os, dv);
        }
        float[][] p = new float[GROUP][ROW];
        float[][] ds = new float[GROUP][ROW];
        float[] kt = new float[d * ROW];
        float[] vt = new float[dv * ROW];
        for (int k0 = 0; k0 < tk; k0 += bk) {
            int k1 = Math.min(tk, k0 + bk);
            transposeBlock(k, kBase, ks, k0, k1 - k0, d, kt);
            transposeBlock(v, vBase, vs, k0, k1 - k0, dv, vt);
            int iStart = g.causal() ? Math.min(tq, k0) : 0;
            for (int i0 = iStart; i0 < tq; i0 += GROUP) {
                int rows = Math.min(GROUP, tq - i0);
                int nMax = 0;
                int nLast = Math.max(0, Math.min(k1, g.limit(i0 + rows - 1)) - k0);
                boolean grouped = rows == GROUP && nLast > 0;
                if (grouped) {
                    scores4(q, qBase + i0 * qs, qs, kt, d, nLast, scale, p);
                    scores4(gOut, goBase + i0 * gos, gos, vt, dv, nLast, 1f, ds);
                }
                for (int r = 0; r < rows; r++) {
                    int i = i0 + r;
                    int n = Math.max(0, Math.min(k1, g.limit(i)) - k0);
                    float[] pr = p[r], dr = ds[r];
                    if (n > 0) {
                        if (grouped) {
                            addMask(pr, n, mask, mBase + i * g.maskRow(), g.maskCol(), k0);
                        } else {
                            scores(q, qBase + i * qs, kt, d, n, scale, mask, mBase + i * g.maskRow(), g.maskCol(), k0,
                                    pr);
                            scores(gOut, goBase + i * gos, vt, dv, n, 1f, null, 0, 0, k0, dr);
                        }
                        expRow(pr, n, lse[s * tq + i]);
                        dsRow(pr, dr, n, di[i], scale);
                    }
                    // keys this row may not see contribute exactly nothing to the group sums below
                    Arrays.fill(pr, n, ROW, 0f);
                    Arrays.fill(dr, n, ROW, 0f);
                    nMax = Math.max(nMax, n);
                    if (n > 0 && rows < GROUP) {
                        rowUpdate(dr, k, kBase + k0 * ks, ks, d, n, gq, gqBase + i * gqs);
                    }
                }
                if (nMax == 0) {
                    continue;
                }
                // dQ_r += Σ_j dS_rj·K_j (j in increasing order); dV_j += Σ_r P_rj·dO_r and dK_j += Σ_r dS_rj·Q_r
                // (rows in increasing order)
                if (rows == GROUP) {
                    rowsUpdate(ds, k, kBase + k0 * ks, ks, d, nMax, gq, gqBase + i0 * gqs, gqs);
                    groupUpdate(p, gOut, goBase + i0 * gos, gos, dv, gv, gvBase + k0 * gvs, gvs, nMax);
                    groupUpdate(ds, q, qBase + i0 * qs, qs, d, gk, gkBase + k0 * gks, gks, nMax);
                } else {
                    for (int r = 0; r < rows; r++) {
                        for (int j = 0; j < nMax; j++) {
                            if (p[r][j] != 0f) {
                                axpy(p[r][j], gOut, goBase + (i0 + r) * gos, gv, gvBase + (k0 + j) * gvs, dv);
                            }
                            if (ds[r][j] != 0f) {
                                axpy(ds[r][j], q, qBase + (i0 + r) * qs, gk, gkBase + (k0 + j) * gks, d);
                            }
                        }
                    }
                }
            }
        }
    }

    /** max of sc[0..n) with Math.max semantics (NaN wins); max is exact, so the lane order cannot matter. */
    private static float rowMax(float[] sc, int n) {
        float m = Float.NEGATIVE_INFINITY;
        int j = 0;
        if (n >= L) {
            FloatVector mv = FloatVector.fromArray(S, sc, 0);
            for (j = L; j + L <= n; j += L) {
                mv = mv.max(FloatVector.fromArray(S, sc, j));
            }
            m = mv.reduceLanes(jdk.incubator.vector.VectorOperators.MAX);
        }
        for (; j < n; j++) {
            m = Math.max(m, sc[j]);
        }
        return m;
    }

    /** dr[j] = pr[j]·(dr[j] − dii)·scale for j &lt; n (lanes past n are cleared by the caller). */
    private static void dsRow(float[] pr, float[] dr, int n, float dii, float scale) {
        FloatVector dv = FloatVector.broadcast(S, dii);
        FloatVector sv = FloatVector.broadcast(S, scale);
        int j = 0;
        for (; j + L <= n; j += L) {
            FloatVector.fromArray(S, pr, j).mul(FloatVector.fromArray(S, dr, j).sub(dv)).mul(sv).intoArray(dr, j);
        }
        for (; j < n; j++) {
            dr[j] = pr[j] * (dr[j] - dii) * scale;
        }
    }

    /** {@code y[c] += Σ_{j<n} w[j]·x[xOff + j·xStride + c]} for c &lt; len, the row held in registers across j. */
    private static void rowUpdate(float[] w, float[] x, int xOff, int xStride, int len, int n, float[] y, int yOff) {
        int c = 0;
        for (; c + L <= len; c += L) {
            FloatVector acc = FloatVector.fromArray(S, y, yOff + c);
            int o = xOff + c;
            for (int j = 0; j < n; j++, o += xStride) {
                acc = FloatVector.broadcast(S, w[j]).fma(FloatVector.fromArray(S, x, o), acc);
            }
            acc.intoArray(y, yOff + c);
        }
        for (; c < len; c++) {
            float acc = y[yOff + c];
            for (int j = 0; j < n; j++) {
                acc = Math.fma(w[j], x[xOff + j * xStride + c], acc);
            }
            y[yOff + c] = acc;
        }
    }

    /**
     * {@link #rowUpdate} for the four rows {@code y[yOff + r·yStride …]}, r &lt; 4, over the same n source rows:
     * each source vector is loaded once for four independent accumulators (one row alone is a single fma chain,
     * bound by the fma latency). Every element is the same chain in j order, so the bits equal four single-row
     * calls wherever w is zero past a row's own n and the skipped source rows are finite.
     */
    private static void rowsUpdate(float[][] w, float[] x, int xOff, int xStride, int len, int n, float[] y,
                                   int yOff, int yStride) {
        float[] w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
        int c = 0;
        for (; c + L <= len; c += L) {
            int o0 = yOff + c;
            FloatVector y0 = FloatVector.fromArray(S, y, o0);
            FloatVector y1 = FloatVector.fromArray(S, y, o0 + yStride);
            FloatVector y2 = FloatVector.fromArray(S, y, o0 + 2 * yStride);
            FloatVector y3 = FloatVector.fromArray(S, y, o0 + 3 * yStride);
            int o = xOff + c;
            for (int j = 0; j < n; j++, o += xStride) {
                FloatVector xj = FloatVector.fromArray(S, x, o);
                y0 = FloatVector.broadcast(S, w0[j]).fma(xj, y0);
                y1 = FloatVector.broadcast(S, w1[j]).fma(xj, y1);
                y2 = FloatVector.broadcast(S, w2[j]).fma(xj, y2);
                y3 = FloatVector.broadcast(S, w3[j]).fma(xj, y3);
            }
            y0.intoArray(y, o0);
            y1.intoArray(y, o0 + yStride);
            y2.intoArray(y, o0 + 2 * yStride);
            y3.intoArray(y, o0 + 3 * yStride);
        }
        for (; c < len; c++) {
            for (int r = 0; r < GROUP; r++) {
                float[] wr = w[r];
                int yo = yOff + r * yStride + c;
                float acc = y[yo];
                for (int j = 0; j < n; j++) {
                    acc = Math.fma(wr[j], x[xOff + j * xStride + c], acc);
                }
                y[yo] = acc;
            }
        }
    }

    /**
     * {@code y[yOff + j·yStride + c] += Σ_{r<4} w[r][j]·x[xOff + r·xStride + c]} for j &lt; n, c &lt; len: the four
     * source rows stay in registers and each destination row is loaded and stored once per group (one store per
     * four fma).
     */
    private static void groupUpdate(float[][] w, float[] x, int xOff, int xStride, int len, float[] y, int yOff,
                                    int yStride, int n) {
        float[] w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
        int c = 0;
        for (; c + L <= len; c += L) {
            FloatVector x0 = FloatVector.fromArray(S, x, xOff + c);
            FloatVector x1 = FloatVector.fromArray(S, x, xOff + xStride + c);
            FloatVector x2 = FloatVector.fromArray(S, x, xOff + 2 * xStride + c);
            FloatVector x3 = FloatVector.fromArray(S, x, xOff + 3 * xStride + c);
            int o = yOff + c;
            for (int j = 0; j < n; j++, o += yStride) {
                FloatVector acc = FloatVector.fromArray(S, y, o);
                acc = x0.fma(FloatVector.broadcast(S, w0[j]), acc);
                acc = x1.fma(FloatVector.broadcast(S, w1[j]), acc);
                acc = x2.fma(FloatVector.broadcast(S, w2[j]), acc);
                acc = x3.fma(FloatVector.broadcast(S, w3[j]), acc);
                acc.intoArray(y, o);
            }
        }
        for (; c < len; c++) {
            float a0 = x[xOff + c], a1 = x[xOff + xStride + c], a2 = x[xOff + 2 * xStride + c];
            float a3 = x[xOff + 3 * xStride + c];
            for (int j = 0; j < n; j++) {
                int o = yOff + j * yStride + c;
                float acc = y[o];
                acc = Math.fma(a0, w0[j], acc);
                acc = Math.fma(a1, w1[j], acc);
                acc = Math.fma(a2, w2[j], acc);
                acc = Math.fma(a3, w3[j], acc);
                y[o] = acc;
            }
        }
    }
}
