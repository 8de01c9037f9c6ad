package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.testing.Allocations;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Cost bounded by the output (issue 15 item 9, docs/SEMANTICS.md §11): ops that return a small part of a big tensor
 * (index_select, gather, narrow/select followed by contiguous, a reduction of a small view, get, item) allocate
 * about their output, never a copy or conversion of the whole input, whether it is contiguous, transposed or an
 * expanded view. Measured with {@link Allocations} (bytes allocated by this single thread: deterministic); bound
 * 10x the output's bytes plus 64 KiB, while a copy of the 2048x2048 input is 16 MiB (64 MiB for the expanded view).
 */
class OutputBoundedCostTest {
    static final long SEED = Long.getLong("vgrad.qt.seed", 0xB0DL);
    static final long SLACK = 64 * 1024;
    static final AtomicInteger TRIED = new AtomicInteger();
    static final AtomicInteger FAILED = new AtomicInteger();
    static Tensor[] inputs;

    @AfterAll
    static void report() {
        System.out.println("[issue15] OutputBoundedCostTest: " + TRIED.get() + " cases tried, " + FAILED.get()
                + " failures (seed " + SEED + ")");
    }

    static synchronized Tensor[] inputs() {
        if (inputs == null) {
            Tensor big = Tensor.randn(new Generator(3), 2048, 2048).requiresGrad(true);
            inputs = new Tensor[] {big, big.detach().t(), Tensor.randn(new Generator(4), 1, 4096).expand(4096, 4096),
                    Tensor.randn(new Generator(5), 1024, 1024).to(DType.FLOAT64)};
        }
        return inputs;
    }

    @Test
    void smallResultsOfBigTensorsCostTheirOutput() {
        Tensor[] xs = inputs();
        qt().withFixedSeed(SEED).withExamples(400).withShrinkCycles(0)
                .forAll(integers().between(0, xs.length - 1), integers().between(0, 7), longs().all())
                .checkAssert((which, op, seed) -> {
                    TRIED.incrementAndGet();
                    try {
                        one(xs[which], op, seed);
                    } catch (AssertionError | RuntimeException e) {
                        FAILED.incrementAndGet();
                        throw e;
                    }
                });
    }

    private static void one(Tensor x, int op, long seed) {
        Random r = new Random(seed);
        int rows = x.size(0);
        int cols = x.size(1);
        int dim = r.nextInt(2);
        int k = 1 + r.nextInt(5);
        long[] idx = new long[k];
        for (int i = 0; i < k; i++) {
            idx[i] = r.nextInt(x.size(dim));
        }
        int start = r.nextInt(x.size(dim) - 8);
        int len = 1 + r.nextInt(8);
        String what;
        Supplier<Object> call;
        long outElems;
        switch (op) {
            case 0 -> {
                what = "indexSelect(" + dim + ", " + k + " indices)";
                call = () -> x.indexSelect(dim, Tensor.ofLongs(idx, k));
                outElems = (long) k * x.size(1 - dim);
            }
            case 1 -> {
                int[] s = {1 + r.nextInt(3), 1 + r.nextInt(3)};
                long[] gi = new long[s[0] * s[1]];
                for (int i = 0; i < gi.length; i++) {
                    gi[i] = r.nextInt(x.size(dim));
                }
                what = "gather(" + dim + ", index " + Shape.str(s) + ")";
                call = () -> x.gather(dim, Tensor.ofLongs(gi, s));
                outElems = gi.length;
            }
            case 2 -> {
                what = "narrow(" + dim + ", " + start + ", " + len + ").contiguous()";
                call = () -> x.narrow(dim, start, len).contiguous();
                outElems = (long) len * x.size(1 - dim);
            }
            case 3 -> {
                what = "select(" + dim + ", " + start + ").contiguous()";
                call = () -> x.select(dim, start).contiguous();
                outElems = x.size(1 - dim);
            }
            case 4 -> {
                what = "get(" + idx[0] + ", ...)";
                int i0 = r.nextInt(rows);
                int i1 = r.nextInt(cols);
                call = () -> x.get(i0, i1);
                outElems = 1;
            }
            case 5 -> {
                what = "narrow to one element, item()";
                int i0 = r.nextInt(rows);
                int i1 = r.nextInt(cols);
                call = () -> x.narrow(0, i0, 1).narrow(1, i1, 1).item();
                outElems = 1;
            }
            case 6 -> {
                what = "narrow(0, " + start + ", " + len + ").narrow(1, ...).sum()/max()";
                int c0 = r.nextInt(cols - 8);
                call = () -> {
                    Tensor v = x.narrow(0, start, len).narrow(1, c0, len);
                    return v.sum().add(v.max());
                };
                outElems = (long) len * len;
            }
            default -> {
                what = "narrow(" + dim + ", " + start + ", " + len + ").to(other dtype)";
                DType other = x.dtype() == DType.FLOAT32 ? DType.FLOAT64 : DType.FLOAT32;
                call = () -> x.narrow(dim, start, len).to(other);
                outElems = (long) len * x.size(1 - dim);
            }
        }
        Object[] out = new Object[1];
        Allocations.during(call, out); // warm-up: class loading and lambda linkage of this path
        long bytes = Allocations.during(call, out);
        long bound = 10 * outElems * 8 + SLACK;
        String where = what + " of " + Shape.str(x.shape) + (x.isContiguous() ? "" : " view") + " " + x.dtype()
                + " (case seed " + seed + ")";
        assertTrue(bytes <= bound, where + ": allocated " + bytes + " bytes, bound " + bound);
        if (out[0] instanceof Tensor t && op == 0) {
            for (int i = 0; i < k; i++) {
                int other = r.nextInt(x.size(1 - dim));
                double want = dim == 0 ? x.get((int) idx[i], other) : x.get(other, (int) idx[i]);
                assertEquals(want, dim == 0 ? t.get(i, other) : t.get(other, i), where);
            }
        }
    }
}
