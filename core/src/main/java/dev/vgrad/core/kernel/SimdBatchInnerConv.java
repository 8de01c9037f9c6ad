package dev.vgrad.core.kernel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Forward of a stride-1 convolution over small maps (output rows of at most {@link #MAX_OW} positions) with the
 * images innermost (SIMD path): a group of nb images is copied once into zero-padded planes
 * {@code P[c][yp][xp][b]} ({@code Hp × Wp × nb} per channel, {@code Wp = W + 2·padW}), so output position
 * {@code q = (oy·Wp + ox)·nb + b} and tap {@code p = (c, ki, kj)} read {@code P[koff[p] + q]} with
 * {@code koff[p] = c·Hp·Wp·nb + (ki·dH·Wp + kj·dW)·nb}: the im2col rows are again shifted windows of one array
 * ({@link SimdGemm#sgemmShiftedB}). Because the nb images of one position are adjacent, the positions of one output
 * row that share the same kernel rows and columns inside the input form one contiguous run of columns: each run is
 * its own product over exactly those taps, so no tap that reads padding and no garbage column is computed (on a
 * 7×7 map with padding 1, 18% of im2col's multiply-adds read padding). A product per (output row, run of columns),
 * each with at least nb columns.
 *
 * <p>Every output element is the same FMA chain as im2col + GEMM minus the exact zero terms {@code 0·w} of the
 * padding taps: the same values for finite weights (a zero result may differ in sign), which is why callers take
 * this path only when every weight is finite.
 */
final class SimdBatchInnerConv {
    /**
     * Widest output row taken. Wider rows have fewer padding taps, and a product per edge column costs more than it
     * saves: at 14×14 (64→64, batch 128, one thread) this path took 22.3 ms against {@link SimdShiftedConv}'s 20.4;
     * at 7×7 (128→128) 17.7 against 20.0.
     */
    static final int MAX_OW = 8;
    private static final int MIN_K = 32;
    private static final int MIN_IMAGES = 8;
    /** Columns aimed at for a run of interior positions (OW − 2 positions of nb images). */
    private static final int RUN_COLS = 384;

    /** What decides where a planes buffer's zeros are. */
    private record Layout(ConvGeometry g, int images) {}

    private static final ThreadLocal<SimdShiftedConv.Framed> PLANES =
            ThreadLocal.withInitial(SimdShiftedConv.Framed::new);
    private static final ThreadLocal<float[]> OUT = ThreadLocal.withInitial(() -> new float[0]);

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** {@code {0, stride, 2·stride, …}}: one lane per image, images {@code stride} floats apart. */
    private static int[] acrossImages(int stride) {
        int[] ix = new int[L];
        for (int j = 0; j < L; j++) {
            ix[j] = j * stride;
        }
        return ix;
    }

    private final ConvGeometry g;
    private final int hp;
    private final int wp;
    private final int kk;
    private final int cpg;
    private final int opg;
    /** Runs of output positions, the same for every group of images. */
    private final List<Run> runs;

    /** Output row oy, columns {@code ox0..ox1}, and the taps inside the input for all of them. */
    private record Run(int oy, int ox0, int ox1, long key, int[] taps) {}

    /**
     * Whether {@code g}'s forward takes this path: stride 1, small output rows, enough taps and images, at most 32
     * kernel rows and columns, and sizes whose buffers fit in arrays. Callers check
     * {@link KernelProvider#simdEnabled()} and that every weight is finite.
     */
    static boolean applies(ConvGeometry g) {
        if (g.strideH() != 1 || g.strideW() != 1 || g.oPerGroup() == 0 || g.outH() == 0 || g.outW() == 0
                || g.outW() > MAX_OW || g.outW() % SimdGemm.NR == 0 || g.n() < MIN_IMAGES
                || g.kh() > 32 || g.kw() > 32) {
            return false;
        }
        long kk = (long) g.cPerGroup() * g.kh() * g.kw();
        long plane = (g.h() + 2L * g.padH()) * (g.w() + 2L * g.padW());
        long images = imagesPerProduct(g);
        return kk >= MIN_K && g.cPerGroup() * plane * images + SimdGemm.NR < Integer.MAX_VALUE / 2
                && (long) g.oPerGroup() * plane * images < Integer.MAX_VALUE / 2;
    }

    /** Images per group, from the sizes only: a run of interior positions of about {@link #RUN_COLS} columns. */
    static int imagesPerProduct(ConvGeometry g) {
        int interior = Math.max(1, g.outW() - 2);
        int per = Math.max(MIN_IMAGES, (RUN_COLS + interior - 1) / interior);
        per = Math.min(per, g.n());
        int groups = (g.n() + per - 1) / per;
        return (g.n() + groups - 1) / groups;
    }

    SimdBatchInnerConv(ConvGeometry g) {
        this.g = g;
        hp = g.h() + 2 * g.padH();
        wp = g.w() + 2 * g.padW();
        cpg = g.cPerGroup();
        opg = g.oPerGroup();
        kk = cpg * g.kh() * g.kw();
        runs = new ArrayList<>();
        for (int oy = 0; oy < g.outH(); oy++) {
            long rows = inside(oy - g.padH(), g.dilationH(), g.kh(), g.h());
            int ox0 = 0;
            long cols0 = inside(-g.padW(), g.dilationW(), g.kw(), g.w());
            for (int ox = 1; ox <= g.outW(); ox++) {
                long cols = ox < g.outW() ? inside(ox - g.padW(), g.dilationW(), g.kw(), g.w()) : -1;
                if (ox == g.outW() || cols != cols0) {
                    long key = rows << 32 | cols0;
                    runs.add(new Run(oy, ox0, ox, key, taps(rows, cols0)));
                    ox0 = ox;
                    cols0 = cols;
                }
            }
        }
    }

    /** Bit k set when {@code start + k·d} lies in {@code 0..size}, k below n (n ≤ 32). */
    private static long inside(int start, int d, int n, int size) {
        long mask = 0;
        for (int k = 0; k < n; k++) {
            long i = start + (long) k * d;
            if (i >= 0 && i < size) {
                mask |= 1L << k;
            }
        }
        return mask;
    }

    private int[] taps(long rows, long cols) {
        int[] t = new int[kk];
        int n = 0;
        for (int p = 0; p < kk; p++) {
            int ki = p / g.kw() % g.kh();
            int kj = p % g.kw();
            if ((rows >> ki & 1) != 0 && (cols >> kj & 1) != 0) {
                t[n++] = p;
            }
        }
        return Arrays.copyOf(t, n);
    }

    /** Per group, the weights of each distinct tap set packed as the product's A, keyed like {@link Run#key}. */
    List<Map<Long, float[]>> packWeights(float[] w, int wOff) {
        List<Map<Long, float[]>> packed = new ArrayList<>();
        for (int gr = 0; gr < g.groups(); gr++) {
            Map<Long, float[]> m = new HashMap<>();
            int base = wOff + gr * opg * kk;
            for (Run r : runs) {
                if (r.taps().length > 0 && !m.containsKey(r.key())) {
                    m.put(r.key(), SimdShiftedConv.packTaps(w, base, opg, kk, r.taps()));
                }
            }
            packed.add(m);
        }
        return packed;
    }

    /**
     * Images {@code b0..b0+nb} of group gr: x at {@code xOff} ({@code N × C × H × W}), bias at {@code bOff} or null,
     * output at {@code outOff} ({@code N × O × OH × OW}), overwritten.
     */
    void forward(float[] x, int xOff, int b0, int nb, int gr, List<Map<Long, float[]>> packed, float[] bias,
                 int bOff, float[] out, int outOff) {
        int h = g.h();
        int w = g.w();
        int plane = hp * wp * nb;
        float[] p = PLANES.get().get(new Layout(g, nb), cpg * plane + SimdGemm.NR);
        // image b's element lands nb floats after image b − 1's: a gather across the images per input element
        int chw = g.c() * h * w;
        int[] across = acrossImages(chw);
        int whole = nb - nb % L;
        for (int c = 0; c < cpg; c++) {
            int src0 = xOff + (b0 * g.c() + gr * cpg + c) * h * w;
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    int src = src0 + y * w + xx;
                    int dst = c * plane + ((y + g.padH()) * wp + xx + g.padW()) * nb;
                    for (int b = 0; b < whole; b += L) {
                        FloatVector.fromArray(S, x, src + b * chw, across, 0).intoArray(p, dst + b);
                    }
                    for (int b = whole; b < nb; b++) {
                        p[dst + b] = x[src + b * chw];
                    }
                }
            }
        }
        int[] koff = new int[kk];
        for (int q = 0; q < kk; q++) {
            int c = q / (g.kh() * g.kw());
            int ki = q / g.kw() % g.kh();
            int kj = q % g.kw();
            koff[q] = c * plane + (ki * g.dilationH() * wp + kj * g.dilationW()) * nb;
        }
        int cols = g.outH() * wp * nb;
        float[] c = ConvKernels.floatScratch(OUT, opg * cols);
        Map<Long, float[]> a = packed.get(gr);
        for (Run r : runs) {
            int q0 = (r.oy() * wp + r.ox0()) * nb;
            int n = (r.ox1() - r.ox0()) * nb;
            int t = r.taps().length;
            for (int o = 0; o < opg; o++) {
                Arrays.fill(c, o * cols + q0, o * cols + q0 + n, bias == null ? 0f : bias[bOff + gr * opg + o]);
            }
            if (t == 0) {
                continue;
            }
            int[] ko = new int[t];
            for (int i = 0; i < t; i++) {
                ko[i] = koff[r.taps()[i]];
            }
            SimdGemm.sgemmShiftedB(opg, n, t, a.get(r.key()), p, q0, ko, n, n, c, q0, cols, true);
        }
        int ohw = g.outH() * g.outW();
        int ochw = g.outChannels() * ohw;
        int[] outAcross = acrossImages(ochw);
        for (int o = 0; o < opg; o++) {
            for (int oy = 0; oy < g.outH(); oy++) {
                for (int ox = 0; ox < g.outW(); ox++) {
                    int src = o * cols + (oy * wp + ox) * nb;
                    int dst = outOff + (b0 * g.outChannels() + gr * opg + o) * ohw + oy * g.outW() + ox;
                    for (int b = 0; b < whole; b += L) {
                        FloatVector.fromArray(S, c, src + b).intoArray(out, dst + b * ochw, outAcross, 0);
                    }
                    for (int b = whole; b < nb; b++) {
                        out[dst + b * ochw] = c[src + b];
                    }
                }
            }
        }
    }
}
