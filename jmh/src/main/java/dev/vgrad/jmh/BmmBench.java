package dev.vgrad.jmh;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
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
 * Attention-shaped batched matmul through {@link Tensor#matmul}: {@code qk} is q(4,8,T,64)·k(4,8,T,64)ᵀ (the
 * transposed view, as attention scores are computed) and {@code av} is p(4,8,T,T)·v(4,8,T,64); 32 products of
 * T×64 by 64×T (or T×T by T×64) per call. The simd/scalar pair follows {@link PairBench} (forks differ only in
 * the kernel switch); {@code threads} is the intra-op thread count.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BmmBench {
    @Param({"32", "128", "256"})
    public int t;

    @Param({"qk", "av"})
    public String kind;

    @Param({"1", "2"})
    public int threads;

    private Tensor a;
    private Tensor b;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        boolean wantSimd = params.getBenchmark().endsWith(".simd");
        if (Vgrad.simdEnabled() != wantSimd) {
            throw new IllegalStateException(params.getBenchmark() + " runs with simdEnabled=" + Vgrad.simdEnabled());
        }
        Vgrad.setNumThreads(threads);
        Generator gen = new Generator(17);
        if (kind.equals("qk")) {
            a = Tensor.randn(gen, 4, 8, t, 64);
            b = Tensor.randn(gen, 4, 8, t, 64).transpose(-1, -2);
        } else {
            a = Tensor.randn(gen, 4, 8, t, t);
            b = Tensor.randn(gen, 4, 8, t, 64);
        }
    }

    @Benchmark
    @Fork(value = 3, jvmArgs = {PairBench.XMX, PairBench.GC},
            jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
    public Object simd() {
        return a.matmul(b);
    }

    @Benchmark
    @Fork(value = 3, jvmArgs = {PairBench.XMX, PairBench.GC}, jvmArgsAppend = {"-Dvgrad.simd=false"})
    public Object scalar() {
        return a.matmul(b);
    }
}
