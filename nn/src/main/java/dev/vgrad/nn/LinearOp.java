package dev.vgrad.nn;

import dev.vgrad.core.Autograd;
import dev.vgrad.core.DType;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Node;
import dev.vgrad.core.SavedTensor;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.kernel.Parallel;

/**
 * {@code y = b + x·Wᵀ} for a 2-D input and a 1-D bias as one autograd node, {@code AddmmBackward0}, as PyTorch's
 * {@code linear} records it: the bias is added to the product's own array instead of into a second one,
 * and backward runs one node instead of three (add, mm, transpose). Each value is computed exactly as by
 * {@code x.matmul(W.t()).add(b)}: the same product, then one rounded addition; gradients
 * {@code db = Σ_rows g}, {@code dx = g·W}, {@code dW = gᵀ·x} are the composite's, bit for bit.
 */
final class LinearOp {
    private LinearOp() {}

    /** True when {@link #apply} takes the fused path; callers check shapes first. */
    static boolean applies(Tensor x, Tensor weight, Tensor bias) {
        return x.dim() == 2 && fusable(x, weight, bias);
    }

    /** Everything {@link #applies} asks but the input's rank. */
    static boolean fusable(Tensor x, Tensor weight, Tensor bias) {
        return bias != null && bias.dim() == 1 && x.dtype() == weight.dtype() && bias.dtype() == x.dtype()
                && x.dtype().isFloatingPoint() && bias.size(0) == weight.size(0);
    }

    static Tensor apply(Tensor x, Tensor weight, Tensor bias) {
        Tensor y;
        try (Grad.Scope off = Grad.disabled()) {
            y = x.matmul(weight.t());
        }
        addRows(y, bias);
        if (!Autograd.isRecording(bias, x, weight)) {
            return y;
        }
        return Autograd.attach(y, new AddmmBackward0(bias, x, weight));
    }

    /**
     * {@code y[r, j] += b[j]} through the fresh product's own array, so its version counter stays 0 as after
     * PyTorch's addmm ({@code add_} would count a write). One rounded addition per element, as {@code add}.
     */
    private static void addRows(Tensor y, Tensor bias) {
        int rows = y.size(0);
        int cols = y.size(1);
        int per = Math.max(1, Raw.PARALLEL_THRESHOLD / Math.max(1, cols));
        if (y.dtype() == DType.FLOAT32) {
            float[] yf = y.floatStorage();
            float[] bf = bias.detach().contiguous().toArray();
            Parallel.forEachChunk(Parallel.chunks(rows, per), c -> {
                for (int r = c * per, end = Math.min(rows, r + per); r < end; r++) {
                    for (int j = 0, o = r * cols; j < cols; j++) {
                        yf[o + j] += bf[j];
                    }
                }
            });
        } else {
            double[] yd = y.doubleStorage();
            double[] bd = Raw.doubles(bias);
            Parallel.forEachChunk(Parallel.chunks(rows, per), c -> {
                for (int r = c * per, end = Math.min(rows, r + per); r < end; r++) {
                    for (int j = 0, o = r * cols; j < cols; j++) {
                        yd[o + j] += bd[j];
                    }
                }
            });
        }
    }

    /** The fused linear's rule: {@code gb = Σ_rows g}, {@code gx = g·W}, {@code gW = gᵀ·x}. */
    static final class AddmmBackward0 extends Node {
        private final SavedTensor sx;
        private final SavedTensor sw;

        AddmmBackward0(Tensor bias, Tensor x, Tensor weight) {
            super("AddmmBackward0", bias, x, weight);
            this.sx = needsGrad(2) ? save(x) : null;
            this.sw = needsGrad(1) ? save(weight) : null;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor gb = needsGrad(0) ? g.sum(0) : null;
            Tensor gx = needsGrad(1) ? g.matmul(sw.get()) : null;
            Tensor gw = needsGrad(2) ? g.t().matmul(sx.get()) : null;
            return new Tensor[] {gb, gx, gw};
        }
    }
}
