package dev.vgrad.core;

import java.util.List;

/**
 * The registration of a hook, returned by the {@code register…Hook} methods (PyTorch's
 * {@code torch.utils.hooks.RemovableHandle}). {@link #remove()} unregisters the hook; removing twice is harmless,
 * and as an {@link AutoCloseable} a hook can live for the length of a try-with-resources block.
 */
public final class RemovableHandle implements AutoCloseable {
    private final List<?> hooks;
    private final Object hook;

    /**
     * A handle that removes {@code hook} (compared by identity) from {@code hooks} when asked. Internal: made by
     * core's tensor hooks and nn's module hooks; user code receives handles rather than making them.
     *
     * @param hooks the registry the hook was added to; {@link #remove()} synchronizes on it, as writers to it must
     * @param hook the registered hook
     */
    public RemovableHandle(List<?> hooks, Object hook) {
        this.hooks = hooks;
        this.hook = hook;
    }

    /** Unregisters the hook; later calls do nothing. */
    public void remove() {
        synchronized (hooks) {
            for (int i = 0; i < hooks.size(); i++) {
                if (hooks.get(i) == hook) {
                    hooks.remove(i);
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        remove();
    }
}
