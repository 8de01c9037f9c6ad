package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PyTorch fixtures for dropout, drop path, Linear, Conv2d, every loss and the NaN-propagation cases of the
 * losses: outputs and input/parameter gradients, in float64 and float32 (docs/SEMANTICS.md §12 tolerances).
 */
class ConformanceTest {
    static final Map<String, Object> DROPOUT = Fixtures.load("dropout.json");
    static final Map<String, Object> DROPPATH = Fixtures.load("droppath.json");
    static final Map<String, Object> LINEAR = Fixtures.load("linear.json");
    static final Map<String, Object> CONV = Fixtures.load("conv2d_module.json");
    static final Map<String, Object> LOSSES = Fixtures.load("losses.json");
    static final Map<String, Object> NANS = Fixtures.load("nan_propagation.json");

    private static Stream<Arguments> both(Map<String, Object> root) {
        List<Arguments> out = new ArrayList<>();
        for (String n : Fixtures.caseNames(root)) {
            out.add(Arguments.of(n, DType.FLOAT64));
            out.add(Arguments.of(n, DType.FLOAT32));
        }
        return out.stream();
    }

    static Stream<Arguments> dropoutCases() {
        return both(DROPOUT);
    }

    static Stream<Arguments> dropPathCases() {
        return both(DROPPATH);
    }

    static Stream<Arguments> linearCases() {
        return both(LINEAR);
    }

    static Stream<Arguments> convCases() {
        return both(CONV);
    }

    static Stream<Arguments> lossCases() {
        return both(LOSSES);
    }

    static Stream<Arguments> nanLossCases() {
        List<Arguments> out = new ArrayList<>();
        for (String n : Fixtures.caseNames(NANS)) {
            if (n.startsWith("cross_entropy") || n.startsWith("mse") || n.startsWith("softmax")
                    || n.startsWith("log_softmax")) {
                out.add(Arguments.of(n, DType.FLOAT64));
                out.add(Arguments.of(n, DType.FLOAT32));
            }
        }
        return out.stream();
    }

    /** Checks out / grads of a case whose forward is {@code fn}; {@code diff} maps grad names to tensors. */
    private static void check(Map<String, Object> c, Tensor out, Map<String, Tensor> diff, DType d) {
        String name = (String) c.get("name") + " (" + d + ")";
        Fx.close(Fixtures.tensor(Fixtures.map(c, "outputs"), "out"), out, d, name + " out");
        Map<String, Object> gouts = Fixtures.map(c, "grad_outputs");
        if (gouts == null) {
            return;
        }
        out.backward(Fx.t(gouts, "out", d));
        Map<String, Object> grads = Fixtures.map(c, "grads");
        for (Map.Entry<String, Tensor> e : diff.entrySet()) {
            if (Fx.has(grads, e.getKey())) {
                Tensor g = e.getValue().grad();
                if (g == null) {
                    g = e.getValue().zerosLike();
                }
                Fx.close(Fixtures.tensor(grads, e.getKey()), g, d, name + " grad " + e.getKey());
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dropoutCases")
    void dropout(String name, DType d) {
        Map<String, Object> c = Fixtures.caseNamed(DROPOUT, name);
        Map<String, Object> args = Fixtures.map(c, "args");
        Map<String, Object> in = Fixtures.map(c, "inputs");
        double p = Fixtures.number(args.get("p"));
        boolean training = (Boolean) args.get("training");
        Tensor x = Fx.t(in, "input", d).requiresGrad(true);
        Tensor y;
        if (Fx.has(in, "mask")) {
            y = F.dropoutWithMask(x, Fx.t(in, "mask", d), p);
        } else {
            Dropout m = new Dropout(p);
            m.train(training);
            y = m.forward(x);
            Tensor y2 = F.dropout(x, p, training);
            if (p == 0 || !training) {
                assertSame(x, y, "identity regime must return the input itself");
                assertSame(x, y2);
            }
        }
        check(c, y, Map.of("input", x), d);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dropPathCases")
    void dropPath(String name, DType d) {
        Map<String, Object> c = Fixtures.caseNamed(DROPPATH, name);
        Map<String, Object> args = Fixtures.map(c, "args");
        Map<String, Object> in = Fixtures.map(c, "inputs");
        double p = Fixtures.number(args.get("drop_prob"));
        boolean training = (Boolean) args.get("training");
        boolean sbk = (Boolean) args.get("scale_by_keep");
        Tensor x = Fx.t(in, "input", d).requiresGrad(true);
        Tensor y = F.dropPathWithMask(x, Fx.t(in, "mask", d), p, training, sbk);
        if (p == 0 || !training) {
            assertSame(x, y);
            DropPath m = new DropPath(p, sbk, null);
            m.train(training);
            assertSame(x, m.forward(x));
        }
        if (p == 1 && training) {
            // the module draws its own mask; with drop_prob 1 every mask entry is 0, so it matches exactly
            DropPath m = new DropPath(p, sbk, null);
            Fx.close(Fixtures.tensor(Fixtures.map(c, "outputs"), "out"), m.forward(x.detach()), d, name + " module");
        }
        check(c, y, Map.of("input", x), d);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("linearCases")
    void linear(String name, DType d) {
        Map<String, Object> c = Fixtures.caseNamed(LINEAR, name);
        Map<String, Object> args = Fixtures.map(c, "args");
        Map<String, Object> params = Fixtures.map(c, "params");
        boolean bias = (Boolean) args.get("bias");
        Linear m = new Linear(((Number) args.get("in_features")).intValue(),
                ((Number) args.get("out_features")).intValue(), bias);
        m.to(d);
        Fx.set(m.weight(), Fx.t(params, "weight", d));
        if (bias) {
            Fx.set(m.bias(), Fx.t(params, "bias", d));
        }
        Tensor x = Fx.t(Fixtures.map(c, "inputs"), "input", d).requiresGrad(true);
        Tensor y = m.forward(x);
        Map<String, Tensor> diff = new java.util.HashMap<>(Map.of("input", x, "weight", m.weight()));
        if (bias) {
            diff.put("bias", m.bias());
        }
        check(c, y, diff, d);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("convCases")
    void conv2d(String name, DType d) {
        Map<String, Object> c = Fixtures.caseNamed(CONV, name);
        Map<String, Object> a = Fixtures.map(c, "args");
        Map<String, Object> params = Fixtures.map(c, "params");
        boolean bias = (Boolean) a.get("bias");
        int cin = ((Number) a.get("in_channels")).intValue();
        int cout = ((Number) a.get("out_channels")).intValue();
        int[] k = Fixtures.ints(a.get("kernel_size"));
        int[] s = Fixtures.ints(a.get("stride"));
        int[] dil = Fixtures.ints(a.get("dilation"));
        int groups = ((Number) a.get("groups")).intValue();
        Conv2d m = a.get("padding") instanceof String ps
                ? new Conv2d(cin, cout, k, s, ps, dil, groups, bias, new dev.vgrad.core.Generator(1))
                : new Conv2d(cin, cout, k, s, Fixtures.ints(a.get("padding")), dil, groups, bias,
                        new dev.vgrad.core.Generator(1));
        m.to(d);
        Fx.set(m.weight(), Fx.t(params, "weight", d));
        if (bias) {
            Fx.set(m.bias(), Fx.t(params, "bias", d));
        }
        Tensor x = Fx.t(Fixtures.map(c, "inputs"), "input", d).requiresGrad(true);
        Tensor y = m.forward(x);
        Map<String, Tensor> diff = new java.util.HashMap<>(Map.of("input", x, "weight", m.weight()));
        if (bias) {
            diff.put("bias", m.bias());
        }
        check(c, y, diff, d);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("lossCases")
    void losses(String name, DType d) {
        runLoss(Fixtures.caseNamed(LOSSES, name), d);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("nanLossCases")
    void nanPropagation(String name, DType d) {
        Map<String, Object> c = Fixtures.caseNamed(NANS, name);
        String op = (String) c.get("op");
        if (op.equals("softmax") || op.equals("log_softmax") || op.equals("relu")) {
            Tensor x = Fx.t(Fixtures.map(c, "inputs"), "input", d).requiresGrad(true);
            Tensor y = switch (op) {
                case "softmax" -> new Softmax(((Number) Fixtures.map(c, "args").get("dim")).intValue()).forward(x);
                case "log_softmax" -> new LogSoftmax(((Number) Fixtures.map(c, "args").get("dim")).intValue()).forward(x);
                default -> new ReLU().forward(x);
            };
            check(c, y, Map.of("input", x), d);
            return;
        }
        runLoss(c, d);
    }

    private static void runLoss(Map<String, Object> c, DType d) {
        String op = (String) c.get("op");
        Map<String, Object> a = Fixtures.map(c, "args");
        Map<String, Object> in = Fixtures.map(c, "inputs");
        Tensor x = Fx.t(in, "input", d).requiresGrad(true);
        Tensor t = Fx.t(in, "target", d);
        Tensor w = Fx.has(in, "weight") ? Fx.t(in, "weight", d) : null;
        String red = (String) a.get("reduction");
        Tensor y;
        switch (op) {
            case "cross_entropy" -> {
                long ign = ((Number) a.get("ignore_index")).longValue();
                double ls = Fixtures.number(a.get("label_smoothing"));
                y = new CrossEntropyLoss().weight(w).ignoreIndex(ign).labelSmoothing(ls).reduction(red).forward(x, t);
                if (ign == -100 && ls == 0 && w == null && red.equals("mean")) {
                    Tensor y2 = F.crossEntropy(x.detach(), t);
                    Fx.close(Fixtures.tensor(Fixtures.map(c, "outputs"), "out"), y2, d, "F.crossEntropy defaults");
                }
            }
            case "nll_loss" -> {
                long ign = ((Number) a.get("ignore_index")).longValue();
                y = new NLLLoss().weight(w).ignoreIndex(ign).reduction(red).forward(x, t);
            }
            case "mse_loss" -> y = new MSELoss().reduction(red).forward(x, t);
            case "binary_cross_entropy_with_logits" -> {
                Tensor pw = Fx.has(in, "pos_weight") ? Fx.t(in, "pos_weight", d) : null;
                y = new BCEWithLogitsLoss().weight(w).posWeight(pw).reduction(red).forward(x, t);
            }
            default -> throw new AssertionError("unknown loss op " + op);
        }
        assertEquals(d, y.dtype());
        check(c, y, Map.of("input", x), d);
    }
}
