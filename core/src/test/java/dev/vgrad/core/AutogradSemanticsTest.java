package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.lang.ref.WeakReference;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** docs/SEMANTICS.md §5 and edge cases #15–#32, with PyTorch's error texts. */
class AutogradSemanticsTest {

    private static Tensor leaf(float... v) {
        return Tensor.of(v, v.length).requiresGrad(true);
    }

    private static void assertMessage(Throwable e, String substring) {
        assertTrue(e.getMessage() != null && e.getMessage().contains(substring),
                () -> "expected message containing \"" + substring + "\" but was: " + e.getMessage());
    }

    /**
     * Elementwise backward rules (unary ones, and a product's first factor) write over an incoming gradient that
     * nothing else references. They must not
     * when something does: the caller's root gradient, a retained .grad, a gradient captured by Autograd.grad,
     * or one gradient handed to two inputs (a + b). Each result is checked against the rule computed by hand.
     */
    @Test
    void elementwiseRulesOverwriteOnlyPrivateGradients() {
        Generator gen = new Generator(17);
        Tensor x0 = Tensor.randn(gen, 6, 5);
        Tensor up = Tensor.randn(gen, 6, 5);
        float[] upBefore = up.toArray();
        float[] xs = x0.toArray();
        float[] u = up.toArray();

        // root gradient: the caller's tensor stays as it was
        Tensor x = x0.cloneTensor().requiresGrad(true);
        x.relu().backward(up);
        assertArrayEquals(upBefore, up.toArray(), "root gradient modified");
        float[] gx = x.grad().toArray();
        for (int i = 0; i < xs.length; i++) {
            assertEquals(xs[i] > 0 ? u[i] : 0f, gx[i], "relu rule at " + i);
        }

        // a retained .grad of an intermediate keeps the gradient it was given
        x = x0.cloneTensor().requiresGrad(true);
        Tensor h = x.mul(3).sigmoid().retainGrad();
        h.mul(2).relu().backward(up);
        float[] hs = h.detach().toArray();
        float[] hg = h.grad().toArray();
        float[] xg = x.grad().toArray();
        for (int i = 0; i < xs.length; i++) {
            float want = hs[i] * 2 > 0 ? u[i] * 2 : 0f;
            assertEquals(want, hg[i], "retained grad at " + i);
            assertEquals(want * (hs[i] * (1 - hs[i])) * 3, xg[i], 1e-5 * (1 + Math.abs(xg[i])), "x.grad at " + i);
        }

        // one gradient to two branches (a + b): each branch's rule sees the original
        x = x0.cloneTensor().requiresGrad(true);
        Tensor y = x.mul(1);
        y.relu().add(y.neg().relu()).mul(1).backward(up);
        gx = x.grad().toArray();
        for (int i = 0; i < xs.length; i++) {
            float want = (xs[i] > 0 ? u[i] : 0f) - (-xs[i] > 0 ? u[i] : 0f);
            assertEquals(want, gx[i], "two branches at " + i);
        }

        // a product whose both factors need grad: b's gradient reads g before a's is written over it
        x = x0.cloneTensor().requiresGrad(true);
        Tensor w = up.cloneTensor().mul(0.5).requiresGrad(true);
        x.mul(w).mul(2).backward(up);
        gx = x.grad().toArray();
        float[] gw = w.grad().toArray();
        for (int i = 0; i < xs.length; i++) {
            float g2 = u[i] * 2;
            assertEquals(g2 * (u[i] * 0.5f), gx[i], "product a at " + i);
            assertEquals(g2 * xs[i], gw[i], "product b at " + i);
        }

        // a broadcast factor (a dropout-style row mask, and a float64 copy of the whole case): a's gradient is
        // written over g, b's is reduced from a product computed before that
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            Tensor xd = x0.detach().to(dt).requiresGrad(true);
            Tensor mask = Tensor.randn(gen, 1, 5).to(dt).requiresGrad(true);
            xd.mul(mask).mul(2).backward(up.to(dt));
            double[] mk = mask.detach().toDoubleArray();
            double[] gxd = xd.grad().toDoubleArray();
            double[] gmd = mask.grad().toDoubleArray();
            double[] colSum = new double[5];
            for (int i = 0; i < xs.length; i++) {
                double g2 = (dt == DType.FLOAT32 ? (double) (u[i] * 2f) : u[i] * 2.0);
                assertEquals(g2 * mk[i % 5], gxd[i], 1e-6 * (1 + Math.abs(gxd[i])), dt + " masked a at " + i);
                colSum[i % 5] += g2 * xs[i];
            }
            for (int j = 0; j < 5; j++) {
                assertEquals(colSum[j], gmd[j], 1e-5 * (1 + Math.abs(colSum[j])), dt + " mask gradient " + j);
            }
        }

        // Autograd.grad captures an intermediate gradient before the rule below it runs
        x = x0.cloneTensor().requiresGrad(true);
        Tensor mid = x.mul(2);
        Tensor out = mid.sigmoid().mul(up).sum();
        Tensor[] g = Autograd.grad(out, new Tensor[] {mid, x}, null, false);
        float[] ms = mid.detach().toArray();
        float[] gm = g[0].toArray();
        float[] gxx = g[1].toArray();
        for (int i = 0; i < xs.length; i++) {
            double s = 1 / (1 + Math.exp(-ms[i]));
            assertEquals(u[i] * s * (1 - s), gm[i], 1e-5, "captured grad at " + i);
            assertEquals(2 * gm[i], gxx[i], 1e-5, "x grad through captured node at " + i);
        }
    }

    /**
     * A leaf reached through view rules (w.t(), then a reshape) adopts the fresh gradient buffer instead of copying
     * it; it must still own it: a second backward accumulates into it without disturbing the graph's own tensors,
     * and a gradient passed to two inputs (x·x) or the caller's root gradient is never adopted.
     */
    @Test
    void adoptedLeafGradientsThroughViewsStayPrivate() {
        Generator gen = new Generator(9);
        Tensor w = Tensor.randn(gen, 4, 3).requiresGrad(true);
        Tensor x = Tensor.randn(gen, 5, 3);
        Tensor g = Tensor.randn(gen, 5, 4);
        float[] expected = g.t().matmul(x).toArray();
        Tensor y = x.matmul(w.t());
        y.backward(g, true);
        assertTrue(w.grad().isContiguous());
        assertArrayEquals(expected, w.grad().toArray(), 1e-5f);
        y.backward(g);
        float[] twice = expected.clone();
        for (int i = 0; i < twice.length; i++) {
            twice[i] *= 2;
        }
        assertArrayEquals(twice, w.grad().toArray(), 1e-5f);

        Tensor v = Tensor.randn(gen, 6).requiresGrad(true);
        Tensor root = Tensor.ones(2, 3);
        v.reshape(2, 3).backward(root);
        root.add_(Tensor.ones(2, 3));
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1}, v.grad().toArray(), "the caller's gradient is copied");

        Tensor u = Tensor.randn(gen, 3).requiresGrad(true);
        u.t().mul(u.t()).sum().backward();
        assertArrayEquals(u.mul(2).detach().toArray(), u.grad().toArray(), 1e-6f);
    }

    @Test
    void e15_nonScalarImplicitGradient() {
        Tensor a = leaf(1, 2, 3);
        Tensor y = a.mul(Tensor.of(new float[] {1, 1, 1}, 3));
        assertMessage(assertThrows(IllegalStateException.class, y::backward),
                "grad can be implicitly created only for scalar outputs");
        // a one-element tensor of any shape is accepted
        Tensor b = Tensor.of(new float[] {2}, 1, 1).requiresGrad(true);
        b.mul(3).backward();
        assertEquals(3.0, b.grad().item());
    }

    @Test
    void e16_secondBackwardThroughFreedGraph() {
        Tensor a = leaf(1, 2, 3);
        Tensor s = a.mul(a).sum();
        s.backward();
        assertMessage(assertThrows(IllegalStateException.class, s::backward),
                "Trying to backward through the graph a second time");
        Tensor b = leaf(1, 2);
        Tensor t = b.mul(Tensor.of(new float[] {3, 4}, 2).requiresGrad(true)).sum();
        t.backward();
        assertThrows(IllegalStateException.class, t::backward);
    }

    @Test
    void e17_graphWithoutSavedTensorsRunsTwice() {
        Tensor a = leaf(1, 2, 3);
        Tensor s = a.add(1).sum();
        s.backward();
        s.backward();
        assertArrayEquals(new float[] {2, 2, 2}, a.grad().toArray());
        // scalar mul/div, neg and mean save nothing either (as in PyTorch)
        Tensor b = leaf(1, 2);
        Tensor u = b.mul(3).div(2).neg().mean();
        u.backward();
        u.backward();
        assertArrayEquals(new float[] {-1.5f, -1.5f}, b.grad().toArray());
    }

    @Test
    void e18_retainGraphThenBackwardDoubles() {
        Tensor a = leaf(1, 2, 3);
        Tensor s = a.mul(a).sum();
        s.backward(null, true);
        assertArrayEquals(new float[] {2, 4, 6}, a.grad().toArray());
        s.backward();
        assertArrayEquals(new float[] {4, 8, 12}, a.grad().toArray());
    }

    @Test
    void e19_backwardWithoutGrad() {
        Tensor x = Tensor.ones(2).sum();
        assertMessage(assertThrows(IllegalStateException.class, x::backward),
                "element 0 of tensors does not require grad and does not have a grad_fn");
    }

    @Test
    void e20_gradientShapeMismatch() {
        Tensor a = leaf(1, 2, 3);
        Tensor y = a.mul(2);
        assertMessage(assertThrows(IllegalStateException.class, () -> y.backward(Tensor.ones(2))),
                "Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] has a shape of torch.Size([3]).");
        Tensor a2 = leaf(1, 2, 3);
        a2.mul(2).backward(Tensor.of(new float[] {1, 10, 100}, 3));
        assertArrayEquals(new float[] {2, 20, 200}, a2.grad().toArray());
    }

    @Test
    void e21_savedOutputModifiedInPlace() {
        Tensor x = leaf(1, 2, 3);
        Tensor y = x.exp();
        y.add_(1);
        Throwable e = assertThrows(IllegalStateException.class, () -> y.sum().backward());
        assertMessage(e, "one of the variables needed for gradient computation has been modified by an inplace operation");
        assertMessage(e, "[torch.FloatTensor [3]], which is output 0 of ExpBackward0,");
        assertMessage(e, "is at version 1; expected version 0 instead");
    }

    @Test
    void e22_addSavesNothing() {
        Tensor x3 = leaf(1, 2, 3);
        Tensor base = x3.mul(1);
        Tensor y = base.add(base);
        try (var off = Grad.disabled()) {
            base.mul_(2);
        }
        y.sum().backward();
        assertArrayEquals(new float[] {2, 2, 2}, x3.grad().toArray());
    }

    @Test
    void e23_detachSharesVersionCounter() {
        Tensor x5 = leaf(1, 2, 3);
        Tensor y = x5.mul(x5);
        Tensor d = x5.detach();
        assertEquals(x5.version(), d.version());
        d.zero_();
        assertEquals(1, x5.version());
        Throwable e = assertThrows(IllegalStateException.class, () -> y.sum().backward());
        assertMessage(e, "is at version 1; expected version 0 instead");
        // detach: new leaf, shares storage, no grad
        assertTrue(d.isLeaf());
        assertFalse(d.requiresGrad());
        assertNull(d.gradFn());
        assertEquals(0.0, x5.get(1));
    }

    /**
     * uniform_, normal_, fill_ and zero_ overwrite every element of a non-leaf, so its old history must stop
     * contributing, yet keep its edge. PyTorch 1.13: {@code a = ones(3, requires_grad=True); b = a * 2; b.uniform_();
     * b.sum().backward()} gives {@code b.grad_fn.name() == "UniformBackward0"} and {@code a.grad == [0, 0, 0]};
     * likewise NormalBackward0, FillBackward2 (fill_ with a scalar) and ZeroBackward0.
     */
    @Test
    void overwritingInPlaceOpsPassZerosToTheOldHistory() {
        Map<String, java.util.function.Consumer<Tensor>> ops = new java.util.LinkedHashMap<>();
        ops.put("UniformBackward0", b -> b.uniform_(new Generator(3), 0, 1));
        ops.put("NormalBackward0", b -> b.normal_(new Generator(3), 0, 1));
        ops.put("FillBackward2", b -> b.fill_(1));
        ops.put("ZeroBackward0", Tensor::zero_);
        ops.forEach((node, op) -> {
            Tensor a = leaf(1, 1, 1);
            Tensor b = a.mul(2);
            op.accept(b);
            assertEquals(node, b.gradFn().name());
            b.sum().backward();
            assertArrayEquals(new float[] {0, 0, 0}, a.grad().toArray(), node);
        });
    }

    @Test
    void e24_leafInPlace() {
        Tensor a = leaf(1, 2, 3);
        assertMessage(assertThrows(IllegalStateException.class, () -> a.add_(1)),
                "a leaf Variable that requires grad is being used in an in-place operation.");
        assertEquals(0, a.version());
        try (var off = Grad.disabled()) {
            a.add_(1);
        }
        assertTrue(a.isLeaf());
        assertTrue(a.requiresGrad());
        assertEquals(1, a.version());
        assertArrayEquals(new float[] {2, 3, 4}, a.toArray());
        for (Runnable r : List.<Runnable>of(() -> a.mul_(2), () -> a.zero_(), () -> a.fill_(1), () -> a.sub_(a),
                () -> a.copy_(Tensor.ones(3)), () -> a.clamp_(0, 1), () -> a.set(1, 0))) {
            assertThrows(IllegalStateException.class, r::run);
        }
    }

    @Test
    void e25_noGradResults() {
        Tensor a = leaf(1, 2);
        try (var off = Grad.disabled()) {
            assertFalse(Grad.isEnabled());
            Tensor r = a.mul(2).exp().sum();
            assertFalse(r.requiresGrad());
            assertNull(r.gradFn());
            assertTrue(r.isLeaf());
            Tensor p = Tensor.zeros(2).requiresGrad(true);
            assertTrue(p.requiresGrad());
            assertTrue(p.isLeaf());
        }
        assertTrue(Grad.isEnabled());
        // a no-grad result can become a leaf requiring grad
        Tensor q;
        try (var off = Grad.disabled()) {
            q = a.mul(2);
        }
        q.requiresGrad(true);
        q.sum().backward();
        assertArrayEquals(new float[] {1, 1}, q.grad().toArray());
    }

    @Test
    void e26_nestingAndRestoreOnException() {
        try (var off = Grad.disabled()) {
            try (var on = Grad.enabled()) {
                assertTrue(Grad.isEnabled());
                assertTrue(leaf(1).mul(2).requiresGrad());
            }
            assertFalse(Grad.isEnabled());
        }
        assertTrue(Grad.isEnabled());
        assertThrows(IllegalArgumentException.class, () -> {
            try (var off = Grad.disabled()) {
                throw new IllegalArgumentException("boom");
            }
        });
        assertTrue(Grad.isEnabled());
        try (var off = Grad.disabled()) {
            assertThrows(RuntimeException.class, () -> {
                try (var on = Grad.enabled()) {
                    throw new RuntimeException("inner");
                }
            });
            assertFalse(Grad.isEnabled());
        }
    }

    @Test
    void e27_setEnabledAsFunction() {
        try {
            Grad.setEnabled(false);
            assertFalse(Grad.isEnabled());
            assertFalse(leaf(1).mul(2).requiresGrad());
            assertFalse(Grad.isEnabled());
        } finally {
            Grad.setEnabled(true);
        }
        try (var s = Grad.scoped(false)) {
            assertFalse(Grad.isEnabled());
        }
        assertTrue(Grad.isEnabled());
    }

    @Test
    void e28_newThreadStartsEnabled() throws Exception {
        AtomicBoolean seen = new AtomicBoolean(false);
        try (var off = Grad.disabled()) {
            Thread t = new Thread(() -> seen.set(Grad.isEnabled()));
            t.start();
            t.join();
            assertFalse(Grad.isEnabled());
        }
        assertTrue(seen.get());
    }

    @Test
    void e29_inferenceTensors() {
        Tensor im;
        try (var inf = Grad.inferenceMode()) {
            assertFalse(Grad.isEnabled());
            im = Tensor.ones(3);
            assertTrue(im.isInference());
        }
        Tensor a = leaf(1, 2, 3);
        Throwable e = assertThrows(IllegalStateException.class, () -> im.mul(a).sum().backward());
        assertMessage(e, "Inference tensors cannot be saved for backward.");
        assertMessage(assertThrows(IllegalStateException.class, () -> im.add_(1)),
                "Inplace update to inference tensor outside InferenceMode is not allowed.");
        // non-saving use in normal mode is fine and yields a normal tensor
        Tensor r = im.add(a);
        assertFalse(r.isInference());
        r.sum().backward();
        assertArrayEquals(new float[] {1, 1, 1}, a.grad().toArray());
    }

    @Test
    void e30_int64CannotRequireGrad() {
        Tensor i = Tensor.ofLongs(new long[] {1, 2}, 2);
        assertMessage(assertThrows(IllegalStateException.class, () -> i.requiresGrad(true)),
                "only Tensors of floating point dtype can require gradients");
        assertFalse(leaf(1, 2).argmax().requiresGrad());
        assertFalse(leaf(1, 2).gt(Tensor.ones(2)).requiresGrad());
    }

    @Test
    void e31_requiresGradOnNonLeaf() {
        Tensor c = leaf(1, 2).mul(2);
        assertMessage(assertThrows(IllegalStateException.class, () -> c.requiresGrad(false)),
                "you can only change requires_grad flags of leaf variables.");
    }

    @Test
    void e32_retainGrad() {
        Tensor a = leaf(1, 2);
        Tensor b = a.mul(3);
        Tensor c = b.mul(b);
        c.sum().backward(null, true);
        assertNull(b.grad());
        Tensor a2 = leaf(1, 2);
        Tensor b2 = a2.mul(3).retainGrad();
        Tensor c2 = b2.mul(b2);
        c2.sum().backward(null, true);
        assertArrayEquals(new float[] {6, 12}, b2.grad().toArray());
        c2.sum().backward();
        assertArrayEquals(new float[] {12, 24}, b2.grad().toArray());
        assertArrayEquals(new float[] {36, 72}, a2.grad().toArray());
    }

    @Test
    void accumulationAndBroadcastGradients() {
        Tensor p = leaf(1, 2);
        p.mul(3).sum().backward();
        p.mul(4).sum().backward();
        assertArrayEquals(new float[] {7, 7}, p.grad().toArray());
        Tensor row = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor col = Tensor.of(new float[] {1, 2}, 2, 1).requiresGrad(true);
        Tensor s = Tensor.scalar(2).requiresGrad(true);
        row.add(col).mul(s).sum().backward();
        assertArrayEquals(new int[] {3}, row.grad().shape());
        assertArrayEquals(new float[] {4, 4, 4}, row.grad().toArray());
        assertArrayEquals(new int[] {2, 1}, col.grad().shape());
        assertArrayEquals(new float[] {6, 6}, col.grad().toArray());
        assertArrayEquals(new int[0], s.grad().shape());
        assertEquals(21.0, s.grad().item());
    }

    @Test
    void autogradGrad() {
        Tensor a = leaf(1, 2, 3);
        Tensor b = leaf(4, 5, 6);
        Tensor mid = a.mul(b);
        Tensor out = mid.sum();
        Tensor[] g = Autograd.grad(out, new Tensor[] {a, mid}, null, true);
        assertArrayEquals(new float[] {4, 5, 6}, g[0].toArray());
        assertArrayEquals(new float[] {1, 1, 1}, g[1].toArray());
        assertNull(a.grad());
        assertNull(b.grad());
        Tensor unused = leaf(1);
        assertMessage(assertThrows(IllegalStateException.class,
                () -> Autograd.grad(out, new Tensor[] {unused}, null, true)),
                "One of the differentiated Tensors appears to not have been used in the graph.");
    }

    @Test
    void nullGradientFromACustomNodeDoesNotStallOtherPaths() {
        // x feeds both a custom op that returns no gradient and a normal path; x must still get the normal gradient
        Tensor x = leaf(1, 2);
        Tensor h = x.mul(2);
        Tensor blocked = h.detach().mul(1);
        Autograd.attach(blocked, new Node("BlockBackward", h) {
            @Override
            protected Tensor[] backward(Tensor g) {
                return new Tensor[] {null};
            }
        });
        Tensor z = blocked.mul(blocked.detach());
        Tensor w = z.sum().add(h.sum());
        w.backward();
        assertNotNull(x.grad(), "x.grad");
        assertArrayEquals(new float[] {2, 2}, x.grad().toArray());
    }

    @Test
    void inPlaceOnNonLeafRecordsHistory() {
        Tensor a = leaf(1, -2, 3);
        Tensor y = a.mul(2);
        y.mul_(Tensor.of(new float[] {1, 2, 3}, 3));
        assertEquals("MulBackward0", y.gradFn().name());
        y.sum().backward();
        assertArrayEquals(new float[] {2, 4, 6}, a.grad().toArray());
        Tensor b = leaf(1, -2, 3);
        Tensor z = b.mul(2);
        z.clamp_(-1, 4);
        z.sum().backward();
        assertArrayEquals(new float[] {2, 0, 0}, b.grad().toArray());
        Tensor c = leaf(1, 2);
        Tensor u = c.mul(2);
        u.fill_(5);
        u.sum().backward();
        assertTrue(c.grad() == null || c.grad().sum().item() == 0, "fill_ overwrites: no gradient to c");
        Tensor src = leaf(1, 2);
        Tensor dst = Tensor.zeros(2, 2);
        dst.copy_(src);
        assertFalse(dst.isLeaf());
        dst.sum().backward();
        assertArrayEquals(new float[] {2, 2}, src.grad().toArray());
    }

    @Test
    void noGradBuildsNoGraphAndRetainsNothing() {
        qt().withExamples(5).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, 2, 5);
            Tensor w = Tensor.randn(g, s).requiresGrad(true);
            Tensor out;
            WeakReference<Tensor> ref;
            try (var off = Grad.disabled()) {
                Tensor mid = w.mul(2).exp();
                ref = new WeakReference<>(mid);
                out = mid.add(1).tanh().matmul(w.t()).sum(new int[] {0}, false).softmax(0);
                assertNull(out.gradFn(), "gradFn under no-grad, shape " + TestTensors.str(s));
                assertFalse(out.requiresGrad());
                assertTrue(out.isLeaf());
            }
            boolean collected = false;
            for (int i = 0; i < 50 && !collected; i++) {
                System.gc();
                collected = ref.get() == null;
                if (!collected) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
            assertTrue(collected, "intermediate retained by a no-grad output, seed " + seed);
            assertNotNull(out);
            assertSame(out, out);
        });
    }
}
