package dev.vgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.Tensor;
import dev.vgrad.nn.F;
import dev.vgrad.nn.Module;
import dev.vgrad.optim.Optimizer;
import dev.vgrad.optim.SGD;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainers' laws on the in-process reference runner (no Spark involved). */
class DataParallelTrainerTest {
    private static final long SEED = 0x5EED_2026L;

    /** Plain single-process training with the shard-0 dropout seeds: what P = 1 must reproduce exactly. */
    private static byte[] trainPlainly(Cases.Spec spec) {
        Module m = spec.factory().create();
        Optimizer opt = spec.optimizer().create(m.parameters());
        for (int s = 0; s < spec.steps(); s++) {
            Batch b = spec.batch(s);
            m.train();
            Seeds.seedStochasticModules(m, spec.seed(), s, 0);
            opt.zeroGrad();
            F.crossEntropy(m.call(b.inputs()), b.targets()).backward();
            opt.step();
        }
        return ModelState.encode(m);
    }

    @Test
    void oneShardIsExactlyPlainTraining() {
        qt().withFixedSeed(SEED).withExamples(12).withShrinkCycles(0).forAll(longs().all()).checkAssert(seed -> {
            Cases.Spec spec = Cases.Spec.random(seed);
            assertArrayEquals(trainPlainly(spec), Cases.trainDataParallel(spec, new InProcessRunner(), 1),
                    () -> Cases.describe(spec, 1));
        });
    }

    @Test
    void shardGradientsSumToTheFullBatchMeanGradient() {
        // without BatchNorm and dropout the shards' scaled gradients add up to the global batch's mean-loss
        // gradient (up to float rounding of a differently ordered sum)
        qt().withFixedSeed(SEED).withExamples(12).withShrinkCycles(0)
                .forAll(longs().all(), integers().between(1, 4)).checkAssert((seed, p) -> {
                    Cases.Spec r = Cases.Spec.random(seed);
                    Cases.Spec spec = new Cases.Spec(r.seed(), r.in(), r.hidden(), r.out(), false, false, false,
                            r.globalBatch(), 1);
                    Module m = spec.factory().create();
                    Batch b = spec.batch(0);
                    F.crossEntropy(m.call(b.inputs()), b.targets()).backward();
                    float[] full = ModelState.flattenGrads(m.parameters());

                    List<DataParallelTrainer.GradientTask.Input> in = new ArrayList<>();
                    for (Batch s : b.shards(p)) {
                        in.add(new DataParallelTrainer.GradientTask.Input(s, 0, b.size()));
                    }
                    List<DataParallelTrainer.GradientTask.Result> rs = new InProcessRunner().run(
                            ModelState.encode(m), in, new DataParallelTrainer.GradientTask(spec.factory(),
                                    Cases.crossEntropy(), spec.seed()));
                    float[] sum = new float[full.length];
                    for (var res : rs) {
                        for (int i = 0; i < sum.length; i++) {
                            sum[i] += res.grad()[i];
                        }
                    }
                    for (int i = 0; i < full.length; i++) {
                        assertEquals(full[i], sum[i], 1e-5 + 1e-4 * Math.abs(full[i]),
                                Cases.describe(spec, p) + " element " + i);
                    }
                });
    }

    @Test
    void resumingFromACheckpointIsBitIdentical(@TempDir Path dir) throws Exception {
        Cases.Spec spec = new Cases.Spec(7, 5, 6, 3, true, true, true, 16, 4);
        byte[] uninterrupted = Cases.trainDataParallel(spec, new InProcessRunner(), 2);

        DataParallelTrainer first = new DataParallelTrainer(spec.factory(), Cases.crossEntropy(), spec.optimizer(),
                new InProcessRunner(), 2, spec.seed()).checkpointEvery(2, dir);
        first.step(spec.batch(0));
        first.step(spec.batch(1));
        first.step(spec.batch(2)); // lost with the "crashed" driver
        DataParallelTrainer resumed = new DataParallelTrainer(spec.factory(), Cases.crossEntropy(),
                spec.optimizer(), new InProcessRunner(), 2, spec.seed());
        resumed.resume(dir.resolve("step-2.safetensors"));
        assertEquals(2, resumed.stepCount());
        resumed.step(spec.batch(2));
        resumed.step(spec.batch(3));
        assertArrayEquals(uninterrupted, ModelState.encode(resumed.model()));
    }

    @Test
    void resumeRejectsAnotherShardCount(@TempDir Path dir) throws Exception {
        Cases.Spec spec = Cases.Spec.random(3);
        DataParallelTrainer t = new DataParallelTrainer(spec.factory(), Cases.crossEntropy(), spec.optimizer(),
                new InProcessRunner(), 2, spec.seed());
        t.step(spec.batch(0));
        t.save(dir.resolve("c.safetensors"));
        DataParallelTrainer other = new DataParallelTrainer(spec.factory(), Cases.crossEntropy(), spec.optimizer(),
                new InProcessRunner(), 4, spec.seed());
        var e = assertThrows(IllegalArgumentException.class, () -> other.resume(dir.resolve("c.safetensors")));
        assertTrue(e.getMessage().contains("shards=2") && e.getMessage().contains("shards=4"), e.getMessage());
    }

    @Test
    void localSgdWithOneStepPerRoundMatchesSynchronousSgd() {
        // mean_p(w - lr g_p) = w - lr mean_p(g_p): K = 1 with plain SGD is synchronous SGD up to rounding
        qt().withFixedSeed(SEED).withExamples(8).withShrinkCycles(0)
                .forAll(longs().all(), integers().between(1, 4)).checkAssert((seed, p) -> {
                    Cases.Spec r = Cases.Spec.random(seed);
                    // equal shards: local SGD weights replicas equally, the global mean weights rows equally
                    Cases.Spec spec = new Cases.Spec(r.seed(), r.in(), r.hidden(), r.out(), false, false, false,
                            p * (3 + Math.floorMod(seed, 3)), 2);
                    OptimizerFactory sgd = ps -> new SGD(ps, 0.1);
                    DataParallelTrainer dp = new DataParallelTrainer(spec.factory(), Cases.crossEntropy(), sgd,
                            new InProcessRunner(), p, spec.seed());
                    LocalSgdTrainer local = new LocalSgdTrainer(spec.factory(), Cases.crossEntropy(), sgd,
                            new InProcessRunner(), p, spec.seed());
                    for (int s = 0; s < 2; s++) {
                        dp.step(spec.batch(s));
                        local.round(List.of(spec.batch(s)));
                    }
                    float[] a = ModelState.flattenValues(dp.model().parameters());
                    float[] b = ModelState.flattenValues(local.model().parameters());
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(a[i], b[i], 1e-5 + 1e-4 * Math.abs(a[i]), Cases.describe(spec, p) + " " + i);
                    }
                });
    }

    @Test
    void localSgdReplicasDriftApartBetweenAveragings() {
        // with K > 1 the replicas' weights differ before averaging: local SGD is not synchronous SGD
        Cases.Spec spec = new Cases.Spec(11, 4, 6, 3, false, false, false, 16, 1);
        OptimizerFactory sgd = ps -> new SGD(ps, 0.1);
        DataParallelTrainer dp = new DataParallelTrainer(spec.factory(), Cases.crossEntropy(), sgd,
                new InProcessRunner(), 2, spec.seed());
        LocalSgdTrainer local = new LocalSgdTrainer(spec.factory(), Cases.crossEntropy(), sgd, new InProcessRunner(),
                2, spec.seed());
        for (int s = 0; s < 4; s++) {
            dp.step(spec.batch(s));
        }
        local.round(List.of(spec.batch(0), spec.batch(1), spec.batch(2), spec.batch(3)));
        assertEquals(4, local.stepCount());
        float[] a = ModelState.flattenValues(dp.model().parameters());
        float[] b = ModelState.flattenValues(local.model().parameters());
        double maxDiff = 0;
        for (int i = 0; i < a.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
        }
        assertTrue(maxDiff > 1e-4, "local SGD with K=4 should differ from synchronous SGD, max diff " + maxDiff);
    }

    @Test
    void shardsPartitionTheBatchContiguously() {
        qt().withFixedSeed(SEED).withExamples(50).withShrinkCycles(0)
                .forAll(integers().between(1, 40), integers().between(1, 40)).checkAssert((n, p) -> {
                    if (p > n) {
                        return;
                    }
                    float[] x = new float[n * 3];
                    long[] y = new long[n];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = i;
                    }
                    for (int i = 0; i < n; i++) {
                        y[i] = i;
                    }
                    Batch b = Batch.of(Tensor.of(x, n, 3), Tensor.ofLongs(y, n));
                    List<Batch> parts = b.shards(p);
                    assertEquals(p, parts.size());
                    List<Float> xs = new ArrayList<>();
                    List<Long> ys = new ArrayList<>();
                    int min = Integer.MAX_VALUE;
                    int max = 0;
                    for (Batch s : parts) {
                        for (float v : s.inputs().toArray()) {
                            xs.add(v);
                        }
                        for (long v : s.targets().toLongArray()) {
                            ys.add(v);
                        }
                        min = Math.min(min, s.size());
                        max = Math.max(max, s.size());
                    }
                    float[] joined = new float[xs.size()];
                    for (int i = 0; i < joined.length; i++) {
                        joined[i] = xs.get(i);
                    }
                    assertArrayEquals(x, joined);
                    assertEquals(Arrays.stream(y).boxed().toList(), ys);
                    assertTrue(max - min <= 1, "shard sizes " + min + ".." + max);
                });
    }

    @Test
    void badArgumentsAreRejectedEarly() {
        Cases.Spec spec = Cases.Spec.random(1);
        var e = assertThrows(IllegalArgumentException.class, () -> spec.batch(0).shards(spec.globalBatch() + 1));
        assertTrue(e.getMessage().contains("into " + (spec.globalBatch() + 1) + " non-empty shards"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DataParallelTrainer(spec.factory(),
                Cases.crossEntropy(), spec.optimizer(), new InProcessRunner(), 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new LocalSgdTrainer(spec.factory(),
                Cases.crossEntropy(), spec.optimizer(), new InProcessRunner(), 0, 1));
        assertThrows(IllegalArgumentException.class,
                () -> Batch.of(Tensor.zeros(3, 2), Tensor.ofLongs(new long[] {0, 1}, 2)));
    }

    @Test
    void seedsDependOnEveryCoordinate() {
        long base = Seeds.mix(1, 2, 3, 4);
        assertEquals(base, Seeds.mix(1, 2, 3, 4));
        assertTrue(base != Seeds.mix(2, 2, 3, 4) && base != Seeds.mix(1, 3, 3, 4) && base != Seeds.mix(1, 2, 4, 4)
                && base != Seeds.mix(1, 2, 3, 5));
        Cases.Spec spec = new Cases.Spec(5, 3, 4, 2, false, true, false, 12, 1);
        assertEquals(2, Seeds.seedStochasticModules(spec.factory().create(), 1, 0, 0));
    }
}
