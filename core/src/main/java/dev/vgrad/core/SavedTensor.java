package dev.vgrad.core;

/**
 * A tensor saved by a {@link Node} for its backward pass. It records the storage version at save time; a
 * later in-place change makes {@link #get()} fail with PyTorch's message (docs/SEMANTICS.md §5.7), and after a
 * backward pass without {@code retainGraph} it is released so the memory can be collected (§5.4).
 */
public final class SavedTensor {
    /**
     * Null once released. Read once per {@link #get()}: a racing release by another thread's pass
     * (docs/SEMANTICS.md §5.9) yields either the whole tensor or the release error; a reference read cannot tear,
     * so no volatile is needed.
     */
    private Tensor tensor;
    private final int version;
    private final String producer;

    SavedTensor(Tensor t, String producer) {
        if (t.isInference()) {
            throw new IllegalStateException("Inference tensors cannot be saved for backward. To work around "
                    + "you can make a clone to get a normal tensor and use it in autograd.");
        }
        this.tensor = t;
        this.version = t.version();
        this.producer = producer;
    }

    /**
     * The saved tensor, after checking it was neither modified in place nor released. Safe against a concurrent
     * release by another thread's backward pass: returns the tensor or fails with the message below, never half.
     *
     * @return the tensor passed to {@link Node#save} or {@link Node#saveOutput}
     * @throws IllegalStateException when it was modified in place since it was saved, or already released
     */
    public Tensor get() {
        Tensor t = tensor;
        if (t == null) {
            throw new IllegalStateException("Trying to backward through the graph a second time (or directly "
                    + "access saved tensors after they have already been freed). Saved intermediate values of the "
                    + "graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
                    + "you need to backward through the graph a second time or if you need to access saved "
                    + "tensors after calling backward.");
        }
        int now = t.version();
        if (now != version) {
            String type = t.dtype() == DType.FLOAT64 ? "torch.DoubleTensor"
                    : t.dtype() == DType.INT64 ? "torch.LongTensor"
                    : t.dtype() == DType.BOOL ? "torch.BoolTensor" : "torch.FloatTensor";
            String what = "[" + type + " " + Shape.str(t.shape()) + "]";
            throw new IllegalStateException("one of the variables needed for gradient computation has been "
                    + "modified by an inplace operation: " + what
                    + (producer != null ? ", which is output 0 of " + producer + "," : "")
                    + " is at version " + now + "; expected version " + version + " instead. Hint: enable anomaly "
                    + "detection to find the operation that failed to compute its gradient, with "
                    + "Grad.detectAnomaly().");
        }
        return t;
    }

    void release() {
        tensor = null;
    }
}
