package dev.vgrad.core.kernel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float convolution without an im2col matrix (SIMD path). Each (image, group) slice of the input is copied once
 * into zero-padded planes P. With stride 1 a plane is the padded input, {@code Hp × Wp} with {@code Hp = H +
 * 2·padH}: each row is {@code padW} zeros and then the W inputs, and when {@code padW ≤ (kW−1)·dW} that is all,
 * {@code Wp = W + padW}, because a read past a row's end lands in the next row's leading zeros (else
 * {@code Wp = W + 2·padW}). With stride s the padded input is split into its s×s phases, plane (a, b) holding
 * the padded elements {@code (Y·sH + a, X·sW + b)}, {@code ⌈(H + 2·padH)/sH⌉ × ⌈(W + 2·padW)/sW⌉} (only the
 * phases some tap reads): output position (oy, ox) and tap (ki, kj) read plane {@code (ki·dH mod sH, kj·dW mod
 * sW)} at {@code (oy + ⌊ki·dH/sH⌋, ox + ⌊kj·dW/sW⌋)}, a stride-1 access again. Numbering output positions over
 * the plane width, {@code q = oy·Wp + ox}, the input element that tap {@code p = (c, ki, kj)} reads for position q
 * is {@code P[koff[p] + q]}: the im2col matrix is {@code B(p, q) = P[koff[p] + q]}, rows that are shifted windows
 * of one array, which {@link SimdGemm} packs straight into its panels. Positions with
 * {@code ox ≥ OW} are garbage and are dropped: {@code Wp/OW − 1} extra work, at most 1/8 (narrower maps take
 * im2col).
 *
 * <ul>
 *   <li>forward: {@code Y_g (O/g × OH·Wp) = W_g · B}, then the valid columns are copied to the output. Maps narrower
 *       than a panel share one product across several images, their padded rows interleaved ({@code P[c][yp][b]
 *       [xp]}), so the part-filled last panel and the per-product costs are paid once per group of images. When OW
 *       is a multiple of the GEMM's panel width (32 floats with AVX-512), each panel of positions lies inside one
 *       output row, so the product numbers only real positions and writes the output in place. Output rows near
 *       the top and bottom edges drop the kernel rows that read only padding (a product per run of such rows).</li>
 *   <li>weight gradient, transposed: {@code dW_gᵀ (kk × O/g) += B' · dYᵀ} with B' the windows at the real output
 *       positions only (rows of OW positions Wp apart in P) and dY the output gradient as stored; the
 *       micro-kernel reads the windows in place ({@link SimdGemm#sgemmWindowsA}), so only dY is packed, and every
 *       element is the FMA chain of im2col followed by the GEMM, bit for bit, non-finite inputs included. With
 *       dilation 1 the windows are read from a channels-last copy of the padded input instead
 *       ({@link SimdGemm#sgemmWindowsRowsA}), where a tile's twelve taps (ki, kj, c..c+11) are adjacent floats.</li>
 * </ul>
 *
 * Every forward element is the same FMA chain, in the same order, as with im2col + GEMM, except for terms that
 * are exact zeros (a dropped padding tap): the values agree, and a zero result may differ in sign. A dropped
 * padding tap is {@code 0·w}, exact for finite w; with a non-finite weight every tap is kept.
 */
final class SimdShiftedConv {
    /** Smallest {@code C/groups·kh·kw}: below it the padded copy costs more than the im2col matrix it saves. */
    private static final int MIN_K = 32;
    /** Largest share of garbage columns (one in this many) for the forward of a map narrower than a panel. */
    private static final int MAX_GARBAGE = 8;
    /** Output columns a forward product aims at when several images share it. */
    private static final int FORWARD_COLS = 1024;
    /** Output planes whose length is a multiple of this many floats (2 KiB) get a product on padded rows. */
    private static final int ALIASED_PLANE = 512;
    /** Floats added to each such row: one cache line, so consecutive rows fall in different L1 sets. */
    private static final int ROW_SKEW = 16;

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * A per-thread buffer whose zeros depend only on a layout: a buffer last used for the same layout still has
     * them (its users only ever write the other positions), so only those are copied in.
     */
    static final class Framed {
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
    private record Layout(ConvGeometry g, int images, int length) {}

    private static final ThreadLocal<Framed> PADDED = ThreadLocal.withInitial(Framed::new);
    private static final ThreadLocal<float[]> ROWS = ThreadLocal.withInitial(() -> new float[0]);

    private final ConvGeometry g;
    /** Rows and row length of one phase plane of one image. */
    private final int hp;
    private final int wp;
    /** Output positions over the plane width: {@code OH·Wp}. */
    private final int q;
    private final int kk;
    private final int opg;
    private final int cpg;
    /** Phase planes some tap reads, as {@code a·sW + b}, and each phase's plane index (−1 when unread). */
    private final int[] phases;
    private final int[] phaseIndex;
    /** The planes of one image. */
    private final Planes one;
    /** One segment of all output rows and all taps. */
    private final List<Segment> allRows;
    /** The output rows split by which kernel rows stay inside the input. */
    private final List<Segment> rowSegments;
    /**
     * For the weight gradient over a channels-last plane ({@link #channelsLastWeightGrad}), the place of input
     * position {@code iy·W + ix} in that plane, {@code ((iy + padH)·Wl + ix + padW)·C/groups} ({@link #lastWidth});
     * null when it does not apply.
     */
    private final int[] lastPos;
    private final Layout lastLayout;
    /** Width Wl of the channels-last plane ({@link #lastPos}), in positions: the stride-1 plane width. */
    private final int lastWidth;
    /** Channel offsets {@code j·H·W} of 16 consecutive channels, for {@link SimdGemm#transpose16}. */
    private final int[] channelRows;

    /**
     * Whether {@code g}'s weight gradient takes this path: enough taps, and a plane width at most one column in
     * {@link #MAX_GARBAGE} wider than the output. The product skips those extra columns; the width rule predates
     * that and was not re-tuned, so narrower maps keep im2col. Callers check {@link KernelProvider#simdEnabled()}
     * first, since this class needs the Vector API.
     */
    static boolean applies(ConvGeometry g) {
        return fits(g) && (planeWidth(g) - g.outW()) * (long) MAX_GARBAGE <= planeWidth(g);
    }

    /**
     * Whether {@code g}'s forward takes this path: enough taps, and either output rows of whole panels (written in
     * place) or at most one garbage column in {@link #MAX_GARBAGE} of the plane width, since small maps share one
     * product across several images ({@link #imagesPerProduct}) and lose nothing else.
     */
    static boolean appliesForward(ConvGeometry g) {
        return fits(g) && (g.outW() % SimdGemm.NR == 0
                || (planeWidth(g) - g.outW()) * (long) MAX_GARBAGE <= planeWidth(g));
    }

    private static boolean fits(ConvGeometry g) {
        if (g.oPerGroup() == 0 || g.outH() == 0 || g.outW() == 0) {
            return false;
        }
        long kk = (long) g.cPerGroup() * g.kh() * g.kw();
        long wp = planeWidth(g);
        long hp = ceilDiv(g.h() + 2L * g.padH(), g.strideH());
        // at most every phase plane is read
        long planes = (long) g.cPerGroup() * Math.min(kk, (long) g.strideH() * g.strideW()) * hp * wp;
        return kk >= MIN_K
                && planes + (long) (g.kw() - 1) * g.dilationW() + SimdGemm.NR < Integer.MAX_VALUE
                && (long) g.oPerGroup() * g.outH() * wp < Integer.MAX_VALUE;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private static int planeWidth(ConvGeometry g) {
        if (g.strideW() > 1) {
            return (int) ceilDiv(g.w() + 2L * g.padW(), g.strideW());
        }
        return strideOneWidth(g);
    }

    /** Width of a padded row without phases. */
    private static int strideOneWidth(ConvGeometry g) {
        // the right border of a row can be the next row's left border when it is never read further than that
        return g.padW() <= (g.kw() - 1) * g.dilationW() ? g.w() + g.padW() : g.w() + 2 * g.padW();
    }

    SimdShiftedConv(ConvGeometry g) {
        this.g = g;
        hp = (int) ceilDiv(g.h() + 2L * g.padH(), g.strideH());
        wp = planeWidth(g);
        q = g.outH() * wp;
        cpg = g.cPerGroup();
        opg = g.oPerGroup();
        kk = cpg * g.kh() * g.kw();
        phaseIndex = new int[g.strideH() * g.strideW()];
        Arrays.fill(phaseIndex, -1);
        int n = 0;
        for (int ki = 0; ki < g.kh(); ki++) {
            for (int kj = 0; kj < g.kw(); kj++) {
                int ph = phaseOf(ki, kj);
                if (phaseIndex[ph] < 0) {
                    phaseIndex[ph] = n++;
                }
            }
        }
        phases = new int[n];
        for (int ph = 0; ph < phaseIndex.length; ph++) {
            if (phaseIndex[ph] >= 0) {
                phases[phaseIndex[ph]] = ph;
            }
        }
        one = planes(1);
        allRows = List.of(new Segment(0, g.outH(), allTaps()));
        rowSegments = rowSegments();
        if (channelsLastWeightGrad(g)) {
            // the padded input itself, not phase planes: with stride s a kernel row's taps still lie side by side
            lastWidth = strideOneWidth(g);
            lastPos = new int[g.h() * g.w()];
            for (int i = 0; i < lastPos.length; i++) {
                lastPos[i] = ((i / g.w() + g.padH()) * lastWidth + i % g.w() + g.padW()) * cpg;
            }
            // the last position's last tap reads up to ((H + 2·padH)·Wl + padW)·C/groups − 1; images −1 tells this
            // layout from the forward's, so a buffer switched between them is zeroed again
            lastLayout = new Layout(g, -1, ((g.h() + 2 * g.padH()) * lastWidth + g.padW()) * cpg);
        } else {
            lastWidth = 0;
            lastPos = null;
            lastLayout = null;
        }
        channelRows = new int[16];
        for (int j = 0; j < 16; j++) {
            channelRows[j] = j * g.h() * g.w();
        }
    }

    /**
     * Whether the weight gradient reads a channels-last copy of the padded input: dilation 1, so that a kernel
     * row's taps (kj, c) are one run of {@code kW·C/groups} floats at every position, in blocks that are whole
     * micro-kernel tiles. Its rows of gwᵀ are then ordered (ki, kj, c) ({@link #tapMajor}). Any stride: output
     * position (oy, ox) reads its runs at padded (sH·oy + ki, sW·ox), so positions lie {@code sW·C/groups} floats
     * apart and output rows {@code sH·Wl/sW} positions apart, which must be whole.
     */
    static boolean channelsLastWeightGrad(ConvGeometry g) {
        long wl = strideOneWidth(g);
        return g.dilationH() == 1 && g.dilationW() == 1
                && (long) g.kw() * g.cPerGroup() % SimdGemm.MR == 0
                && g.strideH() * wl % g.strideW() == 0
                && g.strideH() * wl / g.strideW() >= g.outW()
                && ((g.h() + 2L * g.padH()) * wl + g.padW()) * g.cPerGroup() < Integer.MAX_VALUE;
    }

    /** Whether {@link #weightGradT}'s rows are ordered (ki, kj, c) rather than (c, ki, kj). */
    boolean tapMajor() {
        return lastPos != null;
    }

    private int phaseOf(int ki, int kj) {
        return ki * g.dilationH() % g.strideH() * g.strideW() + kj * g.dilationW() % g.strideW();
    }

    /**
     * The planes of {@code images} images with their rows interleaved, {@code P[c][phase][Y][image][X]}: a row of
     * all images is {@code row} floats, a phase plane {@code plane}, a channel's phases {@code chan}; the buffer is
     * {@code length} long (the planes plus the slack that the last panels read past them), and tap p's window
     * starts at {@code koff[p]}.
     */
    private record Planes(int row, int plane, int chan, int length, int[] koff, Layout layout) {}

    private Planes planes(int images) {
        int row = images * wp;
        int plane = hp * row;
        int chan = phases.length * plane;
        // the last panel reads up to max(koff) + roundUp(OH·row, NR) − 1 < cpg·chan + ⌊(kw − 1)·dW/sW⌋ + NR, since
        // OH + ⌊(kh − 1)·dH/sH⌋ ≤ hp
        int length = cpg * chan + (g.kw() - 1) * g.dilationW() / g.strideW() + SimdGemm.NR;
        int[] ko = new int[kk];
        int p = 0;
        for (int c = 0; c < cpg; c++) {
            for (int ki = 0; ki < g.kh(); ki++) {
                for (int kj = 0; kj < g.kw(); kj++) {
                    ko[p++] = c * chan + phaseIndex[phaseOf(ki, kj)] * plane
                            + ki * g.dilationH() / g.strideH() * row + kj * g.dilationW() / g.strideW();
                }
            }
        }
        return new Planes(row, plane, chan, length, ko, new Layout(g, images, length));
    }

    private int[] allTaps() {
        int[] t = new int[kk];
        for (int p = 0; p < kk; p++) {
            t[p] = p;
        }
        return t;
    }

    /**
     * Output rows {@code oy0..oy1} and the taps p = (c, ki, kj) whose kernel row ki reads inside the input for
     * all of them; the other taps read only the zero padding of those rows.
     */
    private record Segment(int oy0, int oy1, int[] taps) {}

    /** Maximal runs of output rows with the same kernel rows inside the input. */
    private List<Segment> rowSegments() {
        List<Segment> segs = new ArrayList<>();
        int oy0 = 0;
        long mask0 = kernelRowsInside(0);
        for (int oy = 1; oy <= g.outH(); oy++) {
            long mask = oy < g.outH() ? kernelRowsInside(oy) : -1;
            if (oy == g.outH() || mask != mask0) {
                segs.add(new Segment(oy0, oy, tapsOf(mask0)));
                oy0 = oy;
                mask0 = mask;
            }
        }
        return segs;
    }

    /** Bit ki set when kernel row ki of output row oy reads input row {@code oy·sH − padH + ki·dH} inside 0..H. */
    private long kernelRowsInside(int oy) {
        if (g.kh() > 64) {
            // more kernel rows than bits: keep every tap
            return -1;
        }
        long mask = 0;
        for (int ki = 0; ki < g.kh(); ki++) {
            long iy = (long) oy * g.strideH() - g.padH() + (long) ki * g.dilationH();
            if (iy >= 0 && iy < g.h()) {
                mask |= 1L << ki;
            }
        }
        return mask;
    }

    private int[] tapsOf(long mask) {
        int[] t = new int[kk];
        int n = 0;
        for (int p = 0; p < kk; p++) {
            int ki = p / g.kw() % g.kh();
            if (g.kh() > 64 || (mask & (1L << ki)) != 0) {
                t[n++] = p;
            }
        }
        return Arrays.copyOf(t, n);
    }

    /**
     * The weights packed for {@link #forward}: per group and row segment, the rows of W for that segment's taps.
     * Dropping the taps that read only padding removes a zero term {@code 0·w} from each FMA chain, which leaves
     * the sum unchanged for finite w (up to the sign of a zero result); with a non-finite weight, {@code 0·w} is
     * NaN, so then every tap is kept, as im2col would.
     */
    record PackedWeights(List<Segment> segments, float[][][] a) {}

    PackedWeights packWeights(float[] w, int wOff, boolean finite) {
        List<Segment> segs = finite ? rowSegments : allRows;
        float[][][] a = new float[g.groups()][segs.size()][];
        for (int gr = 0; gr < g.groups(); gr++) {
            int base = wOff + gr * opg * kk;
            float[] full = null;
            for (int s = 0; s < segs.size(); s++) {
                int[] taps = segs.get(s).taps();
                if (taps.length == kk) {
                    full = full != null ? full : packTaps(w, base, opg, kk, taps);
                    a[gr][s] = full;
                } else if (taps.length > 0) {
                    a[gr][s] = packTaps(w, base, opg, kk, taps);
                }
            }
        }
        return new PackedWeights(segs, a);
    }

    /**
     * The columns {@code taps} of the weights {@code (opg × kk at base)} packed as a product's A: all of them in
     * place, a subset copied out first.
     */
    static float[] packTaps(float[] w, int base, int opg, int kk, int[] taps) {
        int t = taps.length;
        if (t == kk) {
            return SimdGemm.packAllA(false, opg, kk, w, base, kk);
        }
        float[] sub = new float[opg * t];
        for (int o = 0; o < opg; o++) {
            for (int i = 0; i < t; i++) {
                sub[o * t + i] = w[base + o * kk + taps[i]];
            }
        }
        return SimdGemm.packAllA(false, opg, t, sub, 0, t);
    }

    /**
     * Images per forward product, from the sizes only: one when output rows are whole panels (the product writes
     * the output in place); otherwise enough that the product has about {@link #FORWARD_COLS} columns, so the
     * part-filled last panel and the per-product costs of a small map are shared by several images, spread evenly
     * over the batch.
     */
    int imagesPerProduct() {
        if (g.outW() % SimdGemm.NR == 0 || g.n() <= 1) {
            return 1;
        }
        int per = (int) Math.min(g.n(), (FORWARD_COLS + q - 1) / q);
        // the interleaved planes and the product's output must stay within an array
        long perImage = Math.max((long) cpg * phases.length * hp * wp, (long) opg * q);
        per = (int) Math.max(1, Math.min(per, (Integer.MAX_VALUE / 2) / perImage));
        int products = (g.n() + per - 1) / per;
        return (g.n() + products - 1) / products;
    }

    /**
     * Images {@code b0..b0+nb} of group gr: x at {@code xOff} ({@code N × C × H × W}), the weights from
     * {@link #packWeights}, bias at {@code bOff} or null, output at {@code outOff} ({@code N × O × OH × OW}),
     * overwritten. Output rows of whole panels ({@code nb == 1}): the product numbers real positions only and
     * writes the output directly. Otherwise the images' plane rows are interleaved, so that position
     * {@code q = oy·nb·Wp + b·Wp + ox} reads {@code P[koff[p] + q]}: one product over {@code OH·nb·Wp} columns,
     * whose valid columns are copied out. Each output element is the same FMA chain either way (over the taps in
     * ascending order), so the images per product do not change a bit.
     */
    void forward(float[] x, int xOff, int b0, int nb, int gr, PackedWeights pw, float[] bias, int bOff, float[] out,
                 int outOff) {
        int ow = g.outW();
        int oh = g.outH();
        int ohw = oh * ow;
        int hw = g.h() * g.w();
        int bBase = bOff + gr * opg;
        if (ow % SimdGemm.NR == 0) {
            for (int b = b0; b < b0 + nb; b++) {
                float[] p = PADDED.get().get(one.layout(), one.length());
                fill(x, xOff + (b * g.c() + gr * cpg) * hw, p, one, 0);
                int cBase = outOff + (b * g.outChannels() + gr * opg) * ohw;
                if (ohw % ALIASED_PLANE == 0) {
                    // output planes a multiple of 2 KiB apart put the tile's 12 rows of C in one or two L1 sets;
                    // a product on rows 16 floats longer, copied out, was 2-4% faster (64 channels at 32x32 and
                    // 64x64, batch 64 and 16, one thread)
                    int ld = ohw + ROW_SKEW;
                    float[] c = ConvKernels.floatScratch(ROWS, opg * ld);
                    fillBias(c, 0, ld, bias, bBase);
                    product(pw, gr, p, one.koff(), wp, ow, wp, ow, c, 0, ld, bias != null);
                    for (int o = 0; o < opg; o++) {
                        System.arraycopy(c, o * ld, out, cBase + o * ohw, ohw);
                    }
                    continue;
                }
                fillBias(out, cBase, ohw, bias, bBase);
                product(pw, gr, p, one.koff(), wp, ow, wp, ow, out, cBase, ohw, bias != null);
            }
            return;
        }
        Planes pl = nb == 1 ? one : planes(nb);
        float[] p = PADDED.get().get(pl.layout(), pl.length());
        for (int b = 0; b < nb; b++) {
            fill(x, xOff + ((b0 + b) * g.c() + gr * cpg) * hw, p, pl, b);
        }
        int row = pl.row();
        int cols = oh * row;
        float[] c = ConvKernels.floatScratch(ROWS, opg * cols);
        fillBias(c, 0, cols, bias, bBase);
        product(pw, gr, p, pl.koff(), row, cols, cols, row, c, 0, cols, bias != null);
        for (int b = 0; b < nb; b++) {
            for (int o = 0; o < opg; o++) {
                copyRows(c, o * cols + b * wp, row, out, outOff + ((b0 + b) * g.outChannels() + gr * opg + o) * ohw,
                        ow, oh, ow);
            }
        }
    }

    private void fillBias(float[] c, int cBase, int cols, float[] bias, int bBase) {
        if (bias != null) {
            for (int o = 0; o < opg; o++) {
                Arrays.fill(c, cBase + o * cols, cBase + (o + 1) * cols, bias[bBase + o]);
            }
        }
    }

    /**
     * {@code C (+)= W·B} segment by segment: output row oy's columns start at {@code cBase + oy·rowCols} and its
     * windows at {@code P[koff[p] + oy·rowX + …]}, with {@code rowLen}/{@code rowStride} as in
     * {@link SimdGemm#sgemmShiftedB} within a segment.
     */
    private void product(PackedWeights pw, int gr, float[] p, int[] ko, int rowX, int rowLen, int rowStride,
                         int rowCols, float[] c, int cBase, int ldc, boolean accumulate) {
        List<Segment> segs = pw.segments();
        for (int s = 0; s < segs.size(); s++) {
            Segment sg = segs.get(s);
            int n = (sg.oy1() - sg.oy0()) * rowCols;
            int col0 = cBase + sg.oy0() * rowCols;
            int t = sg.taps().length;
            if (t == 0) {
                if (!accumulate) {
                    for (int o = 0; o < opg; o++) {
                        Arrays.fill(c, col0 + o * ldc, col0 + o * ldc + n, 0f);
                    }
                }
                continue;
            }
            int[] segKoff = ko;
            if (t < kk) {
                segKoff = new int[t];
                for (int i = 0; i < t; i++) {
                    segKoff[i] = ko[sg.taps()[i]];
                }
            }
            SimdGemm.sgemmShiftedB(opg, n, t, pw.a()[gr][s], p, sg.oy0() * rowX, segKoff,
                    rowLen == rowStride ? n : rowLen, rowLen == rowStride ? n : rowStride, c, col0, ldc, accumulate);
        }
    }

    /**
     * Adds (or, when {@code !accumulate}, writes) image b's weight gradient, transposed, to gwT: group gr's
     * {@code kk × O/groups} block at {@code tOff + gr·kk·O/groups}, tap p and channel o at
     * {@code + p·O/groups + o}. The product runs over the real output positions in ascending order, the taps'
     * windows of the padded planes as its left operand ({@link SimdGemm#sgemmWindowsA}, rows of OW positions Wp
     * apart) and the output gradient as it is stored as its right: each element is the chain im2col followed by
     * the GEMM computes. With
     * {@link #tapMajor} the windows come from a channels-last copy of the padded input, gwT's rows ordered
     * (ki, kj, c), with the same chains.
     */
    void weightGradT(float[] gOut, int gOff, float[] x, int xOff, int b, float[] gwT, int tOff,
                     boolean accumulate) {
        int hw = g.h() * g.w();
        int ohw = g.outH() * g.outW();
        if (lastPos != null) {
            for (int gr = 0; gr < g.groups(); gr++) {
                float[] p = PADDED.get().get(lastLayout, lastLayout.length());
                fillChannelsLast(x, xOff + (b * g.c() + gr * cpg) * hw, p);
                SimdGemm.sgemmWindowsRowsA(kk, opg, ohw, p, 0, g.kw() * cpg, lastWidth * cpg, g.strideW() * cpg,
                        g.outW(), g.strideH() * lastWidth / g.strideW(), gOut,
                        gOff + (b * g.outChannels() + gr * opg) * ohw, ohw, gwT, tOff + gr * kk * opg, opg,
                        accumulate);
            }
            return;
        }
        for (int gr = 0; gr < g.groups(); gr++) {
            float[] p = PADDED.get().get(one.layout(), one.length());
            fill(x, xOff + (b * g.c() + gr * cpg) * hw, p, one, 0);
            SimdGemm.sgemmWindowsA(kk, opg, ohw, p, one.koff(), g.outW(), wp, gOut,
                    gOff + (b * g.outChannels() + gr * opg) * ohw, ohw, gwT, tOff + gr * kk * opg, opg, accumulate);
        }
    }

    /**
     * Copies one (image, group) slice of x at {@code xBase} ({@code C/groups × H × W}) into image slot
     * {@code slot} of planes {@code pl}: the element at padded position {@code (Y, X) = (iy + padH, ix + padW)} goes
     * to phase {@code (Y mod sH, X mod sW)} at {@code (Y / sH, X / sW)}. Everything else keeps the zeros of the
     * layout.
     */
    private void fill(float[] x, int xBase, float[] p, Planes pl, int slot) {
        int h = g.h();
        int w = g.w();
        int sh = g.strideH();
        int sw = g.strideW();
        int row = pl.row();
        for (int i = 0; i < phases.length; i++) {
            int a = phases[i] / sw;
            int b = phases[i] % sw;
            // plane columns X whose input column ix = X·sW + b − padW lies in 0..W
            int xLo = (int) Math.max(0, ceilDiv(g.padW() - b, sw));
            int xHi = (int) Math.min(wp, ceilDiv(w + g.padW() - b, sw));
            if (xHi <= xLo) {
                continue;
            }
            int ix0 = xLo * sw + b - g.padW();
            int len = xHi - xLo;
            // plane rows Y whose input row iy = Y·sH + a − padH lies in 0..H
            int yLo = (int) Math.max(0, ceilDiv(g.padH() - a, sh));
            int yHi = (int) Math.min(hp, ceilDiv(h + g.padH() - a, sh));
            int iy0 = yLo * sh + a - g.padH();
            for (int c = 0; c < cpg; c++) {
                int src = xBase + c * h * w + iy0 * w + ix0;
                int dst = c * pl.chan() + i * pl.plane() + yLo * row + slot * wp + xLo;
                if (sw == 1) {
                    copyRows(x, src, sh * w, p, dst, row, yHi - yLo, len);
                    continue;
                }
                for (int y = yLo; y < yHi; y++, src += sh * w, dst += row) {
                    int done = sw == 2 ? SimdPoolKernels.everyOther(x, src, p, dst, len) : 0;
                    for (int t = done; t < len; t++) {
                        p[dst + t] = x[src + t * sw];
                    }
                }
            }
        }
    }

    /**
     * Copies one (image, group) slice of x at {@code xBase} ({@code C/groups × H × W}) into the channels-last
     * padded plane p: input (c, iy, ix) to {@code p[((iy + padH)·Wl + ix + padW)·C/groups + c]}. Blocks of 16
     * channels × 16 positions are transposed in registers (the last block of each overlapping the one before);
     * padding keeps the layout's zeros.
     */
    private void fillChannelsLast(float[] x, int xBase, float[] p) {
        int hw = g.h() * g.w();
        if (S.length() != 16 || cpg < 16 || hw < 16) {
            for (int c = 0; c < cpg; c++) {
                for (int i = 0; i < hw; i++) {
                    p[lastPos[i] + c] = x[xBase + c * hw + i];
                }
            }
            return;
        }
        for (int c0 = 0; c0 < cpg; c0 += 16) {
            int c = Math.min(c0, cpg - 16);
            for (int i0 = 0; i0 < hw; i0 += 16) {
                int i = Math.min(i0, hw - 16);
                SimdGemm.transpose16(x, xBase + c * hw + i, channelRows, 0, p, c, 0, lastPos, i);
            }
        }
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
