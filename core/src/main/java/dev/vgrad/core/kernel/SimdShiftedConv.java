package dev.vgrad.core.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Stride-1 float convolution without an im2col matrix (SIMD path). Each (image, group) slice of the input is
 * copied once into a zero-padded stack of planes P, {@code C/groups × Hp × Wp} with {@code Hp = H + 2·padH}: each
 * row is {@code padW} zeros and then the W inputs, and when {@code padW ≤ (kW−1)·dW} that is all, {@code Wp = W +
 * padW}, because a read past a row's end lands in the next row's leading zeros (else {@code Wp = W + 2·padW}).
 * Numbering output positions over the padded width, {@code q = oy·Wp + ox}, the input
 * element that kernel tap {@code p = (c, ki, kj)} reads for position q is {@code P[koff[p] + q]} with
 * {@code koff[p] = c·Hp·Wp + ki·dH·Wp + kj·dW}: the im2col matrix is {@code B(p, q) = P[koff[p] + q]}, rows that
 * are shifted windows of one array, which {@link SimdGemm} packs straight into its panels. Positions with
 * {@code ox ≥ OW} are garbage and are dropped, {@code Wp/OW − 1} extra work (3% for 32×32 with padding 1). When
 * OW is a multiple of the GEMM's panel width (32 floats with AVX-512), each panel of positions lies inside one
 * output row, so the product numbers only real positions and writes the output in place: no garbage, no copy.
 *
 * <ul>
 *   <li>forward: {@code Y_g (O/g × OH·Wp) = W_g · B}, then the valid columns are copied to the output (or, for
 *       OW a multiple of the panel width, {@code Y_g (O/g × OH·OW)} straight into the output);</li>
 *   <li>weight gradient: {@code dW_g (O/g × kk) += dYp · Bᵀ} where {@code dYp} is dY laid out on the padded width
 *       with zero garbage columns. A garbage column adds {@code 0·P[…] = ±0}, exact while the input is finite;
 *       an image with a non-finite input is left to the im2col path (0·∞ would be NaN). When OW is a multiple of
 *       the vector length, the product runs over real positions only, with dY itself as the left operand: no
 *       copy, no garbage, any input.</li>
 * </ul>
 *
 * Every result element is the same FMA chain, in the same order, as with im2col + GEMM, so the forward output
 * agrees to the bit; the weight gradient's chain also adds the exact zeros of the garbage columns, so its values
 * agree too, except that a zero result may come out as +0 where im2col gives −0 (without garbage columns it agrees
 * to the bit).
 */
final class SimdShiftedConv {
    /** Smallest {@code C/groups·kh·kw} and output map: below these the padded copy and the garbage columns cost
     * more than the im2col matrix they save. */
    private static final int MIN_K = 32;
    private static final int MIN_PIXELS = 128;

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * A per-thread buffer whose zeros depend only on a layout: a buffer last used for the same layout still has
     * them (its users only ever write the other positions), so only those are copied in.
     */
    private static final class Framed {
        float[] buf = new float[0];
        Object layout;

        /** The buffer for {@code layout}: zeroed (length {@code len}) unless it was last used for that layout. */
        float[] get(Object layout, int len) {
            if (buf.length < len) {
                buf = new float[len];
                this.layout = null;
            }
            if (!layout.equals(this.layout)) {
                Arrays.fill(buf, 0, len, 0f);
                this.layout = layout;
            }
            return buf;
        }
    }

    /** What decides where a padded input buffer's zeros are. */
    private record Layout(int cpg, int h, int w, int padH, int padW, int wp, int length) {}

    /** What decides where the zero garbage columns of the padded-width output gradient are. */
    private record GradLayout(int rows, int ow, int wp) {}


    private static final ThreadLocal<Framed> PADDED = ThreadLocal.withInitial(Framed::new);
    /** The output gradient on the padded width: only its valid columns are written, the rest stay zero. */
    private static final ThreadLocal<Framed> GRAD_ROWS = ThreadLocal.withInitial(Framed::new);
    private static final ThreadLocal<float[]> ROWS = ThreadLocal.withInitial(() -> new float[0]);

    private final ConvGeometry g;
    private final int hp;
    private final int wp;
    /** Output positions over the padded width: {@code OH·Wp}. */
    private final int q;
    private final int kk;
    private final int opg;
    private final int cpg;
    /** Length of P: the planes plus the slack that the last panels read past them. */
    private final int paddedLen;
    private final int[] koff;
    private final Layout layout;

    /**
     * Whether {@code g} takes this path: stride 1 and large enough to pay off. Callers check
     * {@link KernelProvider#simdEnabled()} first, since this class needs the Vector API.
     */
    static boolean applies(ConvGeometry g) {
        if (g.strideH() != 1 || g.strideW() != 1 || g.oPerGroup() == 0) {
            return false;
        }
        long kk = (long) g.cPerGroup() * g.kh() * g.kw();
        long wp = g.w() + 2L * g.padW();
        long planes = g.cPerGroup() * (g.h() + 2L * g.padH()) * wp;
        return kk >= MIN_K && (long) g.outH() * g.outW() >= MIN_PIXELS
                && planes + (long) (g.kw() - 1) * g.dilationW() + SimdGemm.NR < Integer.MAX_VALUE
                && (long) g.oPerGroup() * g.outH() * wp < Integer.MAX_VALUE;
    }

    SimdShiftedConv(ConvGeometry g) {
        this.g = g;
        hp = g.h() + 2 * g.padH();
        // the right border of a row can be the next row's left border when it is never read further than that
        wp = g.padW() <= (g.kw() - 1) * g.dilationW() ? g.w() + g.padW() : g.w() + 2 * g.padW();
        q = g.outH() * wp;
        cpg = g.cPerGroup();
        opg = g.oPerGroup();
        kk = cpg * g.kh() * g.kw();
        int plane = hp * wp;
        // the last panel of the forward product reads up to max(koff) + roundUp(q, NR) − 1, and
        // max(koff) + q = (cpg − 1)·plane + plane + (kw − 1)·dW
        paddedLen = cpg * plane + (g.kw() - 1) * g.dilationW() + SimdGemm.NR;
        layout = new Layout(cpg, g.h(), g.w(), g.padH(), g.padW(), wp, paddedLen);
        koff = new int[kk];
        int p = 0;
        for (int c = 0; c < cpg; c++) {
            for (int ki = 0; ki < g.kh(); ki++) {
                for (int kj = 0; kj < g.kw(); kj++) {
                    koff[p++] = c * plane + ki * g.dilationH() * wp + kj * g.dilationW();
                }
            }
        }
    }

    /** Each group's weights ({@code O/groups × kk} at {@code wOff + gr·O/groups·kk}) packed for {@link #forward}. */
    float[][] packWeights(float[] w, int wOff) {
        float[][] packed = new float[g.groups()][];
        for (int gr = 0; gr < g.groups(); gr++) {
            packed[gr] = SimdGemm.packAllA(false, opg, kk, w, wOff + gr * opg * kk, kk);
        }
        return packed;
    }

    /**
     * One (image, group): x slice at {@code xBase} ({@code C/groups × H × W}), the group's weights from
     * {@link #packWeights}, bias at {@code bBase} or null, output slice at {@code outBase}
     * ({@code O/groups × OH × OW}), overwritten.
     */
    void forward(float[] x, int xBase, float[] packedW, float[] bias, int bBase, float[] out, int outBase) {
        float[] p = pad(x, xBase);
        int ow = g.outW();
        // output rows of whole NR-wide panels: every panel of positions lies in one output row, so the product
        // numbers real positions only and writes the output directly; otherwise it runs over the padded width
        // (q = OH·Wp positions) into a scratch C whose valid columns are copied out
        boolean inPlace = ow % SimdGemm.NR == 0;
        int cols = inPlace ? g.outH() * ow : q;
        float[] c = inPlace ? out : ConvKernels.floatScratch(ROWS, opg * q);
        int cBase = inPlace ? outBase : 0;
        if (bias != null) {
            for (int o = 0; o < opg; o++) {
                Arrays.fill(c, cBase + o * cols, cBase + (o + 1) * cols, bias[bBase + o]);
            }
        }
        SimdGemm.sgemmShiftedB(opg, cols, kk, packedW, p, 0, koff, inPlace ? ow : q, inPlace ? wp : q, c, cBase,
                cols, bias != null);
        if (!inPlace) {
            // rows o·OH + oy of the output are rows o·OH + oy of c at stride Wp
            copyRows(c, 0, wp, out, outBase, ow, opg * g.outH(), ow);
        }
    }

    /**
     * Adds (or, when {@code !accumulate}, writes) image b's weight gradient to {@code dst} at {@code dstOff}
     * ({@code O × C/groups × kh × kw}). Returns false, touching nothing, when image b's input has a non-finite
     * element.
     */
    boolean weightGrad(float[] gOut, int gOff, float[] x, int xOff, int b, float[] dst, int dstOff,
                       boolean accumulate) {
        int hw = g.h() * g.w();
        int imageBase = xOff + b * g.c() * hw;
        int oh = g.outH();
        int ow = g.outW();
        if (ow % S.length() == 0) {
            // every V-long run of output positions lies in one output row: K numbers only real positions, A is the
            // output gradient itself, and with no garbage columns no 0·x term arises (non-finite inputs are fine)
            for (int gr = 0; gr < g.groups(); gr++) {
                float[] p = pad(x, imageBase + gr * cpg * hw);
                int src = gOff + (b * g.outChannels() + gr * opg) * oh * ow;
                SimdGemm.sgemmShiftedBT(opg, kk, oh * ow, gOut, src, oh * ow, p, 0, koff, ow, wp, dst,
                        dstOff + gr * opg * kk, kk, accumulate);
            }
            return true;
        }
        // a finite sum means every element is finite (an overflow only sends the image to the im2col path)
        if (!Float.isFinite(KernelProvider.kernels().sum(x, imageBase, g.c() * hw))) {
            return false;
        }
        for (int gr = 0; gr < g.groups(); gr++) {
            float[] p = pad(x, imageBase + gr * cpg * hw);
            float[] a = GRAD_ROWS.get().get(new GradLayout(opg * oh, ow, wp), opg * q);
            int src = gOff + (b * g.outChannels() + gr * opg) * oh * ow;
            copyRows(gOut, src, ow, a, 0, wp, opg * oh, ow);
            SimdGemm.sgemmShiftedBT(opg, kk, q, a, 0, q, p, 0, koff, q, q, dst, dstOff + gr * opg * kk, kk,
                    accumulate);
        }
        return true;
    }

    /** P for the slice at {@code xBase}: each plane framed by zeros, then zero slack. */
    private float[] pad(float[] x, int xBase) {
        int h = g.h();
        int w = g.w();
        int ph = g.padH();
        int pw = g.padW();
        float[] p = PADDED.get().get(layout, paddedLen);
        // plane c, row y of x at p[c·Hp·Wp + (y + ph)·Wp + pw]: rows of all planes are Wp apart except across
        // planes, so copy plane by plane
        for (int c = 0; c < cpg; c++) {
            copyRows(x, xBase + c * h * w, w, p, c * hp * wp + ph * wp + pw, wp, h, w);
        }
        return p;
    }

    /**
     * {@code dst[dOff + r·dStride + i] = src[sOff + r·sStride + i]} for r < rows, i < len: whole vectors and a
     * masked tail, since rows here are tens of floats and a call per row would cost more than the copy.
     */
    private static void copyRows(float[] src, int sOff, int sStride, float[] dst, int dOff, int dStride, int rows,
                                 int len) {
        int v = S.length();
        int full = len - len % v;
        VectorMask<Float> tail = S.indexInRange(full, len);
        for (int r = 0; r < rows; r++) {
            int s = sOff + r * sStride;
            int d = dOff + r * dStride;
            for (int i = 0; i < full; i += v) {
                FloatVector.fromArray(S, src, s + i).intoArray(dst, d + i);
            }
            if (full < len) {
                // a masked access whose vector would cross an array's end leaves the intrinsic for a slow
                // lane-by-lane check (several % of a CNN step when it happened once per row block)
                if (s + full + v <= src.length && d + full + v <= dst.length) {
                    FloatVector.fromArray(S, src, s + full, tail).intoArray(dst, d + full, tail);
                } else {
                    System.arraycopy(src, s + full, dst, d + full, len - full);
                }
            }
        }
    }
}
