package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Softmax along {@code dim} ({@code nn.Softmax}). */
public class Softmax extends Module {
    private final int dim;

    /**
     * Normalises along {@code dim}.
     *
     * @param dim the dim to normalise over; negative counts from the end
     */
    public Softmax(int dim) {
        this.dim = dim;
    }

    /**
     * Normalises {@code input} along the configured dim.
     *
     * @param input any shape with the configured dim
     * @return a new tensor of the input's shape whose slices along {@code dim} sum to 1
     */
    @Override
    public Tensor forward(Tensor input) {
        return input.softmax(dim);
    }

    @Override
    public String extraRepr() {
        return "dim=" + dim;
    }
}
