package dev.vgrad.jmh;

import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Scope;

/** Per-op overhead: 1000 chained mul/add ops on 16-element tensors with autograd, forward + backward. */
@State(Scope.Benchmark)
public class ChainBench extends PairBench {
    @Param({"chain1000"})
    public String op;

    @Override
    protected String workloadName() {
        return op;
    }
}
