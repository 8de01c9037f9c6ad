package dev.vgrad.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The scatter-add of a strided convolution's input gradient ({@code col2im} for stride > 1) without strided
 * accesses. Input element {@code (iy, ix)} with {@code iy = Y·sH + a}, {@code ix = X·sW + b} belongs to phase
 * {@code (a, b)}; tap {@code (ki, kj)} only ever reaches one phase, {@code (a, b) = ((ki·dH − padH) mod sH, (kj·dW −
 * padW) mod sW)}, at {@code (Y, X) = (oy + ⌊(ki·dH − padH)/sH⌋, ox + ⌊(kj·dW − padW)/sW⌋)}: a row of the column
 * matrix lands on a contiguous run of its phase plane. So each channel's taps are added into sH·sW zeroed phase
 * planes, a vector at a time, and the planes are then interleaved into the gradient, which is written whole (no
 * zero fill first). The planes have a border for the rows and columns that fall on padding; those sums are
 * dropped, as the scalar {@code col2im} skips them.
 *
 * <p>Same bits as {@code ConvKernels.col2im}: every element starts from +0 and adds its taps' terms in the same
 * order (ascending tap index), only the place where the partial sums wait differs. Only loaded when
 * {@link KernelProvider#simdEnabled()}.
 */
final class SimdStridedCol2im {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Two-vector selections that zip an even and an odd run: lanes e0 o0 e1 o1 … (low half, then high half). */
    private static final FloatVector ZIP_LO = zip(0);
    private static final FloatVector ZIP_HI = zip(L / 2);
    private static final ThreadLocal<float[]> PLANES = ThreadLocal.withInitial(() -> new float[0]);

    private final ConvGeometry g;
    /** Top row and left column of a phase plane, in phase coordinates (negative: border for padding). */
    private final int rowMin;
    private final int colMin;
    /** Rows and row length of one phase plane (the length rounded up for full-vector reads). */
    private final int rows;
    private final int pitch;
    private final int plane;
    /** Per tap {@code ki·kW + kj}: where its (oy, ox) = (0, 0) term lands in the channel's planes. */
    private final int[] tapStart;

    private static FloatVector zip(int from) {
        float[] ix = new float[L];
        for (int j = 0; j < L; j++) {
            ix[j] = (j & 1) == 0 ? from + j / 2 : L + from + j / 2;
        }
        return FloatVector.fromArray(S, ix, 0);
    }

    /**
     * Whether this path serves g: a stride above one, taps that reach every phase (otherwise most of the planes
     * would be zeros copied into place: a 1×1 stride-2 convolution took 3.5 ms this way against 2.7 ms for the
     * strided scatter, 32→64 channels at 28×28, batch 128), and planes that fit an array.
     */
    static boolean applies(ConvGeometry g) {
        if (g.strideH() == 1 && g.strideW() == 1) {
            return false;
        }
        boolean[] reached = new boolean[g.strideH() * g.strideW()];
        int count = 0;
        for (int ki = 0; ki < g.kh(); ki++) {
            for (int kj = 0; kj < g.kw(); kj++) {
                int ph = phaseOf(g, ki, kj);
                if (!reached[ph]) {
                    reached[ph] = true;
                    count++;
                }
            }
        }
        if (count < reached.length) {
            return false;
        }
        long rows = g.outH() + (long) ((g.kh() - 1) * g.dilationH() + g.padH()) / g.strideH() + 2;
        long cols = g.outW() + (long) ((g.kw() - 1) * g.dilationW() + g.padW()) / g.strideW() + 2 + 2L * L;
        return (long) g.strideH() * g.strideW() * rows * cols < Integer.MAX_VALUE / 2;
    }

    /** The phase {@code a·sW + b} that tap (ki, kj) reaches (its input row ≡ a mod sH, column ≡ b mod sW). */
    private static int phaseOf(ConvGeometry g, int ki, int kj) {
        return Math.floorMod(ki * g.dilationH() - g.padH(), g.strideH()) * g.strideW()
                + Math.floorMod(kj * g.dilationW() - g.padW(), g.strideW());
    }

    SimdStridedCol2im(ConvGeometry g) {
        this.g = g;
        int sh = g.strideH();
        int sw = g.strideW();
        // a tap's shift ⌊(k·d − pad)/s⌋ grows with k: the first and last taps bound it
        int rMin = Math.floorDiv(-g.padH(), sh);
        int rMax = Math.max(0, Math.floorDiv((g.kh() - 1) * g.dilationH() - g.padH(), sh));
        int cMin = Math.floorDiv(-g.padW(), sw);
        int cMax = Math.max(0, Math.floorDiv((g.kw() - 1) * g.dilationW() - g.padW(), sw));
        // every target row and column, and every row and column the interleave reads
        int lastRow = Math.max(g.outH() - 1 + rMax, (g.h() - 1) / sh);
        int lastCol = Math.max(g.outW() - 1 + cMax, (g.w() - 1) / sw);
        rowMin = rMin;
        colMin = cMin;
        rows = lastRow - rMin + 1;
        pitch = lastCol - cMin + 1 + L;
        plane = rows * pitch;
        tapStart = new int[g.kh() * g.kw()];
        for (int ki = 0; ki < g.kh(); ki++) {
            int oi = ki * g.dilationH() - g.padH();
            for (int kj = 0; kj < g.kw(); kj++) {
                int oj = kj * g.dilationW() - g.padW();
                tapStart[ki * g.kw() + kj] = phaseOf(g, ki, kj) * plane + (Math.floorDiv(oi, sh) - rowMin) * pitch
                        + Math.floorDiv(oj, sw) - colMin;
            }
        }
    }

    /**
     * gx's {@code C/groups} channel planes at {@code gxBase} = the scatter-add of one image's column matrix (row
     * {@code r} = tap {@code (c, ki, kj)} at {@code colOff + r·ld}, OH·OW positions): overwritten, every element.
     */
    void col2im(float[] col, int colOff, int ld, float[] gx, int gxBase) {
        int phases = g.strideH() * g.strideW();
        int len = phases * plane + 2 * L;
        float[] buf = PLANES.get();
        if (buf.length < len) {
            buf = new float[len];
            PLANES.set(buf);
        }
        int taps = g.kh() * g.kw();
        int oh = g.outH();
        int ow = g.outW();
        int hw = g.h() * g.w();
        for (int c = 0; c < g.cPerGroup(); c++) {
            java.util.Arrays.fill(buf, 0, len, 0f);
            for (int t = 0; t < taps; t++) {
                int src = colOff + (c * taps + t) * ld;
                int dst = tapStart[t];
                for (int oy = 0; oy < oh; oy++) {
                    addRun(col, src + oy * ow, buf, dst + oy * pitch, ow);
                }
            }
            interleave(buf, gx, gxBase + c * hw);
        }
    }

    /** {@code dst[d..d+n) += src[s..s+n)}; the last partial vector is masked (a column past the run may be one
     * that no tap reaches, which must stay zero). */
    private static void addRun(float[] src, int s, float[] dst, int d, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(S, dst, d + i).add(FloatVector.fromArray(S, src, s + i)).intoArray(dst, d + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, dst, d + i, m).add(FloatVector.fromArray(S, src, s + i, m))
                    .intoArray(dst, d + i, m);
        }
    }

    /** gx's plane at {@code out} (H × W, overwritten) from the phase planes. */
    private void interleave(float[] buf, float[] gx, int out) {
        int h = g.h();
        int w = g.w();
        int sh = g.strideH();
        int sw = g.strideW();
        int iy = 0;
        for (int y = -rowMin; iy < h; y++) {
            for (int a = 0; a < sh && iy < h; a++, iy++) {
                int rowStart = a * sw * plane + y * pitch - colMin;
                int o = out + iy * w;
                if (sw == 2) {
                    zipRow(buf, rowStart, rowStart + plane, gx, o, w);
                } else {
                    for (int b = 0; b < sw; b++) {
                        int p = rowStart + b * plane;
                        for (int x = 0, ix = b; ix < w; x++, ix += sw) {
                            gx[o + ix] = buf[p + x];
                        }
                    }
                }
            }
        }
    }

    /** {@code gx[o + 2X] = buf[even + X]}, {@code gx[o + 2X + 1] = buf[odd + X]} for {@code 2X(+1) < w}. */
    private static void zipRow(float[] buf, int even, int odd, float[] gx, int o, int w) {
        int ix = 0;
        for (int x = 0; ix < w; x += L, ix += 2 * L) {
            FloatVector e = FloatVector.fromArray(S, buf, even + x);
            FloatVector d = FloatVector.fromArray(S, buf, odd + x);
            FloatVector lo = ZIP_LO.selectFrom(e, d);
            FloatVector hi = ZIP_HI.selectFrom(e, d);
            if (ix + 2 * L <= w) {
                lo.intoArray(gx, o + ix);
                hi.intoArray(gx, o + ix + L);
            } else {
                lo.intoArray(gx, o + ix, S.indexInRange(ix, w));
                if (ix + L < w) {
                    hi.intoArray(gx, o + ix + L, S.indexInRange(ix + L, w));
                }
            }
        }
    }
}
