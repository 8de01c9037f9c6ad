package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code retainGrad()} follows a tensor through in-place ops (docs/SEMANTICS.md §5.2): afterwards {@code .grad} is
 * the gradient with respect to the tensor's current value, exactly what the same computation written out of place
 * gives for its result. (Every in-place path rebases history through one method, which carries the flag over; the
 * binary in-place ops used to leave it on the old node too, so {@code .grad} summed both values' gradients.)
 */
@DisplayName("retainGrad survives in-place ops: .grad is the gradient of the current value")
class RetainGradInPlacePropertyTest {
    record Op(String name, UnaryOperator<Tensor> inPlace, UnaryOperator<Tensor> outOfPlace) {}

    static final Op[] OPS = {
        new Op("mul_(5)", t -> t.mul_(5), t -> t.mul(5)),
        new Op("add_(1.5)", t -> t.add_(1.5), t -> t.add(1.5)),
        new Op("sub_(t2)", t -> t.sub_(t.detach().mul(0.5)), t -> t.sub(t.detach().mul(0.5))),
        new Op("div_(4)", t -> t.div_(4), t -> t.div(4)),
        new Op("clamp_(-0.5, 0.5)", t -> t.clamp_(-0.5, 0.5), t -> t.clamp(-0.5, 0.5)),
        new Op("fill_(2)", t -> t.fill_(2), t -> t.mul(0).add(2)),
        new Op("copy_(c)", t -> t.copy_(Tensor.full(3, t.shape())), t -> t.mul(0).add(Tensor.full(3, t.shape()))),
    };

    @Test
    @DisplayName("random in-place ops on a retained non-leaf: .grad equals the out-of-place gradient")
    void retainGradFollowsInPlace() {
        AtomicInteger cases = new AtomicInteger();
        qt().withExamples(300).forAll(integers().between(0, OPS.length - 1), integers().between(0, OPS.length - 1),
                longs().all()).checkAssert((i, j, seed) -> {
                    cases.incrementAndGet();
                    Generator g = new Generator(seed);
                    int n = 1 + (int) g.nextLong(6);
                    Tensor x = Tensor.randn(g, 2, n).requiresGrad(true);
                    Tensor w = Tensor.randn(g, 2, n);
                    // in place: a = 3x; a.retainGrad(); a.op1_(); a.op2_(); loss = sum(a * w * a)
                    Tensor a = x.mul(3).retainGrad();
                    OPS[i].inPlace().apply(a);
                    OPS[j].inPlace().apply(a);
                    a.mul(w).mul(a).sum().backward();
                    // out of place: b = op2(op1(3x)); the gradient of the same loss with respect to b
                    Tensor b = OPS[j].outOfPlace().apply(OPS[i].outOfPlace().apply(x.mul(3)));
                    Tensor gb = Autograd.grad(b.mul(w).mul(b).sum(), new Tensor[] {b}, null, false)[0];
                    String what = OPS[i].name() + " then " + OPS[j].name() + ", seed " + seed;
                    assertArrayEquals(gb.toArray(), a.grad().toArray(), 1e-6f, what);
                });
        System.out.println("[issue15] retainGrad through in-place ops: " + cases.get() + " cases tried, 0 failures");
    }

    @Test
    @DisplayName("the reported case: a = x*1, retainGrad, a.mul_(5), (2a).sum().backward() gives a.grad = 2 (PyTorch)")
    void reportedCase() {
        Tensor x = Tensor.of(new float[] {1f}, 1).requiresGrad(true);
        Tensor a = x.mul(1).retainGrad();
        a.mul_(5);
        a.mul(2).sum().backward();
        assertArrayEquals(new float[] {2f}, a.grad().toArray());
        assertArrayEquals(new float[] {10f}, x.grad().toArray());
    }
}
