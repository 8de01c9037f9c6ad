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

/**
 * Local SGD (periodic parameter averaging, docs/SEMANTICS.md §23.5): {@code P} replicas start a round from the
 * same weights, each takes {@code K} optimizer steps on its own shard of each of {@code K} global batches, and the
 * driver then sets the weights to the replicas' mean, summed in replica order and divided by {@code P}.
 *
 * <p>Trade-off: one exchange of the weights per {@code K} steps instead of one per step, so communication and
 * scheduling overhead shrink by {@code K}; but replicas drift apart between averagings (each follows the gradient
 * of its own shard only, on a batch {@code P} times smaller), so per step it makes less progress than synchronous
 * SGD on the global batch, and the final weights differ from it. {@code K = 1} with plain SGD (no momentum) equals
 * synchronous data-parallel SGD up to float rounding, since {@code mean_p(w - lr g_p) = w - lr mean_p(g_p)}.
 *
 * <p>Replicas are weighted equally (as PyTorch's post-local-SGD parameter averager does); when {@code P} does not
 * divide the global batch, the shards differ by one row and rows of smaller shards weigh slightly more.
 *
 * <p>Each replica keeps its own optimizer state (e.g. Adam moments) across rounds: the driver stores it as
 * checkpoint bytes and ships it with the replica's next task. Persistent buffers (BatchNorm running statistics)
 * are taken from replica 0, as in {@link DataParallelTrainer}. Dropout seeds are {@code (seed, step, replica)}.
 * The result is bit-identical whichever {@link ShardRunner} runs it.
 */
public final class LocalSgdTrainer {
    private final ModelFactory factory;
    private final LossFunction loss;
    private final OptimizerFactory optimizer;
    private final ShardRunner runner;
    private final int replicas;
    private final long seed;
    private final Module model;
    private final List<Tensor> params;
    private final byte[][] optimizerStates;
    private long step;

    /**
     * A trainer averaging {@code replicas} replicas after every round.
     *
     * @throws IllegalArgumentException if {@code replicas < 1} or the model has non-float32 parameters
     */
    public LocalSgdTrainer(ModelFactory factory, LossFunction loss, OptimizerFactory optimizer, ShardRunner runner,
                           int replicas, long seed) {
        if (replicas < 1) {
            throw new IllegalArgumentException("LocalSgdTrainer: replicas must be >= 1, got " + replicas);
        }
        this.factory = factory;
        this.loss = loss;
        this.optimizer = optimizer;
        this.runner = runner;
        this.replicas = replicas;
        this.seed = seed;
        this.model = factory.create();
        this.params = ModelState.floatParameters(model, "LocalSgdTrainer");
        this.optimizerStates = new byte[replicas][];
    }

    /** The driver's model: the averaged weights after the last round. */
    public Module model() {
        return model;
    }

    /** Local steps taken by each replica so far. */
    public long stepCount() {
        return step;
    }

    /**
     * One round of {@code K = globalBatches.size()} local steps per replica followed by averaging; returns the mean
     * over replicas and steps of the replicas' training losses.
     *
     * @throws IllegalArgumentException if the list is empty or a batch has fewer rows than there are replicas
     */
    public double round(List<Batch> globalBatches) {
        if (globalBatches.isEmpty()) {
            throw new IllegalArgumentException("LocalSgdTrainer.round: needs at least one global batch");
        }
        List<List<Batch>> perReplica = new ArrayList<>();
        for (int r = 0; r < replicas; r++) {
            perReplica.add(new ArrayList<>());
        }
        for (Batch b : globalBatches) {
            List<Batch> parts = b.shards(replicas);
            for (int r = 0; r < replicas; r++) {
                perReplica.get(r).add(parts.get(r));
            }
        }
        List<ReplicaTask.Input> inputs = new ArrayList<>();
        for (int r = 0; r < replicas; r++) {
            inputs.add(new ReplicaTask.Input(perReplica.get(r), step, optimizerStates[r]));
        }
        List<ReplicaTask.Result> rs = runner.run(ModelState.encode(model), inputs,
                new ReplicaTask(factory, loss, optimizer, seed));
        float[] sum = rs.get(0).params().clone();
        double lossSum = rs.get(0).lossSum();
        for (int r = 1; r < replicas; r++) {
            float[] w = rs.get(r).params();
            for (int i = 0; i < sum.length; i++) {
                sum[i] += w[i];
            }
            lossSum += rs.get(r).lossSum();
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] /= replicas;
        }
        ModelState.assignValues(params, sum);
        ModelState.applyBuffers(model, rs.get(0).buffers());
        for (int r = 0; r < replicas; r++) {
            optimizerStates[r] = rs.get(r).optimizerState();
        }
        step += globalBatches.size();
        return lossSum / (replicas * (double) globalBatches.size());
    }

    /** One replica's round: K local steps from the shared weights with its own optimizer state. */
    static final class ReplicaTask implements ShardFunction<ReplicaTask.Input, ReplicaTask.Result> {
        private static final long serialVersionUID = 1L;
        private final ModelFactory factory;
        private final LossFunction loss;
        private final OptimizerFactory optimizer;
        private final long seed;

        ReplicaTask(ModelFactory factory, LossFunction loss, OptimizerFactory optimizer, long seed) {
            this.factory = factory;
            this.loss = loss;
            this.optimizer = optimizer;
            this.seed = seed;
        }

        record Input(List<Batch> batches, long firstStep, byte[] optimizerState) implements Serializable {
        }

        record Result(float[] params, byte[] buffers, byte[] optimizerState, double lossSum) implements Serializable {
        }

        @Override
        public Result apply(byte[] shared, Input in, int index) throws IOException {
            Module m = factory.create();
            ModelState.load(m, shared);
            m.train();
            List<Tensor> ps = ModelState.floatParameters(m, "LocalSgdTrainer");
            Optimizer opt = optimizer.create(ps);
            Path tmp = Files.createTempFile("vgrad-localsgd-", ".safetensors");
            try {
                if (in.optimizerState() != null) {
                    Files.write(tmp, in.optimizerState());
                    Checkpoint.load(tmp, null, opt, null);
                }
                double lossSum = 0;
                for (int k = 0; k < in.batches().size(); k++) {
                    Batch b = in.batches().get(k);
                    Seeds.seedStochasticModules(m, seed, in.firstStep() + k, index);
                    opt.zeroGrad();
                    Tensor l = loss.compute(m.call(b.inputs()), b.targets());
                    lossSum += l.item();
                    l.backward();
                    opt.step();
                }
                Checkpoint.save(tmp, null, opt, null);
                return new Result(ModelState.flattenValues(ps), ModelState.encodeBuffers(m), Files.readAllBytes(tmp),
                        lossSum);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
