package dev.vgrad.nn.utils;

import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;
import java.util.Arrays;

/**
 * A batch of variable-length sequences stored without padding ({@code torch.nn.utils.rnn.PackedSequence},
 * docs/SEMANTICS.md §22.5). Made by {@link Rnn#packPaddedSequence} or {@link Rnn#packSequence}, consumed by
 * {@code LSTM.forward(PackedSequence …)}/{@code GRU.forward(PackedSequence …)} and {@link Rnn#padPackedSequence}.
 *
 * <p>The sequences are ordered by decreasing length (the "sorted" order); {@code data} holds time step 0 of every
 * sequence, then step 1 of every sequence still running, and so on, so step t is the {@code batchSizes[t]} rows
 * after the first {@code batchSizes[0] + … + batchSizes[t−1]}, and those rows are the first {@code batchSizes[t]}
 * sequences in sorted order. {@code sortedIndices[k]} is the caller's batch index of the k-th sorted sequence and
 * {@code unsortedIndices} its inverse; both are null when the caller's order already was the sorted one
 * ({@code enforce_sorted=true}).
 *
 * <p>The record validates these invariants when it is built, and keeps private copies of the three int64 tensors
 * (they are metadata, small next to {@code data}), so a caller changing its own tensors afterwards cannot make the
 * sequence inconsistent. {@code data} is kept as given: it carries the autograd graph.
 *
 * @param data {@code (N, *)}: the packed steps, N = the sum of {@code batchSizes}
 * @param batchSizes 1-D int64 of length T (the longest sequence's length): positive, non-increasing
 * @param sortedIndices 1-D int64 permutation of {@code 0..batchSizes[0]−1}, or null
 * @param unsortedIndices the inverse of {@code sortedIndices}; null to have it computed from
 *     {@code sortedIndices}, as PyTorch does
 */
public record PackedSequence(Tensor data, Tensor batchSizes, Tensor sortedIndices, Tensor unsortedIndices) {
    /**
     * Validates the invariants above and completes {@code unsortedIndices}.
     *
     * @throws IllegalArgumentException if {@code data} or {@code batchSizes} is null, a tensor has the wrong rank
     *     or dtype, the batch sizes are not positive and non-increasing or do not add up to {@code data.size(0)},
     *     or the indices are not mutually inverse permutations of the batch
     */
    public PackedSequence {
        String op = "PackedSequence";
        if (data == null || batchSizes == null) {
            throw new IllegalArgumentException(op + ": data and batch_sizes must not be null");
        }
        if (data.dim() < 1) {
            throw new IllegalArgumentException(op + ": data must have at least 1 dim (N, *), got "
                    + Arrays.toString(data.shape()));
        }
        long[] bs = longs(op, "batch_sizes", batchSizes);
        if (bs.length == 0) {
            throw new IllegalArgumentException(op + ": batch_sizes must not be empty");
        }
        long total = 0;
        for (int t = 0; t < bs.length; t++) {
            if (bs[t] <= 0 || (t > 0 && bs[t] > bs[t - 1])) {
                throw new IllegalArgumentException(op + ": batch_sizes must be positive and non-increasing, got "
                        + Arrays.toString(bs));
            }
            total += bs[t];
        }
        if (total != data.size(0)) {
            throw new IllegalArgumentException(op + ": batch_sizes " + Arrays.toString(bs) + " add up to " + total
                    + " rows but data has shape " + Arrays.toString(data.shape()));
        }
        batchSizes = Tensor.ofLongs(bs, bs.length);
        int b = (int) bs[0];
        if (sortedIndices == null && unsortedIndices != null) {
            throw new IllegalArgumentException(op + ": unsorted_indices given without sorted_indices");
        }
        if (sortedIndices != null) {
            long[] s = permutation(op, "sorted_indices", sortedIndices, b);
            long[] inv = new long[b];
            for (int k = 0; k < b; k++) {
                inv[(int) s[k]] = k;
            }
            if (unsortedIndices != null) {
                long[] u = permutation(op, "unsorted_indices", unsortedIndices, b);
                if (!Arrays.equals(u, inv)) {
                    throw new IllegalArgumentException(op + ": unsorted_indices " + Arrays.toString(u)
                            + " is not the inverse of sorted_indices " + Arrays.toString(s));
                }
            }
            sortedIndices = Tensor.ofLongs(s, b);
            unsortedIndices = Tensor.ofLongs(inv, b);
        }
    }

    /**
     * A sequence whose caller order is already the sorted one (no index permutation).
     *
     * @param data {@code (N, *)} packed steps
     * @param batchSizes 1-D int64, positive, non-increasing, adding up to N
     * @throws IllegalArgumentException as the canonical constructor
     */
    public PackedSequence(Tensor data, Tensor batchSizes) {
        this(data, batchSizes, null, null);
    }

    private static long[] longs(String op, String what, Tensor t) {
        if (t.dim() != 1 || t.dtype() != DType.INT64) {
            throw new IllegalArgumentException(op + ": " + what + " must be a 1-D int64 tensor, got "
                    + t.dtype() + " " + Arrays.toString(t.shape()));
        }
        return t.toLongArray();
    }

    private static long[] permutation(String op, String what, Tensor t, int b) {
        long[] v = longs(op, what, t);
        boolean[] seen = new boolean[b];
        boolean ok = v.length == b;
        for (int k = 0; ok && k < b; k++) {
            ok = v[k] >= 0 && v[k] < b && !seen[(int) v[k]];
            if (ok) {
                seen[(int) v[k]] = true;
            }
        }
        if (!ok) {
            throw new IllegalArgumentException(op + ": " + what + " must be a permutation of 0.." + (b - 1)
                    + " (batch_sizes[0] = " + b + "), got " + Arrays.toString(v));
        }
        return v;
    }
}
