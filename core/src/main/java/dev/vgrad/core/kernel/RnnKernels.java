package dev.vgrad.core.kernel;

/**
 * Fused gate kernels of the recurrent layers (LSTM, GRU), float and double, over row-major arrays with explicit
 * row strides ({@code ld}). One call handles one time step of a batch of {@code b} rows of {@code h} hidden units;
 * the matrix products around them (input projection for all steps, {@code h·W_hhᵀ} per step, BPTT products) are
 * {@link Gemm} calls made by the autograd op ({@code dev.vgrad.core.Recurrent}).
 *
 * <p>Formulas (PyTorch's, gate order i, f, g, o and r, z, n):
 * <ul>
 *   <li>LSTM forward: {@code i=σ(a_i) f=σ(a_f) g=tanh(a_g) o=σ(a_o)}, {@code c=f⊙c'+i⊙g}, {@code h=o⊙tanh(c)}.
 *   <li>GRU forward: {@code r=σ(x_r+h_r)}, {@code z=σ(x_z+h_z)}, {@code n=tanh(x_n+r⊙h_n)},
 *       {@code h=(h'−n)⊙z+n} (PyTorch's order of operations, = (1−z)⊙n+z⊙h') where {@code x_*} include {@code b_ih} and {@code h_*} include {@code b_hh}.
 * </ul>
 * Every row is computed from its own data only, and the float SIMD loop ({@code SimdRnnKernels}, used when
 * {@code simd} is true and {@link KernelProvider#simdEnabled()}) runs over each row from its start, so a row's bits
 * never depend on the other rows of the batch. SIMD and scalar results agree within a few ulps (the SIMD
 * exp/tanh are {@link VectorMath}'s), not bit for bit.
 *
 * <p>Internal: used only by core's recurrent autograd op; not part of the stable API. No argument is checked:
 * the caller guarantees the array sizes.
 */
public final class RnnKernels {
    private RnnKernels() {}

    private static boolean simd(boolean wanted) {
        return wanted && KernelProvider.simdEnabled();
    }

    static float sig(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    static double sig(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    /**
     * LSTM step forward. {@code gates} holds, per row, the 4h pre-activations {@code a_i,a_f,a_g,a_o} (both biases
     * included) at {@code gates[gOff + r*4h]}; they are overwritten with the activated {@code i,f,g,o}, which the
     * backward step reads. The previous cell is {@code cp[cpOff + r*cpLd + j]}; the new {@code h} goes to
     * {@code y[yOff + r*yLd + j]} and the new {@code c} to {@code y[yOff + r*yLd + h + j]}.
     *
     * @param simd   true to use the SIMD loop when it is enabled (false forces the scalar loop)
     * @param b      batch rows
     * @param h      hidden size
     * @param gates  gate array, rows of 4h from gOff (row stride 4h): pre-activations in, activations out
     * @param gOff   offset of row 0 of gates
     * @param cp     previous cell state c', row r at {@code cpOff + r*cpLd}
     * @param cpOff  offset of c' row 0
     * @param cpLd   row stride of c'
     * @param y      output array: row r holds h at {@code yOff + r*yLd} and c at {@code yOff + r*yLd + h}
     * @param yOff   offset of y's row 0
     * @param yLd    row stride of y (at least 2h)
     */
    public static void lstmForward(boolean simd, int b, int h, float[] gates, int gOff, float[] cp, int cpOff,
                                   int cpLd, float[] y, int yOff, int yLd) {
        if (simd(simd)) {
            SimdRnnKernels.lstmForward(b, h, gates, gOff, cp, cpOff, cpLd, y, yOff, yLd);
            return;
        }
        for (int r = 0; r < b; r++) {
            int g0 = gOff + r * 4 * h;
            int c0 = cpOff + r * cpLd;
            int y0 = yOff + r * yLd;
            lstmForwardRow(0, h, gates, g0, cp, c0, y, y0);
        }
    }

    static void lstmForwardRow(int from, int h, float[] gates, int g0, float[] cp, int c0, float[] y, int y0) {
        for (int j = from; j < h; j++) {
            float i = sig(gates[g0 + j]);
            float f = sig(gates[g0 + h + j]);
            float g = (float) Math.tanh(gates[g0 + 2 * h + j]);
            float o = sig(gates[g0 + 3 * h + j]);
            float c = f * cp[c0 + j] + i * g;
            gates[g0 + j] = i;
            gates[g0 + h + j] = f;
            gates[g0 + 2 * h + j] = g;
            gates[g0 + 3 * h + j] = o;
            y[y0 + h + j] = c;
            y[y0 + j] = o * (float) Math.tanh(c);
        }
    }

    /**
     * Double version of {@link #lstmForward(boolean, int, int, float[], int, float[], int, int, float[], int, int)}.
     *
     * @param b      batch rows
     * @param h      hidden size
     * @param gates  gate array, rows of 4h from gOff (row stride 4h): pre-activations in, activations out
     * @param gOff   offset of row 0 of gates
     * @param cp     previous cell state c', row r at {@code cpOff + r*cpLd}
     * @param cpOff  offset of c' row 0
     * @param cpLd   row stride of c'
     * @param y      output array: row r holds h at {@code yOff + r*yLd} and c at {@code yOff + r*yLd + h}
     * @param yOff   offset of y's row 0
     * @param yLd    row stride of y (at least 2h)
     */
    public static void lstmForward(int b, int h, double[] gates, int gOff, double[] cp, int cpOff, int cpLd,
                                   double[] y, int yOff, int yLd) {
        for (int r = 0; r < b; r++) {
            int g0 = gOff + r * 4 * h;
            int c0 = cpOff + r * cpLd;
            int y0 = yOff + r * yLd;
            for (int j = 0; j < h; j++) {
                double i = sig(gates[g0 + j]);
                double f = sig(gates[g0 + h + j]);
                double g = Math.tanh(gates[g0 + 2 * h + j]);
                double o = sig(gates[g0 + 3 * h + j]);
                double c = f * cp[c0 + j] + i * g;
                gates[g0 + j] = i;
                gates[g0 + h + j] = f;
                gates[g0 + 2 * h + j] = g;
                gates[g0 + 3 * h + j] = o;
                y[y0 + h + j] = c;
                y[y0 + j] = o * Math.tanh(c);
            }
        }
    }

    /**
     * LSTM step backward. Reads the activated gates ({@code act}, rows of 4h), the previous cell ({@code cp}) and
     * this step's cell ({@code y[yOff + r*yLd + h + j]}); the gradient reaching {@code h} is
     * {@code gy[gyOff + r*gyLd + j] + dh[r*h + j]} and the one reaching {@code c} is
     * {@code gy[gyOff + r*gyLd + h + j] + dc[r*h + j]}. Writes the pre-activation gradients to {@code dg} (rows of
     * 4h at {@code dgOff}) and the gradient of the previous cell over {@code dc}.
     *
     * @param simd   true to use the SIMD loop when it is enabled (false forces the scalar loop)
     * @param b      batch rows
     * @param h      hidden size
     * @param act    activated gates i, f, g, o from the forward step, rows of 4h (row stride 4h)
     * @param aOff   offset of act's row 0
     * @param cp     previous cell state c', row r at {@code cpOff + r*cpLd}
     * @param cpOff  offset of c' row 0
     * @param cpLd   row stride of c'
     * @param y      this step's forward output (h then c per row), as written by the forward
     * @param yOff   offset of y's row 0
     * @param yLd    row stride of y
     * @param gy     gradient of this step's output (h then c per row), read only
     * @param gyOff  offset of gy's row 0
     * @param gyLd   row stride of gy
     * @param dh     gradient flowing into h from the next step, [b, h] contiguous from 0; read only
     * @param dc     gradient flowing into c from the next step, [b, h] contiguous from 0; overwritten with the
     *               gradient of the previous cell c'
     * @param dg     output: pre-activation gradients, rows of 4h (row stride 4h)
     * @param dgOff  offset of dg's row 0
     */
    public static void lstmBackward(boolean simd, int b, int h, float[] act, int aOff, float[] cp, int cpOff,
                                    int cpLd, float[] y, int yOff, int yLd, float[] gy, int gyOff, int gyLd,
                                    float[] dh, float[] dc, float[] dg, int dgOff) {
        if (simd(simd)) {
            SimdRnnKernels.lstmBackward(b, h, act, aOff, cp, cpOff, cpLd, y, yOff, yLd, gy, gyOff, gyLd, dh, dc,
                    dg, dgOff);
            return;
        }
        for (int r = 0; r < b; r++) {
            lstmBackwardRow(0, h, act, aOff + r * 4 * h, cp, cpOff + r * cpLd, y, yOff + r * yLd, gy,
                    gyOff + r * gyLd, dh, dc, r * h, dg, dgOff + r * 4 * h);
        }
    }

    static void lstmBackwardRow(int from, int h, float[] act, int a0, float[] cp, int c0, float[] y, int y0,
                                float[] gy, int gy0, float[] dh, float[] dc, int d0, float[] dg, int dg0) {
        for (int j = from; j < h; j++) {
            float i = act[a0 + j];
            float f = act[a0 + h + j];
            float g = act[a0 + 2 * h + j];
            float o = act[a0 + 3 * h + j];
            float tc = (float) Math.tanh(y[y0 + h + j]);
            float gh = gy[gy0 + j] + dh[d0 + j];
            float gc = gy[gy0 + h + j] + dc[d0 + j] + gh * o * (1f - tc * tc);
            dg[dg0 + j] = gc * g * i * (1f - i);
            dg[dg0 + h + j] = gc * cp[c0 + j] * f * (1f - f);
            dg[dg0 + 2 * h + j] = gc * i * (1f - g * g);
            dg[dg0 + 3 * h + j] = gh * tc * o * (1f - o);
            dc[d0 + j] = gc * f;
        }
    }

    /**
     * Double version of the LSTM step backward.
     *
     * @param b      batch rows
     * @param h      hidden size
     * @param act    activated gates i, f, g, o from the forward step, rows of 4h (row stride 4h)
     * @param aOff   offset of act's row 0
     * @param cp     previous cell state c', row r at {@code cpOff + r*cpLd}
     * @param cpOff  offset of c' row 0
     * @param cpLd   row stride of c'
     * @param y      this step's forward output (h then c per row), as written by the forward
     * @param yOff   offset of y's row 0
     * @param yLd    row stride of y
     * @param gy     gradient of this step's output (h then c per row), read only
     * @param gyOff  offset of gy's row 0
     * @param gyLd   row stride of gy
     * @param dh     gradient flowing into h from the next step, [b, h] contiguous from 0; read only
     * @param dc     gradient flowing into c from the next step, [b, h] contiguous from 0; overwritten with the
     *               gradient of the previous cell c'
     * @param dg     output: pre-activation gradients, rows of 4h (row stride 4h)
     * @param dgOff  offset of dg's row 0
     */
    public static void lstmBackward(int b, int h, double[] act, int aOff, double[] cp, int cpOff, int cpLd,
                                    double[] y, int yOff, int yLd, double[] gy, int gyOff, int gyLd, double[] dh,
                                    double[] dc, double[] dg, int dgOff) {
        for (int r = 0; r < b; r++) {
            int a0 = aOff + r * 4 * h;
            int c0 = cpOff + r * cpLd;
            int y0 = yOff + r * yLd;
            int gy0 = gyOff + r * gyLd;
            int d0 = r * h;
            int dg0 = dgOff + r * 4 * h;
            for (int j = 0; j < h; j++) {
                double i = act[a0 + j];
                double f = act[a0 + h + j];
                double g = act[a0 + 2 * h + j];
                double o = act[a0 + 3 * h + j];
                double tc = Math.tanh(y[y0 + h + j]);
                double gh = gy[gy0 + j] + dh[d0 + j];
                double gc = gy[gy0 + h + j] + dc[d0 + j] + gh * o * (1 - tc * tc);
                dg[dg0 + j] = gc * g * i * (1 - i);
                dg[dg0 + h + j] = gc * cp[c0 + j] * f * (1 - f);
                dg[dg0 + 2 * h + j] = gc * i * (1 - g * g);
                dg[dg0 + 3 * h + j] = gh * tc * o * (1 - o);
                dc[d0 + j] = gc * f;
            }
        }
    }

    /**
     * GRU step forward. {@code act} rows (stride 4h, at {@code aOff}) hold {@code x_r,x_z,x_n} (input projection
     * with {@code b_ih}) in their first 3h entries; {@code hh} rows (stride 3h) hold {@code h'·W_hhᵀ}, to which
     * {@code bhh} (3h, may be null) is added. Overwrites the act row with {@code r, z, n, h_n} ({@code h_n} =
     * hidden part of n's pre-activation, bias included), which the backward step reads; the previous hidden state
     * is {@code hp[hpOff + r*hpLd + j]}, the new one goes to {@code y[yOff + r*yLd + j]}.
     *
     * @param simd   true to use the SIMD loop when it is enabled (false forces the scalar loop)
     * @param b      batch rows
     * @param h      hidden size
     * @param act    rows of 4h from aOff (row stride 4h): x_r, x_z, x_n in, r, z, n, h_n out
     * @param aOff   offset of act's row 0
     * @param hh     recurrent projection h'·W_hhᵀ, [b, 3h] contiguous from 0; read only
     * @param bhh    recurrent bias b_hh of length 3h, or null for none
     * @param hp     previous hidden state h', row r at {@code hpOff + r*hpLd}
     * @param hpOff  offset of h' row 0
     * @param hpLd   row stride of h'
     * @param y      output array: the new h of row r at {@code yOff + r*yLd}
     * @param yOff   offset of y's row 0
     * @param yLd    row stride of y
     */
    public static void gruForward(boolean simd, int b, int h, float[] act, int aOff, float[] hh, float[] bhh,
                                  float[] hp, int hpOff, int hpLd, float[] y, int yOff, int yLd) {
        if (simd(simd)) {
            SimdRnnKernels.gruForward(b, h, act, aOff, hh, bhh, hp, hpOff, hpLd, y, yOff, yLd);
            return;
        }
        for (int r = 0; r < b; r++) {
            gruForwardRow(0, h, act, aOff + r * 4 * h, hh, r * 3 * h, bhh, hp, hpOff + r * hpLd, y,
                    yOff + r * yLd);
        }
    }

    static void gruForwardRow(int from, int h, float[] act, int a0, float[] hh, int h0, float[] bhh, float[] hp,
                              int p0, float[] y, int y0) {
        for (int j = from; j < h; j++) {
            float hr = hh[h0 + j] + (bhh == null ? 0f : bhh[j]);
            float hz = hh[h0 + h + j] + (bhh == null ? 0f : bhh[h + j]);
            float hn = hh[h0 + 2 * h + j] + (bhh == null ? 0f : bhh[2 * h + j]);
            float rr = sig(act[a0 + j] + hr);
            float z = sig(act[a0 + h + j] + hz);
            float n = (float) Math.tanh(act[a0 + 2 * h + j] + rr * hn);
            act[a0 + j] = rr;
            act[a0 + h + j] = z;
            act[a0 + 2 * h + j] = n;
            act[a0 + 3 * h + j] = hn;
            y[y0 + j] = (hp[p0 + j] - n) * z + n;
        }
    }

    /**
     * Double version of the GRU step forward.
     *
     * @param b      batch rows
     * @param h      hidden size
     * @param act    rows of 4h from aOff (row stride 4h): x_r, x_z, x_n in, r, z, n, h_n out
     * @param aOff   offset of act's row 0
     * @param hh     recurrent projection h'·W_hhᵀ, [b, 3h] contiguous from 0; read only
     * @param bhh    recurrent bias b_hh of length 3h, or null for none
     * @param hp     previous hidden state h', row r at {@code hpOff + r*hpLd}
     * @param hpOff  offset of h' row 0
     * @param hpLd   row stride of h'
     * @param y      output array: the new h of row r at {@code yOff + r*yLd}
     * @param yOff   offset of y's row 0
     * @param yLd    row stride of y
     */
    public static void gruForward(int b, int h, double[] act, int aOff, double[] hh, double[] bhh, double[] hp,
                                  int hpOff, int hpLd, double[] y, int yOff, int yLd) {
        for (int r = 0; r < b; r++) {
            int a0 = aOff + r * 4 * h;
            int h0 = r * 3 * h;
            int p0 = hpOff + r * hpLd;
            int y0 = yOff + r * yLd;
            for (int j = 0; j < h; j++) {
                double hr = hh[h0 + j] + (bhh == null ? 0 : bhh[j]);
                double hz = hh[h0 + h + j] + (bhh == null ? 0 : bhh[h + j]);
                double hn = hh[h0 + 2 * h + j] + (bhh == null ? 0 : bhh[2 * h + j]);
                double rr = sig(act[a0 + j] + hr);
                double z = sig(act[a0 + h + j] + hz);
                double n = Math.tanh(act[a0 + 2 * h + j] + rr * hn);
                act[a0 + j] = rr;
                act[a0 + h + j] = z;
                act[a0 + 2 * h + j] = n;
                act[a0 + 3 * h + j] = hn;
                y[y0 + j] = (hp[p0 + j] - n) * z + n;
            }
        }
    }

    /**
     * GRU step backward. The gradient reaching {@code h} is {@code gy[gyOff + r*gyLd + j] + dh[r*h + j]}. Writes
     * the pre-activation gradients of the input side ({@code dgi}, rows of 3h at {@code dOff}) and of the hidden
     * side ({@code dgh}, same layout: equal to dgi except {@code n}'s, which is multiplied by r), and overwrites
     * {@code dh} with the direct part {@code z⊙dh} of the previous state's gradient (the caller adds
     * {@code dgh·W_hh}).
     *
     * @param simd   true to use the SIMD loop when it is enabled (false forces the scalar loop)
     * @param b      batch rows
     * @param h      hidden size
     * @param act    r, z, n, h_n from the forward step, rows of 4h (row stride 4h)
     * @param aOff   offset of act's row 0
     * @param hp     previous hidden state h', row r at {@code hpOff + r*hpLd}
     * @param hpOff  offset of h' row 0
     * @param hpLd   row stride of h'
     * @param gy     gradient of this step's output h, read only
     * @param gyOff  offset of gy's row 0
     * @param gyLd   row stride of gy
     * @param dh     gradient flowing into h from the next step, [b, h] contiguous from 0; overwritten with
     *               z⊙(gy + dh)
     * @param dgi    output: input-side pre-activation gradients, rows of 3h (row stride 3h)
     * @param dgh    output: hidden-side pre-activation gradients, same layout as dgi
     * @param dOff   offset of row 0 in both dgi and dgh
     */
    public static void gruBackward(boolean simd, int b, int h, float[] act, int aOff, float[] hp, int hpOff,
                                   int hpLd, float[] gy, int gyOff, int gyLd, float[] dh, float[] dgi, float[] dgh,
                                   int dOff) {
        if (simd(simd)) {
            SimdRnnKernels.gruBackward(b, h, act, aOff, hp, hpOff, hpLd, gy, gyOff, gyLd, dh, dgi, dgh, dOff);
            return;
        }
        for (int r = 0; r < b; r++) {
            gruBackwardRow(0, h, act, aOff + r * 4 * h, hp, hpOff + r * hpLd, gy, gyOff + r * gyLd, dh, r * h,
                    dgi, dgh, dOff + r * 3 * h);
        }
    }

    static void gruBackwardRow(int from, int h, float[] act, int a0, float[] hp, int p0, float[] gy, int gy0,
                               float[] dh, int d0, float[] dgi, float[] dgh, int o0) {
        for (int j = from; j < h; j++) {
            float rr = act[a0 + j];
            float z = act[a0 + h + j];
            float n = act[a0 + 2 * h + j];
            float hn = act[a0 + 3 * h + j];
            float g = gy[gy0 + j] + dh[d0 + j];
            float an = g * (1f - z) * (1f - n * n);
            float ar = an * hn * rr * (1f - rr);
            float az = g * (hp[p0 + j] - n) * z * (1f - z);
            dgi[o0 + j] = ar;
            dgi[o0 + h + j] = az;
            dgi[o0 + 2 * h + j] = an;
            dgh[o0 + j] = ar;
            dgh[o0 + h + j] = az;
            dgh[o0 + 2 * h + j] = an * rr;
            dh[d0 + j] = g * z;
        }
    }

    /**
     * Double version of the GRU step backward.
     *
     * @param b      batch rows
     * @param h      hidden size
     * @param act    r, z, n, h_n from the forward step, rows of 4h (row stride 4h)
     * @param aOff   offset of act's row 0
     * @param hp     previous hidden state h', row r at {@code hpOff + r*hpLd}
     * @param hpOff  offset of h' row 0
     * @param hpLd   row stride of h'
     * @param gy     gradient of this step's output h, read only
     * @param gyOff  offset of gy's row 0
     * @param gyLd   row stride of gy
     * @param dh     gradient flowing into h from the next step, [b, h] contiguous from 0; overwritten with
     *               z⊙(gy + dh)
     * @param dgi    output: input-side pre-activation gradients, rows of 3h (row stride 3h)
     * @param dgh    output: hidden-side pre-activation gradients, same layout as dgi
     * @param dOff   offset of row 0 in both dgi and dgh
     */
    public static void gruBackward(int b, int h, double[] act, int aOff, double[] hp, int hpOff, int hpLd,
                                   double[] gy, int gyOff, int gyLd, double[] dh, double[] dgi, double[] dgh,
                                   int dOff) {
        for (int r = 0; r < b; r++) {
            int a0 = aOff + r * 4 * h;
            int p0 = hpOff + r * hpLd;
            int gy0 = gyOff + r * gyLd;
            int d0 = r * h;
            int o0 = dOff + r * 3 * h;
            for (int j = 0; j < h; j++) {
                double rr = act[a0 + j];
                double z = act[a0 + h + j];
                double n = act[a0 + 2 * h + j];
                double hn = act[a0 + 3 * h + j];
                double g = gy[gy0 + j] + dh[d0 + j];
                double an = g * (1 - z) * (1 - n * n);
                double ar = an * hn * rr * (1 - rr);
                double az = g * (hp[p0 + j] - n) * z * (1 - z);
                dgi[o0 + j] = ar;
                dgi[o0 + h + j] = az;
                dgi[o0 + 2 * h + j] = an;
                dgh[o0 + j] = ar;
                dgh[o0 + h + j] = az;
                dgh[o0 + 2 * h + j] = an * rr;
                dh[d0 + j] = g * z;
            }
        }
    }
}
