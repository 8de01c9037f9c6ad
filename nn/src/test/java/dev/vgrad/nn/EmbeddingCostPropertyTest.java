package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Allocations;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Cost bounded by the output (issue 15 item 9, docs/SEMANTICS.md §11): an embedding lookup reads the rows it
 * returns from the table's own storage, in the table's dtype, and allocates about the output's size, never a copy
 * of the table. Allocation is measured with {@link Allocations} ({@code ThreadMXBean.getCurrentThreadAllocatedBytes}), which counts every
 * byte this (single) thread allocates: the criterion is deterministic, not a timing. The bound is 10x the output's
 * bytes plus 64 KiB for the small objects (tensor headers, the index copy, the autograd node); a float64 copy of the
 * 200000x64 table would be 102 MB.
 */
class EmbeddingCostPropertyTest {
    static final long SEED = Long.getLong("vgrad.qt.seed", 0xE3BL);
    static final long SLACK = 64 * 1024;
    static final AtomicInteger TRIED = new AtomicInteger();
    static final AtomicInteger FAILED = new AtomicInteger();

    /** Tables shared by the examples (building a 51 MB table per example would dominate the run). */
    static Embedding big32;
    static Tensor table64;
    static Tensor tableT32;

    @AfterAll
    static void report() {
        System.out.println("[issue15] EmbeddingCostPropertyTest: " + TRIED.get() + " cases tried, " + FAILED.get()
                + " failures (seed " + SEED + ")");
    }

    static synchronized void tables() {
        if (big32 == null) {
            big32 = new Embedding(200000, 64);
            table64 = Tensor.randn(new Generator(7), 50000, 32).to(DType.FLOAT64).requiresGrad(true);
            // a (V, D) view with stride (1, V): rows are not contiguous in storage
            tableT32 = Tensor.randn(new Generator(8), 48, 40000).t();
        }
    }

    /** Bytes this thread allocates while computing {@code op}. */
    static long allocated(Supplier<Tensor> op, Tensor[] result) {
        return Allocations.during(op, result);
    }

    /** The example, 20 times in a row: 4 rows of Embedding(200000, 64). */
    @Test
    void fourRowsOfABigTableAllocateAboutTheOutput() {
        tables();
        Tensor idx = Tensor.ofLongs(new long[] {3, 199999, 0, 123456}, 4);
        Tensor[] out = new Tensor[1];
        allocated(() -> big32.forward(idx), out); // warm-up: class loading, lambda linkage
        long outBytes = 4L * 64 * Float.BYTES;
        StringBuilder seen = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            long bytes = allocated(() -> big32.forward(idx), out);
            seen.append(bytes).append(i < 19 ? ", " : "");
            assertTrue(bytes <= 10 * outBytes + SLACK, "lookup " + i + " allocated " + bytes + " bytes for a "
                    + outBytes + "-byte output");
            assertEquals(DType.FLOAT32, out[0].dtype());
            assertArrayEquals(new int[] {4, 64}, out[0].shape());
        }
        System.out.println("[issue15] EmbeddingCostPropertyTest: 20 lookups of 4 rows of Embedding(200000, 64) "
                + "allocated [" + seen + "] bytes each (bound " + (10 * outBytes + SLACK) + ")");
    }

    /**
     * Random lookups (index shape, table dtype and layout, with and without autograd): values are the table's rows
     * exactly, the dtype is the table's, and the allocation stays within the bound.
     */
    @Test
    void randomLookupsCostTheOutputAndReturnTheRows() {
        tables();
        qt().withFixedSeed(SEED).withExamples(200).withShrinkCycles(0)
                .forAll(integers().between(0, 2), longs().all())
                .checkAssert((which, seed) -> {
                    TRIED.incrementAndGet();
                    try {
                        lookup(which, seed);
                    } catch (AssertionError | RuntimeException e) {
                        FAILED.incrementAndGet();
                        throw e;
                    }
                });
    }

    private static void lookup(int which, long seed) {
        Random r = new Random(seed);
        Tensor w = which == 0 ? big32.weight() : which == 1 ? table64 : tableT32;
        int vocab = w.size(0);
        int dim = w.size(1);
        int rank = 1 + r.nextInt(3);
        int[] shape = new int[rank];
        int n = 1;
        for (int i = 0; i < rank; i++) {
            shape[i] = 1 + r.nextInt(4);
            n *= shape[i];
        }
        long[] idx = new long[n];
        for (int i = 0; i < n; i++) {
            idx[i] = r.nextInt(vocab);
        }
        Tensor ix = Tensor.ofLongs(idx, shape);
        boolean noGrad = r.nextBoolean();
        Tensor[] out = new Tensor[1];
        String where = "table " + which + " " + w.dtype() + java.util.Arrays.toString(w.shape()) + " indices "
                + java.util.Arrays.toString(shape) + " noGrad=" + noGrad + " (case seed " + seed + ")";
        Supplier<Tensor> op = () -> F.embedding(ix, w, null);
        allocated(noGrad ? () -> {
            try (Grad.Scope s = Grad.disabled()) {
                return op.get();
            }
        } : op, out);
        long bytes;
        if (noGrad) {
            try (Grad.Scope s = Grad.disabled()) {
                bytes = allocated(op, out);
            }
        } else {
            bytes = allocated(op, out);
        }
        long outBytes = (long) n * dim * w.dtype().byteSize();
        assertTrue(bytes <= 10 * outBytes + SLACK, where + ": allocated " + bytes + " bytes for " + outBytes);
        Tensor y = out[0];
        assertEquals(w.dtype(), y.dtype(), where);
        for (int i = 0; i < n; i++) {
            int[] pos = new int[rank + 1];
            for (int d = rank - 1, rem = i; d >= 0; d--) {
                pos[d] = rem % shape[d];
                rem /= shape[d];
            }
            for (int j = 0; j < dim; j += Math.max(1, dim / 7)) {
                pos[rank] = j;
                assertEquals(w.get((int) idx[i], j), y.get(pos), where + " element " + i + "," + j);
            }
        }
    }

    /**
     * The weight's gradient: row k is the sum of the output gradients of the lookups of k, added in index order in
     * the weight's dtype (PyTorch's index_add_ on CPU), the padding row zero; random repeated indices.
     */
    @Test
    void gradientScattersIntoTheTableInIndexOrder() {
        qt().withFixedSeed(SEED + 1).withExamples(100).withShrinkCycles(0)
                .forAll(longs().all())
                .checkAssert(seed -> {
                    TRIED.incrementAndGet();
                    Random r = new Random(seed);
                    int vocab = 1 + r.nextInt(6);
                    int dim = 1 + r.nextInt(5);
                    int n = 1 + r.nextInt(12);
                    DType dt = r.nextBoolean() ? DType.FLOAT32 : DType.FLOAT64;
                    Integer pad = r.nextBoolean() ? r.nextInt(vocab) : null;
                    Tensor w = Tensor.randn(new Generator(r.nextLong()), vocab, dim).to(dt).requiresGrad(true);
                    long[] idx = new long[n];
                    for (int i = 0; i < n; i++) {
                        idx[i] = r.nextInt(vocab);
                    }
                    Tensor g = Tensor.randn(new Generator(r.nextLong()), n, dim).to(dt);
                    F.embedding(Tensor.ofLongs(idx, n), w, pad).backward(g);
                    double[] gv = g.toDoubleArray();
                    for (int k = 0; k < vocab; k++) {
                        for (int j = 0; j < dim; j++) {
                            float accF = 0;
                            double accD = 0;
                            for (int i = 0; i < n; i++) {
                                if (idx[i] == k && (pad == null || k != pad)) {
                                    accF += (float) gv[i * dim + j];
                                    accD += gv[i * dim + j];
                                }
                            }
                            double want = dt == DType.FLOAT32 ? accF : accD;
                            assertEquals(want, w.grad().get(k, j), "row " + k + " col " + j + " (case seed " + seed
                                    + ")");
                        }
                    }
                    assertEquals(dt, w.grad().dtype());
                });
    }
}
