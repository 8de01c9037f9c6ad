package dev.vgrad.core;

import java.util.ArrayList;
import java.util.List;

/**
 * One recorded operation of the dynamic graph: its backward rule, the edges to the nodes (or leaves) that
 * produced its inputs, and the tensors it saved. Each node has exactly one output tensor.
 *
 * <p>A node holds no reference to non-leaf inputs themselves, only to their producing nodes, so
 * intermediate results that the backward rule does not save can be collected during the forward pass.
 * Subclass it to define an op outside core (see {@link Autograd#attach}).
 */
public abstract class Node {
    private final String name;
    final Node[] next;
    final Tensor[] leaves;
    final int[][] inputShapes;
    final DType[] inputDtypes;
    private List<SavedTensor> saved;
    /** Output tensor whose {@code .grad} should be filled (after {@code retainGrad()}). */
    Tensor retained;
    /** Hooks registered on the output tensor (see {@link Hooks}); null until the first registration. */
    volatile java.util.List<Object> hooks;
    /** Where this node was created, recorded only under anomaly detection. */
    final Throwable creation;
    /** Constructor inputs, readable by the subclass constructor; dropped when the node is attached. */
    private Tensor[] ctorInputs;

    /**
     * Creates the node of one op call, with an edge per input that requires grad (to its {@code gradFn}, or to the
     * leaf itself). Attach it to the output with {@link Autograd#attach}.
     *
     * @param name   PyTorch-style name, e.g. {@code MulBackward0}
     * @param inputs the op's tensor inputs in order; entries may be null
     */
    protected Node(String name, Tensor... inputs) {
        this.name = name;
        int n = inputs.length;
        this.next = new Node[n];
        this.leaves = new Tensor[n];
        this.inputShapes = new int[n][];
        this.inputDtypes = new DType[n];
        for (int i = 0; i < n; i++) {
            Tensor t = inputs[i];
            if (t == null) {
                continue;
            }
            inputShapes[i] = t.shapeRef();
            inputDtypes[i] = t.dtype();
            if (t.requiresGrad()) {
                if (t.gradFn() != null) {
                    next[i] = t.gradFn();
                } else {
                    leaves[i] = t;
                }
            }
        }
        this.creation = Grad.isAnomalyEnabled() ? new Throwable("forward call that created " + name) : null;
        this.ctorInputs = inputs;
    }

    /**
     * Input {@code i} exactly as passed to the constructor (a rule that saves an input the constructor itself
     * derived, such as a detached condition, reads it back here). Only available until the node is attached;
     * a node keeps tensors only as {@link SavedTensor}s, which the node-field test enforces for every subclass.
     *
     * @param i the input's position in the constructor's arguments
     * @return that input (possibly null)
     * @throws IllegalStateException once the node is attached
     */
    protected final Tensor input(int i) {
        if (ctorInputs == null) {
            throw new IllegalStateException(name + ".input: only available while the node is being constructed");
        }
        return ctorInputs[i];
    }

    /** Drops the constructor's tensors (called when the node is attached to its output). */
    final void attached() {
        ctorInputs = null;
    }

    /** This node's hook list, created on first use. */
    final java.util.List<Object> hookList() {
        java.util.List<Object> h = hooks;
        if (h == null) {
            synchronized (this) {
                h = hooks;
                if (h == null) {
                    hooks = h = Hooks.newList();
                }
            }
        }
        return h;
    }

    /**
     * The op name shown in {@code grad_fn=<...>}.
     *
     * @return the name given to the constructor, e.g. {@code MulBackward0}
     */
    public final String name() {
        return name;
    }

    /**
     * Number of inputs this node was created with.
     *
     * @return the length of the constructor's {@code inputs}, null entries included
     */
    public final int numInputs() {
        return next.length;
    }

    /**
     * True when input {@code i} needs a gradient; lets backward rules skip work.
     *
     * @param i the input's position
     * @return whether input {@code i} requires grad (a leaf that requires grad, or a non-leaf)
     */
    protected final boolean needsGrad(int i) {
        return next[i] != null || leaves[i] != null;
    }

    /**
     * Shape of input {@code i} at the time of the forward call.
     *
     * @param i the input's position (its entry must not have been null)
     * @return a copy of that input's shape
     */
    protected final int[] inputShape(int i) {
        return inputShapes[i].clone();
    }

    /**
     * Saves {@code t} for backward, recording its version (§5.7).
     *
     * @param t an input or intermediate the rule needs (not this node's output: use {@link #saveOutput})
     * @return the handle whose {@link SavedTensor#get()} returns {@code t} in backward
     */
    protected final SavedTensor save(Tensor t) {
        Node fn = t.gradFn();
        return keep(new SavedTensor(t, fn == null ? null : fn.name()));
    }

    /**
     * Saves this node's own output (e.g. exp, tanh, sigmoid keep y); errors then name this node.
     *
     * @param out the tensor this node will be attached to
     * @return the handle whose {@link SavedTensor#get()} returns {@code out} in backward
     */
    protected final SavedTensor saveOutput(Tensor out) {
        return keep(new SavedTensor(out, name));
    }

    private SavedTensor keep(SavedTensor s) {
        if (saved == null) {
            saved = new ArrayList<>(2);
        }
        saved.add(s);
        return s;
    }

    /**
     * The backward rule: given the gradient of the output, returns one gradient per input (null where an input
     * needs none), each of the input's shape. Runs with grad mode disabled, or enabled under
     * {@code createGraph} (docs/SEMANTICS.md §5.12): a rule built from Tensor ops is then differentiable itself,
     * and a rule that computes with raw kernels must take a differentiable path when {@link Grad#isEnabled()}.
     * Return either newly computed
     * tensors or views of {@code gradOutput}: a fresh contiguous result may be adopted as a leaf's
     * {@code .grad} without a copy, and the rule of the node below may write its own result over it (see
     * {@link #gradOutputExclusive()}), so never return a tensor that is kept elsewhere.
     *
     * @param gradOutput the gradient of the output, of its shape and dtype
     * @return one gradient (or null) per constructor input, in order
     */
    protected abstract Tensor[] backward(Tensor gradOutput);

    /**
     * True while {@link #backward} runs on a gradient that nothing else references: not the caller's root
     * gradient, not a retained or captured gradient, not one shared with another input or node. The rule may
     * then write an input's gradient over it (dense and of the same shape and dtype) and return that tensor, saving
     * an allocation; it must read every element it needs before overwriting it.
     *
     * <p>The answer belongs to the backward pass running on the calling thread, not to the node: other threads may
     * run this node's rule at the same time on their own gradients (docs/SEMANTICS.md §5.9). Called from any
     * other thread than the one running the pass (e.g. inside a parallel kernel chunk), it answers false.
     *
     * @return whether this rule may overwrite the gradient it received
     */
    protected final boolean gradOutputExclusive() {
        return EXCLUSIVE.get()[0] == this;
    }

    /**
     * The one place that decides "write over the incoming gradient, or allocate": returns {@code g} when this rule
     * may hold its result in it ({@link #gradOutputExclusive()}, and {@code g} is dense from offset 0 over its whole
     * storage, of {@code dtype} and {@code shape}), else null, and the rule allocates. {@code g} may also be a
     * private contiguous copy of the incoming gradient. Under {@code createGraph} nothing is exclusive, so this is
     * always null there.
     *
     * @param g the incoming gradient, or a private contiguous copy of it
     * @param dtype the dtype of the result the rule is about to compute
     * @param shape the shape of that result
     * @return {@code g} when the rule may write its result into it, else null
     */
    protected final Tensor reusableGradOutput(Tensor g, DType dtype, int[] shape) {
        return gradOutputExclusive() && g.dtype == dtype && g.offset == 0 && g.isContiguous()
                && g.storage.length() == g.numel() && java.util.Arrays.equals(g.shape, shape) ? g : null;
    }

    /**
     * Whether the engine may recycle the exclusive gradient this node's rule consumed ({@link BufferPool}): only
     * for vgrad's own rules, which keep nothing they are given. A rule defined outside vgrad (a custom node, or a
     * {@link Function}'s, which runs user code) might keep it, so its gradient is left to the garbage collector.
     */
    boolean recyclesGradient() {
        return OWN_RULE.get(getClass());
    }

    private static final ClassValue<Boolean> OWN_RULE = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            String name = type.getName();
            return name.startsWith("dev.vgrad.") && !name.startsWith("dev.vgrad.core.Function$");
        }
    };

    /**
     * Per thread, the node whose {@link #backward} the engine is running on an exclusive gradient (else null). A
     * one-element array so the engine fetches it once per pass and then sets it with a plain store per node.
     */
    private static final ThreadLocal<Node[]> EXCLUSIVE = ThreadLocal.withInitial(() -> new Node[1]);

    /** This thread's exclusive-gradient slot (see {@link #gradOutputExclusive()}), for the engine. */
    static Node[] exclusiveSlot() {
        return EXCLUSIVE.get();
    }

    /**
     * Frees saved tensors; called after a backward pass that does not retain the graph. It may run while another
     * thread's pass is inside this node's {@link #backward}: that pass then either sees the saved tensors or fails
     * with the "backward through the graph a second time" error of {@link SavedTensor#get()}
     * (docs/SEMANTICS.md §5.9).
     */
    protected void releaseSaved() {
        if (saved != null) {
            for (SavedTensor s : saved) {
                s.release();
            }
        }
    }

    /**
     * The producing nodes of this node's inputs (null for leaves and inputs without grad), for inspection.
     *
     * @return a new list with one entry per input: its {@code gradFn}, or null ({@code grad_fn.next_functions})
     */
    public final List<Node> nextFunctions() {
        List<Node> out = new ArrayList<>(next.length);
        for (Node n : next) {
            out.add(n);
        }
        return out;
    }

    @Override
    public String toString() {
        return "<" + name + ">";
    }
}
