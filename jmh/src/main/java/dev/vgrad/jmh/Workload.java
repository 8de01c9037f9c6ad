package dev.vgrad.jmh;

/**
 * One benchmarked operation, set up once and run many times. The same workloads (same names, shapes and
 * semantics) exist in {@code bench/torch_bench.py}; {@code bench/compare.sh} runs both side by side.
 */
public interface Workload {
    /** Runs the operation once; the result is only for the JMH blackhole. */
    Object run();

    /** Work done by one {@link #run()} in {@link #unit()}s (FLOPs, bytes or ops). */
    double work();

    /** "GFLOP/s", "GB/s" or "ops/s" (the unit {@link #work()} per second is reported in). */
    String unit();
}
