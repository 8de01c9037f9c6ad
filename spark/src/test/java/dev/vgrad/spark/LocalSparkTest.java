package dev.vgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.BatchNorm2d;
import dev.vgrad.nn.Conv2d;
import dev.vgrad.nn.Flatten;
import dev.vgrad.nn.Linear;
import dev.vgrad.nn.Module;
import dev.vgrad.nn.ReLU;
import dev.vgrad.nn.Sequential;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Embedded Spark ({@code local[2,4]}: two task threads, a failed task retried up to 3 times) against the in-process
 * reference: bit-identical weights, scores and recovery from a failed task.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class LocalSparkTest {
    private static final long SEED = 0x5EED_2026L;
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        sc = new JavaSparkContext(StandaloneCluster.localConf("vgrad-local-test", 2, 4));
    }

    @AfterAll
    static void stop() {
        if (sc != null) {
            sc.stop();
        }
    }

    @Test
    void dataParallelWeightsAreBitIdenticalToTheInProcessReference() {
        qt().withFixedSeed(SEED).withExamples(4).withShrinkCycles(0).forAll(longs().all()).checkAssert(seed -> {
            Cases.Spec spec = Cases.Spec.random(seed);
            for (int p : new int[] {1, 2, 4}) {
                assertArrayEquals(Cases.trainDataParallel(spec, new InProcessRunner(), p),
                        Cases.trainDataParallel(spec, new SparkShardRunner(sc), p), Cases.describe(spec, p));
            }
        });
    }

    @Test
    void aTaskFailingOnItsFirstAttemptChangesNoBit() {
        Cases.Spec spec = new Cases.Spec(21, 5, 7, 3, true, true, true, 16, 3);
        SparkShardRunner runner = new SparkShardRunner(sc).faultInjector(FaultInjector.failFirstAttempt(1, 1));
        assertArrayEquals(Cases.trainDataParallel(spec, new InProcessRunner(), 2),
                Cases.trainDataParallel(spec, runner, 2));
    }

    @Test
    void aTaskFailingEveryAttemptFailsTheStepWithTheCause() {
        Cases.Spec spec = Cases.Spec.random(5);
        ShardFunction<Integer, Integer> bad = (shared, in, i) -> {
            throw new IllegalArgumentException("boom in shard " + i);
        };
        var e = assertThrows(IllegalStateException.class,
                () -> new SparkShardRunner(sc).run(new byte[0], List.of(1, 2), bad));
        assertTrue(e.getMessage().contains("boom in shard"), e.getMessage());
        // the context survives a failed job
        assertArrayEquals(Cases.trainDataParallel(spec, new InProcessRunner(), 2),
                Cases.trainDataParallel(spec, new SparkShardRunner(sc), 2));
    }

    @Test
    void localSgdIsBitIdenticalToTheInProcessReference() {
        qt().withFixedSeed(SEED).withExamples(2).withShrinkCycles(0).forAll(longs().all()).checkAssert(seed -> {
            Cases.Spec spec = Cases.Spec.random(seed);
            for (int p : new int[] {2, 4}) {
                assertArrayEquals(Cases.trainLocalSgd(spec, new InProcessRunner(), p, 3),
                        Cases.trainLocalSgd(spec, new SparkShardRunner(sc), p, 3), Cases.describe(spec, p));
            }
        });
    }

    /** A small CNN with BatchNorm (eval mode: running statistics) whose weights are not the initial ones. */
    private static ModelFactory cnn() {
        return () -> {
            Generator g = new Generator(99);
            return new Sequential(new Conv2d(1, 4, 3, 1, 1, false, g), new BatchNorm2d(4), new ReLU(), new Flatten(),
                    new Linear(4 * 6 * 6, 5, true, g));
        };
    }

    @Test
    void batchScoringIsBitIdenticalToScoringLocally() {
        Module trained = cnn().create();
        Generator g = new Generator(5);
        try (var off = Grad.disabled()) {
            for (Tensor b : trained.buffers()) {
                if (b.dtype() == dev.vgrad.core.DType.FLOAT32) {
                    b.copy_(Tensor.rand(g, b.shape()).add(0.5));
                }
            }
        }
        byte[] weights = BatchScorer.weightsOf(trained);
        List<float[]> rows = new ArrayList<>();
        for (int i = 0; i < 103; i++) {
            rows.add(Tensor.randn(g, 36).toArray());
        }
        BatchScorer scorer = new BatchScorer(cnn(), new int[] {1, 6, 6}, 16);
        JavaRDD<float[]> rdd = sc.parallelize(rows, 3);
        List<float[]> onCluster = scorer.score(sc, rdd, weights).collect();
        List<float[]> local = scorer.scoreLocally(rows, weights);
        assertEquals(rows.size(), onCluster.size());
        // and against one forward pass over the whole data set in eval mode without grad
        trained.eval();
        float[] all = new float[rows.size() * 36];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, all, i * 36, 36);
        }
        float[] whole;
        try (var off = Grad.disabled()) {
            whole = trained.call(Tensor.of(all, rows.size(), 1, 6, 6)).toArray();
        }
        for (int i = 0; i < rows.size(); i++) {
            assertArrayEquals(local.get(i), onCluster.get(i), "row " + i);
            float[] expected = java.util.Arrays.copyOfRange(whole, i * 5, (i + 1) * 5);
            assertArrayEquals(expected, onCluster.get(i), "row " + i + " vs one whole-data-set batch");
        }
    }

    @Test
    void batchScorerRejectsRowsOfTheWrongSize() {
        BatchScorer scorer = new BatchScorer(cnn(), new int[] {1, 6, 6}, 4);
        byte[] weights = BatchScorer.weightsOf(cnn().create());
        var e = assertThrows(IllegalArgumentException.class,
                () -> scorer.scoreLocally(List.of(new float[35]), weights));
        assertTrue(e.getMessage().contains("35 values") && e.getMessage().contains("[1, 6, 6]"), e.getMessage());
    }
}
