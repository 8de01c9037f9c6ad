package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.Autograd;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.RemovableHandle;
import dev.vgrad.core.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Module hooks (docs/SEMANTICS.md §1.8): forward pre-hooks, forward hooks and full backward hooks. */
@DisplayName("Module hooks: forward pre-hooks, forward hooks, full backward hooks, removable handles")
class ModuleHooksTest {

    @Test
    @DisplayName("pre-hooks and forward hooks run in registration order, may replace input and output, and are removable")
    void forwardHooks() {
        Linear lin = new Linear(3, 2, true, new Generator(1));
        List<String> log = new ArrayList<>();
        RemovableHandle a = lin.registerForwardPreHook((m, x) -> {
            log.add("pre1");
            return x.mul(2);
        });
        lin.registerForwardPreHook((m, x) -> {
            log.add("pre2");
            assertSame(lin, m);
            return null;
        });
        RemovableHandle c = lin.registerForwardHook((m, x, y) -> {
            log.add("post");
            return y.add(1);
        });
        Tensor x = Tensor.randn(new Generator(2), 4, 3);
        Tensor y = lin.call(x);
        assertEquals(List.of("pre1", "pre2", "post"), log);
        assertArrayEquals(lin.forward(x.mul(2)).add(1).toArray(), y.toArray());
        // forward() itself skips hooks, as module.forward(x) does in PyTorch
        log.clear();
        lin.forward(x);
        assertEquals(List.of(), log);
        a.remove();
        a.remove();
        c.close();
        log.clear();
        assertArrayEquals(lin.forward(x).toArray(), lin.call(x).toArray());
        assertEquals(List.of("pre2"), log);
    }

    @Test
    @DisplayName("hooks on children fire when a Sequential runs them")
    void childHooksFireInSequential() {
        Linear first = new Linear(3, 4, true, new Generator(3));
        Sequential s = new Sequential(first, new ReLU(), new Linear(4, 2, true, new Generator(4)));
        AtomicInteger calls = new AtomicInteger();
        first.registerForwardHook((m, x, y) -> {
            calls.incrementAndGet();
            return null;
        });
        s.call(Tensor.randn(new Generator(5), 2, 3));
        s.forward(Tensor.randn(new Generator(5), 2, 3));
        assertEquals(2, calls.get());
    }

    @Test
    @DisplayName("a full backward hook sees dL/dinput and dL/doutput and may replace the input gradient")
    void fullBackwardHook() {
        Linear lin = new Linear(3, 2, true, new Generator(6));
        Tensor x = Tensor.randn(new Generator(7), 4, 3).requiresGrad(true);
        Tensor[] seen = new Tensor[2];
        lin.registerFullBackwardHook((m, gi, go) -> {
            seen[0] = gi;
            seen[1] = go;
            return gi.mul(2);
        });
        Tensor y = lin.call(x);
        assertEquals("BackwardHookFunctionBackward", y.gradFn().name());
        Tensor w = Tensor.randn(new Generator(8), 4, 2);
        y.mul(w).sum().backward();
        // dL/dy = w, dL/dx = w · W
        assertArrayEquals(w.toArray(), seen[1].toArray());
        Tensor expected;
        try (var off = Grad.disabled()) {
            expected = w.matmul(lin.param("weight"));
        }
        assertArrayEquals(expected.toArray(), seen[0].toArray(), 1e-6f);
        assertArrayEquals(expected.mul(2).toArray(), x.grad().toArray(), 1e-6f);
    }

    @Test
    @DisplayName("an input without grad: the hook gets a null input gradient; no grad mode: no hook")
    void inputWithoutGrad() {
        Linear lin = new Linear(3, 2, true, new Generator(9));
        List<Tensor> inputs = new ArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        lin.registerFullBackwardHook((m, gi, go) -> {
            calls.incrementAndGet();
            inputs.add(gi);
            assertNotNull(go);
            return null;
        });
        lin.call(Tensor.randn(new Generator(10), 2, 3)).sum().backward();
        assertEquals(1, calls.get());
        assertNull(inputs.get(0));
        try (var off = Grad.disabled()) {
            Tensor y = lin.call(Tensor.randn(new Generator(10), 2, 3));
            assertNull(y.gradFn());
        }
        assertEquals(1, calls.get());
    }

    @Test
    @DisplayName("a replacement gradient of the wrong shape is an error naming the module")
    void wrongShape() {
        Linear lin = new Linear(3, 2, true, new Generator(11));
        lin.registerFullBackwardHook((m, gi, go) -> Tensor.ones(5));
        Tensor x = Tensor.randn(new Generator(12), 2, 3).requiresGrad(true);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> lin.call(x).sum().backward());
        assertTrue(e.getMessage().contains("Linear"), e.getMessage());
    }

    @Test
    @DisplayName("property: in random MLPs, hooks see exactly Autograd.grad's gradients, and observing changes no bit")
    void hooksSeeTheTrueGradients() {
        AtomicInteger cases = new AtomicInteger();
        qt().withExamples(40).forAll(longs().all()).checkAssert(seed -> {
            cases.incrementAndGet();
            Generator g = new Generator(seed);
            int depth = 1 + (int) g.nextLong(4);
            int batch = 1 + (int) g.nextLong(5);
            int[] widths = new int[depth + 1];
            for (int i = 0; i <= depth; i++) {
                widths[i] = 1 + (int) g.nextLong(6);
            }
            Sequential net = new Sequential();
            for (int i = 0; i < depth; i++) {
                net.append(new Linear(widths[i], widths[i + 1], true, g));
                net.append(g.nextDouble() < 0.5 ? new Tanh() : new ReLU());
            }
            Tensor x = Tensor.randn(g, batch, widths[0]).requiresGrad(true);
            // reference: the same net without hooks, gradient of every child's input and output by Autograd.grad
            List<Tensor> ins = new ArrayList<>();
            List<Tensor> outs = new ArrayList<>();
            List<RemovableHandle> capture = new ArrayList<>();
            for (Module m : net.children()) {
                capture.add(m.registerForwardHook((mm, in, out) -> {
                    ins.add(in);
                    outs.add(out);
                    return null;
                }));
            }
            Tensor y0 = net.call(x);
            Tensor loss = y0.mul(y0).sum();
            List<Tensor> refIn = new ArrayList<>();
            List<Tensor> refOut = new ArrayList<>();
            int n = net.children().size();
            for (int i = 0; i < n; i++) {
                refIn.add(Autograd.grad(loss, new Tensor[] {ins.get(i)}, null, true)[0]);
                refOut.add(Autograd.grad(loss, new Tensor[] {outs.get(i)}, null, true)[0]);
            }
            loss.backward();
            float[] refGrad = x.grad().toArray();
            capture.forEach(RemovableHandle::remove);
            // the same computation with backward hooks on every child: they see the same gradients, and x.grad is
            // bit-identical (hooks that return null change nothing)
            x.setGrad(null);
            List<Tensor[]> seen = new ArrayList<>();
            for (Module m : net.children()) {
                m.registerFullBackwardHook((mm, gi, go) -> {
                    seen.add(new Tensor[] {gi, go});
                    return null;
                });
            }
            Tensor y = net.call(x);
            y.mul(y).sum().backward();
            assertEquals(n, seen.size(), "seed " + seed);
            for (int i = 0; i < n; i++) {
                Tensor[] s = seen.get(n - 1 - i); // backward visits the children in reverse
                assertArrayEquals(refIn.get(i).toArray(), s[0].toArray(), 1e-5f, "seed " + seed + " child " + i);
                assertArrayEquals(refOut.get(i).toArray(), s[1].toArray(), 1e-5f, "seed " + seed + " child " + i);
            }
            assertArrayEquals(refGrad, x.grad().toArray(), "seed " + seed);
        });
        System.out.println("[issue16] module hooks vs Autograd.grad: " + cases.get() + " cases tried, 0 failures");
    }
}
