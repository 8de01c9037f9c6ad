package dev.vgrad.core;

import dev.vgrad.core.kernel.AttentionKernel;
import java.util.Arrays;

/**
 * Scaled dot-product attention as one autograd op (docs/SEMANTICS.md §21):
 * <pre>
 * out = softmax(scale · q·kᵀ + M) · v
 * </pre>
 * with q {@code (…, L, E)}, k {@code (…, S, E)}, v {@code (…, S, Ev)} sharing their batch dims {@code …}, out
 * {@code (…, L, Ev)}. M is the additive mask: a floating mask (q's dtype) is added; a bool mask has PyTorch's
 * {@code scaled_dot_product_attention} meaning, true = may attend (M = 0), false = −∞; any other dtype is
 * refused with PyTorch's text; {@code causal} masks key j for query i when j &gt; i. The mask broadcasts to
 * {@code (…, L, S)}.
 *
 * <p>The forward runs {@link AttentionKernel} (online softmax, the L×S matrix is never built) and records
 * {@code ScaledDotProductFlashAttentionBackward0}, which saves q, k, v, the output and the per-row log-sum-exp and
 * recomputes the probabilities in its backward. Under {@code createGraph} (§5.12) that backward is written with
 * recorded ops (matmul, softmax) instead, so every order of derivative is available. A floating mask that
 * requires grad, or {@code S = 0}, takes the composed path {@link #composed} altogether.
 *
 * <p>The kernel reads q, k and v where they are (any strides, as long as a row's elements are adjacent), so the
 * per-head views of one {@code (B, T, 3·H·d)} projection cost no copies. The output and the input gradients are
 * laid out in their input's memory order ({@code empty_like} keeping a permuted layout, as PyTorch's CPU flash
 * attention does): for heads split out of {@code (B, T, H, d)} they are {@code (B, T, H, d)} in memory seen as
 * {@code (B, H, T, d)}, so transposing back and merging the heads is a view, not a copy, in both directions.
 */
public final class AttentionOps {
    private AttentionOps() {}

    /** The checked arguments of one call. */
    private record Dims(int[] batch, int bh, int l, int s, int e, int ev) {}

    private static String str(int[] shape) {
        return Shape.str(shape);
    }

    private static Dims check(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal) {
        String op = "scaled_dot_product_attention";
        Args.nonNull(op, "query", q);
        Args.nonNull(op, "key", k);
        Args.nonNull(op, "value", v);
        if (q.dtype != k.dtype || q.dtype != v.dtype) {
            throw new IllegalArgumentException("Expected query, key, and value to have the same dtype, but got "
                    + "query.dtype: " + pyName(q.dtype) + " key.dtype: " + pyName(k.dtype) + " and value.dtype: "
                    + pyName(v.dtype) + " instead.");
        }
        ElementwiseOps.requireFloat(op, q);
        int r = q.shape.length;
        if (r < 2 || k.shape.length != r || v.shape.length != r) {
            throw new IllegalArgumentException(op + ": expected query, key and value of the same rank >= 2, got "
                    + "query " + str(q.shape) + ", key " + str(k.shape) + " and value " + str(v.shape));
        }
        int[] batch = Arrays.copyOf(q.shape, r - 2);
        if (!Arrays.equals(batch, Arrays.copyOf(k.shape, r - 2)) || !Arrays.equals(batch, Arrays.copyOf(v.shape, r - 2))) {
            throw new IllegalArgumentException(op + ": expected query, key and value to have the same batch dims, got "
                    + "query " + str(q.shape) + ", key " + str(k.shape) + " and value " + str(v.shape));
        }
        int l = q.shape[r - 2];
        int e = q.shape[r - 1];
        int s = k.shape[r - 2];
        if (k.shape[r - 1] != e) {
            throw new IllegalArgumentException(op + ": query and key must have the same embedding size E, got query "
                    + str(q.shape) + " and key " + str(k.shape));
        }
        if (v.shape[r - 2] != s) {
            throw new IllegalArgumentException(op + ": key and value must have the same sequence length S, got key "
                    + str(k.shape) + " and value " + str(v.shape));
        }
        if (mask != null) {
            if (causal) {
                throw new IllegalArgumentException(
                        "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True");
            }
            if (mask.dtype != DType.BOOL && mask.dtype != q.dtype) {
                throw new IllegalArgumentException("Expected attn_mask dtype to be bool or to match query dtype, but "
                        + "got attn_mask.dtype: " + pyName(mask.dtype) + " and  query.dtype: " + pyName(q.dtype)
                        + " instead.");
            }
            int[] full = Arrays.copyOf(batch, r);
            full[r - 2] = l;
            full[r - 1] = s;
            int[] b;
            try {
                b = Shape.broadcast(op, mask.shape, full);
            } catch (IllegalArgumentException ex) {
                b = null;
            }
            if (b == null || !Arrays.equals(b, full)) {
                throw new IllegalArgumentException(op + ": attn_mask of shape " + str(mask.shape)
                        + " cannot be broadcast to the attention shape " + str(full) + " (batch dims, L, S)");
            }
        }
        int bh = 1;
        for (int x : batch) {
            bh = Math.multiplyExact(bh, x);
        }
        return new Dims(batch, bh, l, s, e, v.shape[r - 1]);
    }

    private static String pyName(DType d) {
        return switch (d) {
            case FLOAT32 -> "float";
            case FLOAT64 -> "double";
            case INT64 -> "long int";
            case BOOL -> "bool";
        };
    }

    /**
     * Checks the arguments of {@link #scaledDotProductAttention} without computing anything. Internal: used by
     * nn's {@code F.scaledDotProductAttention} on its dropout path (whose weights never see v); not stable API.
     *
     * @param q the queries, {@code (…, L, E)}, floating
     * @param k the keys, {@code (…, S, E)}, of q's dtype
     * @param v the values, {@code (…, S, Ev)}, of q's dtype
     * @param attnMask a floating (additive, q's dtype) or bool (true = may attend) mask broadcastable to
     *     {@code (…, L, S)}, or null
     * @param isCausal whether query i may only attend to keys j ≤ i (then {@code attnMask} must be null)
     * @throws IllegalArgumentException on a dtype, rank, batch-dim or mask mismatch, with PyTorch's text where it has
     *     one
     */
    public static void validate(Tensor q, Tensor k, Tensor v, Tensor attnMask, boolean isCausal) {
        check(q, k, v, attnMask, isCausal);
    }

    /** A bool mask as the additive one of {@code dtype}: 0 where true (may attend), −∞ where false. */
    static Tensor additive(Tensor mask, DType dtype) {
        if (mask == null || mask.dtype != DType.BOOL) {
            return mask;
        }
        try (Grad.Scope off = Grad.disabled()) {
            return Tensor.zeros(dtype, mask.shape.clone()).maskedFill(mask.logicalNot(), Double.NEGATIVE_INFINITY);
        }
    }

    /** The default scale 1/√E, or the given one. */
    static double scaleOf(Double scale, int e) {
        return scale != null ? scale : 1.0 / Math.sqrt(e);
    }

    /**
     * The fused op (see the class comment). {@code scale} null means 1/√E. Returns {@code (…, L, Ev)}.
     *
     * @param q the queries, {@code (…, L, E)}, floating
     * @param k the keys, {@code (…, S, E)}, of q's dtype
     * @param v the values, {@code (…, S, Ev)}, of q's dtype
     * @param attnMask a floating (additive, q's dtype) or bool (true = may attend) mask broadcastable to
     *     {@code (…, L, S)}, or null
     * @param isCausal whether query i may only attend to keys j ≤ i (then {@code attnMask} must be null)
     * @param scale the factor on {@code q·kᵀ}, or null for {@code 1/√E}
     * @return a new tensor {@code (…, L, Ev)} of q's dtype ({@code F.scaled_dot_product_attention})
     * @throws IllegalArgumentException as {@link #validate}
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor attnMask, boolean isCausal,
                                                   Double scale) {
        Dims dm = check(q, k, v, attnMask, isCausal);
        double sc = scaleOf(scale, dm.e);
        Tensor mask = additive(attnMask, q.dtype);
        if (dm.s == 0 || (mask != null && mask.requiresGrad() && Grad.isEnabled())) {
            return composedOut(q, k, v, mask, isCausal, sc);
        }
        int r = q.shape.length;
        Tensor qd = readable(q), kd = readable(k), vd = readable(v);
        int[] outShape = Arrays.copyOf(dm.batch, r);
        outShape[r - 2] = dm.l;
        outShape[r - 1] = dm.ev;
        int[] lseShape = Arrays.copyOf(dm.batch, r - 1);
        lseShape[r - 2] = dm.l;
        Tensor out = inOrderOf(q, outShape);
        Tensor lse = Tensor.uninitialized(q.dtype, lseShape);
        Tensor me = mask == null ? null : expandedMask(mask, dm);
        AttentionKernel.Geometry g = geometry(dm, isCausal, me);
        AttentionKernel.Layout lay = new AttentionKernel.Layout(rows(qd, dm), rows(kd, dm), rows(vd, dm),
                rows(out, dm));
        if (q.dtype == DType.FLOAT32) {
            AttentionKernel.forward(qd.storage.f, kd.storage.f, vd.storage.f, me == null ? null : me.storage.f,
                    out.storage.f, lse.storage.f, g, lay, (float) sc);
        } else {
            AttentionKernel.forward(qd.storage.d, kd.storage.d, vd.storage.d, me == null ? null : me.storage.d,
                    out.storage.d, lse.storage.d, g, lay, sc);
        }
        if (Autograd.isRecording(q, k, v)) {
            Autograd.attach(out, new ScaledDotProductFlashAttentionBackward0(q, k, v, mask, out, lse, isCausal, sc,
                    dm.l, dm.s, DenseCopy.of(q, qd), DenseCopy.of(k, kd), DenseCopy.of(v, vd)));
        }
        return out;
    }

    /** The mask broadcast to {@code (…, L, S)} as a view (no copy). */
    private static Tensor expandedMask(Tensor mask, Dims dm) {
        int r = dm.batch.length + 2;
        int[] full = Arrays.copyOf(dm.batch, r);
        full[r - 2] = dm.l;
        full[r - 1] = dm.s;
        try (Grad.Scope off = Grad.disabled()) {
            return mask.detach().expand(full);
        }
    }

    private static AttentionKernel.Geometry geometry(Dims dm, boolean causal, Tensor me) {
        int[] off = null;
        int mr = 0, mc = 0;
        if (me != null) {
            int nb = dm.batch.length;
            off = sliceOffsets(me, dm);
            mr = me.stride[nb];
            mc = me.stride[nb + 1];
        }
        return new AttentionKernel.Geometry(dm.bh, dm.l, dm.s, dm.e, dm.ev, causal, off, mr, mc);
    }

    /** Per (batch × head) slice, in row-major order of the batch dims, the storage index of t's element (0, 0). */
    private static int[] sliceOffsets(Tensor t, Dims dm) {
        int nb = dm.batch.length;
        int[] off = new int[dm.bh];
        for (int s = 0; s < dm.bh; s++) {
            int o = t.offset;
            int rem = s;
            for (int i = nb - 1; i >= 0; i--) {
                int idx = rem % dm.batch[i];
                rem /= dm.batch[i];
                o += idx * t.stride[i];
            }
            off[s] = o;
        }
        return off;
    }

    /** Whether the kernel can read t in place: a row's elements adjacent, rows at a non-negative stride. */
    private static boolean rowsAdjacent(Tensor t) {
        int r = t.shape.length;
        return (t.stride[r - 1] == 1 || t.shape[r - 1] <= 1) && t.stride[r - 2] >= 0;
    }

    /** t's rows as the kernel addresses them (t must satisfy {@link #rowsAdjacent}). */
    private static AttentionKernel.Rows rows(Tensor t, Dims dm) {
        return new AttentionKernel.Rows(sliceOffsets(t, dm), t.stride[t.shape.length - 2]);
    }

    /** t itself when the kernel can read it in place, else a dense copy; no graph. */
    private static Tensor readable(Tensor t) {
        return rowsAdjacent(t) ? t : dense(t);
    }

    /**
     * An uninitialised tensor of {@code shape} whose leading dims are laid out in {@code ref}'s memory order
     * (largest stride outermost, ties in dim order) and whose last dim is contiguous: PyTorch's {@code empty_like}
     * with a preserved format. A broadcast {@code ref} (a stride-0 dim of size &gt; 1) gives a contiguous result.
     * Every element must be written by the caller.
     */
    private static Tensor inOrderOf(Tensor ref, int[] shape) {
        int r = shape.length;
        int[] order = new int[r - 1];
        boolean broadcast = false;
        for (int i = 0; i < r - 1; i++) {
            order[i] = i;
            broadcast |= ref.stride[i] == 0 && ref.shape[i] > 1;
        }
        // an expanded input has no memory order to keep: its result is contiguous, as empty_like's is. Otherwise
        // an insertion sort by decreasing stride, stable (ties keep dim order); a handful of dims, no lambda
        for (int i = 1; i < r - 1 && !broadcast; i++) {
            int d = order[i];
            int j = i - 1;
            for (; j >= 0 && ref.stride[order[j]] < ref.stride[d]; j--) {
                order[j + 1] = order[j];
            }
            order[j + 1] = d;
        }
        int[] permuted = shape.clone();
        for (int i = 0; i < r - 1; i++) {
            permuted[i] = shape[order[i]];
        }
        int[] dense = Shape.contiguousStrides(permuted);
        int[] stride = dense.clone();
        for (int i = 0; i < r - 1; i++) {
            stride[order[i]] = dense[i];
        }
        Tensor flat = Tensor.uninitialized(ref.dtype, new int[] {Shape.numel(shape)});
        return new Tensor(flat.storage, ref.dtype, shape, stride, 0);
    }

    /** A private dense copy of a tensor's values, as raw arrays (a node keeps no Tensor field). */
    private record DenseCopy(float[] f, double[] d) {
        /** The copy {@code dense} of {@code original}, or null when it shares the original's storage. */
        static DenseCopy of(Tensor original, Tensor dense) {
            return dense.storage == original.storage ? null : new DenseCopy(dense.storage.f, dense.storage.d);
        }

        /** {@code t} as the forward read it: over the copy when there is one (t's version was checked). */
        static Tensor readable(DenseCopy c, Tensor t) {
            if (c == null) {
                return AttentionOps.readable(t);
            }
            Storage st = c.f != null ? Storage.of(c.f) : Storage.of(c.d);
            return Tensor.contiguous(st, t.dtype, t.shape.clone());
        }
    }

    private static Tensor dense(Tensor t) {
        try (Grad.Scope off = Grad.disabled()) {
            Tensor c = t.detach().contiguous();
            return c.offset == 0 ? c : c.cloneTensor();
        }
    }

    /**
     * The attention probabilities {@code softmax(scale · q·kᵀ + M)} with recorded ops ({@code (…, L, S)}); M as in
     * the class comment ({@code attnMask} additive or int64 boolean). This is the composed path: differentiable
     * to every order, and the one that yields the weights.
     *
     * @param q the queries, {@code (…, L, E)}, floating
     * @param k the keys, {@code (…, S, E)}, of q's dtype
     * @param attnMask a floating (additive, q's dtype) or bool (true = may attend) mask broadcastable to
     *     {@code (…, L, S)}, or null
     * @param isCausal whether query i may only attend to keys j ≤ i (then {@code attnMask} must be null)
     * @param scale the factor on {@code q·kᵀ}, or null for {@code 1/√E}
     * @return a new tensor {@code (…, L, S)} whose rows sum to 1 (a fully masked row is NaN, as in PyTorch)
     */
    public static Tensor attentionWeights(Tensor q, Tensor k, Tensor attnMask, boolean isCausal, Double scale) {
        Dims dm = check(q, k, k, attnMask, isCausal);
        return weights(q, k, additive(attnMask, q.dtype), isCausal, scaleOf(scale, dm.e), dm.l, dm.s);
    }

    private static Tensor weights(Tensor q, Tensor k, Tensor mask, boolean causal, double scale, int l, int s) {
        Tensor sc = q.matmul(k.transpose(-2, -1)).mul(scale);
        if (causal) {
            sc = sc.maskedFill(causalFill(l, s), Double.NEGATIVE_INFINITY);
        }
        if (mask != null) {
            sc = sc.add(mask);
        }
        return sc.softmax(-1);
    }

    /** True above the diagonal (key j &gt; query i): the positions a causal mask fills with −∞. */
    private static Tensor causalFill(int l, int s) {
        try (Grad.Scope off = Grad.disabled()) {
            return Tensor.ones(DType.BOOL, l, s).triu(1);
        }
    }

    /**
     * {@code attentionWeights(q, k, attnMask, isCausal, scale).matmul(v)}, recorded op by op.
     *
     * @param q the queries, {@code (…, L, E)}, floating
     * @param k the keys, {@code (…, S, E)}, of q's dtype
     * @param v the values, {@code (…, S, Ev)}, of q's dtype
     * @param attnMask a floating (additive, q's dtype) or bool (true = may attend) mask broadcastable to
     *     {@code (…, L, S)}, or null
     * @param isCausal whether query i may only attend to keys j ≤ i (then {@code attnMask} must be null)
     * @param scale the factor on {@code q·kᵀ}, or null for {@code 1/√E}
     * @return a new tensor {@code (…, L, Ev)}, equal to the fused op's up to rounding (the reference it is tested
     *     against)
     */
    public static Tensor composed(Tensor q, Tensor k, Tensor v, Tensor attnMask, boolean isCausal, Double scale) {
        Dims dm = check(q, k, v, attnMask, isCausal);
        return composedOut(q, k, v, additive(attnMask, q.dtype), isCausal, scaleOf(scale, dm.e));
    }

    private static Tensor composedOut(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale) {
        return weights(q, k, mask, causal, scale, q.shape[q.shape.length - 2], k.shape[k.shape.length - 2]).matmul(v);
    }

    /**
     * The fused op's rule (PyTorch's name for its flash-attention node): dq, dk, dv from the saved inputs, output
     * and log-sum-exp; under createGraph the same gradients from recorded ops.
     */
    static final class ScaledDotProductFlashAttentionBackward0 extends Node {
        private final SavedTensor sq;
        private final SavedTensor sk;
        private final SavedTensor sv;
        private final SavedTensor smask;
        private final SavedTensor sout;
        private final SavedTensor slse;
        private final boolean causal;
        private final double scale;
        private final int l;
        private final int s;
        // forward's private dense copies of q, k and v (null where the kernel read the input in place): backward
        // reads them instead of copying the strided views again; the saved inputs still carry the version check
        private DenseCopy cq;
        private DenseCopy ck;
        private DenseCopy cv;

        ScaledDotProductFlashAttentionBackward0(Tensor q, Tensor k, Tensor v, Tensor mask, Tensor out, Tensor lse,
                                                boolean causal, double scale, int l, int s, DenseCopy cq,
                                                DenseCopy ck, DenseCopy cv) {
            super("ScaledDotProductFlashAttentionBackward0", q, k, v);
            this.sq = save(q);
            this.sk = save(k);
            this.sv = save(v);
            this.smask = mask == null ? null : save(mask);
            this.sout = saveOutput(out);
            this.slse = save(lse);
            this.causal = causal;
            this.scale = scale;
            this.l = l;
            this.s = s;
            this.cq = cq;
            this.ck = ck;
            this.cv = cv;
        }

        @Override
        protected void releaseSaved() {
            super.releaseSaved();
            cq = null;
            ck = null;
            cv = null;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor q = sq.get(), k = sk.get(), v = sv.get();
            Tensor mask = smask == null ? null : smask.get();
            if (Grad.isEnabled()) {
                // createGraph (docs/SEMANTICS.md §5.12): P recomputed and the rule written with recorded ops
                Tensor p = weights(q, k, mask, causal, scale, l, s);
                Tensor gv = p.transpose(-2, -1).matmul(g);
                Tensor gp = g.matmul(v.transpose(-2, -1));
                Tensor gs = p.mul(gp.sub(gp.mul(p).sum(new int[] {-1}, true))).mul(scale);
                Tensor gq = gs.matmul(k);
                Tensor gk = gs.transpose(-2, -1).matmul(q);
                return new Tensor[] {gq, gk, gv};
            }
            Tensor out = sout.get(), lse = slse.get();
            Dims dm = check(q, k, v, null, false);
            DenseCopy a = cq, b = ck, c = cv;
            Tensor qd = DenseCopy.readable(a, q), kd = DenseCopy.readable(b, k), vd = DenseCopy.readable(c, v);
            Tensor od = readable(out), gd = readable(g);
            Tensor me = mask == null ? null : expandedMask(mask, dm);
            AttentionKernel.Geometry geo = geometry(dm, causal, me);
            // each gradient in its input's memory order: for per-head views the way back to (B, T, H·d) is a view
            Tensor gq = inOrderOf(q, q.shape.clone());
            Tensor gk = inOrderOf(k, k.shape.clone());
            Tensor gv = inOrderOf(v, v.shape.clone());
            AttentionKernel.Layout lay = new AttentionKernel.Layout(rows(qd, dm), rows(kd, dm), rows(vd, dm),
                    rows(od, dm));
            AttentionKernel.Layout gLay = new AttentionKernel.Layout(rows(gq, dm), rows(gk, dm), rows(gv, dm),
                    rows(gd, dm));
            if (q.dtype == DType.FLOAT32) {
                AttentionKernel.backward(qd.storage.f, kd.storage.f, vd.storage.f, me == null ? null : me.storage.f,
                        od.storage.f, dense(lse).storage.f, gd.storage.f, gq.storage.f, gk.storage.f, gv.storage.f,
                        geo, lay, gLay, (float) scale);
            } else {
                AttentionKernel.backward(qd.storage.d, kd.storage.d, vd.storage.d, me == null ? null : me.storage.d,
                        od.storage.d, dense(lse).storage.d, gd.storage.d, gq.storage.d, gk.storage.d, gv.storage.d,
                        geo, lay, gLay, scale);
            }
            return new Tensor[] {needsGrad(0) ? gq : null, needsGrad(1) ? gk : null, needsGrad(2) ? gv : null};
        }
    }
}
