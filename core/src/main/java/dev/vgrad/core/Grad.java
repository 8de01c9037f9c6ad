package dev.vgrad.core;

/**
 * Thread-local grad mode (docs/SEMANTICS.md §5.5). Recording happens only while grad mode is enabled; scopes
 * restore the state seen at entry when closed, including on exceptions. A new thread starts enabled.
 *
 * <pre>{@code
 * try (var off = Grad.disabled()) { ... }           // torch.no_grad()
 * try (var on = Grad.enabled()) { ... }             // torch.enable_grad()
 * try (var inf = Grad.inferenceMode()) { ... }      // torch.inference_mode()
 * Grad.setEnabled(false);                           // torch.set_grad_enabled(False) as a function
 * }</pre>
 *
 * <p>The scopes of a thread form a stack, as try-with-resources nests them. A scope must be closed once, by the
 * thread that opened it, after every scope opened inside it. Anything else throws {@link IllegalStateException}
 * and leaves the thread's mode well defined:
 * <ul>
 *   <li>closing a scope while scopes opened after it are still open (out of order) closes those too, restores
 *       the mode seen when the closed scope was opened, then throws;</li>
 *   <li>closing a scope again (also one closed that way by an enclosing scope) changes nothing and throws;</li>
 *   <li>closing a scope on another thread changes nothing on either thread and throws.</li>
 * </ul>
 * (PyTorch restores whatever its context managers saved, in any order, and can leave a thread in no-grad or
 * inference mode for good; here a mistake is reported instead.)
 */
public final class Grad {
    private static final ThreadLocal<State> STATE = ThreadLocal.withInitial(State::new);

    private Grad() {}

    private static final class State {
        boolean enabled = true;
        boolean inference;
        boolean anomaly;
        /** The innermost open scope of this thread, or null. */
        Scope top;
    }

    /** A grad-mode scope; closing it restores the mode seen when it was opened (see {@link Grad} for misuse). */
    public static final class Scope implements AutoCloseable {
        private final State state;
        private final Thread owner;
        /** The scope that was innermost when this one opened: the stack below it. */
        private final Scope below;
        private final boolean prevEnabled;
        private final boolean prevInference;
        private final boolean prevAnomaly;
        private boolean closed;

        private Scope(State state) {
            this.state = state;
            this.owner = Thread.currentThread();
            this.below = state.top;
            this.prevEnabled = state.enabled;
            this.prevInference = state.inference;
            this.prevAnomaly = state.anomaly;
            state.top = this;
        }

        /**
         * Restores the grad mode captured when this scope was opened.
         *
         * @throws IllegalStateException if called on another thread than the one that opened the scope, if the
         *     scope is already closed, or if scopes opened inside it are still open (they are closed with it
         *     first, and the mode restored to this scope's entry mode)
         */
        @Override
        public void close() {
            if (Thread.currentThread() != owner) {
                throw new IllegalStateException("Grad scope closed on thread \"" + Thread.currentThread().getName()
                        + "\" but opened on thread \"" + owner.getName() + "\": a grad-mode scope belongs to the "
                        + "thread that opened it; the mode of neither thread was changed");
            }
            if (closed) {
                throw new IllegalStateException("Grad scope closed twice: it was already closed (directly, or "
                        + "by closing a scope it was opened in); the grad mode was not changed");
            }
            int inner = 0;
            for (Scope s = state.top; s != this; s = s.below) {
                s.closed = true;
                inner++;
            }
            closed = true;
            state.top = below;
            state.enabled = prevEnabled;
            state.inference = prevInference;
            state.anomaly = prevAnomaly;
            if (inner > 0) {
                throw new IllegalStateException("Grad scope closed out of order: " + inner + " scope(s) opened "
                        + "inside it were still open; they were closed with it and the grad mode restored to what "
                        + "it was when this scope was opened");
            }
        }
    }

    /**
     * True when ops record autograd graphs on this thread.
     *
     * @return the current thread's grad mode ({@code torch.is_grad_enabled()})
     */
    public static boolean isEnabled() {
        return STATE.get().enabled;
    }

    /**
     * Sets grad mode on this thread immediately (like {@code torch.set_grad_enabled(b)} called as a function).
     *
     * @param enabled whether ops record graphs from now on, on this thread
     */
    public static void setEnabled(boolean enabled) {
        STATE.get().enabled = enabled;
    }

    /**
     * Disables recording until the scope closes ({@code torch.no_grad()}).
     *
     * @return a scope to close (try-with-resources) to restore the previous mode
     */
    public static Scope disabled() {
        State s = STATE.get();
        Scope scope = new Scope(s);
        s.enabled = false;
        return scope;
    }

    /**
     * Enables recording until the scope closes ({@code torch.enable_grad()}), also inside {@link #disabled()}.
     *
     * @return a scope to close (try-with-resources) to restore the previous mode
     */
    public static Scope enabled() {
        State s = STATE.get();
        Scope scope = new Scope(s);
        s.enabled = true;
        s.inference = false;
        return scope;
    }

    /**
     * Sets grad mode for the scope and restores the previous one on close ({@code set_grad_enabled} as a context).
     *
     * @param enabled the grad mode inside the scope
     * @return a scope to close (try-with-resources) to restore the previous mode
     */
    public static Scope scoped(boolean enabled) {
        State s = STATE.get();
        Scope scope = new Scope(s);
        s.enabled = enabled;
        return scope;
    }

    /**
     * Inference mode: like {@link #disabled()}, and every tensor created inside is an inference tensor that can
     * never be saved for backward or modified in place outside inference mode.
     *
     * @return a scope to close (try-with-resources) to restore the previous mode ({@code torch.inference_mode()})
     */
    public static Scope inferenceMode() {
        State s = STATE.get();
        Scope scope = new Scope(s);
        s.enabled = false;
        s.inference = true;
        return scope;
    }

    /**
     * True inside {@link #inferenceMode()}.
     *
     * @return whether this thread is in inference mode ({@code torch.is_inference_mode_enabled()})
     */
    public static boolean isInferenceMode() {
        return STATE.get().inference;
    }

    /**
     * Anomaly detection: while enabled, backward checks every gradient an op produces and fails at the first
     * NaN or infinite value, naming the op and the stack trace of its creation in the forward pass.
     *
     * @return a scope to close (try-with-resources) to restore the previous setting
     *     ({@code torch.autograd.detect_anomaly()})
     */
    public static Scope detectAnomaly() {
        State s = STATE.get();
        Scope scope = new Scope(s);
        s.anomaly = true;
        return scope;
    }

    /**
     * True inside {@link #detectAnomaly()}.
     *
     * @return whether anomaly detection is on for this thread ({@code torch.is_anomaly_enabled()})
     */
    public static boolean isAnomalyEnabled() {
        return STATE.get().anomaly;
    }
}
