package dev.vgrad.optim;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Property: each optimizer drives a small noisy linear-regression problem (64 samples, 8 features, float32) from
 * its initial loss to below {@value #THRESHOLD} in {@value #STEPS} full-batch steps, for several data/init seeds
 * drawn by QuickTheories from a fixed seed (the seeds tried are printed; a failure prints the falsifying seed).
 */
class ConvergencePropertyTest {
    static final double THRESHOLD = 0.05;
    static final int STEPS = 300;
    static final long QT_SEED = 20_240_611L;

    static double train(Function<List<Tensor>, Optimizer> make, long seed) {
        Generator g = new Generator(seed);
        Tensor x = Tensor.randn(g, 64, 8);
        Tensor wTrue = Tensor.randn(g, 8, 1);
        Tensor y = x.matmul(wTrue).add(1.5).add(Tensor.randn(g, 64, 1).mul(0.05));
        Tensor w = Tensor.randn(g, 8, 1).mul(0.1).requiresGrad(true);
        Tensor b = Tensor.zeros(1).requiresGrad(true);
        Optimizer opt = make.apply(List.of(w, b));
        double loss = Double.NaN;
        for (int i = 0; i < STEPS; i++) {
            opt.zeroGrad();
            Tensor d = x.matmul(w).add(b).sub(y);
            Tensor l = d.mul(d).mean();
            l.backward();
            loss = l.item();
            opt.step();
        }
        return loss;
    }

    static Function<List<Tensor>, Optimizer> optimizer(String name) {
        return switch (name) {
            case "SGD" -> ps -> new SGD(ps, SGD.options().lr(0.05).momentum(0.9));
            case "SGD-nesterov" -> ps -> new SGD(ps, SGD.options().lr(0.05).momentum(0.9).nesterov(true));
            case "Adam" -> ps -> new Adam(ps, 0.05);
            case "Adam-amsgrad" -> ps -> new Adam(ps, Adam.options().lr(0.05).amsgrad(true));
            case "AdamW" -> ps -> new AdamW(ps, 0.05);
            case "RMSprop" -> ps -> new RMSprop(ps, 0.01);
            case "RMSprop-centered-momentum" -> ps -> new RMSprop(ps,
                    RMSprop.options().lr(0.005).centered(true).momentum(0.5));
            case "Adagrad" -> ps -> new Adagrad(ps, 0.5);
            default -> throw new IllegalArgumentException(name);
        };
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"SGD", "SGD-nesterov", "Adam", "Adam-amsgrad", "AdamW", "RMSprop",
        "RMSprop-centered-momentum", "Adagrad"})
    void reducesLossBelowThreshold(String name) {
        Function<List<Tensor>, Optimizer> make = optimizer(name);
        StringBuilder tried = new StringBuilder();
        qt().withFixedSeed(QT_SEED).withExamples(6).forAll(longs().between(1, 1_000_000)).checkAssert(seed -> {
            double loss = train(make, seed);
            tried.append(' ').append(seed).append(String.format("(%.2e)", loss));
            assertTrue(loss < THRESHOLD, name + " seed " + seed + ": final loss " + loss);
        });
        System.out.println("[convergence] " + name + " seeds(final loss):" + tried);
    }
}
