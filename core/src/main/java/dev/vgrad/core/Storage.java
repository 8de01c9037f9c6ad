package dev.vgrad.core;

/**
 * The flat array behind one or more tensors, plus the version counter that views and {@code detach()}
 * results share (docs/SEMANTICS.md §5.7). Exactly one of the arrays is non-null.
 */
final class Storage {
    final float[] f;
    final double[] d;
    final long[] l;
    /**
     * True for a bool tensor's storage: {@link #l} holds only 0 and 1, and {@link #set} writes 1 for any nonzero
     * value (NaN included), as PyTorch converts to bool.
     */
    final boolean bool;
    /** Incremented by every in-place write through any tensor that shares this storage. */
    int version;

    private Storage(float[] f, double[] d, long[] l, boolean bool) {
        this.f = f;
        this.d = d;
        this.l = l;
        this.bool = bool;
    }

    static Storage of(float[] f) {
        return new Storage(f, null, null, false);
    }

    static Storage of(double[] d) {
        return new Storage(null, d, null, false);
    }

    static Storage of(long[] l) {
        return new Storage(null, null, l, false);
    }

    /** A bool storage over {@code l}, whose elements the caller guarantees to be 0 or 1. */
    static Storage ofBool(long[] l) {
        return new Storage(null, null, l, true);
    }

    static Storage allocate(DType dtype, int n) {
        return switch (dtype) {
            case FLOAT32 -> of(ZeroedAhead.floats(n));
            case FLOAT64 -> of(ZeroedAhead.doubles(n));
            case INT64 -> of(new long[n]);
            case BOOL -> ofBool(new long[n]);
        };
    }

    /**
     * Storage of {@code n} elements with arbitrary contents, possibly a recycled array ({@link BufferPool}): only
     * for an op whose kernel writes every element before anything reads it.
     */
    static Storage uninitialized(DType dtype, int n) {
        return switch (dtype) {
            case FLOAT32 -> of(BufferPool.floats(n));
            case FLOAT64 -> of(BufferPool.doubles(n));
            case INT64 -> of(new long[n]);
            case BOOL -> ofBool(new long[n]);
        };
    }

    int length() {
        return f != null ? f.length : d != null ? d.length : l.length;
    }

    double get(int i) {
        return f != null ? f[i] : d != null ? d[i] : l[i];
    }

    void set(int i, double v) {
        if (f != null) {
            f[i] = (float) v;
        } else if (d != null) {
            d[i] = v;
        } else if (bool) {
            l[i] = v != 0 ? 1 : 0;
        } else {
            l[i] = (long) v;
        }
    }
}
