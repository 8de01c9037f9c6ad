package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.kernel.Parallel;
import org.junit.jupiter.api.Test;

/**
 * The recurrent layers give bit-identical outputs and gradients for any thread count (docs/SEMANTICS.md §22.3):
 * sizes large enough that the per-step and all-steps GEMMs split their work over the pool.
 */
class RnnThreadDeterminismTest {
    private static float[][] run(int threads) {
        int prev = Parallel.numThreads();
        Parallel.setNumThreads(threads);
        try {
            Generator g = new Generator(43);
            LSTM lstm = new LSTM(48, 96, 2, true, true, 0.0, true, g);
            GRU gru = new GRU(48, 96, 1, true, false, 0.0, false, g);
            Tensor x = Tensor.randn(g, 24, 10, 48).requiresGrad(true);
            LSTM.Output o = lstm.forward(x, null, null);
            Tensor y = gru.call(x);
            o.output().pow(2).sum().add(o.cN().sum()).add(y.pow(2).sum()).backward();
            return new float[][] {o.output().toArray(), o.hN().toArray(), y.toArray(), x.grad().toArray(),
                lstm.param("weight_hh_l1_reverse").grad().toArray(), lstm.param("bias_ih_l0").grad().toArray(),
                gru.param("weight_ih_l0").grad().toArray()};
        } finally {
            Parallel.setNumThreads(prev);
        }
    }

    @Test
    void bitIdenticalForOneAndManyThreads() {
        float[][] a = run(1);
        float[][] b = run(2);
        float[][] c = run(4);
        for (int i = 0; i < a.length; i++) {
            assertArrayEquals(a[i], b[i], "output " + i);
            assertArrayEquals(a[i], c[i], "output " + i);
        }
    }
}
