package dev.vgrad.core;

import dev.vgrad.core.kernel.Gemm;
import dev.vgrad.core.kernel.RnnKernels;
import java.util.ArrayList;
import java.util.List;

/**
 * One direction of one recurrent layer as one autograd node (docs/SEMANTICS.md §22), the building block of
 * {@code nn.LSTM}/{@code nn.GRU} and their cells.
 *
 * <p>Inputs are time-major: {@code x (T, B, I)}, states {@code (B, H)}, PyTorch's parameter layouts
 * {@code W_ih (G·H, I)}, {@code W_hh (G·H, H)}, {@code b_ih, b_hh (G·H)} (G = 4 for LSTM, gates i,f,g,o; 3 for GRU,
 * gates r,z,n). A reverse direction reads the sequence from {@code T−1} down to 0 and writes each step's state at
 * its own time index. Biases may be null.
 *
 * <p>Forward: the input projection of all steps is one GEMM ({@code X·W_ihᵀ} over {@code T·B} rows), then per step
 * one GEMM {@code h·W_hhᵀ} and one fused gate kernel ({@link RnnKernels}). Backward (BPTT) runs the fused backward
 * gate kernel and one GEMM per step, then {@code dX}, {@code dW_ih}, {@code dW_hh} as single GEMMs over all steps.
 * Under {@code createGraph} the rule recomputes the layer from {@link #lstmLayerComposed}/{@link #gruLayerComposed}
 * (ordinary differentiable ops) and differentiates that, so second derivatives are those of the composed
 * formulas. A row of the batch is computed from its own data only: a sample's result does not depend on the rest
 * of the batch, bit for bit.
 */
public final class Recurrent {
    private Recurrent() {}

    /**
     * LSTM layer direction. Returns {@code (T, B, 2H)}: per step {@code h_t} in the first H columns and
     * {@code c_t} in the last H ({@code LstmLayerBackward0}).
     *
     * @param x the input sequence, {@code (T, B, I)}, floating
     * @param h0 the initial hidden state, {@code (B, H)}, of x's dtype
     * @param c0 the initial cell state, {@code (B, H)}
     * @param wIh the input weights, {@code (4H, I)}, gates i, f, g, o stacked (PyTorch's {@code weight_ih_l0})
     * @param wHh the recurrent weights, {@code (4H, H)}
     * @param bIh the input bias, {@code (4H)}, or null
     * @param bHh the recurrent bias, {@code (4H)}, or null
     * @param reverse whether this direction reads the sequence from {@code T−1} down to 0
     * @return a new tensor {@code (T, B, 2H)}; step t's h and c are at time index t also when reversed
     * @throws IllegalArgumentException on inconsistent shapes, mixed dtypes or an int64 input
     */
    public static Tensor lstmLayer(Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh,
                                   boolean reverse) {
        check("lstmLayer", 4, x, h0, c0, wIh, wHh, bIh, bHh);
        return lstm(contiguous(x, h0, c0, wIh, wHh, bIh, bHh), reverse);
    }

    /**
     * GRU layer direction. Returns {@code (T, B, H)}, the hidden state of every step ({@code GruLayerBackward0}).
     *
     * @param x the input sequence, {@code (T, B, I)}, floating
     * @param h0 the initial hidden state, {@code (B, H)}, of x's dtype
     * @param wIh the input weights, {@code (3H, I)}, gates r, z, n stacked (PyTorch's {@code weight_ih_l0})
     * @param wHh the recurrent weights, {@code (3H, H)}
     * @param bIh the input bias, {@code (3H)}, or null
     * @param bHh the recurrent bias, {@code (3H)}, or null (inside the reset gate's product, as PyTorch)
     * @param reverse whether this direction reads the sequence from {@code T−1} down to 0
     * @return a new tensor {@code (T, B, H)}; step t's state is at time index t also when reversed
     * @throws IllegalArgumentException on inconsistent shapes, mixed dtypes or an int64 input
     */
    public static Tensor gruLayer(Tensor x, Tensor h0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh,
                                  boolean reverse) {
        check("gruLayer", 3, x, h0, null, wIh, wHh, bIh, bHh);
        Tensor[] in = contiguous(x, h0, wIh, wHh, bIh, bHh);
        Tensor y;
        Tensor act;
        try (Grad.Scope off = Grad.disabled()) {
            Tensor[] r = gruForward(in, reverse);
            y = r[0];
            act = r[1];
        }
        if (!Autograd.isRecording(in)) {
            return y;
        }
        return Autograd.attach(y, new GruLayerBackward0(in, y, act, reverse));
    }

    /**
     * {@link #lstmLayer} built from differentiable tensor ops, step by step (reference and double backward).
     *
     * @param x the input sequence, {@code (T, B, I)}
     * @param h0 the initial hidden state, {@code (B, H)}
     * @param c0 the initial cell state, {@code (B, H)}
     * @param wIh the input weights, {@code (4H, I)}
     * @param wHh the recurrent weights, {@code (4H, H)}
     * @param bIh the input bias, {@code (4H)}, or null
     * @param bHh the recurrent bias, {@code (4H)}, or null
     * @param reverse whether to run from the last step to the first
     * @return a new tensor {@code (T, B, 2H)} equal to {@link #lstmLayer}'s up to rounding, with an op-by-op graph
     */
    public static Tensor lstmLayerComposed(Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor bIh,
                                           Tensor bHh, boolean reverse) {
        check("lstmLayerComposed", 4, x, h0, c0, wIh, wHh, bIh, bHh);
        return lstmSteps(null, x, h0, c0, wIh, wHh, bIh, bHh, null, reverse);
    }

    /**
     * LSTM layer direction with a projection ({@code proj_size > 0} in PyTorch's {@code nn.LSTM}): per step
     * {@code c_t = f ⊙ c_{t−1} + i ⊙ g}, {@code h_t = W_hr·(o ⊙ tanh(c_t))}, the gates computed from the
     * projected {@code h_{t−1}}. One node ({@code LstmLayerBackward0}), as {@link #lstmLayer}: per step one GEMM for
     * the gates, the fused gate kernel and one GEMM for the projection; BPTT adds one GEMM per step for the
     * projection's adjoint and finishes {@code dW_hr} as a single GEMM over all steps. Under {@code createGraph} the
     * rule differentiates {@link #lstmLayerProjectedComposed}.
     *
     * @param x the input sequence, {@code (T, B, I)}, floating
     * @param h0 the initial (projected) hidden state, {@code (B, P)}, of x's dtype
     * @param c0 the initial cell state, {@code (B, H)}
     * @param wIh the input weights, {@code (4H, I)}, gates i, f, g, o stacked
     * @param wHh the recurrent weights, {@code (4H, P)}
     * @param bIh the input bias, {@code (4H)}, or null
     * @param bHh the recurrent bias, {@code (4H)}, or null
     * @param wHr the projection weights, {@code (P, H)} (PyTorch's {@code weight_hr_l0})
     * @param reverse whether this direction reads the sequence from {@code T−1} down to 0
     * @return a new tensor {@code (T, B, P + H)}: step t's h in the first P columns and c in the last H, at time
     *     index t also when reversed
     * @throws IllegalArgumentException on inconsistent shapes, mixed dtypes or an int64 input
     */
    public static Tensor lstmLayerProjected(Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor bIh,
                                            Tensor bHh, Tensor wHr, boolean reverse) {
        Args.nonNull("lstmLayerProjected", "weight_hr", wHr);
        check("lstmLayerProjected", 4, x, h0, c0, wIh, wHh, bIh, bHh, wHr);
        return lstm(contiguous(x, h0, c0, wIh, wHh, bIh, bHh, wHr), reverse);
    }

    /**
     * {@link #lstmLayerProjected} built from differentiable tensor ops, step by step (reference and double
     * backward): every op is recorded, so first and second derivatives are those of the formulas.
     *
     * @param x the input sequence, {@code (T, B, I)}
     * @param h0 the initial (projected) hidden state, {@code (B, P)}
     * @param c0 the initial cell state, {@code (B, H)}
     * @param wIh the input weights, {@code (4H, I)}
     * @param wHh the recurrent weights, {@code (4H, P)}
     * @param bIh the input bias, {@code (4H)}, or null
     * @param bHh the recurrent bias, {@code (4H)}, or null
     * @param wHr the projection weights, {@code (P, H)}
     * @param reverse whether to run from the last step to the first
     * @return a new tensor {@code (T, B, P + H)} equal to {@link #lstmLayerProjected}'s up to rounding, with an
     *     op-by-op graph
     */
    public static Tensor lstmLayerProjectedComposed(Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh,
                                                    Tensor bIh, Tensor bHh, Tensor wHr, boolean reverse) {
        Args.nonNull("lstmLayerProjectedComposed", "weight_hr", wHr);
        check("lstmLayerProjectedComposed", 4, x, h0, c0, wIh, wHh, bIh, bHh, wHr);
        int t = x.size(0);
        // One input GEMM over all steps, as the fused op does; only the recurrence is step by step.
        Tensor gx = x.reshape(t * x.size(1), x.size(2)).matmul(wIh.t());
        if (bIh != null) {
            gx = gx.add(bIh);
        }
        return lstmSteps(gx.reshape(t, x.size(1), 4 * c0.size(1)), x, h0, c0, wIh, wHh, bIh, bHh, wHr, reverse);
    }

    /**
     * The recorded LSTM recurrence shared by {@link #lstmLayerComposed} and {@link #lstmLayerProjectedComposed}:
     * the input part of the gates from {@code gx} (T, B, 4H) when given, else per step from x, W_ih and b_ih; h projected by
     * {@code wHr} when it is not null. Returns (T, B, width(h) + H), h then c per step.
     */
    private static Tensor lstmSteps(Tensor gx, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor bIh,
                                    Tensor bHh, Tensor wHr, boolean reverse) {
        int t = x.size(0);
        int hs = c0.size(1);
        Tensor[] out = new Tensor[t];
        Tensor h = h0;
        Tensor c = c0;
        for (int s = 0; s < t; s++) {
            int ti = reverse ? t - 1 - s : s;
            Tensor gi;
            if (gx != null) {
                gi = gx.select(0, ti);
            } else {
                gi = x.select(0, ti).matmul(wIh.t());
                if (bIh != null) {
                    gi = gi.add(bIh);
                }
            }
            Tensor gh = h.matmul(wHh.t());
            if (bHh != null) {
                gh = gh.add(bHh);
            }
            Tensor gates = gi.add(gh);
            Tensor i = gates.narrow(1, 0, hs).sigmoid();
            Tensor f = gates.narrow(1, hs, hs).sigmoid();
            Tensor g = gates.narrow(1, 2 * hs, hs).tanh();
            Tensor o = gates.narrow(1, 3 * hs, hs).sigmoid();
            c = f.mul(c).add(i.mul(g));
            h = o.mul(c.tanh());
            if (wHr != null) {
                h = h.matmul(wHr.t());
            }
            out[ti] = Tensor.cat(List.of(h, c), 1);
        }
        return Tensor.stack(List.of(out), 0);
    }

    /**
     * {@link #gruLayer} built from differentiable tensor ops, step by step (reference and double backward).
     *
     * @param x the input sequence, {@code (T, B, I)}
     * @param h0 the initial hidden state, {@code (B, H)}
     * @param wIh the input weights, {@code (3H, I)}
     * @param wHh the recurrent weights, {@code (3H, H)}
     * @param bIh the input bias, {@code (3H)}, or null
     * @param bHh the recurrent bias, {@code (3H)}, or null
     * @param reverse whether to run from the last step to the first
     * @return a new tensor {@code (T, B, H)} equal to {@link #gruLayer}'s up to rounding, with an op-by-op graph
     */
    public static Tensor gruLayerComposed(Tensor x, Tensor h0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh,
                                          boolean reverse) {
        check("gruLayerComposed", 3, x, h0, null, wIh, wHh, bIh, bHh);
        int t = x.size(0);
        int hs = h0.size(1);
        Tensor[] out = new Tensor[t];
        Tensor h = h0;
        for (int s = 0; s < t; s++) {
            int ti = reverse ? t - 1 - s : s;
            Tensor gi = x.select(0, ti).matmul(wIh.t());
            if (bIh != null) {
                gi = gi.add(bIh);
            }
            Tensor gh = h.matmul(wHh.t());
            if (bHh != null) {
                gh = gh.add(bHh);
            }
            Tensor r = gi.narrow(1, 0, hs).add(gh.narrow(1, 0, hs)).sigmoid();
            Tensor z = gi.narrow(1, hs, hs).add(gh.narrow(1, hs, hs)).sigmoid();
            Tensor n = gi.narrow(1, 2 * hs, hs).add(r.mul(gh.narrow(1, 2 * hs, hs))).tanh();
            // PyTorch's order: (h' − n)·z + n
            h = h.sub(n).mul(z).add(n);
            out[ti] = h;
        }
        return Tensor.stack(List.of(out), 0);
    }

    // ------------------------------------------------------------------ checks

    private static void check(String op, int gates, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh,
                              Tensor bIh, Tensor bHh) {
        check(op, gates, x, h0, c0, wIh, wHh, bIh, bHh, null);
    }

    /** As above; with a projection {@code wHr (P, H)}, h0 and W_hh's columns are P wide and c0 is (B, H). */
    private static void check(String op, int gates, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh,
                              Tensor bIh, Tensor bHh, Tensor wHr) {
        Args.nonNull(op, "input", x);
        Args.nonNull(op, "h0", h0);
        Args.nonNull(op, "weight_ih", wIh);
        Args.nonNull(op, "weight_hh", wHh);
        if (gates == 4) {
            Args.nonNull(op, "c0", c0);
        }
        if (x.dim() != 3 || h0.dim() != 2 || wIh.dim() != 2 || wHh.dim() != 2
                || (wHr != null && wHr.dim() != 2)) {
            throw new IllegalArgumentException(op + ": expected input (T, B, I), h0 (B, H), weights 2-D; got input "
                    + Shape.str(x.shapeRef()) + ", h0 " + Shape.str(h0.shapeRef()) + ", weight_ih "
                    + Shape.str(wIh.shapeRef()) + ", weight_hh " + Shape.str(wHh.shapeRef()));
        }
        int b = x.size(1);
        int h = wHr == null ? h0.size(1) : wHr.size(1);
        int p = h0.size(1);
        int g = gates * h;
        boolean ok = h0.size(0) == b && wIh.size(0) == g && wIh.size(1) == x.size(2) && wHh.size(0) == g
                && wHh.size(1) == p && (wHr == null || wHr.size(0) == p)
                && (c0 == null || (c0.dim() == 2 && c0.size(0) == b && c0.size(1) == h))
                && (bIh == null || (bIh.dim() == 1 && bIh.size(0) == g))
                && (bHh == null || (bHh.dim() == 1 && bHh.size(0) == g));
        if (!ok) {
            throw new IllegalArgumentException(op + ": inconsistent shapes: input " + Shape.str(x.shapeRef())
                    + ", h0 " + Shape.str(h0.shapeRef()) + (c0 == null ? "" : ", c0 " + Shape.str(c0.shapeRef()))
                    + ", weight_ih " + Shape.str(wIh.shapeRef()) + ", weight_hh " + Shape.str(wHh.shapeRef())
                    + (bIh == null ? "" : ", bias_ih " + Shape.str(bIh.shapeRef()))
                    + (bHh == null ? "" : ", bias_hh " + Shape.str(bHh.shapeRef()))
                    + (wHr == null ? "" : ", weight_hr " + Shape.str(wHr.shapeRef())) + " (expected " + gates
                    + "*hidden_size gate rows)");
        }
        DType dt = x.dtype();
        for (Tensor t : new Tensor[] {h0, c0, wIh, wHh, bIh, bHh, wHr}) {
            if (t != null && t.dtype() != dt) {
                throw new IllegalArgumentException(op + ": all tensors must have the input's dtype " + dt
                        + ", got " + t.dtype());
            }
        }
        if (!dt.isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": expected a floating point input, got " + dt);
        }
    }

    private static Tensor[] contiguous(Tensor... ts) {
        Tensor[] out = new Tensor[ts.length];
        for (int i = 0; i < ts.length; i++) {
            out[i] = ts[i] == null ? null : ts[i].contiguous();
        }
        return out;
    }

    // ------------------------------------------------------------------ raw helpers (float[] or double[])

    private static Object arr(Tensor t) {
        return t.dtype() == DType.FLOAT32 ? t.floatStorage() : t.doubleStorage();
    }

    private static void gemm(boolean ta, boolean tb, int m, int n, int k, Object a, int aOff, int lda, Object b,
                             int bOff, int ldb, Object c, int cOff, int ldc, boolean acc) {
        if (a instanceof float[] fa) {
            Gemm.sgemm(ta, tb, m, n, k, fa, aOff, lda, (float[]) b, bOff, ldb, (float[]) c, cOff, ldc, acc);
        } else {
            Gemm.dgemm(ta, tb, m, n, k, (double[]) a, aOff, lda, (double[]) b, bOff, ldb, (double[]) c, cOff, ldc,
                    acc);
        }
    }

    /** A float B prepared once for the per-step products of a recurrence; null (unprepared) for float64. */
    private static Gemm.PackedB packB(boolean tb, int k, int n, Object b, int bOff, int ldb) {
        return b instanceof float[] fb ? Gemm.packB(tb, k, n, fb, bOff, ldb) : null;
    }

    /** {@link #gemm} with B prepared by {@link #packB} when {@code pb} is not null (the same bits either way). */
    private static void gemm(Gemm.PackedB pb, boolean tb, int m, int n, int k, Object a, int aOff, int lda, Object b,
                             int bOff, int ldb, Object c, int cOff, int ldc, boolean acc) {
        if (pb != null) {
            Gemm.sgemm(false, m, (float[]) a, aOff, lda, pb, (float[]) c, cOff, ldc, acc);
        } else {
            gemm(false, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
        }
    }

    /** {@code c[cOff + r*ldc + j] += v[vOff + j]} for every row r below rows and column j below n. */
    private static void addRows(Object c, int cOff, int ldc, int rows, int n, Tensor v) {
        if (v == null) {
            return;
        }
        if (c instanceof float[] fc) {
            float[] fv = v.floatStorage();
            int vo = v.storageOffset();
            for (int r = 0; r < rows; r++) {
                for (int j = 0, o = cOff + r * ldc; j < n; j++) {
                    fc[o + j] += fv[vo + j];
                }
            }
        } else {
            double[] dc = (double[]) c;
            double[] dv = v.doubleStorage();
            int vo = v.storageOffset();
            for (int r = 0; r < rows; r++) {
                for (int j = 0, o = cOff + r * ldc; j < n; j++) {
                    dc[o + j] += dv[vo + j];
                }
            }
        }
    }

    /** Column sums of a {@code rows × n} matrix, as a new 1-D tensor. */
    private static Tensor colSum(DType dt, Object a, int rows, int n) {
        Tensor out = Tensor.zeros(dt, n);
        if (a instanceof float[] fa) {
            float[] o = out.floatStorage();
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < n; j++) {
                    o[j] += fa[r * n + j];
                }
            }
        } else {
            double[] da = (double[]) a;
            double[] o = out.doubleStorage();
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < n; j++) {
                    o[j] += da[r * n + j];
                }
            }
        }
        return out;
    }

    /** The previous state of step s, where {@code seq} holds every step's state at column {@code col}. */
    private static int prevTime(int s, int t, boolean reverse) {
        return reverse ? t - s : s - 1;
    }

    // ------------------------------------------------------------------ LSTM

    /** The fused layer direction: in = x, h0, c0, wIh, wHh, bIh, bHh[, wHr] (contiguous). */
    private static Tensor lstm(Tensor[] in, boolean reverse) {
        Tensor[] r;
        try (Grad.Scope off = Grad.disabled()) {
            r = lstmForward(in, reverse);
        }
        if (!Autograd.isRecording(in)) {
            return r[0];
        }
        return Autograd.attach(r[0], new LstmLayerBackward0(in, r[0], r[1], r[2], reverse));
    }

    /**
     * in = x, h0 (B, P), c0 (B, H), wIh, wHh (4H, P), bIh, bHh[, wHr (P, H)], contiguous; without wHr, P = H.
     * Returns {y, act, rc}: y (T, B, P + H) the output, act the activated gates, and rc (T, B, 2H) per step the
     * gate kernel's own output, {@code r = o ⊙ tanh(c)} then c: y itself without a projection, which then makes
     * h = r; with one, h = r·W_hrᵀ is one more GEMM per step and c is copied into y.
     */
    private static Tensor[] lstmForward(Tensor[] in, boolean reverse) {
        Tensor x = in[0];
        Tensor wHr = in.length > 7 ? in[7] : null;
        DType dt = x.dtype();
        int t = x.size(0);
        int b = x.size(1);
        int ni = x.size(2);
        int p = in[1].size(1);
        int h = in[2].size(1);
        int w = p + h;
        Tensor act = Tensor.zeros(dt, t, b, 4 * h);
        Tensor y = Tensor.zeros(dt, t, b, w);
        Tensor rc = wHr == null ? y : Tensor.zeros(dt, t, b, 2 * h);
        Object aa = arr(act);
        Object ra = arr(rc);
        Object ya = arr(y);
        Object whh = arr(in[4]);
        int whhOff = in[4].storageOffset();
        gemm(false, true, t * b, 4 * h, ni, arr(x), x.storageOffset(), ni, arr(in[3]), in[3].storageOffset(), ni,
                aa, 0, 4 * h, false);
        addRows(aa, 0, 4 * h, t * b, 4 * h, in[5]);
        addRows(aa, 0, 4 * h, t * b, 4 * h, in[6]);
        Gemm.PackedB pw = packB(true, p, 4 * h, whh, whhOff, p);
        Gemm.PackedB pr = wHr == null ? null : packB(true, h, p, arr(wHr), wHr.storageOffset(), h);
        for (int s = 0; s < t; s++) {
            int ti = reverse ? t - 1 - s : s;
            int tp = prevTime(s, t, reverse);
            Object hp = s == 0 ? arr(in[1]) : ya;
            int hpOff = s == 0 ? in[1].storageOffset() : tp * b * w;
            int hpLd = s == 0 ? p : w;
            Object cp = s == 0 ? arr(in[2]) : ra;
            int cpOff = s == 0 ? in[2].storageOffset() : tp * b * 2 * h + h;
            int cpLd = s == 0 ? h : 2 * h;
            gemm(pw, true, b, 4 * h, p, hp, hpOff, hpLd, whh, whhOff, p, aa, ti * b * 4 * h, 4 * h, true);
            if (aa instanceof float[] fa) {
                RnnKernels.lstmForward(true, b, h, fa, ti * b * 4 * h, (float[]) cp, cpOff, cpLd, (float[]) ra,
                        ti * b * 2 * h, 2 * h);
            } else {
                RnnKernels.lstmForward(b, h, (double[]) aa, ti * b * 4 * h, (double[]) cp, cpOff, cpLd,
                        (double[]) ra, ti * b * 2 * h, 2 * h);
            }
            if (wHr != null) {
                gemm(pr, true, b, p, h, ra, ti * b * 2 * h, 2 * h, arr(wHr), wHr.storageOffset(), h, ya, ti * b * w,
                        w, false);
                for (int r = 0; r < b; r++) {
                    System.arraycopy(ra, (ti * b + r) * 2 * h + h, ya, (ti * b + r) * w + p, h);
                }
            }
        }
        return new Tensor[] {y, act, rc};
    }

    /** {@code d[r·n + j] = a[aOff + r·aLd + j] + e[r·n + j]} for r below rows, j below n (float[] or double[]). */
    private static void addRowsInto(Object d, int dOff, Object a, int aOff, int aLd, Object e, int rows, int n) {
        if (d instanceof float[] fd) {
            float[] fa = (float[]) a;
            float[] fe = (float[]) e;
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < n; j++) {
                    fd[dOff + r * n + j] = fa[aOff + r * aLd + j] + fe[r * n + j];
                }
            }
        } else {
            double[] dd = (double[]) d;
            double[] da = (double[]) a;
            double[] de = (double[]) e;
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < n; j++) {
                    dd[dOff + r * n + j] = da[aOff + r * aLd + j] + de[r * n + j];
                }
            }
        }
    }

    /** Copies every step's previous hidden state into a {@code (T·B, H)} matrix (for {@code dW_hh}). */
    private static Object prevStates(DType dt, Object h0, int h0Off, Object ya, int t, int b, int h, int w,
                                     boolean reverse) {
        Object out = dt == DType.FLOAT32 ? new float[t * b * h] : new double[t * b * h];
        for (int s = 0; s < t; s++) {
            int ti = reverse ? t - 1 - s : s;
            int tp = prevTime(s, t, reverse);
            for (int r = 0; r < b; r++) {
                if (s == 0) {
                    System.arraycopy(h0, h0Off + r * h, out, (ti * b + r) * h, h);
                } else {
                    System.arraycopy(ya, (tp * b + r) * w, out, (ti * b + r) * h, h);
                }
            }
        }
        return out;
    }

    /** Weight, bias and input gradients shared by both cells, from the per-step gate gradients. */
    private static void paramGrads(Node node, Tensor[] out, int xi, int wi, Tensor x, Tensor wIh, Object dgi,
                                   Object dgh, Object hprev, int t, int b, int ni, int h, int g) {
        DType dt = x.dtype();
        int rows = t * b;
        if (node.needsGrad(xi)) {
            Tensor dx = Tensor.zeros(dt, t, b, ni);
            gemm(false, false, rows, ni, g, dgi, 0, g, arr(wIh), wIh.storageOffset(), ni, arr(dx), 0, ni, false);
            out[xi] = dx;
        }
        if (node.needsGrad(wi)) {
            Tensor dw = Tensor.zeros(dt, g, ni);
            gemm(true, false, g, ni, rows, dgi, 0, g, arr(x), x.storageOffset(), ni, arr(dw), 0, ni, false);
            out[wi] = dw;
        }
        if (node.needsGrad(wi + 1)) {
            Tensor dw = Tensor.zeros(dt, g, h);
            gemm(true, false, g, h, rows, dgh, 0, g, hprev, 0, h, arr(dw), 0, h, false);
            out[wi + 1] = dw;
        }
        if (node.needsGrad(wi + 2)) {
            out[wi + 2] = colSum(dt, dgi, rows, g);
        }
        if (node.needsGrad(wi + 3)) {
            // the LSTM passes one array for both (its two biases get the same gradient): sum it once
            out[wi + 3] = dgh == dgi && out[wi + 2] != null ? out[wi + 2].cloneTensor() : colSum(dt, dgh, rows, g);
        }
    }

    /** Double backward: differentiate the composed layer at the saved inputs, recording the graph. */
    private static Tensor[] composedGrads(Node node, Tensor[] in, Tensor composed, Tensor g) {
        List<Tensor> wanted = new ArrayList<>();
        List<Integer> slots = new ArrayList<>();
        for (int i = 0; i < in.length; i++) {
            if (in[i] != null && node.needsGrad(i)) {
                wanted.add(in[i]);
                slots.add(i);
            }
        }
        Tensor[] gs = Autograd.grad(composed, wanted.toArray(new Tensor[0]), g, true, true);
        Tensor[] out = new Tensor[in.length];
        for (int k = 0; k < gs.length; k++) {
            out[slots.get(k)] = gs[k];
        }
        return out;
    }

    private static Tensor get(SavedTensor s) {
        return s == null ? null : s.get();
    }

    /**
     * BPTT of one LSTM layer direction; inputs x, h0, c0, W_ih, W_hh, b_ih, b_hh and, with a projection, W_hr.
     * Per step from the end: the fused backward gate kernel, then one GEMM for the gradient reaching the previous h.
     * With a projection the gradient of h_t (from the output and from step t+1) first goes through the projection's
     * adjoint, dr_t = dh_t·W_hr, which the kernel takes as the gradient of its r; dW_hr = Σ_t dh_tᵀ·r_t is one GEMM
     * at the end.
     */
    static final class LstmLayerBackward0 extends Node {
        private final SavedTensor sx;
        private final SavedTensor sh0;
        private final SavedTensor sc0;
        private final SavedTensor swIh;
        private final SavedTensor swHh;
        private final SavedTensor sbIh;
        private final SavedTensor sbHh;
        private final SavedTensor swHr;
        private final SavedTensor sy;
        private final SavedTensor sact;
        private final SavedTensor src;
        private final boolean reverse;

        LstmLayerBackward0(Tensor[] in, Tensor y, Tensor act, Tensor rc, boolean reverse) {
            super("LstmLayerBackward0", in);
            this.sx = save(in[0]);
            this.sh0 = save(in[1]);
            this.sc0 = save(in[2]);
            this.swIh = save(in[3]);
            this.swHh = save(in[4]);
            this.sbIh = in[5] == null ? null : save(in[5]);
            this.sbHh = in[6] == null ? null : save(in[6]);
            this.swHr = in.length > 7 ? save(in[7]) : null;
            this.sy = saveOutput(y);
            this.sact = save(act);
            this.src = rc == y ? null : save(rc);
            this.reverse = reverse;
        }

        @Override
        protected Tensor[] backward(Tensor gy) {
            Tensor x = sx.get();
            Tensor h0 = sh0.get();
            Tensor c0 = sc0.get();
            Tensor wIh = swIh.get();
            Tensor wHh = swHh.get();
            Tensor wHr = get(swHr);
            if (Grad.isEnabled()) {
                Tensor bIh = get(sbIh);
                Tensor bHh = get(sbHh);
                return wHr == null
                        ? composedGrads(this, new Tensor[] {x, h0, c0, wIh, wHh, bIh, bHh},
                                lstmLayerComposed(x, h0, c0, wIh, wHh, bIh, bHh, reverse), gy)
                        : composedGrads(this, new Tensor[] {x, h0, c0, wIh, wHh, bIh, bHh, wHr},
                                lstmLayerProjectedComposed(x, h0, c0, wIh, wHh, bIh, bHh, wHr, reverse), gy);
            }
            Tensor y = sy.get();
            Object ya = arr(y);
            Object ra = src == null ? ya : arr(src.get());
            Object aa = arr(sact.get());
            Tensor g = gy.contiguous();
            Object ga = arr(g);
            int gOff = g.storageOffset();
            DType dt = x.dtype();
            boolean f32 = dt == DType.FLOAT32;
            int t = x.size(0);
            int b = x.size(1);
            int ni = x.size(2);
            int p = h0.size(1);
            int h = c0.size(1);
            int w = p + h;
            Object whh = arr(wHh);
            int whhOff = wHh.storageOffset();
            Object dg = f32 ? new float[t * b * 4 * h] : new double[t * b * 4 * h];
            Tensor dh = Tensor.zeros(dt, b, p);
            Tensor dc = Tensor.zeros(dt, b, h);
            Object dha = arr(dh);
            Object dca = arr(dc);
            Gemm.PackedB pw = packB(false, 4 * h, p, whh, whhOff, p);
            // with a projection: every step's dh_t (for dW_hr), and the kernel's gradients of r and c side by side
            Object dhAll = wHr == null ? null : f32 ? new float[t * b * p] : new double[t * b * p];
            Object grc = wHr == null ? null : f32 ? new float[b * 2 * h] : new double[b * 2 * h];
            Object none = wHr == null ? null : f32 ? new float[b * h] : new double[b * h];
            Gemm.PackedB pr = wHr == null ? null : packB(false, p, h, arr(wHr), wHr.storageOffset(), h);
            for (int s = t - 1; s >= 0; s--) {
                int ti = reverse ? t - 1 - s : s;
                int tp = prevTime(s, t, reverse);
                int o = ti * b;
                Object cp = s == 0 ? arr(c0) : ra;
                int cpOff = s == 0 ? c0.storageOffset() : tp * b * 2 * h + h;
                int cpLd = s == 0 ? h : 2 * h;
                // the gradients the kernel reads for this step's r (h without projection) and c, and from step t+1
                Object kg = ga;
                int kgOff = gOff + o * w;
                int kgLd = w;
                Object kdh = dha;
                if (wHr != null) {
                    addRowsInto(dhAll, o * p, ga, gOff + o * w, w, dha, b, p);
                    gemm(pr, false, b, h, p, dhAll, o * p, p, arr(wHr), wHr.storageOffset(), h, grc, 0, 2 * h, false);
                    for (int r = 0; r < b; r++) {
                        System.arraycopy(ga, gOff + (o + r) * w + p, grc, r * 2 * h + h, h);
                    }
                    kg = grc;
                    kgOff = 0;
                    kgLd = 2 * h;
                    kdh = none;
                }
                if (f32) {
                    RnnKernels.lstmBackward(true, b, h, (float[]) aa, o * 4 * h, (float[]) cp, cpOff, cpLd,
                            (float[]) ra, o * 2 * h, 2 * h, (float[]) kg, kgOff, kgLd, (float[]) kdh, (float[]) dca,
                            (float[]) dg, o * 4 * h);
                } else {
                    RnnKernels.lstmBackward(b, h, (double[]) aa, o * 4 * h, (double[]) cp, cpOff, cpLd,
                            (double[]) ra, o * 2 * h, 2 * h, (double[]) kg, kgOff, kgLd, (double[]) kdh,
                            (double[]) dca, (double[]) dg, o * 4 * h);
                }
                gemm(pw, false, b, p, 4 * h, dg, o * 4 * h, 4 * h, whh, whhOff, p, dha, 0, p, false);
            }
            Tensor[] out = new Tensor[wHr == null ? 7 : 8];
            out[1] = needsGrad(1) ? dh : null;
            out[2] = needsGrad(2) ? dc : null;
            Object hprev = needsGrad(4) ? prevStates(dt, arr(h0), h0.storageOffset(), ya, t, b, p, w, reverse)
                    : null;
            paramGrads(this, out, 0, 3, x, wIh, dg, dg, hprev, t, b, ni, p, 4 * h);
            if (wHr != null && needsGrad(7)) {
                Tensor dwhr = Tensor.zeros(dt, p, h);
                gemm(true, false, p, h, t * b, dhAll, 0, p, ra, 0, 2 * h, arr(dwhr), 0, h, false);
                out[7] = dwhr;
            }
            return out;
        }
    }

    // ------------------------------------------------------------------ GRU

    /** in = x, h0, wIh, wHh, bIh, bHh (contiguous). Returns {y, act}. */
    private static Tensor[] gruForward(Tensor[] in, boolean reverse) {
        Tensor x = in[0];
        DType dt = x.dtype();
        int t = x.size(0);
        int b = x.size(1);
        int ni = x.size(2);
        int h = in[1].size(1);
        Tensor act = Tensor.zeros(dt, t, b, 4 * h);
        Tensor y = Tensor.zeros(dt, t, b, h);
        Tensor hh = Tensor.zeros(dt, b, 3 * h);
        Object xa = arr(x);
        Object aa = arr(act);
        Object ya = arr(y);
        Object ha = arr(hh);
        Object whh = arr(in[3]);
        Object bhh = in[5] == null ? null : from(in[5], 3 * h);
        gemm(false, true, t * b, 3 * h, ni, xa, x.storageOffset(), ni, arr(in[2]), in[2].storageOffset(), ni, aa, 0,
                4 * h, false);
        addRows(aa, 0, 4 * h, t * b, 3 * h, in[4]);
        Gemm.PackedB pw = packB(true, h, 3 * h, whh, in[3].storageOffset(), h);
        for (int s = 0; s < t; s++) {
            int ti = reverse ? t - 1 - s : s;
            int tp = prevTime(s, t, reverse);
            Object hp = s == 0 ? arr(in[1]) : ya;
            int hpOff = s == 0 ? in[1].storageOffset() : tp * b * h;
            gemm(pw, true, b, 3 * h, h, hp, hpOff, h, whh, in[3].storageOffset(), h, ha, 0, 3 * h, false);
            if (aa instanceof float[] fa) {
                RnnKernels.gruForward(true, b, h, fa, ti * b * 4 * h, (float[]) ha,
                        (float[]) bhh, (float[]) hp, hpOff, h, (float[]) ya, ti * b * h, h);
            } else {
                RnnKernels.gruForward(b, h, (double[]) aa, ti * b * 4 * h, (double[]) ha,
                        (double[]) bhh, (double[]) hp, hpOff, h, (double[]) ya,
                        ti * b * h, h);
            }
        }
        return new Tensor[] {y, act};
    }

    /** BPTT of one GRU layer direction; inputs x, h0, W_ih, W_hh, b_ih, b_hh. */
    static final class GruLayerBackward0 extends Node {
        private final SavedTensor sx;
        private final SavedTensor sh0;
        private final SavedTensor swIh;
        private final SavedTensor swHh;
        private final SavedTensor sbIh;
        private final SavedTensor sbHh;
        private final SavedTensor sy;
        private final SavedTensor sact;
        private final boolean reverse;

        GruLayerBackward0(Tensor[] in, Tensor y, Tensor act, boolean reverse) {
            super("GruLayerBackward0", in);
            this.sx = save(in[0]);
            this.sh0 = save(in[1]);
            this.swIh = save(in[2]);
            this.swHh = save(in[3]);
            this.sbIh = in[4] == null ? null : save(in[4]);
            this.sbHh = in[5] == null ? null : save(in[5]);
            this.sy = saveOutput(y);
            this.sact = save(act);
            this.reverse = reverse;
        }

        @Override
        protected Tensor[] backward(Tensor gy) {
            Tensor x = sx.get();
            Tensor h0 = sh0.get();
            Tensor wIh = swIh.get();
            Tensor wHh = swHh.get();
            if (Grad.isEnabled()) {
                Tensor[] in = {x, h0, wIh, wHh, get(sbIh), get(sbHh)};
                return composedGrads(this, in, gruLayerComposed(x, h0, wIh, wHh, in[4], in[5], reverse), gy);
            }
            Tensor y = sy.get();
            Tensor act = sact.get();
            Tensor g = gy.contiguous();
            DType dt = x.dtype();
            int t = x.size(0);
            int b = x.size(1);
            int ni = x.size(2);
            int h = h0.size(1);
            Object ya = arr(y);
            Object aa = arr(act);
            Object ga = arr(g);
            int gOff = g.storageOffset();
            Object whh = arr(wHh);
            boolean f32 = dt == DType.FLOAT32;
            Object dgi = f32 ? new float[t * b * 3 * h] : new double[t * b * 3 * h];
            Object dgh = f32 ? new float[t * b * 3 * h] : new double[t * b * 3 * h];
            Tensor dh = Tensor.zeros(dt, b, h);
            Object dha = arr(dh);
            Gemm.PackedB pw = packB(false, 3 * h, h, whh, wHh.storageOffset(), h);
            for (int s = t - 1; s >= 0; s--) {
                int ti = reverse ? t - 1 - s : s;
                int tp = prevTime(s, t, reverse);
                Object hp = s == 0 ? arr(h0) : ya;
                int hpOff = s == 0 ? h0.storageOffset() : tp * b * h;
                int o = ti * b;
                if (f32) {
                    RnnKernels.gruBackward(true, b, h, (float[]) aa, o * 4 * h, (float[]) hp, hpOff, h,
                            (float[]) ga, gOff + o * h, h, (float[]) dha, (float[]) dgi, (float[]) dgh, o * 3 * h);
                } else {
                    RnnKernels.gruBackward(b, h, (double[]) aa, o * 4 * h, (double[]) hp, hpOff, h, (double[]) ga,
                            gOff + o * h, h, (double[]) dha, (double[]) dgi, (double[]) dgh, o * 3 * h);
                }
                gemm(pw, false, b, h, 3 * h, dgh, o * 3 * h, 3 * h, whh, wHh.storageOffset(), h, dha, 0, h,
                        true);
            }
            Tensor[] out = new Tensor[6];
            out[1] = needsGrad(1) ? dh : null;
            Object hprev = needsGrad(3) ? prevStates(dt, arr(h0), h0.storageOffset(), ya, t, b, h, h, reverse)
                    : null;
            paramGrads(this, out, 0, 2, x, wIh, dgi, dgh, hprev, t, b, ni, h, 3 * h);
            return out;
        }
    }

    /** The n elements of a contiguous tensor as an array starting at 0 (a copy only when it has an offset). */
    private static Object from(Tensor v, int n) {
        int o = v.storageOffset();
        if (v.dtype() == DType.FLOAT32) {
            return o == 0 ? v.floatStorage() : java.util.Arrays.copyOfRange(v.floatStorage(), o, o + n);
        }
        return o == 0 ? v.doubleStorage() : java.util.Arrays.copyOfRange(v.doubleStorage(), o, o + n);
    }
}
