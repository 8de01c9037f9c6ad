package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * BatchNorm on an empty batch in training (issue 15 item 5, docs/SEMANTICS.md §3 and §10). torch 1.13 returns an
 * empty output with a grad_fn, leaves running_mean and running_var exactly as they were (only
 * num_batches_tracked advances, as the module counts the call before normalising) and gives zero gradients to
 * weight and bias; vgrad wrote NaN into the running statistics. Random modules (1-d/2-d, momentum or cumulative
 * average, affine or not, float32/float64), first trained on a random non-empty batch, then fed a random empty
 * batch.
 */
@DisplayName("BatchNorm (issue 15.5): an empty batch in training never changes the running statistics")
class BatchNormEmptyBatchPropertyTest {
    private static final long SEED = Long.getLong("vgrad.bnempty.seed", 0x15_35L);
    private static final int EXAMPLES = Integer.getInteger("vgrad.bnempty.examples", 200);

    /** An input shape for the module with {@code c} channels, either non-empty or with a zero size. */
    private static int[] shape(Random r, boolean twoD, int c, boolean empty) {
        // at least two values per channel, as training requires
        int[] s = twoD ? new int[] {2 + r.nextInt(2), c, 1 + r.nextInt(3), 1 + r.nextInt(3)}
                : r.nextBoolean() ? new int[] {2 + r.nextInt(3), c} : new int[] {1 + r.nextInt(3), c, 2 + r.nextInt(3)};
        if (empty) {
            // the zero may be the batch or a spatial size, never the channels
            int i = r.nextInt(s.length - 1);
            s[i == 1 ? s.length - 1 : i] = 0;
        }
        return s;
    }

    private static String check(long seed) {
        Random r = new Random(seed);
        boolean twoD = r.nextBoolean();
        int c = 1 + r.nextInt(4);
        Double momentum = r.nextInt(3) == 0 ? null : r.nextDouble();
        boolean affine = r.nextBoolean();
        DType dtype = r.nextBoolean() ? DType.FLOAT32 : DType.FLOAT64;
        AbstractBatchNorm bn = twoD ? new BatchNorm2d(c, 1e-5, momentum, affine, true)
                : new BatchNorm1d(c, 1e-5, momentum, affine, true);
        bn.to(dtype);
        Generator g = new Generator(seed);
        bn.forward(Tensor.randn(g, shape(r, twoD, c, false)).to(dtype));
        double[] mean = bn.runningMean().toDoubleArray();
        double[] var = bn.runningVar().toDoubleArray();
        long tracked = bn.numBatchesTracked().toLongArray()[0];
        int[] empty = shape(r, twoD, c, true);
        String where = (twoD ? "BatchNorm2d" : "BatchNorm1d") + "(" + c + ", momentum=" + momentum + ", affine="
                + affine + ") " + dtype + " on " + Arrays.toString(empty) + " (case seed " + seed + ")";
        Tensor x = Tensor.zeros(dtype, empty).requiresGrad(true);
        Tensor y;
        try {
            y = bn.forward(x);
        } catch (RuntimeException e) {
            return where + ": threw " + e;
        }
        if (!Arrays.equals(bn.runningMean().toDoubleArray(), mean) || !Arrays.equals(bn.runningVar().toDoubleArray(), var)) {
            return where + ": running stats changed from " + Arrays.toString(mean) + " / " + Arrays.toString(var)
                    + " to " + Arrays.toString(bn.runningMean().toDoubleArray()) + " / "
                    + Arrays.toString(bn.runningVar().toDoubleArray());
        }
        if (bn.numBatchesTracked().toLongArray()[0] != tracked + 1) {
            return where + ": num_batches_tracked " + bn.numBatchesTracked().toLongArray()[0] + ", torch has "
                    + (tracked + 1);
        }
        if (!Arrays.equals(y.shape(), empty) || y.dtype() != dtype || y.gradFn() == null) {
            return where + ": output " + Arrays.toString(y.shape()) + " " + y.dtype() + " grad_fn " + y.gradFn();
        }
        y.sum().backward();
        if (x.grad() == null || !Arrays.equals(x.grad().shape(), empty)) {
            return where + ": input grad " + x.grad();
        }
        if (affine) {
            // gradients are sums over no elements
            for (Tensor p : List.of(bn.weight(), bn.bias())) {
                if (p.grad() == null || !Arrays.equals(p.grad().toDoubleArray(), new double[c])) {
                    return where + ": parameter grad " + p.grad() + ", expected zeros";
                }
            }
        }
        // a following non-empty batch updates the statistics as usual (they are finite)
        bn.forward(Tensor.randn(g, shape(r, twoD, c, false)).to(dtype));
        for (double v : bn.runningVar().toDoubleArray()) {
            if (!Double.isFinite(v)) {
                return where + ": running_var became " + v + " on the next batch";
            }
        }
        return null;
    }

    @Test
    @DisplayName("random BatchNorm modules fed an empty batch in training keep their running statistics")
    void emptyBatch() {
        int[] tried = {0};
        List<String> failures = new ArrayList<>();
        qt().withFixedSeed(SEED).withExamples(EXAMPLES).withShrinkCycles(0).forAll(longs().all()).checkAssert(seed -> {
            tried[0]++;
            String f = check(seed);
            if (f != null) {
                failures.add(f);
            }
        });
        System.out.println("[issue15] BatchNormEmptyBatchPropertyTest: " + tried[0] + " cases tried, "
                + failures.size() + " failures (seed " + SEED + ", -Dvgrad.bnempty.seed to change)");
        assertTrue(failures.isEmpty(), failures.size() + " failures, first ones:\n"
                + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
    }

    @Test
    @DisplayName("torch 1.13: BatchNorm1d(3) on a (0, 3) batch in training: empty output, stats untouched")
    void torchExample() {
        BatchNorm1d bn = new BatchNorm1d(3);
        Tensor y = bn.forward(Tensor.zeros(0, 3));
        assertArrayEquals(new int[] {0, 3}, y.shape());
        // torch: running_mean [0, 0, 0], running_var [1, 1, 1], num_batches_tracked 1; grad_fn AddBackward0
        assertArrayEquals(new float[3], bn.runningMean().toArray());
        assertArrayEquals(new float[] {1, 1, 1}, bn.runningVar().toArray());
        assertEquals(1L, bn.numBatchesTracked().toLongArray()[0]);
        assertEquals("AddBackward0", y.gradFn().name());
        // F.batch_norm(training=True) with neither weight nor bias: CloneBackward0 (torch 1.13)
        Tensor x = Tensor.zeros(0, 3).requiresGrad(true);
        assertEquals("CloneBackward0", F.batchNorm(x, null, null, null, null, true, 0.1, 1e-5).gradFn().name());
    }
}
