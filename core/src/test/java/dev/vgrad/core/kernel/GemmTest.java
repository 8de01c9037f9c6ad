package dev.vgrad.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.impl.Constraint;

/**
 * Property tests for {@link Gemm}: naive double-precision reference, all transpose combinations, accumulate,
 * offsets and padded leading dimensions, SIMD vs scalar agreement, and 1 vs 2 (and 3) threads bit-identity.
 * QuickTheories prints the seed of a failing run; assertion messages carry the sizes.
 */
class GemmTest {
    private static final int SAVED_THREADS = Parallel.numThreads();

    @AfterEach
    void restoreThreads() {
        Parallel.setNumThreads(SAVED_THREADS);
    }

    /** One GEMM problem: sizes, layout flags, padding of leading dims and offsets, data seed. */
    record Case(boolean ta, boolean tb, int m, int n, int k, boolean acc, int padA, int padB, int padC,
                int offA, int offB, int offC, long seed) {
        int lda() {
            return (ta ? m : k) + padA;
        }

        int ldb() {
            return (tb ? k : n) + padB;
        }

        int ldc() {
            return n + padC;
        }

        int aLen() {
            return offA + (ta ? k : m) * lda() + 3;
        }

        int bLen() {
            return offB + (tb ? n : k) * ldb() + 3;
        }

        int cLen() {
            return offC + m * ldc() + 3;
        }

        @Override
        public String toString() {
            return "sgemm(transA=" + ta + ", transB=" + tb + ", m=" + m + ", n=" + n + ", k=" + k + ", accumulate="
                    + acc + ", lda=" + lda() + ", ldb=" + ldb() + ", ldc=" + ldc() + ", offA=" + offA + ", offB="
                    + offB + ", offC=" + offC + ", dataSeed=" + seed + ")";
        }
    }

    private static final List<Integer> TAILS = List.of(1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 97);

    static Gen<Integer> dim(int max) {
        Gen<Integer> tails = Generate.pick(TAILS);
        Gen<Integer> any = Generate.range(1, max);
        return tails.mix(any, 40);
    }

    static Gen<Case> cases(int max) {
        Gen<Integer> d = dim(max);
        return in -> new Case(in.next(Constraint.between(0, 1)) == 1, in.next(Constraint.between(0, 1)) == 1,
                d.generate(in), d.generate(in), d.generate(in), in.next(Constraint.between(0, 1)) == 1,
                (int) in.next(Constraint.between(0, 3)), (int) in.next(Constraint.between(0, 3)),
                (int) in.next(Constraint.between(0, 3)), (int) in.next(Constraint.between(0, 5)),
                (int) in.next(Constraint.between(0, 5)), (int) in.next(Constraint.between(0, 5)),
                in.next(Constraint.between(0, Integer.MAX_VALUE)));
    }

    static float[] random(int len, SplittableRandom r) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return x;
    }

    /** Inputs of a case: a, b, initial c (sentinel-filled outside the matrix). */
    static float[][] inputs(Case cs) {
        SplittableRandom r = new SplittableRandom(cs.seed());
        float[] a = random(cs.aLen(), r);
        float[] b = random(cs.bLen(), r);
        float[] c = random(cs.cLen(), r);
        return new float[][] {a, b, c};
    }

    static double aAt(Case cs, float[] a, int i, int p) {
        return cs.ta() ? a[cs.offA() + p * cs.lda() + i] : a[cs.offA() + i * cs.lda() + p];
    }

    static double bAt(Case cs, float[] b, int p, int j) {
        return cs.tb() ? b[cs.offB() + j * cs.ldb() + p] : b[cs.offB() + p * cs.ldb() + j];
    }

    /** Naive double reference for element (i, j), plus the sum of absolute terms (error scale). */
    static double[] reference(Case cs, float[] a, float[] b, float[] c0, int i, int j) {
        double s = cs.acc() ? c0[cs.offC() + i * cs.ldc() + j] : 0.0;
        double mag = Math.abs(s);
        for (int p = 0; p < cs.k(); p++) {
            double t = aAt(cs, a, i, p) * bAt(cs, b, p, j);
            s += t;
            mag += Math.abs(t);
        }
        return new double[] {s, mag};
    }

    interface Sgemm {
        void run(boolean ta, boolean tb, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff,
                 int ldb, float[] c, int cOff, int ldc, boolean acc);
    }

    static float[] run(Sgemm impl, Case cs, float[][] in) {
        float[] c = in[2].clone();
        impl.run(cs.ta(), cs.tb(), cs.m(), cs.n(), cs.k(), in[0], cs.offA(), cs.lda(), in[1], cs.offB(), cs.ldb(),
                c, cs.offC(), cs.ldc(), cs.acc());
        return c;
    }

    static boolean simdAvailable() {
        return KernelProvider.simdEnabled();
    }

    /** Checks every element of C (or a sample of {@code samples} elements if > 0) against the reference. */
    static void checkAgainstReference(String path, Case cs, float[][] in, float[] c, int samples) {
        float[] a = in[0], b = in[1], c0 = in[2];
        int ldc = cs.ldc();
        // elements outside the m×n matrix must be untouched
        for (int idx = 0; idx < c.length; idx++) {
            int rel = idx - cs.offC();
            boolean inside = rel >= 0 && rel / ldc < cs.m() && rel % ldc < cs.n();
            if (!inside && Float.floatToRawIntBits(c[idx]) != Float.floatToRawIntBits(c0[idx])) {
                fail(path + " wrote outside C at index " + idx + " for " + cs);
            }
        }
        SplittableRandom r = new SplittableRandom(cs.seed() ^ 0x5DEECE66DL);
        int count = samples > 0 ? samples : cs.m() * cs.n();
        for (int t = 0; t < count; t++) {
            int i = samples > 0 ? r.nextInt(cs.m()) : t / cs.n();
            int j = samples > 0 ? r.nextInt(cs.n()) : t % cs.n();
            double[] ref = reference(cs, a, b, c0, i, j);
            double got = c[cs.offC() + i * ldc + j];
            double tol = 1e-6 * (cs.k() + 4) * ref[1] + 1e-30;
            if (!(Math.abs(got - ref[0]) <= tol)) {
                fail(path + ": C[" + i + "," + j + "] = " + got + ", expected " + ref[0] + " (tol " + tol + ") for "
                        + cs);
            }
        }
    }

    static void assertBitIdentical(String what, float[] x, float[] y, Object cs) {
        assertEquals(x.length, y.length, what + " length for " + cs);
        for (int i = 0; i < x.length; i++) {
            if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
                fail(what + ": differs at index " + i + " (" + x[i] + " vs " + y[i] + ") for " + cs);
            }
        }
    }

    @Test
    void sgemmMatchesNaiveReferenceOnAllPaths() {
        qt().withExamples(120).forAll(cases(300)).checkAssert(cs -> {
            float[][] in = inputs(cs);
            checkAgainstReference("Gemm.sgemm", cs, in, run(Gemm::sgemm, cs, in), 0);
            float[] scalar = run(ScalarGemm::sgemm, cs, in);
            checkAgainstReference("ScalarGemm", cs, in, scalar, 0);
            if (simdAvailable()) {
                float[] simd = run(SimdGemm::sgemm, cs, in);
                checkAgainstReference("SimdGemm", cs, in, simd, 0);
            }
        });
    }

    @Test
    void oneVersusTwoThreadsIsBitIdentical() {
        // sizes large enough that both paths split the work
        Gen<Integer> big = Generate.range(100, 300).mix(Generate.pick(List.of(129, 191, 193, 255, 257, 300)), 50);
        Gen<Case> cs = in -> new Case(in.next(Constraint.between(0, 1)) == 1, in.next(Constraint.between(0, 1)) == 1,
                big.generate(in), big.generate(in), big.generate(in), in.next(Constraint.between(0, 1)) == 1,
                (int) in.next(Constraint.between(0, 2)), (int) in.next(Constraint.between(0, 2)),
                (int) in.next(Constraint.between(0, 2)), 1, 2, 3, in.next(Constraint.between(0, Integer.MAX_VALUE)));
        qt().withExamples(12).forAll(cs).checkAssert(c -> {
            float[][] in = inputs(c);
            for (Sgemm impl : paths()) {
                Parallel.setNumThreads(1);
                float[] one = run(impl, c, in);
                Parallel.setNumThreads(2);
                float[] two = run(impl, c, in);
                assertBitIdentical("1 vs 2 threads", one, two, c);
                checkAgainstReference("threads", c, in, two, 50);
                // three threads split the columns (n >= m) or the row blocks unevenly
                Parallel.setNumThreads(3);
                assertBitIdentical("1 vs 3 threads", one, run(impl, c, in), c);
            }
        });
    }

    private static List<Sgemm> paths() {
        return simdAvailable() ? List.of(ScalarGemm::sgemm, SimdGemm::sgemm, Gemm::sgemm)
                : List.of(ScalarGemm::sgemm, Gemm::sgemm);
    }

    @Test
    void fewRowsSplitColumnsBitIdentically() {
        // m <= 96 is one row block: the threads split the columns; m % 12 in 1..4 uses the 4-row edge kernel
        int[][] sizes = {{4, 700, 300}, {16, 301, 513}, {64, 1024, 64 * 9}, {76, 333, 257}, {96, 257, 260}};
        long seed = 7;
        for (int[] mnk : sizes) {
            for (int t = 0; t < 4; t++) {
                Case cs = new Case((t & 1) == 1, (t & 2) == 2, mnk[0], mnk[1], mnk[2], t == 1, t, 1, 0, 1, 2, 3,
                        seed++);
                float[][] in = inputs(cs);
                Parallel.setNumThreads(1);
                float[] one = run(Gemm::sgemm, cs, in);
                Parallel.setNumThreads(2);
                float[] two = run(Gemm::sgemm, cs, in);
                assertBitIdentical("few rows 1 vs 2 threads", one, two, cs);
                checkAgainstReference("few rows", cs, in, two, 200);
            }
        }
    }

    @Test
    void fourRowEdgePanel() {
        // m % 12 == 4 with m > 12 (64 conv channels, 256 features): the last row panel runs the 4-row kernel, in
        // one row block (m <= 96) and in the row-blocked path, next to full and partial B panels
        long seed = 11;
        for (int m : new int[] {16, 64, 100, 256}) {
            for (int n : new int[] {64, 65, 96, 97, 200}) {
                for (int k : new int[] {3, 300}) {
                    for (int t = 0; t < 2; t++) {
                        Case cs = new Case(t == 1, t == 0, m, n, k, t == 1, t, 1, 2, 1, 2, 3, seed++);
                        float[][] in = inputs(cs);
                        Parallel.setNumThreads(1);
                        float[] one = run(Gemm::sgemm, cs, in);
                        checkAgainstReference("4-row edge", cs, in, one, 100);
                        Parallel.setNumThreads(2);
                        assertBitIdentical("4-row edge 1 vs 2 threads", one, run(Gemm::sgemm, cs, in), cs);
                    }
                }
            }
        }
    }

    @Test
    void largeOddProduct() {
        for (boolean ta : new boolean[] {false, true}) {
            Case cs = new Case(ta, !ta, 1021, 1023, 1025, ta, 1, 2, 3, 1, 2, 3, 42);
            float[][] in = inputs(cs);
            Parallel.setNumThreads(2);
            float[] two = run(Gemm::sgemm, cs, in);
            checkAgainstReference("large", cs, in, two, 300);
            Parallel.setNumThreads(1);
            float[] one = run(Gemm::sgemm, cs, in);
            assertBitIdentical("large 1 vs 2 threads", one, two, cs);
            if (simdAvailable()) {
                assertBitIdentical("large SIMD vs scalar", run(ScalarGemm::sgemm, cs, in),
                        run(SimdGemm::sgemm, cs, in), cs);
            }
        }
    }

    /**
     * Narrow products up to 2²³ multiply-adds (n a multiple of the vector length up to 64, k up to 512: a width-64
     * model's projections and their gradients) take the direct kernel, split over row chunks at two threads. Every
     * case checks that it is on that path, then its bits against the scalar kernel at one and two threads and its
     * values against the double reference; m runs over row counts that leave 1–3 rows past the last whole group
     * of four, and the vectors of the last column block may be one or two.
     */
    @Test
    void narrowProductsTakeTheDirectKernelBitIdentically() {
        if (!simdAvailable()) {
            return;
        }
        int lanes = SimdGemm.S.length();
        Gen<Integer> rows = Generate.range(1, 1100).mix(Generate.pick(List.of(65, 66, 67, 68, 300, 511, 513)), 40);
        Gen<Integer> cols = Generate.range(1, Math.max(1, 64 / lanes)).map(q -> q * lanes);
        Gen<Integer> depth = Generate.range(1, 512).mix(Generate.pick(List.of(1, 65, 511, 512)), 30);
        Gen<Case> narrow = in -> {
            int n = cols.generate(in);
            int k = depth.generate(in);
            int m = (int) Math.min(rows.generate(in), (1L << 23) / ((long) n * k));
            return new Case(in.next(Constraint.between(0, 1)) == 1, in.next(Constraint.between(0, 1)) == 1, m, n, k,
                    in.next(Constraint.between(0, 1)) == 1, (int) in.next(Constraint.between(0, 3)),
                    (int) in.next(Constraint.between(0, 3)), (int) in.next(Constraint.between(0, 3)),
                    (int) in.next(Constraint.between(0, 5)), (int) in.next(Constraint.between(0, 5)),
                    (int) in.next(Constraint.between(0, 5)), in.next(Constraint.between(0, Integer.MAX_VALUE)));
        };
        qt().withExamples(60).forAll(narrow).checkAssert(cs -> {
            assertTrue(SimdGemm.direct(cs.m(), cs.n(), cs.k()), "not on the direct path: " + cs);
            float[][] in = inputs(cs);
            float[] scalar = run(ScalarGemm::sgemm, cs, in);
            Parallel.setNumThreads(1);
            float[] one = run(SimdGemm::sgemm, cs, in);
            Parallel.setNumThreads(2);
            float[] two = run(SimdGemm::sgemm, cs, in);
            assertBitIdentical("direct kernel vs scalar", scalar, one, cs);
            assertBitIdentical("direct kernel 1 vs 2 threads", one, two, cs);
            checkAgainstReference("direct kernel", cs, in, two, 200);
        });
    }

    /**
     * Both float kernels compute each element of C as one fused multiply-add chain over ascending p, so they agree
     * bit for bit: a product gives the same numbers with or without the Vector API.
     */
    @Test
    void simdAndScalarAreBitIdentical() {
        if (!simdAvailable()) {
            return;
        }
        qt().withExamples(60).forAll(cases(300)).checkAssert(cs -> {
            float[][] in = inputs(cs);
            assertBitIdentical("SIMD vs scalar", run(ScalarGemm::sgemm, cs, in), run(SimdGemm::sgemm, cs, in), cs);
        });
    }

    /**
     * A product with one row or one column of C goes through {@code ScalarGemm.matVec} (eight chains side by side,
     * nothing packed; split over the pool from 2²⁰ multiply-adds): each element is the same fma chain as in the
     * blocked kernels, so the bits are theirs, at every thread count, in every layout, with offsets, padded leading
     * dimensions and accumulation.
     */
    @Test
    void matrixVectorProductsAreBitIdenticalToTheBlockedKernels() {
        Gen<Integer> side = dim(300).mix(Generate.pick(List.of(1100, 1500, 2049)), 20);
        Gen<Integer> depth = dim(300).mix(Generate.pick(List.of(700, 1025)), 30);
        Gen<Case> vectors = in -> {
            boolean oneColumn = in.next(Constraint.between(0, 1)) == 1;
            int other = side.generate(in);
            return new Case(in.next(Constraint.between(0, 1)) == 1, in.next(Constraint.between(0, 1)) == 1,
                    oneColumn ? other : 1, oneColumn ? 1 : other, depth.generate(in),
                    in.next(Constraint.between(0, 1)) == 1, (int) in.next(Constraint.between(0, 3)),
                    (int) in.next(Constraint.between(0, 3)), (int) in.next(Constraint.between(0, 3)),
                    (int) in.next(Constraint.between(0, 5)), (int) in.next(Constraint.between(0, 5)),
                    (int) in.next(Constraint.between(0, 5)), in.next(Constraint.between(0, Integer.MAX_VALUE)));
        };
        qt().withExamples(80).forAll(vectors).checkAssert(cs -> {
            float[][] in = inputs(cs);
            Parallel.setNumThreads(1);
            float[] one = run(ScalarGemm::matVec, cs, in);
            checkAgainstReference("matVec", cs, in, one, 0);
            assertBitIdentical("matVec vs blocked scalar", run(ScalarGemm::sgemm, cs, in), one, cs);
            if (simdAvailable()) {
                assertBitIdentical("matVec vs SIMD", run(SimdGemm::sgemm, cs, in), one, cs);
            }
            Parallel.setNumThreads(2);
            assertBitIdentical("matVec 1 vs 2 threads", one, run(ScalarGemm::matVec, cs, in), cs);
            assertBitIdentical("Gemm.sgemm vs matVec", one, run(Gemm::sgemm, cs, in), cs);
            Parallel.setNumThreads(3);
            assertBitIdentical("matVec 1 vs 3 threads", one, run(ScalarGemm::matVec, cs, in), cs);
        });
    }

    /**
     * A whose rows are overlapping windows of one array ({@link SimdGemm#sgemmWindowsA}, a convolution's transposed
     * weight gradient) gives the bits of the scalar product of the same A written out densely, times Bᵀ: edge
     * panels of rows and columns, several K blocks, accumulate or not, and positions in rows of rowLen laid out
     * rowStride apart (a run of positions that crosses a row or a K block).
     */
    @Test
    void windowRowsOfAAreBitIdenticalToDenseA() {
        if (!simdAvailable()) {
            return;
        }
        qt().withExamples(60).forAll(cases(300)).checkAssert(cs -> {
            SplittableRandom r = new SplittableRandom(cs.seed() ^ 0x5DEECE66DL);
            int m = cs.m(), n = cs.n(), k = cs.k();
            int rowLen = r.nextBoolean() ? k : 1 + r.nextInt(40);
            int rowStride = rowLen == k ? k : rowLen + r.nextInt(4);
            int span = (k - 1) / rowLen * rowStride + (k - 1) % rowLen + 1;
            float[] x = random(span + 3 * m + 40, r);
            int[] aOff = new int[m];
            float[] dense = new float[m * k];
            for (int i = 0; i < m; i++) {
                // windows one apart, as neighbouring taps are, and some far apart
                aOff[i] = r.nextInt(4) == 0 ? r.nextInt(x.length - span + 1)
                        : Math.min(x.length - span, i + r.nextInt(3));
                for (int p = 0; p < k; p++) {
                    dense[i * k + p] = x[aOff[i] + p / rowLen * rowStride + p % rowLen];
                }
            }
            int ldb = k + cs.padB();
            float[] b = random(cs.offB() + n * ldb + 3, r);
            float[] c0 = random(cs.cLen(), r);
            float[] want = c0.clone();
            ScalarGemm.sgemm(false, true, m, n, k, dense, 0, k, b, cs.offB(), ldb, want, cs.offC(), cs.ldc(), cs.acc());
            float[] got = c0.clone();
            SimdGemm.sgemmWindowsA(m, n, k, x, aOff, rowLen, rowStride, b, cs.offB(), ldb, got, cs.offC(), cs.ldc(),
                    cs.acc());
            assertBitIdentical("window rows of A (rows of " + rowLen + ", " + rowStride + " apart) vs dense A (scalar)",
                    want, got, cs);
        });
    }

    /**
     * A whose blocks of rows are side-by-side runs of one array ({@link SimdGemm#sgemmWindowsRowsA}, the weight
     * gradient over a channels-last input) gives the bits of the scalar product of the same A written out densely,
     * times Bᵀ: several blocks, positions {@code step} apart in rows of rowLen laid out rowStride apart, edge panels
     * of columns, several K blocks, accumulate or not.
     */
    @Test
    void sideBySideWindowRowsOfAAreBitIdenticalToDenseA() {
        if (!simdAvailable()) {
            return;
        }
        qt().withExamples(60).forAll(cases(300)).checkAssert(cs -> {
            SplittableRandom r = new SplittableRandom(cs.seed() ^ 0x2545F491L);
            int blockRows = SimdGemm.MR * (1 + r.nextInt(4));
            int blocks = 1 + r.nextInt(3);
            int m = blockRows * blocks, n = cs.n(), k = cs.k();
            int step = blockRows / 2 + r.nextInt(blockRows);
            int rowLen = r.nextBoolean() ? k : 1 + r.nextInt(40);
            int rowStride = rowLen == k ? k : rowLen + r.nextInt(4);
            int blockStride = blockRows + r.nextInt(3 * step + 1);
            int xOff = r.nextInt(5);
            int maxPos = (k - 1) / rowLen * rowStride + (k - 1) % rowLen;
            float[] x = random(xOff + (blocks - 1) * blockStride + blockRows + maxPos * step + 3, r);
            float[] dense = new float[m * k];
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < k; p++) {
                    int pos = p / rowLen * rowStride + p % rowLen;
                    dense[i * k + p] = x[xOff + i / blockRows * blockStride + i % blockRows + pos * step];
                }
            }
            int ldb = k + cs.padB();
            float[] b = random(cs.offB() + n * ldb + 3, r);
            int ldc = n + r.nextInt(3);
            int offC = r.nextInt(4);
            float[] c0 = random(offC + m * ldc, r);
            float[] want = c0.clone();
            ScalarGemm.sgemm(false, true, m, n, k, dense, 0, k, b, cs.offB(), ldb, want, offC, ldc, cs.acc());
            float[] got = c0.clone();
            SimdGemm.sgemmWindowsRowsA(m, n, k, x, xOff, blockRows, blockStride, step, rowLen, rowStride, b,
                    cs.offB(), ldb, got, offC, ldc, cs.acc());
            assertBitIdentical("side-by-side window rows of A (blocks of " + blockRows + ", step " + step
                    + ", rows of " + rowLen + ", " + rowStride + " apart) vs dense A (scalar)", want, got, cs);
        });
        assertThrows(IllegalArgumentException.class, () -> SimdGemm.sgemmWindowsRowsA(24, 1, 1, new float[64], 0, 18,
                18, 1, 1, 1, new float[1], 0, 1, new float[24], 0, 1, false));
    }

    /**
     * A B prepared once ({@link Gemm#packB}) gives the bits of the unprepared product, alone and reused for several
     * A's, at 1 and 2 threads (both blocked routes, the column split and the small direct kernel).
     */
    @Test
    void preparedBIsBitIdenticalToUnprepared() {
        qt().withExamples(60).forAll(cases(300), Generate.range(1, 2)).checkAssert((cs, threads) -> {
            Parallel.setNumThreads(threads);
            float[][] in = inputs(cs);
            Gemm.PackedB pb = Gemm.packB(cs.tb(), cs.k(), cs.n(), in[1], cs.offB(), cs.ldb());
            for (int rep = 0; rep < 2; rep++) {
                float[] c = in[2].clone();
                Gemm.sgemm(cs.ta(), cs.m(), in[0], cs.offA(), cs.lda(), pb, c, cs.offC(), cs.ldc(), cs.acc());
                assertBitIdentical("prepared B (use " + rep + ", " + threads + " threads)", run(Gemm::sgemm, cs, in),
                        c, cs);
            }
        });
        Parallel.setNumThreads(2);
        Case big = new Case(false, true, 300, 1030, 600, true, 1, 2, 3, 1, 2, 3, 7);
        float[][] in = inputs(big);
        Gemm.PackedB pb = Gemm.packB(true, big.k(), big.n(), in[1], big.offB(), big.ldb());
        float[] c = in[2].clone();
        Gemm.sgemm(false, big.m(), in[0], big.offA(), big.lda(), pb, c, big.offC(), big.ldc(), true);
        assertBitIdentical("prepared B, large", run(Gemm::sgemm, big, in), c, big);
    }

    @Test
    void preparedBRejectsBadShapes() {
        float[] b = new float[12];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.packB(false, 4, 4, b, 0, 4));
        assertTrue(e.getMessage().contains("too short"), e.getMessage());
        Gemm.PackedB pb = Gemm.packB(false, 3, 4, b, 0, 4);
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, 100, new float[10], 0, 3, pb, new float[400], 0, 4, false));
        assertTrue(e2.getMessage().contains("sgemm"), e2.getMessage());
    }

    @Test
    void dgemmMatchesReference() {
        qt().withExamples(60).forAll(cases(160)).checkAssert(cs -> {
            SplittableRandom r = new SplittableRandom(cs.seed());
            double[] a = new double[cs.aLen()], b = new double[cs.bLen()], c = new double[cs.cLen()];
            for (double[] x : new double[][] {a, b, c}) {
                for (int i = 0; i < x.length; i++) {
                    x[i] = r.nextDouble() * 2 - 1;
                }
            }
            double[] c0 = c.clone();
            Gemm.dgemm(cs.ta(), cs.tb(), cs.m(), cs.n(), cs.k(), a, cs.offA(), cs.lda(), b, cs.offB(), cs.ldb(), c,
                    cs.offC(), cs.ldc(), cs.acc());
            for (int i = 0; i < cs.m(); i++) {
                for (int j = 0; j < cs.n(); j++) {
                    double s = cs.acc() ? c0[cs.offC() + i * cs.ldc() + j] : 0.0;
                    double mag = Math.abs(s);
                    for (int p = 0; p < cs.k(); p++) {
                        double ai = cs.ta() ? a[cs.offA() + p * cs.lda() + i] : a[cs.offA() + i * cs.lda() + p];
                        double bj = cs.tb() ? b[cs.offB() + j * cs.ldb() + p] : b[cs.offB() + p * cs.ldb() + j];
                        s += ai * bj;
                        mag += Math.abs(ai * bj);
                    }
                    double got = c[cs.offC() + i * cs.ldc() + j];
                    assertTrue(Math.abs(got - s) <= 1e-14 * (cs.k() + 4) * mag + 1e-300,
                            "dgemm C[" + i + "," + j + "] = " + got + ", expected " + s + " for " + cs);
                }
            }
            Parallel.setNumThreads(1);
            double[] one = c0.clone();
            Gemm.dgemm(cs.ta(), cs.tb(), cs.m(), cs.n(), cs.k(), a, cs.offA(), cs.lda(), b, cs.offB(), cs.ldb(), one,
                    cs.offC(), cs.ldc(), cs.acc());
            Parallel.setNumThreads(2);
            double[] two = c0.clone();
            Gemm.dgemm(cs.ta(), cs.tb(), cs.m(), cs.n(), cs.k(), a, cs.offA(), cs.lda(), b, cs.offB(), cs.ldb(), two,
                    cs.offC(), cs.ldc(), cs.acc());
            for (int i = 0; i < one.length; i++) {
                assertEquals(Double.doubleToRawLongBits(one[i]), Double.doubleToRawLongBits(two[i]),
                        "dgemm 1 vs 2 threads at " + i + " for " + cs);
            }
        });
    }

    @Test
    void zeroSizes() {
        float[] a = {1, 2, 3, 4};
        float[] b = {1, 2, 3, 4};
        float[] c = {5, 6, 7, 8};
        Gemm.sgemm(false, false, 2, 2, 0, a, 0, 1, b, 0, 2, c, 0, 2, true);
        assertBitIdentical("k=0 accumulate", new float[] {5, 6, 7, 8}, c, "k=0");
        Gemm.sgemm(false, false, 2, 2, 0, a, 0, 1, b, 0, 2, c, 0, 2, false);
        assertBitIdentical("k=0 overwrite", new float[] {0, 0, 0, 0}, c, "k=0");
        float[] c2 = {5, 6, 7, 8};
        Gemm.sgemm(false, false, 0, 2, 2, new float[0], 0, 2, b, 0, 2, c2, 0, 2, false);
        Gemm.sgemm(true, true, 2, 0, 2, a, 0, 2, new float[0], 0, 2, c2, 0, 1, false);
        assertBitIdentical("m=0/n=0 untouched", new float[] {5, 6, 7, 8}, c2, "m=0");
        double[] d = {5, 6};
        Gemm.dgemm(false, false, 1, 2, 0, new double[0], 0, 1, new double[0], 0, 2, d, 0, 2, false);
        assertEquals(0.0, d[0]);
        assertEquals(0.0, d[1]);
    }

    @Test
    void nanAndInfinityPropagate() {
        for (int size : new int[] {5, 70, 150}) {
            float[] a = new float[size * size];
            float[] b = new float[size * size];
            java.util.Arrays.fill(a, 1f);
            java.util.Arrays.fill(b, 1f);
            a[3] = Float.NaN; // row 0
            b[size - 1] = Float.POSITIVE_INFINITY; // row 0, column size-1
            float[] c = new float[size * size];
            Gemm.sgemm(false, false, size, size, size, a, 0, size, b, 0, size, c, 0, size, false);
            assertTrue(Float.isNaN(c[0]), "NaN in row 0, size " + size);
            assertTrue(Float.isNaN(c[size - 1]), "NaN row 0 last column, size " + size);
            assertEquals(Float.POSITIVE_INFINITY, c[size + size - 1], "Inf in row 1 last column, size " + size);
            assertEquals((float) size, c[size], "finite element, size " + size);
        }
    }

    @Test
    void validatesArguments() {
        float[] x = new float[16];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, -1, 2, 2, x, 0, 2, x, 0, 2, x, 0, 2, false));
        assertTrue(e.getMessage().contains("sgemm") && e.getMessage().contains("m=-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 2, 2, 3, x, 0, 2, x, 0, 2, x, 0, 2, false));
        assertTrue(e.getMessage().contains("sgemm") && e.getMessage().contains("lda=2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(true, false, 4, 2, 3, x, 0, 4, x, 0, 1, x, 0, 2, false));
        assertTrue(e.getMessage().contains("sgemm") && e.getMessage().contains("ldb=1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, true, 4, 4, 4, x, 1, 4, x, 0, 4, x, 0, 4, false));
        assertTrue(e.getMessage().contains("sgemm") && e.getMessage().contains("too short"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 2, 2, 2, x, 0, 2, x, 0, 2, x, 15, 2, false));
        assertTrue(e.getMessage().contains("sgemm") && e.getMessage().contains("C"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 2, 2, 2, null, 0, 2, x, 0, 2, x, 0, 2, false));
        assertTrue(e.getMessage().contains("sgemm"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.dgemm(false, false, 2, 2, 2, new double[4], -1, 2, new double[4], 0, 2, new double[4], 0,
                        2, false));
        assertTrue(e.getMessage().contains("dgemm"), e.getMessage());
    }
}
