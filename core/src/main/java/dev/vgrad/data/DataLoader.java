package dev.vgrad.data;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Iterates over a {@link Dataset} in batches, like {@code torch.utils.data.DataLoader} with the default
 * collate function (single process).
 *
 * <p>Each call to {@link #iterator()} starts an epoch. With {@code shuffle}, the epoch's order is a uniform
 * random permutation (Fisher–Yates) drawn from the loader's {@link Generator} when the iterator is created, so
 * the same seed gives the same sequence of epochs, and saving/restoring the generator's state
 * ({@link Generator#getState()}) between epochs resumes the sequence exactly. Without shuffle the order is
 * {@code 0..size-1}. With {@code dropLast} a final incomplete batch is skipped.
 *
 * <p>Samples of a {@link TensorDataset} (or a {@link Subset} of one) are gathered with one contiguous copy
 * per field and batch; other data sets are read sample by sample and stacked.
 */
public final class DataLoader implements Iterable<Batch> {
    private final Dataset dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final boolean dropLast;
    private final Generator generator;

    private DataLoader(Builder b) {
        this.dataset = b.dataset;
        this.batchSize = b.batchSize;
        this.shuffle = b.shuffle;
        this.dropLast = b.dropLast;
        this.generator = b.generator;
    }

    /** A builder over {@code dataset} (batch size 1, no shuffle, keep the last batch). */
    public static Builder builder(Dataset dataset) {
        if (dataset == null) {
            throw new IllegalArgumentException("DataLoader: dataset must not be null");
        }
        return new Builder(dataset);
    }

    /** Options of a {@link DataLoader}. */
    public static final class Builder {
        private final Dataset dataset;
        private int batchSize = 1;
        private boolean shuffle;
        private boolean dropLast;
        private Generator generator;

        private Builder(Dataset dataset) {
            this.dataset = dataset;
        }

        /** Samples per batch (≥ 1). */
        public Builder batchSize(int batchSize) {
            if (batchSize < 1) {
                throw new IllegalArgumentException("DataLoader: batch_size should be a positive integer value, "
                        + "but got batch_size=" + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        /** Reshuffle at every epoch (uses {@link #generator}, else the default generator). */
        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /** Skip the last batch when it is smaller than the batch size. */
        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** The generator that draws the permutations (the loader keeps using this instance). */
        public Builder generator(Generator generator) {
            this.generator = generator;
            return this;
        }

        public DataLoader build() {
            return new DataLoader(this);
        }
    }

    public Dataset dataset() {
        return dataset;
    }

    public int batchSize() {
        return batchSize;
    }

    public boolean shuffle() {
        return shuffle;
    }

    public boolean dropLast() {
        return dropLast;
    }

    /** The generator used for shuffling (the default generator when none was given). */
    public Generator generator() {
        return generator != null ? generator : Generator.defaultGenerator();
    }

    /** Number of batches in one epoch. */
    public int numBatches() {
        int n = dataset.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** Number of samples in one epoch (less than the data set size when {@code dropLast} drops some). */
    public int numSamples() {
        return dropLast ? numBatches() * batchSize : dataset.size();
    }

    /** The order of the next epoch; draws from the generator when shuffling (as {@link #iterator()} does). */
    int[] epochOrder() {
        int n = dataset.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (shuffle) {
            Generator g = generator();
            for (int i = n - 1; i > 0; i--) {
                int j = (int) g.nextLong(i + 1);
                int tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
        }
        return order;
    }

    /** Starts an epoch: the permutation is drawn now, batches are built lazily. */
    @Override
    public Iterator<Batch> iterator() {
        final int[] order = epochOrder();
        final int batches = numBatches();
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < batches;
            }

            @Override
            public Batch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                int from = next * batchSize;
                int to = Math.min(from + batchSize, order.length);
                next++;
                return collate(dataset, Arrays.copyOfRange(order, from, to));
            }
        };
    }

    /** Builds the batch of the given samples of {@code dataset} (default collate: stack each field). */
    public static Batch collate(Dataset dataset, int[] indices) {
        if (indices.length == 0) {
            throw new IllegalArgumentException("DataLoader.collate: empty batch");
        }
        Dataset base = dataset;
        int[] baseIdx = indices;
        while (base instanceof Subset s) {
            int[] mapped = new int[baseIdx.length];
            for (int i = 0; i < mapped.length; i++) {
                mapped[i] = s.baseIndex(baseIdx[i]);
            }
            baseIdx = mapped;
            base = s.base();
        }
        List<Tensor> fields = new ArrayList<>();
        if (base instanceof TensorDataset td) {
            for (Tensor t : td.tensors()) {
                fields.add(gatherRows(t, baseIdx));
            }
        } else {
            List<List<Tensor>> samples = new ArrayList<>(indices.length);
            for (int i : indices) {
                samples.add(dataset.get(i));
            }
            int nFields = samples.get(0).size();
            for (int f = 0; f < nFields; f++) {
                List<Tensor> column = new ArrayList<>(samples.size());
                for (int s = 0; s < samples.size(); s++) {
                    List<Tensor> sample = samples.get(s);
                    if (sample.size() != nFields) {
                        throw new IllegalArgumentException("DataLoader.collate: sample " + indices[s] + " has "
                                + sample.size() + " fields but sample " + indices[0] + " has " + nFields);
                    }
                    column.add(sample.get(f));
                }
                fields.add(stackSamples(column, indices, f));
            }
        }
        return new Batch(fields, indices);
    }

    /** Stacks same-shaped, same-dtype samples along a new dimension 0 (data only, no autograd history). */
    static Tensor stackSamples(List<Tensor> column, int[] indices, int field) {
        Tensor first = column.get(0);
        int[] shape = first.shape();
        int[] outShape = new int[shape.length + 1];
        outShape[0] = column.size();
        System.arraycopy(shape, 0, outShape, 1, shape.length);
        Tensor out = Tensor.zeros(first.dtype(), outShape);
        int row = first.numel();
        for (int i = 0; i < column.size(); i++) {
            Tensor t = column.get(i);
            if (!Arrays.equals(t.shape(), shape) || t.dtype() != first.dtype()) {
                throw new IllegalArgumentException("DataLoader.collate: field " + field + " of sample " + indices[i]
                        + " has shape " + Arrays.toString(t.shape()) + " and dtype " + t.dtype() + " but sample "
                        + indices[0] + " has " + Arrays.toString(shape) + " and " + first.dtype()
                        + "; stack expects each tensor to be equal size");
            }
            switch (first.dtype()) {
                case FLOAT32 -> System.arraycopy(t.toArray(), 0, out.floatStorage(), i * row, row);
                case FLOAT64 -> System.arraycopy(t.toDoubleArray(), 0, out.doubleStorage(), i * row, row);
                case INT64 -> System.arraycopy(t.toLongArray(), 0, out.longStorage(), i * row, row);
            }
        }
        return out;
    }

    /** {@code t[rows]} as a new contiguous tensor (rows along dimension 0). */
    static Tensor gatherRows(Tensor t, int[] rows) {
        int[] shape = t.shape();
        int n = shape[0];
        for (int r : rows) {
            if (r < 0 || r >= n) {
                throw new IndexOutOfBoundsException("DataLoader: row " + r + " out of range for size " + n);
            }
        }
        if (!t.isContiguous()) {
            List<Tensor> parts = new ArrayList<>(rows.length);
            for (int r : rows) {
                parts.add(t.select(0, r));
            }
            return stackSamples(parts, rows, 0);
        }
        int[] outShape = shape.clone();
        outShape[0] = rows.length;
        int row = n == 0 ? 0 : t.numel() / n;
        Tensor out = Tensor.zeros(t.dtype(), outShape);
        int off = t.storageOffset();
        DType dt = t.dtype();
        if (dt == DType.FLOAT32) {
            float[] src = t.floatStorage();
            float[] dst = out.floatStorage();
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(src, off + rows[i] * row, dst, i * row, row);
            }
        } else if (dt == DType.FLOAT64) {
            double[] src = t.doubleStorage();
            double[] dst = out.doubleStorage();
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(src, off + rows[i] * row, dst, i * row, row);
            }
        } else {
            long[] src = t.longStorage();
            long[] dst = out.longStorage();
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(src, off + rows[i] * row, dst, i * row, row);
            }
        }
        return out;
    }
}
