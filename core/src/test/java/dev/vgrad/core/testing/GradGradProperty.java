package dev.vgrad.core.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.GradCheck;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The gradgradcheck property shared by core's and nn's op families: QuickTheories draws a seed, the family builds
 * its cases from it, every floating input is made to require grad, and {@link GradCheck#gradgradcheck} must pass
 * for each (docs/SEMANTICS.md §5.12). Prints {@code "<label>: N cases tried, F failures"} at the end.
 */
public final class GradGradProperty {
    private GradGradProperty() {}

    /** One op of a family: a name and the function under check, built for drawn inputs. */
    public record Case(String name, Function<Tensor[], Tensor> f, Tensor... inputs) {}

    /** Checks {@code examples} seeds of the family {@code cases}; failures name the family, op and seed. */
    public static void check(String label, String family, int examples, Function<Generator, List<Case>> cases) {
        AtomicInteger tried = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        try {
            qt().withExamples(examples).forAll(longs().all()).checkAssert(seed -> {
                for (Case c : cases.apply(new Generator(seed))) {
                    for (Tensor t : c.inputs()) {
                        if (t.dtype().isFloatingPoint()) {
                            t.requiresGrad(true);
                        }
                    }
                    tried.incrementAndGet();
                    GradCheck.Result r = GradCheck.gradgradcheck(c.f(), c.inputs());
                    if (!r.passed()) {
                        failed.incrementAndGet();
                    }
                    assertTrue(r.passed(), () -> family + ": " + c.name() + " seed " + seed + "\n" + r.report());
                }
            });
        } finally {
            System.out.println(label + "." + family + ": " + tried.get() + " cases tried, " + failed.get()
                    + " failures");
        }
    }
}
