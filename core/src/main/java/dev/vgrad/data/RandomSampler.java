package dev.vgrad.data;

import dev.vgrad.core.Generator;

/**
 * A uniformly random permutation of {@code 0..n-1} per epoch (PyTorch's {@code RandomSampler} without
 * replacement). The permutation is a Fisher–Yates shuffle from the last position down, position {@code i}
 * swapping with {@code j = generator.nextLong(i + 1)}; this is the order {@code DataLoader} with
 * {@code shuffle(true)} has always produced, so seeded runs keep their results. The generator is advanced by
 * each epoch, so saving its state ({@link Generator#getState()}) between epochs resumes the sequence.
 */
public final class RandomSampler implements Sampler {
    private final int n;
    private final Generator generator;

    /**
     * A sampler over {@code n ≥ 0} samples drawing from {@code generator} (null: the default generator).
     *
     * @param n         the data-set size, {@code >= 0}
     * @param generator the source of the permutations, or null for {@link Generator#defaultGenerator()}
     * @throws IllegalArgumentException when {@code n < 0}
     */
    public RandomSampler(int n, Generator generator) {
        if (n < 0) {
            throw new IllegalArgumentException("RandomSampler: size must be non-negative, got " + n);
        }
        this.n = n;
        this.generator = generator;
    }

    /**
     * The generator the permutations come from.
     *
     * @return the generator given at construction, or the default generator when that was null
     */
    public Generator generator() {
        return generator != null ? generator : Generator.defaultGenerator();
    }

    @Override
    public int size() {
        return n;
    }

    @Override
    public int[] indices() {
        return permutation(n, generator());
    }

    /** A Fisher–Yates permutation of {@code 0..n-1} drawn from {@code g} (n-1 draws). */
    static int[] permutation(int n, Generator g) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = (int) g.nextLong(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        return order;
    }
}
