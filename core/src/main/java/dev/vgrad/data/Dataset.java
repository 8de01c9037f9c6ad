package dev.vgrad.data;

import dev.vgrad.core.Tensor;
import java.util.List;

/**
 * A map-style data set, like {@code torch.utils.data.Dataset}: a fixed number of samples, each a short list of
 * tensors (for example an image and its label). {@link DataLoader} batches samples by stacking each field.
 * A loader with workers calls {@link #get} from several threads at once, so it must be safe for concurrent
 * reads (the data sets in this package are).
 */
public interface Dataset {
    /**
     * Number of samples (PyTorch's {@code len(dataset)}).
     *
     * @return the number of samples, {@code >= 0}
     */
    int size();

    /**
     * Sample {@code index} (0 ≤ index &lt; size()), one tensor per field.
     *
     * @param index the sample's position, in {@code [0, size())}
     * @return the sample's fields, in the data set's field order (each field has the same shape in every sample)
     */
    List<Tensor> get(int index);

    /**
     * The samples {@code [from, to)} of this data set, as a view (no copy).
     *
     * @param from first sample, inclusive, {@code >= 0}
     * @param to   end of the range, exclusive, in {@code [from, size()]}
     * @return a {@link Subset} of {@code to - from} samples backed by this data set
     * @throws IndexOutOfBoundsException when the range is outside {@code [0, size()]}
     */
    default Dataset subset(int from, int to) {
        return Subset.range(this, from, to);
    }
}
