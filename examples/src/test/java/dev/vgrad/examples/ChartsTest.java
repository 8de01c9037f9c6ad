package dev.vgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.testing.SeededCases;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The y-axis label rule: steps on the 1-2-5 ladder, and enough decimals to print every multiple of one. */
class ChartsTest {
    @Test
    void niceStepIsTheSmallestLadderValueAtLeastItsArgument() {
        SeededCases.check("niceStep", 19L, 300, seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            double x = Math.pow(10, r.nextDouble(-8, 4));
            double step = Charts.niceStep(x);
            assertTrue(step >= x * (1 - 1e-12), "step " + step + " below " + x);
            // the ladder's widest gap is 2 -> 5, so the step is less than 2.5 times its argument
            assertTrue(step < 2.5 * x * (1 + 1e-12), "step " + step + " too far above " + x);
            double mantissa = step / Math.pow(10, Math.floor(Math.log10(step) + 1e-9));
            assertTrue(Math.abs(mantissa - 1) < 1e-9 || Math.abs(mantissa - 2) < 1e-9
                    || Math.abs(mantissa - 5) < 1e-9, "mantissa " + mantissa + " of " + step);
        });
    }

    @Test
    void decimalsPrintEveryMultipleOfTheStepExactlyAndNoMore() {
        SeededCases.check("decimalsFor", 23L, 300, seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            double minStep = Math.pow(10, r.nextDouble(-7, 3));
            double step = Charts.niceStep(minStep);
            int d = Charts.decimalsFor(minStep);
            long k = r.nextLong(1, 1000);
            double tick = k * step;
            double printed = Double.parseDouble(String.format(Locale.ROOT, "%." + d + "f", tick));
            assertEquals(tick, printed, 1e-9 * Math.max(1, tick), "tick " + tick + " with " + d + " decimals");
            if (d > 0) {
                // one decimal fewer would lose the step itself (e.g. 0.02 -> "0.0")
                double shorter = Double.parseDouble(String.format(Locale.ROOT, "%." + (d - 1) + "f", step));
                assertTrue(Math.abs(shorter - step) > 1e-9 * step, "step " + step + " needs fewer than " + d);
            }
        });
    }
}
