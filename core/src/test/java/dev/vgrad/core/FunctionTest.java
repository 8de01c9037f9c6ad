package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The custom-op API ({@link Function}, {@link FunctionContext}) and {@link Tensor#sumToSize}, against PyTorch
 * 1.13's {@code torch.autograd.Function} and {@code Tensor.sum_to_size} (docs/SEMANTICS.md §5: §5.3 backward,
 * §5.4 release of saved tensors, §5.5 grad mode, §5.7 version counter, §5.8 in-place rules). Every expected
 * error text was produced by running the same function in PyTorch 1.13; the expected numbers are derived in the
 * test (hand-written derivatives, or the same composition of built-in ops).
 */
class FunctionTest {

    // ------------------------------------------------------------------ functions used below

    /** x * y, saving both (PyTorch: {@code ctx.save_for_backward(x, y); return x * y}). */
    static final class MyOp extends Function {
        final List<String> log = new ArrayList<>();

        @Override
        protected Tensor forward(FunctionContext ctx, Tensor... in) {
            log.add("forward grad=" + Grad.isEnabled() + " x.requiresGrad=" + in[0].requiresGrad()
                    + " needs=" + ctx.needsInputGrad(0) + "," + ctx.needsInputGrad(1));
            ctx.saveForBackward(in[0], in[1]);
            return in[0].mul(in[1]);
        }

        @Override
        protected Tensor[] backward(FunctionContext ctx, Tensor g) {
            log.add("backward grad=" + Grad.isEnabled() + " needs=" + ctx.needsInputGrad(0) + ","
                    + ctx.needsInputGrad(1));
            Tensor[] s = ctx.savedTensors();
            return new Tensor[] {g.mul(s[1]), g.mul(s[0])};
        }
    }

    /** e^x, saving its output: d/dx = g * e^x. */
    static final class CustomExp extends Function {
        @Override
        protected Tensor forward(FunctionContext ctx, Tensor... in) {
            Tensor y = in[0].exp();
            ctx.saveForBackward(y);
            return y;
        }

        @Override
        protected Tensor[] backward(FunctionContext ctx, Tensor g) {
            return new Tensor[] {g.mul(ctx.savedTensors()[0])};
        }
    }

    /** x * y + z with broadcasting; backward reduces each gradient with sumToSize. */
    static final class MulAdd extends Function {
        @Override
        protected Tensor forward(FunctionContext ctx, Tensor... in) {
            ctx.saveForBackward(in[0], in[1]);
            return in[0].mul(in[1]).add(in[2]);
        }

        @Override
        protected Tensor[] backward(FunctionContext ctx, Tensor g) {
            Tensor[] s = ctx.savedTensors();
            return new Tensor[] {
                ctx.needsInputGrad(0) ? g.mul(s[1]).sumToSize(ctx.inputShape(0)) : null,
                ctx.needsInputGrad(1) ? g.mul(s[0]).sumToSize(ctx.inputShape(1)) : null,
                ctx.needsInputGrad(2) ? g.sumToSize(ctx.inputShape(2)) : null};
        }
    }

    /** A function whose backward is given by a lambda (for the error cases). */
    static class Fixed extends Function {
        private final String name;
        private final java.util.function.Function<Tensor, Tensor[]> back;

        Fixed(String name, java.util.function.Function<Tensor, Tensor[]> back) {
            this.name = name;
            this.back = back;
        }

        @Override
        protected String name() {
            return name;
        }

        @Override
        protected Tensor forward(FunctionContext ctx, Tensor... in) {
            return in[1] == null ? in[0].mul(2) : in[0].add(in[1]);
        }

        @Override
        protected Tensor[] backward(FunctionContext ctx, Tensor g) {
            ctx.savedTensors(); // what forward saved is checked as soon as backward reads it
            return back.apply(g);
        }
    }

    /** Adds 1 in place and marks the input dirty; backward multiplies by 3 (PyTorch's AddOne). */
    static final class AddOne extends Function {
        @Override
        protected Tensor forward(FunctionContext ctx, Tensor... in) {
            in[0].add_(1);
            ctx.markDirty(in[0]);
            return in[0];
        }

        @Override
        protected Tensor[] backward(FunctionContext ctx, Tensor g) {
            return new Tensor[] {g.mul(3)};
        }
    }

    /** Returns its input unchanged; backward doubles. */
    static final class Id extends Function {
        @Override
        protected Tensor forward(FunctionContext ctx, Tensor... in) {
            return in[0];
        }

        @Override
        protected Tensor[] backward(FunctionContext ctx, Tensor g) {
            return new Tensor[] {g.mul(2)};
        }
    }

    private static Tensor vec(double... v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return Tensor.of(f, v.length);
    }

    private static void assertValues(double[] expected, Tensor t) {
        assertArrayEquals(expected, t.toDoubleArray(), 1e-6, () -> "got " + t);
    }

    // ------------------------------------------------------------------ recording and grad mode

    @Test
    void forwardRunsWithoutRecordingAndTheOutputRequiresGradOnlyWhenRecording() {
        Tensor x = vec(1, 2, 3).requiresGrad(true);
        Tensor y = vec(4, 5, 6);
        MyOp op = new MyOp();
        Tensor z = op.apply(x, y);
        // PyTorch: grad disabled in forward, x.requires_grad stays True, needs_input_grad (True, False)
        assertEquals("forward grad=false x.requiresGrad=true needs=true,false", op.log.get(0));
        assertTrue(z.requiresGrad());
        assertEquals("MyOpBackward", z.gradFn().name());
        assertEquals("tensor([ 4., 10., 18.], grad_fn=<MyOpBackward>)", z.toString());
        z.sum().backward();
        assertEquals("backward grad=false needs=true,false", op.log.get(1));
        assertValues(new double[] {4, 5, 6}, x.grad());
        assertNull(y.grad());

        try (Grad.Scope off = Grad.disabled()) {
            Tensor w = op.apply(x, y);
            assertFalse(w.requiresGrad());
            assertNull(w.gradFn());
        }
        // PyTorch: needs_input_grad reflects requires_grad even under no_grad
        assertEquals("forward grad=false x.requiresGrad=true needs=true,false", op.log.get(2));
        Tensor v = op.apply(x.detach(), y);
        assertFalse(v.requiresGrad());
        assertEquals("forward grad=false x.requiresGrad=false needs=false,false", op.log.get(3));
    }

    @Test
    void functionInputsMayBeNonLeavesAndNullInputsNeedNoGrad() {
        Tensor x = vec(1, 2, 3).requiresGrad(true);
        Tensor a = x.mul(2);
        Tensor z = new Fixed("Twice", g -> new Tensor[] {g.mul(2), null}).apply(a, null);
        assertEquals(List.of(a.gradFn()), z.gradFn().nextFunctions().subList(0, 1));
        z.sum().backward();
        assertValues(new double[] {4, 4, 4}, x.grad());
    }

    // ------------------------------------------------------------------ saved tensors

    @Test
    void savedTensorsAreVersionCheckedAndReleasedAfterBackward() {
        Tensor x = vec(1, 2, 3).requiresGrad(true);
        Tensor y = vec(4, 5, 6);
        Tensor z = new MyOp().apply(x, y);
        y.add_(1);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> z.sum().backward());
        assertTrue(e.getMessage().startsWith("one of the variables needed for gradient computation has been modified "
                + "by an inplace operation: [torch.FloatTensor [3]] is at version 1; expected version 0 instead. Hint:"),
                e.getMessage());

        // a saved output names the function as its producer (PyTorch: "which is output 0 of SaveOutBackward")
        Tensor out = new Fixed("Unused", g -> null) {
            @Override
            protected String name() {
                return "SaveOut";
            }

            @Override
            protected Tensor forward(FunctionContext ctx, Tensor... in) {
                Tensor r = in[0].exp();
                ctx.saveForBackward(r);
                return r;
            }
        }.apply(x, null);
        try (Grad.Scope off = Grad.disabled()) {
            out.add_(1);
        }
        e = assertThrows(IllegalStateException.class, () -> out.sum().backward());
        assertTrue(e.getMessage().startsWith("one of the variables needed for gradient computation has been modified "
                + "by an inplace operation: [torch.FloatTensor [3]], which is output 0 of SaveOutBackward, is at "
                + "version 1; expected version 0 instead."), e.getMessage());

        Tensor z2 = new MyOp().apply(x, y);
        z2.sum().backward(null, true);
        z2.sum().backward();
        e = assertThrows(IllegalStateException.class, () -> z2.sum().backward());
        assertTrue(e.getMessage().startsWith("Trying to backward through the graph a second time (or directly access "
                + "saved tensors after they have already been freed)."), e.getMessage());

        // nothing saved: a second backward is allowed, as in PyTorch
        Tensor x2 = vec(1, 2, 3).requiresGrad(true);
        Tensor z3 = new Fixed("NoSave", g -> new Tensor[] {g.mul(2), null}).apply(x2, null);
        z3.sum().backward();
        z3.sum().backward();
        assertValues(new double[] {4, 4, 4}, x2.grad());
    }

    @Test
    void contextMethodsAreOnlyAvailableInTheirPhase() {
        FunctionContext[] kept = new FunctionContext[1];
        Tensor x = vec(1, 2).requiresGrad(true);
        Tensor z = new Fixed("Phases", g -> new Tensor[] {g, null}) {
            @Override
            protected Tensor forward(FunctionContext ctx, Tensor... in) {
                kept[0] = ctx;
                IllegalStateException e = assertThrows(IllegalStateException.class, ctx::savedTensors);
                assertEquals("Phases: savedTensors() is only available in backward", e.getMessage());
                IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                        () -> ctx.needsInputGrad(2));
                assertEquals("Phases: input index 2 is out of range for 2 inputs", bad.getMessage());
                return in[0].mul(2);
            }
        }.apply(x, null);
        assertTrue(z.requiresGrad());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> kept[0].saveForBackward(x));
        assertEquals("Phases: saveForBackward() is only available in forward", e.getMessage());
    }

    // ------------------------------------------------------------------ non-differentiable and dirty

    @Test
    void aNonDifferentiableOutputDoesNotRequireGrad() {
        Tensor x = vec(1, 5, 3).requiresGrad(true);
        Tensor idx = new Fixed("ND", g -> new Tensor[] {null, null}) {
            @Override
            protected Tensor forward(FunctionContext ctx, Tensor... in) {
                Tensor r = in[0].argmax().toFloat();
                ctx.markNonDifferentiable(r);
                ctx.markNonDifferentiable(in[0]); // not the output: ignored, as in PyTorch
                ctx.markNonDifferentiable(r);
                return r;
            }
        }.apply(x, null);
        assertFalse(idx.requiresGrad());
        assertNull(idx.gradFn());
        assertTrue(idx.isLeaf());
        assertEquals(1.0, idx.item());
        IllegalStateException e = assertThrows(IllegalStateException.class, idx::backward);
        assertEquals("element 0 of tensors does not require grad and does not have a grad_fn", e.getMessage());
    }

    @Test
    void markDirtyRebasesTheInputOntoTheFunction() {
        Tensor x = vec(1, 2, 3).requiresGrad(true);
        Tensor a = x.mul(1);
        Node old = a.gradFn();
        Tensor z = new AddOne().apply(a);
        // PyTorch: z is a, a.grad_fn is AddOneBackward whose next function is the old MulBackward0, version 2
        assertSame(a, z);
        assertEquals("AddOneBackward", a.gradFn().name());
        assertSame(old, a.gradFn().nextFunctions().get(0));
        assertEquals(2, a.version());
        assertValues(new double[] {2, 3, 4}, a);
        z.sum().backward();
        assertValues(new double[] {3, 3, 3}, x.grad());
    }

    @Test
    void retainGradFollowsADirtyInputOntoItsNewHistory() {
        Tensor x = vec(1, 2, 3).requiresGrad(true);
        Tensor a = x.mul(1).retainGrad();
        Tensor z = new AddOne().apply(a);
        z.mul(2).sum().backward();
        // PyTorch: a.grad is the gradient of the new a, [2, 2, 2]; x.grad = 2 * 3
        assertValues(new double[] {2, 2, 2}, a.grad());
        assertValues(new double[] {6, 6, 6}, x.grad());
    }

    @Test
    void markDirtyErrorsMatchPyTorch() {
        Tensor x = vec(1, 2, 3).requiresGrad(true);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new AddOne().apply(x));
        assertEquals("a leaf Variable that requires grad has been used in an in-place operation.", e.getMessage());

        // without recording, a leaf may be modified (PyTorch: no error under no_grad)
        Tensor leaf = vec(1, 2, 3).requiresGrad(true);
        try (Grad.Scope off = Grad.disabled()) {
            Tensor r = new AddOne().apply(leaf);
            assertFalse(r.requiresGrad() && r.gradFn() != null);
        }
        assertValues(new double[] {2, 3, 4}, leaf);
        assertTrue(leaf.isLeaf());

        Tensor a = x.mul(1);
        e = assertThrows(IllegalStateException.class, () -> new Fixed("NotRet", g -> new Tensor[] {g, null}) {
            @Override
            protected Tensor forward(FunctionContext ctx, Tensor... in) {
                in[0].add_(1);
                ctx.markDirty(in[0]);
                return in[0].mul(2);
            }
        }.apply(a, null));
        assertEquals("Some elements marked as dirty during the forward method were not returned as output. The "
                + "inputs that are modified inplace must all be outputs of the Function.", e.getMessage());
    }

    @Test
    void markDirtyRefusesWhatVgradCannotRebase() {
        Tensor x = vec(1, 2, 3).requiresGrad(true);
        // vgrad refuses in-place ops on views of tensors that require grad (docs/SEMANTICS.md §5.8); so does markDirty
        Tensor view = x.mul(1).narrow(0, 0, 2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new AddOne().apply(view));
        assertEquals("AddOne: in-place modification (markDirty) of a view of a tensor that requires grad is not "
                + "supported; clone() the input before passing it", e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> new Fixed("Both", g -> new Tensor[] {g, null}) {
            @Override
            protected Tensor forward(FunctionContext ctx, Tensor... in) {
                ctx.markDirty(in[0]);
                ctx.markNonDifferentiable(in[0]);
                return in[0];
            }
        }.apply(x.mul(1), null));
        assertEquals("Both: an output modified in place (markDirty) cannot also be marked non-differentiable",
                e.getMessage());
    }

    @Test
    void anInputReturnedAsIsBecomesAnAliasWithTheFunctionsHistory() {
        Tensor x = vec(1, 2, 3).requiresGrad(true);
        Tensor z = new Id().apply(x);
        // PyTorch: z is not x but a view of it (z._base is x), with grad_fn IdBackward; x stays a leaf
        assertNotSame(x, z);
        assertEquals("IdBackward", z.gradFn().name());
        assertTrue(x.isLeaf());
        assertNull(x.gradFn());
        try (Grad.Scope off = Grad.disabled()) {
            x.set(7, 0);
        }
        assertEquals(7.0, z.get(0));
        assertEquals(x.version(), z.version());
        z.sum().backward();
        assertValues(new double[] {2, 2, 2}, x.grad());

        // an in-place op on such an output is refused (PyTorch: "Output 0 of IdBackward is a view and is being
        // modified inplace ... You can fix this by cloning the output of the custom Function.")
        Tensor w = new Id().apply(x.mul(1));
        assertThrows(IllegalStateException.class, () -> w.add_(1));
        Tensor c = new Id().apply(x.mul(1)).cloneTensor();
        c.add_(1);
        c.sum().backward();
        assertValues(new double[] {4, 4, 4}, x.grad());

        // not recording: still a new tensor (PyTorch returns a view), which does not require grad
        Tensor d = new Id().apply(x.detach());
        assertNotSame(x, d);
        assertFalse(d.requiresGrad());
    }

    // ------------------------------------------------------------------ what backward returns

    @Test
    void aWrongNumberOfGradientsIsReportedAsInPyTorch() {
        Tensor x = vec(1, 2, 3).requiresGrad(true);
        Tensor y = vec(4, 5, 6);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Fixed("Bad", g -> new Tensor[] {g}).apply(x, y).sum().backward());
        assertEquals("function BadBackward returned an incorrect number of gradients (expected 2, got 1)",
                e.getMessage());
        e = assertThrows(IllegalStateException.class,
                () -> new Fixed("Bad3b", g -> new Tensor[] {g, null, g}).apply(x, y).sum().backward());
        assertEquals("function Bad3bBackward returned an incorrect number of gradients (expected 2, got 3)",
                e.getMessage());
        // trailing nulls are allowed (PyTorch accepts extra Nones)
        x.setGrad(null);
        new Fixed("Bad3", g -> new Tensor[] {g, null, null}).apply(x, y).sum().backward();
        assertValues(new double[] {1, 1, 1}, x.grad());
    }

    @Test
    void aGradientOfTheWrongShapeIsReportedOrSummedAsInPyTorch() {
        Tensor x = vec(1, 2, 3).requiresGrad(true);
        Tensor y = vec(4, 5, 6);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Fixed("Bad2", g -> new Tensor[] {g.sum(), null}).apply(x, y).sum().backward());
        assertEquals("Function Bad2Backward returned an invalid gradient at index 0 - got [] but expected shape "
                + "compatible with [3]", e.getMessage());
        e = assertThrows(IllegalStateException.class,
                () -> new Fixed("Bad6", g -> new Tensor[] {Tensor.ones(2), null}).apply(x, y).sum().backward());
        assertEquals("Function Bad6Backward returned an invalid gradient at index 0 - got [2] but expected shape "
                + "compatible with [3]", e.getMessage());
        // a gradient of a shape the input broadcasts to is summed down (PyTorch: ones(2,3) -> [2, 2, 2])
        x.setGrad(null);
        new Fixed("Bad4", g -> new Tensor[] {Tensor.ones(2, 3), null}).apply(x, y).sum().backward();
        assertValues(new double[] {2, 2, 2}, x.grad());
        // a gradient for an input that needs none is dropped unchecked (PyTorch: same)
        x.setGrad(null);
        new Fixed("A", g -> new Tensor[] {g, Tensor.ones(5)}).apply(x, y).sum().backward();
        assertValues(new double[] {1, 1, 1}, x.grad());
        e = assertThrows(IllegalStateException.class,
                () -> new Fixed("A", g -> new Tensor[] {g.mul(2), Tensor.ones(5)}).apply(x, null).sum().backward());
        assertEquals("function ABackward returned a gradient different than None at position 2, but the "
                + "corresponding forward input was not a Variable", e.getMessage());
        e = assertThrows(IllegalStateException.class,
                () -> new Fixed("Null", g -> null).apply(x, y).sum().backward());
        assertEquals("function NullBackward returned null instead of an array of 2 gradients (use null entries for "
                + "inputs that need none)", e.getMessage());
    }

    @Test
    void forwardReturningNullIsAClearError() {
        Tensor x = vec(1).requiresGrad(true);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Fixed("Nothing", g -> null) {
                    @Override
                    protected Tensor forward(FunctionContext ctx, Tensor... in) {
                        return null;
                    }
                }.apply(x, null));
        assertEquals("Nothing.forward returned null; it must return the output tensor", e.getMessage());
    }

    @Test
    void attachSaysHowToFixAnOutputThatAlreadyHasAHistory() {
        Tensor x = vec(1, 2).requiresGrad(true);
        Tensor y = x.mul(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Autograd.attach(y,
                new Node("MineBackward0", x) {
                    @Override
                    protected Tensor[] backward(Tensor g) {
                        return new Tensor[] {g};
                    }
                }));
        assertEquals("Autograd.attach: output already belongs to a graph (grad_fn=<MulBackward0>, requires_grad=true)."
                + " Compute it without recording: inside try (var off = Grad.disabled()) { ... } or from detached "
                + "inputs (x.detach()); or write the op as a dev.vgrad.core.Function, whose forward runs with grad "
                + "mode off", e.getMessage());
    }

    // ------------------------------------------------------------------ gradcheck

    @Test
    void customFunctionsPassGradcheck() {
        Generator g = new Generator(16);
        Tensor x = TestTensors.uniform(g, -2, 2, 3, 4).requiresGrad(true);
        GradCheck.Result r = GradCheck.check(in -> new CustomExp().apply(in[0]), x);
        assertTrue(r.passed(), r.report());

        Tensor a = TestTensors.uniform(g, -2, 2, 2, 3, 4).requiresGrad(true);
        Tensor b = TestTensors.uniform(g, -2, 2, 3, 1).requiresGrad(true);
        Tensor c = TestTensors.uniform(g, -2, 2, 4).requiresGrad(true);
        r = GradCheck.check(in -> new MulAdd().apply(in[0], in[1], in[2]), a, b, c);
        assertTrue(r.passed(), r.report());
        r = GradCheck.check(in -> new MulAdd().apply(in[0], in[1], in[2]), b, c, a);
        assertTrue(r.passed(), r.report());
    }

    // ------------------------------------------------------------------ sumToSize

    @Test
    void sumToSizeMatchesPyTorch() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        // PyTorch: sum_to_size(3) -> [5, 7, 9] (ViewBackward0); (2, 1) -> [[6], [15]] (SumBackward1);
        // () -> 21 (SumBackward0); (2, 3) -> x itself
        Tensor s3 = x.sumToSize(3);
        assertValues(new double[] {5, 7, 9}, s3);
        assertArrayEquals(new int[] {3}, s3.shape());
        assertEquals("ViewBackward0", s3.gradFn().name());
        Tensor s21 = x.sumToSize(2, 1);
        assertArrayEquals(new int[] {2, 1}, s21.shape());
        assertValues(new double[] {6, 15}, s21);
        assertEquals("SumBackward1", s21.gradFn().name());
        Tensor s0 = x.sumToSize();
        assertEquals(21.0, s0.item());
        assertEquals("SumBackward0", s0.gradFn().name());
        assertSame(x, x.sumToSize(2, 3));
        // its gradient is an expand
        s3.backward(vec(1, 10, 100));
        assertValues(new double[] {1, 10, 100, 1, 10, 100}, x.grad());
        for (int[][] bad : new int[][][] {{{1, 2, 3}}, {{3, 3}}, {{0}}, {{4}}, {{2}}, {{-1, 3}}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.sumToSize(bad[0]));
            assertEquals("sum_to_size: size {" + Arrays.toString(bad[0]) + "} is not expandable to size {[2, 3]}.",
                    e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.scalar(5).sumToSize(1));
        assertEquals("sum_to_size: size {[1]} is not expandable to size {[]}.", e.getMessage());
    }

    /**
     * Property: for random shapes and random target sizes that broadcast to them (the example among
     * them), {@code sumToSize} equals a naive per-element summation written here, its gradient passes
     * gradcheck, and every size that does not broadcast fails with PyTorch's text.
     */
    @Test
    void sumToSizeProperty() {
        AtomicInteger cases = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        try {
            qt().withExamples(200).forAll(longs().all()).checkAssert(seed -> {
                cases.incrementAndGet();
                try {
                    sumToSizeCase(seed);
                } catch (RuntimeException | AssertionError e) {
                    failures.incrementAndGet();
                    throw new AssertionError("sumToSize case seed " + seed + ": " + e.getMessage(), e);
                }
            });
        } finally {
            System.out.println("[issue16] FunctionTest.sumToSizeProperty: " + cases.get() + " cases tried, "
                    + failures.get() + " failures");
        }
    }

    private static void sumToSizeCase(long seed) {
        Generator g = new Generator(seed);
        int rank = (int) g.nextLong(5);
        int[] full = new int[rank];
        for (int i = 0; i < rank; i++) {
            full[i] = g.nextBernoulli(0.1) ? 0 : 1 + (int) g.nextLong(3);
        }
        int[] size = TestTensors.broadcastable(g, full);
        Tensor x = TestTensors.uniform(g, -2, 2, full);
        String what = "x " + TestTensors.str(full) + " sumToSize " + TestTensors.str(size) + " (seed " + seed + ")";
        Tensor s = x.sumToSize(size);
        assertArrayEquals(size, s.shape(), what);
        assertArrayEquals(naiveSumTo(x, size), s.toDoubleArray(), 1e-12, what);
        if (x.numel() > 0) {
            GradCheck.Result r = GradCheck.check(in -> in[0].sumToSize(size), x.requiresGrad(true));
            assertTrue(r.passed(), () -> what + "\n" + r.report());
        }
        // a size that does not broadcast: a longer rank, a dim that is neither 1 nor the full size, or -1
        int[] bad;
        long kind = g.nextLong(3);
        if (kind == 0 || size.length == 0) {
            bad = new int[rank + 1];
            Arrays.fill(bad, 1);
            bad[0] = 2;
        } else {
            bad = size.clone();
            int d = (int) g.nextLong(size.length);
            int f = full[rank - size.length + d];
            bad[d] = kind == 1 ? f + 2 : (f == 1 ? 3 : -1);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.sumToSize(bad), what);
        assertEquals("sum_to_size: size {" + TestTensors.str(bad) + "} is not expandable to size {"
                + TestTensors.str(full) + "}.", e.getMessage(), what);
    }

    /** Sum of x's elements over every index that maps onto each element of {@code size} (the definition). */
    private static double[] naiveSumTo(Tensor x, int[] size) {
        int[] full = x.shape();
        int lead = full.length - size.length;
        double[] out = new double[Shape.numel(size)];
        double[] xs = x.toDoubleArray();
        int[] idx = new int[full.length];
        for (int flat = 0; flat < xs.length; flat++) {
            int o = 0;
            for (int d = 0; d < size.length; d++) {
                o = o * size[d] + (size[d] == 1 ? 0 : idx[lead + d]);
            }
            out[o] += xs[flat];
            for (int d = full.length - 1; d >= 0; d--) {
                if (++idx[d] < full[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ property: custom == built-in

    private static final String[] UNARY = {"exp", "tanh", "sigmoid", "square", "neg", "scale"};
    private static final String[] BINARY = {"add", "sub", "mul", "div"};

    private static Tensor unary(int k, Tensor x) {
        return switch (k) {
            case 0 -> x.exp();
            case 1 -> x.tanh();
            case 2 -> x.sigmoid();
            case 3 -> x.mul(x);
            case 4 -> x.neg();
            default -> x.mul(-1.75);
        };
    }

    /** du/dx at x, derived by hand. */
    private static Tensor unaryDerivative(int k, Tensor x) {
        return switch (k) {
            case 0 -> x.exp();
            case 1 -> x.tanh().mul(x.tanh()).neg().add(1);
            case 2 -> x.sigmoid().mul(x.sigmoid().neg().add(1));
            case 3 -> x.mul(2);
            case 4 -> x.zerosLike().sub(1);
            default -> x.zerosLike().add(-1.75);
        };
    }

    private static Tensor binary(int k, Tensor a, Tensor b) {
        return switch (k) {
            case 0 -> a.add(b);
            case 1 -> a.sub(b);
            case 2 -> a.mul(b);
            default -> a.div(b);
        };
    }

    /** g · ∂(a op b)/∂a. */
    private static Tensor gradA(int k, Tensor g, Tensor a, Tensor b) {
        return switch (k) {
            case 0, 1 -> g;
            case 2 -> g.mul(b);
            default -> g.div(b);
        };
    }

    /** g · ∂(a op b)/∂b. */
    private static Tensor gradB(int k, Tensor g, Tensor a, Tensor b) {
        return switch (k) {
            case 0 -> g;
            case 1 -> g.neg();
            case 2 -> g.mul(a);
            default -> g.mul(a).div(b.mul(b)).neg();
        };
    }

    /** {@code binary(u(x), y)} as a Function; with {@code reduce} false it leaves the broadcast sum to apply. */
    static final class Composed extends Function {
        final int u;
        final int b;
        final boolean reduce;

        Composed(int u, int b, boolean reduce) {
            this.u = u;
            this.b = b;
            this.reduce = reduce;
        }

        @Override
        protected Tensor forward(FunctionContext ctx, Tensor... in) {
            ctx.saveForBackward(in[0], in[1]);
            return binary(b, unary(u, in[0]), in[1]);
        }

        @Override
        protected Tensor[] backward(FunctionContext ctx, Tensor g) {
            Tensor[] s = ctx.savedTensors();
            Tensor ux = unary(u, s[0]);
            Tensor gx = null;
            Tensor gy = null;
            if (ctx.needsInputGrad(0)) {
                gx = gradA(b, g, ux, s[1]).mul(unaryDerivative(u, s[0]));
                gx = reduce ? gx.sumToSize(ctx.inputShape(0)) : gx;
            }
            if (ctx.needsInputGrad(1)) {
                gy = gradB(b, g, ux, s[1]);
                gy = reduce ? gy.sumToSize(ctx.inputShape(1)) : gy;
            }
            return new Tensor[] {gx, gy};
        }
    }

    /**
     * Property: a random custom Function {@code binary(unary(x), y)} (exp/tanh/sigmoid/square/neg/scale then
     * add/sub/mul/div, backward written by hand with sumToSize) gives the same values, the same
     * {@code requiresGrad} and the same gradients as the same composition of built-in ops, for random shapes
     * with broadcasting either way, float32 or float64, leaf or non-leaf inputs, any subset requiring grad, and
     * backward returning reduced or broadcast-shaped gradients. The example (x * y + …) is the
     * {@code mul} case, also run explicitly in {@link #customFunctionsPassGradcheck}.
     */
    @Test
    void customFunctionMatchesTheSameBuiltInComposition() {
        AtomicInteger cases = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        try {
            qt().withExamples(300).forAll(longs().all()).checkAssert(seed -> {
                cases.incrementAndGet();
                try {
                    composedCase(seed);
                } catch (RuntimeException | AssertionError e) {
                    failures.incrementAndGet();
                    throw new AssertionError("custom Function case seed " + seed + ": " + e.getMessage(), e);
                }
            });
        } finally {
            System.out.println("[issue16] FunctionTest.customFunctionMatchesTheSameBuiltInComposition: " + cases.get()
                    + " cases tried, " + failures.get() + " failures");
        }
    }

    private static void composedCase(long seed) {
        Generator g = new Generator(seed);
        int u = (int) g.nextLong(UNARY.length);
        int b = (int) g.nextLong(BINARY.length);
        boolean reduce = g.nextBernoulli(0.5);
        DType dtype = g.nextBernoulli(0.5) ? DType.FLOAT64 : DType.FLOAT32;
        int[] full = TestTensors.shape(g, (int) g.nextLong(4), 4);
        int[] other = TestTensors.broadcastable(g, full);
        boolean swap = g.nextBernoulli(0.5);
        int[] xs = swap ? other : full;
        int[] ys = swap ? full : other;
        boolean reqX = g.nextBernoulli(0.8);
        boolean reqY = g.nextBernoulli(0.6);
        boolean nonLeaf = g.nextBernoulli(0.5);
        Tensor x0 = TestTensors.uniform(g, -2, 2, xs).to(dtype);
        Tensor y0 = TestTensors.awayFromZero(g, 0.5, 2, ys).to(dtype);
        int[] outShape = Shape.broadcast("test", xs, ys);
        Tensor w = TestTensors.uniform(g, -1, 1, outShape).to(dtype);
        String what = UNARY[u] + "/" + BINARY[b] + " x" + TestTensors.str(xs) + " y" + TestTensors.str(ys) + " "
                + dtype + " reqX=" + reqX + " reqY=" + reqY + " nonLeaf=" + nonLeaf + " reduce=" + reduce
                + " (seed " + seed + ")";

        Tensor[] custom = run(x0, y0, w, reqX, reqY, nonLeaf, (x, y) -> new Composed(u, b, reduce).apply(x, y));
        Tensor[] builtIn = run(x0, y0, w, reqX, reqY, nonLeaf, (x, y) -> binary(b, unary(u, x), y));
        double tol = dtype == DType.FLOAT64 ? 1e-12 : 1e-5;
        assertClose(what + " value", builtIn[0], custom[0], tol);
        assertEquals(builtIn[0].requiresGrad(), custom[0].requiresGrad(), what);
        if (custom[0].requiresGrad()) {
            assertEquals("ComposedBackward", custom[0].gradFn().name(), what);
        }
        for (int i = 1; i <= 2; i++) {
            assertEquals(builtIn[i] == null, custom[i] == null, what + " grad " + i + " presence");
            if (builtIn[i] != null) {
                assertArrayEquals(builtIn[i].shape(), custom[i].shape(), what);
                assertEquals(builtIn[i].dtype(), custom[i].dtype(), what);
                assertClose(what + " grad " + i, builtIn[i], custom[i], tol * 10);
            }
        }
    }

    /** Applies {@code f} to fresh leaves (or non-leaves made from them), backpropagates {@code sum(f·w)}. */
    private static Tensor[] run(Tensor x0, Tensor y0, Tensor w, boolean reqX, boolean reqY, boolean nonLeaf,
                                java.util.function.BinaryOperator<Tensor> f) {
        Tensor x = x0.cloneTensor().requiresGrad(reqX);
        Tensor y = y0.cloneTensor().requiresGrad(reqY);
        Tensor xi = nonLeaf ? x.mul(1.5) : x;
        Tensor yi = nonLeaf ? y.add(0.25) : y;
        Tensor out = f.apply(xi, yi);
        if (out.requiresGrad()) {
            out.mul(w).sum().backward();
        }
        return new Tensor[] {out, x.grad(), y.grad()};
    }

    private static void assertClose(String what, Tensor expected, Tensor actual, double tol) {
        double[] e = expected.toDoubleArray();
        double[] a = actual.toDoubleArray();
        assertEquals(e.length, a.length, what);
        for (int i = 0; i < e.length; i++) {
            double err = Math.abs(e[i] - a[i]);
            if (!(err <= tol * Math.max(1, Math.abs(e[i])))) {
                throw new AssertionError(what + ": element " + i + " expected " + e[i] + " got " + a[i]);
            }
        }
    }
}
