package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.testing.LiveHeap;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The leak criterion of the memory tests ({@link LiveHeap#persistentGrowth}) on synthetic series: noise below
 * {@code delta/2} plus one bounded jump of any size at any time is never a leak; noise plus a steady growth of at
 * least {@code 2·delta} per third of the samples always is. This is what lets the long-run test pass on every machine while
 * still catching a leak.
 */
@DisplayName("LiveHeap.persistentGrowth: a bounded one-off never trips it, a steady leak always does")
class LiveHeapTest {
    static final long DELTA = 512 << 10;

    static long[] series(Random r, int n, double perSample, int jumpAt, long jump) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            long noise = (long) (r.nextDouble() * DELTA / 2);
            v[i] = 3_000_000L + noise + (long) (perSample * i) + (i >= jumpAt ? jump : 0);
        }
        return v;
    }

    @Test
    @DisplayName("one jump of up to 100x delta at a random sample, under noise: never a leak")
    void boundedJumpIsNotALeak() {
        AtomicInteger cases = new AtomicInteger();
        qt().withExamples(2000).forAll(integers().between(6, 40), integers().between(0, 45),
                longs().between(0, 100 * DELTA), longs().all()).checkAssert((n, at, jump, seed) -> {
                    cases.incrementAndGet();
                    LiveHeap.Growth g = LiveHeap.persistentGrowth(series(new Random(seed), n, 0, at, jump), DELTA);
                    assertFalse(g.leak(), "n=" + n + " jump " + jump + " at " + at + " seed " + seed + ": " + g);
                });
        System.out.println("[issue15] leak criterion, bounded one-off: " + cases.get() + " cases tried, 0 failures");
    }

    @Test
    @DisplayName("a steady growth of at least 2 delta per n/3 samples, under noise and a jump: always a leak")
    void steadyGrowthIsALeak() {
        AtomicInteger cases = new AtomicInteger();
        qt().withExamples(2000).forAll(integers().between(9, 40), integers().between(0, 45),
                longs().between(0, 10 * DELTA), longs().all()).checkAssert((n, at, jump, seed) -> {
                    cases.incrementAndGet();
                    Random r = new Random(seed);
                    // window centres are at least n/3 samples apart: this rate lifts each window by >= 2 delta
                    double rate = 2.0 * DELTA / (n / 3) * (1 + 3 * r.nextDouble());
                    LiveHeap.Growth g = LiveHeap.persistentGrowth(series(r, n, rate, at, jump), DELTA);
                    assertTrue(g.leak(), "n=" + n + " rate " + rate + " seed " + seed + ": " + g);
                });
        System.out.println("[issue15] leak criterion, steady leak: " + cases.get() + " cases tried, 0 failures");
    }
}
