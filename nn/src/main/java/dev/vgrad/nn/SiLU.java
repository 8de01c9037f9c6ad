package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Elementwise {@code x·σ(x)} (`nn.SiLU`). */
public class SiLU extends Module {
    /** Creates the (parameter-free) activation. */
    public SiLU() {}

    /**
     * Applies {@code x·σ(x)} elementwise.
     *
     * @param input any shape
     * @return a new tensor of the input's shape
     */
    @Override
    public Tensor forward(Tensor input) {
        return input.silu();
    }
}
