package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Elementwise {@code max(x, 0)} (`nn.ReLU`). */
public class ReLU extends Module {
    /** Creates the (parameter-free) activation. */
    public ReLU() {}

    /**
     * Applies {@code max(x, 0)} elementwise.
     *
     * @param input any shape
     * @return a new tensor of the input's shape
     */
    @Override
    public Tensor forward(Tensor input) {
        return input.relu();
    }
}
