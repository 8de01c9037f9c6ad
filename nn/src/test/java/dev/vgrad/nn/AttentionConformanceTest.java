package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Fixtures;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PyTorch 1.13 fixtures (tools/fixtures/attention.py) for docs/SEMANTICS.md §21: scaled dot-product attention,
 * MultiheadAttention, TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer and TransformerDecoder.
 * Outputs (and attention weights) and the gradients of every input and every parameter, in float64 and float32, each
 * module in train and eval mode (dropout 0: the same numbers); the parameters load as a strict PyTorch state dict.
 * Bool masks arrive as bool tensors.
 */
class AttentionConformanceTest {
    static final Map<String, Object> ROOT = Fixtures.load("attention.json");

    static Stream<Arguments> cases() {
        return Fixtures.runsByDtypeAndMode(ROOT).stream().map(Arguments::of);
    }

    private static int i(Map<String, Object> a, String k) {
        return Fixtures.integer(a, k);
    }

    private static boolean b(Map<String, Object> a, String k) {
        return Fixtures.bool(a, k);
    }

    private static Tensor opt(Map<String, Object> in, String k, DType d) {
        return Fx.has(in, k) ? Fx.t(in, k, d) : null;
    }

    @ParameterizedTest(name = "{0} {1} train={2}")
    @MethodSource("cases")
    void matchesPyTorch(String name, DType d, boolean train) {
        Map<String, Object> c = Fixtures.caseNamed(ROOT, name);
        Map<String, Object> a = Fixtures.map(c, "args");
        Map<String, Object> in = Fixtures.map(c, "inputs");
        String op = (String) c.get("op");
        Generator gen = new Generator(7);
        Map<String, Tensor> diff = new LinkedHashMap<>();
        Map<String, Tensor> outs = new LinkedHashMap<>();
        Module m = null;
        switch (op) {
            case "SDPA" -> {
                Tensor q = Fx.t(in, "query", d).requiresGrad(true);
                Tensor k = Fx.t(in, "key", d).requiresGrad(true);
                Tensor v = Fx.t(in, "value", d).requiresGrad(true);
                diff.put("query", q);
                diff.put("key", k);
                diff.put("value", v);
                Double scale = a.get("scale") == null ? null : Fixtures.number(a.get("scale"));
                outs.put("out", F.scaledDotProductAttention(q, k, v, opt(in, "attn_mask", d), 0.0, b(a, "is_causal"),
                        scale));
            }
            case "MHA" -> {
                MultiheadAttention mha = new MultiheadAttention(i(a, "embed_dim"), i(a, "num_heads"), 0.0, b(a, "bias"),
                        i(a, "kdim"), i(a, "vdim"), b(a, "batch_first"), gen);
                m = prepare(mha, c, d, train, diff);
                Tensor q = input(in, "query", d, diff);
                boolean self = b(a, "self_attention");
                Tensor k = self ? q : input(in, "key", d, diff);
                Tensor v = self ? q : input(in, "value", d, diff);
                MultiheadAttention.Output o = mha.forward(q, k, v, opt(in, "key_padding_mask", d), b(a, "need_weights"),
                        opt(in, "attn_mask", d), b(a, "average_attn_weights"));
                outs.put("out", o.output());
                if (b(a, "need_weights")) {
                    outs.put("weights", o.weights());
                }
            }
            case "EncoderLayer", "Encoder" -> {
                TransformerEncoderLayer layer = new TransformerEncoderLayer(i(a, "d_model"), i(a, "nhead"),
                        i(a, "dim_feedforward"), 0.0, (String) a.get("activation"), 1e-5, b(a, "batch_first"),
                        b(a, "norm_first"), gen);
                Tensor src;
                if (op.equals("Encoder")) {
                    TransformerEncoder enc = new TransformerEncoder(layer, i(a, "num_layers"), new LayerNorm(i(a,
                            "d_model")));
                    m = prepare(enc, c, d, train, diff);
                    src = input(in, "src", d, diff);
                    outs.put("out", enc.forward(src, opt(in, "mask", d), null));
                } else {
                    m = prepare(layer, c, d, train, diff);
                    src = input(in, "src", d, diff);
                    outs.put("out", layer.forward(src, opt(in, "src_mask", d), opt(in, "src_key_padding_mask", d)));
                }
            }
            case "DecoderLayer" -> {
                TransformerDecoderLayer layer = new TransformerDecoderLayer(i(a, "d_model"), i(a, "nhead"),
                        i(a, "dim_feedforward"), 0.0, (String) a.get("activation"), 1e-5, b(a, "batch_first"),
                        b(a, "norm_first"), gen);
                m = prepare(layer, c, d, train, diff);
                Tensor tgt = input(in, "tgt", d, diff);
                Tensor mem = input(in, "memory", d, diff);
                outs.put("out", layer.forward(tgt, mem, opt(in, "tgt_mask", d), null, null,
                        opt(in, "memory_key_padding_mask", d)));
            }
            case "Decoder" -> {
                TransformerDecoderLayer layer = new TransformerDecoderLayer(i(a, "d_model"), i(a, "nhead"),
                        i(a, "dim_feedforward"), 0.0, (String) a.get("activation"), 1e-5, b(a, "batch_first"),
                        b(a, "norm_first"), gen);
                TransformerDecoder dec = new TransformerDecoder(layer, i(a, "num_layers"),
                        b(a, "norm") ? new LayerNorm(i(a, "d_model")) : null);
                m = prepare(dec, c, d, train, diff);
                Tensor tgt = input(in, "tgt", d, diff);
                Tensor mem = input(in, "memory", d, diff);
                outs.put("out", dec.forward(tgt, mem, opt(in, "tgt_mask", d), opt(in, "memory_mask", d),
                        opt(in, "tgt_key_padding_mask", d), opt(in, "memory_key_padding_mask", d)));
            }
            default -> throw new IllegalStateException("unknown op " + op);
        }
        String what = name + " (" + d + ", train=" + train + ")";
        Map<String, Object> want = Fixtures.map(c, "outputs");
        assertEquals(want.keySet(), outs.keySet(), what + ": outputs");
        Map<String, Object> gouts = Fixtures.map(c, "grad_outputs");
        Tensor loss = null;
        for (Map.Entry<String, Tensor> e : outs.entrySet()) {
            Fx.close(Fixtures.tensor(want, e.getKey()), e.getValue(), d, what + " " + e.getKey());
            Tensor term = e.getValue().mul(Fx.t(gouts, e.getKey(), d)).sum();
            loss = loss == null ? term : loss.add(term);
        }
        loss.backward();
        Map<String, Object> grads = Fixtures.map(c, "grads");
        assertEquals(grads.keySet(), diff.keySet(), what + ": differentiated tensors");
        for (Map.Entry<String, Tensor> e : diff.entrySet()) {
            Fx.close(Fixtures.tensor(grads, e.getKey()), e.getValue().grad(), d, what + " grad " + e.getKey());
        }
        if (m != null) {
            assertEquals(train, m.isTraining());
        }
    }

    private static Tensor input(Map<String, Object> in, String k, DType d, Map<String, Tensor> diff) {
        Tensor t = Fx.t(in, k, d).requiresGrad(true);
        diff.put(k, t);
        return t;
    }

    /** Loads the fixture's parameters as a strict state dict and registers them for gradient checks. */
    private static Module prepare(Module m, Map<String, Object> c, DType d, boolean train, Map<String, Tensor> diff) {
        m.to(d);
        m.train(train);
        Map<String, Object> params = Fixtures.map(c, "params");
        Map<String, Tensor> sd = new LinkedHashMap<>();
        for (String p : params.keySet()) {
            sd.put(p, Fx.t(params, p, d));
        }
        m.loadStateDict(sd, true);
        for (String p : sd.keySet()) {
            diff.put(p, m.namedParameters().get(p));
        }
        return m;
    }
}
