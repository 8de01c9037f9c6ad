package dev.vgrad.core.testing;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/**
 * Harness for the systematic bad-input property tests (issue 7): a catalogue of op families, each able to build
 * a random <em>invalid</em> call from a seed. QuickTheories draws the seeds; every call must throw
 * {@link IllegalArgumentException}, {@link IllegalStateException} or a plain {@link IndexOutOfBoundsException}
 * (PyTorch's IndexError) whose message names the op — never another exception type, and never return normally
 * (that would be a silently wrong result).
 */
public final class BadInput {
    /** One invalid call: what was done (for the failure report), the call, and the names one of which the message must contain. */
    public record Call(String what, ThrowingRunnable run, String... names) {}

    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** The master seed: {@code -Dvgrad.badinput.seed=...} reproduces a run; otherwise fixed. */
    public static final long SEED = Long.getLong("vgrad.badinput.seed", 0x7ADBADL);
    /** Random calls per family. */
    public static final int EXAMPLES = Integer.getInteger("vgrad.badinput.examples", 40);

    private final String suite;
    private final Map<String, Function<Random, Call>> families = new LinkedHashMap<>();
    private final AtomicInteger total = new AtomicInteger();

    public BadInput(String suite) {
        this.suite = suite;
    }

    /** Registers a family; {@code gen} builds one random invalid call per invocation. */
    public BadInput add(String family, Function<Random, Call> gen) {
        if (families.put(family, gen) != null) {
            throw new IllegalArgumentException("duplicate family " + family);
        }
        return this;
    }

    public int families() {
        return families.size();
    }

    public int casesTried() {
        return total.get();
    }

    /** One dynamic test per family, named with the number of random invalid calls it makes; a last one prints the total. */
    public Stream<DynamicTest> tests() {
        List<DynamicTest> out = new ArrayList<>();
        int i = 0;
        for (Map.Entry<String, Function<Random, Call>> e : families.entrySet()) {
            long famSeed = SEED * 31 + (i++);
            out.add(DynamicTest.dynamicTest(e.getKey() + ": " + EXAMPLES + " random invalid calls (seed " + famSeed + ")",
                    () -> runFamily(e.getKey(), e.getValue(), famSeed)));
        }
        out.add(DynamicTest.dynamicTest(suite + ": " + families.size() + " op families x " + EXAMPLES
                + " random invalid calls (master seed " + SEED + ")", () -> {
                    String msg = "[bad-input] " + suite + ": tried " + total.get() + " invalid calls over "
                            + families.size() + " op families (master seed " + SEED + ", -Dvgrad.badinput.seed to change)";
                    System.out.println(msg);
                }));
        return out.stream();
    }

    private void runFamily(String family, Function<Random, Call> gen, long famSeed) {
        qt().withFixedSeed(famSeed).withExamples(EXAMPLES).withShrinkCycles(0)
                .forAll(longs().all(), integers().between(0, 0))
                .checkAssert((s, unused) -> {
                    total.incrementAndGet();
                    Call c;
                    try {
                        c = gen.apply(new Random(s));
                    } catch (RuntimeException setup) {
                        throw new AssertionError(family + ": building the test case failed (seed " + s + ")", setup);
                    }
                    check(family, c, s);
                });
    }

    /** Asserts the contract for one call. */
    public static void check(String family, Call c, long seed) {
        Throwable thrown = null;
        try {
            c.run().run();
        } catch (Throwable t) {
            thrown = t;
        }
        String where = family + " [" + c.what() + "] (case seed " + seed + ")";
        if (thrown == null) {
            throw new AssertionError(where + ": invalid call returned normally instead of throwing");
        }
        boolean okType = thrown instanceof IllegalArgumentException || thrown instanceof IllegalStateException
                || (thrown.getClass() == IndexOutOfBoundsException.class);
        if (!okType) {
            throw new AssertionError(where + ": threw " + thrown.getClass().getName()
                    + " instead of IllegalArgumentException/IllegalStateException/IndexOutOfBoundsException", thrown);
        }
        String msg = thrown.getMessage() == null ? "" : thrown.getMessage().toLowerCase(Locale.ROOT);
        for (String n : c.names()) {
            if (msg.contains(n.toLowerCase(Locale.ROOT))) {
                return;
            }
        }
        throw new AssertionError(where + ": message \"" + thrown.getMessage() + "\" names none of "
                + String.join(", ", c.names()), thrown);
    }

    // ------------------------------------------------------------------ random argument helpers

    /** A random shape of the given rank, sizes in [1, max]. */
    public static int[] shape(Random r, int rank, int max) {
        int[] s = new int[rank];
        for (int i = 0; i < rank; i++) {
            s[i] = 1 + r.nextInt(max);
        }
        return s;
    }

    /** A random float32 tensor (values from a seeded vgrad generator). */
    public static Tensor tensor(Random r, int... shape) {
        return Tensor.randn(new Generator(r.nextLong()), shape);
    }

    /** A random tensor of {@code dtype}. */
    public static Tensor tensor(Random r, DType dtype, int... shape) {
        if (dtype == DType.INT64) {
            return Tensor.randint(new Generator(r.nextLong()), 0, 3, shape);
        }
        return tensor(r, shape).to(dtype);
    }

    /** A dim outside {@code [-rank, rank-1]} (rank 0 behaves like rank 1, as in PyTorch). */
    public static int badDim(Random r, int rank) {
        int k = Math.max(rank, 1);
        return switch (r.nextInt(4)) {
            case 0 -> k + r.nextInt(4);
            case 1 -> -k - 1 - r.nextInt(4);
            case 2 -> Integer.MAX_VALUE - r.nextInt(3);
            default -> Integer.MIN_VALUE + r.nextInt(3);
        };
    }

    /** Two shapes of the same rank that cannot broadcast (one dim where both sizes are > 1 and differ). */
    public static int[][] unbroadcastable(Random r, int rank) {
        int[] a = shape(r, rank, 4);
        int[] b = a.clone();
        int i = r.nextInt(rank);
        a[i] = 2 + r.nextInt(3);
        b[i] = a[i] + 1 + r.nextInt(3);
        return new int[][] {a, b};
    }

    /** A random element of {@code options}. */
    @SafeVarargs
    public static <T> T pick(Random r, T... options) {
        return options[r.nextInt(options.length)];
    }

    /** A non-finite double. */
    public static double nonFinite(Random r) {
        return pick(r, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
    }
}
