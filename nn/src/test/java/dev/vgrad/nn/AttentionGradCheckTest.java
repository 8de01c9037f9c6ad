package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.GradCheck;
import dev.vgrad.core.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Float64 finite-difference checks (docs/SEMANTICS.md §21) of {@code F.scaledDotProductAttention} on the fused
 * path (plain, causal, float and int64 masks, scale) and of MultiheadAttention and the Transformer layers with
 * respect to their inputs and every parameter, through the fused path (need_weights = false) and the composed one
 * (need_weights = true), with masks; and of the two-layer TransformerDecoder stack (with and without final norm).
 */
class AttentionGradCheckTest {
    private final Generator gen = new Generator(20261205L);

    private Tensor rnd(int... shape) {
        return Tensor.randn(gen, shape).to(DType.FLOAT64).requiresGrad(true);
    }

    private static void ok(String what, Function<Tensor[], Tensor> f, Tensor... in) {
        GradCheck.Result r = GradCheck.check(f, in);
        assertTrue(r.passed(), what + ": " + r.report());
    }

    @Test
    void sdpaFusedPath() {
        Tensor fm = Tensor.randn(gen, 3, 5).to(DType.FLOAT64);
        Tensor bm = Tensor.of(new boolean[] {true, false, true, true, false, true, true, false, false, true, true, true,
            true, true, false}, 3, 5);
        ok("plain", t -> F.scaledDotProductAttention(t[0], t[1], t[2]), rnd(2, 3, 4), rnd(2, 5, 4), rnd(2, 5, 3));
        ok("causal", t -> F.scaledDotProductAttention(t[0], t[1], t[2], null, 0.0, true, null), rnd(2, 2, 5, 3),
                rnd(2, 2, 5, 3), rnd(2, 2, 5, 2));
        ok("float mask, scale", t -> F.scaledDotProductAttention(t[0], t[1], t[2], fm, 0.0, false, 0.7),
                rnd(2, 3, 4), rnd(2, 5, 4), rnd(2, 5, 3));
        ok("bool mask", t -> F.scaledDotProductAttention(t[0], t[1], t[2], bm, 0.0, false, null), rnd(1, 3, 2),
                rnd(1, 5, 2), rnd(1, 5, 4));
    }

    /** Runs {@code body} with the module's parameters replaced by the checked tensors (by state-dict name). */
    private static Function<Tensor[], Tensor> withParams(Module m, List<String> names, int first,
                                                         Function<Tensor[], Tensor> body) {
        return t -> {
            for (int i = 0; i < names.size(); i++) {
                String n = names.get(i);
                int dot = n.lastIndexOf('.');
                Module owner = dot < 0 ? m : m.getSubmodule(n.substring(0, dot));
                owner.registerParameter(n.substring(dot + 1), t[first + i]);
            }
            return body.apply(t);
        };
    }

    private static Tensor[] inputsAndParams(Module m, List<String> names, Tensor... inputs) {
        List<Tensor> all = new ArrayList<>(List.of(inputs));
        Map<String, Tensor> p = m.namedParameters();
        names.addAll(p.keySet());
        for (String n : names) {
            all.add(p.get(n).detach().requiresGrad(true));
        }
        return all.toArray(new Tensor[0]);
    }

    @Test
    void multiheadAttentionFusedAndComposed() {
        for (boolean need : new boolean[] {false, true}) {
            MultiheadAttention m = new MultiheadAttention(4, 2, 0.0, true, null, null, true, gen);
            m.to(DType.FLOAT64);
            List<String> names = new ArrayList<>();
            Tensor[] in = inputsAndParams(m, names, rnd(2, 3, 4));
            assertEquals(List.of("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"), names);
            Tensor kpm = Tensor.ofLongs(new long[] {0, 0, 1, 0, 1, 0}, 2, 3).to(DType.BOOL);
            Tensor am = Tensor.randn(gen, 3, 3).to(DType.FLOAT64);
            ok("mha need_weights=" + need, withParams(m, names, 1, t -> {
                MultiheadAttention.Output o = m.forward(t[0], t[0], t[0], kpm, need, am, true);
                return need ? o.output().sum().add(o.weights().mul(o.weights()).sum()) : o.output();
            }), in);
        }
    }

    @Test
    void multiheadAttentionKdimVdimNoBias() {
        MultiheadAttention m = new MultiheadAttention(4, 1, 0.0, false, 3, 2, false, gen);
        m.to(DType.FLOAT64);
        List<String> names = new ArrayList<>();
        Tensor[] in = inputsAndParams(m, names, rnd(2, 2, 4), rnd(3, 2, 3), rnd(3, 2, 2));
        assertEquals(List.of("q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight"), names);
        ok("mha kdim/vdim", withParams(m, names, 3, t -> m.forward(t[0], t[1], t[2], null, false, null, true)
                .output()), in);
    }

    @Test
    void transformerLayers() {
        for (boolean normFirst : new boolean[] {false, true}) {
            TransformerEncoderLayer enc = new TransformerEncoderLayer(4, 2, 6, 0.0, normFirst ? "gelu" : "relu", 1e-5,
                    false, normFirst, gen);
            enc.to(DType.FLOAT64);
            List<String> names = new ArrayList<>();
            Tensor[] in = inputsAndParams(enc, names, rnd(3, 2, 4));
            Tensor causal = Tensor.zeros(DType.FLOAT64, 3, 3).maskedFill(Tensor.ones(DType.BOOL, 3, 3).triu(1),
                    Double.NEGATIVE_INFINITY);
            ok("encoder layer normFirst=" + normFirst, withParams(enc, names, 1,
                    t -> enc.forward(t[0], causal, null)), in);

            TransformerDecoderLayer dec = new TransformerDecoderLayer(4, 2, 6, 0.0, "relu", 1e-5, true, normFirst, gen);
            dec.to(DType.FLOAT64);
            List<String> dn = new ArrayList<>();
            Tensor[] din = inputsAndParams(dec, dn, rnd(2, 3, 4), rnd(2, 2, 4));
            ok("decoder layer normFirst=" + normFirst, withParams(dec, dn, 2,
                    t -> dec.forward(t[0], t[1], causal, null, null, null)), din);
        }
    }

    @Test
    void transformerDecoderStack() {
        for (boolean normFirst : new boolean[] {false, true}) {
            TransformerDecoderLayer layer = new TransformerDecoderLayer(4, 2, 6, 0.0, normFirst ? "gelu" : "relu",
                    1e-5, true, normFirst, gen);
            TransformerDecoder dec = new TransformerDecoder(layer, 2, normFirst ? null : new LayerNorm(4));
            dec.to(DType.FLOAT64);
            List<String> names = new ArrayList<>();
            Tensor[] in = inputsAndParams(dec, names, rnd(2, 3, 4), rnd(2, 2, 4));
            assertEquals(normFirst ? 36 : 38, names.size());
            Tensor causal = Tensor.zeros(DType.FLOAT64, 3, 3).maskedFill(Tensor.ones(DType.BOOL, 3, 3).triu(1),
                    Double.NEGATIVE_INFINITY);
            Tensor memKpm = Tensor.ofLongs(new long[] {0, 1, 0, 0}, 2, 2).to(DType.BOOL);
            ok("decoder stack normFirst=" + normFirst, withParams(dec, names, 2,
                    t -> dec.forward(t[0], t[1], causal, null, null, memKpm)), in);
        }
    }
}
