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

    /** A generator seeded with {@code seed}. */
    public Generator(long seed) {
        manualSeed(seed);
    }

    /** The process-wide generator used when no generator is passed. */
    public static Generator defaultGenerator() {
        return DEFAULT;
    }

    /** Re-seeds this generator; the following stream equals that of {@code new Generator(seed)}. */
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

    /** The seed last given to {@link #manualSeed}. */
    public synchronized long initialSeed() {
        return seed;
    }

    private static long splitMix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The next 64 random bits. */
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

    /** Uniform in [0, 1) with 24 random bits (every float in the grid k·2^-24 equally likely). */
    public synchronized float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public synchronized double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform integer in [0, bound), without modulo bias. */
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

    /** Standard normal variate. */
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

    /** Bernoulli(p): true with probability p. */
    public boolean nextBernoulli(double p) {
        return nextDouble() < p;
    }

    /** A snapshot of the full state, for checkpoints. */
    public synchronized long[] getState() {
        return new long[] {s0, s1, s2, s3, seed, hasSpare ? 1 : 0, Double.doubleToRawLongBits(spareNormal)};
    }

    /** Restores a snapshot from {@link #getState()}. */
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
