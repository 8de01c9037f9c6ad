package dev.vgrad.core.kernel;

/**
 * Chooses the kernel implementation once, at class initialisation.
 *
 * <p>SIMD kernels are used when the {@code jdk.incubator.vector} module is resolved (run the JVM with
 * {@code --add-modules jdk.incubator.vector}) and the system property {@code vgrad.simd} is not
 * {@code false}. Otherwise the scalar kernels run and one line on standard error says how to enable SIMD (not a
 * {@link System.Logger} record: the JDK's default log format spreads every record over two lines; asking for
 * the scalar path with {@code -Dvgrad.simd=false} prints nothing). Only
 * {@link SimdKernels} and the other {@code Simd*} classes name Vector API types, so this class and the
 * scalar path load on any JDK 25 without the incubator module.
 *
 * <p>Internal: used by core's tensor ops, nn, optim and the JMH benchmarks; not part of the stable API except
 * {@link #simdEnabled()}, which applications may query.
 */
public final class KernelProvider {
    private static final boolean SIMD;
    private static final Kernels KERNELS;

    static {
        boolean wanted = !"false".equalsIgnoreCase(System.getProperty("vgrad.simd", "true"));
        boolean present = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        Kernels chosen = null;
        if (wanted && present) {
            try {
                chosen = (Kernels) Class.forName("dev.vgrad.core.kernel.SimdKernels")
                        .getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                System.err.println("vgrad: SIMD kernels failed to load (" + e + "); using scalar kernels");
            }
        } else if (wanted) {
            System.err.println("vgrad: jdk.incubator.vector is not available; using scalar kernels. "
                    + "Run the JVM with --add-modules jdk.incubator.vector to enable SIMD, "
                    + "or -Dvgrad.simd=false to silence this.");
        }
        SIMD = chosen != null;
        KERNELS = chosen != null ? chosen : new ScalarKernels();
    }

    private KernelProvider() {}

    /**
     * Whether the Vector API kernels are in use.
     *
     * @return true when {@link #kernels()} is the SIMD implementation
     */
    public static boolean simdEnabled() {
        return SIMD;
    }

    /**
     * The active kernel implementation (SIMD when enabled, scalar otherwise).
     *
     * @return the process-wide kernels instance, chosen once at class initialisation
     */
    public static Kernels kernels() {
        return KERNELS;
    }

    /**
     * A scalar implementation, always available; parity tests compare it with {@link #kernels()}.
     *
     * @return a shared {@link ScalarKernels} instance
     */
    public static Kernels scalar() {
        return ScalarHolder.INSTANCE;
    }

    private static final class ScalarHolder {
        static final Kernels INSTANCE = new ScalarKernels();
    }
}
