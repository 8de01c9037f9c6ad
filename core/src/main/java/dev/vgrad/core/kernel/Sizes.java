package dev.vgrad.core.kernel;

import java.util.Arrays;

/**
 * The one checked place for size arithmetic (docs/SEMANTICS.md §10): element counts, contiguous strides and
 * result sizes of shape-producing ops are computed here in {@code long} arithmetic that cannot wrap, and a size
 * that vgrad cannot represent is refused with an {@link IllegalArgumentException} naming the op, before anything
 * is allocated.
 *
 * <p>vgrad stores sizes, strides and offsets as {@code int} and elements in one Java array, so a shape is
 * representable when every size is in {@code [0, MAX_SIZE]}, its element count is at most {@link #MAX_NUMEL}
 * and (for an empty shape, whose count is 0 however large its other sizes are) each contiguous stride is at most
 * {@link #MAX_SIZE}. PyTorch would accept some of these shapes (it uses 64-bit sizes); vgrad raises instead of
 * ever producing a negative or wrapped size.
 *
 * <p>Internal: used by core's shape-producing ops; not part of the stable API.
 */
public final class Sizes {
    private Sizes() {}

    /** Largest size of one dimension, stride or offset ({@code int} indexing). */
    public static final int MAX_SIZE = Integer.MAX_VALUE;

    /** Largest element count of one tensor: the longest array every JVM can allocate. */
    public static final int MAX_NUMEL = Integer.MAX_VALUE - 8;

    /**
     * Largest padded input size {@code in + 2·pad} of a convolution or pooling that is computed (a non-empty
     * output): the kernels index windows with int sums of a few such terms, so a quarter of the int range keeps
     * them exact. Larger paddings give an IllegalArgumentException naming the op (PyTorch computes them).
     */
    public static final int MAX_PADDED_SIZE = 1 << 29;

    /**
     * Refuses a computed window op whose padded input exceeds {@link #MAX_PADDED_SIZE} (see there); {@code what}
     * names the axis.
     *
     * @param op   the op's name, first word of the message
     * @param what the axis, e.g. {@code "height"}
     * @param in   input size along the axis
     * @param pad  padding on each side
     * @throws IllegalArgumentException if {@code in + 2·pad > MAX_PADDED_SIZE}
     */
    public static void checkPadded(String op, String what, long in, long pad) {
        if (in + 2 * pad > MAX_PADDED_SIZE) {
            throw new IllegalArgumentException(op + ": padded input " + what + " " + (in + 2 * pad) + " (size " + in
                    + " + 2 x padding " + pad + ") exceeds the maximum " + MAX_PADDED_SIZE + " vgrad can compute");
        }
    }

    /**
     * The stride the kernels use: a stride over a single output position is never multiplied by a position
     * other than 0, so it is lowered to {@code minStride}, the smallest stride giving the same single output
     * (the output-size formula is unchanged), which keeps the kernels' int arithmetic exact.
     *
     * @param stride    the requested stride
     * @param out       the output size along the axis
     * @param minStride the smallest stride giving the same single output
     * @return {@code min(stride, minStride)} when {@code out == 1}, else {@code stride}
     */
    public static int effectiveStride(int stride, long out, long minStride) {
        return out == 1 ? (int) Math.min(stride, minStride) : stride;
    }

    /**
     * The product of {@code sizes}, exactly when it fits in a {@code long}; {@link Long#MAX_VALUE} when it
     * overflows (no non-negative product of {@code int} sizes can reach it otherwise). A zero size makes the
     * product 0 whatever the other sizes are. Sizes must be non-negative.
     *
     * @param sizes non-negative sizes
     * @return their product, or {@link Long#MAX_VALUE} on overflow
     */
    public static long product(long... sizes) {
        for (long s : sizes) {
            if (s == 0) {
                return 0;
            }
        }
        long p = 1;
        for (long s : sizes) {
            p = saturatingMultiply(p, s);
        }
        return p;
    }

    /**
     * {@link #product(long...)} over {@code shape[from, to)}.
     *
     * @param shape non-negative sizes
     * @param from  first index, inclusive
     * @param to    last index, exclusive
     * @return the product of {@code shape[from..to)} (1 when empty), or {@link Long#MAX_VALUE} on overflow
     */
    public static long product(int[] shape, int from, int to) {
        for (int i = from; i < to; i++) {
            if (shape[i] == 0) {
                return 0;
            }
        }
        long p = 1;
        for (int i = from; i < to; i++) {
            p = saturatingMultiply(p, shape[i]);
        }
        return p;
    }

    /**
     * a·b for non-negative operands, saturating at {@link Long#MAX_VALUE}.
     *
     * @param a non-negative factor
     * @param b non-negative factor
     * @return a·b, or {@link Long#MAX_VALUE} if it does not fit in a {@code long}
     */
    public static long saturatingMultiply(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
    }

    /**
     * {@code size} as an {@code int} dimension, or an IllegalArgumentException such as
     * {@code "cat: resulting size 3221225472 of dim 0 exceeds the maximum 2147483647"}; a negative
     * {@code size} is reported as {@code "op: resulting size -3 of dim 0 is negative"}.
     *
     * @param op   the op's name, first word of the message
     * @param what names the dimension in the message, e.g. {@code "dim 0"} or {@code "output height"}
     * @param size the computed size
     * @return {@code size} as an int
     * @throws IllegalArgumentException if {@code size} is negative or above {@link #MAX_SIZE}
     */
    public static int dim(String op, String what, long size) {
        if (size < 0) {
            throw new IllegalArgumentException(op + ": resulting size " + size + " of " + what + " is negative");
        }
        if (size > MAX_SIZE) {
            throw new IllegalArgumentException(op + ": resulting size " + (size == Long.MAX_VALUE ? "(over 2^63)" : size)
                    + " of " + what + " exceeds the maximum " + MAX_SIZE);
        }
        return (int) size;
    }

    /**
     * Validates a shape an op is about to create and returns its element count: negative sizes get PyTorch's
     * {@code "Trying to create tensor with negative dimension -1: [-1, 2]"}, a count above {@link #MAX_NUMEL}
     * or (for an empty shape) a contiguous stride above {@link #MAX_SIZE} an IllegalArgumentException naming
     * the op, the shape and the limit. O(rank).
     *
     * @param op    the op's name, first word of the message
     * @param shape the sizes of the tensor to create
     * @return the element count
     * @throws IllegalArgumentException if a size is negative or the shape is not representable
     */
    public static int numel(String op, int[] shape) {
        for (int s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException(op + ": Trying to create tensor with negative dimension " + s + ": "
                        + Arrays.toString(shape));
            }
        }
        long n = product(shape, 0, shape.length);
        if (n > MAX_NUMEL) {
            throw new IllegalArgumentException(op + ": a tensor of shape " + Arrays.toString(shape) + " has "
                    + (n == Long.MAX_VALUE ? "more than 2^63" : Long.toString(n)) + " elements, more than the maximum "
                    + MAX_NUMEL + " one Java array can hold");
        }
        if (n == 0) {
            // the strides of an empty shape skip the zero sizes (as PyTorch's do) and can exceed int
            long stride = 1;
            for (int i = shape.length - 1; i > 0; i--) {
                stride = saturatingMultiply(stride, Math.max(shape[i], 1));
                if (stride > MAX_SIZE) {
                    throw new IllegalArgumentException(op + ": the empty shape " + Arrays.toString(shape)
                            + " has a contiguous stride of " + (stride == Long.MAX_VALUE ? "more than 2^63" : stride)
                            + " for dim " + (i - 1) + ", more than the maximum " + MAX_SIZE);
                }
            }
        }
        return (int) n;
    }

    /**
     * Output size of a sliding window (convolution, pooling without ceil mode):
     * {@code floor((in + 2·pad − dilation·(kernel − 1) − 1) / stride) + 1}, computed exactly for {@code int}
     * arguments (no intermediate can overflow a {@code long}); the caller validates the range of the result.
     *
     * @param in       input size
     * @param kernel   window size
     * @param pad      padding on each side
     * @param stride   step, ≥ 1
     * @param dilation spacing of window taps, ≥ 1
     * @return the output size; may be ≤ 0 when the window does not fit
     */
    public static long windowOutput(long in, long kernel, long pad, long stride, long dilation) {
        return Math.floorDiv(in + 2 * pad - dilation * (kernel - 1) - 1, stride) + 1;
    }
}
