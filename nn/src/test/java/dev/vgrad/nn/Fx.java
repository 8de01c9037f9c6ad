package dev.vgrad.nn;


import dev.vgrad.core.DType;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Fixtures;
import dev.vgrad.core.testing.Fixtures.FixtureTensor;
import java.util.LinkedHashMap;
import java.util.Map;

/** Test helpers: fixture tensors to vgrad tensors, tolerance checks. */
final class Fx {
    private Fx() {}

    /** A fixture tensor as a vgrad tensor: bool and int64 keep their dtype, floats become {@code dtype}. */
    static Tensor t(FixtureTensor f, DType dtype) {
        if (f.dtype().equals("bool")) {
            return Tensor.ofLongs(f.longs(), f.shape()).to(DType.BOOL);
        }
        if (f.longs() != null) {
            return Tensor.ofLongs(f.longs(), f.shape());
        }
        return dtype == DType.FLOAT64 ? Tensor.of(f.data(), f.shape()) : Tensor.of(f.floats(), f.shape());
    }

    static Tensor t(Object node, String key, DType dtype) {
        return t(Fixtures.tensor(node, key), dtype);
    }

    static boolean has(Object node, String key) {
        return node instanceof Map<?, ?> m && m.get(key) != null;
    }

    /**
     * The leaves of a recurrent fixture case: the input and the optional h0/c0 as tensors requiring grad, and
     * {@code diff}, the tensors whose gradients the case checks in order (input, h0, c0, then every parameter of
     * {@code m} after the case's {@code params} are loaded into it strictly).
     */
    record RnnLeaves(Tensor x, Tensor h0, Tensor c0, Map<String, Tensor> diff) {}

    static RnnLeaves rnnLeaves(Module m, Map<String, Object> params, Map<String, Object> in, DType d) {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        for (String p : params.keySet()) {
            sd.put(p, t(params, p, d));
        }
        m.loadStateDict(sd, true);
        Map<String, Tensor> diff = new LinkedHashMap<>();
        Tensor x = t(in, "input", d).requiresGrad(true);
        diff.put("input", x);
        Tensor h0 = has(in, "h0") ? t(in, "h0", d).requiresGrad(true) : null;
        Tensor c0 = has(in, "c0") ? t(in, "c0", d).requiresGrad(true) : null;
        if (h0 != null) {
            diff.put("h0", h0);
        }
        if (c0 != null) {
            diff.put("c0", c0);
        }
        for (String p : sd.keySet()) {
            diff.put(p, m.param(p));
        }
        return new RnnLeaves(x, h0, c0, diff);
    }

    static double atol(DType d) {
        return d == DType.FLOAT64 ? Fixtures.F64_ATOL : Fixtures.F32_ATOL;
    }

    static double rtol(DType d) {
        return d == DType.FLOAT64 ? Fixtures.F64_RTOL : Fixtures.F32_RTOL;
    }

    static void close(FixtureTensor expected, Tensor actual, DType d, String what) {
        Fixtures.assertClose(expected, actual.shape(), actual.toDoubleArray(), atol(d), rtol(d), what);
    }

    static void close(FixtureTensor expected, Tensor actual, double atol, double rtol, String what) {
        Fixtures.assertClose(expected, actual.shape(), actual.toDoubleArray(), atol, rtol, what);
    }

    /** Copies {@code value} into {@code dst} in place under no-grad. */
    static void set(Tensor dst, Tensor value) {
        try (Grad.Scope off = Grad.disabled()) {
            dst.copy_(value);
        }
    }
}
