package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The engine's buffer recycling (docs/SEMANTICS.md §25) tried through every public path by which user code can
 * reach a gradient or an output: a retained {@code .grad}, a tensor hook that keeps what it sees (and one that
 * returns a new gradient), a leaf's {@code .grad} (adopted or accumulated into), {@code Autograd.grad}'s results,
 * a custom {@link Function} whose backward keeps its {@code gradOutput}, a root gradient passed to
 * {@code backward}, a {@code createGraph} pass, and every forward output. Laws, over random shapes, values and
 * graphs (the seed is in the failure message):
 * <ol>
 *   <li>recycling changes no result: everything observed on a thread whose pool was warmed by earlier passes is
 *       bit-identical to the same program on a fresh thread (whose pool is empty);</li>
 *   <li>nothing reachable is ever written by a later op: every observed tensor keeps its bits while further
 *       passes draw recycled arrays;</li>
 *   <li>the law is not vacuous: recycled arrays were really handed out.</li>
 * </ol>
 */
class BufferRecyclingPropertyTest {
    private static final int EXAMPLES = 60;

    @Test
    void noReachableTensorIsEverRecycled() {
        long[] reusedTotal = {0};
        qt().withExamples(EXAMPLES).withShrinkCycles(0).forAll(longs().all()).checkAssert(seed -> {
            Program p = new Program(seed);
            Map<String, double[]> reference = onFreshThread(p);
            long before = BufferPool.reusedOnThisThread();
            for (int i = 0; i < 3; i++) {
                p.run(false); // fills this thread's pool with arrays of this program's sizes
            }
            Map<String, Tensor> observed = p.run(true);
            Map<String, double[]> snapshot = values(observed);
            assertEquals(reference.keySet(), snapshot.keySet(), "seed " + seed);
            for (String k : reference.keySet()) {
                assertArrayEquals(reference.get(k), snapshot.get(k), "seed " + seed + ": " + k + " changed by recycling");
            }
            for (int i = 0; i < 3; i++) {
                p.run(false); // draws recycled arrays: none may be one the observer still holds
            }
            for (Map.Entry<String, Tensor> e : observed.entrySet()) {
                assertArrayEquals(snapshot.get(e.getKey()), e.getValue().toDoubleArray(),
                        "seed " + seed + ": " + e.getKey() + " was overwritten after the pass");
            }
            reusedTotal[0] += BufferPool.reusedOnThisThread() - before;
        });
        if (BufferPool.enabled()) {
            assertTrue(reusedTotal[0] > 0, "no recycled array was ever handed out: the property tested nothing");
        }
        System.out.println("[issue18] BufferRecyclingPropertyTest: " + EXAMPLES + " programs, " + reusedTotal[0]
                + " recycled arrays handed out");
    }

    /**
     * A parameter's {@code .grad} dropped through {@link dev.vgrad.core.internal.GradBuffers#release} (what the
     * optimizers' and modules' {@code zeroGrad} do) is recycled only when no reference to it ever left vgrad and
     * the releasing thread created it. Over random sizes and random observers per step — user code that keeps the
     * gradient, keeps only a view of it, assigns its own gradient with {@code setGrad}, or reads it (publicly or
     * through {@code peek}) on another thread — every tensor an observer kept keeps its bits through later steps
     * that draw recycled arrays, and the losses and parameters are bit-identical to the same loop (same observers)
     * with every gradient pinned, so that none is recycled. Not vacuous: that loop reuses fewer arrays in total.
     */
    @Test
    void releasedGradientsAreRecycledOnlyWhenNoUserCodeSawThem() {
        long[] reuse = {0, 0};
        qt().withExamples(40).withShrinkCycles(0).forAll(longs().all()).checkAssert(seed -> {
            Loop loop = new Loop(seed);
            Loop.Result pinned = onThread(() -> loop.run(true));
            Loop.Result free = onThread(() -> loop.run(false));
            assertArrayEquals(pinned.trace, free.trace, "seed " + seed + ": recycling changed a loss or a parameter");
            for (int i = 0; i < free.kept.size(); i++) {
                assertArrayEquals(free.snapshots.get(i), free.kept.get(i).toDoubleArray(),
                        "seed " + seed + ": " + free.keptWhat.get(i) + " was overwritten by a recycled array");
            }
            reuse[0] += pinned.reused;
            reuse[1] += free.reused;
        });
        if (BufferPool.enabled()) {
            assertTrue(reuse[1] > reuse[0], "released gradients were never recycled (" + reuse[1] + " reused against "
                    + reuse[0] + " with every gradient pinned): the property tested nothing");
        }
        System.out.println("[issue18] released .grad recycling: " + reuse[1] + " arrays reused against " + reuse[0]
                + " with every gradient pinned");
    }

    private static <T> T onThread(java.util.function.Supplier<T> body) {
        AtomicReference<T> out = new AtomicReference<>();
        AtomicReference<Throwable> err = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                out.set(body.get());
            } catch (Throwable e) {
                err.set(e);
            }
        });
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        if (err.get() != null) {
            throw new AssertionError(err.get());
        }
        return out.get();
    }

    /**
     * A small training loop over persistent parameters (large enough to be pooled): forward, backward, random
     * observers, a plain gradient step read through {@code peek}, and {@code release} of every gradient.
     */
    private static final class Loop {
        static final int STEPS = 6;
        final long seed;
        final int b;
        final int d0;
        final int d1;
        final int d2;
        final int[][] action;

        Loop(long seed) {
            this.seed = seed;
            SplittableRandom r = new SplittableRandom(seed);
            b = 8 + r.nextInt(40);
            d0 = 32 + r.nextInt(65);
            d1 = 32 + r.nextInt(65);
            d2 = 32 + r.nextInt(40);
            action = new int[STEPS][3];
            for (int[] a : action) {
                for (int i = 0; i < a.length; i++) {
                    a[i] = r.nextInt(3) == 0 ? 1 + r.nextInt(5) : 0;
                }
            }
        }

        record Result(double[] trace, List<Tensor> kept, List<double[]> snapshots, List<String> keptWhat,
                      long reused) {}

        Result run(boolean pinAll) {
            long before = BufferPool.reusedOnThisThread();
            Generator gen = new Generator(seed);
            Tensor x = Tensor.randn(gen, b, d0);
            Tensor[] ps = {Tensor.randn(gen, d0, d1).mul(0.2).detach().requiresGrad(true),
                Tensor.randn(gen, d1, d2).mul(0.2).detach().requiresGrad(true),
                Tensor.randn(gen, d1).mul(0.1).detach().requiresGrad(true)};
            List<Tensor> kept = new ArrayList<>();
            List<double[]> snapshots = new ArrayList<>();
            List<String> what = new ArrayList<>();
            List<Double> trace = new ArrayList<>();
            for (int step = 0; step < STEPS + 3; step++) {
                Tensor loss = x.matmul(ps[0]).add(ps[2]).tanh().matmul(ps[1]).pow(2).mean();
                loss.backward();
                trace.add(loss.item());
                for (int i = 0; i < ps.length; i++) {
                    Tensor p = ps[i];
                    if (pinAll) {
                        p.grad();
                    }
                    int act = step < STEPS ? action[step][i] : 0;
                    String name = "step " + step + " param " + i + " action " + act;
                    Tensor k = switch (act) {
                        case 1 -> p.grad();
                        case 2 -> p.grad().view(-1);
                        case 3 -> {
                            Tensor own = Tensor.randn(gen, p.shape());
                            p.setGrad(own);
                            yield own;
                        }
                        case 4 -> onThread(p::grad);
                        case 5 -> onThread(() -> dev.vgrad.core.internal.GradBuffers.peek(p));
                        default -> null;
                    };
                    if (k != null) {
                        kept.add(k);
                        snapshots.add(k.toDoubleArray());
                        what.add(name);
                    }
                }
                try (var off = Grad.disabled()) {
                    for (Tensor p : ps) {
                        p.sub_(dev.vgrad.core.internal.GradBuffers.peek(p).mul(0.05));
                    }
                }
                for (Tensor p : ps) {
                    dev.vgrad.core.internal.GradBuffers.release(p);
                    trace.add(p.sum().item());
                }
            }
            double[] t = new double[trace.size()];
            for (int i = 0; i < t.length; i++) {
                t[i] = trace.get(i);
            }
            return new Result(t, kept, snapshots, what, BufferPool.reusedOnThisThread() - before);
        }
    }

    private static Map<String, double[]> onFreshThread(Program p) {
        return onThread(() -> values(p.run(true)));
    }

    private static Map<String, double[]> values(Map<String, Tensor> m) {
        Map<String, double[]> v = new LinkedHashMap<>();
        m.forEach((k, t) -> v.put(k, t.toDoubleArray()));
        return v;
    }

    /** A custom function (identity times 2) whose backward keeps the gradient it is given, as user code may. */
    private static final class Keeper extends Function {
        final List<Tensor> kept;

        Keeper(List<Tensor> kept) {
            this.kept = kept;
        }

        @Override
        protected Tensor forward(FunctionContext ctx, Tensor... in) {
            return in[0].mul(2.0);
        }

        @Override
        protected Tensor[] backward(FunctionContext ctx, Tensor g) {
            kept.add(g);
            return new Tensor[] {g.mul(2.0)};
        }
    }

    /**
     * A random two-layer network over arrays large enough to be pooled, with a random choice of observers. The
     * same seed builds the same program; {@link #run} runs one training pass and returns what it observed.
     */
    private static final class Program {
        final long seed;
        final int b;
        final int d0;
        final int d1;
        final int d2;
        final int act;
        final int join;
        final boolean[] watch = new boolean[9];
        final boolean xGrad;

        Program(long seed) {
            this.seed = seed;
            SplittableRandom r = new SplittableRandom(seed);
            b = 16 + r.nextInt(49);
            d0 = 32 + r.nextInt(65);
            d1 = 32 + r.nextInt(65);
            d2 = 1 + r.nextInt(96);
            act = r.nextInt(6);
            join = r.nextInt(3);
            xGrad = r.nextBoolean();
            for (int i = 0; i < watch.length; i++) {
                watch[i] = r.nextInt(3) == 0;
            }
        }

        Map<String, Tensor> run(boolean observe) {
            Generator gen = new Generator(seed);
            Tensor x = Tensor.randn(gen, b, d0).requiresGrad(xGrad);
            Tensor w1 = Tensor.randn(gen, d0, d1).mul(0.2).detach().requiresGrad(true);
            Tensor w2 = Tensor.randn(gen, d1, d2).mul(0.2).detach().requiresGrad(true);
            Tensor bias = Tensor.randn(gen, d1).detach().requiresGrad(true);
            Map<String, Tensor> seen = new LinkedHashMap<>();
            List<Tensor> hooked = new ArrayList<>();
            List<Tensor> kept = new ArrayList<>();
            boolean on = observe;
            if (on && watch[0]) {
                // a .grad that exists before the pass is added into, not adopted
                w1.backward(Tensor.ones(DType.FLOAT32, d0, d1));
            }
            Tensor h = x.matmul(w1).add(bias);
            if (on && watch[1]) {
                h.retainGrad();
            }
            Tensor a = switch (act) {
                case 0 -> h.relu();
                case 1 -> h.tanh();
                case 2 -> h.sigmoid();
                case 3 -> h.clamp(-0.5, 0.7);
                // maskedSelect's rule scatters into a fresh buffer (an all-true mask keeps the shape)
                case 4 -> h.maskedSelect(Tensor.ones(DType.BOOL, h.shape())).view(h.shape());
                default -> h.mul(1.5);
            };
            if (on && watch[2]) {
                a.registerHook(g -> {
                    hooked.add(g);
                    return null;
                });
            }
            if (on && watch[3]) {
                a.registerHook(g -> {
                    Tensor r = g.mul(1.0);
                    hooked.add(g);
                    hooked.add(r);
                    return r;
                });
            }
            if (on && watch[4]) {
                a = new Keeper(kept).apply(a);
            }
            // a used twice: its gradients meet and are summed (in place when the engine owns the first)
            Tensor u = switch (join) {
                case 0 -> a.add(a.mul(0.5));
                case 1 -> a.mul(a);
                default -> a;
            };
            Tensor y = u.matmul(w2);
            Tensor loss;
            if (on && watch[5]) {
                Tensor root = Tensor.randn(gen, b, d2);
                seen.put("root", root);
                y.backward(root, on && watch[6], false);
                loss = null;
            } else {
                loss = y.tanh().sum();
                if (on && watch[7]) {
                    Tensor[] gs = Autograd.grad(loss, new Tensor[] {a, w2}, null, true);
                    seen.put("autograd.grad(a)", gs[0]);
                    seen.put("autograd.grad(w2)", gs[1]);
                }
                loss.backward(null, false, on && watch[8]);
            }
            if (on) {
                seen.put("h", h);
                seen.put("a", a);
                seen.put("y", y);
                if (loss != null) {
                    seen.put("loss", loss);
                }
                seen.put("w1.grad", w1.grad());
                seen.put("w2.grad", w2.grad());
                seen.put("bias.grad", bias.grad());
                if (xGrad) {
                    seen.put("x.grad", x.grad());
                }
                if (watch[1]) {
                    seen.put("h.grad", h.grad());
                }
                for (int i = 0; i < hooked.size(); i++) {
                    seen.put("hooked" + i, hooked.get(i));
                }
                for (int i = 0; i < kept.size(); i++) {
                    seen.put("kept" + i, kept.get(i));
                }
            }
            return seen;
        }
    }
}
