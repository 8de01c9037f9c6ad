package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Grad-mode scopes misused (docs/SEMANTICS.md §5.5): closed out of order, twice, or on another thread, they throw
 * {@link IllegalStateException} and leave the thread's mode exactly as a stack of scopes predicts. The property
 * runs random sequences of scope openings (all five kinds), {@code setEnabled} calls and closes of random scopes
 * (open or not, on the owning or on another thread) against that model, each on a fresh thread.
 */
class GradScopePropertyTest {
    private static final int EXAMPLES = 300;

    /** The thread's mode: grad enabled, inference mode, anomaly detection. */
    private record Mode(boolean enabled, boolean inference, boolean anomaly) {
        static Mode now() {
            return new Mode(Grad.isEnabled(), Grad.isInferenceMode(), Grad.isAnomalyEnabled());
        }
    }

    private static final String[] KINDS = {"disabled", "enabled", "scoped(true)", "scoped(false)", "inferenceMode",
        "detectAnomaly"};

    private static Grad.Scope open(int kind) {
        return switch (kind) {
            case 0 -> Grad.disabled();
            case 1 -> Grad.enabled();
            case 2 -> Grad.scoped(true);
            case 3 -> Grad.scoped(false);
            case 4 -> Grad.inferenceMode();
            default -> Grad.detectAnomaly();
        };
    }

    /** What opening a scope of {@code kind} does to the mode, as documented on each factory. */
    private static Mode apply(int kind, Mode m) {
        return switch (kind) {
            case 0 -> new Mode(false, m.inference(), m.anomaly());
            case 1 -> new Mode(true, false, m.anomaly());
            case 2 -> new Mode(true, m.inference(), m.anomaly());
            case 3 -> new Mode(false, m.inference(), m.anomaly());
            case 4 -> new Mode(false, true, m.anomaly());
            default -> new Mode(m.enabled(), m.inference(), true);
        };
    }

    /** Runs {@code body} on a new thread (a fresh grad mode, and no leftovers for the test thread). */
    private static void onFreshThread(Runnable body) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "grad-scope-test");
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        Throwable e = failure.get();
        if (e instanceof RuntimeException re) {
            throw re;
        } else if (e instanceof Error err) {
            throw err;
        } else if (e != null) {
            throw new AssertionError(e);
        }
    }

    /** Closes {@code s} on another thread; returns what it threw, and that thread's mode afterwards. */
    private static Object[] closeElsewhere(Grad.Scope s) {
        Object[] out = new Object[2];
        onFreshThread(() -> {
            try {
                s.close();
            } catch (Throwable e) {
                out[0] = e;
            }
            out[1] = Mode.now();
        });
        return out;
    }

    @Test
    void misusedScopesThrowAndLeaveTheModeAStackPredicts() {
        AtomicInteger tried = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        try {
            qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
                tried.incrementAndGet();
                try {
                    onFreshThread(() -> runSequence(seed));
                } catch (RuntimeException | AssertionError e) {
                    failed.incrementAndGet();
                    throw e;
                }
            });
        } finally {
            System.out.println("[issue15] GradScopePropertyTest.misusedScopes: " + tried.get() + " cases tried, "
                    + failed.get() + " failures");
        }
    }

    private static void runSequence(long seed) {
        Random rng = new Random(seed);
        StringBuilder log = new StringBuilder("seed " + seed + ":");
        Mode initial = Mode.now();
        Mode model = initial;
        List<Grad.Scope> all = new ArrayList<>();
        List<Grad.Scope> stack = new ArrayList<>();
        Map<Grad.Scope, Mode> entry = new IdentityHashMap<>();
        Map<Grad.Scope, String> names = new IdentityHashMap<>();
        for (int step = 0, steps = 1 + rng.nextInt(30); step < steps; step++) {
            int action = rng.nextInt(10);
            if (action < 4 || all.isEmpty()) {
                int kind = rng.nextInt(KINDS.length);
                Grad.Scope s = open(kind);
                names.put(s, "s" + all.size() + "=" + KINDS[kind]);
                log.append(" open ").append(names.get(s));
                all.add(s);
                stack.add(s);
                entry.put(s, model);
                model = apply(kind, model);
            } else if (action == 4) {
                boolean b = rng.nextBoolean();
                log.append(" setEnabled(").append(b).append(')');
                Grad.setEnabled(b);
                model = new Mode(b, model.inference(), model.anomaly());
            } else if (action == 5) {
                Grad.Scope s = all.get(rng.nextInt(all.size()));
                log.append(" closeOnOtherThread ").append(names.get(s));
                Object[] r = closeElsewhere(s);
                String at = log.toString();
                assertTrue(r[0] instanceof IllegalStateException, () -> at + ": expected IllegalStateException, got "
                        + r[0]);
                assertEquals(new Mode(true, false, false), r[1], () -> at + ": the other thread's mode changed");
            } else {
                Grad.Scope s = all.get(rng.nextInt(all.size()));
                int depth = stack.indexOf(s);
                log.append(" close ").append(names.get(s));
                String at = log.toString();
                if (depth >= 0 && depth == stack.size() - 1) {
                    s.close();
                } else {
                    assertThrows(IllegalStateException.class, s::close, () -> at + ": "
                            + (depth < 0 ? "closed twice" : "closed out of order") + " without an exception");
                }
                if (depth >= 0) {
                    model = entry.get(s);
                    stack.subList(depth, stack.size()).clear();
                }
            }
            Mode want = model;
            String at = log.toString();
            assertEquals(want, Mode.now(), () -> at + ": thread's mode");
        }
        // closing the still-open scopes innermost first always works and ends where the thread started
        for (int i = stack.size() - 1; i >= 0; i--) {
            stack.get(i).close();
        }
        Mode end = Mode.now();
        Mode want = stack.isEmpty() ? model : entry.get(stack.get(0));
        assertEquals(want, end, () -> log + ": mode after closing the open scopes in order");
    }

    // ------------------------------------------------------------------ the issue's own examples

    /** Issue 15 item 7: closing no_grad before the enable_grad opened inside it no longer leaves the thread stuck. */
    @Test
    void outerClosedBeforeInner() {
        onFreshThread(() -> {
            Grad.Scope outer = Grad.disabled();
            Grad.Scope inner = Grad.enabled();
            IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
            assertTrue(e.getMessage().contains("out of order"), e.getMessage());
            assertTrue(Grad.isEnabled(), "mode from before the outer scope");
            IllegalStateException again = assertThrows(IllegalStateException.class, inner::close);
            assertTrue(again.getMessage().contains("closed twice"), again.getMessage());
            assertTrue(Grad.isEnabled());
        });
    }

    /** Issue 15 item 7: an inference scope closed out of order does not leave the thread in inference mode. */
    @Test
    void inferenceModeClosedOutOfOrder() {
        onFreshThread(() -> {
            Grad.Scope inf = Grad.inferenceMode();
            Grad.Scope on = Grad.enabled();
            assertThrows(IllegalStateException.class, inf::close);
            assertFalse(Grad.isInferenceMode());
            assertTrue(Grad.isEnabled());
            assertThrows(IllegalStateException.class, on::close);
            assertFalse(Grad.isInferenceMode());
            Tensor x = Tensor.ones(2).requiresGrad(true);
            Tensor y = x.mul(2);
            assertFalse(y.isInference(), "tensors made after the scope are normal tensors");
            assertTrue(y.requiresGrad(), "and record history");
        });
    }

    /** Closing twice throws and changes nothing; closing on another thread throws and changes neither thread. */
    @Test
    void closedTwiceOrOnAnotherThread() {
        onFreshThread(() -> {
            Grad.Scope outer = Grad.disabled();
            Grad.Scope s = Grad.inferenceMode();
            Object[] r = closeElsewhere(s);
            assertTrue(r[0] instanceof IllegalStateException, "closing on another thread: " + r[0]);
            assertEquals(new Mode(true, false, false), r[1]);
            assertEquals(new Mode(false, true, false), Mode.now());
            s.close();
            assertEquals(new Mode(false, false, false), Mode.now());
            assertThrows(IllegalStateException.class, s::close);
            assertEquals(new Mode(false, false, false), Mode.now());
            outer.close();
            assertEquals(new Mode(true, false, false), Mode.now());
        });
    }
}
