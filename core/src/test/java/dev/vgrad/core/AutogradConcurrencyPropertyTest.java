package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Thread safety of autograd (docs/SEMANTICS.md §5.9) and {@code Autograd.grad} with repeated inputs (§5.10).
 *
 * <p>Random small graphs (chains and DAGs of add, sub, mul, exp, tanh, matmul, sums, broadcasting, transposes and
 * shared subexpressions) are built once and then run by several threads at the same instant (a latch opens them
 * together), each mixing {@code backward} with {@code retainGraph} and {@code Autograd.grad}. The pass criterion is
 * exact and independent of the interleaving:
 * <ul>
 *   <li>every {@code Autograd.grad} result equals, bit for bit, the single-threaded result for that input;</li>
 *   <li>every leaf's and retained tensor's {@code .grad} equals, bit for bit, what the same number of passes run
 *       one after another produce. This is order independent by construction: either the values are small
 *       integers in float64, so every sum is exact (and the test checks the total is exactly K times one pass),
 *       or every leaf has a single consumer, so each pass adds the same bits and the K-fold sum of one value does
 *       not depend on which thread added when.</li>
 * </ul>
 * Without {@code retainGraph}, concurrent passes over one graph must each either give the single-threaded
 * result or fail with PyTorch's "backward through the graph a second time" error, never a wrong number.
 */
class AutogradConcurrencyPropertyTest {
    private static final int GRAPHS = Integer.getInteger("vgrad.concurrency.examples", 120);
    private static final String SECOND_TIME = "Trying to backward through the graph a second time";

    // ------------------------------------------------------------------ random graphs

    /** A graph built once from a seed, with what the test needs to run it and describe it on failure. */
    private static final class RandomGraph {
        final long seed;
        final boolean exact;
        final StringBuilder ops = new StringBuilder();
        final List<Tensor> leaves = new ArrayList<>();
        final List<Tensor> mids = new ArrayList<>();
        final List<Tensor> retained = new ArrayList<>();
        Tensor root;
        /** Null for a one-element root (implicit gradient 1). */
        Tensor rootGrad;

        RandomGraph(long seed) {
            this.seed = seed;
            Random rng = new Random(seed);
            this.exact = rng.nextBoolean();
            DType dtype = exact || rng.nextBoolean() ? DType.FLOAT64 : DType.FLOAT32;
            int m = 1 + rng.nextInt(4);
            int n = 1 + rng.nextInt(4);
            int[][] shapes = {{m, n}, {1, n}, {m, 1}, {n}, {}};
            List<Tensor> pool = new ArrayList<>();
            List<Double> bound = new ArrayList<>();
            int nLeaves = 1 + rng.nextInt(3);
            for (int i = 0; i < nLeaves; i++) {
                int[] s = shapes[rng.nextInt(shapes.length)];
                Tensor leaf = values(rng, dtype, s).requiresGrad(true);
                leaves.add(leaf);
                ops.append("leaf").append(i).append(Arrays.toString(s)).append(' ');
                if (exact) {
                    pool.add(leaf);
                } else {
                    // the leaf's only consumer: each pass then adds one and the same gradient into its .grad
                    Tensor c = values(rng, dtype, s);
                    pool.add(leaf.mul(c));
                    ops.append("w").append(i).append("=leaf").append(i).append("*c ");
                }
                bound.add(maxAbs(pool.get(pool.size() - 1)));
            }
            // Exact regime: F, the product over all ops of how much an op can enlarge a gradient passing through
            // it (the other factor's magnitude, the number of elements a broadcast sums), stays <= 2^16. A leaf's
            // gradient is at most |root gradient| (2) * root expand (16) * paths (< 2^13) * F < 2^34, so with at
            // most 24 passes every partial sum of .grad is an integer below 2^53: exact in any order.
            double gain = 1;
            int nOps = 2 + rng.nextInt(7);
            for (int k = 0; k < nOps; k++) {
                int ia = rng.nextInt(pool.size());
                int ib = rng.nextInt(pool.size());
                Tensor a = pool.get(ia);
                Tensor b = pool.get(ib);
                double ba = Math.max(1, bound.get(ia));
                double bb = Math.max(1, bound.get(ib));
                int op = rng.nextInt(exact ? 7 : 9);
                double na = a.numel();
                double nb = b.numel();
                double nr = op == 3 ? m : Shape.numel(Shape.broadcast("test", a.shape(), b.shape()));
                double f = switch (op) {
                    case 0, 1 -> Math.max(nr / na, nr / nb);
                    case 2 -> Math.max(nr / na * bb, nr / nb * ba);
                    case 3 -> Math.max(m * n / na * m * bb, m * n / nb * m * ba);
                    case 6 -> 2 * ba;
                    default -> 1;
                };
                if ((op == 2 || op == 6) && ba * (op == 2 ? bb : ba) > 64 || op == 3 && m * n * ba * bb > 64
                        || exact && gain * f > 0x1p16) {
                    op = 5; // keeps values and gradients small
                    f = 1;
                }
                gain *= f;
                Tensor r;
                String what;
                switch (op) {
                    case 0 -> { r = a.add(b); what = "add"; }
                    case 1 -> { r = a.sub(b); what = "sub"; }
                    case 2 -> { r = a.mul(b); what = "mul"; }
                    case 3 -> {
                        r = a.expand(m, n).matmul(b.expand(m, n).t()).sum(new int[] {1}, true);
                        what = "matmul.sum1";
                    }
                    case 4 -> {
                        r = a.dim() == 2 ? a.sum(new int[] {0}, true) : a.sum();
                        what = "sum";
                    }
                    case 5 -> {
                        boolean square = a.dim() == 2 && a.shape()[0] == a.shape()[1];
                        r = square ? a.t().neg() : a.neg();
                        what = square ? "t.neg" : "neg";
                    }
                    case 6 -> { r = a.mul(a); what = "square"; } // one node feeding both inputs of a mul
                    case 7 -> { r = ba <= 8 ? a.exp() : a.tanh().exp(); what = "exp"; }
                    default -> { r = a.tanh(); what = "tanh"; }
                }
                ops.append('v').append(pool.size()).append('=').append(what).append("(v").append(ia);
                ops.append(op <= 3 ? ",v" + ib + ") " : ") ");
                pool.add(r);
                bound.add(maxAbs(r));
                mids.add(r);
            }
            for (Tensor t : mids) {
                if (rng.nextInt(4) == 0) {
                    retained.add(t.retainGrad());
                }
            }
            // every pool tensor contributes, so every leaf is reachable and Autograd.grad never finds it unused
            Tensor total = pool.get(0).sum();
            for (int i = 1; i < pool.size(); i++) {
                total = total.add(pool.get(i).sum());
            }
            if (rng.nextBoolean()) {
                root = total;
                ops.append("root=sum");
            } else {
                Tensor last = pool.get(pool.size() - 1);
                root = last.add(total).expand(m, n);
                rootGrad = values(rng, dtype, new int[] {m, n});
                ops.append("root=expand(last+sum) grad").append(Arrays.toString(rootGrad.toDoubleArray()));
            }
        }

        /** Small integers in the exact regime, multiples of 1/8 in [-1, 1] otherwise. */
        private Tensor values(Random rng, DType dtype, int[] shape) {
            int len = Shape.numel(shape);
            double[] v = new double[len];
            for (int i = 0; i < len; i++) {
                v[i] = exact ? rng.nextInt(5) - 2 : (rng.nextInt(17) - 8) / 8.0;
            }
            Tensor t = Tensor.of(v, shape);
            return dtype == DType.FLOAT64 ? t : t.toFloat();
        }

        private static double maxAbs(Tensor t) {
            double m = 0;
            for (double v : t.toDoubleArray()) {
                m = Math.max(m, Math.abs(v));
            }
            return m;
        }

        List<Tensor> candidates() {
            List<Tensor> c = new ArrayList<>(leaves);
            c.addAll(mids);
            return c;
        }

        void clearGrads() {
            for (Tensor t : leaves) {
                t.setGrad(null);
            }
            for (Tensor t : retained) {
                t.setGrad(null);
            }
        }

        List<Tensor> gradHolders() {
            List<Tensor> h = new ArrayList<>(leaves);
            h.addAll(retained);
            return h;
        }

        String describe() {
            return "seed " + seed + (exact ? " (exact float64)" : " (single-consumer leaves)") + ": " + ops;
        }
    }

    /** Bit-for-bit equality (NaN equal to NaN, -0 unequal to 0) of dtype, shape and values. */
    private static boolean sameBits(Tensor a, Tensor b) {
        return a != null && b != null && a.dtype() == b.dtype() && Arrays.equals(a.shape(), b.shape())
                && Arrays.equals(a.toDoubleArray(), b.toDoubleArray());
    }

    private static String str(Tensor t) {
        return t == null ? "null" : t.dtype() + Arrays.toString(t.shape()) + Arrays.toString(t.toDoubleArray());
    }

    // ------------------------------------------------------------------ properties

    /** One step of a thread's work: a backward pass, or Autograd.grad for the given inputs. */
    private record Step(boolean backward, Tensor[] inputs) {}

    private static void forGraphs(String property, java.util.function.LongConsumer body) {
        AtomicInteger tried = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        try {
            qt().withExamples(GRAPHS).forAll(longs().all()).checkAssert(seed -> {
                tried.incrementAndGet();
                try {
                    body.accept(seed);
                } catch (RuntimeException | AssertionError e) {
                    failed.incrementAndGet();
                    throw e;
                }
            });
        } finally {
            System.out.println("[issue15] AutogradConcurrencyPropertyTest." + property + ": " + tried.get()
                    + " cases tried, " + failed.get() + " failures");
        }
    }

    /**
     * Several threads run backward (retainGraph) and Autograd.grad (retainGraph, inputs drawn with repeats) on one
     * shared graph at once; each Autograd.grad result and every accumulated .grad equal the single-threaded ones.
     */
    @Test
    void concurrentPassesOnASharedRetainedGraphMatchSequentialOnes() {
        forGraphs("concurrentPassesOnASharedRetainedGraph", seed -> {
            RandomGraph graph = new RandomGraph(seed);
            Random rng = new Random(~seed);
            List<Tensor> cands = graph.candidates();
            // the single-threaded reference: one Autograd.grad per candidate input
            Map<Tensor, Tensor> ref = new IdentityHashMap<>();
            for (Tensor c : cands) {
                ref.put(c, Autograd.grad(graph.root, new Tensor[] {c}, graph.rootGrad, true)[0]);
            }
            int threads = 2 + rng.nextInt(3);
            List<List<Step>> work = new ArrayList<>();
            int backwards = 0;
            for (int t = 0; t < threads; t++) {
                List<Step> steps = new ArrayList<>();
                for (int s = 1 + rng.nextInt(6); s > 0; s--) {
                    if (rng.nextBoolean()) {
                        steps.add(new Step(true, null));
                        backwards++;
                    } else {
                        Tensor[] in = new Tensor[1 + rng.nextInt(3)];
                        for (int i = 0; i < in.length; i++) {
                            in[i] = cands.get(rng.nextInt(cands.size()));
                        }
                        steps.add(new Step(false, in));
                    }
                }
                work.add(steps);
            }
            // the sequential reference for the .grad sums: the same number of backward passes one after another
            List<Tensor> holders = graph.gradHolders();
            graph.root.backward(graph.rootGrad, true);
            List<Tensor> once = snapshot(holders);
            graph.clearGrads();
            for (int k = 0; k < backwards; k++) {
                graph.root.backward(graph.rootGrad, true);
            }
            List<Tensor> expected = snapshot(holders);
            graph.clearGrads();
            if (graph.exact) {
                for (int h = 0; h < holders.size(); h++) {
                    assertExactMultiple(graph, h, once.get(h), expected.get(h), backwards);
                }
            }

            ConcurrentLinkedQueue<String> problems = runTogether(work.size(), t -> {
                for (Step step : work.get(t)) {
                    if (step.backward()) {
                        graph.root.backward(graph.rootGrad, true);
                        continue;
                    }
                    Tensor[] got = Autograd.grad(graph.root, step.inputs(), graph.rootGrad, true);
                    for (int i = 0; i < got.length; i++) {
                        Tensor want = ref.get(step.inputs()[i]);
                        if (!sameBits(want, got[i])) {
                            return "thread " + t + " Autograd.grad slot " + i + ": expected " + str(want) + " got "
                                    + str(got[i]);
                        }
                    }
                }
                return null;
            });
            assertTrue(problems.isEmpty(), () -> graph.describe() + "\n" + String.join("\n", problems));
            for (int h = 0; h < holders.size(); h++) {
                Tensor want = expected.get(h);
                Tensor got = holders.get(h).grad();
                int hh = h;
                int passes = backwards;
                assertTrue(want == null ? got == null : sameBits(want, got), () -> graph.describe() + "\n.grad of "
                        + (hh < graph.leaves.size() ? "leaf " + hh : "retained " + (hh - graph.leaves.size()))
                        + " after " + passes + " concurrent backward passes: expected " + str(want) + " got "
                        + str(got));
            }
        });
    }

    /** In the exact regime K passes sum to exactly K times one pass: the reference itself is exact. */
    private static void assertExactMultiple(RandomGraph graph, int h, Tensor once, Tensor total, int k) {
        if (k == 0) {
            assertEquals(null, total, graph.describe());
            return;
        }
        double[] one = once.toDoubleArray();
        double[] all = total.toDoubleArray();
        for (int i = 0; i < one.length; i++) {
            assertTrue(one[i] == Math.rint(one[i]) && Math.abs(one[i]) < 0x1p34, graph.describe()
                    + "\ngenerator broke its exactness bound: gradient " + one[i]);
            assertEquals(k * one[i], all[i], graph.describe() + "\n.grad holder " + h + " index " + i);
        }
    }

    private static List<Tensor> snapshot(List<Tensor> holders) {
        List<Tensor> s = new ArrayList<>();
        for (Tensor t : holders) {
            s.add(t.grad() == null ? null : t.grad().copyDetached());
        }
        return s;
    }

    /**
     * Without retainGraph, a pass that finishes releases the saved tensors, so a pass overlapping it on another
     * thread may fail; it must fail with PyTorch's error, and every pass that returns must return the right
     * gradients. The first pass to release ran to completion, so at least one pass succeeds.
     */
    @Test
    void concurrentPassesWithoutRetainGraphFailCleanlyOrMatch() {
        forGraphs("concurrentPassesWithoutRetainGraph", seed -> {
            RandomGraph graph = new RandomGraph(seed);
            Random rng = new Random(~seed);
            List<Tensor> cands = graph.candidates();
            Tensor[] in = new Tensor[1 + rng.nextInt(2)];
            for (int i = 0; i < in.length; i++) {
                in[i] = cands.get(rng.nextInt(cands.size()));
            }
            Tensor[] want = Autograd.grad(graph.root, in, graph.rootGrad, true);
            int threads = 2 + rng.nextInt(3);
            AtomicInteger succeeded = new AtomicInteger();
            ConcurrentLinkedQueue<String> problems = runTogether(threads, t -> {
                Tensor[] got;
                try {
                    got = Autograd.grad(graph.root, in, graph.rootGrad, false);
                } catch (IllegalStateException e) {
                    return e.getMessage() != null && e.getMessage().startsWith(SECOND_TIME) ? null
                            : "thread " + t + " failed with an unexpected error: " + e;
                }
                succeeded.incrementAndGet();
                for (int i = 0; i < in.length; i++) {
                    if (!sameBits(want[i], got[i])) {
                        return "thread " + t + " slot " + i + ": expected " + str(want[i]) + " got " + str(got[i]);
                    }
                }
                return null;
            });
            assertTrue(problems.isEmpty(), () -> graph.describe() + "\n" + String.join("\n", problems));
            assertTrue(succeeded.get() >= 1, () -> graph.describe() + "\nno pass succeeded");
        });
    }

    /** Body of one thread: returns a problem description, or null when all went right. */
    @FunctionalInterface
    private interface ThreadBody {
        String run(int thread);
    }

    /**
     * Runs {@code body} on {@code threads} new threads released together by a latch; returns the problems they
     * reported, including any exception they threw. Joins without a timeout: the pass criterion never depends on
     * timing.
     */
    private static ConcurrentLinkedQueue<String> runTogether(int threads, ThreadBody body) {
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts[t] = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                    String p = body.run(id);
                    if (p != null) {
                        problems.add(p);
                    }
                } catch (Throwable e) {
                    java.io.StringWriter sw = new java.io.StringWriter();
                    e.printStackTrace(new java.io.PrintWriter(sw));
                    problems.add("thread " + id + " threw " + sw);
                }
            }, "autograd-concurrency-" + t);
            ts[t].start();
        }
        try {
            ready.await();
            go.countDown();
            for (Thread t : ts) {
                t.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        return problems;
    }

    // ------------------------------------------------------------------ the issue's own examples

    /**
     * Issue 15 item 2: 4 threads each run 200 times {@code w.mul(c).sum().backward()} on one shared leaf of 32768
     * elements. Each pass adds c to every element; 800 passes give 800 c = 2000 for c = 2.5, and every partial sum
     * is a multiple of 0.5 below 2^11, exact in float32, so any lost or torn update shows as a wrong element.
     */
    @Test
    void issueExampleFourThreadsAccumulateIntoOneLeaf() {
        final int threads = 4;
        final int passes = 200;
        final double c = 2.5;
        Tensor w = Tensor.zeros(32768).requiresGrad(true);
        ConcurrentLinkedQueue<String> problems = runTogether(threads, t -> {
            for (int p = 0; p < passes; p++) {
                w.mul(c).sum().backward();
            }
            return null;
        });
        assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
        float want = (float) (threads * passes * c);
        float[] got = w.grad().toArray();
        int wrong = 0;
        int firstWrong = -1;
        for (int i = 0; i < got.length; i++) {
            if (got[i] != want) {
                wrong++;
                firstWrong = firstWrong < 0 ? i : firstWrong;
            }
        }
        int fw = firstWrong;
        int nWrong = wrong;
        assertEquals(0, wrong, () -> nWrong + " of 32768 elements wrong, e.g. [" + fw + "] = " + got[fw]
                + " instead of " + want);
    }

    /**
     * Issue 15 item 2: backward and Autograd.grad on one shared graph, with retainGraph, from several threads.
     * For y = sum(x * x) the gradient is 2x; x = [1, 2, 3] gives [2, 4, 6], and n backward passes [2n, 4n, 6n].
     */
    @Test
    void issueExampleSharedGraphBackwardAndGradFromSeveralThreads() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor y = x.mul(x).sum();
        final int threads = 4;
        final int steps = 50;
        ConcurrentLinkedQueue<String> problems = runTogether(threads, t -> {
            for (int s = 0; s < steps; s++) {
                if ((s + t) % 2 == 0) {
                    y.backward(null, true);
                } else {
                    float[] g = Autograd.grad(y, new Tensor[] {x}, null, true)[0].toArray();
                    if (!Arrays.equals(g, new float[] {2, 4, 6})) {
                        return "thread " + t + " step " + s + ": Autograd.grad gave " + Arrays.toString(g);
                    }
                }
            }
            return null;
        });
        assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
        float n = threads * steps / 2f;
        assertArrayEquals(new float[] {2 * n, 4 * n, 6 * n}, x.grad().toArray());
    }

    /**
     * Issue 15 item 7: {@code Autograd.grad(y, {x, x})} returns x's gradient in both slots, as the same tensor
     * (PyTorch 1.13: {@code g[0] is g[1]} is True). y = sum(x * x): 2x = [2, 4].
     */
    @Test
    void issueExampleGradOfTheSameInputTwice() {
        Tensor x = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor y = x.mul(x).sum();
        Tensor[] g = Autograd.grad(y, new Tensor[] {x, x}, null, true);
        assertArrayEquals(new float[] {2, 4}, g[0].toArray());
        assertSame(g[0], g[1]);
        // a repeated non-leaf input, around a leaf: z = 3x, y = sum(z * z); dy/dz = 2z = 6x, dy/dx = 18x
        Tensor z = x.mul(3);
        Tensor y2 = z.mul(z).sum();
        Tensor[] g2 = Autograd.grad(y2, new Tensor[] {z, x, z}, null, false);
        assertArrayEquals(new float[] {6, 12}, g2[0].toArray());
        assertArrayEquals(new float[] {18, 36}, g2[1].toArray());
        assertSame(g2[0], g2[2]);
    }
}
