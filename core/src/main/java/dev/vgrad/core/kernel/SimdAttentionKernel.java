package dev.vgrad.core.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
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
    /** Score row length rounded up to whole vectors: padding lanes hold −∞, so their exp is 0. */
    private static final int ROW = (AttentionKernel.BLOCK_K + L - 1) / L * L;

    private SimdAttentionKernel() {}

    /**
     * Σ of the lanes by halving with {@code slice} (exact IEEE adds in a fixed tree): {@code reduceLanes(ADD)} may
     * sum in another order once C2 intrinsifies it, which would change a result's bits between two calls.
     */
    private static float hsum(FloatVector v) {
        for (int k = L / 2; k >= 1; k /= 2) {
            v = v.add(v.slice(k));
        }
        return v.lane(0);
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

    /** sc[j] = exp(sc[j] − shift) for the whole padded row; returns Σ of the first n (padding is 0). */
    private static float expRow(float[] sc, int n, float shift) {
        Arrays.fill(sc, n, ROW, Float.NEGATIVE_INFINITY);
        FloatVector sh = FloatVector.broadcast(S, shift);
        FloatVector sum = FloatVector.zero(S);
        int pad = (n + L - 1) / L * L;
        for (int j = 0; j < pad; j += L) {
            FloatVector p = VectorMath.exp(FloatVector.fromArray(S, sc, j).sub(sh));
            p.intoArray(sc, j);
            sum = sum.add(p);
        }
        return hsum(sum);
    }

    private static void scores(float[] q, int qi, float[] k, int kBase, float[] mask, int mRow, int maskCol,
                               int k0, int n, int d, float scale, float[] sc) {
        for (int j = 0; j < n; j++) {
            float sv = dot(q, qi, k, kBase + (k0 + j) * d, d) * scale;
            if (mask != null) {
                sv += mask[mRow + (k0 + j) * maskCol];
            }
            sc[j] = sv;
        }
    }

    static void forwardSlice(float[] q, float[] k, float[] v, float[] mask, float[] out, float[] lse,
                             AttentionKernel.Geometry g, float scale, int s) {
        int tq = g.tq(), tk = g.tk(), d = g.d(), dv = g.dv();
        int bq = AttentionKernel.BLOCK_Q, bk = AttentionKernel.BLOCK_K;
        int qBase = s * tq * d, kBase = s * tk * d, vBase = s * tk * dv, oBase = s * tq * dv;
        int mBase = mask == null ? 0 : g.maskOff()[s];
        float[] sc = new float[ROW];
        float[] m = new float[bq];
        float[] l = new float[bq];
        float[] acc = new float[bq * dv];
        int dvFull = dv / L * L;
        for (int q0 = 0; q0 < tq; q0 += bq) {
            int q1 = Math.min(tq, q0 + bq);
            Arrays.fill(m, Float.NEGATIVE_INFINITY);
            Arrays.fill(l, 0f);
            Arrays.fill(acc, 0f);
            int kMax = g.limit(q1 - 1);
            for (int k0 = 0; k0 < kMax; k0 += bk) {
                int k1 = Math.min(kMax, k0 + bk);
                for (int i = q0; i < q1; i++) {
                    int n = Math.min(k1, g.limit(i)) - k0;
                    if (n <= 0) {
                        continue;
                    }
                    int r = i - q0;
                    scores(q, qBase + i * d, k, kBase, mask, mBase + i * g.maskRow(), g.maskCol(), k0, n, d, scale,
                            sc);
                    float bmax = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        bmax = Math.max(bmax, sc[j]);
                    }
                    float mNew = Math.max(m[r], bmax);
                    if (mNew == Float.NEGATIVE_INFINITY) {
                        continue;
                    }
                    float corr = (float) Math.exp(m[r] - mNew);
                    l[r] = l[r] * corr + expRow(sc, n, mNew);
                    int a = r * dv;
                    FloatVector cv = FloatVector.broadcast(S, corr);
                    int c = 0;
                    for (; c < dvFull; c += L) {
                        FloatVector x = FloatVector.fromArray(S, acc, a + c).mul(cv);
                        int vo = vBase + k0 * dv + c;
                        for (int j = 0; j < n; j++, vo += dv) {
                            x = FloatVector.broadcast(S, sc[j]).fma(FloatVector.fromArray(S, v, vo), x);
                        }
                        x.intoArray(acc, a + c);
                    }
                    for (; c < dv; c++) {
                        float x = acc[a + c] * corr;
                        for (int j = 0; j < n; j++) {
                            x = Math.fma(sc[j], v[vBase + (k0 + j) * dv + c], x);
                        }
                        acc[a + c] = x;
                    }
                    m[r] = mNew;
                }
            }
            for (int i = q0; i < q1; i++) {
                int r = i - q0;
                float inv = 1f / l[r];
                int c = 0;
                FloatVector iv = FloatVector.broadcast(S, inv);
                for (; c < dvFull; c += L) {
                    FloatVector.fromArray(S, acc, r * dv + c).mul(iv).intoArray(out, oBase + i * dv + c);
                }
                for (; c < dv; c++) {
                    out[oBase + i * dv + c] = acc[r * dv + c] * inv;
                }
                lse[s * tq + i] = m[r] + (float) Math.log(l[r]);
            }
        }
    }

    static void backwardSlice(float[] q, float[] k, float[] v, float[] mask, float[] out, float[] lse,
                              float[] gOut, float[] gq, float[] gk, float[] gv, AttentionKernel.Geometry g,
                              float scale, int s) {
        int tq = g.tq(), tk = g.tk(), d = g.d(), dv = g.dv();
        int bk = AttentionKernel.BLOCK_K;
        int qBase = s * tq * d, kBase = s * tk * d, vBase = s * tk * dv, oBase = s * tq * dv;
        int mBase = mask == null ? 0 : g.maskOff()[s];
        Arrays.fill(gq, qBase, qBase + tq * d, 0f);
        Arrays.fill(gk, kBase, kBase + tk * d, 0f);
        Arrays.fill(gv, vBase, vBase + tk * dv, 0f);
        float[] di = new float[tq];
        for (int i = 0; i < tq; i++) {
            di[i] = dot(gOut, oBase + i * dv, out, oBase + i * dv, dv);
        }
        float[] sc = new float[ROW];
        for (int k0 = 0; k0 < tk; k0 += bk) {
            int k1 = Math.min(tk, k0 + bk);
            int iStart = g.causal() ? Math.min(tq, k0) : 0;
            for (int i = iStart; i < tq; i++) {
                int n = Math.min(k1, g.limit(i)) - k0;
                if (n <= 0) {
                    continue;
                }
                int qi = qBase + i * d;
                int oi = oBase + i * dv;
                scores(q, qi, k, kBase, mask, mBase + i * g.maskRow(), g.maskCol(), k0, n, d, scale, sc);
                expRow(sc, n, lse[s * tq + i]);
                for (int j = 0; j < n; j++) {
                    int kj = kBase + (k0 + j) * d;
                    int vj = vBase + (k0 + j) * dv;
                    float p = sc[j];
                    axpy(p, gOut, oi, gv, vj, dv);
                    float ds = p * (dot(gOut, oi, v, vj, dv) - di[i]) * scale;
                    if (ds == 0f) {
                        continue;
                    }
                    axpy(ds, k, kj, gq, qi, d);
                    axpy(ds, q, qi, gk, kj, d);
                }
            }
        }
    }
}
