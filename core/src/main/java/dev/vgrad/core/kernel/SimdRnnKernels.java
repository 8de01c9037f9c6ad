package dev.vgrad.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API loops of {@link RnnKernels}' float gate kernels: the same formulas, L hidden units per step with
 * {@link VectorMath}'s sigmoid and tanh, each row from its own start (the tail of a row goes to the scalar row
 * loop), so a row's bits depend on that row only. Only loaded when {@link KernelProvider#simdEnabled()}.
 */
final class SimdRnnKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private SimdRnnKernels() {}

    private static FloatVector v(float[] a, int off) {
        return FloatVector.fromArray(S, a, off);
    }

    /*
     * The LSTM row loops only call methods whose arguments are arrays and ints: each VectorMath function runs in
     * a loop of its own, the gate arithmetic in another. One loop body holding three sigmoids and two tanhs (as it
     * once did) outgrew C2's inlining budget (NodeCountInliningCutoff): the calls left out of line passed boxed
     * vectors, and about a tenth of the LSTM language model's time went to the Vector API's Java fallbacks.
     * Whatever C2 now declines to inline, no vector crosses the call. Every element sees the same operations in
     * the same order as before, so the bits are unchanged.
     */

    private static void sigmoidRun(float[] a, int off, int n) {
        for (int j = 0; j < n; j += L) {
            VectorMath.sigmoid(v(a, off + j)).intoArray(a, off + j);
        }
    }

    private static void tanhRun(float[] a, int off, float[] out, int outOff, int n) {
        for (int j = 0; j < n; j += L) {
            VectorMath.tanh(v(a, off + j)).intoArray(out, outOff + j);
        }
    }

    static void lstmForward(int b, int h, float[] gates, int gOff, float[] cp, int cpOff, int cpLd, float[] y,
                            int yOff, int yLd) {
        int upper = S.loopBound(h);
        for (int r = 0; r < b; r++) {
            int g0 = gOff + r * 4 * h;
            int c0 = cpOff + r * cpLd;
            int y0 = yOff + r * yLd;
            // the activations in place over whole vectors (the tail stays raw for the scalar row rule below)
            sigmoidRun(gates, g0, upper);
            sigmoidRun(gates, g0 + h, upper);
            tanhRun(gates, g0 + 2 * h, gates, g0 + 2 * h, upper);
            sigmoidRun(gates, g0 + 3 * h, upper);
            cellRun(gates, g0, h, cp, c0, y, y0 + h, upper);
            tanhRun(y, y0 + h, y, y0, upper);
            mulRun(gates, g0 + 3 * h, y, y0, upper);
            RnnKernels.lstmForwardRow(upper, h, gates, g0, cp, c0, y, y0);
        }
    }

    static void lstmBackward(int b, int h, float[] act, int aOff, float[] cp, int cpOff, int cpLd, float[] y,
                             int yOff, int yLd, float[] gy, int gyOff, int gyLd, float[] dh, float[] dc, float[] dg,
                             int dgOff) {
        int upper = S.loopBound(h);
        for (int r = 0; r < b; r++) {
            int a0 = aOff + r * 4 * h;
            int c0 = cpOff + r * cpLd;
            int y0 = yOff + r * yLd;
            int gy0 = gyOff + r * gyLd;
            int d0 = r * h;
            int dg0 = dgOff + r * 4 * h;
            // tanh(c) goes through the output gate's gradient slot, which each step reads before overwriting
            tanhRun(y, y0 + h, dg, dg0 + 3 * h, upper);
            gradRun(h, act, a0, cp, c0, gy, gy0, dh, dc, d0, dg, dg0, upper);
            RnnKernels.lstmBackwardRow(upper, h, act, a0, cp, c0, y, y0, gy, gy0, dh, dc, d0, dg, dg0);
        }
    }

    /** c = f·c_prev + i·g into {@code c}, over whole vectors of one row (activated gates at {@code g0}). */
    private static void cellRun(float[] gates, int g0, int h, float[] cp, int c0, float[] c, int cOff, int n) {
        for (int j = 0; j < n; j += L) {
            v(gates, g0 + h + j).mul(v(cp, c0 + j)).add(v(gates, g0 + j).mul(v(gates, g0 + 2 * h + j)))
                    .intoArray(c, cOff + j);
        }
    }

    /** y = o·y in place (y holding tanh(c)), over whole vectors. */
    private static void mulRun(float[] o, int oOff, float[] y, int yOff, int n) {
        for (int j = 0; j < n; j += L) {
            v(o, oOff + j).mul(v(y, yOff + j)).intoArray(y, yOff + j);
        }
    }

    /** The gate gradients of one row over whole vectors; tanh(c) waits in the output gate's slot of dg. */
    private static void gradRun(int h, float[] act, int a0, float[] cp, int c0, float[] gy, int gy0, float[] dh,
                                float[] dc, int d0, float[] dg, int dg0, int n) {
        for (int j = 0; j < n; j += L) {
            FloatVector i = v(act, a0 + j);
            FloatVector f = v(act, a0 + h + j);
            FloatVector g = v(act, a0 + 2 * h + j);
            FloatVector o = v(act, a0 + 3 * h + j);
            FloatVector tc = v(dg, dg0 + 3 * h + j);
            FloatVector gh = v(gy, gy0 + j).add(v(dh, d0 + j));
            FloatVector gc = v(gy, gy0 + h + j).add(v(dc, d0 + j)).add(gh.mul(o).mul(tc.mul(tc).neg().add(1f)));
            gc.mul(g).mul(i).mul(i.neg().add(1f)).intoArray(dg, dg0 + j);
            gc.mul(v(cp, c0 + j)).mul(f).mul(f.neg().add(1f)).intoArray(dg, dg0 + h + j);
            gc.mul(i).mul(g.mul(g).neg().add(1f)).intoArray(dg, dg0 + 2 * h + j);
            gh.mul(tc).mul(o).mul(o.neg().add(1f)).intoArray(dg, dg0 + 3 * h + j);
            gc.mul(f).intoArray(dc, d0 + j);
        }
    }

    static void gruForward(int b, int h, float[] act, int aOff, float[] hh, float[] bhh, float[] hp, int hpOff,
                           int hpLd, float[] y, int yOff, int yLd) {
        int upper = S.loopBound(h);
        for (int r = 0; r < b; r++) {
            int a0 = aOff + r * 4 * h;
            int h0 = r * 3 * h;
            int p0 = hpOff + r * hpLd;
            int y0 = yOff + r * yLd;
            // as the LSTM's: array-signature loops only, one per VectorMath function
            gruPreRun(h, act, a0, hh, h0, bhh, upper);
            sigmoidRun(act, a0, upper);
            sigmoidRun(act, a0 + h, upper);
            gruCandidateRun(h, act, a0, upper);
            tanhRun(act, a0 + 2 * h, act, a0 + 2 * h, upper);
            gruOutRun(h, act, a0, hp, p0, y, y0, upper);
            RnnKernels.gruForwardRow(upper, h, act, a0, hh, h0, bhh, hp, p0, y, y0);
        }
    }

    /** r and z pre-activations (x-part + (h-part + b_hh)) in place, and h_n = h-part + b_hh into slot 3. */
    private static void gruPreRun(int h, float[] act, int a0, float[] hh, int h0, float[] bhh, int n) {
        FloatVector zero = FloatVector.zero(S);
        for (int j = 0; j < n; j += L) {
            FloatVector hr = v(hh, h0 + j).add(bhh == null ? zero : v(bhh, j));
            FloatVector hz = v(hh, h0 + h + j).add(bhh == null ? zero : v(bhh, h + j));
            FloatVector hn = v(hh, h0 + 2 * h + j).add(bhh == null ? zero : v(bhh, 2 * h + j));
            v(act, a0 + j).add(hr).intoArray(act, a0 + j);
            v(act, a0 + h + j).add(hz).intoArray(act, a0 + h + j);
            hn.intoArray(act, a0 + 3 * h + j);
        }
    }

    /** The candidate's pre-activation x_n + r·h_n in place (r already activated). */
    private static void gruCandidateRun(int h, float[] act, int a0, int n) {
        for (int j = 0; j < n; j += L) {
            v(act, a0 + 2 * h + j).add(v(act, a0 + j).mul(v(act, a0 + 3 * h + j))).intoArray(act, a0 + 2 * h + j);
        }
    }

    /** y = (h_prev − n)·z + n. */
    private static void gruOutRun(int h, float[] act, int a0, float[] hp, int p0, float[] y, int y0, int n) {
        for (int j = 0; j < n; j += L) {
            FloatVector nn = v(act, a0 + 2 * h + j);
            v(hp, p0 + j).sub(nn).mul(v(act, a0 + h + j)).add(nn).intoArray(y, y0 + j);
        }
    }

    static void gruBackward(int b, int h, float[] act, int aOff, float[] hp, int hpOff, int hpLd, float[] gy,
                            int gyOff, int gyLd, float[] dh, float[] dgi, float[] dgh, int dOff) {
        int upper = S.loopBound(h);
        for (int r = 0; r < b; r++) {
            int a0 = aOff + r * 4 * h;
            int p0 = hpOff + r * hpLd;
            int gy0 = gyOff + r * gyLd;
            int d0 = r * h;
            int o0 = dOff + r * 3 * h;
            for (int j = 0; j < upper; j += L) {
                FloatVector rr = v(act, a0 + j);
                FloatVector z = v(act, a0 + h + j);
                FloatVector n = v(act, a0 + 2 * h + j);
                FloatVector hn = v(act, a0 + 3 * h + j);
                FloatVector g = v(gy, gy0 + j).add(v(dh, d0 + j));
                FloatVector an = g.mul(z.neg().add(1f)).mul(n.mul(n).neg().add(1f));
                FloatVector ar = an.mul(hn).mul(rr).mul(rr.neg().add(1f));
                FloatVector az = g.mul(v(hp, p0 + j).sub(n)).mul(z).mul(z.neg().add(1f));
                ar.intoArray(dgi, o0 + j);
                az.intoArray(dgi, o0 + h + j);
                an.intoArray(dgi, o0 + 2 * h + j);
                ar.intoArray(dgh, o0 + j);
                az.intoArray(dgh, o0 + h + j);
                an.mul(rr).intoArray(dgh, o0 + 2 * h + j);
                g.mul(z).intoArray(dh, d0 + j);
            }
            RnnKernels.gruBackwardRow(upper, h, act, a0, hp, p0, gy, gy0, dh, d0, dgi, dgh, o0);
        }
    }
}
