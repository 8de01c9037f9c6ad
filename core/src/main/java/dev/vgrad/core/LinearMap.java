package dev.vgrad.core;

import java.util.function.UnaryOperator;

/**
 * The createGraph form of a backward rule that is a linear map of the incoming gradient computed by a kernel
 * (scatter by indices, zero-padding a slice, pooling's backward): the result is recorded as an op whose own
 * backward is the map's adjoint, itself a differentiable op, so the family closes at every order
 * (docs/SEMANTICS.md §5.12).
 */
final class LinearMap {
    private LinearMap() {}

    /** Records {@code out = L(in)}, with {@code adjoint} computing {@code Lᵀ}; returns {@code out}. */
    static Tensor record(String name, Tensor in, Tensor out, UnaryOperator<Tensor> adjoint) {
        if (Autograd.isRecording(in)) {
            Autograd.attach(out, new Node(name, in) {
                @Override
                protected Tensor[] backward(Tensor g) {
                    return new Tensor[] {adjoint.apply(g)};
                }
            });
        }
        return out;
    }
}
