package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/**
 * Parameters: {@code torch.nn.Parameter} as a utility, since {@link Tensor} is final. A parameter is a leaf
 * tensor that requires grad; {@link #of(Tensor)} makes one sharing storage with its argument.
 */
public final class Parameter {
    private Parameter() {}

    /**
     * A new leaf that shares {@code data}'s storage and requires grad ({@code nn.Parameter(data)}).
     *
     * @param data a floating-point tensor
     * @return a new leaf tensor requiring grad, a view of {@code data}'s storage
     * @throws IllegalArgumentException for a non-floating dtype (PyTorch's message)
     */
    public static Tensor of(Tensor data) {
        return of(data, true);
    }

    /**
     * A new leaf sharing {@code data}'s storage with the given {@code requiresGrad}.
     *
     * @param data a floating-point tensor
     * @param requiresGrad whether the parameter is trainable
     * @return a new leaf tensor, a view of {@code data}'s storage
     * @throws IllegalArgumentException for a non-floating dtype, even when {@code requiresGrad} is false
     */
    public static Tensor of(Tensor data, boolean requiresGrad) {
        if (!data.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("Only Tensors of floating point and complex dtype can require gradients");
        }
        return data.detach().requiresGrad(requiresGrad);
    }
}
