package dev.vgrad.core;

/**
 * Entry points for defining differentiable ops outside core (fused nn ops, custom functions).
 *
 * <pre>{@code
 * Tensor out = ...compute without autograd...;
 * if (Autograd.isRecording(x, w)) {
 *     Autograd.attach(out, new Node("MyOpBackward0", x, w) {
 *         final SavedTensor sx = save(input(0));   // not save(x): x would be captured beyond backward
 *         protected Tensor[] backward(Tensor g) { ... return new Tensor[] {gx, gw}; }
 *     });
 * }
 * }</pre>
 */
public final class Autograd {
    private Autograd() {}

    /** True when grad mode is on and at least one input requires grad: the op must record a node. */
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
     */
    public static Tensor attach(Tensor out, Node node) {
        if (out.gradFn() != null || out.requiresGrad()) {
            throw new IllegalStateException("Autograd.attach: output already belongs to a graph (" + out.gradFn() + ")");
        }
        node.attached();
        out.setGradFn(node);
        return out;
    }

    /**
     * Computes and returns the gradients of {@code output} with respect to {@code inputs} without touching any
     * {@code .grad} (like {@code torch.autograd.grad}). {@code gradOutput} may be null for a one-element output.
     * An input given more than once gets its gradient in every slot it occupies, as the same tensor, as in
     * PyTorch (docs/SEMANTICS.md §5.10). Safe to call from several threads on one graph built with
     * {@code retainGraph} (docs/SEMANTICS.md §5.9); each call returns exactly what it would return alone.
     */
    public static Tensor[] grad(Tensor output, Tensor[] inputs, Tensor gradOutput, boolean retainGraph) {
        Args.nonNull("autograd.grad", "outputs", output);
        Args.nonNull("autograd.grad", "inputs", inputs);
        for (Tensor t : inputs) {
            Args.nonNull("autograd.grad", "inputs[i]", t);
        }
        return Engine.grad(output, inputs, gradOutput, retainGraph);
    }
}
