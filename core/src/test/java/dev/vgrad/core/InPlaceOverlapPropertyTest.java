package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Internal and partial overlap of in-place destinations (docs/SEMANTICS.md §5.8), matching PyTorch 1.13 (which the
 * expected behaviour below was read from): every elementwise in-place op on a destination with a stride-0 dim of
 * size &gt; 1 (an expanded view) fails with PyTorch's error before writing anything, except {@code fill_}/{@code zero_}
 * and single-element {@code set}, which PyTorch lets through (every aliased element gets the same value); on
 * non-overlapping views (narrow, transpose, select, stepped slice) every in-place op works and gives what the same
 * op gives on a contiguous clone, leaving the rest of the base untouched; a source that partly overlaps the
 * destination fails with PyTorch's partial-overlap error, while the very same layout ({@code x.add_(x)}) is fine.
 */
class InPlaceOverlapPropertyTest {
    private static final int EXAMPLES = 60;
    private static final String INTERNAL = "unsupported operation: more than one element of the written-to tensor "
            + "refers to a single memory location. Please clone() the tensor before performing the operation.";
    private static final String PARTIAL = "unsupported operation: some elements of the input tensor and the "
            + "written-to tensor refer to a single memory location. Please clone() the tensor before performing the "
            + "operation.";
    private static final AtomicInteger TRIED = new AtomicInteger();
    private static final AtomicInteger FAILED = new AtomicInteger();

    /** An in-place op; {@code seed} drives the operand and the random fills, so two calls do the same thing. */
    interface Op {
        Tensor apply(Tensor self, long seed);
    }

    record InPlace(String name, Op op, boolean aliasingAllowed) {}

    private static Tensor operand(Tensor self, long seed) {
        Generator g = new Generator(seed);
        return TestTensors.uniform(g, 0.5, 1.5, TestTensors.broadcastable(g, self.shape())).to(self.dtype());
    }

    /** Every public in-place entry point of Tensor. */
    static final List<InPlace> OPS = List.of(
            new InPlace("add_", (t, s) -> t.add_(operand(t, s)), false),
            new InPlace("add_", (t, s) -> t.add_(1.25), false),
            new InPlace("sub_", (t, s) -> t.sub_(operand(t, s)), false),
            new InPlace("mul_", (t, s) -> t.mul_(operand(t, s)), false),
            new InPlace("mul_", (t, s) -> t.mul_(0.75), false),
            new InPlace("div_", (t, s) -> t.div_(operand(t, s)), false),
            new InPlace("div_", (t, s) -> t.div_(0.75), false),
            new InPlace("copy_", (t, s) -> t.copy_(operand(t, s)), false),
            new InPlace("clamp_", (t, s) -> t.clamp_(0.8, 1.2), false),
            new InPlace("uniform_", (t, s) -> t.uniform_(new Generator(s), -1, 1), false),
            new InPlace("normal_", (t, s) -> t.normal_(new Generator(s), 0, 1), false),
            new InPlace("fill_", (t, s) -> t.fill_(2.5), true),
            new InPlace("zero_", (t, s) -> t.zero_(), true));

    /** A random base of values in [0.5, 1.5): float32 or float64. */
    private static Tensor base(Generator g, int... shape) {
        return TestTensors.uniform(g, 0.5, 1.5, shape).to(g.nextBernoulli(0.5) ? DType.FLOAT32 : DType.FLOAT64);
    }

    private static void count(Runnable body) {
        TRIED.incrementAndGet();
        try {
            body.run();
        } catch (RuntimeException | AssertionError e) {
            FAILED.incrementAndGet();
            throw e;
        }
    }

    /** The example: it used to keep the last row silently. */
    @Test
    void expandedZerosAddFails() {
        Tensor base = Tensor.zeros(1, 3);
        Tensor e = base.expand(4, 3);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> e.add_(Tensor.arange(12.0).reshape(4, 3)));
        assertTrue(ex.getMessage().startsWith("add_: " + INTERNAL), ex.getMessage());
        assertArrayEquals(new float[3], base.toArray(), "nothing written");
    }

    /** Random expanded views (a stride-0 dim of size > 1), every in-place op. */
    @Test
    void expandedDestinationsFailBeforeWriting() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] full = TestTensors.shape(g, 1 + (int) g.nextLong(3), 4);
            int d = (int) g.nextLong(full.length);
            full[d] = Math.max(2, full[d]);
            int[] small = full.clone();
            small[d] = 1;
            for (int i = 0; i < small.length; i++) {
                small[i] = g.nextBernoulli(0.3) ? 1 : small[i];
            }
            boolean nonLeaf = g.nextBernoulli(0.3);
            for (InPlace op : OPS) {
                count(() -> {
                    Tensor b = base(g, small);
                    float[] before = b.toArray();
                    // a non-leaf that requires grad: PyTorch reports the overlap, not an autograd error
                    Tensor src = nonLeaf ? b.requiresGrad(true).mul(1.0) : b;
                    Tensor view = src.expand(full);
                    String what = op.name() + " on " + TestTensors.str(small) + " expanded to " + TestTensors.str(full)
                            + " seed " + seed;
                    if (op.aliasingAllowed()) {
                        try (Grad.Scope off = nonLeaf ? Grad.disabled() : null) {
                            op.op().apply(view, seed);
                        }
                        double v = op.name().equals("zero_") ? 0 : 2.5;
                        for (float f : view.toArray()) {
                            assertEquals(v, f, what);
                        }
                        return;
                    }
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> op.op().apply(view, seed), what);
                    assertTrue(e.getMessage().startsWith(op.name() + ": " + INTERNAL), what + ": " + e.getMessage());
                    assertArrayEquals(before, (nonLeaf ? src : b).toArray(), what + ": nothing may be written");
                });
            }
            // int64 counters take the same check
            count(() -> {
                Tensor l = Tensor.ofLongs(new long[Shape.numel(small)], small).expand(full);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.add_(1));
                assertTrue(e.getMessage().startsWith("add_: " + INTERNAL), e.getMessage());
            });
        });
    }

    /** Views without aliasing: the in-place op equals the same op on a contiguous clone; the rest is untouched. */
    @Test
    void nonOverlappingViewsMatchTheOpOnAClone() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] shape = TestTensors.shape(g, 2 + (int) g.nextLong(2), 5);
            int kind = (int) g.nextLong(5);
            for (InPlace op : OPS) {
                count(() -> {
                    Tensor b = base(new Generator(seed), shape);
                    Tensor reference = b.cloneTensor();
                    Tensor view = view(b, kind, shape);
                    Tensor refView = view(reference, kind, shape);
                    String what = op.name() + " on view kind " + kind + " of " + TestTensors.str(shape) + " (view "
                            + TestTensors.str(view.shape()) + ", strides " + TestTensors.str(view.stride()) + ") seed "
                            + seed;
                    Tensor expected = op.op().apply(refView.cloneTensor(), seed);
                    refView.copy_(expected);
                    Tensor r = op.op().apply(view, seed);
                    assertTrue(r == view, what + ": returns this");
                    assertArrayEquals(expected.toArray(), view.toArray(), what);
                    assertArrayEquals(reference.toArray(), b.toArray(), what + ": the base outside the view");
                });
            }
        });
    }

    private static Tensor view(Tensor b, int kind, int[] shape) {
        return switch (kind) {
            case 0 -> b.transpose(0, shape.length - 1);
            case 1 -> b.narrow(0, shape[0] / 2, shape[0] - shape[0] / 2);
            case 2 -> b.select(shape.length - 1, shape[shape.length - 1] - 1);
            case 3 -> b.slice(shape.length - 1, 0, shape[shape.length - 1], 2);
            default -> b.narrow(1, 0, Math.max(1, shape[1] - 1)).transpose(0, 1);
        };
    }

    /** Source and destination over the same storage: partial overlap fails, identical layouts are fine. */
    @Test
    void partiallyOverlappingSourceFails() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int n = 2 + (int) g.nextLong(8);
            int len = 1 + (int) g.nextLong(n - 1);
            int a = (int) g.nextLong(n - len + 1);
            int c = (int) g.nextLong(n - len + 1);
            for (String opName : new String[] {"copy_", "add_", "mul_"}) {
                count(() -> {
                    Tensor x = base(g, n);
                    float[] before = x.toArray();
                    Tensor dst = x.narrow(0, a, len);
                    Tensor src = x.narrow(0, c, len);
                    String what = opName + " of [" + c + ", " + (c + len) + ") into [" + a + ", " + (a + len)
                            + ") of " + n + " seed " + seed;
                    Runnable run = () -> {
                        switch (opName) {
                            case "copy_" -> dst.copy_(src);
                            case "add_" -> dst.add_(src);
                            default -> dst.mul_(src);
                        }
                    };
                    if (a == c || Math.abs(a - c) >= len) {
                        // the same elements in the same order, or disjoint ranges: an ordinary in-place op
                        // the reference: the out-of-place op on contiguous clones
                        Tensor d0 = dst.cloneTensor();
                        Tensor s0 = src.cloneTensor();
                        Tensor expected = opName.equals("copy_") ? s0 : opName.equals("add_") ? d0.add(s0) : d0.mul(s0);
                        run.run();
                        assertArrayEquals(expected.toDoubleArray(), dst.toDoubleArray(), what);
                    } else {
                        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, run::run, what);
                        assertTrue(e.getMessage().startsWith(opName + ": " + PARTIAL), what + ": " + e.getMessage());
                        assertArrayEquals(before, x.toArray(), what + ": nothing may be written");
                    }
                });
            }
        });
    }

    /** PyTorch's example of a partial overlap, and a source that merely reads an expanded view (allowed). */
    @Test
    void shiftedCopyFailsAndExpandedSourceIsFine() {
        Tensor x = Tensor.arange(4.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> x.narrow(0, 1, 3).copy_(x.narrow(0, 0, 3)));
        assertTrue(e.getMessage().startsWith("copy_: " + PARTIAL), e.getMessage());
        Tensor y = Tensor.zeros(4, 3);
        y.add_(Tensor.arange(3.0).reshape(1, 3).expand(4, 3));
        assertArrayEquals(new float[] {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2}, y.toArray());
    }

    @AfterAll
    static void report() {
        System.out.println("[issue15] InPlaceOverlapPropertyTest: " + TRIED.get() + " cases tried, " + FAILED.get()
                + " failures");
    }
}
