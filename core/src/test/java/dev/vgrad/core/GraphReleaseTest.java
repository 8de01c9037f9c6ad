package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * After backward (without retain_graph) the tensors a node saved are freed even while the loss, and so the whole
 * graph, is still referenced (PyTorch: saved variables are released; only the grad_fn objects remain).
 *
 * <p>What protects every op is structural: nn's NodeFieldsTest checks that each backward rule in core and nn is a
 * named class whose fields can hold only SavedTensors and plain values, so no rule can keep a forward tensor. This
 * test is the end-to-end smoke check that saved tensors are in fact released, on two ops that save their inputs.
 */
class GraphReleaseTest {
    private record Step(Tensor loss, WeakReference<Tensor> activation) {}

    /** h = a non-leaf activation; loss = op(h).sum(). Only the loss is returned strongly. */
    private static Step step(UnaryOperator<Tensor> op, int... shape) {
        Tensor w = Tensor.randn(new Generator(1), shape).requiresGrad(true);
        Tensor h = w.mul(1.5).add(0.25); // non-leaf, referenced only by the graph under test
        Tensor loss = op.apply(h).sum();
        WeakReference<Tensor> ref = new WeakReference<>(h);
        loss.backward();
        assertNotNull(w.grad());
        return new Step(loss, ref);
    }

    private static boolean collected(WeakReference<?> ref) {
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

    private static void assertReleased(String what, UnaryOperator<Tensor> op, int... shape) {
        Step s = step(op, shape);
        assertTrue(collected(s.activation()), what + ": the saved input is still reachable from the loss after backward");
        assertNotNull(s.loss().gradFn()); // the graph itself is still alive
    }

    @Test
    void savedTensorsAreFreedAfterBackwardWhileLossIsAlive() {
        Tensor m = Tensor.randn(new Generator(2), 16, 8);
        assertReleased("matmul (input a)", h -> h.matmul(m), 4, 16);
        Tensor k = Tensor.randn(new Generator(3), 4, 2, 3, 3);
        assertReleased("conv2d", h -> h.conv2d(k, null, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1),
                2, 2, 6, 6);
    }
}
