package dev.vgrad.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.BatchNorm1d;
import dev.vgrad.nn.Linear;
import dev.vgrad.nn.Module;
import dev.vgrad.nn.Sequential;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code Module.to(dtype)} converts parameters in place, so an optimizer built before the conversion keeps training
 * the module (issue 15 item 6, docs/SEMANTICS.md §11); before, it silently trained orphaned float32 copies.
 */
@DisplayName("Module.to(dtype) keeps optimizers working")
class ModuleConversionTest {

    private static Module model() {
        return new Sequential(new Linear(3, 4, true, new Generator(3)), new BatchNorm1d(4), new Linear(4, 1, true,
                new Generator(4)));
    }

    private static void backward(Module m, DType dt) {
        m.call(Tensor.randn(new Generator(9), 5, 3).to(dt)).pow(2).mean().backward();
    }

    @Test
    @DisplayName("an SGD built before toDouble() updates the module's (converted) parameters")
    void optimizerBuiltBeforeConversionTrainsTheModule() {
        Module m = model();
        Optimizer opt = new SGD(m.parameters(), SGD.options().lr(0.1));
        m.toDouble();
        List<double[]> before = new ArrayList<>();
        for (Tensor p : m.parameters()) {
            assertEquals(DType.FLOAT64, p.dtype());
            before.add(p.toDoubleArray());
        }
        backward(m, DType.FLOAT64);
        List<double[]> expected = new ArrayList<>();
        for (Tensor p : m.parameters()) {
            // plain SGD: p - lr * grad, computed here from the gradient the module's parameters received
            double[] v = p.toDoubleArray();
            double[] g = p.grad().toDoubleArray();
            for (int i = 0; i < v.length; i++) {
                v[i] = v[i] - 0.1 * g[i];
            }
            expected.add(v);
        }
        opt.step();
        List<Tensor> ps = m.parameters();
        int moved = 0;
        for (int i = 0; i < ps.size(); i++) {
            assertArrayEquals(expected.get(i), ps.get(i).toDoubleArray(), 1e-12, "parameter " + i); // fused kernel may use an FMA
            moved += java.util.Arrays.equals(before.get(i), ps.get(i).toDoubleArray()) ? 0 : 1;
        }
        // the bias before BatchNorm gets a zero gradient; every other parameter moves
        assertEquals(ps.size() - 1, moved);
    }

    @Test
    @DisplayName("Adam state of the old dtype: a clear error before anything changes (PyTorch 1.13 fails too); reload converts it")
    void staleStateFailsClearlyAndReloadConverts() {
        Module m = model();
        Optimizer opt = new Adam(m.parameters(), 0.01);
        backward(m, DType.FLOAT32);
        opt.step();
        m.toDouble();
        m.zeroGrad();
        backward(m, DType.FLOAT64);
        List<double[]> before = new ArrayList<>();
        for (Tensor p : m.parameters()) {
            before.add(p.toDoubleArray());
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, opt::step);
        assertTrue(e.getMessage().startsWith("Adam.step: state 'exp_avg' has dtype float32 and shape [4, 3] but its "
                + "parameter now has dtype float64"), e.getMessage());
        List<Tensor> ps = m.parameters();
        for (int i = 0; i < ps.size(); i++) {
            assertArrayEquals(before.get(i), ps.get(i).toDoubleArray(), 0.0, "a failed step changed parameter " + i);
        }
        opt.loadStateDict(opt.stateDict()); // converts the state to the parameters' dtype
        opt.step();
        for (Tensor p : m.parameters()) {
            assertEquals(DType.FLOAT64, opt.getState(p).get("exp_avg") instanceof Tensor t ? t.dtype() : null);
            assertEquals(2.0, opt.getState(p).get("step"));
        }
    }
}
