package dev.vgrad.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Forked;
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
 * samples the used heap after {@code System.gc()} at fixed intervals, and checks:
 * <ul>
 *   <li>retained heap is flat: after warm-up, every sample stays within {@link #MARGIN} of the first one and the
 *       least-squares trend over the run is below {@link #TREND_MARGIN};</li>
 *   <li>a finished step's graph is freed: with the loss still referenced, the step's output (saved for backward)
 *       becomes unreachable after backward; once the loss is dropped, the loss and its grad_fn are collected;</li>
 *   <li>no-grad evaluation retains nothing: its outputs are collectable, record no graph, and hundreds of eval
 *       passes leave the retained heap unchanged (within {@link #EVAL_MARGIN}).</li>
 * </ul>
 */
@DisplayName("Long runs: thousands of training steps in -Xmx64m retain no growing memory")
class LongRunMemoryTest {
    static final int MLP_STEPS = Integer.getInteger("vgrad.longrun.mlpSteps", 2000);
    static final int CNN_STEPS = Integer.getInteger("vgrad.longrun.cnnSteps", 800);
    /** Allowed spread of retained heap after warm-up (bytes). A leak of one 64×32 batch per step exceeds it ~15×. */
    static final long MARGIN = 2L << 20;
    static final long TREND_MARGIN = 1L << 20;
    /**
     * Keeping even one 256×10 eval output per pass would retain 3 MB over 300 passes (activations far more);
     * a one-time growth of a worker's kernel scratch (a 256 KB panel, depending on which thread first runs a
     * chunk) is bounded and stays under this margin.
     */
    static final long EVAL_MARGIN = 1L << 20;

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

    // ------------------------------------------------------------------------------------ forked child

    public static void main(String[] args) {
        int mlpSteps = Integer.parseInt(args[0]);
        int cnnSteps = Integer.parseInt(args[1]);
        try {
            new Run("mlp", mlpSteps, 200, mlp(), 32, false).go();
            new Run("cnn", cnnSteps, 80, cnn(), 0, true).go();
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

    static long usedAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
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
            // warm-up: per-thread kernel scratch buffers (bounded, reused) grow to the eval batch size on
            // whichever threads run the chunks; that one-time growth is not retention
            // growth, and which worker first runs a given chunk is up to the scheduler, so the measured window
            // follows a full-length window rather than a fixed short warm-up
            evalPasses(40);
            evalPasses(300);
            long before = usedAfterGc();
            WeakReference<Tensor> ref = evalPasses(300);
            check(collected(ref), name + ": a no-grad eval output was retained");
            long after = usedAfterGc();
            System.out.printf("[long-run] %s: 300 no-grad eval passes: retained heap %+d KB%n", name,
                    (after - before) >> 10);
            check(after - before < EVAL_MARGIN, name + ": no-grad eval retained " + ((after - before) >> 10)
                    + " KB");
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
                        samples.add(new long[] {s, usedAfterGc()});
                    }
                }
            }
            probeEval();
            StringBuilder sb = new StringBuilder();
            for (long[] p : samples) {
                sb.append(' ').append(p[1] >> 10);
            }
            System.out.printf("[long-run] %s: %d steps in %.1f s, eval accuracy %.3f -> %.3f, retained heap (KB) "
                    + "after gc at every %d steps:%s%n", name, steps, (System.nanoTime() - t0) / 1e9, firstAcc,
                    lastAcc, sampleEvery, sb);
            check(samples.size() >= 5, name + ": too few heap samples");
            long first = samples.get(0)[1];
            long min = Long.MAX_VALUE;
            long max = Long.MIN_VALUE;
            for (long[] p : samples) {
                min = Math.min(min, p[1]);
                max = Math.max(max, p[1]);
            }
            // least-squares slope (bytes per step) times the sampled span
            double mx = 0;
            double my = 0;
            for (long[] p : samples) {
                mx += p[0];
                my += p[1];
            }
            mx /= samples.size();
            my /= samples.size();
            double sxy = 0;
            double sxx = 0;
            for (long[] p : samples) {
                sxy += (p[0] - mx) * (p[1] - my);
                sxx += (p[0] - mx) * (p[0] - mx);
            }
            double span = samples.get(samples.size() - 1)[0] - samples.get(0)[0];
            double trend = sxy / sxx * span;
            System.out.printf("[long-run] %s: retained heap first %d KB, min %d KB, max %d KB, trend %+.0f KB over "
                    + "%.0f steps%n", name, first >> 10, min >> 10, max >> 10, trend / 1024, span);
            check(max - first < MARGIN, name + ": retained heap grew from " + (first >> 10) + " KB to "
                    + (max >> 10) + " KB");
            check(trend < TREND_MARGIN, name + ": retained heap trend " + (long) (trend / 1024) + " KB over the run");
            check(lastAcc > firstAcc, name + ": training did not learn (accuracy " + firstAcc + " -> " + lastAcc
                    + ")");
        }
    }
}
