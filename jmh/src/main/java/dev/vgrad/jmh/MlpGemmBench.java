package dev.vgrad.jmh;

import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Scope;

/** The MLP layer products: X(256×784)·W(784×512) (fwd), dY·Wᵀ (bwd_dx) and Xᵀ·dY (bwd_dw), transposed operands read in place. */
@State(Scope.Benchmark)
public class MlpGemmBench extends PairBench {
    @Param({"fwd", "bwd_dx", "bwd_dw"})
    public String shape;

    @Override
    protected String workloadName() {
        return "mlp_" + shape;
    }
}
