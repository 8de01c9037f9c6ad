package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Elementwise {@code x·σ(x)} (`nn.SiLU`). */
public class SiLU extends Module {
    public SiLU() {}

    @Override
    public Tensor forward(Tensor input) {
        return input.silu();
    }
}
