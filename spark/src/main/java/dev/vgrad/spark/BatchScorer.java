package dev.vgrad.spark;

import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.Module;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;

/**
 * Batch inference of a vgrad module over an RDD of rows (docs/SEMANTICS.md §23.1).
 *
 * <p>The weights travel once per executor as broadcast safetensors bytes; each partition builds the module from
 * the {@link ModelFactory}, loads them, switches to {@code eval()} and runs the forward pass without recording
 * (no-grad) on consecutive chunks of {@code batchSize} rows, stacked into {@code [b, sampleShape...]}. Each row
 * maps to its output row (flattened {@code float[]}), in the partition's order.
 *
 * <p>{@link #scoreLocally} is the same computation on one list, chunked the same way; a row scored on the cluster
 * has the bits it gets locally in the same chunk. (vgrad's kernels compute a row's output independently of the
 * other rows of a batch for the layers whose eval forward is row-wise, e.g. Linear, Conv2d, eval-mode BatchNorm;
 * the tests check scoring against one whole-dataset local batch on such models.)
 */
public final class BatchScorer implements Serializable {
    private static final long serialVersionUID = 1L;

    private final ModelFactory factory;
    private final int[] sampleShape;
    private final int batchSize;

    /**
     * A scorer for rows of {@code sampleShape} (e.g. {@code {1, 28, 28}}), forwarding {@code batchSize} rows at a
     * time.
     */
    public BatchScorer(ModelFactory factory, int[] sampleShape, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("BatchScorer: batchSize must be >= 1, got " + batchSize);
        }
        this.factory = factory;
        this.sampleShape = sampleShape.clone();
        this.batchSize = batchSize;
    }

    /** The safetensors bytes of {@code model}'s state dict, as {@link #score} expects them. */
    public static byte[] weightsOf(Module model) {
        return ModelState.encode(model);
    }

    /** The outputs of {@code rows} for the model with {@code weights}, one output row per input row. */
    public JavaRDD<float[]> score(JavaSparkContext sc, JavaRDD<float[]> rows, byte[] weights) {
        Broadcast<byte[]> b = sc.broadcast(weights);
        return rows.mapPartitions(new PartitionScorer(this, b), true);
    }

    /** The reference: {@link #score}'s computation on one list on the calling thread. */
    public List<float[]> scoreLocally(List<float[]> rows, byte[] weights) {
        List<float[]> out = new ArrayList<>(rows.size());
        Iterator<float[]> it = scorePartition(weights, rows.iterator());
        while (it.hasNext()) {
            out.add(it.next());
        }
        return out;
    }

    private Module load(byte[] weights) {
        Module m = factory.create();
        ModelState.load(m, weights);
        m.eval();
        return m;
    }

    /** The shape of one input row, without the batch dimension. */
    int[] sampleShape() {
        return sampleShape.clone();
    }

    /**
     * Lazily scores {@code rows} chunk by chunk, so a partition never needs to fit in memory at once. It pulls at
     * most {@code batchSize} rows ahead of the output it returns ({@link DatasetScorer} relies on this to pair each
     * output with its input row).
     */
    Iterator<float[]> scorePartition(byte[] weights, Iterator<float[]> rows) {
        Module m = load(weights);
        int rowSize = 1;
        for (int d : sampleShape) {
            rowSize *= d;
        }
        final int rs = rowSize;
        return new Iterator<>() {
            private final ArrayList<float[]> ready = new ArrayList<>();
            private int next;

            @Override
            public boolean hasNext() {
                if (next < ready.size()) {
                    return true;
                }
                if (!rows.hasNext()) {
                    return false;
                }
                List<float[]> chunk = new ArrayList<>(batchSize);
                while (chunk.size() < batchSize && rows.hasNext()) {
                    float[] r = rows.next();
                    if (r.length != rs) {
                        throw new IllegalArgumentException("BatchScorer: a row has " + r.length
                                + " values but sampleShape " + Arrays.toString(sampleShape) + " needs " + rs);
                    }
                    chunk.add(r);
                }
                float[] x = new float[chunk.size() * rs];
                for (int i = 0; i < chunk.size(); i++) {
                    System.arraycopy(chunk.get(i), 0, x, i * rs, rs);
                }
                int[] shape = new int[sampleShape.length + 1];
                shape[0] = chunk.size();
                System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
                float[] y;
                try (var off = Grad.disabled()) {
                    y = m.call(Tensor.of(x, shape)).toArray();
                }
                int outRow = y.length / chunk.size();
                ready.clear();
                next = 0;
                for (int i = 0; i < chunk.size(); i++) {
                    ready.add(Arrays.copyOfRange(y, i * outRow, (i + 1) * outRow));
                }
                return true;
            }

            @Override
            public float[] next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return ready.get(next++);
            }
        };
    }

    private static final class PartitionScorer implements FlatMapFunction<Iterator<float[]>, float[]> {
        private static final long serialVersionUID = 1L;
        private final BatchScorer scorer;
        private final Broadcast<byte[]> weights;

        PartitionScorer(BatchScorer scorer, Broadcast<byte[]> weights) {
            this.scorer = scorer;
            this.weights = weights;
        }

        @Override
        public Iterator<float[]> call(Iterator<float[]> rows) {
            return scorer.scorePartition(weights.value(), rows);
        }
    }
}
