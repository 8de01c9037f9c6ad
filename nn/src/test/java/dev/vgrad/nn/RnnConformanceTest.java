package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vgrad.core.Autograd;
import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Fixtures;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PyTorch 1.13 fixtures (tools/fixtures/rnn.py) for the recurrent layers of docs/SEMANTICS.md §22: LSTM and GRU
 * (1–2 layers, bidirectional, batch_first both ways, with and without initial states, unbatched, without bias),
 * LSTM with projections ({@code proj_size}: one layer, two bidirectional batch_first layers, initial states) and
 * the two cells. The fixture's parameters load as a strict PyTorch state dict; the output, the final states and the
 * gradients of the input, of the initial states and of every parameter must match, in float64 and float32, in
 * train (dropout 0) and eval mode.
 */
class RnnConformanceTest {
    static final Map<String, Object> ROOT = Fixtures.load("rnn.json");

    static Stream<Arguments> cases() {
        return Fixtures.runsByDtypeAndMode(ROOT).stream().map(Arguments::of);
    }

    private static int i(Map<String, Object> a, String k) {
        return Fixtures.integer(a, k);
    }

    private static boolean b(Map<String, Object> a, String k) {
        return Fixtures.bool(a, k);
    }

    @ParameterizedTest(name = "{0} {1} train={2}")
    @MethodSource("cases")
    void matchesPyTorch(String name, DType d, boolean train) {
        Map<String, Object> c = Fixtures.caseNamed(ROOT, name);
        Map<String, Object> a = Fixtures.map(c, "args");
        Map<String, Object> params = Fixtures.map(c, "params");
        Map<String, Object> in = Fixtures.map(c, "inputs");
        String op = (String) c.get("op");
        Generator gen = new Generator(3);
        Module m = switch (op) {
            case "LSTM" -> new LSTM(i(a, "input_size"), i(a, "hidden_size"), i(a, "num_layers"), b(a, "bias"),
                    b(a, "batch_first"), Fixtures.number(a.get("dropout")), b(a, "bidirectional"),
                    a.containsKey("proj_size") ? i(a, "proj_size") : 0, gen);
            case "GRU" -> new GRU(i(a, "input_size"), i(a, "hidden_size"), i(a, "num_layers"), b(a, "bias"),
                    b(a, "batch_first"), Fixtures.number(a.get("dropout")), b(a, "bidirectional"), gen);
            case "LSTMCell" -> new LSTMCell(i(a, "input_size"), i(a, "hidden_size"), b(a, "bias"), gen);
            case "GRUCell" -> new GRUCell(i(a, "input_size"), i(a, "hidden_size"), b(a, "bias"), gen);
            default -> throw new IllegalStateException("unknown op " + op);
        };
        m.to(d);
        m.train(train);
        // PyTorch's names in PyTorch's order (weight_hr after the biases with proj_size)
        assertEquals(List.copyOf(params.keySet()), List.copyOf(m.stateDict().keySet()), name);
        Fx.RnnLeaves leaves = Fx.rnnLeaves(m, params, in, d);
        Map<String, Tensor> diff = leaves.diff();
        Tensor x = leaves.x();
        Tensor h0 = leaves.h0();
        Tensor c0 = leaves.c0();
        Map<String, Tensor> outs = new LinkedHashMap<>();
        switch (m) {
            case LSTM l -> {
                LSTM.Output o = l.forward(x, h0, c0);
                outs.put("output", o.output());
                outs.put("h_n", o.hN());
                outs.put("c_n", o.cN());
            }
            case GRU g -> {
                GRU.Output o = g.forward(x, h0);
                outs.put("output", o.output());
                outs.put("h_n", o.hN());
            }
            case LSTMCell l -> {
                LSTMCell.State s = l.forward(x, h0, c0);
                outs.put("h", s.h());
                outs.put("c", s.c());
            }
            case GRUCell g -> outs.put("h", g.forward(x, h0));
            default -> throw new IllegalStateException();
        }
        String what = name + " (" + d + ", train=" + train + ")";
        Map<String, Object> expectedOut = Fixtures.map(c, "outputs");
        Map<String, Object> gouts = Fixtures.map(c, "grad_outputs");
        Tensor loss = null;
        for (Map.Entry<String, Tensor> e : outs.entrySet()) {
            Fx.close(Fixtures.tensor(expectedOut, e.getKey()), e.getValue(), d, what + " " + e.getKey());
            Tensor term = e.getValue().mul(Fx.t(gouts, e.getKey(), d)).sum();
            loss = loss == null ? term : loss.add(term);
        }
        Tensor[] grads = Autograd.grad(loss, diff.values().toArray(new Tensor[0]), null, false);
        Map<String, Object> expected = Fixtures.map(c, "grads");
        int k = 0;
        for (String key : diff.keySet()) {
            Fx.close(Fixtures.tensor(expected, key), grads[k++], d, what + " grad " + key);
        }
    }
}
