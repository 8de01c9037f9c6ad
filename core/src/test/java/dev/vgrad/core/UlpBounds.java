package dev.vgrad.core;

import dev.vgrad.core.kernel.UnaryOp;

/** How far the SIMD kernels' {@code withinUlps} loops may be from the scalar ones (docs/SEMANTICS.md §12.2). */
final class UlpBounds {
    private UlpBounds() {}

    /**
     * The SIMD forward of a withinUlps loop against the scalar one: 4 ulps (exp, log, tanh, sigmoid: VectorMath's
     * 2 plus the library's rounding), 8 for GELU (VectorMathTest bounds it by 7 from double precision: exp's 2 plus
     * a division, the CDF polynomial and three products).
     */
    static boolean forwardClose(UnaryOp op, float expected, float actual) {
        int ulps = op.forwardLoop() == UnaryOp.Forward.GELU ? 8 : 4;
        return Float.isNaN(expected) ? Float.isNaN(actual)
                : expected == actual || Math.abs(expected - actual) <= ulps * Math.max(Math.ulp(expected), Float.MIN_NORMAL);
    }

    /**
     * The SIMD backward of a withinUlps loop (GELU: g·(Φ(x) + x·φ(x))): 4 ulps of the sum of the two terms'
     * magnitudes, since the terms cancel near x ≈ −0.75 and no float evaluation keeps ulps of the difference.
     */
    static boolean backwardClose(UnaryOp op, float x, float g, float expected, float actual) {
        if (op.backwardLoop() != UnaryOp.Backward.GELU) {
            throw new IllegalArgumentException("no ulp bound for the backward of " + op);
        }
        if (Float.isNaN(expected)) {
            return Float.isNaN(actual);
        }
        double cdf = x == 0 ? 0.5 : op.apply((double) x, 0) / x;
        double pdf = Math.exp(-0.5 * (double) x * x) * 0.3989422804014327;
        double scale = Math.abs((double) g) * (Math.abs(cdf) + Math.abs(x * pdf));
        return expected == actual || Math.abs(expected - actual) <= 4 * Math.max(Math.ulp((float) scale), Float.MIN_NORMAL);
    }
}
