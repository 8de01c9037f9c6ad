package dev.vgrad.spark;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.BatchNorm1d;
import dev.vgrad.nn.DropPath;
import dev.vgrad.nn.Dropout;
import dev.vgrad.nn.F;
import dev.vgrad.nn.Linear;
import dev.vgrad.nn.Module;
import dev.vgrad.nn.ReLU;
import dev.vgrad.nn.Sequential;
import dev.vgrad.optim.Adam;
import dev.vgrad.optim.SGD;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Random small training problems shared by the tests: a model spec, its data, and a training run. */
final class Cases {
    private Cases() {
    }

    /** A random small MLP classifier and its training setup. */
    record Spec(long seed, int in, int hidden, int out, boolean batchNorm, boolean dropout, boolean adam,
                int globalBatch, int steps) implements Serializable {

        static Spec random(long seed) {
            Random r = new Random(seed);
            return new Spec(seed, 2 + r.nextInt(5), 3 + r.nextInt(6), 2 + r.nextInt(3), r.nextBoolean(),
                    r.nextBoolean(), r.nextBoolean(), 12 + r.nextInt(9), 3);
        }

        ModelFactory factory() {
            return () -> {
                Generator g = new Generator(seed);
                List<Module> layers = new ArrayList<>();
                layers.add(new Linear(in, hidden, true, g));
                if (batchNorm) {
                    layers.add(new BatchNorm1d(hidden));
                }
                layers.add(new ReLU());
                if (dropout) {
                    layers.add(new Dropout(0.3));
                    layers.add(new DropPath(0.2));
                }
                layers.add(new Linear(hidden, out, true, g));
                return new Sequential(layers.toArray(new Module[0]));
            };
        }

        OptimizerFactory optimizer() {
            return adam ? ps -> new Adam(ps, 0.01) : ps -> new SGD(ps, SGD.options().lr(0.05).momentum(0.9));
        }

        /** Global batch {@code step}: standard normal inputs, uniform labels. */
        Batch batch(int step) {
            Generator g = new Generator(seed * 31 + step);
            return Batch.of(Tensor.randn(g, globalBatch, in), Tensor.randint(g, 0, out, globalBatch));
        }
    }

    static LossFunction crossEntropy() {
        return F::crossEntropy;
    }

    /** The state dict bytes after {@code spec.steps} data-parallel steps over {@code p} shards. */
    static byte[] trainDataParallel(Spec spec, ShardRunner runner, int p) {
        DataParallelTrainer t = new DataParallelTrainer(spec.factory(), crossEntropy(), spec.optimizer(), runner, p,
                spec.seed());
        for (int s = 0; s < spec.steps(); s++) {
            t.step(spec.batch(s));
        }
        return ModelState.encode(t.model());
    }

    /** The state dict bytes after two local-SGD rounds of {@code k} steps over {@code p} replicas. */
    static byte[] trainLocalSgd(Spec spec, ShardRunner runner, int p, int k) {
        LocalSgdTrainer t = new LocalSgdTrainer(spec.factory(), crossEntropy(), spec.optimizer(), runner, p,
                spec.seed());
        for (int round = 0; round < 2; round++) {
            List<Batch> bs = new ArrayList<>();
            for (int s = 0; s < k; s++) {
                bs.add(spec.batch(round * k + s));
            }
            t.round(bs);
        }
        return ModelState.encode(t.model());
    }

    static String describe(Spec spec, int p) {
        return spec + " P=" + p;
    }
}
