package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Elementwise {@code tanh(x)} (`nn.Tanh`). */
public class Tanh extends Module {
    /** Creates the (parameter-free) activation. */
    public Tanh() {}

    /**
     * Applies {@code tanh(x)} elementwise.
     *
     * @param input any shape
     * @return a new tensor of the input's shape
     */
    @Override
    public Tensor forward(Tensor input) {
        return input.tanh();
    }
}
