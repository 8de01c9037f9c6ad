package dev.vgrad.data;

import dev.vgrad.core.Tensor;
import java.util.List;

/** A data set restricted to some indices of another one (like {@code torch.utils.data.Subset}). */
public final class Subset implements Dataset {
    private final Dataset base;
    private final int[] indices;

    /** The samples of {@code base} at {@code indices} (copied; each must be in range). */
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

    /** The samples {@code [from, to)} of {@code base}. */
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

    /** The underlying data set. */
    public Dataset base() {
        return base;
    }

    /** Index into {@link #base()} of sample {@code i} of this subset. */
    public int baseIndex(int i) {
        return indices[i];
    }

    @Override
    public int size() {
        return indices.length;
    }

    @Override
    public List<Tensor> get(int index) {
        return base.get(indices[index]);
    }
}
