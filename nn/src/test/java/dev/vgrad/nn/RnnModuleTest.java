package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.GradCheck;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.testing.ModuleChecks;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Module contracts of the recurrent layers (docs/SEMANTICS.md §22): the module laws, PyTorch's state-dict names,
 * order and layouts, init bounds, reprs and error texts (each printed by torch 1.13), use inside a Sequential, and
 * second derivatives through the layer.
 */
class RnnModuleTest {
    private static Tensor x(int... shape) {
        return Tensor.randn(new Generator(11), shape);
    }

    @Test
    void moduleLawsHold() {
        ModuleChecks.of(() -> new LSTM(3, 4, 2, true, true, 0.0, true, new Generator(1)), x(3, 5, 3)).checkAll();
        ModuleChecks.of(() -> new GRU(3, 4, 2, true, true, 0.0, true, new Generator(2)), x(3, 5, 3)).checkAll();
        ModuleChecks.of(() -> new LSTMCell(3, 4, true, new Generator(3)), x(4, 3)).checkAll();
        ModuleChecks.of(() -> new GRUCell(3, 4, false, new Generator(4)), x(4, 3)).checkAll();
        ModuleChecks.of(() -> new LSTM(3, 4, 2, true, true, 0.0, true, 2, new Generator(14)), x(3, 5, 3))
                .checkAll();
    }

    @Test
    void stateDictsUsePyTorchNamesOrderAndLayouts() {
        Map<String, Tensor> sd = new GRU(3, 2, 2, true, false, 0.0, true).stateDict();
        assertEquals(List.of("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse",
                "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse", "weight_ih_l1", "weight_hh_l1",
                "bias_ih_l1", "bias_hh_l1", "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse",
                "bias_hh_l1_reverse"), List.copyOf(sd.keySet()));
        assertArrayEquals(new int[] {6, 3}, sd.get("weight_ih_l0").shape());
        assertArrayEquals(new int[] {6, 4}, sd.get("weight_ih_l1_reverse").shape()); // reads both directions
        assertArrayEquals(new int[] {6, 2}, sd.get("weight_hh_l1").shape());
        Map<String, Tensor> lstm = new LSTM(5, 4, 1, false, false, 0.0, false).stateDict();
        assertEquals(List.of("weight_ih_l0", "weight_hh_l0"), List.copyOf(lstm.keySet()));
        assertArrayEquals(new int[] {16, 5}, lstm.get("weight_ih_l0").shape());
        assertEquals(List.of("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
                List.copyOf(new LSTMCell(3, 4).stateDict().keySet()));
        // proj_size: weight_hr after the biases (or right after weight_hh without bias), as torch 1.13 names them
        Map<String, Tensor> proj = new LSTM(3, 4, 2, false, false, 0.0, true, 2).stateDict();
        assertEquals(List.of("weight_ih_l0", "weight_hh_l0", "weight_hr_l0", "weight_ih_l0_reverse",
                "weight_hh_l0_reverse", "weight_hr_l0_reverse", "weight_ih_l1", "weight_hh_l1", "weight_hr_l1",
                "weight_ih_l1_reverse", "weight_hh_l1_reverse", "weight_hr_l1_reverse"), List.copyOf(proj.keySet()));
        assertArrayEquals(new int[] {16, 3}, proj.get("weight_ih_l0").shape());
        assertArrayEquals(new int[] {16, 2}, proj.get("weight_hh_l0").shape());
        assertArrayEquals(new int[] {2, 4}, proj.get("weight_hr_l0_reverse").shape());
        assertArrayEquals(new int[] {16, 4}, proj.get("weight_ih_l1").shape()); // reads 2·P features
        assertEquals(List.of("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0"),
                List.copyOf(new LSTM(3, 4, 1, true, false, 0.0, false, 3).stateDict().keySet()));
        assertEquals(2, new LSTM(3, 4, 1, true, false, 0.0, false, 2).projSize());
        assertEquals(0, new LSTM(3, 4).projSize());
        assertEquals(List.of("weight_ih", "weight_hh"), List.copyOf(new GRUCell(3, 4, false).stateDict().keySet()));
    }

    /** Every parameter is drawn from U(−1/√H, 1/√H): inside the bound, and spread over it. */
    @Test
    void initialisationUsesPyTorchsBound() {
        for (Module m : List.of(new LSTM(3, 16, 2, true, false, 0.0, true, new Generator(7)),
                new LSTM(3, 16, 2, true, false, 0.0, true, 8, new Generator(10)),
                new GRUCell(5, 16, true, new Generator(8)))) {
            double bound = 0.25;
            for (Map.Entry<String, Tensor> e : m.stateDict().entrySet()) {
                double max = 0;
                for (double v : e.getValue().toDoubleArray()) {
                    assertTrue(Math.abs(v) <= bound, e.getKey() + ": " + v);
                    max = Math.max(max, Math.abs(v));
                }
                assertTrue(max > bound * 0.8, e.getKey() + " max |w| " + max);
            }
        }
    }

    @Test
    void reprsMatchPyTorch() {
        assertEquals("LSTM(5, 4, num_layers=2, batch_first=True, dropout=0.25, bidirectional=True)",
                new LSTM(5, 4, 2, true, true, 0.25, true).toString());
        assertEquals("LSTM(3, 4, proj_size=2, num_layers=2, bias=False, bidirectional=True)",
                new LSTM(3, 4, 2, false, false, 0.0, true, 2).toString());
        assertEquals("GRU(3, 2, bias=False)", new GRU(3, 2, 1, false, false, 0.0, false).toString());
        assertEquals("LSTMCell(3, 4)", new LSTMCell(3, 4).toString());
        assertEquals("GRUCell(3, 4, bias=False)", new GRUCell(3, 4, false).toString());
    }

    private static void fails(String message, Executable e) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, e).getMessage());
    }

    @Test
    void badShapesFailWithPyTorchsWords() {
        LSTM m = new LSTM(5, 4);
        fails("input.size(-1) must be equal to input_size. Expected 5, got 3",
                () -> m.forward(Tensor.zeros(3, 2, 3), null, null));
        fails("Expected hidden[0] size (1, 2, 4), got [1, 3, 4]",
                () -> m.forward(Tensor.zeros(3, 2, 5), Tensor.zeros(1, 3, 4), Tensor.zeros(1, 2, 4)));
        fails("Expected hidden[1] size (1, 2, 4), got [1, 2, 3]",
                () -> m.forward(Tensor.zeros(3, 2, 5), Tensor.zeros(1, 2, 4), Tensor.zeros(1, 2, 3)));
        fails("LSTM: Expected input to be 2-D or 3-D but received 4-D tensor", () -> m.call(Tensor.zeros(1, 3, 2, 5)));
        fails("For batched 3-D input, hx should also be 3-D but got 2-D tensor",
                () -> new GRU(5, 4).forward(Tensor.zeros(3, 2, 5), Tensor.zeros(2, 4)));
        fails("Expected hidden size (1, 2, 4), got [2, 2, 4]",
                () -> new GRU(5, 4).forward(Tensor.zeros(3, 2, 5), Tensor.zeros(2, 2, 4)));
        LSTMCell c = new LSTMCell(5, 4);
        fails("input has inconsistent input_size: got 3 expected 5", () -> c.call(Tensor.zeros(2, 3)));
        fails("Input batch size 2 doesn't match hidden0 batch size 3",
                () -> c.forward(Tensor.zeros(2, 5), Tensor.zeros(3, 4), Tensor.zeros(3, 4)));
        fails("hidden0 has inconsistent hidden_size: got 3, expected 4",
                () -> c.forward(Tensor.zeros(2, 5), Tensor.zeros(2, 3), Tensor.zeros(2, 3)));
        fails("GRUCell: Expected input to be 1-D or 2-D but received 3-D tensor",
                () -> new GRUCell(5, 4).call(Tensor.zeros(1, 2, 5)));
        fails("Expected sequence length to be larger than 0 in RNN", () -> new GRU(5, 4).call(Tensor.zeros(0, 2, 5)));
        fails("dropout should be a number in range [0, 1] representing the probability of an element being zeroed",
                () -> new LSTM(2, 2, 2, true, false, 1.5, false));
    }

    /** proj_size's argument checks and the P-wide h0 (c0 keeps H), each text printed by torch 1.13. */
    @Test
    void projSizeErrorsUsePyTorchsWords() {
        fails("proj_size should be a positive integer or zero to disable projections",
                () -> new LSTM(3, 4, 1, true, false, 0.0, false, -1));
        fails("proj_size has to be smaller than hidden_size", () -> new LSTM(3, 4, 1, true, false, 0.0, false, 4));
        fails("proj_size has to be smaller than hidden_size", () -> new LSTM(3, 4, 1, true, false, 0.0, false, 5));
        LSTM m = new LSTM(3, 4, 1, true, false, 0.0, false, 2);
        fails("Expected hidden[0] size (1, 2, 2), got [1, 2, 4]",
                () -> m.forward(Tensor.zeros(5, 2, 3), Tensor.zeros(1, 2, 4), Tensor.zeros(1, 2, 2)));
        fails("Expected hidden[1] size (1, 2, 4), got [1, 2, 2]",
                () -> m.forward(Tensor.zeros(5, 2, 3), Tensor.zeros(1, 2, 2), Tensor.zeros(1, 2, 2)));
        fails("Expected hidden[0] size (1, 1, 2), got [1, 1, 4]",
                () -> m.forward(Tensor.zeros(5, 3), Tensor.zeros(1, 4), Tensor.zeros(1, 4)));
    }

    /** Shapes with proj_size: output and h_n P wide per direction, c_n H wide, unbatched and empty batch too. */
    @Test
    void projectedShapes() {
        LSTM m = new LSTM(3, 4, 2, true, true, 0.0, true, 3, new Generator(15));
        LSTM.Output o = m.forward(x(2, 5, 3), null, null);
        assertArrayEquals(new int[] {2, 5, 6}, o.output().shape());
        assertArrayEquals(new int[] {4, 2, 3}, o.hN().shape());
        assertArrayEquals(new int[] {4, 2, 4}, o.cN().shape());
        LSTM.Output u = m.forward(x(5, 3), null, null);
        assertArrayEquals(new int[] {5, 6}, u.output().shape());
        assertArrayEquals(new int[] {4, 3}, u.hN().shape());
        assertArrayEquals(new int[] {4, 4}, u.cN().shape());
        // the last layer's final h is the output's last step (forward) and first step (reverse)
        assertArrayEquals(o.output().select(1, 4).narrow(1, 0, 3).toDoubleArray(), o.hN().select(0, 2)
                .toDoubleArray());
        assertArrayEquals(o.output().select(1, 0).narrow(1, 3, 3).toDoubleArray(), o.hN().select(0, 3)
                .toDoubleArray());
        LSTM.Output e = m.forward(Tensor.zeros(0, 5, 3), null, null);
        assertArrayEquals(new int[] {0, 5, 6}, e.output().shape());
        assertArrayEquals(new int[] {4, 0, 4}, e.cN().shape());
    }

    private static Tensor projLoss(LSTM m, Tensor in, Tensor h0, Tensor c0) {
        LSTM.Output o = m.forward(in, h0, c0);
        return o.output().pow(2).sum().add(o.hN().mul(o.hN().add(1)).sum()).add(o.cN().pow(2).sum());
    }

    /**
     * float64 gradient checks through a 2-layer bidirectional LSTM with proj_size, with every output (output, h_n,
     * c_n) in the loss: GradCheck for the input, h0 and c0; for every element of every parameter (weight_hr
     * included) the backward gradient against a central difference of the loss (h = 1e-6, |Δ| ≤ 1e-5 + 1e-3·|num|);
     * and second derivatives w.r.t. the input.
     */
    @Test
    void projectedGradcheck() {
        LSTM m = new LSTM(2, 3, 2, true, false, 0.0, true, 2, new Generator(16));
        m.to(DType.FLOAT64);
        Generator g = new Generator(17);
        Tensor in = Tensor.randn(g, 3, 2, 2).to(DType.FLOAT64).requiresGrad(true);
        Tensor h0 = Tensor.randn(g, 4, 2, 2).to(DType.FLOAT64).requiresGrad(true);
        Tensor c0 = Tensor.randn(g, 4, 2, 3).to(DType.FLOAT64).requiresGrad(true);
        GradCheck.Result r = GradCheck.check(a -> projLoss(m, a[0], a[1], a[2]), in, h0, c0);
        assertTrue(r.passed(), r::report);

        // a fresh module: GradCheck's backward above accumulated into m's .grad
        LSTM q = new LSTM(2, 3, 2, true, false, 0.0, true, 2, new Generator(16));
        q.to(DType.FLOAT64);
        projLoss(q, in.detach(), h0.detach(), c0.detach()).backward();
        Map<String, Tensor> base = q.stateDict();
        Map<String, double[]> values = new java.util.LinkedHashMap<>();
        base.forEach((k, v) -> values.put(k, v.detach().toDoubleArray()));
        double step = 1e-6;
        int checked = 0;
        for (String name : values.keySet()) {
            double[] analytic = q.param(name).grad().toDoubleArray();
            int[] shape = base.get(name).shape();
            for (int e = 0; e < analytic.length; e++) {
                double[] lossAt = new double[2];
                for (int sgn = 0; sgn < 2; sgn++) {
                    Map<String, Tensor> sd = new java.util.LinkedHashMap<>();
                    for (Map.Entry<String, double[]> kv : values.entrySet()) {
                        double[] d = kv.getValue().clone();
                        if (kv.getKey().equals(name)) {
                            d[e] += sgn == 0 ? step : -step;
                        }
                        sd.put(kv.getKey(), Tensor.of(d, base.get(kv.getKey()).shape()));
                    }
                    LSTM p = new LSTM(2, 3, 2, true, false, 0.0, true, 2, new Generator(16));
                    p.to(DType.FLOAT64);
                    p.loadStateDict(sd, true);
                    lossAt[sgn] = projLoss(p, in.detach(), h0.detach(), c0.detach()).item();
                }
                double numeric = (lossAt[0] - lossAt[1]) / (2 * step);
                String at = name + java.util.Arrays.toString(shape) + "[" + e + "]";
                assertTrue(Math.abs(analytic[e] - numeric) <= 1e-5 + 1e-3 * Math.abs(numeric),
                        at + ": analytic " + analytic[e] + " numeric " + numeric);
                checked++;
            }
        }
        assertEquals(4 * (12 * 2 + 12 * 2 + 12 + 12 + 2 * 3) + 2 * 12 * 2, checked);
        m.eval();
        GradCheck.Result r2 = GradCheck.gradgradcheck(a -> m.forward(a[0]).pow(2).sum(), in);
        assertTrue(r2.passed(), r2::report);
    }

    /** forward(x) is the output sequence, so a recurrent layer composes in a Sequential; hooks run via call. */
    @Test
    void worksInsideSequential() {
        LSTM lstm = new LSTM(3, 4, 1, true, true, 0.0, false, new Generator(5));
        Linear head = new Linear(4, 2, true, new Generator(6));
        Sequential s = new Sequential(lstm, head);
        Tensor in = x(2, 5, 3);
        Tensor y = s.call(in);
        assertArrayEquals(new int[] {2, 5, 2}, y.shape());
        assertArrayEquals(head.call(lstm.forward(in, null, null).output()).toDoubleArray(), y.toDoubleArray());
        y.sum().backward();
        assertTrue(lstm.param("weight_hh_l0").grad() != null);
        assertEquals(List.of("0.weight_ih_l0", "0.weight_hh_l0", "0.bias_ih_l0", "0.bias_hh_l0", "1.weight",
                "1.bias"), List.copyOf(s.stateDict().keySet()));
    }

    /** An empty batch gives empty outputs of the right shapes, as in PyTorch. */
    @Test
    void emptyBatchGivesEmptyOutputs() {
        LSTM.Output o = new LSTM(3, 2, 2, true, false, 0.0, true).forward(Tensor.zeros(4, 0, 3), null, null);
        assertArrayEquals(new int[] {4, 0, 4}, o.output().shape());
        assertArrayEquals(new int[] {4, 0, 2}, o.cN().shape());
        assertArrayEquals(new int[] {0, 2}, new GRUCell(3, 2).call(Tensor.zeros(0, 3)).shape());
        Tensor x = Tensor.zeros(4, 0, 3).requiresGrad(true);
        new GRU(3, 2).call(x).sum().backward();
        assertArrayEquals(new int[] {4, 0, 3}, x.grad().shape());
    }

    /** The final states are the last step of each direction (step 0 for the reverse one), unbatched too. */
    @Test
    void finalStatesAreTheLastSteps() {
        LSTM m = new LSTM(3, 2, 1, true, false, 0.0, true, new Generator(9));
        LSTM.Output o = m.forward(x(4, 3), null, null);
        assertArrayEquals(new int[] {4, 4}, o.output().shape());
        assertArrayEquals(new int[] {2, 2}, o.hN().shape());
        assertArrayEquals(o.output().select(0, 3).narrow(0, 0, 2).toDoubleArray(), o.hN().select(0, 0)
                .toDoubleArray());
        assertArrayEquals(o.output().select(0, 0).narrow(0, 2, 2).toDoubleArray(), o.hN().select(0, 1)
                .toDoubleArray());
    }

    /** Second derivatives through a whole LSTM (input → loss), via the fused op's composed fallback. */
    @Test
    void secondOrderThroughTheModule() {
        LSTM m = new LSTM(2, 2, 2, true, true, 0.0, true, new Generator(12));
        m.to(DType.FLOAT64);
        m.eval();
        Tensor in = x(2, 3, 2).to(DType.FLOAT64).requiresGrad(true);
        GradCheck.Result r = GradCheck.gradgradcheck(a -> m.forward(a[0]).pow(2).sum(), in);
        assertTrue(r.passed(), r::report);
        GRU g = new GRU(2, 2, 1, true, false, 0.0, false, new Generator(13));
        g.to(DType.FLOAT64);
        GradCheck.Result r2 = GradCheck.gradgradcheck(a -> g.forward(a[0]).pow(2).sum(), in);
        assertTrue(r2.passed(), r2::report);
    }
}
