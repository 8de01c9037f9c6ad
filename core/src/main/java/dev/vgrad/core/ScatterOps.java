package dev.vgrad.core;

import java.util.Arrays;

/**
 * Writes at indexed positions: {@code scatter}, {@code scatter_add} and {@code index_put}, out of place
 * (docs/SEMANTICS.md §18). {@code index_put} reduces to a scatter along dim 0 of the input viewed as
 * (indexed positions, trailing dims), so one rule carries every gradient.
 */
final class ScatterOps {
    private ScatterOps() {}

    /**
     * {@code out = self} then {@code out[..., index[p], ...] = src[p]} (or {@code +=} when {@code add}) for every
     * position p of {@code index}, the index replacing coordinate {@code dim}.
     */
    static Tensor scatter(String op, Tensor self, int dimArg, Tensor index, Tensor src, boolean add) {
        Args.nonNull(op, "input", self);
        Args.nonNull(op, "index", index);
        Args.nonNull(op, "src", src);
        int rank = self.shape.length;
        int dim = Shape.wrapDim(op, dimArg, rank);
        if (index.dtype != DType.INT64) {
            throw new IllegalArgumentException(op + "(): Expected dtype int64 for index, got " + index.dtype);
        }
        if (src.dtype != self.dtype) {
            throw new IllegalArgumentException(op + "(): Expected self.dtype to be equal to src.dtype (self "
                    + self.dtype + ", src " + src.dtype + ")");
        }
        if (index.numel() == 0) {
            return self.cloneTensor();
        }
        if (Math.max(index.shape.length, 1) != Math.max(rank, 1)) {
            throw new IllegalArgumentException(op + ": Index tensor must have the same number of dimensions as self "
                    + "tensor (self " + Shape.str(self.shape) + ", index " + Shape.str(index.shape) + ")");
        }
        if (Math.max(src.shape.length, 1) != Math.max(rank, 1)) {
            throw new IllegalArgumentException(op + ": Index tensor must have the same number of dimensions as src "
                    + "tensor (src " + Shape.str(src.shape) + ", index " + Shape.str(index.shape) + ")");
        }
        for (int d = 0; d < index.shape.length; d++) {
            if ((d != dim && index.shape[d] > self.shape[d]) || index.shape[d] > src.shape[d]) {
                throw new IllegalArgumentException(op + ": Expected index " + Shape.str(index.shape)
                        + " to be smaller than self " + Shape.str(self.shape) + " apart from dimension " + dim
                        + " and to be smaller size than src " + Shape.str(src.shape));
            }
        }
        Tensor out = self.copyDetached();
        Tensor idx = index.contiguousRaw();
        int n = index.numel();
        int r = index.shape.length;
        int size = rank == 0 ? 1 : self.shape[dim];
        int[] pos = new int[r];
        for (int i = 0; i < n; i++) {
            long k = idx.storage.l[idx.offset + i];
            if (k < 0 || k >= size) {
                throw new IndexOutOfBoundsException(op + ": index " + k + " is out of bounds for dimension " + dim
                        + " with size " + size);
            }
            int o = 0;
            int so = src.offset;
            for (int d = 0; d < r; d++) {
                o += (d == dim ? (int) k : pos[d]) * out.stride[d];
                so += pos[d] * src.stride[d];
            }
            double v = src.storage.get(so);
            if (self.dtype == DType.INT64) {
                long lv = src.storage.l[so];
                out.storage.l[o] = add ? out.storage.l[o] + lv : lv;
            } else {
                out.storage.set(o, add ? out.storage.get(o) + v : v);
            }
            for (int d = r - 1; d >= 0; d--) {
                if (++pos[d] < index.shape[d]) {
                    break;
                }
                pos[d] = 0;
            }
        }
        if (Autograd.isRecording(self, src)) {
            Autograd.attach(out, new ScatterBackward(add ? "ScatterAddBackward0" : "ScatterBackward1", self, src,
                    index, dim, add));
        }
        return out;
    }

    /** {@code scatter(dim, index, value)}: every indexed position set to one scalar. */
    static Tensor scatterValue(Tensor self, int dim, Tensor index, double value) {
        Args.nonNull("scatter", "input", self);
        Args.nonNull("scatter", "index", index);
        Tensor src = Tensor.full(self.dtype, value, index.shape.clone());
        Tensor out = scatter("scatter", self, dim, index, src, false);
        if (out.gradFn() instanceof ScatterBackward s) {
            s.valueForm = true;
        }
        return out;
    }

    /**
     * scatter's and scatter_add's rule: self receives the gradient (with the overwritten positions zeroed for
     * scatter), src receives the gradient gathered at the index, zero-padded where the index is smaller than src.
     */
    static final class ScatterBackward extends Node {
        private final SavedTensor si;
        private final int dim;
        private final boolean add;
        private final int[] srcShape;
        boolean valueForm;

        ScatterBackward(String name, Tensor self, Tensor src, Tensor index, int dim, boolean add) {
            super(name, self, src);
            this.si = save(index);
            this.dim = dim;
            this.add = add;
            this.srcShape = src.shape;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor index = si.get();
            Tensor gs = null;
            Tensor gsrc = null;
            if (needsGrad(0)) {
                gs = add ? g : scatterValue(g, dim, index, 0.0);
            }
            if (needsGrad(1) && !valueForm) {
                gsrc = g.shape.length == 0 ? g.reshape(1).gather(0, index.reshape(1)).reshape() : g.gather(dim, index);
                for (int d = 0; d < srcShape.length; d++) {
                    if (gsrc.shape[d] < srcShape[d]) {
                        int[] pad = gsrc.shape.clone();
                        pad[d] = srcShape[d] - gsrc.shape[d];
                        gsrc = Tensor.cat(java.util.List.of(gsrc, Tensor.zeros(g.dtype, pad)), d);
                    }
                }
            }
            return new Tensor[] {gs, gsrc};
        }
    }

    /**
     * PyTorch's expansion of bool index tensors: a mask indexing dims d … d+r−1 (its shape must equal theirs)
     * becomes r int64 index tensors, the columns of its {@code nonzero()}, so {@code x[mask] = v} writes the true
     * positions in row-major order. Other index tensors pass through.
     */
    private static Tensor[] expandBoolIndices(String op, Tensor self, Tensor[] indices) {
        java.util.List<Tensor> out = new java.util.ArrayList<>();
        int dim = 0;
        for (int j = 0; j < indices.length; j++) {
            Tensor ix = indices[j];
            Args.nonNull(op, "indices[" + j + "]", ix);
            if (ix.dtype != DType.BOOL) {
                out.add(ix);
                dim++;
                continue;
            }
            if (ix.shape.length == 0) {
                throw new IllegalArgumentException(op + ": a 0-d bool index is not supported (index " + j + ")");
            }
            for (int i = 0; i < ix.shape.length; i++) {
                if (dim + i >= self.shape.length || ix.shape[i] != self.shape[dim + i]) {
                    throw new IllegalArgumentException(op + ": The shape of the mask " + Shape.str(ix.shape)
                            + " at index " + i + " does not match the shape of the indexed tensor "
                            + Shape.str(self.shape) + " at index " + (dim + i));
                }
            }
            Tensor nz = IndexOps.nonzero(ix);
            for (int i = 0; i < ix.shape.length; i++) {
                out.add(nz.select(1, i));
            }
            dim += ix.shape.length;
        }
        return out.toArray(new Tensor[0]);
    }

    /**
     * {@code out = self.clone(); out[indices] = values} (or {@code +=} with {@code accumulate}), where
     * {@code indices} are int64 tensors indexing the leading dims, broadcast together (PyTorch's advanced
     * indexing with only tensor indices).
     */
    static Tensor indexPut(Tensor self, Tensor[] indices, Tensor values, boolean accumulate) {
        String op = "index_put";
        Args.nonNull(op, "input", self);
        Args.nonNull(op, "indices", indices);
        Args.nonNull(op, "values", values);
        indices = expandBoolIndices(op, self, indices);
        int rank = self.shape.length;
        int k = indices.length;
        if (k == 0) {
            throw new IllegalArgumentException(op + ": expected at least one index tensor");
        }
        if (k > Math.max(rank, 0) || (rank == 0)) {
            throw new IllegalArgumentException(op + ": too many indices for tensor of dimension " + rank + " (got "
                    + k + ")");
        }
        int[] bshape = null;
        for (int j = 0; j < k; j++) {
            Args.nonNull(op, "indices[" + j + "]", indices[j]);
            if (indices[j].dtype != DType.INT64) {
                throw new IllegalArgumentException(op + ": tensors used as indices must be long, byte or bool tensors "
                        + "(vgrad supports int64 index tensors only; index " + j + " is " + indices[j].dtype + ")");
            }
            if (bshape == null) {
                bshape = indices[j].shape;
            } else {
                int[] prev = bshape;
                try {
                    bshape = Shape.broadcast(op, bshape, indices[j].shape);
                } catch (IllegalArgumentException e) {
                    StringBuilder sb = new StringBuilder();
                    for (int q = 0; q <= j; q++) {
                        sb.append(q == 0 ? "" : ", ").append(Shape.str(indices[q].shape));
                    }
                    throw new IllegalArgumentException(op + ": shape mismatch: indexing tensors could not be broadcast "
                            + "together with shapes " + sb + " (broadcast so far " + Shape.str(prev) + ")");
                }
            }
        }
        if (values.dtype != self.dtype) {
            throw new IllegalArgumentException(op + ": Index put requires the source and destination dtypes match, got "
                    + LinalgOps.scalarTypeName(self.dtype) + " for the destination and "
                    + LinalgOps.scalarTypeName(values.dtype) + " for the source.");
        }
        int[] rest = Arrays.copyOfRange(self.shape, k, rank);
        int[] resultShape = concat(bshape, rest);
        if (!Shape.isExpandableTo(values.shape, resultShape)) {
            throw new IllegalArgumentException(op + ": shape mismatch: value tensor of shape " + Shape.str(values.shape)
                    + " cannot be broadcast to indexing result of shape " + Shape.str(resultShape));
        }
        int n = Shape.numel(bshape);
        long[] lin = new long[n];
        for (int j = 0; j < k; j++) {
            Tensor ij = indices[j].expand(bshape).contiguousRaw();
            int size = self.shape[j];
            for (int i = 0; i < n; i++) {
                long v = ij.storage.l[ij.offset + i];
                if (v < -size || v >= size) {
                    throw new IndexOutOfBoundsException(op + ": index " + v + " is out of bounds for dimension " + j
                            + " with size " + size);
                }
                lin[i] = lin[i] * size + (v < 0 ? v + size : v);
            }
        }
        if (n == 0) {
            // nothing is written (an all-false mask): values still get their zero gradient, as in PyTorch
            Tensor out = self.copyDetached();
            if (Autograd.isRecording(self, values)) {
                Autograd.attach(out, new EmptyIndexPutBackward(self, values));
            }
            return out;
        }
        int lead = 1;
        for (int j = 0; j < k; j++) {
            lead *= self.shape[j];
        }
        int[] flatSelf = concat(new int[] {lead}, rest);
        int[] rows = concat(new int[] {n}, rest);
        int[] colShape = new int[rows.length];
        Arrays.fill(colShape, 1);
        colShape[0] = n;
        Tensor idx = Tensor.ofLongs(lin, colShape).expand(rows).contiguousRaw();
        Tensor v = values.expand(resultShape).reshape(rows);
        Tensor out = scatter(op, self.reshape(flatSelf), 0, idx, v, accumulate).reshape(self.shape.clone());
        return Autograd.composite("IndexPutBackward0", out);
    }

    /** index_put that selects nothing: self's gradient passes through, the values' is zero. */
    private static final class EmptyIndexPutBackward extends Node {
        private final int[] valuesShape;
        private final DType valuesType;

        EmptyIndexPutBackward(Tensor self, Tensor values) {
            super("IndexPutBackward0", self, values);
            this.valuesShape = values.shape.clone();
            this.valuesType = values.dtype;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g, Tensor.zeros(valuesType, valuesShape)};
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
