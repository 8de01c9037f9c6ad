package dev.vgrad.spark.examples;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.F;
import dev.vgrad.nn.Linear;
import dev.vgrad.nn.ReLU;
import dev.vgrad.nn.Sequential;
import dev.vgrad.optim.SGD;
import dev.vgrad.spark.Batch;
import dev.vgrad.spark.DataParallelTrainer;
import dev.vgrad.spark.InProcessRunner;
import dev.vgrad.spark.ModelFactory;
import dev.vgrad.spark.ShardRunner;
import dev.vgrad.spark.SparkShardRunner;
import dev.vgrad.spark.StandaloneCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Per-step wall time of {@link DataParallelTrainer} against model size and global batch, on the in-process runner,
 * {@code local[2]} and a 2-worker standalone cluster on 127.0.0.1 (MLP {@code d -> h -> h -> 10}, SGD, 2 shards;
 * median of {@code --steps} steps after 20 warm-up steps). The difference to the in-process time is the
 * distribution overhead (state encoding, broadcast, task launch, gradient collection). A benchmark: run it on an
 * idle machine only.
 *
 * <p>{@code mvn -pl spark validate exec:exec -Dspark.examples.main=dev.vgrad.spark.examples.StepOverhead
 * -Dspark.examples.args="--steps 30"}
 */
public final class StepOverhead {
    private StepOverhead() {
    }

    /** Entry point: {@code [--steps N]}. */
    public static void main(String[] args) throws Exception {
        int steps = args.length == 2 && args[0].equals("--steps") ? Integer.parseInt(args[1]) : 30;
        int[] hidden = {64, 256, 1024};
        int[] batches = {64, 1024};
        int d = 784;
        System.out.println("runner      params      batch   median ms/step");
        for (int h : hidden) {
            for (int b : batches) {
                report("in-process", h, b, measure(new InProcessRunner(), d, h, b, steps));
            }
        }
        try (JavaSparkContext sc = new JavaSparkContext(StandaloneCluster.localConf("vgrad-overhead", 2, 1))) {
            for (int h : hidden) {
                for (int b : batches) {
                    report("local[2]", h, b, measure(new SparkShardRunner(sc), d, h, b, steps));
                }
            }
        }
        Path dir = Files.createTempDirectory("vgrad-overhead-");
        try (StandaloneCluster c = StandaloneCluster.start(2, 1, dir, Duration.ofSeconds(60));
             JavaSparkContext sc = new JavaSparkContext(c.conf("vgrad-overhead"))) {
            c.awaitExecutors(sc, Duration.ofSeconds(120));
            for (int h : hidden) {
                for (int b : batches) {
                    report("cluster(2)", h, b, measure(new SparkShardRunner(sc), d, h, b, steps));
                }
            }
        }
    }

    private static void report(String runner, int h, int b, double ms) {
        long params = 784L * h + h + (long) h * h + h + h * 10L + 10;
        System.out.printf("%-10s %9d %8d %12.1f%n", runner, params, b, ms);
    }

    private static double measure(ShardRunner runner, int d, int h, int b, int steps) {
        ModelFactory f = () -> {
            Generator g = new Generator(1);
            return new Sequential(new Linear(d, h, true, g), new ReLU(), new Linear(h, h, true, g), new ReLU(),
                    new Linear(h, 10, true, g));
        };
        DataParallelTrainer t = new DataParallelTrainer(f, F::crossEntropy, ps -> new SGD(ps, 0.01), runner, 2, 1);
        Generator g = new Generator(2);
        Batch batch = Batch.of(Tensor.randn(g, b, d), Tensor.randint(g, 0, 10, b));
        for (int i = 0; i < 20; i++) {
            t.step(batch);
        }
        double[] ms = new double[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            t.step(batch);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms[steps / 2];
    }
}
