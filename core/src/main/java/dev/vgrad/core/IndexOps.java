package dev.vgrad.core;

import dev.vgrad.core.kernel.Sizes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Joining (cat, stack), splitting and index-based selection (gather, indexSelect). */
final class IndexOps {
    private IndexOps() {}

    static Tensor cat(List<Tensor> tensors, int dimArg) {
        if (tensors == null || tensors.isEmpty()) {
            throw new IllegalArgumentException("cat: expected a non-empty list of Tensors");
        }
        for (int i = 0; i < tensors.size(); i++) {
            if (tensors.get(i) == null) {
                throw new IllegalArgumentException("cat: tensor at position " + i + " is null");
            }
        }
        // PyTorch's legacy rule: a 1-D tensor of size 0 (torch.empty(0), the start of a cat-in-a-loop) is skipped
        // by the shape checks and the copy, whatever the others' rank, but still takes part in the dtype
        Tensor first = null;
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            if (t.shape.length == 0) {
                throw new IllegalArgumentException("cat: zero-dimensional tensor (at position " + i
                        + ") cannot be concatenated");
            }
            if (first == null && !legacyEmpty(t)) {
                first = t;
            }
        }
        if (first == null) {
            first = tensors.get(0);
        }
        int rank = first.shape.length;
        int dim = legacyEmpty(first) ? 0 : Shape.wrapDim("cat", dimArg, rank);
        DType dt = first.dtype;
        long total = 0;
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            if (t.dtype != dt) {
                dt = dt.isFloatingPoint() && t.dtype.isFloatingPoint() ? DType.FLOAT64 : dt;
                if (!t.dtype.isFloatingPoint() || !first.dtype.isFloatingPoint()) {
                    throw new IllegalArgumentException("cat: expected all tensors to have the same dtype, got "
                            + first.dtype + " and " + t.dtype);
                }
            }
            if (legacyEmpty(t) && t != first) {
                continue;
            }
            if (t.shape.length != rank) {
                throw new IllegalArgumentException("cat: Tensors must have same number of dimensions: got " + rank
                        + " and " + t.shape.length + " (tensor " + i + " has shape " + Shape.str(t.shape) + ")");
            }
            for (int d = 0; d < rank; d++) {
                if (d != dim && t.shape[d] != first.shape[d]) {
                    throw new IllegalArgumentException("cat: Sizes of tensors must match except in dimension " + dim
                            + ". Expected size " + first.shape[d] + " but got size " + t.shape[d] + " for tensor number "
                            + i + " in the list. (shapes " + Shape.str(first.shape) + " and " + Shape.str(t.shape) + ")");
                }
            }
            total += t.shape[dim];
        }
        int[] outShape = first.shape.clone();
        // summed in long: three (2^30, 0) tensors give 3·2^30 rows, which no int dim can hold
        outShape[dim] = Sizes.dim("cat", "dim " + dim, total);
        Shape.checked("cat", outShape);
        Tensor out = Tensor.empty(dt, outShape);
        int pos = 0;
        int[] sizes = new int[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            if (t.shape.length != outShape.length) {
                sizes[i] = -1; // a skipped legacy empty tensor: its gradient is an empty [0]
                continue;
            }
            sizes[i] = t.shape[dim];
            Strided.copy(t.storage, t.offset, t.shape, t.stride, out.storage, pos * out.stride[dim], out.stride);
            pos += t.shape[dim];
        }
        Tensor[] inputs = tensors.toArray(new Tensor[0]);
        if (Autograd.isRecording(inputs)) {
            Autograd.attach(out, new CatBackward0(inputs, dim, sizes));
        }
        return out;
    }

    private static boolean legacyEmpty(Tensor t) {
        return t.shape.length == 1 && t.shape[0] == 0;
    }

    static Tensor stack(List<Tensor> tensors, int dimArg) {
        if (tensors == null || tensors.isEmpty()) {
            throw new IllegalArgumentException("stack: expects a non-empty TensorList");
        }
        for (int i = 0; i < tensors.size(); i++) {
            if (tensors.get(i) == null) {
                throw new IllegalArgumentException("stack: tensor at position " + i + " is null");
            }
        }
        int rank = tensors.get(0).shape.length;
        int dim = Shape.wrapDim("stack", dimArg, rank + 1);
        int[] outShape = new int[rank + 1];
        for (int i = 0, k = 0; i <= rank; i++) {
            outShape[i] = i == dim ? tensors.size() : tensors.get(0).shape[k++];
        }
        // checked before the unsqueezed views are made, so that an overflow is reported as stack's
        Shape.checked("stack", outShape);
        List<Tensor> parts = new ArrayList<>(tensors.size());
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            if (!Arrays.equals(t.shape, tensors.get(0).shape)) {
                throw new IllegalArgumentException("stack: stack expects each tensor to be equal size, but got "
                        + Shape.str(tensors.get(0).shape) + " at entry 0 and " + Shape.str(t.shape) + " at entry " + i);
            }
            parts.add(t.unsqueeze(dim));
        }
        return cat(parts, dim);
    }

    static List<Tensor> split(Tensor x, int splitSize, int dimArg) {
        requireDims("split", x);
        int dim = Shape.wrapDim("split", dimArg, x.shape.length);
        if (splitSize <= 0 && !(splitSize == 0 && x.shape[dim] == 0)) {
            throw new IllegalArgumentException("split: split_size must be positive, got " + splitSize);
        }
        List<Tensor> out = new ArrayList<>();
        int size = x.shape[dim];
        // long: s + splitSize would wrap past 2^31 and never end the loop
        for (long s = 0; s < size; s += splitSize) {
            out.add(x.narrow(dim, (int) s, (int) Math.min(splitSize, size - s)));
        }
        if (out.isEmpty()) {
            out.add(x);
        }
        return out;
    }

    static List<Tensor> splitSizes(Tensor x, int[] sizes, int dimArg) {
        Args.nonNull("split_with_sizes", "split_sizes", sizes);
        requireDims("split_with_sizes", x);
        int dim = Shape.wrapDim("split", dimArg, x.shape.length);
        int sum = 0;
        for (int s : sizes) {
            if (s < 0) {
                throw new IllegalArgumentException("split_with_sizes: expects split_sizes to be non-negative, got "
                        + Arrays.toString(sizes));
            }
            sum += s;
            if (sum < 0) {
                throw new IllegalArgumentException("split_with_sizes: split_sizes " + Arrays.toString(sizes)
                        + " overflow");
            }
        }
        if (sum != x.shape[dim]) {
            throw new IllegalArgumentException("split_with_sizes: expects split_sizes to sum exactly to " + x.shape[dim]
                    + " (input tensor's size at dimension " + dim + "), but got split_sizes=" + Arrays.toString(sizes));
        }
        List<Tensor> out = new ArrayList<>();
        int p = 0;
        for (int s : sizes) {
            out.add(x.narrow(dim, p, s));
            p += s;
        }
        return out;
    }

    private static void requireDims(String op, Tensor x) {
        if (x.shape.length == 0) {
            throw new IllegalArgumentException(op + ": " + op + " expects at least a 1-dimensional tensor (got shape "
                    + Shape.str(x.shape) + ")");
        }
    }

    private static void requireIndex(String op, Tensor index) {
        Args.nonNull(op, "index", index);
        if (index.dtype != DType.INT64) {
            throw new IllegalArgumentException(op + "(): Expected dtype int64 for index, got " + index.dtype);
        }
    }

    static Tensor gather(Tensor x, int dimArg, Tensor index) {
        requireIndex("gather", index);
        int rank = x.shape.length;
        int dim = Shape.wrapDim("gather", dimArg, rank);
        if (index.shape.length != rank) {
            throw new IllegalArgumentException("gather: Index tensor must have the same number of dimensions as input "
                    + "tensor (input " + Shape.str(x.shape) + ", index " + Shape.str(index.shape) + ")");
        }
        for (int d = 0; d < rank; d++) {
            if (d != dim && index.shape[d] > x.shape[d]) {
                throw new IllegalArgumentException("gather: Size does not match at dimension " + d
                        + " expected index " + Shape.str(index.shape) + " to be smaller than self "
                        + Shape.str(x.shape) + " apart from dimension " + dim);
            }
        }
        int[] outShape = index.shape.clone();
        Tensor out = Tensor.empty(x.dtype, outShape);
        int n = out.numel();
        int[] gradOffsets = new int[n];
        int[] cstride = Shape.contiguousStrides(x.shape);
        Tensor idx = index.contiguousRaw();
        int[] pos = new int[rank];
        for (int i = 0; i < n; i++) {
            long k = idx.storage.l[idx.offset + i];
            int size = rank == 0 ? 1 : x.shape[dim];
            if (k < -size || k >= size) {
                throw new IndexOutOfBoundsException("gather: index " + k + " is out of bounds for dimension " + dim
                        + " with size " + size);
            }
            int o = x.offset;
            int flat = 0;
            for (int d = 0; d < rank; d++) {
                int c = d == dim ? (int) (k < 0 ? k + size : k) : pos[d];
                o += c * x.stride[d];
                flat += c * cstride[d];
            }
            gradOffsets[i] = flat;
            out.storage.set(i, x.storage.get(o));
            for (int d = rank - 1; d >= 0; d--) {
                if (++pos[d] < outShape[d]) {
                    break;
                }
                pos[d] = 0;
            }
        }
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, new GatherBackward0(x, index, gradOffsets));
        }
        return out;
    }

    /** {@code gx[offsets[i]] += g[i]} into zeros of {@code inShape} (gather's backward). */
    private static Tensor scatterOffsets(Tensor g, int[] offsets, int[] inShape) {
        Tensor gc = g.contiguousRaw();
        Tensor gx = Tensor.zeros(g.dtype, inShape);
        for (int i = 0; i < offsets.length; i++) {
            int f = offsets[i];
            gx.storage.set(f, gx.storage.get(f) + gc.storage.get(gc.offset + i));
        }
        return gx;
    }

    /** {@code out[i] = gx[offsets[i]]}: the adjoint of {@link #scatterOffsets}, differentiable. */
    private static Tensor gatherOffsets(Tensor gx, int[] offsets, int[] outShape) {
        Tensor c = gx.contiguousRaw();
        Tensor out = Tensor.empty(gx.dtype, outShape.clone());
        for (int i = 0; i < offsets.length; i++) {
            out.storage.set(i, c.storage.get(c.offset + offsets[i]));
        }
        return LinearMap.record(gx, out, in -> new GatherOffsetsBackward(in, offsets));
    }

    static Tensor indexSelect(Tensor x, int dimArg, Tensor index) {
        requireIndex("index_select", index);
        if (index.shape.length > 1) {
            throw new IllegalArgumentException("index_select(): Index is supposed to be a vector, got shape "
                    + Shape.str(index.shape));
        }
        int rank = x.shape.length;
        int dim = Shape.wrapDim("index_select", dimArg, rank);
        long[] idx = index.toLongArray();
        int size = rank == 0 ? 1 : x.shape[dim];
        List<Tensor> parts = new ArrayList<>(idx.length);
        int[] sel = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= size) {
                throw new IndexOutOfBoundsException("index_select(): index out of range in self: index " + idx[i]
                        + " for dimension " + dim + " with size " + size);
            }
            sel[i] = (int) idx[i];
        }
        int[] outShape = x.shape.clone();
        if (rank > 0) {
            outShape[dim] = idx.length;
        }
        Tensor out = Tensor.empty(x.dtype, outShape);
        if (rank > 0) {
            int[] sliceShape = x.shape.clone();
            sliceShape[dim] = 1;
            for (int i = 0; i < sel.length; i++) {
                Strided.copy(x.storage, x.offset + sel[i] * x.stride[dim], sliceShape, x.stride,
                        out.storage, i * out.stride[dim], out.stride);
            }
        } else if (idx.length > 0) {
            out.storage.set(0, x.item());
        }
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, new IndexSelectBackward0(x, index, dim, sel));
        }
        return out;
    }

    // ------------------------------------------------------------------ backward rules

    /** cat's rule: each input gets its slice of the gradient along {@code dim}. */
    static final class CatBackward0 extends Node {
        private final int dim;
        private final int[] sizes;

        CatBackward0(Tensor[] inputs, int dim, int[] sizes) {
            super("CatBackward0", inputs);
            this.dim = dim;
            this.sizes = sizes;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor[] gs = new Tensor[sizes.length];
            int p = 0;
            for (int i = 0; i < sizes.length; i++) {
                if (sizes[i] < 0) {
                    gs[i] = needsGrad(i) ? Tensor.zeros(g.dtype, 0) : null;
                    continue;
                }
                if (needsGrad(i)) {
                    gs[i] = g.narrow(dim, p, sizes[i]);
                }
                p += sizes[i];
            }
            return gs;
        }
    }

    /** gather's rule: a scatter-add to the element offsets found in forward. */
    static final class GatherBackward0 extends Node {
        private final SavedTensor sx;
        private final SavedTensor si;
        private final int[] inShape;
        private final int[] gradOffsets;

        GatherBackward0(Tensor x, Tensor index, int[] gradOffsets) {
            super("GatherBackward0", x, index);
            // PyTorch saves both; the offsets computed in forward stay valid while neither changes
            this.sx = save(x);
            this.si = save(index);
            this.inShape = x.shape;
            this.gradOffsets = gradOffsets;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            sx.get();
            si.get();
            Tensor gx = scatterOffsets(g, gradOffsets, inShape);
            if (Grad.isEnabled()) {
                // createGraph (docs/SEMANTICS.md §5.12): a scatter whose adjoint is the gather
                int[] gShape = g.shape;
                return new Tensor[] {LinearMap.record(g, gx,
                        in -> new GatherBackwardBackward0(in, gradOffsets, gShape)), null};
            }
            return new Tensor[] {gx, null};
        }
    }

    /** The createGraph form of gather's scatter; its adjoint gathers at the same offsets. */
    static final class GatherBackwardBackward0 extends LinearMap {
        private final int[] offsets;
        private final int[] gShape;

        GatherBackwardBackward0(Tensor g, int[] offsets, int[] gShape) {
            super("GatherBackwardBackward0", g);
            this.offsets = offsets;
            this.gShape = gShape;
        }

        @Override
        Tensor adjoint(Tensor gg) {
            return gatherOffsets(gg, offsets, gShape);
        }
    }

    /** The gather of {@link #gatherOffsets}; its adjoint scatters back to the offsets. */
    static final class GatherOffsetsBackward extends LinearMap {
        private final int[] offsets;
        private final int[] inShape;

        GatherOffsetsBackward(Tensor gx, int[] offsets) {
            super("GatherOffsetsBackward", gx);
            this.offsets = offsets;
            this.inShape = gx.shape;
        }

        @Override
        Tensor adjoint(Tensor gg) {
            return scatterOffsets(gg, offsets, inShape);
        }
    }

    /** index_select's rule: index_add of the gradient's slices at the selected positions. */
    static final class IndexSelectBackward0 extends Node {
        private final SavedTensor si;
        private final int[] inShape;
        private final int dim;
        private final int[] sel;

        IndexSelectBackward0(Tensor x, Tensor index, int dim, int[] sel) {
            super("IndexSelectBackward0", x, index);
            // PyTorch saves the index (not x); the positions copied from it stay valid while it is unchanged
            this.si = save(index);
            this.inShape = x.shape;
            this.dim = dim;
            this.sel = sel;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor idx = si.get();
            if (Grad.isEnabled()) {
                // createGraph (docs/SEMANTICS.md §5.12): index_add, whose adjoint is index_select
                Tensor gx;
                try (Grad.Scope off = Grad.disabled()) {
                    gx = backward(g)[0];
                }
                return new Tensor[] {LinearMap.record(g, gx, in -> new IndexSelectBackwardBackward0(in, dim, idx)),
                    null};
            }
            Tensor gx = Tensor.zeros(g.dtype, inShape);
            if (inShape.length == 0) {
                for (int i = 0; i < sel.length; i++) {
                    gx.storage.set(0, gx.storage.get(0) + g.item());
                }
                return new Tensor[] {gx, null};
            }
            for (int i = 0; i < sel.length; i++) {
                Tensor src = g.narrow(dim, i, 1);
                Tensor dst = gx.narrow(dim, sel[i], 1);
                ElementwiseOps.addInto(dst, src);
            }
            return new Tensor[] {gx, null};
        }
    }

    /**
     * The createGraph form of index_select's index_add; its adjoint is index_select. The index is saved (not
     * held), like every tensor a rule keeps.
     */
    static final class IndexSelectBackwardBackward0 extends LinearMap {
        private final int dim;
        private final SavedTensor si;

        IndexSelectBackwardBackward0(Tensor g, int dim, Tensor index) {
            super("IndexSelectBackwardBackward0", g);
            this.dim = dim;
            this.si = save(index);
        }

        @Override
        Tensor adjoint(Tensor gg) {
            return indexSelect(gg, dim, si.get());
        }
    }

    // ------------------------------------------------------------------ boolean masks

    /**
     * {@code x[mask]} for a bool mask over x's leading dims: the sub-tensors {@code x[i0, …, ik-1]} where the mask
     * is true, stacked in row-major order into {@code (count, x.shape[k:]…)}. A 0-d mask indexes a new leading
     * dim of size 1 (true: {@code (1, …)}, false: {@code (0, …)}). Composed from reshape, nonzero and index_select,
     * so the gradient scatters back to the selected sub-tensors.
     */
    static Tensor maskIndex(Tensor x, Tensor mask) {
        Args.nonNull("index", "mask", mask);
        if (mask.dtype != DType.BOOL) {
            throw new IllegalArgumentException("index: expected a bool mask, got " + LinalgOps.scalarTypeName(mask.dtype)
                    + " of shape " + Shape.str(mask.shape) + " (an int64 index selects with indexSelect)");
        }
        int k = mask.shape.length;
        if (k > x.shape.length) {
            throw new IllegalArgumentException("too many indices for tensor of dimension " + x.shape.length
                    + " (mask of shape " + Shape.str(mask.shape) + ")");
        }
        int lead = 1;
        for (int i = 0; i < k; i++) {
            if (mask.shape[i] != x.shape[i]) {
                throw new IllegalArgumentException("The shape of the mask " + Shape.str(mask.shape) + " at index " + i
                        + " does not match the shape of the indexed tensor " + Shape.str(x.shape) + " at index " + i);
            }
            lead *= x.shape[i];
        }
        int[] flat = new int[x.shape.length - k + 1];
        flat[0] = lead;
        System.arraycopy(x.shape, k, flat, 1, x.shape.length - k);
        Tensor rows = mask.reshape(lead).nonzero().select(1, 0);
        return x.reshape(flat).indexSelect(0, rows);
    }

    /**
     * {@code x[mask]} ({@code torch.masked_select}): the elements of x where the bool mask is true, x and mask
     * broadcast together, as a 1-D tensor in row-major order of the broadcast shape. The gradient scatters back to
     * the selected positions (summed over broadcast dims of x).
     */
    static Tensor maskedSelect(Tensor x, Tensor mask) {
        Args.nonNull("masked_select", "input", x);
        Args.nonNull("masked_select", "mask", mask);
        if (mask.dtype != DType.BOOL) {
            // PyTorch also takes a uint8 mask, which vgrad does not have
            throw new IllegalArgumentException("masked_select: expected BoolTensor or ByteTensor for mask (got a "
                    + LinalgOps.scalarTypeName(mask.dtype) + " mask of shape " + Shape.str(mask.shape)
                    + "; compare first, e.g. m.ne(0))");
        }
        // PyTorch broadcasts the mask first, so its size is "tensor a" in the message
        int[] shape = Shape.broadcast("masked_select", mask.shape, x.shape);
        Tensor me = mask.expand(shape);
        int[] xStride = Shape.broadcastStrides(x.shape, x.stride, shape);
        int n = Shape.numel(shape);
        int[] pos = new int[Math.min(n, 16)];
        int[] off = new int[pos.length];
        int[] count = {0};
        int rank = shape.length;
        int m1 = rank == 0 ? 0 : me.stride[rank - 1];
        int x1 = rank == 0 ? 0 : xStride[rank - 1];
        long[] ml = me.storage.l;
        int[][] buf = {pos, off};
        Strided.forEachRun(shape, new int[][] {me.stride, xStride}, new int[] {me.offset, x.offset}, (offs, o, len) -> {
            for (int i = 0; i < len; i++) {
                if (ml[offs[0] + i * m1] != 0) {
                    int k = count[0]++;
                    if (k == buf[0].length) {
                        buf[0] = Arrays.copyOf(buf[0], Math.min(n, 2 * k));
                        buf[1] = Arrays.copyOf(buf[1], buf[0].length);
                    }
                    buf[0][k] = o + i;
                    buf[1][k] = offs[1] + i * x1;
                }
            }
        });
        int k = count[0];
        int[] positions = Arrays.copyOf(buf[0], k);
        int[] offsets = buf[1];
        Tensor out = Tensor.empty(x.dtype, new int[] {k});
        Storage xs = x.storage;
        Storage os = out.storage;
        for (int i = 0; i < k; i++) {
            if (os.f != null) {
                os.f[i] = xs.f[offsets[i]];
            } else if (os.d != null) {
                os.d[i] = xs.d[offsets[i]];
            } else {
                os.l[i] = xs.l[offsets[i]];
            }
        }
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, new MaskedSelectBackward0(x, mask, positions, shape));
        }
        return out;
    }

    /**
     * Scatters g back to the selected positions of the broadcast shape, then sums to x's shape. Saves x and the
     * mask as PyTorch's node does (an in-place change to either fails backward); the positions were computed from
     * the mask, whose version {@code get()} checks.
     */
    private static final class MaskedSelectBackward0 extends Node {
        private final SavedTensor sx;
        private final SavedTensor sm;
        private final int[] positions;
        private final int[] shape;
        private final int[] xShape;

        MaskedSelectBackward0(Tensor x, Tensor mask, int[] positions, int[] shape) {
            super("MaskedSelectBackward0", x);
            this.sx = save(x);
            this.sm = save(mask.detach());
            this.positions = positions;
            this.shape = shape;
            this.xShape = x.shape.clone();
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            sx.get();
            sm.get();
            Tensor full = scatterPositions(g, positions, shape);
            return new Tensor[] {ReduceOps.sumToShape(full, xShape)};
        }
    }

    /** A tensor of {@code shape}, zero but for {@code g[k]} at row-major position {@code positions[k]}. */
    private static Tensor scatterPositions(Tensor g, int[] positions, int[] shape) {
        Tensor gc = g.contiguousRaw();
        Tensor out = Tensor.empty(g.dtype, shape.clone());
        for (int k = 0; k < positions.length; k++) {
            out.storage.set(positions[k], gc.storage.get(gc.offset + k));
        }
        return Grad.isEnabled() ? LinearMap.record(g, out, in -> new PositionScatter(in, positions)) : out;
    }

    /** The elements of t (contiguous in {@code shape}) at the given row-major positions, as a 1-D tensor. */
    private static Tensor gatherPositions(Tensor t, int[] positions) {
        Tensor tc = t.contiguousRaw();
        Tensor out = Tensor.empty(t.dtype, new int[] {positions.length});
        for (int k = 0; k < positions.length; k++) {
            out.storage.set(k, tc.storage.get(tc.offset + positions[k]));
        }
        return LinearMap.record(t, out, in -> new PositionGather(in, positions));
    }

    /** The createGraph form of masked_select's backward (PyTorch records a masked_scatter); adjoint: a gather. */
    private static final class PositionScatter extends LinearMap {
        private final int[] positions;

        PositionScatter(Tensor g, int[] positions) {
            super("MaskedScatterBackward0", g);
            this.positions = positions;
        }

        @Override
        Tensor adjoint(Tensor gg) {
            return gatherPositions(gg, positions);
        }
    }

    /** The adjoint of {@link PositionScatter}, as a recorded op; its own adjoint is the scatter. */
    private static final class PositionGather extends LinearMap {
        private final int[] positions;
        private final int[] shape;

        PositionGather(Tensor t, int[] positions) {
            super("MaskedSelectBackward0", t);
            this.positions = positions;
            this.shape = t.shape.clone();
        }

        @Override
        Tensor adjoint(Tensor g) {
            return scatterPositions(g, positions, shape);
        }
    }

    /**
     * {@code x.masked_scatter(mask, source)}: x and the bool mask broadcast together; the positions where the mask
     * is true, in row-major order, take source's first elements in row-major order (source may hold more). The
     * gradient is g with zeros at those positions for x (summed to x's shape), and for source g's elements there,
     * in order, then zeros (node {@code MaskedScatterBackward0}, which saves the mask and source's sizes only).
     */
    static Tensor maskedScatter(Tensor x, Tensor mask, Tensor source) {
        String op = "masked_scatter";
        Args.nonNull(op, "input", x);
        Args.nonNull(op, "mask", mask);
        Args.nonNull(op, "source", source);
        if (mask.dtype != DType.BOOL) {
            // torch 1.13 also takes other mask dtypes (nonzero is true); vgrad asks for a comparison first
            throw new IllegalArgumentException(op + ": only boolean masks are supported, got a mask of dtype "
                    + LinalgOps.scalarTypeName(mask.dtype) + " (shape " + Shape.str(mask.shape)
                    + "; compare first, e.g. m.ne(0))");
        }
        if (source.dtype != x.dtype) {
            throw new IllegalArgumentException(op + ": expected self and source to have same dtypes but got"
                    + LinalgOps.scalarTypeName(x.dtype) + " and " + LinalgOps.scalarTypeName(source.dtype));
        }
        int[] shape = Shape.broadcast(op, mask.shape, x.shape); // PyTorch names the mask "tensor a"
        Tensor me = mask.expand(shape).contiguousRaw();
        int n = Shape.numel(shape);
        int count = 0;
        for (int i = 0; i < n; i++) {
            count += me.storage.l[me.offset + i] != 0 ? 1 : 0;
        }
        if (count > source.numel()) {
            throw new IllegalArgumentException(op + ": Number of elements of source < number of ones in mask ("
                    + source.numel() + " < " + count + ")");
        }
        int[] positions = new int[count];
        for (int i = 0, k = 0; i < n; i++) {
            if (me.storage.l[me.offset + i] != 0) {
                positions[k++] = i;
            }
        }
        Tensor out = x.detach().expand(shape).toRaw(x.dtype);
        Tensor src = source.contiguousRaw();
        for (int k = 0; k < count; k++) {
            int o = positions[k];
            int si = src.offset + k;
            if (out.storage.l != null) {
                out.storage.l[o] = src.storage.l[si];
            } else if (out.storage.f != null) {
                out.storage.f[o] = src.storage.f[si];
            } else {
                out.storage.d[o] = src.storage.d[si];
            }
        }
        if (Autograd.isRecording(x, source)) {
            Autograd.attach(out, new MaskedScatterBackward0(x, mask, source, positions, shape));
        }
        return out;
    }

    /** x's gradient is g masked to zero where the mask holds; source's is g there, in order, padded with zeros. */
    private static final class MaskedScatterBackward0 extends Node {
        private final SavedTensor sm;
        private final int[] positions;
        private final int[] shape;
        private final int[] xShape;
        private final int[] sourceShape;

        MaskedScatterBackward0(Tensor x, Tensor mask, Tensor source, int[] positions, int[] shape) {
            super("MaskedScatterBackward0", x, source);
            this.sm = save(mask.detach());
            this.positions = positions;
            this.shape = shape;
            this.xShape = x.shape.clone();
            this.sourceShape = source.shape.clone();
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor m = sm.get().expand(shape);
            Tensor gx = needsGrad(0) ? ReduceOps.sumToShape(ElementwiseOps.maskedFill(g, m, 0), xShape) : null;
            Tensor gs = null;
            if (needsGrad(1)) {
                Tensor picked = gatherPositions(g, positions);
                int total = Shape.numel(sourceShape);
                if (total > positions.length) {
                    picked = Tensor.cat(List.of(picked, Tensor.zeros(g.dtype, total - positions.length)), 0);
                }
                gs = picked.reshape(sourceShape.clone());
            }
            return new Tensor[] {gx, gs};
        }
    }

    /**
     * The indices of the nonzero elements of x ({@code torch.nonzero}): an int64 tensor [n, rank], one row per
     * nonzero element in row-major order. NaN is nonzero, −0.0 is zero. A 0-d x gives [1, 0] or [0, 0].
     */
    static Tensor nonzero(Tensor x) {
        Args.nonNull("nonzero", "input", x);
        Tensor xc = x.contiguousRaw();
        int n = xc.numel();
        int rank = x.shape.length;
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (isNonzero(xc.storage, xc.offset + i)) {
                count++;
            }
        }
        long[] idx = new long[Math.multiplyExact(count, Math.max(rank, 1))];
        int row = 0;
        for (int i = 0; i < n; i++) {
            if (isNonzero(xc.storage, xc.offset + i)) {
                int rem = i;
                for (int d = rank - 1; d >= 0; d--) {
                    idx[row * rank + d] = rem % x.shape[d];
                    rem /= x.shape[d];
                }
                row++;
            }
        }
        return Tensor.ofLongs(rank == 0 ? new long[0] : idx, count, rank);
    }

    private static boolean isNonzero(Storage s, int i) {
        // NaN != 0 is true; -0.0 != 0 is false
        return s.l != null ? s.l[i] != 0 : s.get(i) != 0;
    }
}
