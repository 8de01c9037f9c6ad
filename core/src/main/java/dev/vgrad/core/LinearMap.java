package dev.vgrad.core;

import java.util.function.Function;

/**
 * The createGraph form of a backward rule that is a linear map of the incoming gradient computed by a kernel
 * (scatter by indices, zero-padding a slice, pooling's backward): the result is recorded as an op whose own
 * backward is the map's adjoint, itself a differentiable op, so the family closes at every order
 * (docs/SEMANTICS.md §5.12).
 *
 * <p>Each map is a named subclass whose fields are what its adjoint needs (indices, shapes, geometry), never a
 * tensor or a lambda, so the recorded node cannot keep a forward tensor alive.
 */
abstract class LinearMap extends Node {
    LinearMap(String name, Tensor in) {
        super(name, in);
    }

    /** {@code Lᵀ g}, as a differentiable op. */
    abstract Tensor adjoint(Tensor g);

    @Override
    protected final Tensor[] backward(Tensor g) {
        return new Tensor[] {adjoint(g)};
    }

    /**
     * Records {@code out = L(in)} with the node {@code node.apply(in)} when {@code in} is recorded; returns
     * {@code out}. The factory is called at most once and not kept.
     */
    static Tensor record(Tensor in, Tensor out, Function<Tensor, LinearMap> node) {
        if (Autograd.isRecording(in)) {
            Autograd.attach(out, node.apply(in));
        }
        return out;
    }
}
