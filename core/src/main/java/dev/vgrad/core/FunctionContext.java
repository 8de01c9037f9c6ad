package dev.vgrad.core;

import java.util.Arrays;

/**
 * The per-call state of a {@link Function}, shaped after PyTorch's {@code ctx}: {@link Function#forward} saves
 * tensors and marks outputs or dirty inputs on it, {@link Function#backward} reads the saved tensors back.
 * A fresh context is made for every {@link Function#apply} call.
 *
 * <p>Saved tensors are version checked (docs/SEMANTICS.md §5.7): changing one in place between forward and
 * backward makes {@link #savedTensors()} fail with PyTorch's "modified by an inplace operation" error. They are
 * freed by a backward pass that does not retain the graph (§5.4); reading them again then fails with PyTorch's
 * "backward through the graph a second time" error.
 */
public final class FunctionContext {
    private final String name;
    private final boolean[] needsInputGrad;
    private final int[][] inputShapes;
    /** What forward asked to save; replaced by {@link #saved} once the output is known, then dropped. */
    private Tensor[] toSave;
    private SavedTensor[] saved;
    private Tensor[] dirty;
    private Tensor[] nonDifferentiable;
    private boolean forwardDone;

    FunctionContext(String name, Tensor[] inputs) {
        this.name = name;
        int n = inputs.length;
        this.needsInputGrad = new boolean[n];
        this.inputShapes = new int[n][];
        for (int i = 0; i < n; i++) {
            Tensor t = inputs[i];
            if (t != null) {
                needsInputGrad[i] = t.requiresGrad();
                inputShapes[i] = t.shapeRef();
            }
        }
    }

    /**
     * Saves tensors (inputs, the output, or intermediates; null entries allowed) for {@link #savedTensors()}
     * in backward. Call it from forward, at most once (a second call replaces the first, like PyTorch's
     * {@code ctx.save_for_backward}). The version of each tensor is recorded when forward returns, so a
     * forward that modifies an input in place may save it.
     *
     * @param tensors the tensors backward needs, in the order {@link #savedTensors()} returns them
     * @throws IllegalStateException when called outside forward
     */
    public void saveForBackward(Tensor... tensors) {
        requireForward("saveForBackward");
        Args.nonNull(name + ".saveForBackward", "tensors", tensors);
        toSave = tensors.clone();
    }

    /**
     * The tensors given to {@link #saveForBackward}, in order, after checking that none was modified in place
     * since forward returned and that they were not freed by an earlier backward pass. Only in backward.
     *
     * @return a new array of the saved tensors (null entries kept), empty when nothing was saved
     * @throws IllegalStateException outside backward, or when a saved tensor was modified in place or already freed
     */
    public Tensor[] savedTensors() {
        if (!forwardDone) {
            throw new IllegalStateException(name + ": savedTensors() is only available in backward");
        }
        if (saved == null) {
            return new Tensor[0];
        }
        Tensor[] out = new Tensor[saved.length];
        for (int i = 0; i < saved.length; i++) {
            out[i] = saved[i] == null ? null : saved[i].get();
        }
        return out;
    }

    /**
     * True when input {@code i} requires grad (PyTorch's {@code ctx.needs_input_grad[i]}); false for a null
     * input. Backward may skip the gradients of inputs that need none and return null for them.
     *
     * @param i the input's position in {@link Function#apply}'s arguments
     * @return whether that input requires grad
     * @throws IllegalArgumentException when {@code i} is out of range
     */
    public boolean needsInputGrad(int i) {
        checkIndex(i);
        return needsInputGrad[i];
    }

    /**
     * Shape of input {@code i} at the forward call (null for a null input), e.g. for {@link Tensor#sumToSize}.
     *
     * @param i the input's position in {@link Function#apply}'s arguments
     * @return a copy of that input's shape, or null for a null input
     * @throws IllegalArgumentException when {@code i} is out of range
     */
    public int[] inputShape(int i) {
        checkIndex(i);
        return inputShapes[i] == null ? null : inputShapes[i].clone();
    }

    /**
     * Declares that forward modified these inputs in place (PyTorch's {@code ctx.mark_dirty}). A dirty input
     * must be what forward returns: {@link Function#apply} then returns that very tensor, bumps its version once
     * more, as PyTorch does, and makes this function its {@code gradFn} (its history continues from the
     * function, whose backward receives the input's old history as its input edge). Marking a leaf that requires
     * grad fails as an in-place op on such a leaf does (docs/SEMANTICS.md §5.8).
     *
     * @param tensors the inputs forward wrote to; the one forward returns, if any
     * @throws IllegalStateException when called outside forward
     */
    public void markDirty(Tensor... tensors) {
        requireForward("markDirty");
        Args.nonNull(name + ".markDirty", "tensors", tensors);
        dirty = tensors.clone();
    }

    /**
     * Declares outputs that are not differentiable (PyTorch's {@code ctx.mark_non_differentiable}), e.g. an
     * index or a mask: such an output never requires grad and no node is recorded for it. Tensors that are not
     * the output are ignored, as in PyTorch.
     *
     * @param tensors the outputs that carry no gradient
     * @throws IllegalStateException when called outside forward
     */
    public void markNonDifferentiable(Tensor... tensors) {
        requireForward("markNonDifferentiable");
        Args.nonNull(name + ".markNonDifferentiable", "tensors", tensors);
        nonDifferentiable = tensors.clone();
    }

    // ------------------------------------------------------------------ used by Function

    String name() {
        return name;
    }

    int numInputs() {
        return needsInputGrad.length;
    }

    int[] inputShapeRef(int i) {
        return inputShapes[i];
    }

    Tensor[] toSave() {
        return toSave;
    }

    boolean isDirty(Tensor t) {
        return contains(dirty, t);
    }

    Tensor[] dirty() {
        return dirty;
    }

    boolean isNonDifferentiable(Tensor t) {
        return contains(nonDifferentiable, t);
    }

    /** Ends forward: the tensors forward named are dropped so the context keeps only {@code savedTensors}. */
    void finishForward(SavedTensor[] savedTensors) {
        saved = savedTensors;
        toSave = null;
        dirty = null;
        nonDifferentiable = null;
        forwardDone = true;
    }

    private static boolean contains(Tensor[] ts, Tensor t) {
        if (ts != null) {
            for (Tensor x : ts) {
                if (x == t) {
                    return true;
                }
            }
        }
        return false;
    }

    private void requireForward(String method) {
        if (forwardDone) {
            throw new IllegalStateException(name + ": " + method + "() is only available in forward");
        }
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= needsInputGrad.length) {
            throw new IllegalArgumentException(name + ": input index " + i + " is out of range for "
                    + needsInputGrad.length + " inputs");
        }
    }

    @Override
    public String toString() {
        return "FunctionContext(" + name + ", needsInputGrad=" + Arrays.toString(needsInputGrad) + ")";
    }
}
