package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Elementwise {@code σ(x)} (`nn.Sigmoid`). */
public class Sigmoid extends Module {
    /** Creates the (parameter-free) activation. */
    public Sigmoid() {}

    /**
     * Applies {@code σ(x) = 1/(1 + e^(−x))} elementwise.
     *
     * @param input any shape
     * @return a new tensor of the input's shape
     */
    @Override
    public Tensor forward(Tensor input) {
        return input.sigmoid();
    }
}
