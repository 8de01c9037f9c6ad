package dev.vgrad.core;

/**
 * Index sampling from a {@link Generator}: {@code randperm} and {@code multinomial} (docs/SEMANTICS.md §18).
 * Results are int64 and depend only on the generator's state; the streams are vgrad's own (the distribution
 * is PyTorch's, the drawn values are not).
 */
final class SamplingOps {
    private SamplingOps() {}

    /** A uniformly random permutation of 0..n-1 (Fisher–Yates with unbiased bounded draws). */
    static Tensor randperm(int n, Generator gen) {
        Args.nonNull("randperm", "generator", gen);
        if (n < 0) {
            throw new IllegalArgumentException("randperm: Trying to create tensor with negative dimension " + n
                    + ": [" + n + "]");
        }
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = (int) gen.nextLong(i + 1L);
            long t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return Tensor.ofLongs(p, n);
    }

    /**
     * {@code numSamples} category indices per row of a 1-D or 2-D tensor of non-negative weights (not necessarily
     * normalised). Without replacement, each draw excludes the categories already drawn in its row.
     */
    static Tensor multinomial(Tensor probs, int numSamples, boolean replacement, Generator gen) {
        String op = "multinomial";
        Args.nonNull(op, "input", probs);
        Args.nonNull(op, "generator", gen);
        int rank = probs.shape.length;
        if (rank != 1 && rank != 2) {
            throw new IllegalArgumentException(op + ": prob_dist must be 1 or 2 dim (got shape "
                    + Shape.str(probs.shape) + ")");
        }
        if (!probs.dtype.isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": multinomial only supports floating-point dtypes for input, "
                    + "got: " + LinalgOps.scalarTypeName(probs.dtype));
        }
        if (numSamples <= 0) {
            throw new IllegalArgumentException(op + ": cannot sample n_sample <= 0 samples (got " + numSamples + ")");
        }
        int cats = probs.shape[rank - 1];
        if (!replacement && numSamples > cats) {
            throw new IllegalArgumentException(op + ": cannot sample n_sample > prob_dist.size(-1) samples without "
                    + "replacement (n_sample " + numSamples + ", size " + cats + ")");
        }
        if (cats > (1 << 24)) {
            throw new IllegalArgumentException(op + ": number of categories cannot exceed 2^24 (got " + cats + ")");
        }
        int rows = rank == 1 ? 1 : probs.shape[0];
        double[] w = probs.contiguousRaw().toDoubleArray();
        for (double v : w) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException(op + ": probability tensor contains either `inf`, `nan` or element "
                        + "< 0");
            }
        }
        long[] out = new long[rows * numSamples];
        double[] cdf = new double[cats];
        for (int r = 0; r < rows; r++) {
            double[] row = java.util.Arrays.copyOfRange(w, r * cats, (r + 1) * cats);
            double total = 0;
            for (double v : row) {
                total += v;
            }
            if (!(total > 0)) {
                throw new IllegalArgumentException(op + ": invalid multinomial distribution (sum of probabilities <= 0)"
                        + (rows > 1 ? " in row " + r : ""));
            }
            if (replacement) {
                double acc = 0;
                for (int c = 0; c < cats; c++) {
                    acc += row[c];
                    cdf[c] = acc;
                }
                for (int s = 0; s < numSamples; s++) {
                    out[r * numSamples + s] = pick(cdf, cats, gen.nextDouble() * acc, row);
                }
            } else {
                for (int s = 0; s < numSamples; s++) {
                    double acc = 0;
                    for (int c = 0; c < cats; c++) {
                        acc += row[c];
                        cdf[c] = acc;
                    }
                    int c;
                    if (!(acc > 0)) {
                        // PyTorch samples the remaining zero-weight categories once the positive ones are used up
                        c = firstUnused(row, out, r * numSamples, s);
                    } else {
                        c = pick(cdf, cats, gen.nextDouble() * acc, row);
                    }
                    out[r * numSamples + s] = c;
                    row[c] = -0.0;
                }
            }
        }
        return rank == 1 ? Tensor.ofLongs(out, numSamples) : Tensor.ofLongs(out, rows, numSamples);
    }

    /** The first category whose cumulative weight exceeds u, skipping zero-weight categories. */
    private static int pick(double[] cdf, int cats, double u, double[] row) {
        int lo = 0;
        int hi = cats - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cdf[mid] > u) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        while (lo > 0 && row[lo] <= 0) {
            lo--;
        }
        while (lo < cats - 1 && row[lo] <= 0) {
            lo++;
        }
        return lo;
    }

    private static int firstUnused(double[] row, long[] out, int start, int drawn) {
        for (int c = 0; c < row.length; c++) {
            boolean used = false;
            for (int s = 0; s < drawn; s++) {
                used |= out[start + s] == c;
            }
            if (!used) {
                return c;
            }
        }
        throw new IllegalStateException("multinomial: no category left to draw");
    }
}
