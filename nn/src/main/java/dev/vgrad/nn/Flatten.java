package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Flattens dims {@code startDim..endDim} ({@code nn.Flatten}, default 1..-1). */
public class Flatten extends Module {
    private final int startDim;
    private final int endDim;

    /** Flattens every dim but the batch dim: (N, *) to (N, ∏*). */
    public Flatten() {
        this(1, -1);
    }

    /**
     * Flattens dims {@code startDim..endDim} (inclusive).
     *
     * @param startDim first dim to flatten; negative counts from the end
     * @param endDim last dim to flatten; negative counts from the end
     */
    public Flatten(int startDim, int endDim) {
        this.startDim = startDim;
        this.endDim = endDim;
    }

    /**
     * Flattens the configured dims with {@code Tensor.flatten}.
     *
     * @param input (d0, …, d_{n−1})
     * @return the dims {@code startDim..endDim} merged into one of their product: a view when possible
     */
    @Override
    public Tensor forward(Tensor input) {
        return input.flatten(startDim, endDim);
    }

    @Override
    public String extraRepr() {
        return "start_dim=" + startDim + ", end_dim=" + endDim;
    }
}
