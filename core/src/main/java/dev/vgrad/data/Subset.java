package dev.vgrad.data;

import dev.vgrad.core.Tensor;
import java.util.List;

/** A data set restricted to some indices of another one (like {@code torch.utils.data.Subset}). */
public final class Subset implements Dataset {
    private final Dataset base;
    private final int[] indices;

    /**
     * The samples of {@code base} at {@code indices} (copied; each must be in range).
     *
     * @param base    the underlying data set
     * @param indices indices into {@code base}, each in {@code [0, base.size())}; repeats allowed; copied
     * @throws IllegalArgumentException  when {@code base} or {@code indices} is null
     * @throws IndexOutOfBoundsException when an index is out of range
     */
    public Subset(Dataset base, int[] indices) {
        if (base == null || indices == null) {
            throw new IllegalArgumentException("Subset: base and indices must not be null");
        }
        int n = base.size();
        for (int i : indices) {
            if (i < 0 || i >= n) {
                throw new IndexOutOfBoundsException("Subset: index " + i + " out of range for data set of size " + n);
            }
        }
        this.base = base;
        this.indices = indices.clone();
    }

    /**
     * The samples {@code [from, to)} of {@code base}.
     *
     * @param base the underlying data set
     * @param from first sample, inclusive, {@code >= 0}
     * @param to   end of the range, exclusive, in {@code [from, base.size()]}
     * @return a new subset of {@code to - from} samples, a view of {@code base}
     * @throws IndexOutOfBoundsException when the range is outside {@code [0, base.size()]}
     */
    public static Subset range(Dataset base, int from, int to) {
        if (from < 0 || to < from || to > base.size()) {
            throw new IndexOutOfBoundsException("Subset: range [" + from + ", " + to + ") out of bounds for size "
                    + base.size());
        }
        int[] idx = new int[to - from];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = from + i;
        }
        return new Subset(base, idx);
    }

    /**
     * The underlying data set.
     *
     * @return the data set given at construction
     */
    public Dataset base() {
        return base;
    }

    /**
     * Index into {@link #base()} of sample {@code i} of this subset.
     *
     * @param i the sample's position in this subset, in {@code [0, size())}
     * @return the corresponding index into {@link #base()}
     * @throws IndexOutOfBoundsException naming the index and the subset's size when {@code i} is out of range
     */
    public int baseIndex(int i) {
        return indices[checkIndex(i)];
    }

    @Override
    public int size() {
        return indices.length;
    }

    @Override
    public List<Tensor> get(int index) {
        return base.get(indices[checkIndex(index)]);
    }

    private int checkIndex(int i) {
        if (i < 0 || i >= indices.length) {
            throw new IndexOutOfBoundsException("Subset: index " + i + " is out of range for a subset of size "
                    + indices.length);
        }
        return i;
    }
}
