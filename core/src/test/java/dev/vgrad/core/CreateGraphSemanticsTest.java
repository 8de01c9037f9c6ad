package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@code createGraph} (docs/SEMANTICS.md §5.12), values from PyTorch 1.13 for x = [0.5, −1.5]: the gradient of
 * sum(x³) is 3x² = [0.75, 6.75] with a grad_fn; differentiating its sum gives 6x = [3, −9]; the gradient of x·x
 * for a root gradient v with history, summed, differentiated with respect to v gives 2x = [1, −3].
 */
class CreateGraphSemanticsTest {
    private static Tensor x() {
        return Tensor.of(new double[] {0.5, -1.5}, 2).requiresGrad(true);
    }

    @Test
    void backwardWithCreateGraphLeavesADifferentiableGrad() {
        Tensor x = x();
        x.pow(3).sum().backward(null, true, true);
        Tensor g = x.grad();
        assertNotNull(g.gradFn(), "a createGraph .grad has a gradFn, as in PyTorch");
        assertArrayEquals(new double[] {0.75, 6.75}, g.toDoubleArray(), 1e-15);
        x.setGrad(null);
        g.sum().backward();
        assertArrayEquals(new double[] {3, -9}, x.grad().toDoubleArray(), 1e-15);
    }

    @Test
    void accumulationUnderCreateGraphIsOutOfPlace() {
        Tensor x = x();
        x.pow(3).sum().backward(null, true, true);
        Tensor first = x.grad();
        double[] firstValues = first.toDoubleArray();
        x.pow(3).sum().backward(null, true, true);
        assertArrayEquals(firstValues, first.toDoubleArray(), "the earlier .grad is not written into");
        assertArrayEquals(new double[] {1.5, 13.5}, x.grad().toDoubleArray(), 1e-15);
        assertNotNull(x.grad().gradFn());
    }

    @Test
    void autogradGradWithCreateGraph() {
        Tensor x = x();
        Tensor g = Autograd.grad(x.pow(3).sum(), new Tensor[] {x}, null, true, true)[0];
        assertTrue(g.requiresGrad());
        assertArrayEquals(new double[] {3, -9},
                Autograd.grad(g.sum(), new Tensor[] {x}, null, false)[0].toDoubleArray(), 1e-15);
        Tensor v = Tensor.of(new double[] {2, 3}, 2).requiresGrad(true);
        Tensor x2 = x();
        Tensor gx = Autograd.grad(x2.mul(x2), new Tensor[] {x2}, v, true, true)[0];
        assertArrayEquals(new double[] {1, -3},
                Autograd.grad(gx.sum(), new Tensor[] {v}, null, false)[0].toDoubleArray(), 1e-15);
    }

    @Test
    void withoutCreateGraphNothingIsRecorded() {
        Tensor x = x();
        x.pow(3).sum().backward();
        assertNull(x.grad().gradFn());
        assertFalse(x.grad().requiresGrad());
        Tensor g = Autograd.grad(x.pow(3).sum(), new Tensor[] {x}, null, false)[0];
        assertFalse(g.requiresGrad());
    }

    /** Mixed dtypes: casts and promotions inside the recorded backward keep the history (d²/dx² x³ = 6x). */
    @Test
    void mixedDtypesKeepHistory() {
        Tensor x = Tensor.of(new float[] {0.5f, -1.5f}, 2).requiresGrad(true);
        Tensor y = x.pow(2).mul(x.to(DType.FLOAT64)).sum();
        Tensor g = Autograd.grad(y, new Tensor[] {x}, null, true, true)[0];
        assertArrayEquals(new double[] {0.75, 6.75}, g.toDoubleArray(), 1e-6);
        assertArrayEquals(new double[] {3, -9},
                Autograd.grad(g.sum(), new Tensor[] {x}, null, false)[0].toDoubleArray(), 1e-6);
    }
}
