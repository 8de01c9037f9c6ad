package dev.vgrad.jmh;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.TimeUnit;

/**
 * The SGEMM micro-kernel alone ({@code SimdGemm.kernel}: a 12×32 tile of C over a K block of 256, reached by
 * reflection since it is private), to tell its own throughput from the memory traffic around it in a whole
 * product. Each invocation runs 8 kernels (the 96-row M block of the blocked GEMM) against one B micro-panel,
 * then moves to the next of {@code bPanels} packed B panels; C is a 96×2048 block. With {@code bPanels = 8}
 * the B panels (256 KB) stay in L2; with 512 they stream 16 MB from memory, as in a 2048-wide product, where
 * each panel's first kernel waits for it (Java has no prefetch instruction).
 *
 * <p>Score: kernels per microsecond; GFLOP/s = score × 2·MR·NR·KC / 1000 (score × 196.6 for 12×32 tiles, K 256).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgs = {PairBench.XMX, PairBench.GC}, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MicroKernelBench {
    /** The kernel's tile and K block, read from {@code SimdGemm} so that the indexing here follows them. */
    private static final int MR = gemmConstant("MR");
    private static final int NR = gemmConstant("NR");
    private static final int KC = gemmConstant("KC");
    private static final int M_PANELS = 8;
    private static final int LDC = 2048;
    private static final MethodHandle KERNEL = kernel();

    /** Distinct packed B panels cycled through: 8 stay in L2, 512 (16 MB) stream from memory. */
    @Param({"8", "512"})
    public int bPanels;

    private float[] ap;
    private float[] bp;
    private float[] c;
    private int jp;

    private static MethodHandle kernel() {
        try {
            Class<?> gemm = Class.forName("dev.vgrad.core.kernel.SimdGemm");
            return MethodHandles.privateLookupIn(gemm, MethodHandles.lookup()).findStatic(gemm, "kernel",
                    MethodType.methodType(void.class, int.class, float[].class, int.class, float[].class, int.class,
                            float[].class, int.class, int.class, boolean.class));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("SimdGemm.kernel(int, float[], int, float[], int, float[], int, int, "
                    + "boolean) not found: update this benchmark with the kernel's signature", e);
        }
    }

    private static int gemmConstant(String name) {
        try {
            Class<?> gemm = Class.forName("dev.vgrad.core.kernel.SimdGemm");
            return (int) MethodHandles.privateLookupIn(gemm, MethodHandles.lookup())
                    .findStaticVarHandle(gemm, name, int.class).get();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("SimdGemm." + name + " not found: update this benchmark", e);
        }
    }

    @Setup
    public void setUp() {
        ap = new float[M_PANELS * MR * KC];
        bp = new float[bPanels * NR * KC];
        c = new float[M_PANELS * MR * LDC];
        for (int i = 0; i < ap.length; i++) {
            ap[i] = (i % 7 - 3) * 0.01f;
        }
        for (int i = 0; i < bp.length; i++) {
            bp[i] = (i % 5 - 2) * 0.01f;
        }
    }

    @Benchmark
    @OperationsPerInvocation(M_PANELS)
    public float[] kernels() throws Throwable {
        int panel = jp;
        jp = panel + 1 == bPanels ? 0 : panel + 1;
        int col = panel % (LDC / NR) * NR;
        for (int ip = 0; ip < M_PANELS; ip++) {
            KERNEL.invokeExact(KC, ap, ip * MR * KC, bp, panel * NR * KC, c, ip * MR * LDC + col, LDC, true);
        }
        return c;
    }
}
