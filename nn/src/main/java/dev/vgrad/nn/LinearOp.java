package dev.vgrad.nn;

import dev.vgrad.core.Autograd;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Node;
import dev.vgrad.core.SavedTensor;
import dev.vgrad.core.Tensor;

/**
 * {@code y = b + x·Wᵀ} for a 2-D input and a 1-D bias as one autograd node, {@code AddmmBackward0}, as PyTorch's
 * {@code linear} records it: the bias is added in place to the product's output instead of into a second array,
 * and backward runs one node instead of three (add, mm, transpose). Each value is computed exactly as by
 * {@code x.matmul(W.t()).add(b)}: the same product, then one rounded addition; gradients
 * {@code db = Σ_rows g}, {@code dx = g·W}, {@code dW = gᵀ·x} are the composite's, bit for bit.
 */
final class LinearOp {
    private LinearOp() {}

    /** True when {@link #apply} takes the fused path; callers check shapes first. */
    static boolean applies(Tensor x, Tensor weight, Tensor bias) {
        return bias != null && x.dim() == 2 && bias.dim() == 1 && x.dtype() == weight.dtype()
                && bias.dtype() == x.dtype() && x.dtype().isFloatingPoint() && bias.size(0) == weight.size(0);
    }

    static Tensor apply(Tensor x, Tensor weight, Tensor bias) {
        Tensor y;
        try (Grad.Scope off = Grad.disabled()) {
            y = x.matmul(weight.t());
            y.add_(bias);
        }
        if (!Autograd.isRecording(bias, x, weight)) {
            return y;
        }
        return Autograd.attach(y, new Node("AddmmBackward0", bias, x, weight) {
            final SavedTensor sx = needsGrad(2) ? save(input(1)) : null;
            final SavedTensor sw = needsGrad(1) ? save(input(2)) : null;

            @Override
            protected Tensor[] backward(Tensor g) {
                Tensor gb = needsGrad(0) ? g.sum(0) : null;
                Tensor gx = needsGrad(1) ? g.matmul(sw.get()) : null;
                Tensor gw = needsGrad(2) ? g.t().matmul(sx.get()) : null;
                return new Tensor[] {gb, gx, gw};
            }
        });
    }
}
