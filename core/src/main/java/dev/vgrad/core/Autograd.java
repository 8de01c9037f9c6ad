package dev.vgrad.core;

/**
 * Entry points for defining differentiable ops outside core (fused nn ops). A user's own op is simpler to
 * write as a {@link Function}; this lower-level form is for ops that need the engine's buffer reuse.
 *
 * <pre>{@code
 * Tensor out = ...compute without autograd...;
 * if (Autograd.isRecording(x, w)) {
 *     Autograd.attach(out, new MyOpBackward0(x, w));
 * }
 *
 * static final class MyOpBackward0 extends Node {
 *     private final SavedTensor sx;   // fields: what the rule saves (SavedTensor, primitives, int[]), no Tensor
 *     MyOpBackward0(Tensor x, Tensor w) { super("MyOpBackward0", x, w); sx = save(x); }
 *     protected Tensor[] backward(Tensor g) { ... return new Tensor[] {gx, gw}; }
 * }
 * }</pre>
 *
 * <p>A backward rule is a named static class, never an anonymous one: an anonymous or local class silently
 * keeps every local it names (a forward tensor, say) in a hidden field for as long as the graph lives. The
 * fields of every node in core and nn are checked structurally by a test (NodeFieldsTest).
 */
public final class Autograd {
    private Autograd() {}

    /**
     * True when grad mode is on and at least one input requires grad: the op must record a node.
     *
     * @param inputs the op's tensor inputs (null entries ignored)
     * @return whether the op must attach a backward node to its output
     */
    public static boolean isRecording(Tensor... inputs) {
        if (!Grad.isEnabled()) {
            return false;
        }
        for (Tensor t : inputs) {
            if (t != null && t.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    static boolean isRecording(Tensor a) {
        return a.requiresGrad() && Grad.isEnabled();
    }

    static boolean isRecording(Tensor a, Tensor b) {
        return (a.requiresGrad() || b.requiresGrad()) && Grad.isEnabled();
    }

    /**
     * Makes {@code node} the {@code gradFn} of {@code out}, a freshly computed tensor that must not already
     * belong to a graph. Returns {@code out}.
     *
     * @param out the op's result, computed without recording
     * @param node the backward rule, constructed over the op's inputs
     * @return {@code out}, now a non-leaf with {@code gradFn() == node}
     * @throws IllegalStateException when {@code out} already requires grad or has a {@code gradFn}
     */
    public static Tensor attach(Tensor out, Node node) {
        if (out.gradFn() != null || out.requiresGrad()) {
            throw new IllegalStateException("Autograd.attach: output already belongs to a graph (grad_fn="
                    + out.gradFn() + ", requires_grad=" + out.requiresGrad() + "). Compute it without recording: "
                    + "inside try (var off = Grad.disabled()) { ... } or from detached inputs (x.detach()); or write "
                    + "the op as a dev.vgrad.core.Function, whose forward runs with grad mode off");
        }
        node.attached();
        out.setGradFn(node);
        return out;
    }

    /**
     * Records that an op built from other recorded ops reads {@code saved} in its backward pass, as PyTorch's
     * fused node of the same name does (docs/SEMANTICS.md §5.7): returns a tensor sharing {@code out}'s storage
     * whose history is one more node, {@code name}, that passes the gradient through unchanged after checking
     * that none of {@code saved} (null entries ignored) was modified in place since this call. Without this,
     * modifying an input whose value the composite copied (such as the target of {@code mse_loss}) would go
     * unnoticed where PyTorch raises. Returns {@code out} itself when it records no history; use the returned
     * tensor in place of {@code out}.
     *
     * @param name the node name to show in {@code gradFn()}, PyTorch's (e.g. {@code MseLossBackward0})
     * @param out the composite's result, recorded op by op
     * @param saved the inputs whose in-place modification must fail the backward pass (null entries ignored)
     * @return a tensor sharing {@code out}'s storage whose {@code gradFn} is the named node, or {@code out} itself
     */
    public static Tensor composite(String name, Tensor out, Tensor... saved) {
        Args.nonNull("Autograd.composite", "out", out);
        if (out.gradFn() == null || !Grad.isEnabled()) {
            return out;
        }
        return attach(out.detach(), new CompositeNode(name, out, saved));
    }

    /** The pass-through node of {@link #composite}: version checks only. */
    private static final class CompositeNode extends Node {
        private final SavedTensor[] saved;

        CompositeNode(String name, Tensor out, Tensor[] tensors) {
            super(name, out);
            int n = 0;
            for (Tensor t : tensors) {
                n += t == null ? 0 : 1;
            }
            saved = new SavedTensor[n];
            int k = 0;
            for (Tensor t : tensors) {
                if (t != null) {
                    saved[k++] = save(t);
                }
            }
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            for (SavedTensor s : saved) {
                s.get();
            }
            return new Tensor[] {g};
        }
    }

    /**
     * Computes and returns the gradients of {@code output} with respect to {@code inputs} without touching any
     * {@code .grad} (like {@code torch.autograd.grad}). {@code gradOutput} may be null for a one-element output.
     * An input given more than once gets its gradient in every slot it occupies, as the same tensor, as in
     * PyTorch (docs/SEMANTICS.md §5.10). Safe to call from several threads on one graph built with
     * {@code retainGraph} (docs/SEMANTICS.md §5.9); each call returns exactly what it would return alone.
     *
     * @param output the tensor to differentiate
     * @param inputs the tensors to differentiate with respect to, each used in {@code output}'s graph
     * @param gradOutput the upstream gradient, of {@code output}'s shape, or null for a one-element output
     * @param retainGraph whether to keep the saved tensors for another pass
     * @return one gradient per input, each of that input's shape and dtype, without history
     * @throws IllegalStateException when an input is not part of the graph, or {@code output} has no history
     */
    public static Tensor[] grad(Tensor output, Tensor[] inputs, Tensor gradOutput, boolean retainGraph) {
        Args.nonNull("autograd.grad", "outputs", output);
        Args.nonNull("autograd.grad", "inputs", inputs);
        for (Tensor t : inputs) {
            Args.nonNull("autograd.grad", "inputs[i]", t);
        }
        return Engine.grad(output, inputs, gradOutput, retainGraph, false);
    }

    /**
     * As {@link #grad(Tensor, Tensor[], Tensor, boolean)}; with {@code createGraph} the backward pass is recorded,
     * so the returned gradients have history and can be differentiated again (Hessian-vector products, gradient
     * penalties; docs/SEMANTICS.md §5.12). PyTorch's {@code retain_graph} defaults to {@code create_graph}: pass
     * {@code retainGraph = true} to differentiate through the same graph again.
     *
     * @param output the tensor to differentiate
     * @param inputs the tensors to differentiate with respect to, each used in {@code output}'s graph
     * @param gradOutput the upstream gradient, of {@code output}'s shape, or null for a one-element output
     * @param retainGraph whether to keep the saved tensors for another pass
     * @param createGraph whether to record the backward pass so the results can be differentiated again
     * @return one gradient per input, each of that input's shape and dtype (with history under {@code createGraph})
     * @throws IllegalStateException when an input is not part of the graph, or {@code output} has no history
     */
    public static Tensor[] grad(Tensor output, Tensor[] inputs, Tensor gradOutput, boolean retainGraph,
                                boolean createGraph) {
        Args.nonNull("autograd.grad", "outputs", output);
        Args.nonNull("autograd.grad", "inputs", inputs);
        for (Tensor t : inputs) {
            Args.nonNull("autograd.grad", "inputs[i]", t);
        }
        return Engine.grad(output, inputs, gradOutput, retainGraph, createGraph);
    }
}
