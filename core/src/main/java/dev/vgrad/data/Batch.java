package dev.vgrad.data;

import dev.vgrad.core.Tensor;
import java.util.List;

/**
 * One batch from a {@link DataLoader}: field {@code i} stacks field {@code i} of every sample along a new
 * dimension 0 (so images {@code [1,28,28]} become {@code [B,1,28,28]} and 0-d labels become {@code [B]}).
 *
 * @param fields  the stacked fields, in the data set's field order
 * @param indices the data-set indices of the samples, in batch order
 */
public record Batch(List<Tensor> fields, int[] indices) {
    /**
     * A batch over copies of {@code fields} (the list; the tensors are shared) and {@code indices}.
     *
     * @param fields  the stacked fields, in the data set's field order
     * @param indices the data-set indices of the samples, in batch order
     */
    public Batch {
        fields = List.copyOf(fields);
        indices = indices.clone();
    }

    /**
     * Field {@code i} (for example 0 = inputs, 1 = targets).
     *
     * @param i the field's position, in {@code [0, fields().size())}
     * @return the stacked field, of shape {@code [size(), ...sample field shape]}
     */
    public Tensor get(int i) {
        return fields.get(i);
    }

    /**
     * Number of samples in the batch.
     *
     * @return the batch size B (the last batch of an epoch may be smaller)
     */
    public int size() {
        return indices.length;
    }

    /**
     * The data-set indices of the samples, in batch order.
     *
     * @return a new copy of the indices
     */
    @Override
    public int[] indices() {
        return indices.clone();
    }
}
