package dev.vgrad.core.testing;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;

/**
 * Runs a property over QuickTheories-drawn case seeds from a fixed master seed, counting the cases tried and the
 * ones that failed, and prints {@code "<label>: N cases tried, F failures (<detail>)"} at the end, failing or not,
 * so a run reports its case counts (QuickTheories itself reports the falsifying seed).
 */
public final class SeededCases {
    private final AtomicInteger tried = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();

    /** Runs {@code examples} cases of {@code body} (case seeds in [1, 10^9]) drawn from {@code seed}. */
    public SeededCases run(long seed, int examples, LongConsumer body) {
        qt().withFixedSeed(seed).withExamples(examples).forAll(longs().between(1, 1_000_000_000L)).checkAssert(s -> {
            tried.incrementAndGet();
            try {
                body.accept(s);
            } catch (AssertionError | RuntimeException e) {
                failed.incrementAndGet();
                throw e;
            }
        });
        return this;
    }

    /** Prints the counts under {@code label}, with {@code detail} in parentheses. */
    public void print(String label, String detail) {
        System.out.println(label + ": " + tried.get() + " cases tried, " + failed.get() + " failures (" + detail + ")");
    }

    /** One property: runs it, and prints its counts even when it fails. */
    public static void check(String label, long seed, int examples, LongConsumer body) {
        SeededCases c = new SeededCases();
        try {
            c.run(seed, examples, body);
        } finally {
            c.print(label, "seed " + seed);
        }
    }
}
