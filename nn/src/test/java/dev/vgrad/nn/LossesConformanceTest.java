package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Fixtures;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PyTorch fixtures (tools/fixtures/loss_fixtures.py) for L1Loss, SmoothL1Loss, HuberLoss, KLDivLoss and BCELoss:
 * outputs and the input and target gradients PyTorch computes, every reduction, float64 and float32
 * (docs/SEMANTICS.md §12 tolerances). Each case runs through the module and again through {@link F}.
 */
class LossesConformanceTest {
    static final Map<String, Object> ROOT = Fixtures.load("losses_more.json");

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String n : Fixtures.caseNames(ROOT)) {
            for (boolean module : new boolean[] {true, false}) {
                out.add(Arguments.of(n, DType.FLOAT64, module));
                out.add(Arguments.of(n, DType.FLOAT32, module));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} module={2}")
    @MethodSource("cases")
    void matchesPyTorch(String name, DType d, boolean module) {
        Map<String, Object> c = Fixtures.caseNamed(ROOT, name);
        Map<String, Object> a = Fixtures.map(c, "args");
        Map<String, Object> in = Fixtures.map(c, "inputs");
        Map<String, Object> grads = Fixtures.map(c, "grads");
        Tensor x = Fx.t(in, "input", d).requiresGrad(true);
        Tensor t = Fx.t(in, "target", d).requiresGrad(Fx.has(grads, "target"));
        Tensor w = Fx.has(in, "weight") ? Fx.t(in, "weight", d) : null;
        String red = (String) a.get("reduction");
        Tensor y = switch ((String) c.get("op")) {
            case "l1_loss" -> module ? new L1Loss().reduction(red).forward(x, t) : F.l1Loss(x, t, red);
            case "smooth_l1_loss" -> {
                double beta = Fixtures.number(a.get("beta"));
                yield module ? new SmoothL1Loss(beta).reduction(red).forward(x, t) : F.smoothL1Loss(x, t, red, beta);
            }
            case "huber_loss" -> {
                double delta = Fixtures.number(a.get("delta"));
                yield module ? new HuberLoss(delta).reduction(red).forward(x, t) : F.huberLoss(x, t, red, delta);
            }
            case "kl_div" -> {
                boolean lt = (Boolean) a.get("log_target");
                yield module ? new KLDivLoss().logTarget(lt).reduction(red).forward(x, t) : F.klDiv(x, t, red, lt);
            }
            case "binary_cross_entropy" -> module ? new BCELoss().weight(w).reduction(red).forward(x, t)
                    : F.binaryCrossEntropy(x, t, w, red);
            default -> throw new AssertionError("unknown loss op " + c.get("op"));
        };
        assertEquals(d, y.dtype());
        String label = name + " (" + d + ")";
        Fx.close(Fixtures.tensor(Fixtures.map(c, "outputs"), "out"), y, d, label + " out");
        y.backward(Fx.t(Fixtures.map(c, "grad_outputs"), "out", d));
        Map<String, Tensor> diff = new LinkedHashMap<>();
        diff.put("input", x);
        diff.put("target", t);
        for (Map.Entry<String, Tensor> e : diff.entrySet()) {
            if (Fx.has(grads, e.getKey())) {
                Fx.close(Fixtures.tensor(grads, e.getKey()), e.getValue().grad(), d, label + " grad " + e.getKey());
            }
        }
    }
}
