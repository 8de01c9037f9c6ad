package dev.vgrad.core.kernel;

/**
 * General matrix multiply over row-major arrays: {@code C = (accumulate ? C : 0) + op(A)·op(B)}.
 *
 * <p>{@code op(A)} is {@code m×k}. If {@code transA} is false, A is stored {@code m×k} and element
 * {@code (i,p)} is {@code a[aOff + i*lda + p]}; if true, A is stored {@code k×m} and element {@code (i,p)} is
 * {@code a[aOff + p*lda + i]}. Likewise {@code op(B)} is {@code k×n}, stored {@code k×n}
 * ({@code b[bOff + p*ldb + j]}) or, when {@code transB}, {@code n×k} ({@code b[bOff + j*ldb + p]}).
 * C is {@code m×n} with element {@code (i,j)} at {@code c[cOff + i*ldc + j]}.
 *
 * <p>{@link #sgemm} dispatches to a Vector API kernel ({@code SimdGemm}) when {@link KernelProvider#simdEnabled()}
 * and to a blocked scalar kernel otherwise. Both split large products into fixed blocks (rows; the SIMD kernel
 * splits the columns when there is a single block of rows) whose boundaries depend only on the sizes, and the
 * summation order of every element of C does not depend on that split, so results are bit-identical for any
 * {@link Parallel#setNumThreads thread count}. Both compute every element of C as one fused multiply-add chain
 * over ascending {@code p} (starting from C when accumulating, else from 0), so the two float paths are
 * bit-identical as well.
 * {@link #dgemm} is scalar (it serves float64 gradient checks).
 *
 * <p>C must not alias A or B.
 *
 * <p>Internal: the matrix-multiply kernel behind core's matmul/linear/convolution and the JMH benchmarks; not
 * part of the stable API.
 */
public final class Gemm {
    private Gemm() {}

    /**
     * Single-precision GEMM; see the class documentation for the layout.
     *
     * @param transA     whether A is stored transposed ({@code k×m})
     * @param transB     whether B is stored transposed ({@code n×k})
     * @param m          rows of op(A) and C
     * @param n          columns of op(B) and C
     * @param k          columns of op(A) = rows of op(B), the summed dimension
     * @param a          A's array
     * @param aOff       offset of A's element (0,0)
     * @param lda        row stride of A as stored (at least its stored column count, and ≥ 1)
     * @param b          B's array
     * @param bOff       offset of B's element (0,0)
     * @param ldb        row stride of B as stored (at least its stored column count, and ≥ 1)
     * @param c          C's array, written (or accumulated into); must not alias A or B
     * @param cOff       offset of C's element (0,0)
     * @param ldc        row stride of C (at least {@code max(1, n)})
     * @param accumulate true to add op(A)·op(B) to C, false to overwrite C
     * @throws IllegalArgumentException naming the routine if a size or offset is negative, an array is null, a
     *                                  leading dimension is too small or an array too short for its matrix
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float[] c, int cOff, int ldc, boolean accumulate) {
        validate("sgemm", transA, transB, m, n, k,
                a == null ? -1 : a.length, aOff, lda,
                b == null ? -1 : b.length, bOff, ldb,
                c == null ? -1 : c.length, cOff, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
                }
            }
            return;
        }
        boolean simd = KernelProvider.simdEnabled();
        if (ScalarGemm.prefersMatVec(simd, transB, m, n, k)) {
            ScalarGemm.matVec(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        } else if (simd) {
            SimdGemm.sgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        } else {
            ScalarGemm.sgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        }
    }

    /**
     * A float {@code op(B)} ({@code k×n}) prepared once for several {@link #sgemm(boolean, int, float[], int, int,
     * PackedB, float[], int, int, boolean) products} that share it, such as a recurrent weight used at every time
     * step: the SIMD kernel's panels are packed here instead of in every call. Holds a reference to B's array,
     * which must not change while the PackedB is in use.
     */
    public static final class PackedB {
        private final boolean transB;
        private final int k;
        private final int n;
        private final float[] b;
        private final int bOff;
        private final int ldb;
        private final SimdGemm.PackedPanels panels;

        private PackedB(boolean transB, int k, int n, float[] b, int bOff, int ldb, SimdGemm.PackedPanels panels) {
            this.transB = transB;
            this.k = k;
            this.n = n;
            this.b = b;
            this.bOff = bOff;
            this.ldb = ldb;
            this.panels = panels;
        }
    }

    /**
     * Prepares {@code op(B)} for repeated products; see {@link PackedB}. The arguments mean what they mean in
     * {@link #sgemm(boolean, boolean, int, int, int, float[], int, int, float[], int, int, float[], int, int,
     * boolean)}.
     *
     * @param transB whether B is stored transposed ({@code n×k})
     * @param k      rows of op(B)
     * @param n      columns of op(B)
     * @param b      B's array (referenced, not copied)
     * @param bOff   offset of B's element (0,0)
     * @param ldb    row stride of B as stored
     * @return the prepared operand
     * @throws IllegalArgumentException as sgemm does for a bad B
     */
    public static PackedB packB(boolean transB, int k, int n, float[] b, int bOff, int ldb) {
        validate("sgemm", false, transB, 0, n, k, 0, 0, Math.max(1, k), b == null ? -1 : b.length, bOff, ldb, 0, 0,
                Math.max(1, n));
        SimdGemm.PackedPanels panels = KernelProvider.simdEnabled() && k > 0 && n > 0
                ? SimdGemm.packAllB(transB, k, n, b, bOff, ldb) : null;
        return new PackedB(transB, k, n, b, bOff, ldb, panels);
    }

    /**
     * {@code C = (accumulate ? C : 0) + op(A)·op(B)} with a prepared B: the same bits as the unprepared
     * {@link #sgemm(boolean, boolean, int, int, int, float[], int, int, float[], int, int, float[], int, int,
     * boolean) sgemm} with B's original arguments (the same kernel route and FMA chains; only B's packing moves).
     *
     * @param transA     whether A is stored transposed ({@code k×m})
     * @param m          rows of op(A) and C
     * @param a          A's array
     * @param aOff       offset of A's element (0,0)
     * @param lda        row stride of A as stored
     * @param b          the prepared op(B), {@code k×n}
     * @param c          C's array; must not alias A or B
     * @param cOff       offset of C's element (0,0)
     * @param ldc        row stride of C
     * @param accumulate true to add to C, false to overwrite C
     * @throws IllegalArgumentException as sgemm does for bad sizes, offsets or arrays
     */
    public static void sgemm(boolean transA, int m, float[] a, int aOff, int lda, PackedB b,
                             float[] c, int cOff, int ldc, boolean accumulate) {
        if (b.panels == null || m == 0 || SimdGemm.direct(m, b.n, b.k)) {
            sgemm(transA, b.transB, m, b.n, b.k, a, aOff, lda, b.b, b.bOff, b.ldb, c, cOff, ldc, accumulate);
            return;
        }
        validate("sgemm", transA, b.transB, m, b.n, b.k,
                a == null ? -1 : a.length, aOff, lda, b.b.length, b.bOff, b.ldb,
                c == null ? -1 : c.length, cOff, ldc);
        SimdGemm.sgemmPackedB(transA, m, a, aOff, lda, b.panels, c, cOff, ldc, accumulate);
    }

    /**
     * Double-precision GEMM (scalar, blocked); see the class documentation for the layout.
     *
     * @param transA     whether A is stored transposed ({@code k×m})
     * @param transB     whether B is stored transposed ({@code n×k})
     * @param m          rows of op(A) and C
     * @param n          columns of op(B) and C
     * @param k          columns of op(A) = rows of op(B), the summed dimension
     * @param a          A's array
     * @param aOff       offset of A's element (0,0)
     * @param lda        row stride of A as stored (at least its stored column count, and ≥ 1)
     * @param b          B's array
     * @param bOff       offset of B's element (0,0)
     * @param ldb        row stride of B as stored (at least its stored column count, and ≥ 1)
     * @param c          C's array, written (or accumulated into); must not alias A or B
     * @param cOff       offset of C's element (0,0)
     * @param ldc        row stride of C (at least {@code max(1, n)})
     * @param accumulate true to add op(A)·op(B) to C, false to overwrite C
     * @throws IllegalArgumentException naming the routine if a size or offset is negative, an array is null, a
     *                                  leading dimension is too small or an array too short for its matrix
     */
    public static void dgemm(boolean transA, boolean transB, int m, int n, int k,
                             double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                             double[] c, int cOff, int ldc, boolean accumulate) {
        validate("dgemm", transA, transB, m, n, k,
                a == null ? -1 : a.length, aOff, lda,
                b == null ? -1 : b.length, bOff, ldb,
                c == null ? -1 : c.length, cOff, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0.0);
                }
            }
            return;
        }
        ScalarGemm.dgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    private static void validate(String op, boolean transA, boolean transB, int m, int n, int k,
                                 int aLen, int aOff, int lda, int bLen, int bOff, int ldb,
                                 int cLen, int cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException(op + ": sizes must be non-negative, got m=" + m + ", n=" + n
                    + ", k=" + k);
        }
        if (aLen < 0 || bLen < 0 || cLen < 0) {
            throw new IllegalArgumentException(op + ": arrays must not be null (a " + (aLen < 0 ? "null" : "ok")
                    + ", b " + (bLen < 0 ? "null" : "ok") + ", c " + (cLen < 0 ? "null" : "ok") + ")");
        }
        if (aOff < 0 || bOff < 0 || cOff < 0) {
            throw new IllegalArgumentException(op + ": offsets must be non-negative, got aOff=" + aOff
                    + ", bOff=" + bOff + ", cOff=" + cOff);
        }
        // A: rows x cols as stored
        int aRows = transA ? k : m;
        int aCols = transA ? m : k;
        int bRows = transB ? n : k;
        int bCols = transB ? k : n;
        checkMatrix(op, "A", transA, aRows, aCols, aLen, aOff, lda, "lda", m, n, k);
        checkMatrix(op, "B", transB, bRows, bCols, bLen, bOff, ldb, "ldb", m, n, k);
        checkMatrix(op, "C", false, m, n, cLen, cOff, ldc, "ldc", m, n, k);
    }

    private static void checkMatrix(String op, String name, boolean trans, int rows, int cols, int len, int off,
                                    int ld, String ldName, int m, int n, int k) {
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException(op + ": " + ldName + "=" + ld + " is too small for " + name
                    + " stored " + rows + "x" + cols + (trans ? " (transposed)" : "") + " (m=" + m + ", n=" + n
                    + ", k=" + k + ")");
        }
        if (rows == 0 || cols == 0) {
            return;
        }
        long needed = (long) off + (long) (rows - 1) * ld + cols;
        if (needed > len) {
            throw new IllegalArgumentException(op + ": array " + name + " of length " + len + " is too short for "
                    + rows + "x" + cols + (trans ? " (transposed)" : "") + " at offset " + off + " with " + ldName
                    + "=" + ld + " (needs " + needed + "; m=" + m + ", n=" + n + ", k=" + k + ")");
        }
    }
}
