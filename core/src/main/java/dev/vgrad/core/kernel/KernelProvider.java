package dev.vgrad.core.kernel;

/**
 * Chooses the kernel implementation once, at class initialisation.
 *
 * <p>SIMD kernels are used when the {@code jdk.incubator.vector} module is resolved (run the JVM with
 * {@code --add-modules jdk.incubator.vector}) and the system property {@code vgrad.simd} is not
 * {@code false}. Otherwise the scalar kernels run and one log line says how to enable SIMD. Only
 * {@link SimdKernels} and the other {@code Simd*} classes name Vector API types, so this class and the
 * scalar path load on any JDK 25 without the incubator module.
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
                System.getLogger("dev.vgrad").log(System.Logger.Level.WARNING,
                        "vgrad: SIMD kernels failed to load (" + e + "); using scalar kernels");
            }
        } else if (wanted) {
            System.getLogger("dev.vgrad").log(System.Logger.Level.INFO,
                    "vgrad: jdk.incubator.vector is not available; using scalar kernels. "
                            + "Run the JVM with --add-modules jdk.incubator.vector to enable SIMD.");
        }
        SIMD = chosen != null;
        KERNELS = chosen != null ? chosen : new ScalarKernels();
    }

    private KernelProvider() {}

    /** True when the Vector API kernels are in use. */
    public static boolean simdEnabled() {
        return SIMD;
    }

    /** The active kernel implementation (SIMD when enabled, scalar otherwise). */
    public static Kernels kernels() {
        return KERNELS;
    }

    /** A scalar implementation, always available; parity tests compare it with {@link #kernels()}. */
    public static Kernels scalar() {
        return ScalarHolder.INSTANCE;
    }

    private static final class ScalarHolder {
        static final Kernels INSTANCE = new ScalarKernels();
    }
}
