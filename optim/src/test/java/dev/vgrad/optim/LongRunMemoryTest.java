package dev.vgrad.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Forked;
import dev.vgrad.core.testing.LiveHeap;
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
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Long runs (issue 7): thousands of training steps in a forked JVM with a bounded heap ({@code -Xmx64m}, serial GC)
 * show no growth in retained memory. The child trains an MLP (AdamW + cosine LR, Dropout, BatchNorm1d) and then a
 * small CNN (Adam + StepLR, Conv2d/BatchNorm2d/MaxPool2d) with periodic evaluation under {@code Grad.disabled()},
 * samples the exact live heap ({@link LiveHeap#liveBytes()}) at fixed intervals, and checks:
 * <ul>
 *   <li>retained memory does not keep growing: after warm-up, {@link LiveHeap#persistentGrowth} calls it a leak
 *       only when each of three consecutive windows of samples sits more than {@link #DELTA} above the previous
 *       one. A worker's scratch buffer that grows once (which thread first runs a chunk is up to the scheduler)
 *       raises one window step at most, so it cannot trip the test on any machine; a leak of about 1 KB per step
 *       (MLP) or 2 KB per step (CNN) raises both, and a leaked 64×32 batch per step exceeds it 8×;</li>
 *   <li>a finished step's graph is freed: with the loss still referenced, the step's output (saved for backward)
 *       becomes unreachable after backward; once the loss is dropped, the loss and its grad_fn are collected;</li>
 *   <li>no-grad evaluation retains nothing: its outputs are collectable, record no graph, and hundreds of eval
 *       passes show no persistent growth (keeping one 256×10 output per pass would add 3 MB).</li>
 * </ul>
 * Earlier versions compared "used heap after {@code System.gc()}" against its first sample and failed on some
 * machines: the serial collector leaves uncompacted dead space behind most full collections, so the same live set
 * read 1.7 MB higher or lower from one sample to the next.
 */
@DisplayName("Long runs: thousands of training steps in -Xmx64m retain no growing memory")
class LongRunMemoryTest {
    static final int MLP_STEPS = Integer.getInteger("vgrad.longrun.mlpSteps", 2000);
    static final int CNN_STEPS = Integer.getInteger("vgrad.longrun.cnnSteps", 800);
    /** A window of samples this much above the previous one counts as growth (see the class comment). */
    static final long DELTA = 512L << 10;
    /** The same for the eval passes: one retained 256×10 output per pass would add 1 MB between windows. */
    static final long EVAL_DELTA = 256L << 10;

    @Test
    @DisplayName("MLP and CNN training runs in a forked JVM with -Xmx64m: flat retained heap, graphs collected")
    void longRunsInBoundedHeap() throws Exception {
        long t0 = System.nanoTime();
        Forked.Result r = Forked.run(LongRunMemoryTest.class, "64m", 120, Integer.toString(MLP_STEPS),
                Integer.toString(CNN_STEPS));
        System.out.print(r.output());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("[long-run] OK"), r.output());
        System.out.printf("[long-run] forked run took %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    @Test
    @DisplayName("the same run with a deliberate leak of one 64x32 float batch per step is caught")
    void deliberateLeakIsCaught() throws Exception {
        Forked.Result r = Forked.run(LongRunMemoryTest.class, "64m", 120, Integer.toString(MLP_STEPS), "0",
                Integer.toString(64 * 32 * 4));
        System.out.print(r.output());
        assertEquals(1, r.exitCode(), r.output());
        assertTrue(r.output().contains("mlp: retained memory keeps growing with the steps"), r.output());
    }

    // ------------------------------------------------------------------------------------ forked child

    /** Bytes deliberately kept per training step (only by {@link #deliberateLeakIsCaught}). */
    static int leakPerStep;
    static final List<byte[]> LEAK = new ArrayList<>();

    public static void main(String[] args) {
        int mlpSteps = Integer.parseInt(args[0]);
        int cnnSteps = Integer.parseInt(args[1]);
        leakPerStep = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        try {
            new Run("mlp", mlpSteps, 100, mlp(), 32, false).go();
            if (cnnSteps > 0) {
                new Run("cnn", cnnSteps, 40, cnn(), 0, true).go();
            }
        } catch (Throwable t) {
            System.out.println("[long-run] FAIL " + t);
            t.printStackTrace(System.out);
            System.out.flush();
            System.exit(1);
        }
        System.out.println("[long-run] OK");
        System.out.flush();
        System.exit(0);
    }

    static Module mlp() {
        Generator g = new Generator(1);
        return new Sequential(
                new Linear(32, 128, true, g),
                new BatchNorm1d(128),
                new ReLU(),
                new Dropout(0.2, new Generator(2)),
                new Linear(128, 128, true, g),
                new ReLU(),
                new Linear(128, 10, true, g));
    }

    static Module cnn() {
        Generator g = new Generator(3);
        return new Sequential(
                new Conv2d(1, 8, 3, 1, 1, true, g),
                new BatchNorm2d(8),
                new ReLU(),
                new MaxPool2d(2),
                new Flatten(),
                new Dropout(0.1, new Generator(4)),
                new Linear(8 * 6 * 6, 10, true, g));
    }

    static boolean collected(WeakReference<?> ref) {
        for (int i = 0; i < 20 && ref.get() != null; i++) {
            System.gc();
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return ref.get() == null;
    }

    static void check(boolean ok, String msg) {
        if (!ok) {
            throw new AssertionError(msg);
        }
    }

    /** One training run: a model, AdamW or Adam with a scheduler, synthetic teacher-labelled data. */
    static final class Run {
        final String name;
        final int steps;
        final int sampleEvery;
        final Module model;
        final boolean image;
        final int features;
        final Optimizer opt;
        final LRScheduler sched;
        final CrossEntropyLoss ce = new CrossEntropyLoss();
        final Generator data = new Generator(7);
        final Tensor teacher;
        final Tensor evalX;
        final Tensor evalY;

        Run(String name, int steps, int sampleEvery, Module model, int features, boolean image) {
            this.name = name;
            this.steps = steps;
            this.sampleEvery = sampleEvery;
            this.model = model;
            this.features = features;
            this.image = image;
            if (image) {
                opt = new Adam(model.parameters(), Adam.options().lr(2e-3));
                sched = new StepLR(opt, Math.max(1, steps / 4), 0.5);
            } else {
                opt = new AdamW(model.parameters(), AdamW.options().lr(3e-3).weightDecay(1e-2));
                sched = new CosineAnnealingLR(opt, steps);
            }
            teacher = Tensor.randn(new Generator(8), image ? 144 : features, 10);
            evalX = input(256);
            evalY = labels(evalX);
        }

        Tensor input(int n) {
            return image ? Tensor.randn(data, n, 1, 12, 12) : Tensor.randn(data, n, features);
        }

        Tensor labels(Tensor x) {
            try (var off = Grad.disabled()) {
                return x.reshape(x.size(0), -1).matmul(teacher).argmax(1, false);
            }
        }

        /** One step; returns the loss (the caller decides how long to keep it). */
        Tensor step(Tensor[] outputHolder) {
            Tensor x = input(64);
            Tensor y = labels(x);
            opt.zeroGrad();
            Tensor out = model.forward(x);
            Tensor loss = ce.forward(out, y);
            loss.backward();
            opt.step();
            sched.step();
            if (outputHolder != null) {
                outputHolder[0] = out;
            }
            if (leakPerStep > 0) {
                LEAK.add(new byte[leakPerStep]);
            }
            return loss;
        }

        double evaluate() {
            model.eval();
            try (var off = Grad.disabled()) {
                Tensor pred = model.forward(evalX);
                check(!pred.requiresGrad() && pred.gradFn() == null, name + ": no-grad eval recorded a graph");
                long[] a = pred.argmax(1, false).toLongArray();
                long[] b = evalY.toLongArray();
                int hits = 0;
                for (int i = 0; i < a.length; i++) {
                    hits += a[i] == b[i] ? 1 : 0;
                }
                return hits / (double) a.length;
            } finally {
                model.train();
            }
        }

        /** Weak references to the output and loss of a finished step; checks the graph frees its saved tensors. */
        void probeGraphRelease() {
            Tensor[] holder = new Tensor[1];
            Tensor loss = step(holder);
            WeakReference<Tensor> out = new WeakReference<>(holder[0]);
            holder[0] = null;
            check(loss.gradFn() != null, name + ": loss has no grad_fn");
            // the loss (and so its grad_fn and the whole graph) is still strongly reachable here: backward must
            // have released the saved tensors, so the output saved by the loss node is collectable
            check(collected(out), name + ": a finished step's output is still reachable from its loss after "
                    + "backward (saved tensors not freed)");
            WeakReference<Object> fn = new WeakReference<>(loss.gradFn());
            WeakReference<Tensor> lossRef = new WeakReference<>(loss);
            loss = null;
            check(collected(lossRef), name + ": a finished step's loss tensor was retained");
            check(collected(fn), name + ": a finished step's graph (grad_fn) was retained");
        }

        void probeEval() {
            // warm-up: per-thread kernel scratch buffers grow to the eval batch size on whichever threads run the
            // chunks; the criterion tolerates one such step, the warm-up makes it unlikely to start with
            evalPasses(40);
            long[] samples = new long[12];
            WeakReference<Tensor> ref = null;
            for (int i = 0; i < samples.length; i++) {
                ref = evalPasses(25);
                samples[i] = LiveHeap.liveBytes();
            }
            check(collected(ref), name + ": a no-grad eval output was retained");
            LiveHeap.Growth g = LiveHeap.persistentGrowth(samples, EVAL_DELTA);
            System.out.printf("[long-run] %s: 300 no-grad eval passes: %s%n", name, g);
            check(!g.leak(), name + ": no-grad eval passes keep retaining memory: " + g);
        }

        /** Runs {@code n} no-grad eval passes in its own frame (no stack slot keeps an output alive). */
        WeakReference<Tensor> evalPasses(int n) {
            model.eval();
            try (var off = Grad.disabled()) {
                WeakReference<Tensor> first = new WeakReference<>(model.forward(evalX));
                for (int i = 1; i < n; i++) {
                    model.forward(evalX);
                }
                return first;
            } finally {
                model.train();
            }
        }

        void go() {
            long t0 = System.nanoTime();
            List<long[]> samples = new ArrayList<>();
            double firstAcc = evaluate();
            double lastAcc = firstAcc;
            int warmup = steps / 6;
            for (int s = 1; s <= steps; s++) {
                if (s == steps / 2) {
                    probeGraphRelease();
                } else {
                    step(null);
                }
                if (s % sampleEvery == 0) {
                    lastAcc = evaluate();
                    if (s >= warmup) {
                        samples.add(new long[] {s, LiveHeap.liveBytes()});
                    }
                }
            }
            probeEval();
            StringBuilder sb = new StringBuilder();
            long[] bytes = new long[samples.size()];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = samples.get(i)[1];
                sb.append(' ').append(bytes[i] >> 10);
            }
            System.out.printf("[long-run] %s: %d steps in %.1f s, eval accuracy %.3f -> %.3f, live heap (KB) "
                    + "at every %d steps after warm-up:%s%n", name, steps, (System.nanoTime() - t0) / 1e9, firstAcc,
                    lastAcc, sampleEvery, sb);
            check(samples.size() >= 9, name + ": too few heap samples");
            LiveHeap.Growth g = LiveHeap.persistentGrowth(bytes, DELTA);
            System.out.printf("[long-run] %s: %s%n", name, g);
            check(!g.leak(), name + ": retained memory keeps growing with the steps: " + g);
            check(lastAcc > firstAcc, name + ": training did not learn (accuracy " + firstAcc + " -> " + lastAcc
                    + ")");
        }
    }
}
