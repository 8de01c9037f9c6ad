package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

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
 * NaN/Inf propagation through relu, reductions, maximum and pooling, forward and backward, against PyTorch
 * 1.13 ({@code nan_propagation.json}; the loss and softmax cases run in {@link ConformanceTest}).
 */
class NanPropagationTest {
    static final Map<String, Object> NANS = Fixtures.load("nan_propagation.json");

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String n : Fixtures.caseNames(NANS)) {
            String op = (String) Fixtures.caseNamed(NANS, n).get("op");
            if (!op.equals("cross_entropy") && !op.equals("mse_loss") && !op.equals("softmax")
                    && !op.equals("log_softmax")) {
                out.add(Arguments.of(n, DType.FLOAT64));
                out.add(Arguments.of(n, DType.FLOAT32));
            }
        }
        return out.stream();
    }

    private static int[] ints(Object o) {
        return Fixtures.ints(o);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void propagates(String name, DType d) {
        Map<String, Object> c = Fixtures.caseNamed(NANS, name);
        String op = (String) c.get("op");
        Map<String, Object> a = Fixtures.map(c, "args");
        Map<String, Object> in = Fixtures.map(c, "inputs");
        Map<String, Object> outs = Fixtures.map(c, "outputs");
        String what = name + " (" + d + ")";
        if (op.equals("maximum")) {
            Tensor x = Fx.t(in, "a", d).requiresGrad(true);
            Tensor y = Fx.t(in, "b", d).requiresGrad(true);
            Tensor out = x.maximum(y);
            Fx.close(Fixtures.tensor(outs, "out"), out, d, what + " out");
            out.backward(Fx.t(Fixtures.map(c, "grad_outputs"), "out", d));
            Fx.close(Fixtures.tensor(Fixtures.map(c, "grads"), "a"), x.grad(), d, what + " grad a");
            Fx.close(Fixtures.tensor(Fixtures.map(c, "grads"), "b"), y.grad(), d, what + " grad b");
            return;
        }
        Tensor x = Fx.t(in, "input", d).requiresGrad(true);
        if (op.equals("argmax")) {
            Tensor idx = x.argmax(((Number) a.get("dim")).intValue(), (Boolean) a.get("keepdim"));
            assertArrayEquals(Fixtures.tensor(outs, "out").longs(), idx.toLongArray(), what);
            return;
        }
        String outKey = "out";
        Tensor out = switch (op) {
            case "relu" -> new ReLU().forward(x);
            case "sum" -> x.sum();
            case "max" -> x.max();
            case "min" -> x.min();
            case "max_dim" -> x.max(((Number) a.get("dim")).intValue(), (Boolean) a.get("keepdim"));
            case "min_dim" -> x.min(((Number) a.get("dim")).intValue(), (Boolean) a.get("keepdim"));
            case "amax" -> x.amax(ints(a.get("dim")), (Boolean) a.get("keepdim"));
            case "max_pool2d" -> x.maxPool2d(ints(a.get("kernel_size")), ints(a.get("stride")), ints(a.get("padding")),
                    ints(a.get("dilation")), (Boolean) a.get("ceil_mode"));
            case "avg_pool2d" -> x.avgPool2d(ints(a.get("kernel_size")), ints(a.get("stride")), ints(a.get("padding")),
                    (Boolean) a.get("ceil_mode"), (Boolean) a.get("count_include_pad"));
            case "adaptive_avg_pool2d" -> x.adaptiveAvgPool2d(ints(a.get("output_size"))[0], ints(a.get("output_size"))[1]);
            default -> throw new AssertionError("unknown op " + op);
        };
        if (op.equals("max_dim") || op.equals("min_dim")) {
            outKey = "values";
            Tensor idx = op.equals("max_dim")
                    ? x.detach().argmax(((Number) a.get("dim")).intValue(), (Boolean) a.get("keepdim"))
                    : x.detach().argmin(((Number) a.get("dim")).intValue(), (Boolean) a.get("keepdim"));
            assertArrayEquals(Fixtures.tensor(outs, "indices").longs(), idx.toLongArray(), what + " indices");
        }
        Fx.close(Fixtures.tensor(outs, outKey), out, d, what + " " + outKey);
        Map<String, Object> gouts = Fixtures.map(c, "grad_outputs");
        out.backward(Fx.t(gouts, outKey, d));
        Fx.close(Fixtures.tensor(Fixtures.map(c, "grads"), "input"), x.grad(), d, what + " grad input");
    }
}
