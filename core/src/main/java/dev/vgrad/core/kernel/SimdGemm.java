package dev.vgrad.core.kernel;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API SGEMM (BLIS-style packed panels). Arguments are validated by {@link Gemm}.
 *
 * <pre>
 * several M blocks (m > MC):
 *   for jc in N by NC:                          // NC bounds the packed B block (k × NC floats)
 *     pack B(0:k, jc block) into KC×NR panels   // all K blocks at once, fixed chunks, shared by the threads
 *     parallel for ic in M by MC:               // fixed blocks from the sizes only; no barrier inside
 *       for pc in K by KC:
 *         pack A(ic block, pc block) into MR-tall panels (per thread)
 *         for jr in NR panels: for ir in MR panels: micro-kernel MR x NR
 * one M block (m <= MC):
 *   parallel for fixed groups of NR panels:     // nothing shared: each thread packs its own A and B
 *     for pc in K by KC: pack A; for jr: pack the B micro-panel, then for ir: micro-kernel
 * </pre>
 *
 * An M block keeps its MC×NC block of C in L2 across the K blocks while B panels stream through; a B
 * micro-panel ({@code KC×NR}) is reused from L1 by every MR-row panel of the block. The micro-kernel keeps an
 * {@code MR×NR = 12×(2·VL)} tile of C in 24 vector registers and runs {@code c = broadcast(a).fma(b, c)} over the
 * K block (4- and 8-row variants serve edge panels of at most 4 or 8 rows, such as the last of m = 128). It starts
 * from the current value of C (or zero for the first K block when not accumulating), so every element of C is one
 * FMA chain over {@code p = 0..k-1}
 * in ascending order, whatever the blocking or the task split: results are bit-identical for any thread count.
 * Packing moves whole vectors (gathers for the strided side of a panel) and zero-pads edge panels so the hot
 * loop never masks; edge tiles go through a small buffer. Small products, and narrow ones up to 2²³ multiply-adds,
 * use a direct kernel without packing ({@link #direct(int, int, int)} says which and why).
 *
 * <p>B reaches the blocked loops through a panel packer ({@code BPanels}): a dense matrix, or the implicit
 * im2col matrix of a stride-1 convolution whose rows or columns are shifted windows of one padded input
 * ({@link #sgemmShiftedB}, used by {@link SimdShiftedConv}); {@link #sgemmWindowsA} reads such windows as the rows of
 * A without packing them.
 */
final class SimdGemm {
    private SimdGemm() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    static final int MR = 12;
    static final int NR = 2 * V;
    /**
     * Depth of a K block. 512 rather than 256 halves the loads and stores of C, whose block lives in L2, at the cost
     * of a 64 KiB B micro-panel read from L2 rather than L1: on Zen 5 one-thread sgemm 2048 ran at 181-186 GFLOP/s
     * against 148-178 (three alternating JVMs each), 1536 at 179-191 against 161-181, the MLP's first-layer product
     * about 4% faster; convolution within the noise.
     */
    static final int KC = 512;
    private static final int MC_MAX = 96;
    /** Most row panels for which {@link #sgemmShiftedB} reads its windows in place (see sgemmOneBlock). */
    private static final int IN_PLACE_PANELS = 3;
    /**
     * Upper bound, in floats, of the packed B block ({@code k × NC}); NC shrinks for very deep products, which also
     * keeps the MC×NC block of C in a 1 MiB L2 (Zen 5). At 2²² (NC = 2048 for k = 2048, a 768 KiB C block) a
     * one-thread sgemm of 1536-2560 ran at 139-166 GFLOP/s there; at 2²⁰ (NC = 512) at 161-178, and at two
     * threads within the noise (258-330 against 265-316); products with {@code n·k ≤ 2²⁰} do not change.
     */
    private static final int B_LIMIT = 1 << 20;
    /** Largest n and k, and work, of a product beyond m, n, k ≤ 64 that takes the direct kernel. */
    private static final int DIRECT_N = 64;
    private static final int DIRECT_K = 512;
    private static final long DIRECT_WORK = 1L << 23;
    /** Multiply-adds below which everything runs on the caller thread. */
    private static final long PARALLEL_MIN_WORK = 1L << 21;
    /** Lanes {@code 0..MR-1}: the rows of one A micro-panel. */
    private static final VectorMask<Float> MR_MASK = S.indexInRange(0, MR);
    /**
     * Two-vector permutes of {@link #transpose16}: blocks of s lanes from the first/second row of a pair. Int lanes:
     * with float index vectors each permute also converted its indices (a 16×16 block took 0.15-0.21 ns per
     * element against 0.12 with int indices, Zen 5).
     */
    private static final IntVector LO8 = swapIndex(8, false), HI8 = swapIndex(8, true);
    private static final IntVector LO4 = swapIndex(4, false), HI4 = swapIndex(4, true);
    private static final IntVector LO2 = swapIndex(2, false), HI2 = swapIndex(2, true);
    private static final IntVector LO1 = swapIndex(1, false), HI1 = swapIndex(1, true);

    /** Per-thread scratch. {@code b} is only used by the calling thread of an sgemm. */
    private static final class Scratch {
        float[] a = new float[0];
        float[] b = new float[0];
        final float[] tile = new float[MR * NR];
        final float[] panelB = new float[KC * NR];
        final int[] idx = new int[V];
        /** Row offsets {@code j·ldb} of a transposed dense B panel, for {@link #packBRows}. */
        final int[] rowOff = new int[NR];
        /** Bᵀ copied to k×n for the direct kernel. */
        float[] direct = new float[0];
        /** Packed Bᵀ panels of {@link #sgemmWindowsA}: every panel of one K block. */
        float[] windowB = new float[0];
        final int[] windowBase = new int[MR];

        /**
         * Room for the packed A panels of {@code rows} rows and one K block, plus a vector of slack so that
         * {@link #transpose16}'s masked stores stay on the fast path at the end.
         */
        float[] panelA(int rows) {
            int need = roundUp(rows, MR) * KC + V;
            if (a.length < need) {
                a = new float[Math.max(need, roundUp(MC_MAX, MR) * KC + V)];
            }
            return a;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * Where op(B) comes from: packs the NR-wide panels {@code [panel0, panel1)} of rows {@code p0..p0+kc},
     * columns {@code j0..j0+nc} into {@code bp} (panel q at {@code base + q·NR·kc}, {@code kc×NR} each). Columns
     * past {@code nc} are zero for a dense B; an implicit B may fill them with any finite or non-finite values,
     * because the tiles never copy those columns into C.
     */
    @FunctionalInterface
    private interface BPanels {
        void pack(int p0, int kc, int j0, int nc, int panel0, int panel1, float[] bp, int base, Scratch s);
    }

    /**
     * Whether {@link #sgemm} takes the direct kernel: every product with m, n, k ≤ 64 (packing would cost more than
     * it saves), and those with n a multiple of the vector length up to 64, k ≤ 512 and at most 2²³ multiply-adds,
     * where it runs about as fast as the blocked path (no packing, but a 4×2-vector tile instead of 12×2; measured on
     * 512×64×64, 1024×64×64 and 64×64×512: 1.02–1.30× at one thread, 1.08–1.41× at two; a transposed B costs a
     * copy, so 128×64×128 with B transposed runs at 0.84–0.88× at one thread, 0.96–0.99× at two). Why route
     * them here even at equal speed: a program whose products all fit compiles one SIMD method instead of the
     * blocked path's nine (packers, three micro-kernels, the edge tile), and a short program pays for each of them
     * in interpreted and C1-compiled Vector API code until C2 has compiled it (bench/startup.py's tiny attention
     * LM, width 64: about 3.4 s → 2.4 s from process start).
     */
    static boolean direct(int m, int n, int k) {
        if (m <= 64 && n <= 64 && k <= 64) {
            return true;
        }
        return n <= DIRECT_N && n % V == 0 && k <= DIRECT_K && (long) m * n * k <= DIRECT_WORK;
    }

    static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float[] c, int cOff, int ldc, boolean accumulate) {
        if (direct(m, n, k)) {
            // Bᵀ is copied once to k×n on the calling thread, shared by the row chunks
            float[] bs = transB ? transposeB(b, bOff, ldb, n, k) : b;
            int bBase = transB ? 0 : bOff;
            int bStride = transB ? n : ldb;
            long work = (long) m * n * k;
            int parts = work >= PARALLEL_MIN_WORK && !Parallel.inPool() ? Math.min(Parallel.numThreads(), m / 8) : 1;
            if (parts <= 1) {
                direct(transA, 0, m, n, k, a, aOff, lda, bs, bBase, bStride, c, cOff, ldc, accumulate);
            } else {
                // fixed row chunks (multiples of 4) from the sizes only; each element's chain is unchanged
                int quads = (m + 3) / 4;
                Parallel.forEachChunk(parts, t -> {
                    int i0 = (int) ((long) t * quads / parts) * 4;
                    int i1 = Math.min(m, (int) ((long) (t + 1) * quads / parts) * 4);
                    direct(transA, i0, i1, n, k, a, aOff, lda, bs, bBase, bStride, c, cOff, ldc, accumulate);
                });
            }
            return;
        }
        blocked(transA, m, n, k, a, aOff, lda, null,
                (p0, kc, j0, nc, q0, q1, bp, base, s) ->
                        packB(transB, b, bOff, ldb, p0, kc, j0, nc, q0, q1, bp, base, s),
                c, cOff, ldc, accumulate);
    }

    /**
     * {@code C = (accumulate ? C : 0) + A·B} with an implicit B whose rows are shifted windows of one array:
     * {@code B(p, j) = x[xOff + koff[p] + (j / rowLen)·rowStride + j % rowLen]}. A stride-1 convolution over a
     * zero-padded input is this product (p runs over (channel, kernel row, kernel column), j over output
     * positions), so its panels are packed straight from the input with no im2col matrix. With
     * {@code rowLen == rowStride} the windows are contiguous ({@code B(p, j) = x[xOff + koff[p] + j]}: j numbers
     * positions over the padded width); otherwise {@code rowLen} must be a multiple of NR, so that every NR-wide
     * panel lies inside one row (j then numbers real output positions and C can be the output itself). Reads
     * {@code x} up to index {@code xOff + max(koff) + map(roundUp(n, NR) − 1)}; the caller provides that slack.
     * Same summation order as {@link #sgemm} (one FMA chain per element of C over ascending p). A comes packed by
     * {@link #packAllA}, since a convolution multiplies the same weights with every image.
     */
    static void sgemmShiftedB(int m, int n, int k, float[] packedA, float[] x, int xOff, int[] koff, int rowLen,
                              int rowStride, float[] c, int cOff, int ldc, boolean accumulate) {
        if (rowLen != rowStride && rowLen % NR != 0) {
            throw new IllegalArgumentException("sgemmShiftedB: row length " + rowLen + " is not a multiple of " + NR);
        }
        blocked(false, m, n, k, null, 0, 0, packedA, new Shifted(x, xOff, koff, rowLen, rowStride), c, cOff, ldc,
                accumulate);
    }

    /** The B of {@link #sgemmShiftedB}: packed by {@link #packShifted}, or read in place by {@link #kernelShifted}. */
    private record Shifted(float[] x, int xOff, int[] koff, int rowLen, int rowStride) implements BPanels {
        @Override
        public void pack(int p0, int kc, int j0, int nc, int panel0, int panel1, float[] bp, int base, Scratch s) {
            packShifted(x, xOff, koff, rowLen, rowStride, p0, kc, j0, panel0, panel1, bp, base);
        }
    }

    /** K block of {@link #sgemmWindowsA}: its B panel (KC_W × NR floats, 16 KB) stays in L1 across the A windows. */
    private static final int KC_W = 128;

    /**
     * {@code C (m×n, ldc) = (accumulate ? C : 0) + A·Bᵀ} where the rows of A are windows of one array,
     * {@code A(i, p) = x[aOff[i] + map(p)]} with {@code map(p) = (p / rowLen)·rowStride + p % rowLen} (the identity
     * when {@code rowLen == rowStride}), and B is dense {@code n×k} (row stride ldb). This is the transposed weight
     * gradient of a convolution: rows of A are the taps' shifted windows of the padded input, B the output
     * gradient as it is stored, K the output positions, whose rows of {@code rowLen = OW} sit {@code rowStride}
     * apart in the padded plane. The micro-kernel broadcasts A straight from x, twelve windows at once, so only B
     * is packed ({@code n×k} floats, transposed) where packing the windows as a transposed operand moves
     * {@code m×k}, several times more for a convolution (taps outnumber the channels of a group). Every element of
     * C is one FMA chain over ascending p, as in {@link #sgemm}. Outside a parallel region the row panels are split
     * over the threads. Reads {@code x[aOff[i] + map(p)]} for {@code p < k}.
     */
    static void sgemmWindowsA(int m, int n, int k, float[] x, int[] aOff, int rowLen, int rowStride, float[] b,
                              int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        if (rowLen <= 0 || rowStride < rowLen) {
            throw new IllegalArgumentException("sgemmWindowsA: rows of " + rowLen + " positions " + rowStride
                    + " apart");
        }
        windowsProduct(m, n, k, b, bOff, ldb, c, cOff, ldc, accumulate,
                (s, i0, mr, pc, kc, bp, bi, cc, cIdx, ld, load) -> {
                    // an edge panel repeats its last window in the missing rows, whose results are dropped
                    int[] base = s.windowBase;
                    for (int r = 0; r < MR; r++) {
                        base[r] = aOff[i0 + Math.min(r, mr - 1)];
                    }
                    kernelWindows(pc, kc, x, base, rowLen, rowStride, bp, bi, cc, cIdx, ld, load);
                });
    }

    /**
     * {@link #sgemmWindowsA} for windows that lie side by side: {@code A(i, p) = x[xOff + (i / blockRows)·blockStride
     * + i % blockRows + map(p)·step]}, so each block of {@code blockRows} rows reads one contiguous run of x per
     * position, and positions lie {@code step} apart. This is the transposed weight gradient over a channels-last
     * padded input ({@code step} = stride × channels, a block = one kernel row's taps (kj, c)). The micro-kernel
     * broadcasts its twelve rows from one running offset, where {@link #sgemmWindowsA} keeps twelve (more than the
     * integer registers, so half are reloaded, and each is bounds-checked, at every position). Same FMA chains.
     *
     * @throws IllegalArgumentException if blockRows is not a positive multiple of MR, m not a multiple of
     *                                  blockRows, or the rows are not {@code rowStride ≥ rowLen > 0}
     */
    static void sgemmWindowsRowsA(int m, int n, int k, float[] x, int xOff, int blockRows, int blockStride, int step,
                                  int rowLen, int rowStride, float[] b, int bOff, int ldb, float[] c, int cOff,
                                  int ldc, boolean accumulate) {
        if (rowLen <= 0 || rowStride < rowLen || blockRows <= 0 || blockRows % MR != 0 || m % blockRows != 0) {
            throw new IllegalArgumentException("sgemmWindowsRowsA: rows of " + rowLen + " positions " + rowStride
                    + " apart, blocks of " + blockRows + " rows (a multiple of " + MR + " dividing m=" + m + ")");
        }
        windowsProduct(m, n, k, b, bOff, ldb, c, cOff, ldc, accumulate,
                (s, i0, mr, pc, kc, bp, bi, cc, cIdx, ld, load) -> kernelWindowsRows(pc, kc, x,
                        xOff + i0 / blockRows * blockStride + i0 % blockRows, step, rowLen, rowStride, bp, bi, cc,
                        cIdx, ld, load));
    }

    /** One MR×NR tile of a {@link #windowsProduct}: A's rows {@code i0..i0+mr} over K block {@code pc..pc+kc}. */
    private interface WindowTile {
        void run(Scratch s, int i0, int mr, int pc, int kc, float[] bp, int bi, float[] c, int cIdx, int ldc,
                 boolean load);
    }

    /**
     * The loops of a product whose A the micro-kernel reads in place ({@code tile}) and whose B is dense
     * {@code n×k}, packed transposed one K block of {@link #KC_W} at a time. Outside a parallel region the row
     * panels are split over the threads, each packing B itself ({@code n·k} floats, small next to its share of the
     * {@code m·n·k} product); nested in a parallel region (a convolution's image chunks) it runs as one part.
     */
    private static void windowsProduct(int m, int n, int k, float[] b, int bOff, int ldb, float[] c, int cOff,
                                       int ldc, boolean accumulate, WindowTile kern) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
                }
            }
            return;
        }
        int panels = (n + NR - 1) / NR;
        int mPanels = (m + MR - 1) / MR;
        int parts = !Parallel.inPool() && (long) m * n * k >= PARALLEL_MIN_WORK
                ? Math.min(Parallel.numThreads(), mPanels) : 1;
        runChunks(parts > 1, parts, t -> {
            Scratch s = SCRATCH.get();
            if (s.windowB.length < panels * NR * KC_W) {
                s.windowB = new float[panels * NR * KC_W];
            }
            float[] bp = s.windowB;
            int i0Start = (int) ((long) t * mPanels / parts) * MR;
            int i0End = Math.min(m, (int) ((long) (t + 1) * mPanels / parts) * MR);
            for (int pc = 0; pc < k; pc += KC_W) {
                int kc = Math.min(KC_W, k - pc);
                packB(true, b, bOff, ldb, pc, kc, 0, n, 0, panels, bp, 0, s);
                boolean load = accumulate || pc > 0;
                for (int i0 = i0Start; i0 < i0End; i0 += MR) {
                    int mr = Math.min(MR, m - i0);
                    for (int q = 0; q < panels; q++) {
                        int nr = Math.min(NR, n - q * NR);
                        int cIdx = cOff + i0 * ldc + q * NR;
                        if (mr == MR && nr == NR) {
                            kern.run(s, i0, mr, pc, kc, bp, q * NR * kc, c, cIdx, ldc, load);
                            continue;
                        }
                        float[] tile = s.tile;
                        if (load) {
                            Arrays.fill(tile, 0f);
                            for (int r = 0; r < mr; r++) {
                                System.arraycopy(c, cIdx + r * ldc, tile, r * NR, nr);
                            }
                        }
                        kern.run(s, i0, mr, pc, kc, bp, q * NR * kc, tile, 0, NR, load);
                        for (int r = 0; r < mr; r++) {
                            System.arraycopy(tile, r * NR, c, cIdx + r * ldc, nr);
                        }
                    }
                }
            }
        });
    }

    /**
     * op(A) ({@code m×k}) packed once for several products: the panels of the K block starting at p0 begin at
     * {@code roundUp(m, MR)·p0}, its panel ip at {@code + ip·MR·kc}, as the blocked loops read them.
     */
    static float[] packAllA(boolean transA, int m, int k, float[] a, int aOff, int lda) {
        int rows = roundUp(m, MR);
        float[] ap = new float[rows * k + V];
        int[] idx = new int[V];
        for (int pc = 0; pc < k; pc += KC) {
            packA(transA, a, aOff, lda, 0, m, pc, Math.min(KC, k - pc), ap, rows * pc, idx);
        }
        return ap;
    }

    /**
     * op(B) ({@code k×n}) packed once for several products, in the layout the blocked loops read: K block kb at
     * {@code kb·stride}, its panel q at {@code + q·NR·kc} ({@code stride = panels·NR·KC}). A recurrent layer
     * multiplies the same weight at every time step; packing it once removes the per-step transpose.
     */
    record PackedPanels(float[] data, int k, int n, int panels, int stride) {}

    static PackedPanels packAllB(boolean transB, int k, int n, float[] b, int bOff, int ldb) {
        int panels = (n + NR - 1) / NR;
        int stride = panels * NR * KC;
        int kBlocks = (k + KC - 1) / KC;
        float[] data = new float[stride * kBlocks];
        Scratch s = SCRATCH.get();
        for (int kb = 0; kb < kBlocks; kb++) {
            int pc = kb * KC;
            packB(transB, b, bOff, ldb, pc, Math.min(KC, k - pc), 0, n, 0, panels, data, kb * stride, s);
        }
        return new PackedPanels(data, k, n, panels, stride);
    }

    /**
     * {@link #sgemm} with a B packed by {@link #packAllB}: the same route and the same FMA chains, so the same
     * bits, without packing B. The caller handles the direct kernel's products (it reads B unpacked).
     */
    static void sgemmPackedB(boolean transA, int m, float[] a, int aOff, int lda, PackedPanels pb, float[] c,
                             int cOff, int ldc, boolean accumulate) {
        blocked(transA, m, pb.n(), pb.k(), a, aOff, lda, null, null, pb, 0, c, cOff, ldc, accumulate,
                (long) m * pb.n() * pb.k() >= PARALLEL_MIN_WORK);
    }

    private static void blocked(boolean transA, int m, int n, int k, float[] a, int aOff, int lda, float[] packedA,
                                BPanels bsrc, float[] c, int cOff, int ldc, boolean accumulate) {
        blocked(transA, m, n, k, a, aOff, lda, packedA, bsrc, null, 0, c, cOff, ldc, accumulate,
                (long) m * n * k >= PARALLEL_MIN_WORK);
    }

    /**
     * The blocked product. B comes from {@code bsrc}, or, when {@code pre} is not null, already packed: its
     * panels {@code preQ0..} are this product's columns.
     */
    private static void blocked(boolean transA, int m, int n, int k, float[] a, int aOff, int lda, float[] packedA,
                                BPanels bsrc, PackedPanels pre, int preQ0, float[] c, int cOff, int ldc,
                                boolean accumulate, boolean par) {
        // M blocking (depends only on m and the work size): MR-row panels spread evenly over the blocks, an even
        // number of blocks when parallel; a single block splits the columns instead
        final int mPanelsAll = (m + MR - 1) / MR;
        if (mPanelsAll * MR <= MC_MAX) {
            sgemmOneBlock(transA, m, n, k, a, aOff, lda, packedA, bsrc, pre, preQ0, c, cOff, ldc, accumulate, par);
            return;
        }
        final int nPanels = (n + NR - 1) / NR;
        final int parts = par ? Math.min(Parallel.numThreads(), nPanels) : 1;
        if (parts > 1 && n >= m) {
            // Threads sharing one packed B (rows split between them) stream the panels other cores packed; split
            // by columns, each packs its own part of B and all of A, the smaller operand when n >= m (measured at
            // 2 threads: sgemm 2048 and the MLP forward and input-gradient products 11-15% faster; the weight
            // gradient Xᵀ·dY, m > n, 3% slower this way, so it keeps the row split). Any split gives the same
            // result: each element of C is still one FMA chain over ascending p.
            Parallel.forEachChunk(parts, t -> {
                int j0 = (int) ((long) t * nPanels / parts) * NR;
                int j1 = Math.min(n, (int) ((long) (t + 1) * nPanels / parts) * NR);
                BPanels mine = pre != null ? null : (p0, kc, jj, nc, q0, q1, bp, base, s) -> bsrc.pack(p0, kc,
                        jj + j0, nc, q0, q1, bp, base, s);
                blocked(transA, m, j1 - j0, k, a, aOff, lda, packedA, mine, pre, preQ0 + j0 / NR, c, cOff + j0, ldc,
                        accumulate, false);
            });
            return;
        }
        int mBlocks = (mPanelsAll * MR + MC_MAX - 1) / MC_MAX;
        if (par && (mBlocks & 1) == 1) {
            mBlocks++;
        }
        final int fmBlocks = mBlocks;
        final int kBlocks = (k + KC - 1) / KC;
        final int ncMax = pre != null ? roundUp(n, NR) : Math.max(NR, Math.min(roundUp(n, NR), B_LIMIT / k / NR * NR));
        Scratch scratch = SCRATCH.get();
        for (int jc = 0; jc < n; jc += ncMax) {
            final int jc0 = jc;
            final int nc = Math.min(ncMax, n - jc);
            final int panels = (nc + NR - 1) / NR;
            final int blockStride = pre != null ? pre.stride() : panels * NR * KC;
            final int bShift = pre != null ? preQ0 * NR : 0;
            int needB = blockStride * kBlocks;
            if (pre == null && scratch.b.length < needB) {
                scratch.b = new float[needB];
            }
            final float[] bp = pre != null ? pre.data() : scratch.b;
            // pack B: K block kb at kb*blockStride; fixed chunks of (K block, half of the panels)
            final int halves = par ? Math.min(panels, 2) : 1;
            final int perHalf = (panels + halves - 1) / halves;
            Parallel.ChunkBody pack = ch -> {
                int kb = ch / halves;
                int p0 = (ch % halves) * perHalf;
                int p1 = Math.min(panels, p0 + perHalf);
                int pc = kb * KC;
                if (p0 < p1) {
                    bsrc.pack(pc, Math.min(KC, k - pc), jc0, nc, p0, p1, bp, kb * blockStride, SCRATCH.get());
                }
            };
            if (pre == null) {
                runChunks(par, kBlocks * halves, pack);
            }
            Parallel.ChunkBody body = t -> {
                int i0 = (int) ((long) t * mPanelsAll / fmBlocks) * MR;
                int mcur = Math.min(m, (int) ((long) (t + 1) * mPanelsAll / fmBlocks) * MR) - i0;
                Scratch s = SCRATCH.get();
                float[] ap = packedA != null ? packedA : s.panelA(mcur);
                int mPanels = (mcur + MR - 1) / MR;
                for (int kb = 0; kb < kBlocks; kb++) {
                    int pc = kb * KC;
                    int kc = Math.min(KC, k - pc);
                    boolean load = accumulate || kb > 0;
                    int aBase = 0;
                    if (packedA != null) {
                        aBase = mPanelsAll * MR * pc + i0 * kc;
                    } else {
                        packA(transA, a, aOff, lda, i0, mcur, pc, kc, ap, 0, s.idx);
                    }
                    int bBlock = kb * blockStride;
                    for (int jp = 0; jp < panels; jp++) {
                        int j = jp * NR;
                        int nr = Math.min(NR, nc - j);
                        int bIdx = bBlock + (jp * NR + bShift) * kc;
                        for (int ip = 0; ip < mPanels; ip++) {
                            int ii = ip * MR;
                            int cIdx = cOff + (i0 + ii) * ldc + jc0 + j;
                            tile(s, Math.min(MR, mcur - ii), nr, kc, ap, aBase + ip * MR * kc, bp, bIdx, c, cIdx, ldc,
                                    load);
                        }
                    }
                }
            };
            runChunks(par, fmBlocks, body);
        }
    }

    /**
     * A single block of rows ({@code m <= MC}): nothing is shared, so each B micro-panel is packed right before
     * the MR-row panels use it (it stays in L1) and, when parallel, fixed groups of columns go to the threads.
     */
    private static void sgemmOneBlock(boolean transA, int m, int n, int k, float[] a, int aOff, int lda,
                                      float[] packedA, BPanels bsrc, PackedPanels pre, int preQ0, float[] c, int cOff,
                                      int ldc, boolean accumulate, boolean par) {
        final int panels = (n + NR - 1) / NR;
        final int groups = par ? Math.min(2, panels) : 1;
        final int perGroup = (panels + groups - 1) / groups;
        final int mPanels = (m + MR - 1) / MR;
        // With at most IN_PLACE_PANELS row panels, full panels of shifted windows are read in place (when every
        // row panel has a kernel for that: 12, 8 or 4 rows), not packed. Measured at batch 128, 1 thread: 32→32
        // 3×3 at 28×28 (3 row panels), forward and input gradient 12.7 → 11.4 ms each; with 6 row panels (64
        // output channels) reading the scattered windows six times cost more than packing them once: 64→64 at
        // 14×14 12.3–12.7 → 13.4–13.6 ms, 32→64 stride 2 7.5–8.1 → 9.3–9.9 ms
        final Shifted win = pre == null && mPanels <= IN_PLACE_PANELS && bsrc instanceof Shifted w ? w : null;
        final int lastRows = m - (mPanels - 1) * MR;
        final boolean inPlace = win != null && (lastRows == MR || lastRows == 8 || lastRows == 4);
        Parallel.ChunkBody body = g -> {
            int jp0 = g * perGroup;
            int jp1 = Math.min(panels, jp0 + perGroup);
            Scratch s = SCRATCH.get();
            float[] ap = packedA != null ? packedA : s.panelA(m);
            float[] bp = s.panelB;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean load = accumulate || pc > 0;
                int aBase = 0;
                if (packedA != null) {
                    aBase = mPanels * MR * pc;
                } else {
                    packA(transA, a, aOff, lda, 0, m, pc, kc, ap, 0, s.idx);
                }
                for (int jp = jp0; jp < jp1; jp++) {
                    int j = jp * NR;
                    int nr = Math.min(NR, n - j);
                    float[] bArr = bp;
                    int bIdx = 0;
                    if (inPlace && nr == NR) {
                        int col = win.xOff() + rowMap(j, win.rowLen(), win.rowStride());
                        for (int ip = 0; ip < mPanels; ip++) {
                            int ii = ip * MR;
                            int ai = aBase + ip * MR * kc;
                            int ci = cOff + ii * ldc + j;
                            if (m - ii >= MR) {
                                kernelShifted(kc, ap, ai, win.x(), col, win.koff(), pc, c, ci, ldc, load);
                            } else if (m - ii == 8) {
                                kernel8Shifted(kc, ap, ai, win.x(), col, win.koff(), pc, c, ci, ldc, load);
                            } else {
                                kernel4Shifted(kc, ap, ai, win.x(), col, win.koff(), pc, c, ci, ldc, load);
                            }
                        }
                        continue;
                    }
                    if (pre != null) {
                        bArr = pre.data();
                        bIdx = pc / KC * pre.stride() + (preQ0 + jp) * NR * kc;
                    } else {
                        bsrc.pack(pc, kc, 0, n, jp, jp + 1, bp, -jp * NR * kc, s);
                    }
                    for (int ip = 0; ip < mPanels; ip++) {
                        int ii = ip * MR;
                        tile(s, Math.min(MR, m - ii), nr, kc, ap, aBase + ip * MR * kc, bArr, bIdx, c,
                                cOff + ii * ldc + j, ldc,
                                load);
                    }
                }
            }
        };
        runChunks(par, groups, body);
    }

    private static void runChunks(boolean par, int chunks, Parallel.ChunkBody body) {
        if (!par || chunks == 1) {
            for (int ch = 0; ch < chunks; ch++) {
                body.run(ch);
            }
        } else {
            Parallel.forEachChunk(chunks, body);
        }
    }

    /** One {@code mr×nr} tile of C; partial tiles run a kernel on a zero-padded buffer. */
    private static void tile(Scratch s, int mr, int nr, int kc, float[] ap, int ai, float[] bp, int bi, float[] c,
                             int cIdx, int ldc, boolean load) {
        if (nr == NR && mr == MR) {
            kernel(kc, ap, ai, bp, bi, c, cIdx, ldc, load);
            return;
        }
        if (nr == NR && mr == 4) {
            kernel4(kc, ap, ai, bp, bi, c, cIdx, ldc, load);
            return;
        }
        if (nr == NR && mr == 8) {
            kernel8(kc, ap, ai, bp, bi, c, cIdx, ldc, load);
            return;
        }
        int rows = mr <= 4 ? 4 : mr <= 8 ? 8 : MR;
        float[] t = s.tile;
        if (load) {
            // C's mr×nr corner, zeros around it: a vector fill and a copy per row, as the copy-back does (a
            // per-element loop here cost about as much as the edge tile's kernel)
            Arrays.fill(t, 0, rows * NR, 0f);
            for (int r = 0; r < mr; r++) {
                System.arraycopy(c, cIdx + r * ldc, t, r * NR, nr);
            }
        }
        if (rows == 4) {
            kernel4(kc, ap, ai, bp, bi, t, 0, NR, load);
        } else if (rows == 8) {
            kernel8(kc, ap, ai, bp, bi, t, 0, NR, load);
        } else {
            kernel(kc, ap, ai, bp, bi, t, 0, NR, load);
        }
        for (int r = 0; r < mr; r++) {
            System.arraycopy(t, r * NR, c, cIdx + r * ldc, nr);
        }
    }

    /**
     * Index vector for {@code selectFrom(x, y)} on a row pair: lanes with bit s clear keep the first row's block
     * ({@code hi}: the block s lanes further), lanes with bit s set take the second row's block s lanes back
     * ({@code hi}: in place). Lanes beyond 16 (shorter species) are unused.
     */
    private static IntVector swapIndex(int s, boolean hi) {
        int[] ix = new int[V];
        for (int j = 0; j < V; j++) {
            boolean low = (j & s) == 0;
            ix[j] = hi ? (low ? j + s : V + j) : (low ? j : V + j - s);
        }
        return IntVector.fromArray(VectorSpecies.of(int.class, S.vectorShape()), ix, 0);
    }

    private static int roundUp(int x, int q) {
        return (x + q - 1) / q * q;
    }

    /**
     * Packs rows {@code i0..i0+mc} × cols {@code p0..p0+kc} of A (not transposed) into MR-tall panels
     * ({@code kc×MR} each, zero-padded): column p of a panel is MR elements lda apart, gathered into one vector.
     */
    private static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc,
                              float[] ap, int apOff, int[] idx) {
        if (transA) {
            packAT(a, aOff, lda, i0, mc, p0, kc, ap, apOff);
            return;
        }
        if (V < MR) {
            packAScalar(a, aOff, lda, 1, i0, mc, p0, kc, ap, apOff);
            return;
        }
        int d = apOff;
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            VectorMask<Float> mask = mr == MR ? MR_MASK : S.indexInRange(0, mr);
            for (int r = 0; r < V; r++) {
                idx[r] = r < mr ? r * lda : 0;
            }
            int src = aOff + (i0 + ir) * lda + p0;
            int p = 0;
            if (V == 16 && mr == MR) {
                // 16 columns at a time through registers (rows 12..15 re-read row 0; their lanes are overwritten by
                // the next column's store, the last spill by the next block or panel, or it lands in the slack)
                for (; p + V <= kc; p += V) {
                    transpose16(a, src + p, idx, 0, ap, d, MR);
                    d += V * MR;
                }
            }
            for (; p < kc; p++) {
                FloatVector.fromArray(S, a, src + p, idx, 0, mask).intoArray(ap, d, MR_MASK);
                d += MR;
            }
        }
    }

    /**
     * As {@link #packA} for transposed A: row p of A holds a panel's MR rows contiguously. Panel by panel, so the
     * writes are sequential; a full panel moves whole vectors, each store spilling {@code V − MR} lanes into the
     * next row's slot (overwritten next) and, after the panel's last row, into the next panel (packed next) or
     * the caller's slack of one vector. (Row-outer with masked moves scattered every row's stores over all
     * panels and cost 1.5 ns per element: 17% of an LSTM's forward and backward.)
     */
    private static void packAT(float[] a, int aOff, int lda, int i0, int mc, int p0, int kc, float[] ap, int apOff) {
        int panels = (mc + MR - 1) / MR;
        int full = mc / MR;
        if (V >= MR) {
            for (int ip = 0; ip < panels; ip++) {
                int src = aOff + p0 * lda + i0 + ip * MR;
                int d = apOff + ip * MR * kc;
                int p = 0;
                if (ip < full) {
                    int room = a.length - V - src;
                    int safe = room < 0 ? 0 : Math.min(kc, room / lda + 1);
                    for (; p < safe; p++) {
                        FloatVector.fromArray(S, a, src + p * lda).intoArray(ap, d + p * MR);
                    }
                }
                VectorMask<Float> mask = S.indexInRange(0, Math.min(MR, mc - ip * MR));
                for (; p < kc; p++) {
                    FloatVector.fromArray(S, a, src + p * lda, mask).intoArray(ap, d + p * MR, MR_MASK);
                }
            }
            return;
        }
        // a vector shorter than a panel's MR rows (256-bit or 128-bit machines) cannot carry a panel row
        packAScalar(a, aOff, 1, lda, i0, mc, p0, kc, ap, apOff);
    }

    /**
     * {@link #packA}'s layout by plain loops, A's element (i, p) at {@code a[aOff + i·rowStep + p·colStep]}: the
     * path when a vector has fewer lanes than a panel has rows ({@code V < MR}), where a vector gather or load
     * would leave rows V..MR−1 of every panel unwritten.
     */
    private static void packAScalar(float[] a, int aOff, int rowStep, int colStep, int i0, int mc, int p0, int kc,
                                    float[] ap, int apOff) {
        int d = apOff;
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            for (int p = 0; p < kc; p++) {
                int src = aOff + (i0 + ir) * rowStep + (p0 + p) * colStep;
                for (int r = 0; r < MR; r++) {
                    ap[d++] = r < mr ? a[src + r * rowStep] : 0f;
                }
            }
        }
    }

    /**
     * Packs NR-wide panels {@code [panel0, panel1)} of op(B) rows {@code p0..p0+kc}, columns {@code j0..j0+nc}
     * into {@code bp} (panel {@code q} at {@code base + q*NR*kc}, {@code kc×NR} each, zero-padded). A transposed
     * B is gathered V elements at a time.
     */
    private static void packB(boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int nc,
                              int panel0, int panel1, float[] bp, int base, Scratch s) {
        if (transB) {
            int[] rows = s.rowOff;
            for (int j = 0; j < NR; j++) {
                rows[j] = j * ldb;
            }
        }
        for (int q = panel0; q < panel1; q++) {
            int jr = q * NR;
            int nr = Math.min(NR, nc - jr);
            int d = base + q * NR * kc;
            if (transB) {
                packBRows(b, bOff + (j0 + jr) * ldb, p0, s.rowOff, 0, kc, nr, bp, d);
                continue;
            }
            int src = bOff + p0 * ldb + j0 + jr;
            if (nr == NR) {
                for (int p = 0; p < kc; p++) {
                    int o = src + p * ldb;
                    FloatVector.fromArray(S, b, o).intoArray(bp, d);
                    FloatVector.fromArray(S, b, o + V).intoArray(bp, d + V);
                    d += NR;
                }
            } else {
                // the copy and the zero fill are separate loops: with the load under `j < nr`, C2 hoisted its range
                // check for all NR columns (a profile predicate), which fails on the last panel of an array and
                // had C2 recompile this method up to four times in a short program
                for (int p = 0; p < kc; p++) {
                    int o = src + p * ldb;
                    for (int j = 0; j < nr; j++) {
                        bp[d + j] = b[o + j];
                    }
                    for (int j = nr; j < NR; j++) {
                        bp[d + j] = 0f;
                    }
                    d += NR;
                }
            }
        }
    }

    /**
     * Packs one {@code kc×NR} panel at {@code bp[d]} whose column j ({@code j < nr}, zero beyond) is the run
     * {@code b[add + rows[r0 + j] + p0 + p]}, p < kc: a transposed dense B ({@code rows[j] = j·ldb}). Full panels
     * move 16×16 blocks through registers, the K tail is gathered V elements at a time.
     */
    private static void packBRows(float[] b, int add, int p0, int[] rows, int r0, int kc, int nr, float[] bp,
                                  int d) {
        int p = 0;
        if (nr < NR) {
            for (; p < kc; p++) {
                int t = p0 + p;
                int o = add + t;
                for (int j = 0; j < nr; j++) {
                    bp[d + j] = b[o + rows[r0 + j]];
                }
                for (int j = nr; j < NR; j++) {
                    bp[d + j] = 0f;
                }
                d += NR;
            }
            return;
        }
        if (V == 16) {
            for (; p + V <= kc; p += V) {
                int t = p0 + p;
                int o = add + t;
                transpose16(b, o, rows, r0, bp, d, NR);
                transpose16(b, o, rows, r0 + V, bp, d + V, NR);
                d += V * NR;
            }
        }
        for (; p < kc; p++) {
            int t = p0 + p;
            int o = add + t;
            FloatVector.fromArray(S, b, o, rows, r0).intoArray(bp, d);
            FloatVector.fromArray(S, b, o, rows, r0 + V).intoArray(bp, d + V);
            d += NR;
        }
    }

    /** {@code (t / rowLen)·rowStride + t % rowLen}: the position of element t of rows of length rowLen laid out
     * rowStride apart (the identity, without a division, when they are equal). */
    private static int rowMap(int t, int rowLen, int rowStride) {
        return rowLen == rowStride ? t : t / rowLen * rowStride + t % rowLen;
    }

    /**
     * Panels of {@link #sgemmShiftedB}: row p of panel q is NR contiguous elements (two vectors) from
     * {@code x[xOff + koff[p0 + p] + map(j0 + q·NR)]}, {@code map(j) = (j / rowLen)·rowStride + j % rowLen},
     * whatever the panel's width.
     */
    private static void packShifted(float[] x, int xOff, int[] koff, int rowLen, int rowStride, int p0, int kc,
                                    int j0, int panel0, int panel1, float[] bp, int base) {
        for (int q = panel0; q < panel1; q++) {
            int d = base + q * NR * kc;
            int j = j0 + q * NR;
            int col = xOff + rowMap(j, rowLen, rowStride);
            for (int p = 0; p < kc; p++) {
                int o = col + koff[p0 + p];
                FloatVector.fromArray(S, x, o).intoArray(bp, d);
                FloatVector.fromArray(S, x, o + V).intoArray(bp, d + V);
                d += NR;
            }
        }
    }

    /**
     * Transposes the 16×16 block {@code b[add + rows[row0 + j] + t]} (j, t < 16) into {@code bp[d + t*stride + j]}:
     * four rounds of two-vector permutes that swap off-diagonal blocks of 8, 4, 2 and 1. With {@code stride < 16}
     * the rows are stored in ascending t, each full vector overwriting the previous one's surplus lanes, so only
     * lanes {@code j < stride} survive, and the last store spills {@code 16 − stride} floats past the block.
     * Only used when {@code V == 16}.
     */
    static void transpose16(float[] b, int add, int[] rows, int row0, float[] bp, int d, int stride) {
        transpose16(b, add, rows, row0, bp, d, stride, null, 0);
    }

    /**
     * {@link #transpose16(float[], int, int[], int, float[], int, int)}, except that with {@code dst} not null row
     * t goes to {@code bp[d + dst[dst0 + t]]} (any places, written in ascending t) instead of {@code d + t·stride}.
     */
    static void transpose16(float[] b, int add, int[] rows, int row0, float[] bp, int d, int stride, int[] dst,
                            int dst0) {
        IntVector r0 = FloatVector.fromArray(S, b, add + rows[row0 + 0]).reinterpretAsInts();
        IntVector r1 = FloatVector.fromArray(S, b, add + rows[row0 + 1]).reinterpretAsInts();
        IntVector r2 = FloatVector.fromArray(S, b, add + rows[row0 + 2]).reinterpretAsInts();
        IntVector r3 = FloatVector.fromArray(S, b, add + rows[row0 + 3]).reinterpretAsInts();
        IntVector r4 = FloatVector.fromArray(S, b, add + rows[row0 + 4]).reinterpretAsInts();
        IntVector r5 = FloatVector.fromArray(S, b, add + rows[row0 + 5]).reinterpretAsInts();
        IntVector r6 = FloatVector.fromArray(S, b, add + rows[row0 + 6]).reinterpretAsInts();
        IntVector r7 = FloatVector.fromArray(S, b, add + rows[row0 + 7]).reinterpretAsInts();
        IntVector r8 = FloatVector.fromArray(S, b, add + rows[row0 + 8]).reinterpretAsInts();
        IntVector r9 = FloatVector.fromArray(S, b, add + rows[row0 + 9]).reinterpretAsInts();
        IntVector r10 = FloatVector.fromArray(S, b, add + rows[row0 + 10]).reinterpretAsInts();
        IntVector r11 = FloatVector.fromArray(S, b, add + rows[row0 + 11]).reinterpretAsInts();
        IntVector r12 = FloatVector.fromArray(S, b, add + rows[row0 + 12]).reinterpretAsInts();
        IntVector r13 = FloatVector.fromArray(S, b, add + rows[row0 + 13]).reinterpretAsInts();
        IntVector r14 = FloatVector.fromArray(S, b, add + rows[row0 + 14]).reinterpretAsInts();
        IntVector r15 = FloatVector.fromArray(S, b, add + rows[row0 + 15]).reinterpretAsInts();
        IntVector s0 = LO8.selectFrom(r0, r8);
        IntVector s8 = HI8.selectFrom(r0, r8);
        IntVector s1 = LO8.selectFrom(r1, r9);
        IntVector s9 = HI8.selectFrom(r1, r9);
        IntVector s2 = LO8.selectFrom(r2, r10);
        IntVector s10 = HI8.selectFrom(r2, r10);
        IntVector s3 = LO8.selectFrom(r3, r11);
        IntVector s11 = HI8.selectFrom(r3, r11);
        IntVector s4 = LO8.selectFrom(r4, r12);
        IntVector s12 = HI8.selectFrom(r4, r12);
        IntVector s5 = LO8.selectFrom(r5, r13);
        IntVector s13 = HI8.selectFrom(r5, r13);
        IntVector s6 = LO8.selectFrom(r6, r14);
        IntVector s14 = HI8.selectFrom(r6, r14);
        IntVector s7 = LO8.selectFrom(r7, r15);
        IntVector s15 = HI8.selectFrom(r7, r15);
        IntVector q0 = LO4.selectFrom(s0, s4);
        IntVector q4 = HI4.selectFrom(s0, s4);
        IntVector q1 = LO4.selectFrom(s1, s5);
        IntVector q5 = HI4.selectFrom(s1, s5);
        IntVector q2 = LO4.selectFrom(s2, s6);
        IntVector q6 = HI4.selectFrom(s2, s6);
        IntVector q3 = LO4.selectFrom(s3, s7);
        IntVector q7 = HI4.selectFrom(s3, s7);
        IntVector q8 = LO4.selectFrom(s8, s12);
        IntVector q12 = HI4.selectFrom(s8, s12);
        IntVector q9 = LO4.selectFrom(s9, s13);
        IntVector q13 = HI4.selectFrom(s9, s13);
        IntVector q10 = LO4.selectFrom(s10, s14);
        IntVector q14 = HI4.selectFrom(s10, s14);
        IntVector q11 = LO4.selectFrom(s11, s15);
        IntVector q15 = HI4.selectFrom(s11, s15);
        IntVector u0 = LO2.selectFrom(q0, q2);
        IntVector u2 = HI2.selectFrom(q0, q2);
        IntVector u1 = LO2.selectFrom(q1, q3);
        IntVector u3 = HI2.selectFrom(q1, q3);
        IntVector u4 = LO2.selectFrom(q4, q6);
        IntVector u6 = HI2.selectFrom(q4, q6);
        IntVector u5 = LO2.selectFrom(q5, q7);
        IntVector u7 = HI2.selectFrom(q5, q7);
        IntVector u8 = LO2.selectFrom(q8, q10);
        IntVector u10 = HI2.selectFrom(q8, q10);
        IntVector u9 = LO2.selectFrom(q9, q11);
        IntVector u11 = HI2.selectFrom(q9, q11);
        IntVector u12 = LO2.selectFrom(q12, q14);
        IntVector u14 = HI2.selectFrom(q12, q14);
        IntVector u13 = LO2.selectFrom(q13, q15);
        IntVector u15 = HI2.selectFrom(q13, q15);
        IntVector w0 = LO1.selectFrom(u0, u1);
        IntVector w1 = HI1.selectFrom(u0, u1);
        IntVector w2 = LO1.selectFrom(u2, u3);
        IntVector w3 = HI1.selectFrom(u2, u3);
        IntVector w4 = LO1.selectFrom(u4, u5);
        IntVector w5 = HI1.selectFrom(u4, u5);
        IntVector w6 = LO1.selectFrom(u6, u7);
        IntVector w7 = HI1.selectFrom(u6, u7);
        IntVector w8 = LO1.selectFrom(u8, u9);
        IntVector w9 = HI1.selectFrom(u8, u9);
        IntVector w10 = LO1.selectFrom(u10, u11);
        IntVector w11 = HI1.selectFrom(u10, u11);
        IntVector w12 = LO1.selectFrom(u12, u13);
        IntVector w13 = HI1.selectFrom(u12, u13);
        IntVector w14 = LO1.selectFrom(u14, u15);
        IntVector w15 = HI1.selectFrom(u14, u15);
        w0.reinterpretAsFloats().intoArray(bp, dst == null ? d : d + dst[dst0 + 0]);
        w1.reinterpretAsFloats().intoArray(bp, dst == null ? d + 1 * stride : d + dst[dst0 + 1]);
        w2.reinterpretAsFloats().intoArray(bp, dst == null ? d + 2 * stride : d + dst[dst0 + 2]);
        w3.reinterpretAsFloats().intoArray(bp, dst == null ? d + 3 * stride : d + dst[dst0 + 3]);
        w4.reinterpretAsFloats().intoArray(bp, dst == null ? d + 4 * stride : d + dst[dst0 + 4]);
        w5.reinterpretAsFloats().intoArray(bp, dst == null ? d + 5 * stride : d + dst[dst0 + 5]);
        w6.reinterpretAsFloats().intoArray(bp, dst == null ? d + 6 * stride : d + dst[dst0 + 6]);
        w7.reinterpretAsFloats().intoArray(bp, dst == null ? d + 7 * stride : d + dst[dst0 + 7]);
        w8.reinterpretAsFloats().intoArray(bp, dst == null ? d + 8 * stride : d + dst[dst0 + 8]);
        w9.reinterpretAsFloats().intoArray(bp, dst == null ? d + 9 * stride : d + dst[dst0 + 9]);
        w10.reinterpretAsFloats().intoArray(bp, dst == null ? d + 10 * stride : d + dst[dst0 + 10]);
        w11.reinterpretAsFloats().intoArray(bp, dst == null ? d + 11 * stride : d + dst[dst0 + 11]);
        w12.reinterpretAsFloats().intoArray(bp, dst == null ? d + 12 * stride : d + dst[dst0 + 12]);
        w13.reinterpretAsFloats().intoArray(bp, dst == null ? d + 13 * stride : d + dst[dst0 + 13]);
        w14.reinterpretAsFloats().intoArray(bp, dst == null ? d + 14 * stride : d + dst[dst0 + 14]);
        w15.reinterpretAsFloats().intoArray(bp, dst == null ? d + 15 * stride : d + dst[dst0 + 15]);
    }

    /**
     * C tile (MR×NR at c[cIdx], row stride ldc) = (load ? C : 0) + Apanel·Bpanel over kc. The row offsets for the
     * loads are computed up front: loading through one running offset made C2's code for the whole kernel ~10%
     * slower (measured on JDK 25).
     */
    private static void kernel(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int cIdx, int ldc,
                               boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111;
        if (load) {
            int r0 = cIdx;
            int r1 = cIdx + 1 * ldc;
            int r2 = cIdx + 2 * ldc;
            int r3 = cIdx + 3 * ldc;
            int r4 = cIdx + 4 * ldc;
            int r5 = cIdx + 5 * ldc;
            int r6 = cIdx + 6 * ldc;
            int r7 = cIdx + 7 * ldc;
            int r8 = cIdx + 8 * ldc;
            int r9 = cIdx + 9 * ldc;
            int r10 = cIdx + 10 * ldc;
            int r11 = cIdx + 11 * ldc;
            c00 = FloatVector.fromArray(S, c, r0);
            c01 = FloatVector.fromArray(S, c, r0 + V);
            c10 = FloatVector.fromArray(S, c, r1);
            c11 = FloatVector.fromArray(S, c, r1 + V);
            c20 = FloatVector.fromArray(S, c, r2);
            c21 = FloatVector.fromArray(S, c, r2 + V);
            c30 = FloatVector.fromArray(S, c, r3);
            c31 = FloatVector.fromArray(S, c, r3 + V);
            c40 = FloatVector.fromArray(S, c, r4);
            c41 = FloatVector.fromArray(S, c, r4 + V);
            c50 = FloatVector.fromArray(S, c, r5);
            c51 = FloatVector.fromArray(S, c, r5 + V);
            c60 = FloatVector.fromArray(S, c, r6);
            c61 = FloatVector.fromArray(S, c, r6 + V);
            c70 = FloatVector.fromArray(S, c, r7);
            c71 = FloatVector.fromArray(S, c, r7 + V);
            c80 = FloatVector.fromArray(S, c, r8);
            c81 = FloatVector.fromArray(S, c, r8 + V);
            c90 = FloatVector.fromArray(S, c, r9);
            c91 = FloatVector.fromArray(S, c, r9 + V);
            c100 = FloatVector.fromArray(S, c, r10);
            c101 = FloatVector.fromArray(S, c, r10 + V);
            c110 = FloatVector.fromArray(S, c, r11);
            c111 = FloatVector.fromArray(S, c, r11 + V);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z;
            c40 = z; c41 = z; c50 = z; c51 = z; c60 = z; c61 = z; c70 = z; c71 = z;
            c80 = z; c81 = z; c90 = z; c91 = z; c100 = z; c101 = z; c110 = z; c111 = z;
        }
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + V);
            FloatVector av;
            av = FloatVector.broadcast(S, ap[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = av.fma(b0, c60);
            c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = av.fma(b0, c70);
            c71 = av.fma(b1, c71);
            av = FloatVector.broadcast(S, ap[ai + 8]);
            c80 = av.fma(b0, c80);
            c81 = av.fma(b1, c81);
            av = FloatVector.broadcast(S, ap[ai + 9]);
            c90 = av.fma(b0, c90);
            c91 = av.fma(b1, c91);
            av = FloatVector.broadcast(S, ap[ai + 10]);
            c100 = av.fma(b0, c100);
            c101 = av.fma(b1, c101);
            av = FloatVector.broadcast(S, ap[ai + 11]);
            c110 = av.fma(b0, c110);
            c111 = av.fma(b1, c111);
            ai += MR;
            bi += NR;
        }
        int r = cIdx;
        c00.intoArray(c, r);
        c01.intoArray(c, r + V);
        r += ldc;
        c10.intoArray(c, r);
        c11.intoArray(c, r + V);
        r += ldc;
        c20.intoArray(c, r);
        c21.intoArray(c, r + V);
        r += ldc;
        c30.intoArray(c, r);
        c31.intoArray(c, r + V);
        r += ldc;
        c40.intoArray(c, r);
        c41.intoArray(c, r + V);
        r += ldc;
        c50.intoArray(c, r);
        c51.intoArray(c, r + V);
        r += ldc;
        c60.intoArray(c, r);
        c61.intoArray(c, r + V);
        r += ldc;
        c70.intoArray(c, r);
        c71.intoArray(c, r + V);
        r += ldc;
        c80.intoArray(c, r);
        c81.intoArray(c, r + V);
        r += ldc;
        c90.intoArray(c, r);
        c91.intoArray(c, r + V);
        r += ldc;
        c100.intoArray(c, r);
        c101.intoArray(c, r + V);
        r += ldc;
        c110.intoArray(c, r);
        c111.intoArray(c, r + V);
    }

    /**
     * {@link #kernel} over positions {@code p0 .. p0+kc} with row r of A read from x at {@code base[r] + map(p)}
     * ({@link #sgemmWindowsA}) instead of a packed panel; one loop over the positions, whose offset into x steps
     * past the gap at each row's end.
     */
    private static void kernelWindows(int p0, int kc, float[] x, int[] base, int rowLen, int rowStride, float[] bp,
                                      int bi, float[] c, int cIdx, int ldc, boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111;
        if (load) {
            int r0 = cIdx;
            int r1 = cIdx + 1 * ldc;
            int r2 = cIdx + 2 * ldc;
            int r3 = cIdx + 3 * ldc;
            int r4 = cIdx + 4 * ldc;
            int r5 = cIdx + 5 * ldc;
            int r6 = cIdx + 6 * ldc;
            int r7 = cIdx + 7 * ldc;
            int r8 = cIdx + 8 * ldc;
            int r9 = cIdx + 9 * ldc;
            int r10 = cIdx + 10 * ldc;
            int r11 = cIdx + 11 * ldc;
            c00 = FloatVector.fromArray(S, c, r0);
            c01 = FloatVector.fromArray(S, c, r0 + V);
            c10 = FloatVector.fromArray(S, c, r1);
            c11 = FloatVector.fromArray(S, c, r1 + V);
            c20 = FloatVector.fromArray(S, c, r2);
            c21 = FloatVector.fromArray(S, c, r2 + V);
            c30 = FloatVector.fromArray(S, c, r3);
            c31 = FloatVector.fromArray(S, c, r3 + V);
            c40 = FloatVector.fromArray(S, c, r4);
            c41 = FloatVector.fromArray(S, c, r4 + V);
            c50 = FloatVector.fromArray(S, c, r5);
            c51 = FloatVector.fromArray(S, c, r5 + V);
            c60 = FloatVector.fromArray(S, c, r6);
            c61 = FloatVector.fromArray(S, c, r6 + V);
            c70 = FloatVector.fromArray(S, c, r7);
            c71 = FloatVector.fromArray(S, c, r7 + V);
            c80 = FloatVector.fromArray(S, c, r8);
            c81 = FloatVector.fromArray(S, c, r8 + V);
            c90 = FloatVector.fromArray(S, c, r9);
            c91 = FloatVector.fromArray(S, c, r9 + V);
            c100 = FloatVector.fromArray(S, c, r10);
            c101 = FloatVector.fromArray(S, c, r10 + V);
            c110 = FloatVector.fromArray(S, c, r11);
            c111 = FloatVector.fromArray(S, c, r11 + V);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z;
            c40 = z; c41 = z; c50 = z; c51 = z; c60 = z; c61 = z; c70 = z; c71 = z;
            c80 = z; c81 = z; c90 = z; c91 = z; c100 = z; c101 = z; c110 = z; c111 = z;
        }
        int a0 = base[0], a1 = base[1], a2 = base[2], a3 = base[3], a4 = base[4], a5 = base[5];
        int a6 = base[6], a7 = base[7], a8 = base[8], a9 = base[9], a10 = base[10], a11 = base[11];
        // t walks the positions' offsets in x: +1, and past a row's end +1 + (rowStride − rowLen)
        int col = p0 % rowLen;
        int t = p0 / rowLen * rowStride + col;
        int gap = rowStride - rowLen;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + V);
            FloatVector av;
            av = FloatVector.broadcast(S, x[a0 + t]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, x[a1 + t]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, x[a2 + t]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, x[a3 + t]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, x[a4 + t]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, x[a5 + t]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(S, x[a6 + t]);
            c60 = av.fma(b0, c60);
            c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(S, x[a7 + t]);
            c70 = av.fma(b0, c70);
            c71 = av.fma(b1, c71);
            av = FloatVector.broadcast(S, x[a8 + t]);
            c80 = av.fma(b0, c80);
            c81 = av.fma(b1, c81);
            av = FloatVector.broadcast(S, x[a9 + t]);
            c90 = av.fma(b0, c90);
            c91 = av.fma(b1, c91);
            av = FloatVector.broadcast(S, x[a10 + t]);
            c100 = av.fma(b0, c100);
            c101 = av.fma(b1, c101);
            av = FloatVector.broadcast(S, x[a11 + t]);
            c110 = av.fma(b0, c110);
            c111 = av.fma(b1, c111);
            bi += NR;
            boolean wrap = ++col == rowLen;
            col = wrap ? 0 : col;
            t += wrap ? gap + 1 : 1;
        }
        int r = cIdx;
        c00.intoArray(c, r);
        c01.intoArray(c, r + V);
        r += ldc;
        c10.intoArray(c, r);
        c11.intoArray(c, r + V);
        r += ldc;
        c20.intoArray(c, r);
        c21.intoArray(c, r + V);
        r += ldc;
        c30.intoArray(c, r);
        c31.intoArray(c, r + V);
        r += ldc;
        c40.intoArray(c, r);
        c41.intoArray(c, r + V);
        r += ldc;
        c50.intoArray(c, r);
        c51.intoArray(c, r + V);
        r += ldc;
        c60.intoArray(c, r);
        c61.intoArray(c, r + V);
        r += ldc;
        c70.intoArray(c, r);
        c71.intoArray(c, r + V);
        r += ldc;
        c80.intoArray(c, r);
        c81.intoArray(c, r + V);
        r += ldc;
        c90.intoArray(c, r);
        c91.intoArray(c, r + V);
        r += ldc;
        c100.intoArray(c, r);
        c101.intoArray(c, r + V);
        r += ldc;
        c110.intoArray(c, r);
        c111.intoArray(c, r + V);
    }

    /**
     * {@link #kernelWindows} with the twelve rows of A side by side: row r at position p is
     * {@code x[a0 + map(p)·step + r]} ({@link #sgemmWindowsRowsA}), so one offset walks the positions.
     */
    private static void kernelWindowsRows(int p0, int kc, float[] x, int a0, int step, int rowLen, int rowStride,
                                          float[] bp, int bi, float[] c, int cIdx, int ldc, boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111;
        if (load) {
            int r0 = cIdx;
            int r1 = cIdx + 1 * ldc;
            int r2 = cIdx + 2 * ldc;
            int r3 = cIdx + 3 * ldc;
            int r4 = cIdx + 4 * ldc;
            int r5 = cIdx + 5 * ldc;
            int r6 = cIdx + 6 * ldc;
            int r7 = cIdx + 7 * ldc;
            int r8 = cIdx + 8 * ldc;
            int r9 = cIdx + 9 * ldc;
            int r10 = cIdx + 10 * ldc;
            int r11 = cIdx + 11 * ldc;
            c00 = FloatVector.fromArray(S, c, r0);
            c01 = FloatVector.fromArray(S, c, r0 + V);
            c10 = FloatVector.fromArray(S, c, r1);
            c11 = FloatVector.fromArray(S, c, r1 + V);
            c20 = FloatVector.fromArray(S, c, r2);
            c21 = FloatVector.fromArray(S, c, r2 + V);
            c30 = FloatVector.fromArray(S, c, r3);
            c31 = FloatVector.fromArray(S, c, r3 + V);
            c40 = FloatVector.fromArray(S, c, r4);
            c41 = FloatVector.fromArray(S, c, r4 + V);
            c50 = FloatVector.fromArray(S, c, r5);
            c51 = FloatVector.fromArray(S, c, r5 + V);
            c60 = FloatVector.fromArray(S, c, r6);
            c61 = FloatVector.fromArray(S, c, r6 + V);
            c70 = FloatVector.fromArray(S, c, r7);
            c71 = FloatVector.fromArray(S, c, r7 + V);
            c80 = FloatVector.fromArray(S, c, r8);
            c81 = FloatVector.fromArray(S, c, r8 + V);
            c90 = FloatVector.fromArray(S, c, r9);
            c91 = FloatVector.fromArray(S, c, r9 + V);
            c100 = FloatVector.fromArray(S, c, r10);
            c101 = FloatVector.fromArray(S, c, r10 + V);
            c110 = FloatVector.fromArray(S, c, r11);
            c111 = FloatVector.fromArray(S, c, r11 + V);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z;
            c40 = z; c41 = z; c50 = z; c51 = z; c60 = z; c61 = z; c70 = z; c71 = z;
            c80 = z; c81 = z; c90 = z; c91 = z; c100 = z; c101 = z; c110 = z; c111 = z;
        }
        // ai walks the positions' offsets in x: +step, and past a row's end +step·(1 + rowStride − rowLen)
        int col = p0 % rowLen;
        int ai = a0 + (p0 / rowLen * rowStride + col) * step;
        int jump = (rowStride - rowLen + 1) * step;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + V);
            FloatVector av;
            av = FloatVector.broadcast(S, x[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, x[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, x[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, x[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, x[ai + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, x[ai + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(S, x[ai + 6]);
            c60 = av.fma(b0, c60);
            c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(S, x[ai + 7]);
            c70 = av.fma(b0, c70);
            c71 = av.fma(b1, c71);
            av = FloatVector.broadcast(S, x[ai + 8]);
            c80 = av.fma(b0, c80);
            c81 = av.fma(b1, c81);
            av = FloatVector.broadcast(S, x[ai + 9]);
            c90 = av.fma(b0, c90);
            c91 = av.fma(b1, c91);
            av = FloatVector.broadcast(S, x[ai + 10]);
            c100 = av.fma(b0, c100);
            c101 = av.fma(b1, c101);
            av = FloatVector.broadcast(S, x[ai + 11]);
            c110 = av.fma(b0, c110);
            c111 = av.fma(b1, c111);
            bi += NR;
            boolean wrap = ++col == rowLen;
            col = wrap ? 0 : col;
            ai += wrap ? jump : step;
        }
        int r = cIdx;
        c00.intoArray(c, r);
        c01.intoArray(c, r + V);
        r += ldc;
        c10.intoArray(c, r);
        c11.intoArray(c, r + V);
        r += ldc;
        c20.intoArray(c, r);
        c21.intoArray(c, r + V);
        r += ldc;
        c30.intoArray(c, r);
        c31.intoArray(c, r + V);
        r += ldc;
        c40.intoArray(c, r);
        c41.intoArray(c, r + V);
        r += ldc;
        c50.intoArray(c, r);
        c51.intoArray(c, r + V);
        r += ldc;
        c60.intoArray(c, r);
        c61.intoArray(c, r + V);
        r += ldc;
        c70.intoArray(c, r);
        c71.intoArray(c, r + V);
        r += ldc;
        c80.intoArray(c, r);
        c81.intoArray(c, r + V);
        r += ldc;
        c90.intoArray(c, r);
        c91.intoArray(c, r + V);
        r += ldc;
        c100.intoArray(c, r);
        c101.intoArray(c, r + V);
        r += ldc;
        c110.intoArray(c, r);
        c111.intoArray(c, r + V);
    }

    /**
     * {@link #kernel} with B read in place from shifted windows instead of a packed panel: row p of the panel is
     * {@code x[col + koff[p0 + p] ..+ NR]}. Same FMA chains as packing the panel with {@link #packShifted} and
     * running {@link #kernel}, so the same bits; saves the panel's copy (11–12% of a 32→32 3×3 forward at 28×28).
     * A copy of the unrolled body on purpose: one body for both with a null check on {@code koff} ran that forward
     * at 12.5–12.7 ms against 11.6–12.0 (three alternated runs), most of the gain.
     */
    private static void kernelShifted(int kc, float[] ap, int ai, float[] x, int col, int[] koff, int p0,
                                      float[] c, int cIdx, int ldc, boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111;
        if (load) {
            int r0 = cIdx;
            int r1 = cIdx + 1 * ldc;
            int r2 = cIdx + 2 * ldc;
            int r3 = cIdx + 3 * ldc;
            int r4 = cIdx + 4 * ldc;
            int r5 = cIdx + 5 * ldc;
            int r6 = cIdx + 6 * ldc;
            int r7 = cIdx + 7 * ldc;
            int r8 = cIdx + 8 * ldc;
            int r9 = cIdx + 9 * ldc;
            int r10 = cIdx + 10 * ldc;
            int r11 = cIdx + 11 * ldc;
            c00 = FloatVector.fromArray(S, c, r0);
            c01 = FloatVector.fromArray(S, c, r0 + V);
            c10 = FloatVector.fromArray(S, c, r1);
            c11 = FloatVector.fromArray(S, c, r1 + V);
            c20 = FloatVector.fromArray(S, c, r2);
            c21 = FloatVector.fromArray(S, c, r2 + V);
            c30 = FloatVector.fromArray(S, c, r3);
            c31 = FloatVector.fromArray(S, c, r3 + V);
            c40 = FloatVector.fromArray(S, c, r4);
            c41 = FloatVector.fromArray(S, c, r4 + V);
            c50 = FloatVector.fromArray(S, c, r5);
            c51 = FloatVector.fromArray(S, c, r5 + V);
            c60 = FloatVector.fromArray(S, c, r6);
            c61 = FloatVector.fromArray(S, c, r6 + V);
            c70 = FloatVector.fromArray(S, c, r7);
            c71 = FloatVector.fromArray(S, c, r7 + V);
            c80 = FloatVector.fromArray(S, c, r8);
            c81 = FloatVector.fromArray(S, c, r8 + V);
            c90 = FloatVector.fromArray(S, c, r9);
            c91 = FloatVector.fromArray(S, c, r9 + V);
            c100 = FloatVector.fromArray(S, c, r10);
            c101 = FloatVector.fromArray(S, c, r10 + V);
            c110 = FloatVector.fromArray(S, c, r11);
            c111 = FloatVector.fromArray(S, c, r11 + V);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z;
            c40 = z; c41 = z; c50 = z; c51 = z; c60 = z; c61 = z; c70 = z; c71 = z;
            c80 = z; c81 = z; c90 = z; c91 = z; c100 = z; c101 = z; c110 = z; c111 = z;
        }
        for (int p = 0; p < kc; p++) {
            int bi = col + koff[p0 + p];
            FloatVector b0 = FloatVector.fromArray(S, x, bi);
            FloatVector b1 = FloatVector.fromArray(S, x, bi + V);
            FloatVector av;
            av = FloatVector.broadcast(S, ap[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = av.fma(b0, c60);
            c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = av.fma(b0, c70);
            c71 = av.fma(b1, c71);
            av = FloatVector.broadcast(S, ap[ai + 8]);
            c80 = av.fma(b0, c80);
            c81 = av.fma(b1, c81);
            av = FloatVector.broadcast(S, ap[ai + 9]);
            c90 = av.fma(b0, c90);
            c91 = av.fma(b1, c91);
            av = FloatVector.broadcast(S, ap[ai + 10]);
            c100 = av.fma(b0, c100);
            c101 = av.fma(b1, c101);
            av = FloatVector.broadcast(S, ap[ai + 11]);
            c110 = av.fma(b0, c110);
            c111 = av.fma(b1, c111);
            ai += MR;
        }
        int r = cIdx;
        c00.intoArray(c, r);
        c01.intoArray(c, r + V);
        r += ldc;
        c10.intoArray(c, r);
        c11.intoArray(c, r + V);
        r += ldc;
        c20.intoArray(c, r);
        c21.intoArray(c, r + V);
        r += ldc;
        c30.intoArray(c, r);
        c31.intoArray(c, r + V);
        r += ldc;
        c40.intoArray(c, r);
        c41.intoArray(c, r + V);
        r += ldc;
        c50.intoArray(c, r);
        c51.intoArray(c, r + V);
        r += ldc;
        c60.intoArray(c, r);
        c61.intoArray(c, r + V);
        r += ldc;
        c70.intoArray(c, r);
        c71.intoArray(c, r + V);
        r += ldc;
        c80.intoArray(c, r);
        c81.intoArray(c, r + V);
        r += ldc;
        c90.intoArray(c, r);
        c91.intoArray(c, r + V);
        r += ldc;
        c100.intoArray(c, r);
        c101.intoArray(c, r + V);
        r += ldc;
        c110.intoArray(c, r);
        c111.intoArray(c, r + V);
    }

    /** {@link #kernel8} with B read in place from shifted windows, as {@link #kernelShifted}. */
    private static void kernel8Shifted(int kc, float[] ap, int ai, float[] x, int col, int[] koff, int p0,
                                       float[] c, int cIdx, int ldc, boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (load) {
            int r0 = cIdx + 0 * ldc;
            int r1 = cIdx + 1 * ldc;
            int r2 = cIdx + 2 * ldc;
            int r3 = cIdx + 3 * ldc;
            int r4 = cIdx + 4 * ldc;
            int r5 = cIdx + 5 * ldc;
            int r6 = cIdx + 6 * ldc;
            int r7 = cIdx + 7 * ldc;
            c00 = FloatVector.fromArray(S, c, r0);
            c01 = FloatVector.fromArray(S, c, r0 + V);
            c10 = FloatVector.fromArray(S, c, r1);
            c11 = FloatVector.fromArray(S, c, r1 + V);
            c20 = FloatVector.fromArray(S, c, r2);
            c21 = FloatVector.fromArray(S, c, r2 + V);
            c30 = FloatVector.fromArray(S, c, r3);
            c31 = FloatVector.fromArray(S, c, r3 + V);
            c40 = FloatVector.fromArray(S, c, r4);
            c41 = FloatVector.fromArray(S, c, r4 + V);
            c50 = FloatVector.fromArray(S, c, r5);
            c51 = FloatVector.fromArray(S, c, r5 + V);
            c60 = FloatVector.fromArray(S, c, r6);
            c61 = FloatVector.fromArray(S, c, r6 + V);
            c70 = FloatVector.fromArray(S, c, r7);
            c71 = FloatVector.fromArray(S, c, r7 + V);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z; c40 = z; c41 = z; c50 = z; c51 = z; c60 = z; c61 = z; c70 = z; c71 = z;
        }
        for (int p = 0; p < kc; p++) {
            int bi = col + koff[p0 + p];
            FloatVector b0 = FloatVector.fromArray(S, x, bi);
            FloatVector b1 = FloatVector.fromArray(S, x, bi + V);
            FloatVector av;
            av = FloatVector.broadcast(S, ap[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = av.fma(b0, c60);
            c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = av.fma(b0, c70);
            c71 = av.fma(b1, c71);
            ai += MR;
        }
        int r = cIdx;
        c00.intoArray(c, r);
        c01.intoArray(c, r + V);
        r += ldc;
        c10.intoArray(c, r);
        c11.intoArray(c, r + V);
        r += ldc;
        c20.intoArray(c, r);
        c21.intoArray(c, r + V);
        r += ldc;
        c30.intoArray(c, r);
        c31.intoArray(c, r + V);
        r += ldc;
        c40.intoArray(c, r);
        c41.intoArray(c, r + V);
        r += ldc;
        c50.intoArray(c, r);
        c51.intoArray(c, r + V);
        r += ldc;
        c60.intoArray(c, r);
        c61.intoArray(c, r + V);
        r += ldc;
        c70.intoArray(c, r);
        c71.intoArray(c, r + V);
    }

    /** {@link #kernel4} with B read in place from shifted windows, as {@link #kernelShifted}. */
    private static void kernel4Shifted(int kc, float[] ap, int ai, float[] x, int col, int[] koff, int p0,
                                       float[] c, int cIdx, int ldc, boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        if (load) {
            int r0 = cIdx;
            int r1 = cIdx + 1 * ldc;
            int r2 = cIdx + 2 * ldc;
            int r3 = cIdx + 3 * ldc;
            c00 = FloatVector.fromArray(S, c, r0);
            c01 = FloatVector.fromArray(S, c, r0 + V);
            c10 = FloatVector.fromArray(S, c, r1);
            c11 = FloatVector.fromArray(S, c, r1 + V);
            c20 = FloatVector.fromArray(S, c, r2);
            c21 = FloatVector.fromArray(S, c, r2 + V);
            c30 = FloatVector.fromArray(S, c, r3);
            c31 = FloatVector.fromArray(S, c, r3 + V);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z;
        }
        for (int p = 0; p < kc; p++) {
            int bi = col + koff[p0 + p];
            FloatVector b0 = FloatVector.fromArray(S, x, bi);
            FloatVector b1 = FloatVector.fromArray(S, x, bi + V);
            FloatVector av;
            av = FloatVector.broadcast(S, ap[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            ai += MR;
        }
        int r = cIdx;
        c00.intoArray(c, r);
        c01.intoArray(c, r + V);
        r += ldc;
        c10.intoArray(c, r);
        c11.intoArray(c, r + V);
        r += ldc;
        c20.intoArray(c, r);
        c21.intoArray(c, r + V);
        r += ldc;
        c30.intoArray(c, r);
        c31.intoArray(c, r + V);
    }

    /** {@link #kernel} for the first 4 rows of a panel (edge panels with at most 4 rows). */
    private static void kernel4(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int cIdx, int ldc,
                                boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        if (load) {
            int r0 = cIdx;
            int r1 = cIdx + 1 * ldc;
            int r2 = cIdx + 2 * ldc;
            int r3 = cIdx + 3 * ldc;
            c00 = FloatVector.fromArray(S, c, r0);
            c01 = FloatVector.fromArray(S, c, r0 + V);
            c10 = FloatVector.fromArray(S, c, r1);
            c11 = FloatVector.fromArray(S, c, r1 + V);
            c20 = FloatVector.fromArray(S, c, r2);
            c21 = FloatVector.fromArray(S, c, r2 + V);
            c30 = FloatVector.fromArray(S, c, r3);
            c31 = FloatVector.fromArray(S, c, r3 + V);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z;
        }
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + V);
            FloatVector av;
            av = FloatVector.broadcast(S, ap[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            ai += MR;
            bi += NR;
        }
        int r = cIdx;
        c00.intoArray(c, r);
        c01.intoArray(c, r + V);
        r += ldc;
        c10.intoArray(c, r);
        c11.intoArray(c, r + V);
        r += ldc;
        c20.intoArray(c, r);
        c21.intoArray(c, r + V);
        r += ldc;
        c30.intoArray(c, r);
        c31.intoArray(c, r + V);
    }

    /** {@link #kernel} for the first 8 rows of a panel (edge panels of 5 to 8 rows, e.g. the last of m = 128). */
    private static void kernel8(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int cIdx, int ldc,
                                boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (load) {
            int r0 = cIdx + 0 * ldc;
            int r1 = cIdx + 1 * ldc;
            int r2 = cIdx + 2 * ldc;
            int r3 = cIdx + 3 * ldc;
            int r4 = cIdx + 4 * ldc;
            int r5 = cIdx + 5 * ldc;
            int r6 = cIdx + 6 * ldc;
            int r7 = cIdx + 7 * ldc;
            c00 = FloatVector.fromArray(S, c, r0);
            c01 = FloatVector.fromArray(S, c, r0 + V);
            c10 = FloatVector.fromArray(S, c, r1);
            c11 = FloatVector.fromArray(S, c, r1 + V);
            c20 = FloatVector.fromArray(S, c, r2);
            c21 = FloatVector.fromArray(S, c, r2 + V);
            c30 = FloatVector.fromArray(S, c, r3);
            c31 = FloatVector.fromArray(S, c, r3 + V);
            c40 = FloatVector.fromArray(S, c, r4);
            c41 = FloatVector.fromArray(S, c, r4 + V);
            c50 = FloatVector.fromArray(S, c, r5);
            c51 = FloatVector.fromArray(S, c, r5 + V);
            c60 = FloatVector.fromArray(S, c, r6);
            c61 = FloatVector.fromArray(S, c, r6 + V);
            c70 = FloatVector.fromArray(S, c, r7);
            c71 = FloatVector.fromArray(S, c, r7 + V);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z; c40 = z; c41 = z; c50 = z; c51 = z; c60 = z; c61 = z; c70 = z; c71 = z;
        }
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + V);
            FloatVector av;
            av = FloatVector.broadcast(S, ap[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = av.fma(b0, c60);
            c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = av.fma(b0, c70);
            c71 = av.fma(b1, c71);
            ai += MR;
            bi += NR;
        }
        int r = cIdx;
        c00.intoArray(c, r);
        c01.intoArray(c, r + V);
        r += ldc;
        c10.intoArray(c, r);
        c11.intoArray(c, r + V);
        r += ldc;
        c20.intoArray(c, r);
        c21.intoArray(c, r + V);
        r += ldc;
        c30.intoArray(c, r);
        c31.intoArray(c, r + V);
        r += ldc;
        c40.intoArray(c, r);
        c41.intoArray(c, r + V);
        r += ldc;
        c50.intoArray(c, r);
        c51.intoArray(c, r + V);
        r += ldc;
        c60.intoArray(c, r);
        c61.intoArray(c, r + V);
        r += ldc;
        c70.intoArray(c, r);
        c71.intoArray(c, r + V);
    }

    /**
     * Bᵀ ({@code n×k}, rows {@code ldb} apart) copied to a row-major k×n block in this thread's scratch, eight rows
     * of Bᵀ at a time so that reads stay in a few cache lines and writes run contiguously. Plain code on purpose:
     * a gather per vector of columns was faster once compiled but made the attention start-up program 20% slower
     * (2.58–3.31 s against 2.19–2.73 s), the cold Vector API cost this route exists to avoid.
     */
    private static float[] transposeB(float[] b, int bOff, int ldb, int n, int k) {
        Scratch s = SCRATCH.get();
        if (s.direct.length < k * n) {
            s.direct = new float[k * n];
        }
        float[] bs = s.direct;
        for (int j0 = 0; j0 < n; j0 += 8) {
            int j1 = Math.min(n, j0 + 8);
            for (int p = 0; p < k; p++) {
                int d = p * n;
                for (int j = j0; j < j1; j++) {
                    bs[d + j] = b[bOff + j * ldb + p];
                }
            }
        }
        return bs;
    }

    /**
     * Direct kernel ({@link #direct(int, int, int)}) for rows {@code i0..m} of C: no packing of A; B is row-major
     * (element (p, j) at {@code bs[bBase + p·bStride + j]}). Four rows of C times two column vectors are computed
     * at once (eight independent FMA chains); the last column block, when one vector covers it, four rows times
     * one vector. Column tails use masks; rows past m repeat the last real row (same address and value, stored
     * before it).
     */
    private static void direct(boolean transA, int i0, int m, int n, int k, float[] a, int aOff, int lda,
                               float[] bs, int bBase, int bStride, float[] c, int cOff, int ldc, boolean accumulate) {
        // lda step in p and i for element (i,p)
        int aRowStep = transA ? 1 : lda;
        int aColStep = transA ? lda : 1;
        for (int j = 0; j < n; j += 2 * V) {
            if (j + V >= n) {
                oneVector(j, i0, m, n, k, a, aOff, aRowStep, aColStep, bs, bBase, bStride, c, cOff, ldc, accumulate);
                break;
            }
            // the first vector is whole (j + V < n); the second may be masked
            VectorMask<Float> m1 = S.indexInRange(j + V, n);
            boolean full = j + 2 * V <= n;
            for (int i = i0; i < m; i += 4) {
                int c0 = cOff + i * ldc + j;
                int c1 = i + 1 < m ? c0 + ldc : c0;
                int c2 = i + 2 < m ? c1 + ldc : c1;
                int c3 = i + 3 < m ? c2 + ldc : c2;
                FloatVector x00, x01, x10, x11, x20, x21, x30, x31;
                if (accumulate) {
                    x00 = FloatVector.fromArray(S, c, c0);
                    x10 = FloatVector.fromArray(S, c, c1);
                    x20 = FloatVector.fromArray(S, c, c2);
                    x30 = FloatVector.fromArray(S, c, c3);
                    x01 = full ? FloatVector.fromArray(S, c, c0 + V) : FloatVector.fromArray(S, c, c0 + V, m1);
                    x11 = full ? FloatVector.fromArray(S, c, c1 + V) : FloatVector.fromArray(S, c, c1 + V, m1);
                    x21 = full ? FloatVector.fromArray(S, c, c2 + V) : FloatVector.fromArray(S, c, c2 + V, m1);
                    x31 = full ? FloatVector.fromArray(S, c, c3 + V) : FloatVector.fromArray(S, c, c3 + V, m1);
                } else {
                    x00 = FloatVector.zero(S);
                    x01 = x00;
                    x10 = x00;
                    x11 = x00;
                    x20 = x00;
                    x21 = x00;
                    x30 = x00;
                    x31 = x00;
                }
                int a0 = aOff + i * aRowStep;
                int a1 = i + 1 < m ? a0 + aRowStep : a0;
                int a2 = i + 2 < m ? a1 + aRowStep : a1;
                int a3 = i + 3 < m ? a2 + aRowStep : a2;
                for (int p = 0; p < k; p++) {
                    int bi = bBase + p * bStride + j;
                    FloatVector b0 = FloatVector.fromArray(S, bs, bi);
                    FloatVector b1 = full ? FloatVector.fromArray(S, bs, bi + V)
                            : FloatVector.fromArray(S, bs, bi + V, m1);
                    int ao = p * aColStep;
                    FloatVector v0 = FloatVector.broadcast(S, a[a0 + ao]);
                    FloatVector v1 = FloatVector.broadcast(S, a[a1 + ao]);
                    FloatVector v2 = FloatVector.broadcast(S, a[a2 + ao]);
                    FloatVector v3 = FloatVector.broadcast(S, a[a3 + ao]);
                    x00 = v0.fma(b0, x00);
                    x01 = v0.fma(b1, x01);
                    x10 = v1.fma(b0, x10);
                    x11 = v1.fma(b1, x11);
                    x20 = v2.fma(b0, x20);
                    x21 = v2.fma(b1, x21);
                    x30 = v3.fma(b0, x30);
                    x31 = v3.fma(b1, x31);
                }
                x30.intoArray(c, c3);
                x20.intoArray(c, c2);
                x10.intoArray(c, c1);
                x00.intoArray(c, c0);
                if (full) {
                    x31.intoArray(c, c3 + V);
                    x21.intoArray(c, c2 + V);
                    x11.intoArray(c, c1 + V);
                    x01.intoArray(c, c0 + V);
                } else {
                    x31.intoArray(c, c3 + V, m1);
                    x21.intoArray(c, c2 + V, m1);
                    x11.intoArray(c, c1 + V, m1);
                    x01.intoArray(c, c0 + V, m1);
                }
            }
        }
    }

    /** {@link #direct}'s last column block when one (possibly masked) vector covers it: four rows at a time. */
    private static void oneVector(int j, int i0, int m, int n, int k, float[] a, int aOff, int aRowStep,
                                  int aColStep, float[] bs, int bBase, int bStride, float[] c, int cOff, int ldc,
                                  boolean accumulate) {
        VectorMask<Float> mask = S.indexInRange(j, n);
        boolean full = j + V <= n;
        for (int i = i0; i < m; i += 4) {
            int c0 = cOff + i * ldc + j;
            int c1 = i + 1 < m ? c0 + ldc : c0;
            int c2 = i + 2 < m ? c1 + ldc : c1;
            int c3 = i + 3 < m ? c2 + ldc : c2;
            FloatVector x0, x1, x2, x3;
            if (accumulate) {
                x0 = full ? FloatVector.fromArray(S, c, c0) : FloatVector.fromArray(S, c, c0, mask);
                x1 = full ? FloatVector.fromArray(S, c, c1) : FloatVector.fromArray(S, c, c1, mask);
                x2 = full ? FloatVector.fromArray(S, c, c2) : FloatVector.fromArray(S, c, c2, mask);
                x3 = full ? FloatVector.fromArray(S, c, c3) : FloatVector.fromArray(S, c, c3, mask);
            } else {
                x0 = FloatVector.zero(S);
                x1 = x0;
                x2 = x0;
                x3 = x0;
            }
            int a0 = aOff + i * aRowStep;
            int a1 = i + 1 < m ? a0 + aRowStep : a0;
            int a2 = i + 2 < m ? a1 + aRowStep : a1;
            int a3 = i + 3 < m ? a2 + aRowStep : a2;
            for (int p = 0; p < k; p++) {
                int bi = bBase + p * bStride + j;
                FloatVector bv = full ? FloatVector.fromArray(S, bs, bi) : FloatVector.fromArray(S, bs, bi, mask);
                int ao = p * aColStep;
                x0 = FloatVector.broadcast(S, a[a0 + ao]).fma(bv, x0);
                x1 = FloatVector.broadcast(S, a[a1 + ao]).fma(bv, x1);
                x2 = FloatVector.broadcast(S, a[a2 + ao]).fma(bv, x2);
                x3 = FloatVector.broadcast(S, a[a3 + ao]).fma(bv, x3);
            }
            if (full) {
                x3.intoArray(c, c3);
                x2.intoArray(c, c2);
                x1.intoArray(c, c1);
                x0.intoArray(c, c0);
            } else {
                x3.intoArray(c, c3, mask);
                x2.intoArray(c, c2, mask);
                x1.intoArray(c, c1, mask);
                x0.intoArray(c, c0, mask);
            }
        }
    }
}
