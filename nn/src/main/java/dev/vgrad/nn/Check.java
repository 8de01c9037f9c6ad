package dev.vgrad.nn;

/** Argument checks for layers and functionals; every failure is an IllegalArgumentException naming the op. */
final class Check {
    private Check() {}

    static <T> T nonNull(String op, String arg, T v) {
        if (v == null) {
            throw new IllegalArgumentException(op + ": argument '" + arg + "' must not be null");
        }
        return v;
    }

    /** Every entry of {@code v} (1 or 2 entries) must be positive. */
    static void positive(String op, String what, int... v) {
        nonNull(op, what, v);
        for (int x : v) {
            if (x <= 0) {
                throw new IllegalArgumentException(op + ": " + what + " must be positive, got " + java.util.Arrays.toString(v));
            }
        }
    }

    static void nonNegative(String op, String what, int... v) {
        nonNull(op, what, v);
        for (int x : v) {
            if (x < 0) {
                throw new IllegalArgumentException(op + ": " + what + " must be non-negative, got "
                        + java.util.Arrays.toString(v));
            }
        }
    }

    /** eps must be finite and non-negative. */
    static double eps(String op, double eps) {
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps must be a finite non-negative number, got " + eps);
        }
        return eps;
    }

    /** A probability in [0, 1] (NaN rejected). */
    static double probability(String op, String what, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(op + ": " + what + " has to be between 0 and 1, but got " + Py.repr(p));
        }
        return p;
    }

    /** A 1- or 2-element size argument as a pair (PyTorch's {@code _pair}); anything else is rejected. */
    static int[] pair(String op, String what, int[] v) {
        if (v == null || (v.length != 1 && v.length != 2)) {
            throw new IllegalArgumentException(op + ": " + what + " must have 1 or 2 elements");
        }
        return v.length == 1 ? new int[] {v[0], v[0]} : v.clone();
    }
}
