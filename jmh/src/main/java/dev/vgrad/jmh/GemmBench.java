package dev.vgrad.jmh;

import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Scope;

/** SGEMM C = A·B on square N×N matrices (1021 is the odd size), 1 and 2 threads. */
@State(Scope.Benchmark)
public class GemmBench extends PairBench {
    @Param({"256", "512", "1024", "2048", "1021"})
    public int size;

    @Override
    protected String workloadName() {
        return "sgemm_" + size;
    }
}
