package dev.vgrad.core;

/**
 * Element types. {@link #FLOAT32} is the default and the only type with SIMD kernels; {@link #FLOAT64}
 * runs scalar kernels and serves gradient checks and references; {@link #INT64} holds indices (class
 * targets, argmax results, gather indices, {@code num_batches_tracked}) and never requires grad.
 */
public enum DType {
    /** 32-bit IEEE float ({@code torch.float32}), the default; SIMD kernels. */
    FLOAT32("float32", 4),
    /** 64-bit IEEE float ({@code torch.float64}); scalar kernels, used for gradient checks and references. */
    FLOAT64("float64", 8),
    /** 64-bit signed integer ({@code torch.int64}): indices and class targets; never requires grad. */
    INT64("int64", 8),
    /**
     * Boolean ({@code torch.bool}): masks; never requires grad. One byte per element in files (safetensors
     * {@code BOOL}); in memory vgrad keeps it in a {@code long[]} of 0 and 1 (an internal detail: the raw
     * {@link Tensor#longStorage()} of a bool tensor holds only 0 and 1).
     */
    BOOL("bool", 1);

    private final String torchName;
    private final int bytes;

    DType(String torchName, int bytes) {
        this.torchName = torchName;
        this.bytes = bytes;
    }

    /**
     * True for float32 and float64.
     *
     * @return true for float32 and float64 ({@code dtype.is_floating_point})
     */
    public boolean isFloatingPoint() {
        return this == FLOAT32 || this == FLOAT64;
    }

    /**
     * Size of one element in bytes.
     *
     * @return 4 for float32, 8 for float64 and int64, 1 for bool ({@code dtype.itemsize})
     */
    public int byteSize() {
        return bytes;
    }

    /** The PyTorch spelling, e.g. {@code float32}. */
    @Override
    public String toString() {
        return torchName;
    }
}
