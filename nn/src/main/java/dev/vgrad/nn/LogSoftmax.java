package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Log-softmax along {@code dim} ({@code nn.LogSoftmax}). */
public class LogSoftmax extends Module {
    private final int dim;

    public LogSoftmax(int dim) {
        this.dim = dim;
    }

    @Override
    public Tensor forward(Tensor input) {
        return input.logSoftmax(dim);
    }

    @Override
    public String extraRepr() {
        return "dim=" + dim;
    }
}
