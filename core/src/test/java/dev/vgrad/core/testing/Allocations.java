package dev.vgrad.core.testing;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.function.Supplier;

/**
 * Bytes allocated by the current thread ({@code com.sun.management.ThreadMXBean.getCurrentThreadAllocatedBytes}),
 * for tests that bound an operation's memory cost by its output (issue 15). The count covers every object this
 * thread allocates, so for a single-threaded operation it is deterministic up to small constants, unlike a timing.
 * Reached by reflection: the tests compile inside the project's modules, which do not read {@code jdk.management}.
 */
public final class Allocations {
    private Allocations() {}

    private static final Object BEAN;
    private static final MethodHandle ALLOCATED;

    static {
        try {
            BEAN = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
            Class<?> sun = Class.forName("com.sun.management.ThreadMXBean");
            sun.getMethod("setThreadAllocatedMemoryEnabled", boolean.class).invoke(BEAN, true);
            ALLOCATED = MethodHandles.publicLookup()
                    .findVirtual(sun, "getCurrentThreadAllocatedBytes", MethodType.methodType(long.class))
                    .asType(MethodType.methodType(long.class, Object.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Bytes allocated so far by the calling thread. */
    public static long current() {
        try {
            return (long) ALLOCATED.invokeExact(BEAN);
        } catch (Throwable t) {
            throw new IllegalStateException("cannot read the thread's allocated bytes", t);
        }
    }

    /** Runs {@code op} and returns the bytes the calling thread allocated meanwhile; the result goes to {@code out[0]}. */
    public static <T> long during(Supplier<T> op, Object[] out) {
        long before = current();
        T r = op.get();
        long bytes = current() - before;
        out[0] = r;
        return bytes;
    }
}
