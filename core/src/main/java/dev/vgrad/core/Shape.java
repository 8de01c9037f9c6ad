package dev.vgrad.core;

import dev.vgrad.core.kernel.Sizes;
import java.util.Arrays;

/** Shape arithmetic shared by the op families: sizes, strides, broadcasting and dimension wrapping. */
final class Shape {
    private Shape() {}

    static final int[] SCALAR = new int[0];

    /**
     * Element count of a shape that a tensor already has (validated when it was created). Never wraps: a shape
     * whose count exceeds {@link Sizes#MAX_NUMEL} gets an IllegalArgumentException, as from {@link #checked}.
     */
    static int numel(int[] shape) {
        long n = Sizes.product(shape, 0, shape.length);
        if (n > Sizes.MAX_NUMEL) {
            return Sizes.numel("tensor", shape);
        }
        return (int) n;
    }

    /** Contiguous (row-major) strides; zero sizes count as 1, as in PyTorch. The shape must be {@link #checked}. */
    static int[] contiguousStrides(int[] shape) {
        int[] st = new int[shape.length];
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return st;
    }

    /** PyTorch's format, {@code [2, 3]}. */
    static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    /**
     * Validates a shape {@code op} is about to create (user-given or computed) and returns its element count:
     * see {@link Sizes#numel(String, int[])} (docs/SEMANTICS.md §10). Every op that makes a new shape calls this
     * (or a {@link Sizes} check) before allocating or viewing.
     */
    static int checked(String op, int[] shape) {
        Args.nonNull(op, "shape", shape);
        return Sizes.numel(op, shape);
    }

    /** Wraps a possibly negative dim into [0, rank); rank 0 accepts -1 and 0 as PyTorch does. */
    static int wrapDim(String op, int dim, int rank) {
        int r = Math.max(rank, 1);
        if (dim < -r || dim >= r) {
            throw new IllegalArgumentException(op + ": Dimension out of range (expected to be in range of ["
                    + (-r) + ", " + (r - 1) + "], but got " + dim + ")");
        }
        return dim < 0 ? dim + r : dim;
    }

    /** NumPy broadcasting of two shapes, or an error naming the op and both shapes. */
    static int[] broadcast(String op, int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i - (n - a.length) >= 0 ? a[i - (n - a.length)] : 1;
            int db = i - (n - b.length) >= 0 ? b[i - (n - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": The size of tensor a (" + da
                        + ") must match the size of tensor b (" + db + ") at non-singleton dimension " + i
                        + " (shapes " + str(a) + " and " + str(b) + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        // two valid shapes can broadcast to one too large to hold, e.g. (65536, 1) and (1, 65536)
        checked(op, out);
        return out;
    }

    /** True when {@code shape} broadcasts to {@code target} (PyTorch's {@code is_expandable_to}); O(rank). */
    static boolean isExpandableTo(int[] shape, int[] target) {
        int lead = target.length - shape.length;
        if (lead < 0) {
            return false;
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] != 1 && shape[i] != target[lead + i]) {
                return false;
            }
        }
        return true;
    }

    /** Strides of {@code t} viewed at the broadcast shape {@code out} (0 on broadcast dims). */
    static int[] broadcastStrides(int[] shape, int[] stride, int[] out) {
        int[] st = new int[out.length];
        int lead = out.length - shape.length;
        for (int i = 0; i < shape.length; i++) {
            st[lead + i] = shape[i] == 1 && out[lead + i] != 1 ? 0 : stride[i];
        }
        return st;
    }

    static boolean isContiguous(int[] shape, int[] stride) {
        int expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    /** Dims marked true in the returned mask; null means all dims. Checks duplicates and range. */
    static boolean[] dimMask(String op, int[] dims, int rank) {
        boolean[] mask = new boolean[rank];
        if (dims == null) {
            Arrays.fill(mask, true);
            return mask;
        }
        for (int d : dims) {
            int w = wrapDim(op, d, rank);
            if (rank == 0) {
                continue;
            }
            if (mask[w]) {
                throw new IllegalArgumentException(op + ": dim " + w + " appears multiple times in the list of dims");
            }
            mask[w] = true;
        }
        return mask;
    }
}
