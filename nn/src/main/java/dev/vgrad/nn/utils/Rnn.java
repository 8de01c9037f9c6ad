package dev.vgrad.nn.utils;

import dev.vgrad.core.Autograd;
import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Variable-length sequence utilities of {@code torch.nn.utils.rnn} (docs/SEMANTICS.md §22.5): packing a padded
 * batch into a {@link PackedSequence}, padding it back, and padding or packing a list of sequences.
 *
 * <p>All four are differentiable: packing is a gather of the real positions (one {@code indexSelect}, whose node
 * is named {@code PackPaddedSequenceBackward0} as PyTorch's), padding a gather from the packed rows plus one
 * constant padding row, so gradients reach exactly the real positions of the padded input and padded positions
 * get zero. Errors are {@link IllegalArgumentException}s with PyTorch 1.13's texts where it has one.
 */
public final class Rnn {
    private Rnn() {}

    /**
     * {@code pad_packed_sequence}'s two results.
     *
     * @param output {@code (T, B, *)}, or {@code (B, T, *)} with batch_first, in the caller's batch order
     * @param lengths 1-D int64 {@code (B)}: each sequence's length, in the same order
     */
    public record Padded(Tensor output, Tensor lengths) {}

    /**
     * Packs a padded batch of sequences ({@code pack_padded_sequence}).
     *
     * @param input {@code (T, B, *)}, or {@code (B, T, *)} with {@code batchFirst}; only the first
     *     {@code lengths[b]} steps of sequence b are read
     * @param lengths each sequence's length, in the batch order of {@code input}; all in {@code [1, T]}, and
     *     non-increasing when {@code enforceSorted}
     * @param batchFirst whether the batch is {@code input}'s dim 0
     * @param enforceSorted true: {@code lengths} must already be sorted decreasingly (no permutation is
     *     recorded); false: the sequences are sorted here (stably, longest first) and the permutation recorded
     * @return the packed sequence; its {@code data} has {@code input}'s dtype and trailing dims
     * @throws IllegalArgumentException for an input of fewer than 2 dims or without elements, a lengths count that
     *     is not the batch size, a length &lt;= 0 or longer than T, or unsorted lengths with {@code enforceSorted}
     */
    public static PackedSequence packPaddedSequence(Tensor input, long[] lengths, boolean batchFirst,
                                                    boolean enforceSorted) {
        String op = "pack_padded_sequence";
        if (input == null || lengths == null) {
            throw new IllegalArgumentException(op + ": input and lengths must not be null");
        }
        if (input.dim() < 2) {
            throw new IllegalArgumentException(op + ": expected an input of at least 2 dims "
                    + (batchFirst ? "(B, T, *)" : "(T, B, *)") + ", got " + Arrays.toString(input.shape()));
        }
        if (input.numel() == 0) {
            throw new IllegalArgumentException("Cannot pack empty tensors.");
        }
        int tDim = batchFirst ? 1 : 0;
        int bDim = 1 - tDim;
        int steps = input.size(tDim);
        int b = input.size(bDim);
        if (lengths.length != b) {
            throw new IllegalArgumentException("Expected `len(lengths)` to be equal to batch_size, but got "
                    + lengths.length + " (batch_size=" + b + ")");
        }
        long[] order = null;
        long[] sorted = lengths.clone();
        if (!enforceSorted) {
            order = Tensor.ofLongs(lengths, b).argsort(0, true).toLongArray();
            for (int k = 0; k < b; k++) {
                sorted[k] = lengths[(int) order[k]];
            }
        }
        // PyTorch's order of checks: the last length, then sortedness (which then covers the others).
        if (sorted[b - 1] <= 0) {
            throw new IllegalArgumentException("Length of all samples has to be greater than 0, but found an "
                    + "element in 'lengths' that is <= 0");
        }
        for (int k = 1; k < b; k++) {
            if (sorted[k] > sorted[k - 1]) {
                throw new IllegalArgumentException("`lengths` array must be sorted in decreasing order when "
                        + "`enforce_sorted` is True. You can pass `enforce_sorted=False` to pack_padded_sequence "
                        + "and/or pack_sequence to sidestep this requirement if you do not need ONNX "
                        + "exportability.");
            }
        }
        if (sorted[0] > steps) {
            // torch 1.13 does not check this and builds an inconsistent PackedSequence; refuse it instead.
            throw new IllegalArgumentException(op + ": a length of " + sorted[0] + " exceeds the input's "
                    + steps + " time steps (input " + Arrays.toString(input.shape()) + ", batch_first="
                    + (batchFirst ? "True" : "False") + ")");
        }
        int maxLen = (int) sorted[0];
        long[] bs = batchSizes(sorted, maxLen);
        long n = 0;
        for (long v : bs) {
            n += v;
        }
        // One gather over the (T·B, *) rows; folding the sort into the index spares a permuted copy of the input.
        long[] idx = new long[(int) n];
        int k = 0;
        for (int t = 0; t < maxLen; t++) {
            for (int r = 0; r < bs[t]; r++) {
                long seq = order == null ? r : order[r];
                idx[k++] = batchFirst ? seq * steps + t : (long) t * b + seq;
            }
        }
        Tensor data = rows(input).indexSelect(0, Tensor.ofLongs(idx, idx.length));
        data = Autograd.composite("PackPaddedSequenceBackward0", data);
        Tensor sortedIdx = order == null ? null : Tensor.ofLongs(order, b);
        return new PackedSequence(data, Tensor.ofLongs(bs, bs.length), sortedIdx, null);
    }

    /**
     * {@link #packPaddedSequence(Tensor, long[], boolean, boolean)} with the lengths as a 1-D integer tensor (any
     * dtype; floating values are truncated, as {@code torch.as_tensor(lengths, dtype=torch.int64)} does).
     *
     * @param input {@code (T, B, *)}, or {@code (B, T, *)} with {@code batchFirst}
     * @param lengths 1-D, one length per sequence
     * @param batchFirst whether the batch is {@code input}'s dim 0
     * @param enforceSorted whether {@code lengths} must already be sorted decreasingly
     * @return the packed sequence
     * @throws IllegalArgumentException as the {@code long[]} form, or for lengths that are not 1-D
     */
    public static PackedSequence packPaddedSequence(Tensor input, Tensor lengths, boolean batchFirst,
                                                    boolean enforceSorted) {
        if (lengths != null && lengths.dim() != 1) {
            throw new IllegalArgumentException("'lengths' argument should be a 1D CPU int64 tensor, but got "
                    + lengths.dim() + "D " + lengths.dtype() + " tensor");
        }
        return packPaddedSequence(input, lengths == null ? null : lengths.toLongArray(), batchFirst,
                enforceSorted);
    }

    /**
     * Pads a packed sequence back to a dense batch ({@code pad_packed_sequence}) with zeros, as long as its longest
     * sequence, in the caller's original batch order.
     *
     * @param sequence the packed sequence
     * @param batchFirst whether the result is {@code (B, T, *)} instead of {@code (T, B, *)}
     * @return the padded batch and each sequence's length
     * @throws IllegalArgumentException for a null sequence
     */
    public static Padded padPackedSequence(PackedSequence sequence, boolean batchFirst) {
        return pad(sequence, batchFirst, 0.0, -1);
    }

    /**
     * Pads a packed sequence back to a dense batch ({@code pad_packed_sequence}) of {@code totalLength} steps.
     *
     * @param sequence the packed sequence
     * @param batchFirst whether the result is {@code (B, T, *)} instead of {@code (T, B, *)}
     * @param paddingValue the value of every position past a sequence's end (cast to the data's dtype)
     * @param totalLength T of the result, at least the longest sequence's length (e.g. to restore an input's
     *     full length)
     * @return the padded batch and each sequence's length
     * @throws IllegalArgumentException for a null sequence or a {@code totalLength} below the longest length
     */
    public static Padded padPackedSequence(PackedSequence sequence, boolean batchFirst, double paddingValue,
                                           int totalLength) {
        if (sequence == null) {
            throw new IllegalArgumentException("pad_packed_sequence: sequence must not be null");
        }
        int longest = sequence.batchSizes().size(0);
        if (totalLength < longest) {
            throw new IllegalArgumentException("Expected total_length to be at least the length of the longest "
                    + "sequence in input, but got total_length=" + totalLength + " and max sequence length being "
                    + longest);
        }
        return pad(sequence, batchFirst, paddingValue, totalLength);
    }

    /**
     * Pads a list of sequences to the longest one and stacks them ({@code pad_sequence}).
     *
     * @param sequences tensors {@code (L_i, *)}; the trailing dims of the first define the result's, the others
     *     must broadcast to them (as {@code copy_} does) and are cast to the first's dtype; {@code L_i} may be 0
     * @param batchFirst whether the result is {@code (B, max L, *)} instead of {@code (max L, B, *)}
     * @param paddingValue the value past each sequence's end
     * @return a new tensor; gradients flow back to every sequence
     * @throws IllegalArgumentException for an empty list, a null or 0-d sequence, or trailing dims that do not
     *     broadcast to the first sequence's
     */
    public static Tensor padSequence(List<Tensor> sequences, boolean batchFirst, double paddingValue) {
        String op = "pad_sequence";
        if (sequences == null || sequences.isEmpty()) {
            throw new IllegalArgumentException("received an empty list of sequences");
        }
        int maxLen = 0;
        for (int i = 0; i < sequences.size(); i++) {
            Tensor s = sequences.get(i);
            if (s == null || s.dim() == 0) {
                throw new IllegalArgumentException(op + ": sequence " + i + " must be a tensor of at least 1 dim "
                        + "(L, *), got " + (s == null ? "null" : "a 0-d tensor"));
            }
            maxLen = Math.max(maxLen, s.size(0));
        }
        Tensor first = sequences.get(0);
        int[] trailing = Arrays.copyOfRange(first.shape(), 1, first.dim());
        DType dt = first.dtype();
        List<Tensor> padded = new ArrayList<>(sequences.size());
        for (int i = 0; i < sequences.size(); i++) {
            Tensor s = sequences.get(i);
            int len = s.size(0);
            int[] full = shapeWithLength(len, trailing);
            if (!broadcastsTo(s.shape(), full)) {
                throw new IllegalArgumentException(op + ": sequence " + i + ": output with shape "
                        + Arrays.toString(full) + " doesn't match the broadcast shape " + Arrays.toString(s.shape()));
            }
            Tensor v = s.dtype() == dt ? s : s.to(dt);
            v = Arrays.equals(v.shape(), full) ? v : v.expand(full);
            if (len < maxLen) {
                v = Tensor.cat(List.of(v, Tensor.full(dt, paddingValue, shapeWithLength(maxLen - len, trailing))),
                        0);
            }
            padded.add(v);
        }
        return Tensor.stack(padded, batchFirst ? 0 : 1);
    }

    /**
     * Packs a list of sequences ({@code pack_sequence}): {@link #padSequence} then
     * {@link #packPaddedSequence(Tensor, long[], boolean, boolean)} with each sequence's length.
     *
     * @param sequences tensors {@code (L_i, *)}, each with {@code L_i ≥ 1}, sorted by decreasing length when
     *     {@code enforceSorted}
     * @param enforceSorted whether the list must already be sorted by decreasing length
     * @return the packed sequence, whose {@code unsortedIndices} map back to the list's order
     * @throws IllegalArgumentException as {@link #padSequence} and {@code packPaddedSequence}
     */
    public static PackedSequence packSequence(List<Tensor> sequences, boolean enforceSorted) {
        Tensor padded = padSequence(sequences, false, 0.0);
        long[] lengths = new long[sequences.size()];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = sequences.get(i).size(0);
        }
        return packPaddedSequence(padded, lengths, false, enforceSorted);
    }

    // ------------------------------------------------------------------ helpers

    /** batch_sizes[t] = the number of (sorted, decreasing) lengths greater than t. */
    private static long[] batchSizes(long[] sortedLengths, int maxLen) {
        long[] bs = new long[maxLen];
        int alive = sortedLengths.length;
        for (int t = 0; t < maxLen; t++) {
            while (alive > 0 && sortedLengths[alive - 1] <= t) {
                alive--;
            }
            bs[t] = alive;
        }
        return bs;
    }

    /** {@code x} with its first two dims merged: the rows a packing gather indexes. */
    private static Tensor rows(Tensor x) {
        int[] shape = x.shape();
        int[] r = new int[shape.length - 1];
        r[0] = shape[0] * shape[1];
        System.arraycopy(shape, 2, r, 1, r.length - 1);
        return x.reshape(r);
    }

    private static int[] shapeWithLength(int len, int[] trailing) {
        int[] s = new int[trailing.length + 1];
        s[0] = len;
        System.arraycopy(trailing, 0, s, 1, trailing.length);
        return s;
    }

    private static boolean broadcastsTo(int[] src, int[] dst) {
        if (src.length > dst.length) {
            return false;
        }
        for (int i = 1; i <= src.length; i++) {
            int a = src[src.length - i];
            if (a != 1 && a != dst[dst.length - i]) {
                return false;
            }
        }
        return true;
    }

    /** The padded batch: one gather from the packed rows plus a constant padding row (index N). */
    private static Padded pad(PackedSequence sequence, boolean batchFirst, double paddingValue, int totalLength) {
        if (sequence == null) {
            throw new IllegalArgumentException("pad_packed_sequence: sequence must not be null");
        }
        long[] bs = sequence.batchSizes().toLongArray();
        int steps = Math.max(totalLength, bs.length);
        int b = (int) bs[0];
        long[] offsets = new long[bs.length];
        for (int t = 1; t < bs.length; t++) {
            offsets[t] = offsets[t - 1] + bs[t - 1];
        }
        Tensor data = sequence.data();
        int n = data.size(0);
        long[] sortedLengths = new long[b];
        for (long v : bs) {
            for (int r = 0; r < v; r++) {
                sortedLengths[r]++;
            }
        }
        long[] unsorted = sequence.unsortedIndices() == null ? null : sequence.unsortedIndices().toLongArray();
        long[] idx = new long[steps * b];
        long[] lengths = new long[b];
        for (int j = 0; j < b; j++) {
            int r = unsorted == null ? j : (int) unsorted[j];
            lengths[j] = sortedLengths[r];
            for (int t = 0; t < steps; t++) {
                idx[batchFirst ? j * steps + t : t * b + j] = t < sortedLengths[r] ? offsets[t] + r : n;
            }
        }
        int[] rowShape = data.shape();
        rowShape[0] = 1;
        Tensor src = Tensor.cat(List.of(data, Tensor.full(data.dtype(), paddingValue, rowShape)), 0);
        int[] outShape = new int[data.dim() + 1];
        outShape[0] = batchFirst ? b : steps;
        outShape[1] = batchFirst ? steps : b;
        System.arraycopy(data.shape(), 1, outShape, 2, data.dim() - 1);
        Tensor out = src.indexSelect(0, Tensor.ofLongs(idx, idx.length)).reshape(outShape);
        return new Padded(out, Tensor.ofLongs(lengths, b));
    }
}
