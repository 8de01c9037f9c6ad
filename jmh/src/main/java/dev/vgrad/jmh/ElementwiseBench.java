package dev.vgrad.jmh;

import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Scope;

/** add / mul / relu over 16M floats: the kernel into a preallocated output (chunked over the pool), the Tensor op (allocates), an odd length, and a plain-Java triad for the bandwidth reference. */
@State(Scope.Benchmark)
public class ElementwiseBench extends PairBench {
    @Param({"add_16m", "mul_16m", "relu_16m", "add_16m_tensor", "mul_16m_tensor", "relu_16m_tensor", "add_odd", "triad_16m"})
    public String op;

    @Override
    protected String workloadName() {
        return op;
    }
}
