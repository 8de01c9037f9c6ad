package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Elementwise {@code tanh(x)} (`nn.Tanh`). */
public class Tanh extends Module {
    public Tanh() {}

    @Override
    public Tensor forward(Tensor input) {
        return input.tanh();
    }
}
