package dev.vgrad.data;

import dev.vgrad.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Samples are the rows (dimension 0) of one or more tensors with the same first dimension, like
 * {@code torch.utils.data.TensorDataset}. {@link DataLoader} gathers whole batches from these tensors directly
 * (one copy per field, no per-sample tensors).
 */
public final class TensorDataset implements Dataset {
    private final List<Tensor> tensors;
    private final int size;

    /**
     * A data set over {@code tensors}, which must all have rank ≥ 1 and the same size in dimension 0.
     *
     * @param tensors one tensor per field, sample {@code i} being row {@code i} of each (not copied)
     * @throws IllegalArgumentException when no tensor is given, one is null or 0-d, or the first dimensions differ
     */
    public TensorDataset(Tensor... tensors) {
        if (tensors == null || tensors.length == 0) {
            throw new IllegalArgumentException("TensorDataset: expected at least one tensor");
        }
        int n = -1;
        for (int i = 0; i < tensors.length; i++) {
            Tensor t = tensors[i];
            if (t == null) {
                throw new IllegalArgumentException("TensorDataset: tensor " + i + " is null");
            }
            if (t.dim() == 0) {
                throw new IllegalArgumentException("TensorDataset: tensor " + i + " is zero-dimensional");
            }
            if (n >= 0 && t.size(0) != n) {
                throw new IllegalArgumentException("TensorDataset: size mismatch between tensors: tensor 0 has "
                        + n + " rows (shape " + Arrays.toString(tensors[0].shape()) + ") but tensor " + i + " has "
                        + t.size(0) + " (shape " + Arrays.toString(t.shape()) + ")");
            }
            n = t.size(0);
        }
        this.tensors = List.of(tensors);
        this.size = n;
    }

    /**
     * The field tensors, in order.
     *
     * @return an unmodifiable list of the tensors given at construction (not copies)
     */
    public List<Tensor> tensors() {
        return tensors;
    }

    /**
     * Field {@code i}.
     *
     * @param i the field's position, in {@code [0, tensors().size())}
     * @return the whole tensor of field {@code i}, all samples along dimension 0
     */
    public Tensor tensor(int i) {
        return tensors.get(i);
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public List<Tensor> get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("TensorDataset: index " + index + " out of range for size " + size);
        }
        List<Tensor> out = new ArrayList<>(tensors.size());
        for (Tensor t : tensors) {
            out.add(t.select(0, index));
        }
        return List.copyOf(out);
    }
}
