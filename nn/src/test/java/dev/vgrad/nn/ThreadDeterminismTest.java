package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.kernel.Parallel;
import org.junit.jupiter.api.Test;

/** The fused kernels give bit-identical results for any thread count (inputs large enough to go parallel). */
class ThreadDeterminismTest {
    private static float[][] run(int threads) {
        int prev = Parallel.numThreads();
        Parallel.setNumThreads(threads);
        try {
            Generator g = new Generator(42);
            Tensor x = Tensor.randn(g, 16, 8, 24, 24).requiresGrad(true);
            BatchNorm2d bn = new BatchNorm2d(8);
            Tensor y = bn.forward(x);
            Tensor logits = Tensor.randn(g, 4096, 10).requiresGrad(true);
            Tensor t = Tensor.randint(g, 0, 10, 4096);
            Tensor loss = new CrossEntropyLoss().labelSmoothing(0.1).forward(logits, t);
            y.mul(y).sum().add(loss).backward();
            return new float[][] {y.toArray(), x.grad().toArray(), bn.weight().grad().toArray(),
                bn.runningVar().toArray(), loss.toArray(), logits.grad().toArray()};
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
