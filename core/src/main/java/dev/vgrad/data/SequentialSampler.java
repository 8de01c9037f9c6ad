package dev.vgrad.data;

/** The indices {@code 0, 1, ..., n-1} in order, every epoch (PyTorch's {@code SequentialSampler}). */
public final class SequentialSampler implements Sampler {
    private final int n;

    /**
     * A sampler over a data set of {@code n ≥ 0} samples.
     *
     * @param n the data-set size, {@code >= 0}
     * @throws IllegalArgumentException when {@code n < 0}
     */
    public SequentialSampler(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("SequentialSampler: size must be non-negative, got " + n);
        }
        this.n = n;
    }

    @Override
    public int size() {
        return n;
    }

    @Override
    public int[] indices() {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        return order;
    }
}
