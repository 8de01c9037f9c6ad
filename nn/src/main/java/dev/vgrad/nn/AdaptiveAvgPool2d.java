package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Adaptive average pooling to a fixed output size ({@code nn.AdaptiveAvgPool2d}). */
public class AdaptiveAvgPool2d extends Module {
    private final int outH;
    private final int outW;
    private final boolean square;

    /**
     * Pools to a square {@code outputSize × outputSize} output.
     *
     * @param outputSize side of the output, positive
     * @throws IllegalArgumentException for a non-positive size
     */
    public AdaptiveAvgPool2d(int outputSize) {
        Check.positive("AdaptiveAvgPool2d", "output_size", outputSize);
        this.outH = outputSize;
        this.outW = outputSize;
        this.square = true;
    }

    /**
     * Pools to an {@code outH × outW} output.
     *
     * @param outH output height, positive
     * @param outW output width, positive
     * @throws IllegalArgumentException for a non-positive size
     */
    public AdaptiveAvgPool2d(int outH, int outW) {
        Check.positive("AdaptiveAvgPool2d", "output_size", outH, outW);
        this.outH = outH;
        this.outW = outW;
        this.square = false;
    }

    /**
     * Averages over adaptive windows: output cell i spans rows {@code floor(i·H/outH)} to {@code ceil((i+1)·H/outH)}.
     *
     * @param input (N, C, H, W) or (C, H, W)
     * @return (N, C, outH, outW) (or (C, outH, outW))
     */
    @Override
    public Tensor forward(Tensor input) {
        return input.adaptiveAvgPool2d(outH, outW);
    }

    @Override
    public String extraRepr() {
        return "output_size=" + (square ? String.valueOf(outH) : Py.tuple(outH, outW));
    }
}
