package dev.vgrad.jmh;

import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Scope;

/** conv2d (64,64,32,32)∗(64,64,3,3), pad 1: forward, and forward + both gradients (kernel level). */
@State(Scope.Benchmark)
public class ConvBench extends PairBench {
    @Param({"conv_fwd", "conv_fwdbwd", "conv_fwd_odd"})
    public String op;

    @Override
    protected String workloadName() {
        return op;
    }
}
