package dev.vgrad.core.internal;

import dev.vgrad.core.Tensor;

/**
 * Not for user code: how vgrad's own optimizers and modules read and drop parameter gradients so that a
 * {@code .grad} no user code ever saw can be recycled (docs/SEMANTICS.md §25). The package is exported only to
 * vgrad's modules.
 *
 * <p>A gradient the engine created on a thread is leased to that thread until a reference to it leaves vgrad:
 * {@link Tensor#grad()} and any read from another thread pin it for good. {@link #peek} reads it without pinning
 * (for a caller that neither keeps it nor hands it on), and {@link #release} sets {@code .grad} to null and, for a
 * gradient still leased to the calling thread, gives its array to that thread's buffer pool, so that the next
 * backward pass's gradient of that size is written into it instead of a freshly zeroed array.
 */
public final class GradBuffers {
    private GradBuffers() {}

    /** Tensor's side of the bridge (installed once, by {@link Tensor}'s initializer). */
    public interface Access {
        /**
         * {@code param.grad()} without pinning it, for a caller that does not keep it.
         *
         * @param param a tensor
         * @return its {@code .grad}, or null
         */
        Tensor peek(Tensor param);

        /**
         * {@code param.setGrad(null)}, recycling the gradient's array when nothing outside vgrad saw it.
         *
         * @param param a tensor
         */
        void release(Tensor param);
    }

    // Set by Tensor's initializer, so it is there before any tensor exists. (No initializer here forces Tensor's:
    // two threads initializing the two classes at once could then deadlock.)
    private static volatile Access access;

    /**
     * Called once, by {@link Tensor}'s initializer.
     *
     * @param a the access
     * @throws IllegalStateException when called again
     */
    public static void install(Access a) {
        if (access != null) {
            throw new IllegalStateException("GradBuffers: already installed");
        }
        access = a;
    }

    /**
     * The gradient of {@code param}, or null, without marking it as seen by user code. The caller must not keep it
     * beyond the current call or hand it to code outside vgrad.
     *
     * @param param a tensor
     * @return its {@code .grad}, or null
     */
    public static Tensor peek(Tensor param) {
        return access.peek(param);
    }

    /**
     * Sets {@code param}'s gradient to null; its array is recycled when no reference to it ever left vgrad and the
     * calling thread created it.
     *
     * @param param a tensor
     */
    public static void release(Tensor param) {
        access.release(param);
    }
}
