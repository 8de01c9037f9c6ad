package dev.vgrad.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** docs/SEMANTICS.md §6.1 behaviour and edge cases #33–#41. */
class EdgeCaseTest {

    private static Tensor param(double... v) {
        return Tensor.of(v, v.length).requiresGrad(true);
    }

    private static String msg(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    // ------------------------------------------------------------------------------------------ #33–#38

    @Test
    void e33NesterovRequiresMomentumAndZeroDampening() {
        Tensor p = param(1, 2);
        assertEquals("Nesterov momentum requires a momentum and zero dampening",
                msg(() -> new SGD(List.of(p), SGD.options().lr(0.1).nesterov(true))));
        assertEquals("Nesterov momentum requires a momentum and zero dampening",
                msg(() -> new SGD(List.of(p), SGD.options().lr(0.1).nesterov(true).momentum(0.9).dampening(0.1))));
        new SGD(List.of(p), SGD.options().lr(0.1).nesterov(true).momentum(0.9));
    }

    @Test
    void e34SgdMomentumFirstStepBufferIsGradWithoutDampening() {
        Tensor p = param(1, 2);
        SGD opt = new SGD(List.of(p), SGD.options().lr(0.1).momentum(0.9).dampening(0.5));
        p.setGrad(Tensor.of(new double[] {0.5, -1.0}, 2));
        opt.step();
        Tensor buf = (Tensor) opt.getState(p).get("momentum_buffer");
        assertArrayEquals(new double[] {0.5, -1.0}, buf.toDoubleArray(), 0.0);
        assertArrayEquals(new double[] {1 - 0.1 * 0.5, 2 + 0.1}, p.toDoubleArray(), 1e-15);
        opt.step(); // second step: b = 0.9 b + (1-0.5) g
        buf = (Tensor) opt.getState(p).get("momentum_buffer");
        assertArrayEquals(new double[] {0.9 * 0.5 + 0.5 * 0.5, 0.9 * -1.0 + 0.5 * -1.0}, buf.toDoubleArray(), 1e-15);
    }

    @Test
    void sgdWithoutMomentumStoresNoState() {
        Tensor p = param(1, 2);
        SGD opt = new SGD(List.of(p), 0.1);
        p.setGrad(Tensor.of(new double[] {1, 1}, 2));
        opt.step();
        assertNull(opt.getState(p));
        assertTrue(((Map<?, ?>) opt.stateDict().get("state")).isEmpty());
        assertEquals(1e-3, new SGD(List.of(param(1)), SGD.options()).paramGroups().get(0).lr(), 0.0,
                "PyTorch 2.x default lr");
    }

    @Test
    void e35InvalidHyperParameters() {
        List<Tensor> ps = List.of(param(1));
        assertEquals("Invalid beta parameter at index 0: 1.0",
                msg(() -> new Adam(ps, Adam.options().betas(1.0, 0.999))));
        assertEquals("Invalid beta parameter at index 1: -0.5",
                msg(() -> new AdamW(ps, AdamW.options().betas(0.9, -0.5))));
        assertEquals("Invalid learning rate: -0.1", msg(() -> new SGD(ps, -0.1)));
        assertEquals("Invalid learning rate: -1e-05", msg(() -> new Adam(ps, -1e-5)));
        assertEquals("Invalid momentum value: -0.9", msg(() -> new SGD(ps, SGD.options().momentum(-0.9))));
        assertEquals("Invalid weight_decay value: -0.01", msg(() -> new AdamW(ps, AdamW.options().weightDecay(-0.01))));
        assertEquals("Invalid epsilon value: -1e-08", msg(() -> new Adam(ps, Adam.options().eps(-1e-8))));
        assertEquals("Invalid alpha value: -0.99", msg(() -> new RMSprop(ps, RMSprop.options().alpha(-0.99))));
        assertEquals("Invalid momentum value: -1.0", msg(() -> new RMSprop(ps, RMSprop.options().momentum(-1))));
        assertEquals("Invalid lr_decay value: -0.5", msg(() -> new Adagrad(ps, Adagrad.options().lrDecay(-0.5))));
        assertEquals("Invalid initial_accumulator_value value: -1.0",
                msg(() -> new Adagrad(ps, Adagrad.options().initialAccumulatorValue(-1))));
        // per-group values are validated too
        assertEquals("Invalid learning rate: -2.0",
                msg(() -> new Adam(List.of(ParamGroup.of(ps).lr(-2)), Adam.options())));
    }

    @Test
    void e36NullGradSkippedZeroGradIsARealStep() {
        Tensor a = param(1, 2);
        Tensor b = param(3, 4);
        Adam opt = new Adam(List.of(a, b), 0.1);
        b.setGrad(Tensor.zeros(DType.FLOAT64, 2));
        opt.step();
        assertNull(opt.getState(a), "null grad: no state");
        assertArrayEquals(new double[] {1, 2}, a.toDoubleArray(), 0.0);
        assertEquals(0, a.version(), "null grad: not touched");
        assertEquals(1.0, ((Number) opt.getState(b).get("step")).doubleValue(), 0.0);
        assertArrayEquals(new double[] {3, 4}, b.toDoubleArray(), 0.0, "zero grad: parameter does not move");
        assertEquals(1, b.version());
        assertTrue(a.isLeaf() && a.requiresGrad() && b.isLeaf() && b.requiresGrad());
        // the state dict lists only parameters with state
        Map<?, ?> st = (Map<?, ?>) opt.stateDict().get("state");
        assertEquals(List.of(1), List.copyOf(st.keySet()));
    }

    @Test
    void e37ZeroGradSetsToNullOrZeroes() {
        Tensor p = param(1, 2);
        SGD opt = new SGD(List.of(p), 0.1);
        p.setGrad(Tensor.of(new double[] {1, 1}, 2));
        opt.zeroGrad();
        assertNull(p.grad());
        Tensor g = Tensor.of(new double[] {3, 4}, 2);
        p.setGrad(g);
        opt.zeroGrad(false);
        assertSame(g, p.grad());
        assertArrayEquals(new double[] {0, 0}, p.grad().toDoubleArray(), 0.0);
        assertFalse(p.grad().requiresGrad());
    }

    @Test
    void e38EmptyParameterList() {
        assertEquals("optimizer got an empty parameter list", msg(() -> new SGD(List.of(), 0.1)));
        assertEquals("optimizer got an empty parameter list", msg(() -> new Adam(List.of())));
    }

    @Test
    void groupErrors() {
        Tensor a = param(1);
        Tensor b = param(2);
        assertEquals("some parameters appear in more than one parameter group",
                msg(() -> new SGD(List.of(ParamGroup.of(a, b), ParamGroup.of(b)), SGD.options())));
        Tensor nonLeaf = a.mul(2.0);
        assertEquals("can't optimize a non-leaf Tensor", msg(() -> new Adam(List.of(nonLeaf))));
        assertTrue(msg(() -> new SGD(List.of("not a tensor"), 0.1)).startsWith("optimizer can only optimize Tensors"));
        assertTrue(msg(() -> new SGD(List.of(ParamGroup.of(a), b), 0.1)).startsWith("params argument given to the"));
        // duplicates within a group only warn
        new SGD(List.of(a, a), 0.1);
    }

    @Test
    void perGroupHyperParametersAndDefaults() {
        Tensor w = param(1, 1);
        Tensor bias = param(1);
        AdamW opt = new AdamW(List.of(ParamGroup.of(w), ParamGroup.of(bias).weightDecay(0.0).lr(0.5)),
                AdamW.options().lr(0.1));
        assertEquals(0.01, opt.paramGroups().get(0).getDouble("weight_decay"), 0.0);
        assertEquals(0.1, opt.paramGroups().get(0).lr(), 0.0);
        assertEquals(0.0, opt.paramGroups().get(1).getDouble("weight_decay"), 0.0);
        assertEquals(0.5, opt.paramGroups().get(1).lr(), 0.0);
        assertArrayEquals(new double[] {0.9, 0.999}, opt.paramGroups().get(1).betas(), 0.0);
    }

    @Test
    void requiredHyperParameter() {
        Map<String, Object> defaults = new java.util.LinkedHashMap<>();
        defaults.put("lr", Optimizer.REQUIRED);
        class Plain extends Optimizer {
            Plain(List<?> p) {
                super(p, defaults);
            }

            @Override
            protected void validateGroup(ParamGroup g) {
            }

            @Override
            protected void update(ParamGroup g, Tensor param, Tensor data, Tensor grad) {
            }
        }
        assertEquals("parameter group didn't specify a value of required optimization parameter lr",
                msg(() -> new Plain(List.of(param(1)))));
        new Plain(List.of(ParamGroup.of(param(1)).lr(0.1)));
    }

    @Test
    void closureRunsWithGradEnabledAndReturnsLoss() {
        Tensor p = param(2);
        SGD opt = new SGD(List.of(p), 0.25);
        try (var off = Grad.disabled()) {
            Tensor loss = opt.step(() -> {
                assertTrue(Grad.isEnabled());
                opt.zeroGrad();
                Tensor l = p.mul(p).sum();
                l.backward();
                return l;
            });
            assertEquals(4.0, loss.item(), 0.0);
            assertFalse(Grad.isEnabled());
        }
        assertEquals(2 - 0.25 * 4, p.item(), 0.0);
        assertTrue(p.isLeaf() && p.requiresGrad());
    }

    @Test
    void nonContiguousParameterAndGradient() {
        Tensor base = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor view = base.t(); // non-contiguous (3, 2) leaf view, not requiring grad
        SGD opt = new SGD(List.of(view), 1.0);
        Tensor g = Tensor.of(new float[] {1, 1, 1, 1, 1, 1}, 2, 3).t();
        view.setGrad(g);
        int v = base.version();
        opt.step();
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, base.toArray(), 0f);
        assertTrue(base.version() > v);
    }

    // ------------------------------------------------------------------------------------------ #39–#41

    @Test
    void e39OneCycleStepsPastTotal() {
        SGD opt = new SGD(List.of(param(0)), SGD.options().lr(0.1).momentum(0.9));
        OneCycleLR s = new OneCycleLR(opt, 1.0, 3);
        for (int i = 0; i < 3; i++) {
            opt.step();
            s.step();
        }
        opt.step();
        assertEquals("Tried to step 5 times. The specified number of total steps is 3", msg(s::step));
        assertEquals("optimizer must support momentum with `cycle_momentum` option enabled",
                msg(() -> new OneCycleLR(new Adagrad(List.of(param(0))), 1.0, 3)));
        assertEquals("Expected positive integer total_steps, but got 0",
                msg(() -> new OneCycleLR(new SGD(List.of(param(0)), 0.1), 1.0, 0)));
        assertEquals("You must define either total_steps OR (epochs AND steps_per_epoch)",
                msg(() -> new OneCycleLR(new SGD(List.of(param(0)), 0.1), OneCycleLR.options(1.0))));
        OneCycleLR byEpochs = new OneCycleLR(new SGD(List.of(param(0)), 0.1),
                OneCycleLR.options(1.0).epochs(2).stepsPerEpoch(5).cycleMomentum(false));
        assertEquals(10, byEpochs.totalSteps());
    }

    @Test
    void e40CosinePastTmaxRisesAgain() {
        SGD opt = new SGD(List.of(param(0)), 0.1);
        CosineAnnealingLR s = new CosineAnnealingLR(opt, 4, 0.01);
        double[] lr = new double[13];
        lr[0] = s.getLastLr()[0];
        for (int e = 1; e <= 12; e++) {
            opt.step();
            s.step();
            lr[e] = s.getLastLr()[0];
        }
        assertEquals(0.01, lr[4], 1e-15);
        assertTrue(lr[5] > lr[4] && lr[6] > lr[5] && lr[8] > lr[7], "rises after T_max");
        assertEquals(0.1, lr[8], 1e-15);
        assertEquals(0.01, lr[12], 1e-15);
    }

    @Test
    void e41SchedulerStepBeforeOptimizerStepWarnsOnce() {
        Tensor p = param(0);
        SGD opt = new SGD(List.of(p), 0.1);
        StepLR s = new StepLR(opt, 2, 0.5);
        assertFalse(s.callOrderWarned());
        s.step();
        assertTrue(s.callOrderWarned());
        s.step(); // logged once only; nothing else changes
        assertEquals(2, s.lastEpoch());

        SGD opt2 = new SGD(List.of(param(0)), 0.1);
        StepLR ok = new StepLR(opt2, 2, 0.5);
        opt2.step();
        ok.step();
        assertFalse(ok.callOrderWarned());
    }

    @Test
    void linearLrValidationAndSequentialErrors() {
        SGD opt = new SGD(List.of(param(0)), 0.1);
        assertEquals("Starting multiplicative factor expected to be between 0 and 1.",
                msg(() -> new LinearLR(opt, 1.5, 1.0, 4)));
        assertEquals("Ending multiplicative factor expected to be between 0 and 1.",
                msg(() -> new LinearLR(opt, 0.5, -1.0, 4)));
        LinearLR a = new LinearLR(opt, 0.5, 1.0, 2);
        SGD other = new SGD(List.of(param(0)), 0.1);
        StepLR foreign = new StepLR(other, 2);
        assertTrue(msg(() -> new SequentialLR(opt, List.of(a, foreign), new int[] {2}))
                .startsWith("Sequential Schedulers expects all schedulers to belong to the same optimizer"));
        assertTrue(msg(() -> new SequentialLR(opt, List.of(a), new int[] {2}))
                .startsWith("Sequential Schedulers expects number of schedulers provided to be one more"));
    }

    // ------------------------------------------------------------------------------------------ state dicts

    @Test
    void loadStateDictErrorsLeaveOptimizerUntouched() {
        Tensor a = param(1, 2);
        Tensor b = param(3);
        Adam opt = new Adam(List.of(ParamGroup.of(a), ParamGroup.of(b)), Adam.options().lr(0.1));
        a.setGrad(Tensor.of(new double[] {1, 1}, 2));
        b.setGrad(Tensor.of(new double[] {1}, 1));
        opt.step();
        Map<String, Object> good = opt.stateDict();

        Adam one = new Adam(List.of(param(1, 2)), 0.1);
        assertEquals("loaded state dict has a different number of parameter groups",
                msg(() -> one.loadStateDict(good)));
        Adam sizes = new Adam(List.of(ParamGroup.of(param(1, 2), param(5)), ParamGroup.of(param(3))),
                Adam.options());
        assertEquals("loaded state dict contains a parameter group that doesn't match the size of optimizer's group",
                msg(() -> sizes.loadStateDict(good)));
        // wrong state shape: rejected, nothing changed
        Tensor c = param(1, 2, 3);
        Tensor d = param(3);
        Adam shapes = new Adam(List.of(ParamGroup.of(c), ParamGroup.of(d)), Adam.options().lr(0.7));
        assertTrue(msg(() -> shapes.loadStateDict(good)).contains("has shape [2] but the parameter has shape [3]"));
        assertNull(shapes.getState(c));
        assertEquals(0.7, shapes.paramGroups().get(0).lr(), 0.0);

        // float64 state loads into a float32 optimizer (cast), step stays a number
        Tensor fa = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor fb = Tensor.of(new float[] {3}, 1).requiresGrad(true);
        Adam f32 = new Adam(List.of(ParamGroup.of(fa), ParamGroup.of(fb)), Adam.options());
        f32.loadStateDict(good);
        assertEquals(DType.FLOAT32, ((Tensor) f32.getState(fa).get("exp_avg")).dtype());
        assertEquals(1.0, ((Number) f32.getState(fa).get("step")).doubleValue(), 0.0);
        assertEquals(0.1, f32.paramGroups().get(0).lr(), 0.0);
    }

    @Test
    void stateDictIsASnapshot() {
        Tensor a = param(1, 2);
        SGD opt = new SGD(List.of(a), SGD.options().lr(0.1).momentum(0.9));
        a.setGrad(Tensor.of(new double[] {1, 1}, 2));
        opt.step();
        Map<String, Object> sd = opt.stateDict();
        opt.step();
        @SuppressWarnings("unchecked")
        Map<Integer, Map<String, Object>> st = (Map<Integer, Map<String, Object>>) sd.get("state");
        assertArrayEquals(new double[] {1, 1}, ((Tensor) st.get(0).get("momentum_buffer")).toDoubleArray(), 0.0);
        assertNotNull(opt.getState(a));
    }

    @Test
    void pythonRepr() {
        assertEquals("1e-05", Optimizer.repr(1e-5));
        assertEquals("0.0001", Optimizer.repr(1e-4));
        assertEquals("-0.1", Optimizer.repr(-0.1));
        assertEquals("1.0", Optimizer.repr(1.0));
        assertEquals("1e+16", Optimizer.repr(1e16));
        assertEquals("123456789.0", Optimizer.repr(123456789.0));
        assertEquals("1.5e-07", Optimizer.repr(1.5e-7));
    }
}
