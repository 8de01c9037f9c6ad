package dev.vgrad.jmh;

import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Scope;

/** Reductions and softmax: sum over 16M floats and an odd length, row softmax of 4096×1024 and an odd shape. */
@State(Scope.Benchmark)
public class ReduceBench extends PairBench {
    @Param({"sum_16m", "sum_odd", "softmax_4096x1024", "softmax_odd"})
    public String op;

    @Override
    protected String workloadName() {
        return op;
    }
}
