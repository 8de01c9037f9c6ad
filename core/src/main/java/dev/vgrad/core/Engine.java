package dev.vgrad.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * Reverse-mode execution: topological order by dependency counting (Kahn) from the root's node, gradients
 * summed per node before its rule runs, leaf gradients accumulated into {@code .grad}. Saved tensors are
 * released node by node afterwards unless the graph is retained (SEMANTICS.md §5.4), so a graph whose nodes
 * saved nothing may be run twice, exactly as in PyTorch.
 */
final class Engine {
    private Engine() {}

    static void backward(Tensor root, Tensor gradient, boolean retainGraph) {
        Tensor g = checkRoot(root, gradient);
        if (root.gradFn() == null) {
            root.accumulateGrad(g);
            return;
        }
        run(root.gradFn(), g, retainGraph, null);
    }

    static Tensor[] grad(Tensor output, Tensor[] inputs, Tensor gradient, boolean retainGraph) {
        Tensor g = checkRoot(output, gradient);
        Capture cap = new Capture(inputs);
        if (output.gradFn() == null) {
            cap.offerLeaf(output, g);
        } else {
            run(output.gradFn(), g, retainGraph, cap);
        }
        for (int i = 0; i < inputs.length; i++) {
            if (cap.results[i] == null) {
                throw new IllegalStateException("One of the differentiated Tensors appears to not have been used "
                        + "in the graph. Set allow_unused=True if this is the desired behavior.");
            }
        }
        return cap.results;
    }

    private static Tensor checkRoot(Tensor root, Tensor gradient) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("element 0 of tensors does not require grad and does not have a grad_fn");
        }
        if (gradient == null) {
            if (root.numel() != 1) {
                throw new IllegalStateException("grad can be implicitly created only for scalar outputs");
            }
            return Tensor.ones(root.dtype(), root.shapeRef());
        }
        if (!java.util.Arrays.equals(gradient.shapeRef(), root.shapeRef())) {
            throw new IllegalStateException("Mismatch in shape: grad_output[0] has a shape of torch.Size("
                    + Shape.str(gradient.shapeRef()) + ") and output[0] has a shape of torch.Size("
                    + Shape.str(root.shapeRef()) + ").");
        }
        return gradient.dtype() == root.dtype() ? gradient.detach() : gradient.detach().to(root.dtype());
    }

    /** Targets of {@link Autograd#grad}: gradients flowing to them are captured instead of accumulated. */
    private static final class Capture {
        final Tensor[] inputs;
        final Tensor[] results;
        final IdentityHashMap<Object, Integer> index = new IdentityHashMap<>();

        Capture(Tensor[] inputs) {
            this.inputs = inputs;
            this.results = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                Tensor t = inputs[i];
                if (!t.requiresGrad()) {
                    throw new IllegalStateException("One of the differentiated Tensors does not require grad");
                }
                index.put(t.gradFn() != null ? t.gradFn() : t, i);
            }
        }

        void offerLeaf(Tensor leaf, Tensor g) {
            offer(leaf, g);
        }

        void offer(Object key, Tensor g) {
            Integer i = index.get(key);
            if (i != null) {
                results[i] = results[i] == null ? g.copyDetached() : results[i].add(g);
            }
        }
    }

    private static void run(Node root, Tensor rootGrad, boolean retainGraph, Capture cap) {
        List<Node> order = collect(root);
        boolean anomaly = Grad.isAnomalyEnabled();
        try (Grad.Scope off = Grad.disabled()) {
            root.pending = rootGrad;
            root.pendingExclusive = false;
            ArrayDeque<Node> ready = new ArrayDeque<>();
            ready.push(root);
            while (!ready.isEmpty()) {
                Node node = ready.pop();
                Tensor g = node.pending;
                boolean gExclusive = node.pendingExclusive;
                node.pending = null;
                node.pendingExclusive = false;
                if (g == null) {
                    // no gradient reached this node (its consumers returned null): nothing flows on, but the
                    // nodes below must still be released from their dependency counts
                    for (Node nx : node.next) {
                        if (nx != null && --nx.dependencies == 0) {
                            ready.push(nx);
                        }
                    }
                    continue;
                }
                if (cap != null) {
                    cap.offer(node, g);
                } else if (node.retained != null) {
                    node.retained.accumulateGrad(g);
                }
                Tensor[] grads;
                node.gradOutputExclusive = gExclusive;
                if (anomaly) {
                    try {
                        grads = node.backward(g);
                    } catch (RuntimeException e) {
                        if (node.creation != null) {
                            e.addSuppressed(new IllegalStateException("Error detected in " + node.name() + "."
                                    + Anomaly.creationText(node), node.creation));
                        }
                        throw e;
                    }
                } else {
                    grads = node.backward(g);
                }
                node.gradOutputExclusive = false;
                if (grads.length != node.numInputs()) {
                    throw new IllegalStateException("function " + node.name() + " returned an incorrect number of "
                            + "gradients (expected " + node.numInputs() + ", got " + grads.length + ")");
                }
                for (int i = 0; i < grads.length; i++) {
                    Tensor gi = grads[i];
                    Node nx = node.next[i];
                    Tensor leaf = node.leaves[i];
                    if (gi == null || (nx == null && leaf == null)) {
                        continue;
                    }
                    gi = validate(node, i, gi, anomaly);
                    if (nx != null) {
                        if (nx.pending == null) {
                            nx.pending = gi;
                            nx.pendingExclusive = exclusive(grads, i, g, gExclusive);
                        } else {
                            nx.pending = nx.pending.add(gi);
                            nx.pendingExclusive = true;
                        }
                    } else if (cap != null) {
                        cap.offerLeaf(leaf, gi);
                    } else {
                        leaf.accumulateGrad(gi, exclusive(grads, i, g, gExclusive) && dense(gi));
                    }
                }
                for (Node nx : node.next) {
                    if (nx != null && --nx.dependencies == 0) {
                        ready.push(nx);
                    }
                }
            }
        } finally {
            for (Node n : order) {
                n.pending = null;
                n.pendingExclusive = false;
                n.gradOutputExclusive = false;
                n.dependencies = 0;
                if (!retainGraph) {
                    n.releaseSaved();
                }
            }
        }
    }

    /**
     * True when nothing else in this pass refers to {@code grads[i]}'s storage: it is not shared with another
     * input's gradient, and it is the incoming gradient (or a view of it, as transpose and view rules return) only
     * when that incoming gradient was itself exclusive. A gradient that is exclusive and {@link #dense} can become
     * a leaf's {@code .grad} without the defensive copy (PyTorch steals it when its refcount is 1). The root
     * gradient is never exclusive: the caller may hold it. A custom {@link Node} must not keep the gradient it is
     * given beyond its backward call.
     */
    private static boolean exclusive(Tensor[] grads, int i, Tensor incoming, boolean incomingExclusive) {
        Tensor gi = grads[i];
        if (gi.requiresGrad() || (gi.storage == incoming.storage && !incomingExclusive)) {
            return false;
        }
        for (int j = 0; j < grads.length; j++) {
            if (j != i && grads[j] != null && grads[j].storage == gi.storage) {
                return false;
            }
        }
        return true;
    }

    /** Contiguous from offset 0 over its whole storage: adoptable as a {@code .grad} as it is. */
    private static boolean dense(Tensor gi) {
        return gi.offset == 0 && gi.isContiguous() && gi.storage.length() == gi.numel();
    }

    private static Tensor validate(Node node, int i, Tensor gi, boolean anomaly) {
        int[] expected = node.inputShapes[i];
        if (!java.util.Arrays.equals(gi.shapeRef(), expected)) {
            throw new IllegalStateException("Function " + node.name() + " returned an invalid gradient at index "
                    + i + " - got " + Shape.str(gi.shapeRef()) + " but expected shape compatible with "
                    + Shape.str(expected));
        }
        if (gi.dtype() != node.inputDtypes[i]) {
            gi = gi.to(node.inputDtypes[i]);
        }
        if (anomaly) {
            String bad = nonFiniteKind(gi);
            if (bad != null) {
                throw new IllegalStateException("Function '" + node.name() + "' returned " + bad + " values in its "
                        + i + "th output." + Anomaly.creationText(node), node.creation);
            }
        }
        return gi;
    }

    /** "nan" when {@code t} holds a NaN, "inf" when it holds an infinity (but no NaN), else null. */
    private static String nonFiniteKind(Tensor t) {
        if (!t.hasNonFinite()) {
            return null;
        }
        for (double v : t.toDoubleArray()) {
            if (Double.isNaN(v)) {
                return "nan";
            }
        }
        return "inf";
    }

    /** Every node reachable from {@code root}, with dependency counts set; iterative, so long chains cannot overflow the stack. */
    private static List<Node> collect(Node root) {
        List<Node> order = new ArrayList<>();
        IdentityHashMap<Node, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Node> stack = new ArrayDeque<>();
        stack.push(root);
        seen.put(root, Boolean.TRUE);
        root.dependencies = 0;
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            order.add(n);
            for (Node nx : n.next) {
                if (nx == null) {
                    continue;
                }
                if (seen.put(nx, Boolean.TRUE) == null) {
                    nx.dependencies = 0;
                    stack.push(nx);
                }
                nx.dependencies++;
            }
        }
        return order;
    }
}
