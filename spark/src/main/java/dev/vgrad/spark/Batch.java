package dev.vgrad.spark;

import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A batch of training rows in a form Spark can ship: float32 inputs of shape {@code [n, ...]} and targets of
 * shape {@code [n, ...]}, either int64 class indices or float32 values. Immutable once built (the arrays are
 * copied in and never handed out).
 *
 * <p>{@link #shards(int)} splits a global batch of {@code n} rows into {@code P} contiguous shards; shard
 * {@code s} holds rows {@code [s*n/P, (s+1)*n/P)} (integer division), so shard sizes differ by at most one and
 * the split depends only on {@code n} and {@code P}.
 */
public final class Batch implements Serializable {
    private static final long serialVersionUID = 1L;

    private final float[] inputs;
    private final int[] inputShape;
    private final long[] labels;
    private final float[] targets;
    private final int[] targetShape;

    private Batch(float[] inputs, int[] inputShape, long[] labels, float[] targets, int[] targetShape) {
        this.inputs = inputs;
        this.inputShape = inputShape;
        this.labels = labels;
        this.targets = targets;
        this.targetShape = targetShape;
    }

    /** A batch of {@code x} (floating, {@code [n, ...]}) and {@code y} (int64 labels or floating values, {@code [n, ...]}). */
    public static Batch of(Tensor x, Tensor y) {
        if (x.dim() < 1 || y.dim() < 1 || x.size(0) != y.size(0)) {
            throw new IllegalArgumentException("Batch.of: inputs " + Arrays.toString(x.shape()) + " and targets "
                    + Arrays.toString(y.shape()) + " must both have the batch size as their first dimension");
        }
        if (x.size(0) == 0) {
            throw new IllegalArgumentException("Batch.of: a batch needs at least one row");
        }
        if (y.dtype() == DType.INT64) {
            return new Batch(x.toArray(), x.shape(), y.toLongArray(), null, y.shape());
        }
        return new Batch(x.toArray(), x.shape(), null, y.toArray(), y.shape());
    }

    /** The number of rows. */
    public int size() {
        return inputShape[0];
    }

    /** Rows {@code [from, to)} as a new batch. */
    public Batch slice(int from, int to) {
        if (from < 0 || to > size() || from >= to) {
            throw new IllegalArgumentException("Batch.slice: [" + from + ", " + to + ") is not a non-empty range of "
                    + size() + " rows");
        }
        int xRow = inputs.length / size();
        int yRow = (labels != null ? labels.length : targets.length) / size();
        int[] xs = inputShape.clone();
        xs[0] = to - from;
        int[] ys = targetShape.clone();
        ys[0] = to - from;
        return new Batch(Arrays.copyOfRange(inputs, from * xRow, to * xRow), xs,
                labels == null ? null : Arrays.copyOfRange(labels, from * yRow, to * yRow),
                targets == null ? null : Arrays.copyOfRange(targets, from * yRow, to * yRow), ys);
    }

    /**
     * The {@code p} contiguous shards of this batch (see the class comment).
     *
     * @throws IllegalArgumentException if {@code p < 1} or {@code p} exceeds the number of rows
     */
    public List<Batch> shards(int p) {
        if (p < 1 || p > size()) {
            throw new IllegalArgumentException("Batch.shards: cannot split " + size() + " rows into " + p
                    + " non-empty shards");
        }
        List<Batch> out = new ArrayList<>(p);
        for (int s = 0; s < p; s++) {
            out.add(slice((int) ((long) s * size() / p), (int) ((long) (s + 1) * size() / p)));
        }
        return out;
    }

    /** The inputs as a new float32 tensor. */
    public Tensor inputs() {
        return Tensor.of(inputs.clone(), inputShape.clone());
    }

    /** The targets as a new tensor (int64 labels or float32 values). */
    public Tensor targets() {
        return labels != null ? Tensor.ofLongs(labels.clone(), targetShape.clone())
                : Tensor.of(targets.clone(), targetShape.clone());
    }
}
