package dev.vgrad.core;

/** Placeholder until kernels land. */
final class ConvOps {
    private ConvOps() {}
    static Tensor conv2d(Tensor x, Tensor w, Tensor b, int[] s, int[] p, int[] d, int g) { throw new UnsupportedOperationException(); }
    static Tensor maxPool2d(Tensor x, int[] k, int[] s, int[] p, int[] d, boolean c) { throw new UnsupportedOperationException(); }
    static Tensor avgPool2d(Tensor x, int[] k, int[] s, int[] p, boolean c, boolean i) { throw new UnsupportedOperationException(); }
    static Tensor adaptiveAvgPool2d(Tensor x, int h, int w) { throw new UnsupportedOperationException(); }
}
