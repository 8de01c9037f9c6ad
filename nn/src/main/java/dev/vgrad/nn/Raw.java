package dev.vgrad.nn;

import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;

/** Raw array helpers for the fused kernels (no autograd). */
final class Raw {
    private Raw() {}

    /** Work below this many elements runs on the calling thread. */
    static final int PARALLEL_THRESHOLD = 1 << 15;

    /** The elements of {@code t} (any dtype) as a fresh row-major double array; never records a node. */
    static double[] doubles(Tensor t) {
        return t.detach().toDoubleArray();
    }

    /** Length of the array behind a float32 or float64 tensor (-1 for other dtypes). */
    static int storageLength(Tensor t) {
        return t.dtype() == DType.FLOAT32 ? t.floatStorage().length
                : t.dtype() == DType.FLOAT64 ? t.doubleStorage().length : -1;
    }

    /** The elements of an int64 tensor as a fresh row-major long array. */
    static long[] longs(Tensor t) {
        return t.detach().toLongArray();
    }

    /** A new contiguous tensor of {@code dtype} and {@code shape} holding {@code data} (rounded for float32). */
    static Tensor tensor(double[] data, DType dtype, int[] shape) {
        Tensor out = Tensor.zeros(dtype, shape);
        if (dtype == DType.FLOAT64) {
            System.arraycopy(data, 0, out.doubleStorage(), out.storageOffset(), data.length);
        } else if (dtype == DType.FLOAT32) {
            float[] f = out.floatStorage();
            int o = out.storageOffset();
            for (int i = 0; i < data.length; i++) {
                f[o + i] = (float) data[i];
            }
        } else {
            long[] l = out.longStorage();
            int o = out.storageOffset();
            for (int i = 0; i < data.length; i++) {
                l[o + i] = (long) data[i];
            }
        }
        return out;
    }

    static int prod(int[] shape, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) {
            p *= shape[i];
        }
        return p;
    }

    static String shapeStr(int[] shape) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(shape[i]);
        }
        return sb.append(']').toString();
    }
}
