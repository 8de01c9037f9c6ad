package dev.vgrad.core;

import dev.vgrad.core.kernel.KernelProvider;
import dev.vgrad.core.kernel.Parallel;

/** Process-wide settings: intra-op threads, the default generator's seed, and which kernels are active. */
public final class Vgrad {
    private Vgrad() {}

    /**
     * Threads used by large kernels; overrides the default ({@code -Dvgrad.threads=N}, else the environment
     * variable {@code VGRAD_NUM_THREADS}, else the available processors; docs/SEMANTICS.md §12.6). Results do not
     * depend on it.
     *
     * @param n the thread count, ≥ 1 ({@code torch.set_num_threads})
     * @throws IllegalArgumentException when {@code n < 1}
     */
    public static void setNumThreads(int n) {
        Parallel.setNumThreads(n);
    }

    /**
     * Current intra-op thread count.
     *
     * @return the thread count large kernels split their work over ({@code torch.get_num_threads})
     */
    public static int numThreads() {
        return Parallel.numThreads();
    }

    /**
     * Re-seeds the default {@link Generator} (like {@code torch.manual_seed}).
     *
     * @param seed any 64-bit value
     */
    public static void manualSeed(long seed) {
        Generator.defaultGenerator().manualSeed(seed);
    }

    /**
     * True when the SIMD (Vector API) kernels are in use.
     *
     * @return whether the Vector API kernels are active (else the scalar fallback kernels)
     */
    public static boolean simdEnabled() {
        return KernelProvider.simdEnabled();
    }
}
