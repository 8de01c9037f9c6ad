package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Adaptive average pooling to a fixed output size ({@code nn.AdaptiveAvgPool2d}). */
public class AdaptiveAvgPool2d extends Module {
    private final int outH;
    private final int outW;
    private final boolean square;

    public AdaptiveAvgPool2d(int outputSize) {
        Check.positive("AdaptiveAvgPool2d", "output_size", outputSize);
        this.outH = outputSize;
        this.outW = outputSize;
        this.square = true;
    }

    public AdaptiveAvgPool2d(int outH, int outW) {
        Check.positive("AdaptiveAvgPool2d", "output_size", outH, outW);
        this.outH = outH;
        this.outW = outW;
        this.square = false;
    }

    @Override
    public Tensor forward(Tensor input) {
        return input.adaptiveAvgPool2d(outH, outW);
    }

    @Override
    public String extraRepr() {
        return "output_size=" + (square ? String.valueOf(outH) : Py.tuple(outH, outW));
    }
}
