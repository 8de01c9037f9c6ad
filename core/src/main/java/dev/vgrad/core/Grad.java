package dev.vgrad.core;

/**
 * Thread-local grad mode (SEMANTICS.md §5.5). Recording happens only while grad mode is enabled; scopes
 * restore the state seen at entry when closed, including on exceptions. A new thread starts enabled.
 *
 * <pre>{@code
 * try (var off = Grad.disabled()) { ... }           // torch.no_grad()
 * try (var on = Grad.enabled()) { ... }             // torch.enable_grad()
 * try (var inf = Grad.inferenceMode()) { ... }      // torch.inference_mode()
 * Grad.setEnabled(false);                           // torch.set_grad_enabled(False) as a function
 * }</pre>
 */
public final class Grad {
    private static final ThreadLocal<State> STATE = ThreadLocal.withInitial(State::new);

    private Grad() {}

    private static final class State {
        boolean enabled = true;
        boolean inference;
        boolean anomaly;
    }

    /** A grad-mode scope; closing it restores the previous mode. */
    public static final class Scope implements AutoCloseable {
        private final State state;
        private final boolean prevEnabled;
        private final boolean prevInference;
        private final boolean prevAnomaly;
        private boolean closed;

        private Scope(State state) {
            this.state = state;
            this.prevEnabled = state.enabled;
            this.prevInference = state.inference;
            this.prevAnomaly = state.anomaly;
        }

        /** Restores the grad mode captured when this scope was opened. Idempotent. */
        @Override
        public void close() {
            if (!closed) {
                closed = true;
                state.enabled = prevEnabled;
                state.inference = prevInference;
                state.anomaly = prevAnomaly;
            }
        }
    }

    /** True when ops record autograd graphs on this thread. */
    public static boolean isEnabled() {
        return STATE.get().enabled;
    }

    /** Sets grad mode on this thread immediately (like {@code torch.set_grad_enabled(b)} called as a function). */
    public static void setEnabled(boolean enabled) {
        STATE.get().enabled = enabled;
    }

    /** Disables recording until the scope closes ({@code torch.no_grad()}). */
    public static Scope disabled() {
        State s = STATE.get();
        Scope scope = new Scope(s);
        s.enabled = false;
        return scope;
    }

    /** Enables recording until the scope closes ({@code torch.enable_grad()}), also inside {@link #disabled()}. */
    public static Scope enabled() {
        State s = STATE.get();
        Scope scope = new Scope(s);
        s.enabled = true;
        s.inference = false;
        return scope;
    }

    /** Sets grad mode for the scope and restores the previous one on close ({@code set_grad_enabled} as a context). */
    public static Scope scoped(boolean enabled) {
        State s = STATE.get();
        Scope scope = new Scope(s);
        s.enabled = enabled;
        return scope;
    }

    /**
     * Inference mode: like {@link #disabled()}, and every tensor created inside is an inference tensor that can
     * never be saved for backward or modified in place outside inference mode.
     */
    public static Scope inferenceMode() {
        State s = STATE.get();
        Scope scope = new Scope(s);
        s.enabled = false;
        s.inference = true;
        return scope;
    }

    /** True inside {@link #inferenceMode()}. */
    public static boolean isInferenceMode() {
        return STATE.get().inference;
    }

    /**
     * Anomaly detection: while enabled, backward checks every gradient an op produces and fails at the first
     * NaN or infinite value, naming the op and the stack trace of its creation in the forward pass.
     */
    public static Scope detectAnomaly() {
        State s = STATE.get();
        Scope scope = new Scope(s);
        s.anomaly = true;
        return scope;
    }

    /** True inside {@link #detectAnomaly()}. */
    public static boolean isAnomalyEnabled() {
        return STATE.get().anomaly;
    }
}
