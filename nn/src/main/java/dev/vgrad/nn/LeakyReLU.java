package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** {@code x > 0 ? x : slope·x} ({@code nn.LeakyReLU}, default slope 0.01). */
public class LeakyReLU extends Module {
    private final double negativeSlope;

    public LeakyReLU() {
        this(0.01);
    }

    public LeakyReLU(double negativeSlope) {
        if (Double.isNaN(negativeSlope)) {
            throw new IllegalArgumentException("LeakyReLU: negative_slope must not be NaN");
        }
        this.negativeSlope = negativeSlope;
    }

    @Override
    public Tensor forward(Tensor input) {
        return input.leakyRelu(negativeSlope);
    }

    @Override
    public String extraRepr() {
        return "negative_slope=" + Py.repr(negativeSlope);
    }
}
