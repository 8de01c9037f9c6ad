package dev.vgrad.jmh;

import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Scope;

/** One Adam step over a single 10M-element parameter. */
@State(Scope.Benchmark)
public class AdamBench extends PairBench {
    @Param({"adam_10m"})
    public String op;

    @Override
    protected String workloadName() {
        return op;
    }
}
