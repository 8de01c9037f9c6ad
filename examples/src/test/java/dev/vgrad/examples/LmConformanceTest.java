package dev.vgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.io.Json;
import dev.vgrad.nn.F;
import dev.vgrad.nn.Module;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Java models and their PyTorch twins are the same model: {@code bench/lm/make_fixture.py} builds a tiny
 * CharGpt (tied and untied) and LstmLm with PyTorch, and records one batch's loss and every parameter's gradient;
 * here the same weights are loaded by name (so names and shapes must agree) and loss and gradients must match to
 * float32 rounding (attention, masking, GELU, LayerNorm, tying, LSTM gate order all enter the gradients).
 */
class LmConformanceTest {
    @SuppressWarnings("unchecked")
    static Map<String, Object> fixture(String name) throws IOException {
        try (InputStream in = LmConformanceTest.class.getResourceAsStream("/lm/lm_fixture.json")) {
            Map<String, Object> root = (Map<String, Object>) Json.parse(in.readAllBytes());
            for (Object c : (List<Object>) root.get("cases")) {
                Map<String, Object> m = (Map<String, Object>) c;
                if (name.equals(m.get("name"))) {
                    return m;
                }
            }
        }
        throw new AssertionError("no fixture case " + name);
    }

    static float[] floats(Object list) {
        List<?> l = (List<?>) list;
        float[] a = new float[l.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = ((Number) l.get(i)).floatValue();
        }
        return a;
    }

    static long[] longs(Object list) {
        List<?> l = (List<?>) list;
        long[] a = new long[l.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = ((Number) l.get(i)).longValue();
        }
        return a;
    }

    static int[] ints(Object list) {
        List<?> l = (List<?>) list;
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = ((Number) l.get(i)).intValue();
        }
        return a;
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest
    @ValueSource(strings = {"gpt", "gpt_untied", "lstm"})
    void lossAndEveryGradientMatchPyTorch(String name) throws IOException {
        Map<String, Object> c = fixture(name);
        Map<String, String> spec = new LinkedHashMap<>();
        ((Map<String, Object>) c.get("spec")).forEach((k, v) -> spec.put(k, String.valueOf(v)));
        Module model = LmTrain.build(spec, new Generator(99));
        Map<String, Object> params = (Map<String, Object>) c.get("params");
        Map<String, Tensor> state = new LinkedHashMap<>();
        params.forEach((k, v) -> {
            Map<String, Object> p = (Map<String, Object>) v;
            state.put(k, Tensor.of(floats(p.get("data")), ints(p.get("shape"))));
        });
        var result = model.loadStateDict(state); // strict: every name and shape must agree both ways
        assertTrue(result.missingKeys().isEmpty() && result.unexpectedKeys().isEmpty(), result.toString());

        int[] shape = ints(c.get("shape"));
        Tensor x = Tensor.ofLongs(longs(c.get("x")), shape);
        Tensor y = Tensor.ofLongs(longs(c.get("y")), shape[0] * shape[1]);
        model.train();
        Tensor logits = model.call(x);
        Tensor loss = F.crossEntropy(logits.view(shape[0] * shape[1], LmData.vocabSize()), y);
        loss.backward();
        double want = ((Number) c.get("loss")).doubleValue();
        assertEquals(want, loss.item(), 2e-5 * Math.abs(want), name + " loss");
        double wantAbs = ((Number) c.get("logits_sum_abs")).doubleValue();
        assertEquals(wantAbs, logits.abs().sum().item(), 1e-4 * wantAbs, name + " sum |logits|");

        Map<String, Tensor> named = model.namedParameters();
        assertEquals(params.keySet(), named.keySet(), "parameter names");
        for (var e : params.entrySet()) {
            float[] g = floats(((Map<String, Object>) e.getValue()).get("grad"));
            float[] got = named.get(e.getKey()).grad().contiguous().toArray();
            double scale = 0;
            for (float v : g) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < g.length; i++) {
                // float32 rounding of sums over ≤ B·T·V terms, relative to the tensor's largest gradient
                assertEquals(g[i], got[i], 1e-4 * scale + 1e-7, name + " grad " + e.getKey() + "[" + i + "]");
            }
        }
    }
}
