package dev.vgrad.core;

/**
 * Element types. {@link #FLOAT32} is the default and the only type with SIMD kernels; {@link #FLOAT64}
 * runs scalar kernels and serves gradient checks and references; {@link #INT64} holds indices (class
 * targets, argmax results, gather indices, {@code num_batches_tracked}) and never requires grad.
 */
public enum DType {
    FLOAT32("float32", 4), FLOAT64("float64", 8), INT64("int64", 8);

    private final String torchName;
    private final int bytes;

    DType(String torchName, int bytes) {
        this.torchName = torchName;
        this.bytes = bytes;
    }

    /** True for float32 and float64. */
    public boolean isFloatingPoint() {
        return this != INT64;
    }

    /** Size of one element in bytes. */
    public int byteSize() {
        return bytes;
    }

    /** The PyTorch spelling, e.g. {@code float32}. */
    @Override
    public String toString() {
        return torchName;
    }
}
