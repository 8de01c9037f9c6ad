package dev.vgrad.data;

import dev.vgrad.core.Generator;
import java.util.Arrays;

/**
 * {@code numSamples} indices drawn with probability proportional to {@code weights} (PyTorch's
 * {@code WeightedRandomSampler}, which calls {@code torch.multinomial}).
 *
 * <p>With replacement, each index is an independent draw: {@code P(i) = w_i / Σ w}, found by inverse CDF from
 * one {@link Generator#nextDouble()}. Without replacement, the indices are distinct and each draw is
 * proportional to the weights not yet drawn (successive sampling); this is sampled in one pass with the
 * Efraimidis–Spirakis keys {@code u_i^(1/w_i)}, taking the {@code numSamples} largest, which has exactly that
 * distribution. Zero weights are never drawn. Errors follow PyTorch's wording (docs/SEMANTICS.md §15.2).
 */
public final class WeightedRandomSampler implements Sampler {
    private final double[] cumulative;
    private final double[] weights;
    private final int numSamples;
    private final boolean replacement;
    private final Generator generator;

    /**
     * A sampler drawing {@code numSamples} indices per epoch by weight.
     *
     * @param weights     non-negative, finite, with a positive sum
     * @param numSamples  indices per epoch (≥ 1; without replacement at most the number of positive weights)
     * @param replacement draw with replacement
     * @param generator   source of randomness (null: the default generator)
     * @throws IllegalArgumentException for invalid weights or sample count (PyTorch's multinomial messages)
     */
    public WeightedRandomSampler(double[] weights, int numSamples, boolean replacement, Generator generator) {
        if (numSamples < 1) {
            throw new IllegalArgumentException("WeightedRandomSampler: num_samples should be a positive integer "
                    + "value, but got num_samples=" + numSamples);
        }
        if (weights == null || weights.length == 0) {
            throw new IllegalArgumentException("WeightedRandomSampler: weights must be non-empty");
        }
        double sum = 0;
        int positive = 0;
        double[] cum = new double[weights.length];
        for (int i = 0; i < weights.length; i++) {
            double w = weights[i];
            if (!Double.isFinite(w)) {
                throw new IllegalArgumentException("WeightedRandomSampler: invalid multinomial distribution "
                        + "(encountering probability entry = " + w + " at index " + i + ")");
            }
            if (w < 0) {
                throw new IllegalArgumentException("WeightedRandomSampler: invalid multinomial distribution "
                        + "(encountering probability entry < 0 at index " + i + ": " + w + ")");
            }
            if (w > 0) {
                positive++;
            }
            sum += w;
            cum[i] = sum;
        }
        if (!(sum > 0)) {
            throw new IllegalArgumentException("WeightedRandomSampler: invalid multinomial distribution (sum of "
                    + "probabilities <= 0)");
        }
        if (!replacement && numSamples > positive) {
            throw new IllegalArgumentException("WeightedRandomSampler: cannot sample n_sample > prob_dist.size(-1) "
                    + "samples without replacement (num_samples=" + numSamples + ", " + positive
                    + " positive weights)");
        }
        this.weights = weights.clone();
        this.cumulative = cum;
        this.numSamples = numSamples;
        this.replacement = replacement;
        this.generator = generator;
    }

    /**
     * Whether indices are drawn with replacement.
     *
     * @return true when an index may repeat within an epoch
     */
    public boolean replacement() {
        return replacement;
    }

    @Override
    public int size() {
        return numSamples;
    }

    @Override
    public int[] indices() {
        Generator g = generator != null ? generator : Generator.defaultGenerator();
        return replacement ? withReplacement(g) : withoutReplacement(g);
    }

    private int[] withReplacement(Generator g) {
        int[] out = new int[numSamples];
        double total = cumulative[cumulative.length - 1];
        for (int k = 0; k < numSamples; k++) {
            double u = g.nextDouble() * total;
            // first index whose cumulative weight exceeds u: zero-weight indices share their predecessor's
            // cumulative value and so are never the first to exceed it
            int i = Arrays.binarySearch(cumulative, u);
            i = i >= 0 ? i + 1 : -i - 1;
            while (i < weights.length - 1 && weights[i] == 0) {
                i++;
            }
            out[k] = Math.min(i, weights.length - 1);
        }
        return out;
    }

    private int[] withoutReplacement(Generator g) {
        int n = weights.length;
        double[] keys = new double[n];
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            double u = g.nextDouble();
            // log-key log(u)/w orders like u^(1/w) without underflow; zero weights sort last
            keys[i] = weights[i] > 0 ? Math.log(u == 0 ? Double.MIN_VALUE : u) / weights[i] : Double.NEGATIVE_INFINITY;
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> {
            int c = Double.compare(keys[b], keys[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] out = new int[numSamples];
        for (int k = 0; k < numSamples; k++) {
            out[k] = idx[k];
        }
        return out;
    }
}
