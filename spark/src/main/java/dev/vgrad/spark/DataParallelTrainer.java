package dev.vgrad.spark;

import dev.vgrad.core.Tensor;
import dev.vgrad.nn.Module;
import dev.vgrad.optim.Checkpoint;
import dev.vgrad.optim.Optimizer;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Synchronous data-parallel training (docs/SEMANTICS.md §23), bit-identical whichever {@link ShardRunner} runs it.
 *
 * <p>One {@link #step(Batch)}:
 * <ol>
 *   <li>the driver encodes its model's state dict (safetensors) and the runner broadcasts it;</li>
 *   <li>the global batch of {@code N} rows is split into {@code P} contiguous shards ({@link Batch#shards}); task
 *       {@code s} builds the model from the factory, loads the state, sets train mode, seeds its dropout-like
 *       modules from {@code (seed, step, s)} ({@link Seeds}), and back-propagates its shard's mean loss scaled by
 *       {@code n_s / N}; it returns the gradients as one float array in parameter order;</li>
 *   <li>the driver sums the P arrays <b>in shard order</b> ({@code g = g_0; g += g_1; ...}), so the gradient is that
 *       of the mean loss over the global batch up to float rounding of the fixed-order sum, assigns it, and steps
 *       its optimizer;</li>
 *   <li>persistent buffers (BatchNorm running statistics, {@code num_batches_tracked}) are taken from shard 0:
 *       each shard normalises with its own batch statistics, as PyTorch's DistributedDataParallel does by
 *       default (without SyncBatchNorm) with {@code broadcast_buffers=True}, which copies rank 0's buffers.</li>
 * </ol>
 * Every float operation depends only on the state, the batch, {@code P}, the seed and the step, never on
 * placement, timing or retries; the {@link InProcessRunner} computes the same shards in the same order, so a
 * Spark run ends with the same bits. With {@code P = 1} a step is exactly an ordinary local training step (the
 * loss is scaled by 1.0) with the shard-0 dropout seeds.
 *
 * <p>The driver checkpoints every {@link #checkpointEvery n} steps with {@link Checkpoint} (model, optimizer,
 * step); {@link #resume} continues bit-identically.
 */
public final class DataParallelTrainer {
    private final ModelFactory factory;
    private final LossFunction loss;
    private final ShardRunner runner;
    private final int shards;
    private final long seed;
    private final Module model;
    private final List<Tensor> params;
    private final Optimizer optimizer;
    private long step;
    private int checkpointEvery;
    private Path checkpointDir;

    /**
     * A trainer over {@code shards} shards per step. The driver's model is {@code factory.create()}, its optimizer
     * {@code optimizer.create(model.parameters())}.
     *
     * @throws IllegalArgumentException if {@code shards < 1} or the model has non-float32 parameters
     */
    public DataParallelTrainer(ModelFactory factory, LossFunction loss, OptimizerFactory optimizer,
                               ShardRunner runner, int shards, long seed) {
        if (shards < 1) {
            throw new IllegalArgumentException("DataParallelTrainer: shards must be >= 1, got " + shards);
        }
        this.factory = factory;
        this.loss = loss;
        this.runner = runner;
        this.shards = shards;
        this.seed = seed;
        this.model = factory.create();
        this.params = ModelState.floatParameters(model, "DataParallelTrainer");
        this.optimizer = optimizer.create(params);
    }

    /** The driver's model (the trained weights). */
    public Module model() {
        return model;
    }

    /** The driver's optimizer (e.g. to attach an LR scheduler). */
    public Optimizer optimizer() {
        return optimizer;
    }

    /** Steps taken so far (including those restored by {@link #resume}). */
    public long stepCount() {
        return step;
    }

    /** The number of shards per step. */
    public int shards() {
        return shards;
    }

    /**
     * Writes {@code dir/step-<n>.safetensors} after every {@code n}-th step ({@code n = 0} turns it off). Returns
     * this.
     */
    public DataParallelTrainer checkpointEvery(int n, Path dir) {
        if (n < 0) {
            throw new IllegalArgumentException("checkpointEvery: n must be >= 0, got " + n);
        }
        this.checkpointEvery = n;
        this.checkpointDir = dir;
        return this;
    }

    /**
     * One synchronous step on {@code globalBatch}; returns the mean loss over the global batch (the shard losses
     * weighted by {@code n_s / N}, summed in shard order), measured before the update.
     *
     * @throws IllegalArgumentException if the batch has fewer rows than there are shards
     */
    public double step(Batch globalBatch) {
        List<Batch> parts = globalBatch.shards(shards);
        List<GradientTask.Input> inputs = new ArrayList<>(shards);
        for (Batch b : parts) {
            inputs.add(new GradientTask.Input(b, step, globalBatch.size()));
        }
        List<GradientTask.Result> rs = runner.run(ModelState.encode(model), inputs,
                new GradientTask(factory, loss, seed));
        float[] sum = rs.get(0).grad().clone();
        double meanLoss = rs.get(0).weightedLoss();
        for (int s = 1; s < rs.size(); s++) {
            float[] g = rs.get(s).grad();
            if (g.length != sum.length) {
                throw new IllegalStateException("shard " + s + " returned " + g.length + " gradient elements, shard 0 "
                        + sum.length + ": the factory does not build the same model everywhere");
            }
            for (int i = 0; i < sum.length; i++) {
                sum[i] += g[i];
            }
            meanLoss += rs.get(s).weightedLoss();
        }
        ModelState.assignGrads(params, sum);
        optimizer.step();
        ModelState.applyBuffers(model, rs.get(0).buffers());
        step++;
        if (checkpointEvery > 0 && step % checkpointEvery == 0) {
            try {
                save(checkpointDir.resolve("step-" + step + ".safetensors"));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("DataParallelTrainer: checkpoint after step " + step, e);
            }
        }
        return meanLoss;
    }

    /** Saves model, optimizer and step count to one {@link Checkpoint} file. */
    public void save(Path path) throws IOException {
        Files.createDirectories(path.toAbsolutePath().getParent());
        Checkpoint.save(path, model, optimizer, null, Map.of("dp.step", Long.toString(step),
                "dp.shards", Integer.toString(shards), "dp.seed", Long.toString(seed)));
    }

    /**
     * Restores a {@link #save} checkpoint into this (freshly built) trainer; the following steps are
     * bit-identical to those of the run that wrote it.
     *
     * @throws IllegalArgumentException if the checkpoint was written with another shard count or seed (the steps
     *                                  would differ)
     */
    public void resume(Path path) throws IOException {
        Map<String, String> meta = Checkpoint.load(path, model, optimizer, null);
        String p = meta.get("dp.shards");
        String s = meta.get("dp.seed");
        if (!Integer.toString(shards).equals(p) || !Long.toString(seed).equals(s)) {
            throw new IllegalArgumentException("resume: checkpoint " + path + " was written with shards=" + p
                    + ", seed=" + s + " but this trainer has shards=" + shards + ", seed=" + seed);
        }
        step = Long.parseLong(meta.get("dp.step"));
    }

    /** The task of one shard: forward, scaled mean loss, backward, flat gradient. */
    static final class GradientTask implements ShardFunction<GradientTask.Input, GradientTask.Result> {
        private static final long serialVersionUID = 1L;
        private final ModelFactory factory;
        private final LossFunction loss;
        private final long seed;

        GradientTask(ModelFactory factory, LossFunction loss, long seed) {
            this.factory = factory;
            this.loss = loss;
            this.seed = seed;
        }

        record Input(Batch shard, long step, int globalSize) implements Serializable {
        }

        record Result(float[] grad, double weightedLoss, byte[] buffers) implements Serializable {
        }

        @Override
        public Result apply(byte[] shared, Input in, int index) {
            Module m = factory.create();
            ModelState.load(m, shared);
            m.train();
            Seeds.seedStochasticModules(m, seed, in.step(), index);
            List<Tensor> ps = ModelState.floatParameters(m, "DataParallelTrainer");
            double weight = in.shard().size() / (double) in.globalSize();
            Tensor l = loss.compute(m.call(in.shard().inputs()), in.shard().targets());
            if (l.numel() != 1) {
                throw new IllegalArgumentException("LossFunction must return a scalar (mean reduction), got shape "
                        + java.util.Arrays.toString(l.shape()));
            }
            double value = l.item();
            l.mul(weight).backward();
            return new Result(ModelState.flattenGrads(ps), weight * value, index == 0 ? ModelState.encodeBuffers(m) : null);
        }
    }
}
