package dev.vgrad.nn;


import dev.vgrad.core.DType;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Fixtures;
import dev.vgrad.core.testing.Fixtures.FixtureTensor;
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
