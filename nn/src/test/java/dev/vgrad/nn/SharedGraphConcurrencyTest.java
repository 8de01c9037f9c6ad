package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.Autograd;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Concurrent backward passes through nn's fused ops (docs/SEMANTICS.md §5.9): a linear, training-mode batch norm,
 * activation, linear network is recorded once with retainGraph, then several threads at once run
 * {@code Autograd.grad} and {@code backward} on it. Batch norm's and the elementwise rules' backward overwrite
 * their incoming gradient when it is private to the pass ({@code Node.gradOutputExclusive()}); that answer must
 * belong to the thread's own pass, or one thread would overwrite a gradient another still reads.
 *
 * <p>Pass criterion, exact and independent of the interleaving: every Autograd.grad result equals the
 * single-threaded one bit for bit, and every parameter's {@code .grad} equals that of the same number of passes run
 * one after another. Each parameter feeds exactly one node, so every pass adds the same bits into its {@code .grad},
 * and a K-fold sum of one value does not depend on the order of the additions.
 */
class SharedGraphConcurrencyTest {
    private static final int EXAMPLES = 40;

    @Test
    void concurrentPassesThroughBatchNormAndLinearMatchSequentialOnes() {
        AtomicInteger tried = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        try {
            qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
                tried.incrementAndGet();
                try {
                    check(seed);
                } catch (RuntimeException | AssertionError e) {
                    failed.incrementAndGet();
                    throw e;
                }
            });
        } finally {
            System.out.println("[issue15] SharedGraphConcurrencyTest.concurrentPassesThroughBatchNormAndLinear: "
                    + tried.get() + " cases tried, " + failed.get() + " failures");
        }
    }

    private static void check(long seed) {
        Random rng = new Random(seed);
        Generator g = new Generator(seed);
        int n = 2 + rng.nextInt(5);
        int in = 1 + rng.nextInt(6);
        int hidden = 1 + rng.nextInt(6);
        int act = rng.nextInt(3);
        String what = "seed " + seed + ": batch " + n + ", in " + in + ", hidden " + hidden + ", activation "
                + new String[] {"relu", "tanh", "gelu"}[act];
        Tensor x = Tensor.randn(g, n, in).requiresGrad(true);
        Tensor w1 = Tensor.randn(g, hidden, in).requiresGrad(true);
        Tensor b1 = Tensor.randn(g, hidden).requiresGrad(true);
        Tensor gamma = Tensor.randn(g, hidden).requiresGrad(true);
        Tensor beta = Tensor.randn(g, hidden).requiresGrad(true);
        Tensor w2 = Tensor.randn(g, 1, hidden).requiresGrad(true);
        Tensor h = F.batchNorm(F.linear(x, w1, b1), null, null, gamma, beta, true, 0.1, 1e-5);
        Tensor a = act == 0 ? F.relu(h) : act == 1 ? h.tanh() : F.gelu(h);
        Tensor out = F.linear(a, w2, null);
        Tensor loss = out.mul(out).sum();
        Tensor[] params = {x, w1, b1, gamma, beta, w2};

        Tensor[] ref = Autograd.grad(loss, params, null, true);
        int threads = 2 + rng.nextInt(3);
        int[] backwardsPerThread = new int[threads];
        int backwards = 0;
        for (int t = 0; t < threads; t++) {
            backwardsPerThread[t] = rng.nextInt(4);
            backwards += backwardsPerThread[t];
        }
        for (int k = 0; k < backwards; k++) {
            loss.backward(null, true);
        }
        List<Tensor> expected = new ArrayList<>();
        for (Tensor p : params) {
            expected.add(p.grad() == null ? null : p.grad().cloneTensor());
            p.setGrad(null);
        }

        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        CountDownLatch go = new CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts[t] = new Thread(() -> {
                try {
                    go.await();
                    for (int s = 0; s < 3 + backwardsPerThread[id]; s++) {
                        if (s < backwardsPerThread[id]) {
                            loss.backward(null, true);
                            continue;
                        }
                        Tensor[] got = Autograd.grad(loss, params, null, true);
                        for (int i = 0; i < params.length; i++) {
                            if (!Arrays.equals(ref[i].toArray(), got[i].toArray())) {
                                problems.add("thread " + id + " gradient " + i + ": expected "
                                        + Arrays.toString(ref[i].toArray()) + " got "
                                        + Arrays.toString(got[i].toArray()));
                                return;
                            }
                        }
                    }
                } catch (Throwable e) {
                    problems.add("thread " + id + " threw " + e);
                }
            });
            ts[t].start();
        }
        go.countDown();
        for (Thread t : ts) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
        assertTrue(problems.isEmpty(), () -> what + "\n" + String.join("\n", problems));
        for (int i = 0; i < params.length; i++) {
            Tensor want = expected.get(i);
            Tensor got = params[i].grad();
            int pi = i;
            int passes = backwards;
            assertTrue(want == null ? got == null : got != null && Arrays.equals(want.toArray(), got.toArray()),
                    () -> what + "\n.grad of parameter " + pi + " after " + passes + " concurrent backward passes: "
                            + "expected " + (want == null ? "null" : Arrays.toString(want.toArray())) + " got "
                            + (got == null ? "null" : Arrays.toString(got.toArray())));
        }
    }
}
