package dev.vgrad.core;

import dev.vgrad.core.testing.Fixtures.FixtureTensor;
import java.util.Arrays;

/** Test helpers: fixture conversion and random tensors drawn from a seeded {@link Generator}. */
final class TestTensors {
    private TestTensors() {}

    /** A fixture tensor as a vgrad tensor of {@code floatType} (bool/int64 become int64, or 0/1 floats when asked). */
    static Tensor of(FixtureTensor t, DType floatType) {
        if (t.dtype().equals("bool")) {
            return Tensor.ofLongs(t.longs(), t.shape()).to(DType.BOOL);
        }
        if (!t.isFloating()) {
            return Tensor.ofLongs(t.longs(), t.shape());
        }
        return floatType == DType.FLOAT64 ? Tensor.of(t.data().clone(), t.shape()) : Tensor.of(t.floats(), t.shape());
    }

    /** PyTorch's comparison named {@code op} (eq, ne, lt, le, gt, ge; anything else is ge) of two tensors. */
    static Tensor compare(String op, Tensor a, Tensor b) {
        return switch (op) {
            case "eq" -> a.eq(b);
            case "ne" -> a.ne(b);
            case "lt" -> a.lt(b);
            case "le" -> a.le(b);
            case "gt" -> a.gt(b);
            default -> a.ge(b);
        };
    }

    /** The comparison named {@code op} of a tensor with a scalar. */
    static Tensor compare(String op, Tensor a, double s) {
        return switch (op) {
            case "eq" -> a.eq(s);
            case "ne" -> a.ne(s);
            case "lt" -> a.lt(s);
            case "le" -> a.le(s);
            case "gt" -> a.gt(s);
            default -> a.ge(s);
        };
    }

    /** Uniform values in [lo, hi) as float64. */
    static Tensor uniform(Generator g, double lo, double hi, int... shape) {
        int n = Shape.numel(shape);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = lo + (hi - lo) * g.nextDouble();
        }
        return Tensor.of(d, shape);
    }

    /** Values in ±[minAbs, maxAbs) (away from 0), float64. */
    static Tensor awayFromZero(Generator g, double minAbs, double maxAbs, int... shape) {
        int n = Shape.numel(shape);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            double v = minAbs + (maxAbs - minAbs) * g.nextDouble();
            d[i] = g.nextBernoulli(0.5) ? v : -v;
        }
        return Tensor.of(d, shape);
    }

    /** A random shape of the given rank with sizes in [1, maxSize]. */
    static int[] shape(Generator g, int rank, int maxSize) {
        int[] s = new int[rank];
        for (int i = 0; i < rank; i++) {
            s[i] = 1 + (int) g.nextLong(maxSize);
        }
        return s;
    }

    /** A shape broadcastable to {@code full}: some leading dims dropped, some dims set to 1. */
    static int[] broadcastable(Generator g, int[] full) {
        int drop = (int) g.nextLong(full.length + 1);
        int[] s = Arrays.copyOfRange(full, drop, full.length);
        for (int i = 0; i < s.length; i++) {
            if (g.nextBernoulli(0.3)) {
                s[i] = 1;
            }
        }
        return s;
    }

    static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
