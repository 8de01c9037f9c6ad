package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Several slices of one intermediate tensor (the pieces of a split, or overlapping narrows and stepped slices):
 * the engine adds each slice's gradient straight into the window of the pending gradient instead of summing
 * zero-padded copies (docs/SEMANTICS.md §25). Laws, over random shapes, dims, windows and steps (seed in the
 * message): the intermediate's gradient equals the sum of every slice's weights placed in its window, exactly
 * (small-integer values, so every order of addition gives the same bits), with and without a retained gradient
 * on a slice, and the leaf's gradient is that sum times the forward's factor.
 */
class SliceGradientAccumulationPropertyTest {
    @Test
    void slicesOfOneTensorSumTheirWindowsExactly() {
        int[] cases = {0};
        long absorbedBefore = Engine.ABSORBED_SLICES.sum();
        qt().withExamples(150).withShrinkCycles(0).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int rank = 1 + r.nextInt(3);
            int[] shape = new int[rank];
            for (int i = 0; i < rank; i++) {
                shape[i] = 1 + r.nextInt(6);
            }
            int n = Shape.numel(shape);
            float[] xv = new float[n];
            for (int i = 0; i < n; i++) {
                xv[i] = r.nextInt(9) - 4;
            }
            Tensor x = Tensor.of(xv, shape).requiresGrad(true);
            Tensor y = x.mul(2); // an intermediate: its slices' gradients meet in the engine, not in a leaf
            double[] want = new double[n];
            Tensor loss = null;
            int pieces = 1 + r.nextInt(4);
            boolean retain = r.nextInt(3) == 0;
            Tensor retained = null;
            for (int p = 0; p < pieces; p++) {
                int dim = r.nextInt(rank);
                int size = shape[dim];
                int start = r.nextInt(size);
                int step = 1 + r.nextInt(2);
                int end = start + 1 + r.nextInt(size - start);
                Tensor piece = y.slice(dim, start, end, step);
                if (retain && p == 0) {
                    piece.retainGrad();
                    retained = piece;
                }
                int m = piece.numel();
                float[] wv = new float[m];
                for (int i = 0; i < m; i++) {
                    wv[i] = r.nextInt(7) - 3;
                }
                Tensor term = piece.mul(Tensor.of(wv, piece.shape())).sum();
                loss = loss == null ? term : loss.add(term);
                // the window's elements in order: their index in y
                int[] ps = piece.shape();
                int[] idx = new int[rank];
                for (int i = 0; i < m; i++) {
                    int rem = i;
                    for (int d = rank - 1; d >= 0; d--) {
                        idx[d] = rem % ps[d];
                        rem /= ps[d];
                    }
                    int flat = 0;
                    for (int d = 0; d < rank; d++) {
                        int at = d == dim ? start + idx[d] * step : idx[d];
                        flat = flat * shape[d] + at;
                    }
                    want[flat] += wv[i];
                }
            }
            loss.backward();
            double[] got = x.grad().toDoubleArray();
            for (int i = 0; i < n; i++) {
                assertEquals(2 * want[i], got[i], 0.0, "seed " + seed + ": x.grad[" + i + "] for shape "
                        + java.util.Arrays.toString(shape));
            }
            if (retained != null) {
                assertTrue(retained.grad() != null, "seed " + seed + ": the retained slice has no gradient");
            }
            cases[0]++;
        });
        long absorbed = Engine.ABSORBED_SLICES.sum() - absorbedBefore;
        assertTrue(absorbed > 0, "no slice gradient was added into a pending window: the law was not exercised");
        System.out.println("[slices] SliceGradientAccumulationPropertyTest: " + cases[0] + " cases tried, 0 failures ("
                + absorbed + " slice gradients added in place)");
    }
}
