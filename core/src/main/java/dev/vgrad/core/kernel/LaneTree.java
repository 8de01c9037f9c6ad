package dev.vgrad.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a float vector's lanes in one fixed tree: lane j + lane j + L/2, then + L/4, … + 1, so a kernel's
 * result has the same bits on every call and equals the scalar kernels' pairwise combine. ({@code
 * reduceLanes(ADD)} may add in another order once C2 intrinsifies it.)
 *
 * <p>Each halving step adds the vector rotated by a constant shuffle. {@code slice(k)}, which the kernels used
 * before, computes the same lanes below k but costs several times more per call on AVX-512 (an index vector,
 * a compare and a blend each time): a batch norm backward over 7×7 planes spent 80% of its time in those
 * slices. Lanes at or above the current width hold rotated partial sums that never reach lane 0.
 */
final class LaneTree {
    private LaneTree() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    static final VectorShuffle<Float> ROT8 = rotation(8);
    static final VectorShuffle<Float> ROT4 = rotation(4);
    static final VectorShuffle<Float> ROT2 = rotation(2);
    static final VectorShuffle<Float> ROT1 = rotation(1);

    private static VectorShuffle<Float> rotation(int k) {
        return VectorShuffle.fromOp(S, i -> (i + k) % L);
    }

    /**
     * Σ of v's lanes in the tree above (any species length that is a power of two). One small method with no
     * call inside, so C2 inlines it and the vector never crosses a call boundary (docs/ARCHITECTURE.md).
     */
    static float sum(FloatVector v) {
        if (L > 16) {
            for (int k = L / 2; k > 8; k /= 2) {
                v = v.add(v.slice(k));
            }
        }
        if (L >= 16) {
            v = v.add(v.rearrange(ROT8));
        }
        if (L >= 8) {
            v = v.add(v.rearrange(ROT4));
        }
        if (L >= 4) {
            v = v.add(v.rearrange(ROT2));
        }
        if (L >= 2) {
            v = v.add(v.rearrange(ROT1));
        }
        return v.lane(0);
    }
}
