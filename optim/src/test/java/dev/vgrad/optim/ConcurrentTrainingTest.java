package dev.vgrad.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.Vgrad;
import dev.vgrad.nn.BatchNorm1d;
import dev.vgrad.nn.BatchNorm2d;
import dev.vgrad.nn.Conv2d;
import dev.vgrad.nn.CrossEntropyLoss;
import dev.vgrad.nn.Dropout;
import dev.vgrad.nn.Flatten;
import dev.vgrad.nn.Linear;
import dev.vgrad.nn.MaxPool2d;
import dev.vgrad.nn.Module;
import dev.vgrad.nn.ReLU;
import dev.vgrad.nn.Sequential;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Concurrency (issue 7): a training loop (forward, backward, AdamW step, scheduler, Dropout in train mode with its
 * own Generator, BatchNorm1d updating running statistics) in one thread and no-grad inference on another model in
 * another thread. Both threads use sizes that go through the intra-op pool, so they contend for it. Every loss, the
 * trained parameters and buffers, and every inference output must be bit-identical to running the two jobs one after
 * the other, and the sequential results must not depend on the intra-op thread count.
 */
@DisplayName("Concurrency: training in one thread and inference in another do not interfere")
class ConcurrentTrainingTest {
    static final int TRAIN_STEPS = 40;
    static final int INFER_INPUTS = 6;

    static final class Trained {
        final int[] lossBits = new int[TRAIN_STEPS];
        List<int[]> state;
    }

    static int[] bits(Tensor t) {
        float[] f = t.to(DType.FLOAT32).toArray();
        int[] b = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            b[i] = Float.floatToRawIntBits(f[i]);
        }
        return b;
    }

    /** The training job: everything (data, init, dropout masks) from its own generators. */
    static Trained train() {
        Generator init = new Generator(101);
        Module model = new Sequential(
                new Linear(128, 256, true, init),
                new BatchNorm1d(256),
                new ReLU(),
                new Dropout(0.25, new Generator(102)),
                new Linear(256, 256, true, init),
                new ReLU(),
                new Linear(256, 10, true, init));
        AdamW opt = new AdamW(model.parameters(), AdamW.options().lr(2e-3).weightDecay(1e-2));
        LRScheduler sched = new CosineAnnealingLR(opt, TRAIN_STEPS);
        CrossEntropyLoss ce = new CrossEntropyLoss();
        Generator data = new Generator(103);
        Trained out = new Trained();
        for (int s = 0; s < TRAIN_STEPS; s++) {
            if (!Grad.isEnabled()) {
                throw new AssertionError("training thread: grad mode off at step " + s);
            }
            Tensor x = Tensor.randn(data, 128, 128);
            Tensor y = Tensor.randint(data, 0, 10, 128);
            opt.zeroGrad();
            Tensor loss = ce.forward(model.forward(x), y);
            loss.backward();
            opt.step();
            sched.step();
            out.lossBits[s] = Float.floatToRawIntBits(loss.toArray()[0]);
        }
        out.state = new ArrayList<>();
        for (Tensor t : model.stateDict().values()) {
            out.state.add(bits(t));
        }
        return out;
    }

    static Module inferenceModel() {
        Generator g = new Generator(201);
        Module m = new Sequential(
                new Conv2d(3, 16, 3, 1, 1, true, g),
                new BatchNorm2d(16),
                new ReLU(),
                new MaxPool2d(2),
                new Flatten(),
                new Linear(16 * 16 * 16, 10, true, g));
        m.train();
        try (var off = Grad.disabled()) {
            m.forward(Tensor.randn(g, 8, 3, 32, 32).mul(2).add(0.5));
        }
        return m.eval();
    }

    static Tensor[] inferenceInputs() {
        Generator g = new Generator(202);
        Tensor[] xs = new Tensor[INFER_INPUTS];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = Tensor.randn(g, 8, 3, 32, 32);
        }
        return xs;
    }

    static int[][] inferAll(Module m, Tensor[] xs) {
        int[][] out = new int[xs.length][];
        try (var off = Grad.disabled()) {
            for (int i = 0; i < xs.length; i++) {
                Tensor y = m.forward(xs[i]);
                if (y.requiresGrad()) {
                    throw new AssertionError("inference recorded a graph");
                }
                out[i] = bits(y);
            }
        }
        return out;
    }

    static <T> T withThreads(int n, java.util.function.Supplier<T> job) {
        int prev = Vgrad.numThreads();
        Vgrad.setNumThreads(n);
        try {
            return job.get();
        } finally {
            Vgrad.setNumThreads(prev);
        }
    }

    static void assertSameTraining(Trained expected, Trained actual, String what) {
        for (int s = 0; s < TRAIN_STEPS; s++) {
            assertEquals(expected.lossBits[s], actual.lossBits[s], () -> what + ": loss bits differ");
        }
        assertEquals(expected.state.size(), actual.state.size());
        for (int k = 0; k < expected.state.size(); k++) {
            assertArrayEquals(expected.state.get(k), actual.state.get(k), what + ": state entry " + k);
        }
    }

    @Test
    @DisplayName("train (AdamW, cosine LR, Dropout, BatchNorm1d) in one thread, CNN inference in another: bit-identical")
    void trainingAndInferenceInParallelThreads() throws Exception {
        Module server = inferenceModel();
        Tensor[] xs = inferenceInputs();

        // sequential reference, and the same with a single intra-op thread
        Trained seqTrain = withThreads(2, ConcurrentTrainingTest::train);
        int[][] seqInfer = withThreads(2, () -> inferAll(server, xs));
        assertSameTraining(seqTrain, withThreads(1, ConcurrentTrainingTest::train), "1 vs 2 intra-op threads");
        int[][] oneThread = withThreads(1, () -> inferAll(server, xs));
        for (int i = 0; i < xs.length; i++) {
            assertArrayEquals(seqInfer[i], oneThread[i], "inference 1 vs 2 intra-op threads, input " + i);
        }

        int prev = Vgrad.numThreads();
        Vgrad.setNumThreads(2);
        ExecutorService ex = Executors.newFixedThreadPool(2);
        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean trainingDone = new AtomicBoolean();
        try {
            Future<Trained> trainer = ex.submit(() -> {
                start.await();
                try {
                    return train();
                } finally {
                    trainingDone.set(true);
                }
            });
            // the inference thread keeps serving for as long as training runs (at least twice through its inputs)
            Future<Integer> server1 = ex.submit(() -> {
                start.await();
                int passes = 0;
                while (passes < 2 || !trainingDone.get()) {
                    int[][] got = inferAll(server, xs);
                    for (int i = 0; i < xs.length; i++) {
                        if (!Arrays.equals(seqInfer[i], got[i])) {
                            throw new AssertionError("inference pass " + passes + " input " + i
                                    + " differs from the sequential run while training ran in another thread");
                        }
                    }
                    passes++;
                }
                return passes;
            });
            start.countDown();
            Trained concurrent = trainer.get(180, TimeUnit.SECONDS);
            int passes = server1.get(180, TimeUnit.SECONDS);
            assertTrue(passes >= 2);
            assertSameTraining(seqTrain, concurrent, "training next to an inference thread");
        } finally {
            ex.shutdownNow();
            Vgrad.setNumThreads(prev);
        }
    }

    @Test
    @DisplayName("two identical training loops in two threads both match the sequential run")
    void twoTrainingLoopsInParallel() throws Exception {
        Trained expected = train();
        ExecutorService ex = Executors.newFixedThreadPool(2);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<Trained>> fs = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                fs.add(ex.submit(() -> {
                    start.await();
                    return train();
                }));
            }
            start.countDown();
            for (Future<Trained> f : fs) {
                assertSameTraining(expected, f.get(180, TimeUnit.SECONDS), "two concurrent training loops");
            }
        } finally {
            ex.shutdownNow();
        }
    }
}
