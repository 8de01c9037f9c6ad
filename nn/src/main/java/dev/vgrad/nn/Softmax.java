package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Softmax along {@code dim} ({@code nn.Softmax}). */
public class Softmax extends Module {
    private final int dim;

    public Softmax(int dim) {
        this.dim = dim;
    }

    @Override
    public Tensor forward(Tensor input) {
        return input.softmax(dim);
    }

    @Override
    public String extraRepr() {
        return "dim=" + dim;
    }
}
