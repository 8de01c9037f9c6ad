package dev.vgrad.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API loops over every other element: {@link PoolKernels}' 2×2, stride-2 max pooling (L windows per step,
 * the four candidates split into even and odd input columns by lane selection and compared in the scalar order
 * with the same rules — a later candidate wins when greater or NaN — so values and argmax are identical to the
 * scalar loop) and the stride-2 gather of {@link ConvKernels}' im2col. Only loaded when
 * {@link KernelProvider#simdEnabled()}.
 */
final class SimdPoolKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());
    private static final int L = S.length();
    private static final FloatVector EVEN = lanes(0, FloatVector.zero(S));
    private static final FloatVector ODD = lanes(1, FloatVector.zero(S));
    private static final IntVector TWICE_LANE = IntVector.zero(I).addIndex(2);

    private SimdPoolKernels() {
    }

    private static FloatVector lanes(int parity, FloatVector zero) {
        float[] ix = new float[L];
        for (int j = 0; j < L; j++) {
            ix[j] = 2 * j + parity;
        }
        return FloatVector.fromArray(S, ix, 0);
    }

    /**
     * {@code col[dst + i] = x[src + 2i]} for i below n, L at a time (two loads and one two-vector lane selection
     * instead of L strided scalar loads): the stride-2 columns of im2col. Returns how many were copied: it stops
     * where a full vector would cross the end of x or col (a masked access there leaves the intrinsic), and the
     * caller copies the rest. Loads may read past the run inside x; those lanes are dropped.
     */
    static int everyOther(float[] x, int src, float[] col, int dst, int n) {
        int i = 0;
        while (i < n) {
            int r = Math.min(L, n - i);
            if (src + 2 * i + 2 * L > x.length || dst + i + L > col.length) {
                break;
            }
            FloatVector e = EVEN.selectFrom(FloatVector.fromArray(S, x, src + 2 * i),
                    FloatVector.fromArray(S, x, src + 2 * i + L));
            if (r == L) {
                e.intoArray(col, dst + i);
            } else {
                e.intoArray(col, dst + i, S.indexInRange(0, r));
            }
            i += r;
        }
        return i;
    }

    /**
     * All ow windows of one output row whose window tops start at plane index {@code r0} (input at
     * {@code x[in + …]}, row length w, {@code 2·ow ≤ w}); outputs go to {@code out[outOff + o + ox]} and
     * {@code argmax[o + ox]}. A row narrower than L (or the last part of a row) runs with lane masks, so the
     * small maps of a CNN's later layers are vectorised too and nothing outside the two input rows is read.
     * Returns the number of windows done: it stops early where a vector would cross the end of x, out or argmax
     * (masked lanes there would leave the intrinsic for a slow lane-by-lane check), and the caller finishes the
     * row with scalar code.
     */
    static int maxPool2x2Row(float[] x, int in, int r0, int w, int ow, float[] out, int outOff, int[] argmax, int o) {
        int ox = 0;
        for (; ox < ow; ox += L) {
            if (in + r0 + 2 * ox + w + 2 * L > x.length || outOff + o + ox + L > out.length
                    || o + ox + L > argmax.length) {
                return ox;
            }
            int r = Math.min(L, ow - ox);
            VectorMask<Float> lo = S.indexInRange(0, 2 * r);
            VectorMask<Float> hi = S.indexInRange(L, 2 * r);
            VectorMask<Float> keep = S.indexInRange(0, r);
            int i = r0 + 2 * ox;
            FloatVector t0 = FloatVector.fromArray(S, x, in + i, lo);
            FloatVector t1 = FloatVector.fromArray(S, x, in + i + L, hi);
            FloatVector u0 = FloatVector.fromArray(S, x, in + i + w, lo);
            FloatVector u1 = FloatVector.fromArray(S, x, in + i + w + L, hi);
            IntVector ia = TWICE_LANE.add(i);
            FloatVector m = EVEN.selectFrom(t0, t1);
            IntVector best = ia;
            FloatVector v = ODD.selectFrom(t0, t1);
            VectorMask<Float> take = v.compare(VectorOperators.GT, m).or(v.test(VectorOperators.IS_NAN));
            m = m.blend(v, take);
            best = best.blend(ia.add(1), take.cast(I));
            v = EVEN.selectFrom(u0, u1);
            take = v.compare(VectorOperators.GT, m).or(v.test(VectorOperators.IS_NAN));
            m = m.blend(v, take);
            best = best.blend(ia.add(w), take.cast(I));
            v = ODD.selectFrom(u0, u1);
            take = v.compare(VectorOperators.GT, m).or(v.test(VectorOperators.IS_NAN));
            m = m.blend(v, take);
            best = best.blend(ia.add(w + 1), take.cast(I));
            m.intoArray(out, outOff + o + ox, keep);
            best.intoArray(argmax, o + ox, keep.cast(I));
        }
        return ow;
    }
}
