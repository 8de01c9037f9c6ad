package dev.vgrad.jmh;

import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Scope;

/** 2×2/2 max pooling of (64,64,32,32), forward (with argmax) and forward + backward. */
@State(Scope.Benchmark)
public class PoolBench extends PairBench {
    @Param({"maxpool_fwd", "maxpool_fwdbwd"})
    public String op;

    @Override
    protected String workloadName() {
        return op;
    }
}
