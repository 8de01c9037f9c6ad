package dev.vgrad.nn.testing;

import dev.vgrad.nn.Module;
import java.lang.ref.WeakReference;

/** Comparisons and names for {@link ModuleChecks}' messages. */
final class Outputs {
    private Outputs() {}

    /**
     * The first flat index where {@code actual} differs from {@code expected}, or -1. With {@code rtol == 0} the
     * values must be bit-identical; otherwise {@code |a − e| ≤ rtol·max(1, |e|)}. NaN matches NaN only.
     */
    static int firstDifference(double[] expected, double[] actual, double rtol) {
        if (expected.length != actual.length) {
            return Math.min(expected.length, actual.length);
        }
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            boolean same = rtol == 0
                    ? Double.doubleToLongBits(e) == Double.doubleToLongBits(a)
                    : (Double.isNaN(e) ? Double.isNaN(a) : e == a || Math.abs(a - e) <= rtol * Math.max(1, Math.abs(e)));
            if (!same) {
                return i;
            }
        }
        return -1;
    }

    /** The multi-dimensional index of flat (row-major) index {@code flat} in {@code shape}. */
    static int[] unravel(int flat, int[] shape) {
        int[] index = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] > 0) {
                index[d] = flat % shape[d];
                flat /= shape[d];
            }
        }
        return index;
    }

    /**
     * Whether {@code ref}'s referent is collected after up to 20 collections: a referent nothing references goes
     * in the first full collection, so only a real reference keeps it through all twenty.
     */
    static boolean collected(WeakReference<?> ref) {
        for (int i = 0; i < 20 && ref.get() != null; i++) {
            System.gc();
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return ref.get() == null;
    }

    /** The module's printed class name (its {@code toString()} up to the first parenthesis). */
    static String typeName(Module m) {
        String s = m.toString();
        int paren = s.indexOf('(');
        return paren < 0 ? s : s.substring(0, paren);
    }
}
