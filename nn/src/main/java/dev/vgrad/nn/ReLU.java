package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Elementwise {@code max(x, 0)} (`nn.ReLU`). */
public class ReLU extends Module {
    public ReLU() {}

    @Override
    public Tensor forward(Tensor input) {
        return input.relu();
    }
}
