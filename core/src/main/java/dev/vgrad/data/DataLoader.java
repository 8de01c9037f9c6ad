package dev.vgrad.data;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.data.transforms.Transform;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Iterates over a {@link Dataset} in batches, like {@code torch.utils.data.DataLoader} with the default
 * collate function (docs/SEMANTICS.md §15).
 *
 * <p><b>Order.</b> Each call to {@link #iterator()} starts an epoch and asks the {@link Sampler} for the
 * epoch's indices, on the caller's thread. {@code shuffle(true)} means a {@link RandomSampler} over the
 * loader's {@link Generator} (a Fisher–Yates permutation, the same order this loader has always drawn, so
 * saving/restoring the generator's state between epochs resumes the sequence); without shuffle or sampler the
 * order is {@code 0..n-1}. Consecutive runs of {@code batchSize} indices form the batches; with
 * {@code dropLast} a final incomplete batch is skipped.
 *
 * <p><b>Transforms.</b> With {@link Builder#transform}, field 0 of every sample (the input image) is
 * transformed before batching. Sample {@code i} of epoch {@code e} gets its own {@link Generator} seeded from
 * {@code (seed, e, i)} only ({@link #sampleSeed}), where {@code seed} is {@link Builder#seed} and {@code e} is
 * {@link #epoch()} at the time the iterator was created. Its augmentation draws therefore do not depend on the
 * number of workers, the prefetch depth, the batch it falls in, or timing.
 *
 * <p><b>Workers.</b> With {@code numWorkers > 0}, each iterator loads batches on that many daemon threads,
 * keeping up to {@code numWorkers * prefetchFactor} batches in flight, and hands them out in order. Because
 * the order is fixed before the workers start and every random draw comes from a per-sample generator, the
 * batches are bit-for-bit those of {@code numWorkers = 0}. An exception thrown while loading a batch (by
 * {@link Dataset#get}, a transform or collation) stops the workers and reaches the caller's
 * {@code next()} as the cause of an {@link IllegalStateException} naming the batch; with {@code numWorkers = 0}
 * it propagates unchanged. An iterator shuts its workers down when it is exhausted or fails; one abandoned
 * midway must be closed ({@link BatchIterator#close()}, e.g. with try-with-resources), though its threads are
 * daemons and never keep the JVM alive.
 *
 * <p>Samples of a {@link TensorDataset} (or a {@link Subset} of one) without a transform are gathered with one
 * contiguous copy per field and batch; other data sets are read sample by sample and stacked.
 */
public final class DataLoader implements Iterable<Batch> {
    private final Dataset dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final boolean dropLast;
    private final Generator generator;
    private final Sampler sampler;
    private final int numWorkers;
    private final int prefetchFactor;
    private final Transform transform;
    private final long seed;
    private long epoch;

    private DataLoader(Builder b) {
        this.dataset = b.dataset;
        this.batchSize = b.batchSize;
        this.shuffle = b.shuffle;
        this.dropLast = b.dropLast;
        this.generator = b.generator;
        this.numWorkers = b.numWorkers;
        this.prefetchFactor = b.prefetchFactor;
        this.transform = b.transform;
        this.seed = b.seed;
        if (b.sampler != null) {
            if (b.shuffle) {
                throw new IllegalArgumentException("DataLoader: sampler option is mutually exclusive with shuffle");
            }
            this.sampler = b.sampler;
        } else {
            this.sampler = b.shuffle ? new RandomSampler(dataset.size(), generator())
                    : new SequentialSampler(dataset.size());
        }
    }

    /**
     * A builder over {@code dataset} (batch size 1, no shuffle, keep the last batch, no workers).
     *
     * @param dataset the data set to load from
     * @return a new builder with PyTorch's defaults
     * @throws IllegalArgumentException when {@code dataset} is null
     */
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
        private Sampler sampler;
        private int numWorkers;
        private int prefetchFactor = 2;
        private Transform transform;
        private long seed;

        private Builder(Dataset dataset) {
            this.dataset = dataset;
        }

        /**
         * Samples per batch (≥ 1).
         *
         * @param batchSize PyTorch's {@code batch_size}, {@code >= 1} (default 1)
         * @return this builder
         * @throws IllegalArgumentException when {@code batchSize < 1} (PyTorch's message)
         */
        public Builder batchSize(int batchSize) {
            if (batchSize < 1) {
                throw new IllegalArgumentException("DataLoader: batch_size should be a positive integer value, "
                        + "but got batch_size=" + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Reshuffle at every epoch (uses {@link #generator}, else the default generator).
         *
         * @param shuffle true for a new random permutation per epoch (default false); excludes {@link #sampler}
         * @return this builder
         */
        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /**
         * Skip the last batch when it is smaller than the batch size.
         *
         * @param dropLast PyTorch's {@code drop_last} (default false)
         * @return this builder
         */
        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /**
         * The generator that draws the permutations (the loader keeps using this instance).
         *
         * @param generator the shuffling generator, or null (the default) for the default generator
         * @return this builder
         */
        public Builder generator(Generator generator) {
            this.generator = generator;
            return this;
        }

        /**
         * The order of the indices (instead of {@link #shuffle}; its indices must be valid for the data set).
         *
         * @param sampler the index order of every epoch, or null (the default) for shuffle or sequential order
         * @return this builder
         */
        public Builder sampler(Sampler sampler) {
            this.sampler = sampler;
            return this;
        }

        /**
         * Threads that load batches ahead of the consumer (0: load in {@code next()} on the caller's thread).
         *
         * @param numWorkers PyTorch's {@code num_workers}, {@code >= 0} (default 0); threads, not processes
         * @return this builder
         * @throws IllegalArgumentException when {@code numWorkers < 0} (PyTorch's message)
         */
        public Builder numWorkers(int numWorkers) {
            if (numWorkers < 0) {
                throw new IllegalArgumentException("DataLoader: num_workers option should be non-negative; use "
                        + "num_workers=0 to disable multiprocessing, got " + numWorkers);
            }
            this.numWorkers = numWorkers;
            return this;
        }

        /**
         * Batches loaded ahead per worker (≥ 1, default 2; ignored without workers).
         *
         * @param prefetchFactor PyTorch's {@code prefetch_factor}, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException when {@code prefetchFactor < 1}
         */
        public Builder prefetchFactor(int prefetchFactor) {
            if (prefetchFactor < 1) {
                throw new IllegalArgumentException("DataLoader: prefetch_factor must be positive, got "
                        + prefetchFactor);
            }
            this.prefetchFactor = prefetchFactor;
            return this;
        }

        /**
         * Applied to field 0 of every sample before batching, with that sample's own generator.
         *
         * @param transform the per-sample input transform (e.g. a {@link dev.vgrad.data.transforms.Compose}), or
         *                  null for none (the default)
         * @return this builder
         */
        public Builder transform(Transform transform) {
            this.transform = transform;
            return this;
        }

        /**
         * The seed of the per-sample transform generators (default 0).
         *
         * @param seed any value; see {@link DataLoader#sampleSeed(long, long, int)}
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the loader (with shuffle, its {@link RandomSampler} is created now).
         *
         * @return a new loader with these options
         * @throws IllegalArgumentException when both {@link #sampler} and {@code shuffle(true)} were given
         */
        public DataLoader build() {
            return new DataLoader(this);
        }
    }

    /**
     * The data set this loader reads.
     *
     * @return the data set given to {@link #builder(Dataset)}
     */
    public Dataset dataset() {
        return dataset;
    }

    /**
     * Samples per batch.
     *
     * @return the batch size, {@code >= 1}
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Whether each epoch draws a new random order.
     *
     * @return true when built with {@code shuffle(true)}
     */
    public boolean shuffle() {
        return shuffle;
    }

    /**
     * Whether a final incomplete batch is skipped.
     *
     * @return PyTorch's {@code drop_last}
     */
    public boolean dropLast() {
        return dropLast;
    }

    /**
     * The index order of the epochs.
     *
     * @return the sampler given to the builder, or the {@link RandomSampler} / {@link SequentialSampler} built
     *         from {@code shuffle}
     */
    public Sampler sampler() {
        return sampler;
    }

    /**
     * Number of loading threads per iterator.
     *
     * @return {@code num_workers}; 0 means batches load on the caller's thread
     */
    public int numWorkers() {
        return numWorkers;
    }

    /**
     * Batches loaded ahead per worker.
     *
     * @return {@code prefetch_factor}, {@code >= 1}
     */
    public int prefetchFactor() {
        return prefetchFactor;
    }

    /**
     * The generator used for shuffling (the default generator when none was given).
     *
     * @return the builder's generator, or {@link Generator#defaultGenerator()}
     */
    public Generator generator() {
        return generator != null ? generator : Generator.defaultGenerator();
    }

    /**
     * The epoch number the next {@link #iterator()} uses for the transform seeds (starts at 0).
     *
     * @return the next iterator's epoch; each {@link #iterator()} call increments it
     */
    public synchronized long epoch() {
        return epoch;
    }

    /**
     * Sets the epoch number of the next {@link #iterator()} (e.g. when resuming a run).
     *
     * @param epoch the epoch of the next iterator; it seeds the transforms only, not the sampler
     */
    public synchronized void setEpoch(long epoch) {
        this.epoch = epoch;
    }

    /**
     * Number of batches in one epoch (PyTorch's {@code len(loader)}).
     *
     * @return {@code ceil(n / batchSize)}, or {@code floor(n / batchSize)} with dropLast, for the sampler's n
     */
    public int numBatches() {
        int n = sampler.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /**
     * Number of samples in one epoch (less than the sampler's size when {@code dropLast} drops some).
     *
     * @return the total size of the epoch's batches
     */
    public int numSamples() {
        return dropLast ? numBatches() * batchSize : sampler.size();
    }

    /**
     * The seed of sample {@code index}'s transform generator in {@code epoch}: SplitMix64 finalisers chained
     * over {@code seed}, {@code epoch} and {@code index}, so nearby triples give unrelated streams.
     *
     * @param seed  the loader's {@link Builder#seed(long)}
     * @param epoch the iterator's epoch number
     * @param index the sample's data-set index
     * @return the seed of that sample's {@link Generator}
     */
    public static long sampleSeed(long seed, long epoch, int index) {
        long h = mix(seed + 0x9E3779B97F4A7C15L);
        h = mix(h ^ (epoch * 0xD1B54A32D192ED03L + 0x2545F4914F6CDD1DL));
        return mix(h ^ (index * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Starts an epoch: the order is drawn now (on this thread); workers, if any, start loading at once. */
    @Override
    public BatchIterator iterator() {
        long e;
        synchronized (this) {
            e = epoch++;
        }
        int[] order = sampler.indices();
        int n = dataset.size();
        for (int i : order) {
            if (i < 0 || i >= n) {
                throw new IndexOutOfBoundsException("DataLoader: sampler index " + i + " out of range for a data "
                        + "set of size " + n);
            }
        }
        return new BatchIterator(this, order, numBatches(), e);
    }

    /** Batch {@code k} of an epoch whose order is {@code order}. */
    Batch load(int[] order, int k, long epochNumber) {
        int from = k * batchSize;
        int to = Math.min(from + batchSize, order.length);
        int[] idx = Arrays.copyOfRange(order, from, to);
        return transform == null ? collate(dataset, idx) : collateTransformed(idx, epochNumber);
    }

    private Batch collateTransformed(int[] indices, long epochNumber) {
        List<List<Tensor>> samples = new ArrayList<>(indices.length);
        for (int i : indices) {
            List<Tensor> sample = new ArrayList<>(dataset.get(i));
            if (sample.isEmpty()) {
                throw new IllegalArgumentException("DataLoader: sample " + i + " has no fields to transform");
            }
            sample.set(0, transform.apply(sample.get(0), new Generator(sampleSeed(seed, epochNumber, i))));
            samples.add(sample);
        }
        return stackAll(samples, indices);
    }

    /**
     * Builds the batch of the given samples of {@code dataset} (default collate: stack each field).
     *
     * @param dataset the data set to read (a {@link TensorDataset} or a {@link Subset} of one is gathered
     *                directly)
     * @param indices the samples' data-set indices, in batch order; non-empty
     * @return a new batch whose fields are new contiguous tensors {@code [indices.length, ...field shape]}
     * @throws IllegalArgumentException for no indices, or samples whose field counts, shapes or dtypes differ
     */
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
        if (base instanceof TensorDataset td) {
            List<Tensor> fields = new ArrayList<>();
            for (Tensor t : td.tensors()) {
                fields.add(gatherRows(t, baseIdx));
            }
            return new Batch(fields, indices);
        }
        List<List<Tensor>> samples = new ArrayList<>(indices.length);
        for (int i : indices) {
            samples.add(dataset.get(i));
        }
        return stackAll(samples, indices);
    }

    /** Stacks each field of {@code samples} (the samples at {@code indices}). */
    private static Batch stackAll(List<List<Tensor>> samples, int[] indices) {
        if (indices.length == 0) {
            throw new IllegalArgumentException("DataLoader.collate: empty batch");
        }
        List<Tensor> fields = new ArrayList<>();
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
                // a bool sample's 0/1 elements go into the bool batch's long storage as they are
                case INT64, BOOL -> System.arraycopy(t.toLongArray(), 0, out.longStorage(), i * row, row);
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
