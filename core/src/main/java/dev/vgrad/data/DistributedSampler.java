package dev.vgrad.data;

import dev.vgrad.core.Generator;

/**
 * The share of one replica (rank) of a data set split across {@code numReplicas} data-parallel workers,
 * following PyTorch's {@code DistributedSampler} contract (docs/SEMANTICS.md §15.2):
 *
 * <ul>
 *   <li>Every rank yields {@code numSamples} indices: {@code ceil(n / R)}, or with {@code dropLast} and
 *       {@code n % R != 0}, {@code ceil((n - R) / R)}. The total is {@code numSamples * R}.</li>
 *   <li>The epoch's base order is {@code 0..n-1}, or with {@code shuffle} a permutation drawn from a fresh
 *       {@code Generator(seed + epoch)} (so all ranks agree on it without communicating, and
 *       {@link #setEpoch} must be called with the same epoch on every rank before each epoch; without it
 *       every epoch repeats the same order).</li>
 *   <li>Without {@code dropLast} the order is padded to the total by repeating it from its start (as often
 *       as needed); with {@code dropLast} its tail is cut to the total.</li>
 *   <li>Rank {@code r} takes the positions {@code r, r + R, r + 2R, ...} of that list.</li>
 * </ul>
 *
 * So the ranks' lists partition the padded (or truncated) order. With {@code shuffle = false} the lists equal
 * PyTorch's; with shuffle PyTorch's own generator gives a different permutation.
 */
public final class DistributedSampler implements Sampler {
    private final int n;
    private final int numReplicas;
    private final int rank;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    private final int numSamples;
    private long epoch;

    /**
     * The sampler of rank {@code rank} out of {@code numReplicas}.
     *
     * @param datasetSize number of samples {@code n ≥ 0}
     * @param numReplicas number of ranks {@code R ≥ 1}
     * @param rank        this rank, in {@code [0, R-1]}
     * @param shuffle     draw a new permutation per epoch from {@code seed + epoch}
     * @param seed        the seed shared by all ranks
     * @param dropLast    cut the tail instead of padding
     * @throws IllegalArgumentException for a negative size, {@code numReplicas < 1} or a rank out of range
     *                                  (PyTorch's "Invalid rank" message)
     */
    public DistributedSampler(int datasetSize, int numReplicas, int rank, boolean shuffle, long seed,
                              boolean dropLast) {
        if (datasetSize < 0) {
            throw new IllegalArgumentException("DistributedSampler: dataset size must be non-negative, got "
                    + datasetSize);
        }
        if (numReplicas < 1) {
            throw new IllegalArgumentException("DistributedSampler: num_replicas must be positive, got "
                    + numReplicas);
        }
        if (rank < 0 || rank >= numReplicas) {
            throw new IllegalArgumentException("DistributedSampler: Invalid rank " + rank
                    + ", rank should be in the interval [0, " + (numReplicas - 1) + "]");
        }
        this.n = datasetSize;
        this.numReplicas = numReplicas;
        this.rank = rank;
        this.shuffle = shuffle;
        this.seed = seed;
        this.dropLast = dropLast;
        if (dropLast && n % numReplicas != 0) {
            this.numSamples = (int) Math.ceil((double) (n - numReplicas) / numReplicas);
        } else {
            this.numSamples = (int) Math.ceil((double) n / numReplicas);
        }
    }

    /**
     * The epoch the next {@link #indices()} uses; call it with the same value on every rank.
     *
     * @param epoch the epoch number; with shuffle the permutation is drawn from {@code Generator(seed + epoch)}
     */
    public void setEpoch(long epoch) {
        this.epoch = epoch;
    }

    /**
     * The epoch set by {@link #setEpoch(long)}.
     *
     * @return the current epoch, 0 until {@link #setEpoch(long)} is called
     */
    public long epoch() {
        return epoch;
    }

    /** Number of samples per rank and epoch. */
    @Override
    public int size() {
        return numSamples;
    }

    /**
     * Padded (or truncated) length of the epoch's order: {@code size() * numReplicas}.
     *
     * @return the number of indices all ranks yield together per epoch
     */
    public int totalSize() {
        return numSamples * numReplicas;
    }

    @Override
    public int[] indices() {
        int[] base = shuffle ? RandomSampler.permutation(n, new Generator(seed + epoch))
                : new SequentialSampler(n).indices();
        int[] out = new int[numSamples];
        for (int k = 0; k < numSamples; k++) {
            int pos = rank + k * numReplicas;
            // pos < totalSize(); padding repeats the order from its start (pos % n), truncation keeps pos < n
            out[k] = base[pos % n];
        }
        return out;
    }
}
