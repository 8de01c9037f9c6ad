package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Log-softmax along {@code dim} ({@code nn.LogSoftmax}). */
public class LogSoftmax extends Module {
    private final int dim;

    /**
     * Normalises along {@code dim}.
     *
     * @param dim the dim to normalise over; negative counts from the end
     */
    public LogSoftmax(int dim) {
        this.dim = dim;
    }

    /**
     * Normalises {@code input} along the configured dim.
     *
     * @param input any shape with the configured dim
     * @return a new tensor of the input's shape: {@code x − logsumexp(x, dim)}
     */
    @Override
    public Tensor forward(Tensor input) {
        return input.logSoftmax(dim);
    }

    @Override
    public String extraRepr() {
        return "dim=" + dim;
    }
}
