package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** {@code x > 0 ? x : slope·x} ({@code nn.LeakyReLU}, default slope 0.01). */
public class LeakyReLU extends Module {
    private final double negativeSlope;

    /** Leaky ReLU with slope 0.01. */
    public LeakyReLU() {
        this(0.01);
    }

    /**
     * Leaky ReLU with the given slope.
     *
     * @param negativeSlope slope for negative inputs; not NaN
     * @throws IllegalArgumentException for a NaN slope
     */
    public LeakyReLU(double negativeSlope) {
        if (Double.isNaN(negativeSlope)) {
            throw new IllegalArgumentException("LeakyReLU: negative_slope must not be NaN");
        }
        this.negativeSlope = negativeSlope;
    }

    /**
     * Applies the leaky ReLU elementwise.
     *
     * @param input any shape
     * @return a new tensor of the input's shape
     */
    @Override
    public Tensor forward(Tensor input) {
        return input.leakyRelu(negativeSlope);
    }

    @Override
    public String extraRepr() {
        return "negative_slope=" + Py.repr(negativeSlope);
    }
}
