package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Fixtures;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PyTorch 1.13 fixtures (tools/fixtures/seq_layers.py) for the layers of docs/SEMANTICS.md §19: outputs and
 * gradients of the input and of every parameter, in float64 and float32, each layer run once in train and once
 * in eval mode (none of them depends on the mode); the parameters load as a strict PyTorch state dict.
 * Embedding's padding_idx row must get an exactly zero gradient.
 */
class SeqLayersConformanceTest {
    static final Map<String, Object> ROOT = Fixtures.load("seq_layers.json");

    static Stream<Arguments> cases() {
        return Fixtures.runsByDtypeAndMode(ROOT).stream().map(Arguments::of);
    }

    private static int i(Map<String, Object> a, String k) {
        return Fixtures.integer(a, k);
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
        Module m;
        switch (op) {
            case "RMSNorm" -> m = new RMSNorm(Fixtures.ints(a.get("normalized_shape")),
                    a.get("eps") == null ? null : Fixtures.number(a.get("eps")), (Boolean) a.get("elementwise_affine"));
            case "LayerNorm" -> m = new LayerNorm(Fixtures.ints(a.get("normalized_shape")),
                    Fixtures.number(a.get("eps")), (Boolean) a.get("elementwise_affine"), true);
            case "GroupNorm" -> m = new GroupNorm(i(a, "num_groups"), i(a, "num_channels"),
                    Fixtures.number(a.get("eps")), (Boolean) a.get("affine"));
            case "Conv1d" -> m = a.get("padding") instanceof String ps
                    ? new Conv1d(i(a, "in_channels"), i(a, "out_channels"), i(a, "kernel_size"), i(a, "stride"), ps,
                            i(a, "dilation"), i(a, "groups"), (Boolean) a.get("bias"), gen)
                    : new Conv1d(i(a, "in_channels"), i(a, "out_channels"), i(a, "kernel_size"), i(a, "stride"),
                            i(a, "padding"), i(a, "dilation"), i(a, "groups"), (Boolean) a.get("bias"), gen);
            case "ConvTranspose2d" -> m = new ConvTranspose2d(i(a, "in_channels"), i(a, "out_channels"),
                    Fixtures.ints(a.get("kernel_size")), Fixtures.ints(a.get("stride")),
                    Fixtures.ints(a.get("padding")), Fixtures.ints(a.get("output_padding")), i(a, "groups"),
                    (Boolean) a.get("bias"), Fixtures.ints(a.get("dilation")), gen);
            case "Upsample" -> {
                double[] sf = null;
                if (a.get("scale_factor") != null) {
                    List<Object> l = Fixtures.list(a, "scale_factor");
                    sf = new double[] {Fixtures.number(l.get(0)), Fixtures.number(l.get(1))};
                }
                m = new Upsample(a.get("size") == null ? null : Fixtures.ints(a.get("size")), sf,
                        (String) a.get("mode"), (Boolean) a.get("align_corners"));
            }
            case "Embedding" -> m = new Embedding(i(a, "num_embeddings"), i(a, "embedding_dim"),
                    i(a, "padding_idx"), gen);
            case "SinusoidalPositionalEncoding" -> {
                m = new SinusoidalPositionalEncoding(i(a, "d_model"), i(a, "max_len"));
                // the table itself, against PyTorch's tutorial formula
                Fx.close(Fixtures.tensor(c, "table"), F.sinusoidalPositionEncoding(i(a, "max_len"), i(a, "d_model"),
                        d), d, name + " table");
            }
            case "RotaryEmbedding" -> m = new RotaryEmbedding(i(a, "dim"), Fixtures.number(a.get("base")));
            default -> throw new IllegalStateException("unknown op " + op);
        }
        m.to(d);
        m.train(train);
        Map<String, Tensor> diff = new HashMap<>();
        // the fixture's parameters are a PyTorch state dict of the module: it must load strictly (names, layouts)
        Map<String, Tensor> sd = new HashMap<>();
        if (params != null) {
            for (String p : params.keySet()) {
                sd.put(p, Fx.t(params, p, d));
            }
        }
        m.loadStateDict(sd, true);
        for (String p : sd.keySet()) {
            diff.put(p, m.param(p));
        }
        Tensor x;
        if (op.equals("Embedding")) {
            x = Fx.t(in, "indices", d);
        } else {
            x = Fx.t(in, "input", d).requiresGrad(true);
            diff.put("input", x);
        }
        Tensor y = op.equals("RotaryEmbedding") ? ((RotaryEmbedding) m).forward(x, i(a, "offset")) : m.forward(x);
        String what = name + " (" + d + ", train=" + train + ")";
        Fx.close(Fixtures.tensor(Fixtures.map(c, "outputs"), "out"), y, d, what + " out");
        y.backward(Fx.t(Fixtures.map(c, "grad_outputs"), "out", d));
        Map<String, Object> grads = Fixtures.map(c, "grads");
        for (Map.Entry<String, Tensor> e : diff.entrySet()) {
            Fx.close(Fixtures.tensor(grads, e.getKey()), e.getValue().grad(), d, what + " grad " + e.getKey());
        }
        if (op.equals("Embedding")) {
            int pad = Math.floorMod(i(a, "padding_idx"), i(a, "num_embeddings"));
            assertArrayEquals(new double[i(a, "embedding_dim")],
                    m.param("weight").grad().select(0, pad).toDoubleArray(), what + ": padding row gradient");
        }
    }
}
