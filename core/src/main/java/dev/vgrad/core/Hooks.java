package dev.vgrad.core;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/**
 * Tensor hooks (docs/SEMANTICS.md §5.11): per tensor a copy-on-write list, so a registration or removal racing
 * with a backward pass on another thread never corrupts it; the pass runs the list as it was when it got there.
 * The list of a non-leaf lives on its node; a {@code retainGrad()} made after hooks were registered is an entry of
 * its own, so the retained gradient is the value at that point of the chain, as in PyTorch 1.13.
 */
final class Hooks {
    private Hooks() {}

    /** The list entry standing for {@code retainGrad()}. */
    static final Object RETAIN = new Object();

    static List<Object> newList() {
        return new CopyOnWriteArrayList<>();
    }

    static RemovableHandle add(List<Object> hooks, UnaryOperator<Tensor> hook) {
        hooks.add(hook);
        return new RemovableHandle(hooks, hook);
    }

    /**
     * Runs {@code hooks} in order on {@code g}, each on the previous one's result (a null result keeps it).
     * {@code retained} (may be null) receives the value at its {@link #RETAIN} entry, or the value before the
     * first hook when it has none.
     */
    @SuppressWarnings("unchecked")
    static Tensor run(List<Object> hooks, Tensor g, Tensor retained, boolean createGraph) {
        if (retained != null && !hooks.contains(RETAIN)) {
            retained.accumulateGrad(g, false, createGraph);
        }
        for (Object h : hooks) {
            if (h == RETAIN) {
                if (retained != null) {
                    retained.accumulateGrad(g, false, createGraph);
                }
                continue;
            }
            Tensor r = ((UnaryOperator<Tensor>) h).apply(g);
            if (r == null) {
                continue;
            }
            if (!Arrays.equals(r.shapeRef(), g.shapeRef())) {
                throw new IllegalStateException("hook 'hook' has changed the size of value (was "
                        + Shape.str(g.shapeRef()) + " got " + Shape.str(r.shapeRef()) + ")");
            }
            if (r.dtype() != g.dtype()) {
                throw new IllegalStateException("hook 'hook' has changed the type of value (was " + typeName(g.dtype())
                        + " got " + typeName(r.dtype()) + ")");
            }
            g = r;
        }
        return g;
    }

    private static String typeName(DType d) {
        return d == DType.FLOAT64 ? "torch.DoubleTensor" : d == DType.FLOAT32 ? "torch.FloatTensor" : d.toString();
    }
}
