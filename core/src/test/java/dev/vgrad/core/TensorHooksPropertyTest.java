package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Tensor hooks (docs/SEMANTICS.md §5.11). The explicit cases are PyTorch 1.13's behaviour, run with
 * {@code torch} (values in the comments); the property draws hook chains, removals and retainGrad positions and
 * derives the expected gradients by hand: for {@code z = sum((x·a)·b)} the gradient reaching {@code y = x·a} is
 * {@code b}, each hook maps it, and {@code x} receives the result times {@code a}.
 */
class TensorHooksPropertyTest {
    private static final int EXAMPLES = 200;

    private static Tensor ones2() {
        return Tensor.ones(DType.FLOAT32, 2).requiresGrad(true);
    }

    @Test
    void pytorchExamples() {
        // retain_grad then hook: y.grad = 3 (unhooked), x.grad = 60
        Tensor x = ones2();
        Tensor y = x.mul(2);
        y.retainGrad();
        y.registerHook(g -> g.mul(10));
        y.mul(3).sum().backward();
        assertArrayEquals(new double[] {3, 3}, y.grad().toDoubleArray());
        assertArrayEquals(new double[] {60, 60}, x.grad().toDoubleArray());
        // hook then retain_grad: y.grad = 30 (PyTorch 1.13 runs retain_grad in registration order)
        x = ones2();
        y = x.mul(2);
        y.registerHook(g -> g.mul(10));
        y.retainGrad();
        y.mul(3).sum().backward();
        assertArrayEquals(new double[] {30, 30}, y.grad().toDoubleArray());
        // leaf hook: x.grad = 20
        x = ones2();
        x.registerHook(g -> g.mul(10));
        x.mul(2).sum().backward();
        assertArrayEquals(new double[] {20, 20}, x.grad().toDoubleArray());
        // autograd.grad: a leaf input's own hook is not applied (2), a non-leaf input's neither (3), a hook on
        // a tensor passed through is (60)
        Tensor x2 = ones2();
        x2.registerHook(g -> g.add(1));
        assertArrayEquals(new double[] {2, 2},
                Autograd.grad(x2.mul(2).sum(), new Tensor[] {x2}, null, false)[0].toDoubleArray());
        Tensor x3 = ones2();
        Tensor y3 = x3.mul(2);
        y3.registerHook(g -> g.mul(10));
        assertArrayEquals(new double[] {3, 3},
                Autograd.grad(y3.mul(3).sum(), new Tensor[] {y3}, null, true)[0].toDoubleArray());
        assertArrayEquals(new double[] {60, 60},
                Autograd.grad(y3.mul(3).sum(), new Tensor[] {x3}, null, false)[0].toDoubleArray());
        // a removed hook no longer runs; a null result keeps the gradient
        Tensor x4 = ones2();
        Tensor y4 = x4.mul(2);
        RemovableHandle h = y4.registerHook(g -> g.mul(1000));
        y4.registerHook(g -> null);
        y4.registerHook(g -> g.mul(10));
        h.remove();
        y4.mul(3).sum().backward();
        assertArrayEquals(new double[] {60, 60}, x4.grad().toDoubleArray());
        // a hook may keep its argument: later passes do not change it ([2,2], [3,3], x.grad = 5)
        Tensor x5 = ones2();
        List<Tensor> kept = new ArrayList<>();
        x5.registerHook(g -> {
            kept.add(g);
            return null;
        });
        x5.mul(2).sum().backward();
        x5.mul(3).sum().backward();
        assertArrayEquals(new double[] {2, 2}, kept.get(0).toDoubleArray());
        assertArrayEquals(new double[] {3, 3}, kept.get(1).toDoubleArray());
        assertArrayEquals(new double[] {5, 5}, x5.grad().toDoubleArray());
    }

    /** PyTorch 1.13: a hook on y stays with y's old value after y.mul_(3): it sees 3, x.grad = 60. */
    @Test
    void hookOnANonLeafStaysWithTheValueBeforeAnInPlaceOp() {
        Tensor x = ones2();
        Tensor y = x.mul(2);
        List<Tensor> seen = new ArrayList<>();
        y.registerHook(g -> {
            seen.add(g);
            return g.mul(10);
        });
        y.mul_(Tensor.scalar(DType.FLOAT32, 3));
        y.sum().backward();
        assertArrayEquals(new double[] {3, 3}, seen.get(0).toDoubleArray());
        assertArrayEquals(new double[] {60, 60}, x.grad().toDoubleArray());
    }

    @Test
    void badRegistrations() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Tensor.ones(DType.FLOAT32, 2).registerHook(g -> g));
        assertEquals("cannot register a hook on a tensor that doesn't require gradient", e.getMessage());
        Tensor x = ones2();
        x.registerHook(g -> g.sum());
        IllegalStateException s = assertThrows(IllegalStateException.class, () -> x.mul(2).sum().backward());
        assertTrue(s.getMessage().startsWith("hook 'hook' has changed the size of value"), s.getMessage());
        // PyTorch: "hook '<lambda>' has changed the type of value (was torch.FloatTensor got torch.DoubleTensor)"
        Tensor x2 = ones2();
        x2.registerHook(g -> g.to(DType.FLOAT64));
        IllegalStateException t = assertThrows(IllegalStateException.class, () -> x2.mul(2).sum().backward());
        assertEquals("hook 'hook' has changed the type of value (was torch.FloatTensor got torch.DoubleTensor)",
                t.getMessage());
    }

    /**
     * Random chains: on y = x·a (a leaf or non-leaf path), k hooks each mapping g ↦ g·s + t, some removed, a
     * retainGrad at a random position, a leaf hook on x; the expected values follow the chain by hand. Several
     * backward passes accumulate, and every tensor a hook kept still holds what it was given.
     */
    @Test
    void hookChainsProperty() {
        AtomicInteger tried = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        try {
            qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
                tried.incrementAndGet();
                boolean ok = false;
                try {
                    chain(new Generator(seed), seed);
                    ok = true;
                } finally {
                    if (!ok) {
                        failed.incrementAndGet();
                    }
                }
            });
        } finally {
            System.out.println("[issue16] TensorHooksPropertyTest.hookChains: " + tried.get() + " cases tried, "
                    + failed.get() + " failures");
        }
    }

    private static void chain(Generator g, long seed) {
        int n = 1 + (int) g.nextLong(5);
        DType dt = g.nextBernoulli(0.5) ? DType.FLOAT32 : DType.FLOAT64;
        double[] a = new double[n];
        double[] b = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = 1 + g.nextLong(4);
            b[i] = 1 + g.nextLong(4);
        }
        Tensor x = Tensor.ones(dt, n).requiresGrad(true);
        Tensor y = x.mul(Tensor.of(a, n).to(dt));
        int k = (int) g.nextLong(4);
        int retainAt = g.nextBernoulli(0.5) ? -1 : (int) g.nextLong(k + 1);
        double[] scale = new double[k];
        double[] shift = new double[k];
        boolean[] removed = new boolean[k];
        List<Tensor> kept = new ArrayList<>();
        List<double[]> keptValues = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            if (j == retainAt) {
                y.retainGrad();
            }
            scale[j] = 1 + g.nextLong(3);
            shift[j] = g.nextLong(3);
            double s = scale[j];
            double t = shift[j];
            RemovableHandle h = y.registerHook(gr -> {
                kept.add(gr);
                keptValues.add(gr.toDoubleArray());
                return gr.mul(s).add(t);
            });
            removed[j] = g.nextBernoulli(0.3);
            if (removed[j]) {
                h.remove();
            }
        }
        if (retainAt == k) {
            y.retainGrad();
        }
        double leafScale = g.nextBernoulli(0.5) ? 1 + g.nextLong(3) : 1;
        if (leafScale != 1) {
            double ls = leafScale;
            x.registerHook(gr -> gr.mul(ls));
        }
        int passes = 1 + (int) g.nextLong(2);
        double[] expectX = new double[n];
        double[] expectY = new double[n];
        for (int p = 0; p < passes; p++) {
            Tensor z = y.mul(Tensor.of(b, n).to(dt)).sum();
            z.backward(null, true);
            for (int i = 0; i < n; i++) {
                double v = b[i];
                double atRetain = retainAt == 0 ? v : Double.NaN;
                for (int j = 0; j < k; j++) {
                    if (!removed[j]) {
                        v = v * scale[j] + shift[j];
                    }
                    if (retainAt == j + 1) {
                        atRetain = v;
                    }
                }
                expectX[i] += v * a[i] * leafScale;
                expectY[i] += atRetain;
            }
        }
        String what = "seed " + seed + " n " + n + " " + dt + " k " + k + " retainAt " + retainAt;
        assertArrayEquals(expectX, x.grad().toDoubleArray(), 1e-9, what);
        if (retainAt >= 0) {
            assertArrayEquals(expectY, y.grad().toDoubleArray(), 1e-9, what + " (retained)");
        } else {
            assertNull(y.grad(), what);
        }
        for (int i = 0; i < kept.size(); i++) {
            assertArrayEquals(keptValues.get(i), kept.get(i).toDoubleArray(), what + " (kept hook argument)");
        }
    }

    /**
     * Registration and removal racing with passes on other threads never corrupt a pass: with identity hooks the
     * gradient is exact whatever the interleaving (docs/SEMANTICS.md §5.9, §5.11).
     */
    @Test
    void registrationConcurrentWithPasses() throws Exception {
        Tensor x = Tensor.ones(DType.FLOAT64, 3).requiresGrad(true);
        Tensor y = x.mul(2);
        Tensor z = y.mul(3).sum();
        AtomicInteger errors = new AtomicInteger();
        Thread reg = new Thread(() -> {
            for (int i = 0; i < 2000; i++) {
                RemovableHandle h = y.registerHook(g -> g);
                RemovableHandle hx = x.registerHook(g -> null);
                h.remove();
                hx.remove();
            }
        });
        reg.start();
        for (int i = 0; i < 300; i++) {
            Tensor[] gr = Autograd.grad(z, new Tensor[] {x}, null, true);
            if (gr[0].toDoubleArray()[0] != 6) {
                errors.incrementAndGet();
            }
        }
        reg.join();
        assertEquals(0, errors.get());
        System.out.println("[issue16] TensorHooksPropertyTest.registrationConcurrentWithPasses: 300 cases tried, "
                + errors.get() + " failures");
    }
}
