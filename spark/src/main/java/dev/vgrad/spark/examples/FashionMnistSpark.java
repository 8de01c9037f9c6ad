package dev.vgrad.spark.examples;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.examples.FashionMnist;
import dev.vgrad.examples.Models;
import dev.vgrad.nn.F;
import dev.vgrad.nn.Module;
import dev.vgrad.optim.Adam;
import dev.vgrad.spark.Batch;
import dev.vgrad.spark.BatchScorer;
import dev.vgrad.spark.DataParallelTrainer;
import dev.vgrad.spark.InProcessRunner;
import dev.vgrad.spark.LossFunction;
import dev.vgrad.spark.ModelFactory;
import dev.vgrad.spark.OptimizerFactory;
import dev.vgrad.spark.ShardRunner;
import dev.vgrad.spark.SparkShardRunner;
import dev.vgrad.spark.StandaloneCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Trains the examples' Fashion-MNIST CNN (Conv-BN-ReLU-Pool ×2, Dropout, Linear) data-parallel on a 2-worker
 * standalone cluster started on 127.0.0.1, then trains the same steps with the in-process reference runner and
 * with plain single-process training on the same global batches, and prints: the losses, whether the cluster's
 * weights equal the reference's bit for bit, and the test accuracy of each (the cluster's scored with
 * {@link BatchScorer} on the cluster).
 *
 * <p>{@code mvn -pl spark -am install -DskipTests} once, then
 * {@code mvn -pl spark validate exec:exec -Dspark.examples.args="--steps 60 --batch 128"}. Options:
 * {@code --steps N} (default 40), {@code --batch N} global batch (128), {@code --shards P} (2),
 * {@code --workers W} (2), {@code --test N} test images to score (2000), {@code --data DIR|embedded}.
 */
public final class FashionMnistSpark {
    private FashionMnistSpark() {
    }

    /** Entry point; see the class comment for the options. */
    public static void main(String[] args) throws Exception {
        int steps = 40;
        int batch = 128;
        int shards = 2;
        int workers = 2;
        int testN = 2000;
        Path data = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--shards" -> shards = Integer.parseInt(args[++i]);
                case "--workers" -> workers = Integer.parseInt(args[++i]);
                case "--test" -> testN = Integer.parseInt(args[++i]);
                case "--data" -> data = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--steps, --batch, --shards, --workers, --test, --data)");
            }
        }
        FashionMnist ds = FashionMnist.load(data);
        System.out.printf("data: %s (%d train, %d test)%n", ds.source(), ds.train().size(), ds.test().size());
        Tensor xTrain = ds.train().tensor(0);
        Tensor yTrain = ds.train().tensor(1);
        List<Batch> batches = batches(xTrain, yTrain, steps, batch, 2026);

        final long seed = 2026;
        ModelFactory cnn = () -> Models.cnn(new Generator(seed), null);
        LossFunction loss = F::crossEntropy;
        OptimizerFactory adam = ps -> new Adam(ps, 1e-3);

        Path dir = Files.createTempDirectory("vgrad-fashion-spark-");
        byte[] clusterWeights;
        double clusterAcc;
        long t0 = System.nanoTime();
        try (StandaloneCluster cluster = StandaloneCluster.start(workers, 1, dir, Duration.ofSeconds(60))) {
            try (JavaSparkContext sc = new JavaSparkContext(cluster.conf("vgrad-fashion-mnist"))) {
                cluster.awaitExecutors(sc, Duration.ofSeconds(120));
                System.out.printf("cluster %s: %d executors up after %.1f s%n", cluster.masterUrl(),
                        StandaloneCluster.executors(sc), (System.nanoTime() - t0) / 1e9);
                DataParallelTrainer t = new DataParallelTrainer(cnn, loss, adam, new SparkShardRunner(sc), shards,
                        seed);
                long start = System.nanoTime();
                train("cluster", t, batches);
                System.out.printf("cluster: %d steps in %.1f s%n", steps, (System.nanoTime() - start) / 1e9);
                clusterWeights = BatchScorer.weightsOf(t.model());
                BatchScorer scorer = new BatchScorer(cnn, new int[] {1, 28, 28}, 256);
                List<float[]> rows = rows(ds.test().tensor(0), testN);
                List<float[]> logits = scorer.score(sc, sc.parallelize(rows, workers), clusterWeights).collect();
                clusterAcc = accuracy(logits, ds.test().tensor(1));
            }
        } finally {
            deleteTree(dir);
        }

        DataParallelTrainer ref = new DataParallelTrainer(cnn, loss, adam, new InProcessRunner(), shards, seed);
        long start = System.nanoTime();
        train("in-process reference", ref, batches);
        System.out.printf("in-process reference: %d steps in %.1f s%n", steps, (System.nanoTime() - start) / 1e9);
        boolean same = Arrays.equals(clusterWeights, BatchScorer.weightsOf(ref.model()));

        DataParallelTrainer plain = new DataParallelTrainer(cnn, loss, adam, new InProcessRunner(), 1, seed);
        train("single process (P=1)", plain, batches);
        BatchScorer localScorer = new BatchScorer(cnn, new int[] {1, 28, 28}, 256);
        List<float[]> rows = rows(ds.test().tensor(0), testN);
        double plainAcc = accuracy(localScorer.scoreLocally(rows, BatchScorer.weightsOf(plain.model())),
                ds.test().tensor(1));

        System.out.printf("%ncluster weights == in-process reference weights (bit for bit): %s%n", same);
        System.out.printf("test accuracy on %d images after %d steps of global batch %d:%n", rows.size(), steps,
                batch);
        System.out.printf("  data-parallel on the cluster (P=%d): %.2f%%%n", shards, 100 * clusterAcc);
        System.out.printf("  single process (P=1):               %.2f%%%n", 100 * plainAcc);
        if (!same) {
            System.exit(1);
        }
    }

    private static void train(String name, DataParallelTrainer t, List<Batch> batches) {
        for (int s = 0; s < batches.size(); s++) {
            double l = t.step(batches.get(s));
            if (s % 10 == 0 || s == batches.size() - 1) {
                System.out.printf("  %-22s step %3d  loss %.4f%n", name, s, l);
            }
        }
    }

    /** {@code steps} global batches drawn without replacement from a seeded permutation (wrapping around). */
    private static List<Batch> batches(Tensor x, Tensor y, int steps, int batch, long seed) {
        int n = x.size(0);
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        Random r = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        List<Batch> out = new ArrayList<>();
        for (int s = 0; s < steps; s++) {
            long[] idx = new long[batch];
            for (int i = 0; i < batch; i++) {
                idx[i] = perm[(int) (((long) s * batch + i) % n)];
            }
            Tensor index = Tensor.ofLongs(idx, batch);
            out.add(Batch.of(x.indexSelect(0, index), y.indexSelect(0, index)));
        }
        return out;
    }

    private static List<float[]> rows(Tensor x, int limit) {
        int n = Math.min(limit, x.size(0));
        float[] all = x.narrow(0, 0, n).toArray();
        int row = all.length / n;
        List<float[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(Arrays.copyOfRange(all, i * row, (i + 1) * row));
        }
        return out;
    }

    private static double accuracy(List<float[]> logits, Tensor labels) {
        long[] y = labels.toLongArray();
        int correct = 0;
        for (int i = 0; i < logits.size(); i++) {
            float[] l = logits.get(i);
            int best = 0;
            for (int k = 1; k < l.length; k++) {
                if (l[k] > l[best]) {
                    best = k;
                }
            }
            if (best == y[i]) {
                correct++;
            }
        }
        return correct / (double) logits.size();
    }

    private static void deleteTree(Path root) throws java.io.IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
