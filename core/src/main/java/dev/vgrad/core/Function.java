package dev.vgrad.core;

import java.util.Arrays;

/**
 * A differentiable op written by the user as a forward and a backward, shaped after PyTorch's
 * {@code torch.autograd.Function} (docs/SEMANTICS.md §5):
 *
 * <pre>{@code
 * class MulAdd extends Function {                       // out = x * y + z, broadcasting
 *     protected Tensor forward(FunctionContext ctx, Tensor... in) {
 *         ctx.saveForBackward(in[0], in[1]);
 *         return in[0].mul(in[1]).add(in[2]);
 *     }
 *     protected Tensor[] backward(FunctionContext ctx, Tensor g) {
 *         Tensor[] s = ctx.savedTensors();
 *         return new Tensor[] {
 *             ctx.needsInputGrad(0) ? g.mul(s[1]).sumToSize(ctx.inputShape(0)) : null,
 *             ctx.needsInputGrad(1) ? g.mul(s[0]).sumToSize(ctx.inputShape(1)) : null,
 *             ctx.needsInputGrad(2) ? g.sumToSize(ctx.inputShape(2)) : null};
 *     }
 * }
 * Tensor out = new MulAdd().apply(x, y, z);              // grad_fn=<MulAddBackward>
 * }</pre>
 *
 * <p>{@link #apply} runs {@link #forward} with grad mode off (§5.5), so nothing forward computes is recorded;
 * when grad mode is on and an input requires grad, the output gets one node named after the class
 * ({@code <MulAddBackward>}) whose rule is {@link #backward}. Constant, non-tensor arguments (a scale, a dim)
 * belong in fields of the subclass, set by its constructor; per-call tensors go through
 * {@link FunctionContext#saveForBackward}, which releases them after backward. Do not keep tensors in fields:
 * the graph keeps the function object alive as long as the output lives. One output per call (a multi-output
 * op is several functions, or one output that packs the results).
 */
public abstract class Function {
    /** For subclasses. */
    protected Function() {}

    /**
     * Computes the output from {@code inputs} (the tensors passed to {@link #apply}, in order; entries may be
     * null) with grad mode off. May save tensors, mark the output non-differentiable, or modify inputs in place
     * and mark them dirty, through {@code ctx}. Returns the single output, which may be a new tensor, a view of
     * an input, or an input itself (returned as-is it becomes a new tensor sharing the input's storage).
     *
     * @param ctx this call's context, for {@code saveForBackward}, {@code markDirty} and {@code markNonDifferentiable}
     * @param inputs the tensors given to {@link #apply}, in order (a copy of the array; entries may be null)
     * @return the output (never null)
     */
    protected abstract Tensor forward(FunctionContext ctx, Tensor... inputs);

    /**
     * Given the gradient of the output, returns one gradient per input, in order: null where an input needs
     * none, else a tensor of the input's shape or of a shape it broadcasts to (it is then summed down with
     * {@link Tensor#sumToSize}, as PyTorch does). Trailing extra entries must be null. Runs with grad mode off.
     * Return newly computed tensors, {@code gradOutput}, or views of either, never a tensor kept elsewhere (a
     * field, a saved tensor): the engine may adopt a returned tensor as a leaf's {@code .grad} without a copy and
     * accumulate into it later; return {@code t.cloneTensor()} for such a {@code t}.
     *
     * @param ctx the context forward filled in, for {@code savedTensors()}, {@code needsInputGrad} and
     *     {@code inputShape}
     * @param gradOutput the gradient of the output, of the output's shape and dtype
     * @return one gradient (or null) per input, in input order
     */
    protected abstract Tensor[] backward(FunctionContext ctx, Tensor gradOutput);

    /**
     * The name shown in {@code grad_fn=<NameBackward>} and in error messages: the class's simple name, or
     * {@code "Function"} for an anonymous class (override it there).
     *
     * @return the name without the {@code Backward} suffix, e.g. {@code "MulAdd"}
     */
    protected String name() {
        String s = getClass().getSimpleName();
        return s.isEmpty() ? "Function" : s;
    }

    /**
     * Runs {@link #forward} on {@code inputs} with grad mode off and, when grad mode is on and an input requires
     * grad, records the output's node (PyTorch's {@code Function.apply}). The output then requires grad unless
     * forward marked it non-differentiable. An output that forward returned as a view of an input (or the input
     * itself) must not be modified in place later (clone it first), as in PyTorch.
     *
     * @param inputs the inputs passed to {@link #forward}, in order (entries may be null)
     * @return the output, with this function as its {@code gradFn} when recording
     * @throws IllegalStateException when forward returns null, marks dirty a tensor it does not return, or
     *                               marks dirty a leaf that requires grad while recording (docs/SEMANTICS.md §5.8)
     */
    public final Tensor apply(Tensor... inputs) {
        String fname = name();
        Args.nonNull(fname + ".apply", "inputs", inputs);
        Tensor[] in = inputs.clone();
        boolean recording = Autograd.isRecording(in);
        FunctionContext ctx = new FunctionContext(fname, in);
        Tensor raw;
        try (Grad.Scope off = Grad.disabled()) {
            raw = forward(ctx, in.clone());
        }
        if (raw == null) {
            throw new IllegalStateException(fname + ".forward returned null; it must return the output tensor");
        }
        boolean dirty = false;
        if (ctx.dirty() != null) {
            for (Tensor d : ctx.dirty()) {
                if (d != raw) {
                    throw new IllegalStateException("Some elements marked as dirty during the forward method were "
                            + "not returned as output. The inputs that are modified inplace must all be outputs of "
                            + "the Function.");
                }
                dirty = true;
            }
        }
        boolean nonDifferentiable = ctx.isNonDifferentiable(raw);
        if (dirty && nonDifferentiable) {
            throw new IllegalStateException(fname + ": an output modified in place (markDirty) cannot also be "
                    + "marked non-differentiable");
        }
        boolean input = isInput(in, raw);
        if (dirty) {
            // PyTorch bumps a dirty input's version once more when forward returns
            raw.bumpVersion();
        }
        if (!recording || nonDifferentiable) {
            ctx.finishForward(null);
            return dirty || !(input || raw.requiresGrad()) ? raw : raw.detach();
        }
        Node node = !dirty && sharesStorage(in, raw) ? new ViewCall(this, ctx, in) : new Call(this, ctx, in);
        Tensor out;
        if (dirty) {
            if (raw.isLeaf() && raw.requiresGrad()) {
                throw new IllegalStateException("a leaf Variable that requires grad has been used in an in-place "
                        + "operation.");
            }
            if (raw.gradFn() instanceof ShapeOps.ViewNode) {
                throw new IllegalStateException(fname + ": in-place modification (markDirty) of a view of a tensor "
                        + "that requires grad is not supported; clone() the input before passing it");
            }
            raw.rebaseHistory(node);
            out = raw;
        } else {
            // never give an input, or a tensor with a history of its own, this node: alias its storage instead
            out = input || raw.gradFn() != null || raw.requiresGrad() ? raw.detach() : raw;
            Autograd.attach(out, node);
        }
        ctx.finishForward(save(node, ctx.toSave(), raw, out, input));
        return out;
    }

    /** The saved tensors, versions taken now that forward has returned; the output is saved as the output. */
    private static SavedTensor[] save(Node node, Tensor[] ts, Tensor raw, Tensor out, boolean rawIsInput) {
        if (ts == null) {
            return null;
        }
        SavedTensor[] saved = new SavedTensor[ts.length];
        for (int i = 0; i < ts.length; i++) {
            Tensor t = ts[i];
            if (t != null) {
                saved[i] = node.save(t == raw && !rawIsInput ? out : t);
            }
        }
        return saved;
    }

    private static boolean isInput(Tensor[] in, Tensor t) {
        for (Tensor x : in) {
            if (x == t) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code t} is a view of (or is) an input: an in-place op on it must then be refused. */
    private static boolean sharesStorage(Tensor[] in, Tensor t) {
        for (Tensor x : in) {
            if (x != null && x.storage == t.storage) {
                return true;
            }
        }
        return false;
    }

    /** Runs the user's backward and checks what it returned, with PyTorch's error texts. */
    final Tensor[] runBackward(Node node, FunctionContext ctx, Tensor gradOutput) {
        Tensor[] grads = backward(ctx, gradOutput);
        int n = ctx.numInputs();
        if (grads == null) {
            throw new IllegalStateException("function " + node.name() + " returned null instead of an array of "
                    + n + " gradients (use null entries for inputs that need none)");
        }
        boolean extraNull = grads.length > n;
        for (int j = n; j < grads.length; j++) {
            extraNull &= grads[j] == null;
        }
        if (grads.length != n && !extraNull) {
            throw new IllegalStateException("function " + node.name() + " returned an incorrect number of "
                    + "gradients (expected " + n + ", got " + grads.length + ")");
        }
        Tensor[] out = new Tensor[n];
        for (int i = 0; i < n; i++) {
            Tensor gi = grads[i];
            if (gi == null) {
                continue;
            }
            int[] want = ctx.inputShapeRef(i);
            if (want == null) {
                throw new IllegalStateException("function " + node.name() + " returned a gradient different than "
                        + "None at position " + (i + 1) + ", but the corresponding forward input was not a Variable");
            }
            if (!ctx.needsInputGrad(i)) {
                continue;
            }
            if (!Arrays.equals(gi.shapeRef(), want)) {
                if (!Shape.isExpandableTo(want, gi.shapeRef())) {
                    throw new IllegalStateException("Function " + node.name() + " returned an invalid gradient at "
                            + "index " + i + " - got " + Shape.str(gi.shapeRef()) + " but expected shape compatible "
                            + "with " + Shape.str(want));
                }
                gi = gi.sumToSize(want);
            }
            out[i] = gi;
        }
        return out;
    }

    /** The node of a function call whose output is a new tensor (or a dirty input). */
    private static final class Call extends Node {
        private final Function fn;
        private final FunctionContext ctx;

        Call(Function fn, FunctionContext ctx, Tensor[] inputs) {
            super(ctx.name() + "Backward", inputs);
            this.fn = fn;
            this.ctx = ctx;
        }

        @Override
        protected Tensor[] backward(Tensor gradOutput) {
            return fn.runBackward(this, ctx, gradOutput);
        }
    }

    /** The node of a call whose output shares an input's storage: in-place ops on that output are refused. */
    private static final class ViewCall extends ShapeOps.ViewNode {
        private final Function fn;
        private final FunctionContext ctx;

        ViewCall(Function fn, FunctionContext ctx, Tensor[] inputs) {
            super(ctx.name() + "Backward", inputs);
            this.fn = fn;
            this.ctx = ctx;
        }

        @Override
        protected Tensor[] backward(Tensor gradOutput) {
            return fn.runBackward(this, ctx, gradOutput);
        }
    }
}
