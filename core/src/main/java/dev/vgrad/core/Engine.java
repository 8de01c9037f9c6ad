package dev.vgrad.core;

import java.util.IdentityHashMap;

/**
 * Reverse-mode execution: topological order by dependency counting (Kahn) from the root's node, gradients
 * summed per node before its rule runs, leaf gradients accumulated into {@code .grad}. Saved tensors are
 * released node by node afterwards unless the graph is retained (docs/SEMANTICS.md §5.4), so a graph whose nodes
 * saved nothing may be run twice, exactly as in PyTorch.
 *
 * <p>Thread safety (docs/SEMANTICS.md §5.9): a pass keeps its bookkeeping to itself (see {@link #run}) and adds
 * into a {@code .grad} under that tensor's lock, so passes on one shared graph, with {@code retainGraph}, may run
 * on any number of threads at once. A pass without {@code retainGraph} that overlaps another on the same nodes may
 * make the other fail cleanly with "Trying to backward through the graph a second time", never compute a wrong
 * number.
 */
final class Engine {
    private Engine() {}

    static void backward(Tensor root, Tensor gradient, boolean retainGraph, boolean createGraph) {
        Tensor g = checkRoot(root, gradient, createGraph);
        if (root.gradFn() == null) {
            try (Grad.Scope s = Grad.scoped(createGraph)) {
                root.accumulateGrad(root.runHooks(g), false, createGraph);
            }
            return;
        }
        run(root.gradFn(), g, retainGraph, createGraph, null);
    }

    static Tensor[] grad(Tensor output, Tensor[] inputs, Tensor gradient, boolean retainGraph, boolean createGraph) {
        Tensor g = checkRoot(output, gradient, createGraph);
        Capture cap = new Capture(inputs, createGraph);
        if (output.gradFn() == null) {
            cap.offerLeaf(output, g);
        } else {
            run(output.gradFn(), g, retainGraph, createGraph, cap);
        }
        Tensor[] results = cap.results();
        for (int i = 0; i < inputs.length; i++) {
            if (results[i] == null) {
                throw new IllegalStateException("One of the differentiated Tensors appears to not have been used "
                        + "in the graph. Set allow_unused=True if this is the desired behavior.");
            }
        }
        return results;
    }

    private static Tensor checkRoot(Tensor root, Tensor gradient, boolean createGraph) {
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
        if (createGraph) {
            // a gradient that itself has history is differentiated through, as PyTorch does with create_graph
            try (Grad.Scope on = Grad.enabled()) {
                return gradient.dtype() == root.dtype() ? gradient : gradient.to(root.dtype());
            }
        }
        return gradient.dtype() == root.dtype() ? gradient.detach() : gradient.detach().to(root.dtype());
    }

    /**
     * Targets of {@link Autograd#grad}: gradients flowing to them are captured instead of accumulated. An input
     * given more than once is captured once and its gradient returned in every slot (the same tensor, as PyTorch
     * returns it).
     */
    private static final class Capture {
        final Tensor[] results;
        final IdentityHashMap<Object, Integer> index = new IdentityHashMap<>();
        /** For each slot, the slot that captures its gradient: itself, or the first slot with the same input. */
        final int[] firstSlot;
        /** Under createGraph the captured gradients keep their history (PyTorch returns them with a grad_fn). */
        final boolean createGraph;

        Capture(Tensor[] inputs, boolean createGraph) {
            this.createGraph = createGraph;
            this.results = new Tensor[inputs.length];
            this.firstSlot = new int[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                Tensor t = inputs[i];
                if (!t.requiresGrad()) {
                    throw new IllegalStateException("One of the differentiated Tensors does not require grad");
                }
                Integer first = index.putIfAbsent(t.gradFn() != null ? t.gradFn() : t, i);
                firstSlot[i] = first == null ? i : first;
            }
        }

        void offerLeaf(Tensor leaf, Tensor g) {
            offer(leaf, g);
        }

        void offer(Object key, Tensor g) {
            Integer i = index.get(key);
            if (i != null) {
                if (createGraph) {
                    results[i] = results[i] == null ? g : results[i].add(g);
                } else {
                    results[i] = results[i] == null ? g.copyDetached() : results[i].add(g);
                }
            }
        }

        /** Fills the slots of repeated inputs from their first occurrence. */
        Tensor[] results() {
            for (int i = 0; i < results.length; i++) {
                results[i] = results[firstSlot[i]];
            }
            return results;
        }
    }

    /**
     * One backward pass. All bookkeeping of the pass (gradients summed per node, their exclusivity, dependency
     * counts) lives in arrays indexed by a numbering of the reachable nodes that only this pass sees, never on the
     * shared {@link Node}s, so any number of threads may run passes over one retained graph at once
     * (docs/SEMANTICS.md §5.9): each computes exactly what it would compute alone.
     *
     * <p>With {@code createGraph} (docs/SEMANTICS.md §5.12) the rules run with grad mode on, so what they compute
     * is recorded, and no gradient is ever treated as exclusive: nothing is written over and no buffer is adopted,
     * since the recorded graph may still read it. Without it the pass is exactly the fast path; the flag is
     * checked once per node. Tensor hooks (docs/SEMANTICS.md §5.11) run on a node's summed gradient before its
     * rule; a gradient a hook has seen is never written over afterwards.
     */
    private static void run(Node root, Tensor rootGrad, boolean retainGraph, boolean createGraph, Capture cap) {
        Reachable graph = new Reachable(root);
        int n = graph.size;
        Node[] nodes = graph.nodes;
        int[] deps = graph.deps;
        int[] edge = graph.edge;
        int[] firstEdge = graph.firstEdge;
        Tensor[] pending = new Tensor[n];
        boolean[] pendingExclusive = new boolean[n];
        int[] ready = new int[n];
        boolean anomaly = Grad.isAnomalyEnabled();
        Node[] exclusiveSlot = Node.exclusiveSlot();
        Node outerExclusive = exclusiveSlot[0];
        try (Grad.Scope mode = Grad.scoped(createGraph)) {
            pending[0] = rootGrad;
            int top = 0;
            ready[top++] = 0;
            while (top > 0) {
                int k = ready[--top];
                Node node = nodes[k];
                Tensor g = pending[k];
                boolean gExclusive = pendingExclusive[k];
                pending[k] = null;
                int e0 = firstEdge[k];
                // no gradient reached a node whose consumers all returned null: nothing flows on, but the nodes
                // below must still be released from their dependency counts
                if (g != null) {
                    java.util.List<Object> hooks = node.hooks;
                    if (cap != null) {
                        // PyTorch 1.13 captures an input's gradient before that tensor's hooks run
                        cap.offer(node, g);
                        if (hooks != null) {
                            g = Hooks.run(hooks, g, null, createGraph);
                            gExclusive = false;
                        }
                    } else if (hooks != null) {
                        g = Hooks.run(hooks, g, node.retained, createGraph);
                        gExclusive = false;
                    } else if (node.retained != null) {
                        node.retained.accumulateGrad(g, false, createGraph);
                    }
                    if (createGraph) {
                        gExclusive = false;
                    }
                    if (!createGraph && !anomaly && absorbSlice(node, g, gExclusive, edge[e0], pending,
                            pendingExclusive)) {
                        g = null;
                    }
                }
                if (g != null) {
                    Tensor[] grads;
                    exclusiveSlot[0] = gExclusive ? node : null;
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
                    exclusiveSlot[0] = null;
                    if (grads.length != node.numInputs()) {
                        throw new IllegalStateException("function " + node.name() + " returned an incorrect number of "
                                + "gradients (expected " + node.numInputs() + ", got " + grads.length + ")");
                    }
                    boolean recycle = gExclusive && node.recyclesGradient() && dense(g);
                    for (int i = 0; i < grads.length; i++) {
                        Tensor gi = grads[i];
                        if (gi != null && gi.storage == g.storage) {
                            recycle = false;
                        }
                        int c = edge[e0 + i];
                        Tensor leaf = node.leaves[i];
                        if (gi == null || (c < 0 && leaf == null)) {
                            continue;
                        }
                        gi = validate(node, i, gi, anomaly);
                        boolean ex = !createGraph && exclusive(grads, i, g, gExclusive);
                        boolean owned = ex && dense(gi);
                        if (c >= 0) {
                            if (pending[c] == null) {
                                pending[c] = gi;
                                pendingExclusive[c] = ex;
                            } else {
                                pending[c] = sum(pending[c], pendingExclusive[c], gi, owned, createGraph);
                                pendingExclusive[c] = !createGraph;
                            }
                        } else if (cap != null) {
                            cap.offerLeaf(leaf, gi);
                        } else if (leaf.hasHooks()) {
                            // the hooks may keep what they see: never adopt it as .grad (it would be added into)
                            leaf.accumulateGrad(leaf.runHooks(gi), false, createGraph);
                        } else if (!leaf.accumulateGrad(gi, owned, node.recyclesGradient(), createGraph) && owned) {
                            // added into an existing .grad: nothing refers to this buffer any more
                            BufferPool.give(gi.storage);
                        }
                    }
                    if (recycle) {
                        // the rule consumed its exclusive gradient and returned nothing over it
                        BufferPool.give(g.storage);
                    }
                }
                for (int i = 0, ne = node.next.length; i < ne; i++) {
                    int c = edge[e0 + i];
                    if (c >= 0 && --deps[c] == 0) {
                        ready[top++] = c;
                    }
                }
            }
        } finally {
            exclusiveSlot[0] = outerExclusive;
            if (!retainGraph) {
                for (int k = 0; k < n; k++) {
                    nodes[k].releaseSaved();
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

    /**
     * The sum of two gradients reaching one node, {@code acc + gi}. Without {@code createGraph} an exclusive,
     * dense {@code acc} takes the sum in place (each element is the same one rounded addition either way), and
     * an owned operand that the sum does not live in is recycled ({@link BufferPool}).
     */
    private static Tensor sum(Tensor acc, boolean accExclusive, Tensor gi, boolean giOwned, boolean createGraph) {
        if (createGraph) {
            return acc.add(gi);
        }
        if (accExclusive && dense(acc) && acc.dtype == gi.dtype && acc.storage != gi.storage) {
            ElementwiseOps.addInto(acc, gi);
            if (giOwned) {
                BufferPool.give(gi.storage);
            }
            return acc;
        }
        Tensor s = acc.add(gi);
        if (accExclusive && dense(acc)) {
            BufferPool.give(acc.storage);
        }
        if (giOwned && gi.storage != acc.storage) {
            BufferPool.give(gi.storage);
        }
        return s;
    }

    /** Slice gradients added straight into a pending window, for tests that must know the path ran. */
    static final java.util.concurrent.atomic.LongAdder ABSORBED_SLICES = new java.util.concurrent.atomic.LongAdder();

    /**
     * The pieces of a split: a slice's gradient added straight into the window of its input's pending gradient
     * when that one is this pass's own dense buffer ({@link ShapeOps.SliceBackward0#addWindow}), instead of
     * a zero-padded full-size tensor summed into it. True when done; the slice's gradient is then consumed.
     */
    private static boolean absorbSlice(Node node, Tensor g, boolean gExclusive, int c, Tensor[] pending,
                                       boolean[] pendingExclusive) {
        if (!(node instanceof ShapeOps.SliceBackward0 slice) || c < 0) {
            return false;
        }
        Tensor acc = pending[c];
        if (acc == null || !pendingExclusive[c] || !dense(acc) || acc.storage == g.storage
                || acc.dtype != node.inputDtypes[0] || g.dtype != acc.dtype) {
            return false;
        }
        slice.addWindow(acc, g);
        ABSORBED_SLICES.increment();
        if (gExclusive && dense(g)) {
            BufferPool.give(g.storage);
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

    /**
     * The nodes reachable from a root, numbered for one pass (the root is 0): per node its number of consumers
     * within the graph and the numbers of its {@code next} nodes ({@code -1} for none), stored flat. Numbering
     * uses an open-addressing identity table, so a pass allocates a few arrays and no per-node objects; the walk
     * is iterative, so long chains cannot overflow the stack.
     */
    private static final class Reachable {
        Node[] nodes = new Node[16];
        int[] deps = new int[16];
        int[] firstEdge = new int[16];
        int[] edge = new int[32];
        int size;
        private int edges;
        private Node[] table = new Node[32];
        private int[] slotIndex = new int[32];

        Reachable(Node root) {
            add(root);
            int[] stack = new int[16];
            int top = 0;
            stack[top++] = 0;
            while (top > 0) {
                int k = stack[--top];
                Node[] next = nodes[k].next;
                if (edges + next.length > edge.length) {
                    edge = java.util.Arrays.copyOf(edge, Math.max(edge.length * 2, edges + next.length));
                }
                firstEdge[k] = edges;
                for (Node nx : next) {
                    int c = -1;
                    if (nx != null) {
                        c = indexOf(nx);
                        if (c < 0) {
                            c = add(nx);
                            if (top == stack.length) {
                                stack = java.util.Arrays.copyOf(stack, top * 2);
                            }
                            stack[top++] = c;
                        }
                        deps[c]++;
                    }
                    edge[edges++] = c;
                }
            }
        }

        private static int hash(Node node, int mask) {
            int h = System.identityHashCode(node) * 0x9E3779B9;
            return (h ^ (h >>> 16)) & mask;
        }

        private int indexOf(Node node) {
            int mask = table.length - 1;
            for (int s = hash(node, mask); ; s = (s + 1) & mask) {
                Node t = table[s];
                if (t == node) {
                    return slotIndex[s];
                }
                if (t == null) {
                    return -1;
                }
            }
        }

        private int add(Node node) {
            int k = size++;
            if (k == nodes.length) {
                nodes = java.util.Arrays.copyOf(nodes, k * 2);
                deps = java.util.Arrays.copyOf(deps, k * 2);
                firstEdge = java.util.Arrays.copyOf(firstEdge, k * 2);
            }
            nodes[k] = node;
            if (size * 2 > table.length) {
                rehash(table.length * 2);
            }
            put(node, k);
            return k;
        }

        private void put(Node node, int k) {
            int mask = table.length - 1;
            int s = hash(node, mask);
            while (table[s] != null) {
                s = (s + 1) & mask;
            }
            table[s] = node;
            slotIndex[s] = k;
        }

        private void rehash(int capacity) {
            table = new Node[capacity];
            slotIndex = new int[capacity];
            for (int k = 0; k < size - 1; k++) {
                put(nodes[k], k);
            }
        }
    }
}
