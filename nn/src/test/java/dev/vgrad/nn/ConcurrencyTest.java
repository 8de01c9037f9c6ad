package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.Vgrad;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Concurrency (issue 7): one eval-mode model serves no-grad inference from 8 threads at once, bit-identical to
 * sequential runs (inputs are large enough for conv, gemm, batch norm, relu and max-pool to use the intra-op pool,
 * so the threads contend for it: the owner fans out, the others run inline); grad mode is per thread.
 * Training in one thread next to inference in another lives in optim's {@code ConcurrentTrainingTest}.
 */
@DisplayName("Concurrency: shared eval-mode models and per-thread grad mode")
class ConcurrencyTest {
    static final int THREADS = 8;
    static final int ROUNDS = 12;
    static final int INPUTS = 4;

    /** Conv2d-BN-ReLU-MaxPool-Linear; BN running statistics made non-trivial by a few training batches. */
    static Module cnn(long seed) {
        Generator g = new Generator(seed);
        Module m = new Sequential(
                new Conv2d(3, 16, 3, 1, 1, true, g),
                new BatchNorm2d(16),
                new ReLU(),
                new MaxPool2d(2),
                new Flatten(),
                new Linear(16 * 16 * 16, 64, true, g),
                new ReLU(),
                new Linear(64, 10, true, g));
        warmUpStats(m, g, 8, 3, 32, 32);
        return m.eval();
    }

    /** An MLP with BatchNorm1d and Dropout (identity in eval). */
    static Module mlp(long seed) {
        Generator g = new Generator(seed);
        Module m = new Sequential(
                new Linear(256, 512, true, g),
                new BatchNorm1d(512),
                new ReLU(),
                new Dropout(0.5, new Generator(seed + 1)),
                new Linear(512, 512, true, g),
                new ReLU(),
                new Dropout(0.3, new Generator(seed + 2)),
                new Linear(512, 10, true, g));
        warmUpStats(m, g, 128, 256);
        return m.eval();
    }

    private static void warmUpStats(Module m, Generator g, int... shape) {
        m.train();
        try (var off = Grad.disabled()) {
            for (int i = 0; i < 3; i++) {
                m.forward(Tensor.randn(g, shape).mul(1.5).add(0.25));
            }
        }
    }

    static int[] bits(Tensor t) {
        float[] f = t.toArray();
        int[] b = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            b[i] = Float.floatToRawIntBits(f[i]);
        }
        return b;
    }

    /** Float bits of every parameter and buffer (to prove inference changed nothing). */
    static List<int[]> stateBits(Module m) {
        List<int[]> out = new ArrayList<>();
        for (Tensor t : m.stateDict().values()) {
            out.add(bits(t.to(dev.vgrad.core.DType.FLOAT32)));
        }
        return out;
    }

    /** The served computation: logits and softmax of the model's output. */
    static int[][] infer(Module m, Tensor x) {
        Tensor y = m.forward(x);
        if (y.requiresGrad() || y.gradFn() != null) {
            throw new AssertionError("no-grad inference recorded a graph on " + Thread.currentThread().getName());
        }
        return new int[][] {bits(y), bits(y.softmax(1))};
    }

    static int[][][] sequential(Module m, Tensor[] xs, int threads) {
        int prev = Vgrad.numThreads();
        Vgrad.setNumThreads(threads);
        try (var off = Grad.disabled()) {
            int[][][] out = new int[xs.length][][];
            for (int i = 0; i < xs.length; i++) {
                out[i] = infer(m, xs[i]);
            }
            return out;
        } finally {
            Vgrad.setNumThreads(prev);
        }
    }

    static void assertSameBits(int[][] expected, int[][] actual, String what) {
        for (int k = 0; k < expected.length; k++) {
            if (!java.util.Arrays.equals(expected[k], actual[k])) {
                int i = java.util.Arrays.mismatch(expected[k], actual[k]);
                throw new AssertionError(what + ": output " + k + " differs at " + i + ": expected "
                        + Float.intBitsToFloat(expected[k][i]) + " got "
                        + (i < actual[k].length ? Float.intBitsToFloat(actual[k][i]) : "<missing>"));
            }
        }
    }

    private static boolean poolWorkersExist() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("vgrad-worker-"));
    }

    /**
     * 8 threads × {@link #ROUNDS} rounds, each round released by a barrier so all threads run the same model at
     * the same time; half the threads use {@code Grad.disabled()}, half {@code Grad.inferenceMode()}.
     */
    private static void serveConcurrently(String name, Module model, Tensor[] xs) throws Exception {
        List<int[]> stateBefore = stateBits(model);
        int[][][] one = sequential(model, xs, 1);
        int[][][] two = sequential(model, xs, 2);
        for (int i = 0; i < xs.length; i++) {
            assertSameBits(one[i], two[i], name + " input " + i + ": 1 vs 2 intra-op threads");
        }
        assertTrue(poolWorkersExist(), "the intra-op pool was never used: inputs too small");

        int prev = Vgrad.numThreads();
        Vgrad.setNumThreads(2);
        CyclicBarrier barrier = new CyclicBarrier(THREADS);
        AtomicInteger checked = new AtomicInteger();
        ExecutorService ex = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                final int tid = t;
                fs.add(ex.submit(() -> {
                    for (int r = 0; r < ROUNDS; r++) {
                        barrier.await(30, TimeUnit.SECONDS);
                        int i = (tid + r) % xs.length;
                        int[][] got;
                        try (var scope = tid % 2 == 0 ? Grad.disabled() : Grad.inferenceMode()) {
                            got = infer(model, xs[i]);
                        }
                        assertTrue(Grad.isEnabled(), "grad mode not restored after the scope");
                        assertSameBits(one[i], got, name + " thread " + tid + " round " + r + " input " + i);
                        checked.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            ex.shutdownNow();
            Vgrad.setNumThreads(prev);
        }
        assertEquals(THREADS * ROUNDS, checked.get());
        List<int[]> stateAfter = stateBits(model);
        for (int k = 0; k < stateBefore.size(); k++) {
            assertArrayEquals(stateBefore.get(k), stateAfter.get(k), name + ": inference changed state entry " + k);
        }
        for (Tensor p : model.parameters()) {
            assertNull(p.grad(), name + ": inference produced a gradient");
        }
    }

    @Test
    @DisplayName("CNN (Conv2d-BN-ReLU-MaxPool-Linear) in eval mode: 8 concurrent no-grad threads are bit-identical")
    void cnnServesEightThreads() throws Exception {
        Generator g = new Generator(11);
        Tensor[] xs = new Tensor[INPUTS];
        for (int i = 0; i < INPUTS; i++) {
            xs[i] = Tensor.randn(g, 8, 3, 32, 32);
        }
        serveConcurrently("cnn", cnn(5), xs);
    }

    @Test
    @DisplayName("MLP with BatchNorm1d and Dropout in eval mode: 8 concurrent no-grad threads are bit-identical")
    void mlpServesEightThreads() throws Exception {
        Generator g = new Generator(12);
        Tensor[] xs = new Tensor[INPUTS];
        for (int i = 0; i < INPUTS; i++) {
            xs[i] = Tensor.randn(g, 128, 256);
        }
        serveConcurrently("mlp", mlp(6), xs);
    }

    /**
     * Grad mode is thread-local: a thread inside {@code Grad.disabled()} records nothing while another thread,
     * in lock step (barrier), records graphs and back-propagates; neither leaks into the other, scopes restore the
     * previous mode, and a thread started from inside a disabled / inference / anomaly scope starts enabled.
     */
    @Test
    @DisplayName("grad mode is per thread and a new thread starts enabled")
    void gradModeIsPerThread() throws Exception {
        final int steps = 200;
        Tensor w = Tensor.randn(new Generator(3), 64, 64).requiresGrad(true);
        Tensor x = Tensor.randn(new Generator(4), 64, 64);
        CyclicBarrier barrier = new CyclicBarrier(2);
        ExecutorService ex = Executors.newFixedThreadPool(2);
        try {
            Future<?> noGrad = ex.submit(() -> {
                try (var off = Grad.disabled()) {
                    for (int s = 0; s < steps; s++) {
                        barrier.await(30, TimeUnit.SECONDS); // the other thread is recording right now
                        assertFalse(Grad.isEnabled(), "no-grad thread: grad mode flipped at step " + s);
                        Tensor y = x.matmul(w).relu().sum();
                        assertFalse(y.requiresGrad(), "no-grad thread recorded at step " + s);
                        assertNull(y.gradFn());
                        if (s % 50 == 0) {
                            // nested enable inside disabled, restored on close
                            try (var on = Grad.enabled()) {
                                assertTrue(x.matmul(w).requiresGrad());
                            }
                            assertFalse(Grad.isEnabled());
                        }
                        barrier.await(30, TimeUnit.SECONDS);
                    }
                }
                assertTrue(Grad.isEnabled(), "scope did not restore grad mode");
                return null;
            });
            Future<?> recording = ex.submit(() -> {
                for (int s = 0; s < steps; s++) {
                    barrier.await(30, TimeUnit.SECONDS);
                    assertTrue(Grad.isEnabled(), "recording thread saw the other thread's no_grad at step " + s);
                    Tensor y = x.matmul(w).relu().sum();
                    assertTrue(y.requiresGrad(), "recording thread did not record at step " + s);
                    assertNotNull(y.gradFn());
                    barrier.await(30, TimeUnit.SECONDS);
                    y.backward();
                    synchronized (w) {
                        w.setGrad(null);
                    }
                }
                return null;
            });
            noGrad.get(120, TimeUnit.SECONDS);
            recording.get(120, TimeUnit.SECONDS);
        } finally {
            ex.shutdownNow();
        }

        // setEnabled(false) on one thread is invisible to another; a new thread starts enabled, not in
        // inference mode and without anomaly detection, whatever its creator's mode.
        boolean[][] seen = new boolean[3][];
        try (var off = Grad.disabled(); var inf = Grad.inferenceMode(); var an = Grad.detectAnomaly()) {
            assertFalse(Grad.isEnabled());
            Thread child = new Thread(() -> {
                Tensor y = x.matmul(w);
                seen[0] = new boolean[] {Grad.isEnabled(), Grad.isInferenceMode(), Grad.isAnomalyEnabled(),
                    y.requiresGrad(), y.isInference()};
            });
            child.start();
            child.join();
        }
        assertArrayEquals(new boolean[] {true, false, false, true, false}, seen[0], "child thread's grad mode");
        Grad.setEnabled(false);
        try {
            Thread child = new Thread(() -> seen[1] = new boolean[] {Grad.isEnabled()});
            child.start();
            child.join();
        } finally {
            Grad.setEnabled(true);
        }
        assertArrayEquals(new boolean[] {true}, seen[1], "setEnabled(false) leaked into a new thread");
        Thread setter = new Thread(() -> {
            Grad.setEnabled(false);
            seen[2] = new boolean[] {Grad.isEnabled()};
        });
        setter.start();
        setter.join();
        assertArrayEquals(new boolean[] {false}, seen[2]);
        assertTrue(Grad.isEnabled(), "another thread's setEnabled(false) leaked into this one");
        assertTrue(x.matmul(w).requiresGrad());
    }
}
