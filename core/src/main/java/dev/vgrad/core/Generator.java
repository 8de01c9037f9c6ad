package dev.vgrad.core;

/**
 * A seedable pseudo-random generator (xoshiro256** seeded through SplitMix64). The stream depends only on
 * the seed, so results are reproducible on every JDK and platform. Give each thread its
 * own generator for reproducible per-thread streams. Every draw is synchronized, so sharing one (e.g. the default
 * generator) between threads never corrupts its state (the interleaving of the draws is then unspecified). Normal variates use the Box–Muller transform in double.
 */
public final class Generator {
    private static final Generator DEFAULT = new Generator(67280421310721L);

    private long s0;
    private long s1;
    private long s2;
    private long s3;
    private long seed;
    private double spareNormal;
    private boolean hasSpare;

    /**
     * A generator seeded with {@code seed}.
     *
     * @param seed any 64-bit value; equal seeds give equal streams
     */
    public Generator(long seed) {
        manualSeed(seed);
    }

    /**
     * The process-wide generator used when no generator is passed.
     *
     * @return the shared generator behind {@code Tensor.rand}/{@code randn} without a generator argument
     */
    public static Generator defaultGenerator() {
        return DEFAULT;
    }

    /**
     * Re-seeds this generator; the following stream equals that of {@code new Generator(seed)}.
     *
     * @param seed any 64-bit value
     * @return this generator ({@code torch.Generator.manual_seed})
     */
    public synchronized Generator manualSeed(long seed) {
        this.seed = seed;
        long x = seed;
        s0 = splitMix(x += 0x9E3779B97F4A7C15L);
        s1 = splitMix(x += 0x9E3779B97F4A7C15L);
        s2 = splitMix(x += 0x9E3779B97F4A7C15L);
        s3 = splitMix(x + 0x9E3779B97F4A7C15L);
        hasSpare = false;
        return this;
    }

    /**
     * The seed last given to {@link #manualSeed}.
     *
     * @return the seed ({@code torch.Generator.initial_seed})
     */
    public synchronized long initialSeed() {
        return seed;
    }

    private static long splitMix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The next 64 random bits.
     *
     * @return 64 uniformly random bits
     */
    public synchronized long nextLong() {
        return step();
    }

    private long step() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /**
     * Uniform in [0, 1) with 24 random bits (every float in the grid k·2^-24 equally likely).
     *
     * @return a float in [0, 1)
     */
    public synchronized float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /**
     * Uniform in [0, 1) with 53 random bits.
     *
     * @return a double in [0, 1)
     */
    public synchronized double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /**
     * Uniform integer in [0, bound), without modulo bias.
     *
     * @param bound the exclusive upper bound, > 0
     * @return a long in [0, bound)
     * @throws IllegalArgumentException when {@code bound <= 0}
     */
    public synchronized long nextLong(long bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("nextLong: bound must be positive, got " + bound);
        }
        long r = nextLong() >>> 1;
        long m = bound - 1;
        if ((bound & m) == 0) {
            return r & m;
        }
        for (long u = r; u - (r = u % bound) + m < 0; u = nextLong() >>> 1) {
            // rejection sampling
        }
        return r;
    }

    /**
     * Fills {@code out[off .. off+n)} with the next {@code n} values of {@link #nextDouble()} (the same stream,
     * drawn under one lock instead of one per value).
     *
     * @param out the array to fill
     * @param off the index of the first value written
     * @param n the number of values, ≥ 0, with {@code off + n <= out.length}
     * @throws IllegalArgumentException when the range falls outside {@code out}
     */
    public synchronized void nextDoubles(double[] out, int off, int n) {
        if (off < 0 || n < 0 || off > out.length - n) {
            throw new IllegalArgumentException("nextDoubles: range [" + off + ", " + off + "+" + n
                    + ") is outside an array of length " + out.length);
        }
        for (int i = 0; i < n; i++) {
            out[off + i] = (step() >>> 11) * 0x1.0p-53;
        }
    }

    /**
     * Standard normal variate.
     *
     * @return a sample of N(0, 1) (Box–Muller; every second call returns the spare of the pair)
     */
    public synchronized double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spareNormal;
        }
        double u1;
        do {
            u1 = nextDouble();
        } while (u1 == 0);
        double u2 = nextDouble();
        double r = Math.sqrt(-2 * Math.log(u1));
        spareNormal = r * Math.sin(2 * Math.PI * u2);
        hasSpare = true;
        return r * Math.cos(2 * Math.PI * u2);
    }

    /**
     * Bernoulli(p): true with probability p.
     *
     * @param p the probability of true, in [0, 1]
     * @return true with probability {@code p} (consumes one {@link #nextDouble()})
     */
    public boolean nextBernoulli(double p) {
        return nextDouble() < p;
    }

    /**
     * A snapshot of the full state, for checkpoints.
     *
     * @return a new array of 7 longs: the xoshiro state, the seed and the pending Box–Muller spare
     */
    public synchronized long[] getState() {
        return new long[] {s0, s1, s2, s3, seed, hasSpare ? 1 : 0, Double.doubleToRawLongBits(spareNormal)};
    }

    /**
     * Restores a snapshot from {@link #getState()}.
     *
     * @param state an array returned by {@link #getState()}
     * @throws IllegalArgumentException when {@code state} is null or not 7 longs long
     */
    public synchronized void setState(long[] state) {
        if (state == null || state.length != 7) {
            throw new IllegalArgumentException("Generator.setState: expected 7 longs");
        }
        s0 = state[0];
        s1 = state[1];
        s2 = state[2];
        s3 = state[3];
        seed = state[4];
        hasSpare = state[5] != 0;
        spareNormal = Double.longBitsToDouble(state[6]);
    }
}
