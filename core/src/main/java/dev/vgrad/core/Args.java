package dev.vgrad.core;

/** Argument checks shared by the op families: every failure names the op (IllegalArgumentException). */
final class Args {
    private Args() {}

    /** {@code t} itself, or an IllegalArgumentException naming the op and the argument when it is null. */
    static <T> T nonNull(String op, String arg, T t) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": argument '" + arg + "' must not be null");
        }
        return t;
    }

    /** Rejects NaN and infinities. */
    static double finite(String op, String arg, double v) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(op + ": " + arg + " must be finite, got " + v);
        }
        return v;
    }
}
