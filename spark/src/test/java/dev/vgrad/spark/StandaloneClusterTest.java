package dev.vgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real standalone cluster on 127.0.0.1 (Master and two 1-core Workers in child JVMs, each Worker launching an
 * executor JVM), shared by all cases: weights bit-identical to the in-process reference, also when a task fails or
 * an executor JVM dies mid-run; and every process started is gone afterwards.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StandaloneClusterTest {
    private static final long SEED = 0x5EED_2026L;
    private static Path dir;
    private static StandaloneCluster cluster;
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory("vgrad-spark-cluster-");
        cluster = StandaloneCluster.start(2, 1, dir, Duration.ofSeconds(60));
        sc = new JavaSparkContext(cluster.conf("vgrad-cluster-test"));
        cluster.awaitExecutors(sc, Duration.ofSeconds(120));
    }

    @AfterAll
    static void stop() throws IOException {
        List<ProcessHandle> started = new ArrayList<>();
        if (cluster != null) {
            for (long pid : cluster.pids()) {
                ProcessHandle.of(pid).ifPresent(started::add);
            }
        }
        try {
            if (sc != null) {
                sc.stop();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
        assertTrue(started.size() >= 3, "expected at least the Master and 2 Workers, found pids " + started);
        for (ProcessHandle h : started) {
            assertFalse(h.isAlive(), "process " + h.pid() + " outlived StandaloneCluster.close()");
        }
        deleteTree(dir);
    }

    private static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void clusterWeightsAreBitIdenticalToTheInProcessReference() {
        assertEquals(2, StandaloneCluster.executors(sc));
        qt().withFixedSeed(SEED).withExamples(3).withShrinkCycles(0).forAll(longs().all()).checkAssert(seed -> {
            Cases.Spec spec = Cases.Spec.random(seed);
            for (int p : new int[] {1, 2, 4}) {
                assertArrayEquals(Cases.trainDataParallel(spec, new InProcessRunner(), p),
                        Cases.trainDataParallel(spec, new SparkShardRunner(sc), p), Cases.describe(spec, p));
            }
        });
    }

    @Test
    void localSgdOnTheClusterIsBitIdentical() {
        Cases.Spec spec = Cases.Spec.random(77);
        assertArrayEquals(Cases.trainLocalSgd(spec, new InProcessRunner(), 2, 2),
                Cases.trainLocalSgd(spec, new SparkShardRunner(sc), 2, 2));
    }

    @Test
    void aFailedTaskAttemptChangesNoBit() {
        Cases.Spec spec = new Cases.Spec(31, 4, 6, 3, true, true, false, 16, 3);
        assertArrayEquals(Cases.trainDataParallel(spec, new InProcessRunner(), 2),
                Cases.trainDataParallel(spec, new SparkShardRunner(sc).faultInjector(
                        FaultInjector.failFirstAttempt(1, 0)), 2));
    }

    @Test
    void anExecutorDyingInsideATaskChangesNoBit() {
        Cases.Spec spec = new Cases.Spec(41, 4, 6, 3, true, true, true, 16, 3);
        byte[] expected = Cases.trainDataParallel(spec, new InProcessRunner(), 2);
        assertArrayEquals(expected, Cases.trainDataParallel(spec, new SparkShardRunner(sc).faultInjector(
                FaultInjector.killExecutorOnFirstAttempt(1, 1)), 2));
        cluster.awaitExecutors(sc, Duration.ofSeconds(120));
    }

    @Test
    void anExecutorKilledBetweenStepsChangesNoBit() {
        Cases.Spec spec = new Cases.Spec(43, 5, 5, 2, true, false, true, 16, 4);
        byte[] expected = Cases.trainDataParallel(spec, new InProcessRunner(), 2);
        DataParallelTrainer t = new DataParallelTrainer(spec.factory(), Cases.crossEntropy(), spec.optimizer(),
                new SparkShardRunner(sc), 2, spec.seed());
        for (int s = 0; s < spec.steps(); s++) {
            if (s == 2) {
                List<Long> pids = cluster.executorPids();
                assertFalse(pids.isEmpty(), "no executor process found under the Workers");
                Optional<ProcessHandle> victim = ProcessHandle.of(pids.get(0));
                assertTrue(victim.isPresent());
                victim.get().destroyForcibly(); // SIGKILL
                victim.get().onExit().join();
            }
            t.step(spec.batch(s));
        }
        assertArrayEquals(expected, ModelState.encode(t.model()));
        cluster.awaitExecutors(sc, Duration.ofSeconds(120));
    }
}
