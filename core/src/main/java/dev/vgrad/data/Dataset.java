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
    /** Number of samples. */
    int size();

    /** Sample {@code index} (0 ≤ index &lt; size()), one tensor per field. */
    List<Tensor> get(int index);

    /** The samples {@code [from, to)} of this data set, as a view (no copy). */
    default Dataset subset(int from, int to) {
        return Subset.range(this, from, to);
    }
}
