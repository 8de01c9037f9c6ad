package dev.vgrad.jmh;

import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Scope;

/** Training steps at batch 128: MLP 784-256-128-10 with Adam, and the Fashion-MNIST CNN with AdamW. */
@State(Scope.Benchmark)
public class TrainStepBench extends PairBench {
    @Param({"mlp_step", "mlp_step_core", "cnn_step"})
    public String op;

    @Override
    protected String workloadName() {
        return op;
    }
}
