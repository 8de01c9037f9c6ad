package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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

/** batchnorm.json: BatchNorm1d/2d stepped through train/eval against PyTorch (outputs, grads, buffers). */
class BatchNormConformanceTest {
    static final Map<String, Object> ROOT = Fixtures.load("batchnorm.json");

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String n : Fixtures.caseNames(ROOT)) {
            out.add(Arguments.of(n, DType.FLOAT64));
            out.add(Arguments.of(n, DType.FLOAT32));
        }
        return out.stream();
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void conformance(String name, DType dtype) {
        Map<String, Object> c = Fixtures.caseNamed(ROOT, name);
        Map<String, Object> a = Fixtures.map(c, "args");
        int nf = ((Number) a.get("num_features")).intValue();
        double eps = Fixtures.number(a.get("eps"));
        Double momentum = a.get("momentum") == null ? null : Fixtures.number(a.get("momentum"));
        boolean affine = (Boolean) a.get("affine");
        boolean track = (Boolean) a.get("track_running_stats");
        AbstractBatchNorm bn = c.get("op").equals("BatchNorm1d")
                ? new BatchNorm1d(nf, eps, momentum, affine, track)
                : new BatchNorm2d(nf, eps, momentum, affine, track);
        bn.to(dtype);
        Map<String, Object> params = Fixtures.map(c, "params");
        if (affine) {
            Fx.set(bn.weight(), Fx.t(params, "weight", dtype));
            Fx.set(bn.bias(), Fx.t(params, "bias", dtype));
        } else {
            assertNull(bn.weight());
            assertEquals(0, bn.parameters().size());
        }
        Map<String, Object> buffers = Fixtures.map(c, "buffers");
        if (buffers != null) {
            Fx.set(bn.runningMean(), Fx.t(buffers, "running_mean", dtype));
            Fx.set(bn.runningVar(), Fx.t(buffers, "running_var", dtype));
            Fx.set(bn.numBatchesTracked(), Fx.t(buffers, "num_batches_tracked", dtype));
        } else {
            assertNull(bn.runningMean());
            assertEquals(affine ? List.of("weight", "bias") : List.of(), new ArrayList<>(bn.stateDict().keySet()));
        }
        double atol = dtype == DType.FLOAT64 ? Fixtures.F64_ATOL : 1e-4;
        double rtol = Fx.rtol(dtype);
        int stepNo = 0;
        for (Object so : Fixtures.list(c, "steps")) {
            Map<String, Object> step = (Map<String, Object>) so;
            String where = name + " step " + stepNo++ + " (" + dtype + ")";
            bn.train("train".equals(step.get("mode")));
            checkBuffers(bn, Fixtures.map(step, "buffers_before"), dtype, where + " buffers before");
            bn.zeroGrad();
            Tensor x = Fx.t(Fixtures.map(step, "inputs"), "input", dtype).requiresGrad(true);
            Tensor y = bn.forward(x);
            Fx.close(Fixtures.tensor(Fixtures.map(step, "outputs"), "out"), y, Fx.atol(dtype), rtol, where + " out");
            y.backward(Fx.t(Fixtures.map(step, "grad_outputs"), "out", dtype));
            Map<String, Object> grads = Fixtures.map(step, "grads");
            Fx.close(Fixtures.tensor(grads, "input"), x.grad(), atol, rtol, where + " grad input");
            if (affine) {
                Fx.close(Fixtures.tensor(grads, "weight"), bn.weight().grad(), atol, rtol, where + " grad weight");
                Fx.close(Fixtures.tensor(grads, "bias"), bn.bias().grad(), atol, rtol, where + " grad bias");
            }
            checkBuffers(bn, Fixtures.map(step, "buffers_after"), dtype, where + " buffers after");
        }
    }

    private static void checkBuffers(AbstractBatchNorm bn, Map<String, Object> expected, DType dtype, String where) {
        if (expected == null) {
            assertNull(bn.runningMean(), where);
            assertNull(bn.runningVar(), where);
            assertNull(bn.numBatchesTracked(), where);
            return;
        }
        Fx.close(Fixtures.tensor(expected, "running_mean"), bn.runningMean(), Fx.atol(dtype), Fx.rtol(dtype),
                where + " running_mean");
        Fx.close(Fixtures.tensor(expected, "running_var"), bn.runningVar(), Fx.atol(dtype), Fx.rtol(dtype),
                where + " running_var");
        Fixtures.assertEqualLongs(Fixtures.tensor(expected, "num_batches_tracked").longs(),
                bn.numBatchesTracked().toLongArray(), where + " num_batches_tracked");
    }
}
