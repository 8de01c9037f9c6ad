package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vgrad.core.Autograd;
import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Fixtures;
import dev.vgrad.nn.utils.PackedSequence;
import dev.vgrad.nn.utils.Rnn;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PyTorch 1.13 fixtures (tools/fixtures/packed_rnn.py) for packed sequences, docs/SEMANTICS.md §22.5: LSTM and GRU
 * fed a {@link PackedSequence} (1–2 layers, bidirectional, batch_first both ways, enforce_sorted true and false,
 * with and without initial states, an LSTM with projections) must give PyTorch's packed output (data, batch sizes,
 * both index permutations), padded output, final states and gradients of the padded input, the initial states and
 * every parameter, in float64 and float32, train (dropout 0) and eval; the four {@link Rnn} utilities their values
 * and input gradients; and the errors PyTorch's texts.
 */
class PackedRnnConformanceTest {
    static final Map<String, Object> ROOT = Fixtures.load("packed_rnn.json");

    static Stream<Arguments> moduleCases() {
        return Fixtures.runsByDtypeAndMode(ROOT).stream()
                .filter(r -> Fixtures.caseNamed(ROOT, (String) r[0]).containsKey("op")).map(Arguments::of);
    }

    static Stream<String> caseNames(String kind) {
        return Fixtures.caseNames(ROOT).stream().filter(n -> kind.equals(Fixtures.caseNamed(ROOT, n).get("kind")));
    }

    static Stream<String> packPaddedCases() {
        return caseNames("pack_padded");
    }

    static Stream<String> padSequenceCases() {
        return caseNames("pad_sequence");
    }

    static Stream<String> packSequenceCases() {
        return caseNames("pack_sequence");
    }

    static Stream<String> errorCases() {
        return caseNames("error");
    }

    private static long[] longs(Map<String, Object> c, String key) {
        List<Object> l = Fixtures.list(c, key);
        long[] out = new long[l.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = ((Number) l.get(k)).longValue();
        }
        return out;
    }

    /** data in float tolerance, the three int64 tensors exactly (null where PyTorch has None). */
    private static void assertPacked(Map<String, Object> expected, PackedSequence p, DType d, String what) {
        Fx.close(Fixtures.tensor(expected, "data"), p.data(), d, what + " data");
        Fixtures.assertEqualLongs(Fixtures.tensor(expected, "batch_sizes").longs(), p.batchSizes().toLongArray(),
                what + " batch_sizes");
        for (String k : new String[] {"sorted_indices", "unsorted_indices"}) {
            Tensor actual = k.equals("sorted_indices") ? p.sortedIndices() : p.unsortedIndices();
            if (expected.get(k) == null) {
                assertNull(actual, what + " " + k);
            } else {
                Fixtures.assertEqualLongs(Fixtures.tensor(expected, k).longs(), actual.toLongArray(), what + " " + k);
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} train={2}")
    @MethodSource("moduleCases")
    void modulesMatchPyTorch(String name, DType d, boolean train) {
        Map<String, Object> c = Fixtures.caseNamed(ROOT, name);
        Map<String, Object> a = Fixtures.map(c, "args");
        Map<String, Object> in = Fixtures.map(c, "inputs");
        boolean lstm = c.get("op").equals("LSTM");
        int isz = Fixtures.integer(a, "input_size");
        int hsz = Fixtures.integer(a, "hidden_size");
        int layers = Fixtures.integer(a, "num_layers");
        boolean bf = Fixtures.bool(a, "batch_first");
        boolean bidi = Fixtures.bool(a, "bidirectional");
        Generator gen = new Generator(5);
        RNNBase m = lstm
                ? new LSTM(isz, hsz, layers, true, bf, 0.0, bidi,
                        a.containsKey("proj_size") ? Fixtures.integer(a, "proj_size") : 0, gen)
                : new GRU(isz, hsz, layers, true, bf, 0.0, bidi, gen);
        m.to(d);
        m.train(train);
        Fx.RnnLeaves leaves = Fx.rnnLeaves(m, Fixtures.map(c, "params"), in, d);
        Map<String, Tensor> diff = leaves.diff();
        Tensor x = leaves.x();
        Tensor h0 = leaves.h0();
        Tensor c0 = leaves.c0();
        PackedSequence packed = Rnn.packPaddedSequence(x, longs(c, "lengths"), bf,
                Fixtures.bool(c, "enforce_sorted"));
        Map<String, Tensor> outs = new LinkedHashMap<>();
        PackedSequence out;
        if (m instanceof LSTM l) {
            LSTM.PackedOutput o = l.forward(packed, h0, c0);
            out = o.output();
            outs.put("h_n", o.hN());
            outs.put("c_n", o.cN());
        } else {
            GRU.PackedOutput o = ((GRU) m).forward(packed, h0);
            out = o.output();
            outs.put("h_n", o.hN());
        }
        outs.put("data", out.data());
        String what = name + " (" + d + ", train=" + train + ")";
        assertPacked(Fixtures.map(c, "packed_output"), out, d, what + " output");
        Rnn.Padded padded = Rnn.padPackedSequence(out, bf);
        Fx.close(Fixtures.tensor(c, "padded_output"), padded.output(), d, what + " padded output");
        Fixtures.assertEqualLongs(Fixtures.tensor(c, "padded_lengths").longs(), padded.lengths().toLongArray(),
                what + " lengths");
        Map<String, Object> expectedOut = Fixtures.map(c, "outputs");
        Map<String, Object> gouts = Fixtures.map(c, "grad_outputs");
        Tensor loss = null;
        for (Map.Entry<String, Tensor> e : outs.entrySet()) {
            if (!e.getKey().equals("data")) {
                Fx.close(Fixtures.tensor(expectedOut, e.getKey()), e.getValue(), d, what + " " + e.getKey());
            }
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

    @ParameterizedTest(name = "{0}")
    @MethodSource("packPaddedCases")
    void packAndPadMatchPyTorch(String name) {
        Map<String, Object> c = Fixtures.caseNamed(ROOT, name);
        DType d = DType.FLOAT64;
        boolean bf = Fixtures.bool(c, "batch_first");
        Tensor x = Fx.t(c, "input", d).requiresGrad(true);
        PackedSequence p = Rnn.packPaddedSequence(x, longs(c, "lengths"), bf, Fixtures.bool(c, "enforce_sorted"));
        assertPacked(Fixtures.map(c, "packed"), p, d, name);
        assertEquals("PackPaddedSequenceBackward0", p.data().gradFn().name(), name);
        Tensor[] gx = Autograd.grad(p.data(), new Tensor[] {x}, Fx.t(c, "grad_data", d), false);
        Fx.close(Fixtures.tensor(c, "grad_input"), gx[0], d, name + " grad input");
        double pv = Fixtures.number(c.get("padding_value"));
        Rnn.Padded padded = c.get("total_length") == null && pv == 0.0
                ? Rnn.padPackedSequence(p, bf)
                : Rnn.padPackedSequence(p, bf, pv, c.get("total_length") == null ? p.batchSizes().size(0)
                        : Fixtures.integer(c, "total_length"));
        Fx.close(Fixtures.tensor(c, "padded"), padded.output(), d, name + " padded");
        Fixtures.assertEqualLongs(Fixtures.tensor(c, "padded_lengths").longs(), padded.lengths().toLongArray(),
                name + " lengths");
        Fx.close(Fixtures.tensor(c, "padded_other_layout"), Rnn.padPackedSequence(p, !bf).output(), d,
                name + " padded, other layout");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("padSequenceCases")
    void padSequenceMatchesPyTorch(String name) {
        Map<String, Object> c = Fixtures.caseNamed(ROOT, name);
        DType d = DType.FLOAT64;
        List<Tensor> seqs = new ArrayList<>();
        for (Object s : Fixtures.list(c, "sequences")) {
            seqs.add(Fx.t(Fixtures.tensor(s), d).requiresGrad(true));
        }
        Tensor out = Rnn.padSequence(seqs, Fixtures.bool(c, "batch_first"),
                Fixtures.number(c.get("padding_value")));
        Fx.close(Fixtures.tensor(c, "output"), out, d, name);
        Tensor[] grads = Autograd.grad(out, seqs.toArray(new Tensor[0]), Fx.t(c, "grad_output", d), false);
        List<Object> expected = Fixtures.list(c, "grads");
        for (int k = 0; k < grads.length; k++) {
            Fx.close(Fixtures.tensor(expected.get(k)), grads[k], d, name + " grad " + k);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packSequenceCases")
    void packSequenceMatchesPyTorch(String name) {
        Map<String, Object> c = Fixtures.caseNamed(ROOT, name);
        DType d = DType.FLOAT64;
        List<Tensor> seqs = new ArrayList<>();
        for (Object s : Fixtures.list(c, "sequences")) {
            seqs.add(Fx.t(Fixtures.tensor(s), d).requiresGrad(true));
        }
        PackedSequence p = Rnn.packSequence(seqs, Fixtures.bool(c, "enforce_sorted"));
        assertPacked(Fixtures.map(c, "packed"), p, d, name);
        Tensor[] grads = Autograd.grad(p.data(), seqs.toArray(new Tensor[0]), Fx.t(c, "grad_data", d), false);
        List<Object> expected = Fixtures.list(c, "grads");
        for (int k = 0; k < grads.length; k++) {
            Fx.close(Fixtures.tensor(expected.get(k)), grads[k], d, name + " grad " + k);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errorCases")
    void errorsUsePyTorchTexts(String name) {
        Map<String, Object> c = Fixtures.caseNamed(ROOT, name);
        Tensor x = Tensor.zeros(DType.FLOAT64, 3, 2, 1);
        PackedSequence p = Rnn.packPaddedSequence(x, new long[] {3, 2}, false, true);
        LSTM lstm = new LSTM(1, 2);
        lstm.to(DType.FLOAT64);
        GRU gru = new GRU(1, 2, 2, true, false, 0.0, false);
        gru.to(DType.FLOAT64);
        Executable call = switch (name) {
            case "err_unsorted" -> () -> Rnn.packPaddedSequence(x, new long[] {2, 3}, false, true);
            case "err_nonpositive" -> () -> Rnn.packPaddedSequence(x, new long[] {2, 0}, false, true);
            case "err_nonpositive_unsorted" -> () -> Rnn.packPaddedSequence(x, new long[] {0, 2}, false, false);
            case "err_lengths_count" -> () -> Rnn.packPaddedSequence(x, new long[] {2}, false, true);
            case "err_empty_input" -> () -> Rnn.packPaddedSequence(Tensor.zeros(0, 2, 1), new long[] {2, 1},
                    false, true);
            case "err_total_length" -> () -> Rnn.padPackedSequence(p, false, 0.0, 2);
            case "err_pad_sequence_empty" -> () -> Rnn.padSequence(List.of(), false, 0.0);
            case "err_pack_sequence_empty" -> () -> Rnn.packSequence(List.of(), true);
            case "err_lstm_h0" -> () -> lstm.forward(p, Tensor.zeros(DType.FLOAT64, 1, 3, 2),
                    Tensor.zeros(DType.FLOAT64, 1, 2, 2));
            case "err_lstm_c0" -> () -> lstm.forward(p, Tensor.zeros(DType.FLOAT64, 1, 2, 2),
                    Tensor.zeros(DType.FLOAT64, 1, 2, 3));
            case "err_gru_h0" -> () -> gru.forward(p, Tensor.zeros(DType.FLOAT64, 1, 2, 2));
            case "err_input_size" -> () -> gru.forward(Rnn.packPaddedSequence(Tensor.zeros(DType.FLOAT64, 3, 2, 2),
                    new long[] {3, 2}, false, true));
            default -> throw new IllegalStateException("no call for fixture " + name);
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, name);
        assertEquals(c.get("message"), e.getMessage(), name);
    }
}
