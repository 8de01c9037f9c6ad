package dev.vgrad.jmh;

import dev.vgrad.core.Vgrad;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

import java.util.concurrent.TimeUnit;

/**
 * Base of every JMH benchmark here: a scalar/SIMD pair of methods running the same {@link Workload}, which
 * differ only in the JVM arguments of their forks ({@code --add-modules jdk.incubator.vector} vs
 * {@code -Dvgrad.simd=false}); the setup checks that the fork really runs the kernels it claims to.
 * Subclasses declare the {@code @Param}s and map them to a workload name; {@code threads} is the intra-op
 * thread count ({@link Vgrad#setNumThreads}).
 *
 * <p>Several forks and iterations give JMH's 99.9% error bars; on this shared 2-core machine compare pairs
 * measured in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class PairBench {
    static final String XMX = "-Xmx8g";
    static final String GC = "-XX:+UseParallelGC";

    @Param({"1", "2"})
    public int threads;

    Workload workload;

    /** The workload name for the current parameters (see {@link Workloads}). */
    protected abstract String workloadName();

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        boolean wantSimd = params.getBenchmark().endsWith(".simd");
        if (Vgrad.simdEnabled() != wantSimd) {
            throw new IllegalStateException(params.getBenchmark() + " runs with simdEnabled=" + Vgrad.simdEnabled()
                    + " (JVM args " + params.getJvmArgs() + ")");
        }
        Vgrad.setNumThreads(threads);
        workload = Workloads.create(workloadName());
    }

    @Benchmark
    @Fork(value = 3, jvmArgs = {XMX, GC}, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
    public Object simd() {
        return workload.run();
    }

    @Benchmark
    @Fork(value = 3, jvmArgs = {XMX, GC}, jvmArgsAppend = {"-Dvgrad.simd=false"})
    public Object scalar() {
        return workload.run();
    }
}
