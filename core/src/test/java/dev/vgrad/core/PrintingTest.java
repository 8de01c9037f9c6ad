package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.testing.Allocations;
import dev.vgrad.core.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Printing (issue 15 item 9, docs/SEMANTICS.md §14). {@code printing.json} holds PyTorch 1.13's {@code str(t)} for
 * small and large tensors ({@code tools/fixtures/print_fixtures.py}); vgrad must print each exactly. Printing
 * visits only the elements it shows: for the large cases (a 2^22-element tensor, expanded views of 2^24 elements)
 * the bytes allocated by {@code toString} are bounded by a constant far below one copy of the tensor, measured with
 * {@link Allocations} (deterministic for this single-threaded call). A property test prints random strided views
 * (expand, transpose, narrow) and requires the same text as for their contiguous copies.
 */
class PrintingTest {
    static final List<Map<String, Object>> CASES = Fixtures.cases(Fixtures.load("printing.json"));
    /** Allowed allocation for printing a summarised tensor: a few thousand characters and their formatting. */
    static final long PRINT_BOUND = 2L << 20;
    static final long SEED = Long.getLong("vgrad.qt.seed", 0x9217L);
    static final AtomicInteger TRIED = new AtomicInteger();
    static final AtomicInteger FAILED = new AtomicInteger();

    @AfterAll
    static void report() {
        System.out.println("[issue15] PrintingTest: " + TRIED.get() + " cases tried, " + FAILED.get() + " failures ("
                + CASES.size() + " PyTorch strings, seed " + SEED + ")");
    }

    static Tensor build(Map<String, Object> c) {
        int[] shape = Fixtures.ints(c.get("shape"));
        DType dt = switch ((String) c.get("dtype")) {
            case "float32" -> DType.FLOAT32;
            case "float64" -> DType.FLOAT64;
            default -> DType.INT64;
        };
        int n = Shape.numel(shape);
        Tensor t = Tensor.zeros(dt, shape);
        if (c.containsKey("data")) {
            List<Object> data = Fixtures.list(c, "data");
            for (int i = 0; i < n; i++) {
                t.storage.set(i, Fixtures.number(data.get(i)));
            }
        } else {
            Map<String, Object> v = Fixtures.map(c, "values");
            long a = ((Number) v.get("a")).longValue();
            long m = ((Number) v.get("m")).longValue();
            long off = ((Number) v.get("c")).longValue();
            double d = Fixtures.number(v.get("d"));
            double s = Fixtures.number(v.get("s"));
            for (int i = 0; i < n; i++) {
                long k = (i * a) % m - off;
                if (dt == DType.INT64) {
                    t.storage.l[i] = k;
                } else {
                    // the generator's formula, in float64 and rounded once to the dtype, as torch computes it
                    t.storage.set(i, (double) k / d * s);
                }
            }
        }
        for (Object o : Fixtures.list(c, "views")) {
            List<?> op = (List<?>) o;
            t = switch ((String) op.get(0)) {
                case "expand" -> t.expand(Fixtures.ints(op.get(1)));
                case "transpose" -> t.transpose(((Number) op.get(1)).intValue(), ((Number) op.get(2)).intValue());
                case "narrow" -> t.narrow(((Number) op.get(1)).intValue(), ((Number) op.get(2)).intValue(),
                        ((Number) op.get(3)).intValue());
                default -> throw new AssertionError(op);
            };
        }
        if (Boolean.TRUE.equals(c.get("requires_grad"))) {
            t = t.requiresGrad(true);
        }
        return t;
    }

    @TestFactory
    Stream<DynamicTest> printsAsPyTorch() {
        List<DynamicTest> out = new ArrayList<>();
        for (Map<String, Object> c : CASES) {
            String name = (String) c.get("name");
            out.add(DynamicTest.dynamicTest(name, () -> {
                TRIED.incrementAndGet();
                Tensor t = build(c);
                assertEquals(c.get("expected"), t.toString(), name);
                if (t.numel() >= 1 << 20) {
                    Object[] r = new Object[1];
                    long bytes = Allocations.during(t::toString, r);
                    System.out.println("[issue15] PrintingTest: " + name + " (" + t.numel() + " elements) toString "
                            + "allocated " + bytes + " bytes");
                    assertTrue(bytes < PRINT_BOUND, name + ": printing allocated " + bytes + " bytes; a copy of the "
                            + "tensor would be " + (long) t.numel() * t.dtype().byteSize());
                }
            }));
        }
        return out.stream();
    }

    /** The example, 20 times: a 2^22-element tensor and an expanded 2^24-element view. */
    @Test
    void printingBigTensorsAllocatesAboutWhatItShows() {
        Tensor big = Tensor.arange(1 << 22).reshape(2048, 2048);
        Tensor expanded = Tensor.arange(4096).reshape(1, 4096).expand(4096, 4096);
        Object[] r = new Object[1];
        for (Tensor t : new Tensor[] {big, expanded}) {
            t.toString();
            long[] seen = new long[20];
            for (int i = 0; i < 20; i++) {
                seen[i] = Allocations.during(t::toString, r);
                assertTrue(seen[i] < PRINT_BOUND, "printing " + Shape.str(t.shape) + " allocated " + seen[i]);
            }
            System.out.println("[issue15] PrintingTest: toString of " + Shape.str(t.shape) + " ("
                    + (t.isContiguous() ? "contiguous" : "expanded view") + "), 20 runs allocated "
                    + java.util.Arrays.toString(seen) + " bytes (bound " + PRINT_BOUND + ")");
        }
    }

    /**
     * Random views print exactly as their contiguous copies (layout never shows), with random shapes around the
     * summarisation threshold and random value styles (integral, fixed, scientific, special values, int64).
     */
    @Test
    void viewsPrintAsTheirContiguousCopies() {
        qt().withFixedSeed(SEED).withExamples(300).withShrinkCycles(0).forAll(longs().all()).checkAssert(seed -> {
            TRIED.incrementAndGet();
            try {
                oneView(seed);
            } catch (AssertionError | RuntimeException e) {
                FAILED.incrementAndGet();
                throw e;
            }
        });
    }

    private static void oneView(long seed) {
        Random r = new Random(seed);
        int rank = 1 + r.nextInt(4);
        int[] shape = new int[rank];
        for (int i = 0; i < rank; i++) {
            shape[i] = 1 + r.nextInt(rank == 1 ? 2000 : rank == 2 ? 60 : 14);
        }
        DType dt = r.nextInt(4) == 0 ? DType.INT64 : r.nextBoolean() ? DType.FLOAT32 : DType.FLOAT64;
        Tensor t = Tensor.zeros(dt, shape);
        int style = r.nextInt(5);
        for (int i = 0, n = t.numel(); i < n; i++) {
            double v = switch (style) {
                case 0 -> r.nextInt(200) - 100;
                case 1 -> r.nextGaussian() * 10;
                case 2 -> r.nextGaussian() * 1e-6;
                case 3 -> r.nextInt(10) == 0 ? new double[] {Double.NaN, Double.POSITIVE_INFINITY, -0.0}[r.nextInt(3)]
                        : r.nextGaussian();
                default -> r.nextGaussian() * 1e9;
            };
            if (dt == DType.INT64) {
                t.storage.l[i] = (long) (Double.isFinite(v) ? v : 7);
            } else {
                t.storage.set(i, v);
            }
        }
        String what = Shape.str(shape) + " " + dt + " style " + style;
        Tensor v = t;
        int op = r.nextInt(3);
        if (op == 0) {
            int d = r.nextInt(rank);
            int[] es = shape.clone();
            int[] s1 = shape.clone();
            s1[d] = 1;
            es[d] = 1 + r.nextInt(3000 / Math.max(1, Shape.numel(s1)) + 1);
            v = t.narrow(d, r.nextInt(shape[d]), 1).expand(es);
            what += " narrow(" + d + ") expand " + Shape.str(es);
        } else if (op == 1 && rank > 1) {
            int d0 = r.nextInt(rank);
            int d1 = r.nextInt(rank);
            v = t.transpose(d0, d1);
            what += " transpose(" + d0 + ", " + d1 + ")";
        } else {
            int d = r.nextInt(rank);
            int start = r.nextInt(shape[d]);
            v = t.narrow(d, start, 1 + r.nextInt(shape[d] - start));
            what += " narrow(" + d + ", " + start + ")";
        }
        assertEquals(v.contiguous().toString(), v.toString(), what + " (case seed " + seed + ")");
    }
}
