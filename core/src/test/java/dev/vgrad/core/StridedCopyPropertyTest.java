package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import org.junit.jupiter.api.Test;

/**
 * {@code contiguous()} of a strided view (random rank, sizes, permutation, narrowing and a broadcast dim) holds,
 * element by element,
 * what the view's own strides and offset address in its storage, bit for bit: the law behind every copy of a
 * permuted or sliced tensor (float32's two innermost dims have a loop of their own, float64 and int64 the general
 * one), and an empty view whose offset lies past its storage's end reads as empty. QuickTheories reports the
 * failing seed; the message names the shape, permutation and strides.
 */
class StridedCopyPropertyTest {
    /** Found by the property below: narrowing an empty tensor puts the view's offset past its storage's end. */
    @Test
    void emptyViewPastTheStorageEndReadsAsEmpty() {
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64, DType.INT64, DType.BOOL}) {
            Tensor v = Tensor.zeros(dt, 6, 0).narrow(0, 4, 1);
            assertEquals(4, v.storageOffset(), dt.toString());
            assertEquals(0, v.toArray().length, dt.toString());
            assertEquals(0, v.toDoubleArray().length, dt.toString());
            assertEquals(0, v.toLongArray().length, dt.toString());
            assertEquals(0, v.toBooleanArray().length, dt.toString());
            assertEquals(0, v.contiguous().numel(), dt.toString());
        }
    }

    /** A fully broadcast scalar and a per-channel value broadcast over (N, C, H, W), as gradients of sum and mean are. */
    @Test
    void broadcastViewsCopyToTheirValue() {
        Tensor one = Tensor.ones(1).reshape().expand(3, 4, 5);
        for (float v : one.contiguous().toArray()) {
            assertEquals(1f, v);
        }
        Tensor perChannel = Tensor.arange(3).to(DType.FLOAT32).reshape(1, 3, 1, 1).expand(2, 3, 4, 5);
        float[] got = perChannel.contiguous().toArray();
        for (int i = 0; i < got.length; i++) {
            assertEquals((float) (i / 20 % 3), got[i], "at " + i);
        }
    }

    @Test
    void contiguousCopyReadsWhatTheStridesAddress() {
        qt().withExamples(300).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int rank = 1 + (int) g.nextLong(5);
            int[] shape = new int[rank];
            for (int i = 0; i < rank; i++) {
                shape[i] = (int) g.nextLong(7);
            }
            int[] perm = new int[rank];
            for (int i = 0; i < rank; i++) {
                perm[i] = i;
            }
            for (int i = rank - 1; i > 0; i--) {
                int j = (int) g.nextLong(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            DType dtype = switch ((int) g.nextLong(3)) {
                case 0 -> DType.FLOAT32;
                case 1 -> DType.FLOAT64;
                default -> DType.INT64;
            };
            Tensor base = Tensor.randn(g, shape).mul(100).to(dtype);
            Tensor view = base.permute(perm);
            int nd = (int) g.nextLong(rank);
            if (view.shape()[nd] > 1) {
                int start = (int) g.nextLong(view.shape()[nd] - 1);
                view = view.narrow(nd, start, 1 + (int) g.nextLong(view.shape()[nd] - start));
            }
            // half the views also broadcast a new dim (stride 0), as an expanded gradient does
            if (g.nextLong(2) == 0) {
                int u = (int) g.nextLong(rank + 1);
                view = view.unsqueeze(u);
                int[] es = view.shape().clone();
                es[u] = 1 + (int) g.nextLong(4);
                view = view.expand(es);
            }
            double[] data = base.toDoubleArray();
            int[] vs = view.shape();
            int[] st = view.stride();
            int n = view.numel();
            double[] want = new double[n];
            int[] idx = new int[vs.length];
            for (int k = 0; k < n; k++) {
                int off = view.storageOffset();
                for (int d = 0; d < vs.length; d++) {
                    off += idx[d] * st[d];
                }
                want[k] = data[off];
                for (int d = vs.length - 1; d >= 0; d--) {
                    if (++idx[d] < vs[d]) {
                        break;
                    }
                    idx[d] = 0;
                }
            }
            double[] got = view.contiguous().toDoubleArray();
            String what = "seed " + seed + " " + dtype + " base " + java.util.Arrays.toString(shape) + " perm "
                    + java.util.Arrays.toString(perm) + " view " + java.util.Arrays.toString(vs) + " strides "
                    + java.util.Arrays.toString(st);
            assertEquals(n, got.length, what);
            for (int k = 0; k < n; k++) {
                assertEquals(Double.doubleToLongBits(want[k]), Double.doubleToLongBits(got[k]), what + " at " + k);
            }
        });
    }
}
