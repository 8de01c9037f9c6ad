package dev.vgrad.data;

/**
 * The order in which a {@link DataLoader} visits data-set indices, like {@code torch.utils.data.Sampler}.
 *
 * <p>Each call to {@link #indices()} is one epoch: a random sampler draws its randomness at that call, so two
 * calls give two epochs. The loader calls it once per {@link DataLoader#iterator()}, on the caller's thread, so
 * the order never depends on worker threads (docs/SEMANTICS.md §15.2).
 */
public interface Sampler {
    /**
     * Number of indices one epoch yields (PyTorch's {@code len(sampler)}).
     *
     * @return the length of every array {@link #indices()} returns, {@code >= 0}
     */
    int size();

    /**
     * The indices of the next epoch, {@link #size()} of them, each in {@code [0, dataset size)}.
     *
     * @return a new array of data-set indices in visiting order (random samplers advance their generator)
     */
    int[] indices();
}
