package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Elementwise {@code σ(x)} (`nn.Sigmoid`). */
public class Sigmoid extends Module {
    public Sigmoid() {}

    @Override
    public Tensor forward(Tensor input) {
        return input.sigmoid();
    }
}
