package dev.vgrad.core;

import static dev.vgrad.core.TestTensors.compare;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Laws of the bool dtype (docs/SEMANTICS.md §17) over random shapes and values, each case seeded (the seed is in
 * every failure message): comparisons are bool and agree with Java's own comparison of the float64 values, for every
 * dtype; logical ops obey Boolean algebra; where and maskedFill partition by the mask; mask sums count; a bool
 * attention mask is bit-identical to its −∞ float equivalent.
 */
class BoolPropertyTest {
    private static final int EXAMPLES = 40;
    private static final List<String> OPS = List.of("eq", "ne", "lt", "le", "gt", "ge");

    /** Values on a coarse grid (so ties occur), with an occasional NaN. */
    private static Tensor values(Generator g, int[] shape, boolean nan) {
        double[] d = new double[Shape.numel(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = nan && g.nextLong(9) == 0 ? Double.NaN : g.nextLong(7) - 3;
        }
        return Tensor.of(d, shape);
    }

    private static boolean holds(String op, double x, double y) {
        return switch (op) {
            case "eq" -> x == y;
            case "ne" -> x != y;
            case "lt" -> x < y;
            case "le" -> x <= y;
            case "gt" -> x > y;
            default -> x >= y;
        };
    }

    /** Every comparison of every dtype pair is a bool mask equal to Java's comparison of the values. */
    @Test
    void comparisonsAreBoolAndAgreeWithTheValues() {
        DType[] dts = {DType.FLOAT32, DType.FLOAT64, DType.INT64, DType.BOOL};
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, 1 + (int) g.nextLong(3), 5);
            int[] sb = TestTensors.broadcastable(g, s);
            DType da = dts[(int) g.nextLong(4)];
            DType db = dts[(int) g.nextLong(4)];
            // NaN only where the dtype can hold it
            Tensor a = values(g, s, da.isFloatingPoint()).to(da);
            Tensor b = values(g, sb, db.isFloatingPoint()).to(db);
            double[] av = a.toDoubleArray();
            double[] bv = b.expand(s).contiguous().toDoubleArray();
            for (String op : OPS) {
                Tensor m = compare(op, a, b);
                String at = op + " " + da + " vs " + db + " seed " + seed;
                assertEquals(DType.BOOL, m.dtype(), at);
                assertNull(m.gradFn(), at);
                boolean[] got = m.toBooleanArray();
                for (int i = 0; i < got.length; i++) {
                    assertEquals(holds(op, av[i], bv[i]), got[i], at + " [" + i + "]");
                }
            }
        });
    }

    /** not(not(m)) = m; not(x) = (x == 0) for every dtype; De Morgan; xor = (a != b) of the truth values. */
    @Test
    void logicalOpsObeyBooleanAlgebra() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, 1 + (int) g.nextLong(3), 5);
            Tensor x = values(g, s, true);
            Tensor y = values(g, TestTensors.broadcastable(g, s), true).toFloat();
            Tensor m = x.toBool();
            String at = "seed " + seed;
            assertArrayEquals(m.toBooleanArray(), m.logicalNot().logicalNot().toBooleanArray(), at);
            // NaN is nonzero, so logical_not(NaN) is false, while NaN == 0 is false too: both say "not zero"
            assertArrayEquals(x.eq(0).toBooleanArray(), x.logicalNot().toBooleanArray(), at);
            assertArrayEquals(x.logicalAnd(y).logicalNot().toBooleanArray(),
                    x.logicalNot().logicalOr(y.logicalNot()).toBooleanArray(), "De Morgan, " + at);
            assertArrayEquals(x.logicalXor(y).toBooleanArray(), x.toBool().ne(y.toBool()).toBooleanArray(), at);
            // bool arithmetic: add is or, mul is and (PyTorch's bool results)
            Tensor n = y.toBool();
            assertEquals(DType.BOOL, m.add(n).dtype(), at);
            assertArrayEquals(m.logicalOr(n).toBooleanArray(), m.add(n).toBooleanArray(), at);
            assertArrayEquals(m.logicalAnd(n).toBooleanArray(), m.mul(n).toBooleanArray(), at);
        });
    }

    /**
     * where(m, a, b) = where(not m, b, a); where(m, a, b) + where(not m, a, b) = a + b exactly; maskedFill(m, v) =
     * where(m, v, x); and the gradient of where(m, a, b) w.r.t. a is the mask as 0/1.
     */
    @Test
    void whereAndMaskedFillPartitionByTheMask() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, 1 + (int) g.nextLong(3), 5);
            Tensor m = TestTensors.uniform(g, 0, 1, TestTensors.broadcastable(g, s)).lt(0.5);
            Tensor a = TestTensors.uniform(g, -4, 4, s).toFloat().requiresGrad(true);
            Tensor b = TestTensors.uniform(g, -4, 4, TestTensors.broadcastable(g, s)).toFloat();
            String at = "seed " + seed;
            Tensor w = Tensor.where(m, a, b);
            assertArrayEquals(w.toArray(), Tensor.where(m.logicalNot(), b, a).toArray(), at);
            float[] sum = w.add(Tensor.where(m.logicalNot(), a, b)).toArray();
            assertArrayEquals(a.add(b).toArray(), sum, at);
            assertArrayEquals(Tensor.where(m, 2.5, a).toArray(), a.maskedFill(m.expand(s), 2.5).toArray(), at);
            w.sum().backward();
            assertArrayEquals(m.expand(s).contiguous().toFloat().toArray(), a.grad().toArray(), at);
        });
    }

    /** sum of a mask counts its true elements (int64), over all or some dims, as the float sum does. */
    @Test
    void maskSumsCount() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, 1 + (int) g.nextLong(3), 6);
            Tensor m = TestTensors.uniform(g, 0, 1, s).lt(0.3);
            String at = "seed " + seed;
            long count = 0;
            for (boolean v : m.toBooleanArray()) {
                count += v ? 1 : 0;
            }
            assertEquals(DType.INT64, m.sum().dtype(), at);
            assertEquals(count, m.sum().toLongArray()[0], at);
            int d = (int) g.nextLong(s.length);
            Tensor sd = m.sum(new int[] {d}, true);
            assertEquals(DType.INT64, sd.dtype(), at);
            assertArrayEquals(m.toFloat().sum(new int[] {d}, true).toArray(), sd.toArray(), at);
            assertEquals(count > 0, m.any().toBooleanArray()[0], at);
            assertEquals(count == m.numel(), m.all().toBooleanArray()[0], at);
        });
    }

    /** A bool allow-mask and its additive float equivalent (0 where true, −∞ where false) give the same bits. */
    @Test
    void boolAttentionMaskEqualsTheFloatMaskBitForBit() {
        qt().withExamples(20).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int b = 1 + (int) g.nextLong(2);
            int l = 1 + (int) g.nextLong(9);
            int s = 1 + (int) g.nextLong(9);
            int e = 1 + (int) g.nextLong(6);
            DType d = g.nextLong(2) == 0 ? DType.FLOAT32 : DType.FLOAT64;
            Tensor q = Tensor.randn(g, b, l, e).to(d);
            Tensor k = Tensor.randn(g, b, s, e).to(d);
            Tensor v = Tensor.randn(g, b, s, e).to(d);
            boolean[] allow = Tensor.rand(g, l, s).gt(0.4).toBooleanArray();
            for (int i = 0; i < allow.length; i += s) {
                allow[i] = true; // key 0 always allowed: no row fully masked
            }
            Tensor bm = Tensor.of(allow, l, s);
            Tensor fm = Tensor.zeros(d, l, s).maskedFill(bm.logicalNot(), Double.NEGATIVE_INFINITY);
            String at = d + " L " + l + " S " + s + " seed " + seed;
            assertArrayEquals(AttentionOps.scaledDotProductAttention(q, k, v, fm, false, null).toDoubleArray(),
                    AttentionOps.scaledDotProductAttention(q, k, v, bm, false, null).toDoubleArray(), at);
            assertArrayEquals(AttentionOps.composed(q, k, v, fm, false, null).toDoubleArray(),
                    AttentionOps.composed(q, k, v, bm, false, null).toDoubleArray(), "composed " + at);
        });
    }

    /**
     * Shape and indexing ops that PyTorch allows on bool tensors commute with the cast to int64: op(m) is bool and
     * holds the same 0/1 elements as op(m.to(INT64)).
     */
    @Test
    void shapeAndIndexOpsKeepBool() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, 2 + (int) g.nextLong(2), 5);
            Tensor m = TestTensors.uniform(g, 0, 1, s).lt(0.5);
            Tensor l = m.to(DType.INT64);
            Tensor idx = Tensor.ofLongs(new long[] {s[0] - 1, 0, s[0] - 1}, 3);
            long[] gi = new long[Shape.numel(s)];
            for (int i = 0; i < gi.length; i++) {
                gi[i] = g.nextLong(s[0]);
            }
            Tensor gidx = Tensor.ofLongs(gi, s);
            List<java.util.function.Function<Tensor, Tensor>> ops = List.of(
                    t -> Tensor.cat(List.of(t, t.flip(0)), 0), t -> Tensor.stack(List.of(t, t), 1),
                    t -> t.reshape(-1), t -> t.transpose(0, 1).contiguous(), t -> t.select(0, s[0] - 1),
                    t -> t.narrow(1, 0, 1), t -> t.flip(0, 1), t -> t.repeat(ones(s.length, 2)),
                    t -> t.indexSelect(0, idx), t -> t.gather(0, gidx), Tensor::cloneTensor,
                    t -> t.unsqueeze(0).expand(prepend(2, s)).contiguous(), t -> t.tril(0), t -> t.triu(1),
                    t -> t.sort(-1, false).values(), t -> t.permute(reverse(s.length)).contiguous());
            for (int i = 0; i < ops.size(); i++) {
                Tensor bm = ops.get(i).apply(m);
                String at = "op " + i + " shape " + TestTensors.str(s) + " seed " + seed;
                assertEquals(DType.BOOL, bm.dtype(), at);
                assertArrayEquals(ops.get(i).apply(l).toLongArray(), bm.toLongArray(), at);
            }
        });
    }

    private static int[] ones(int n, int first) {
        int[] r = new int[n];
        java.util.Arrays.fill(r, 1);
        r[0] = first;
        return r;
    }

    private static int[] prepend(int d, int[] s) {
        int[] r = new int[s.length + 1];
        r[0] = d;
        System.arraycopy(s, 0, r, 1, s.length);
        return r;
    }

    private static int[] reverse(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = n - 1 - i;
        }
        return r;
    }

    /** to(BOOL) is ne(0) for every dtype (NaN is true), and bool to a number gives 0/1. */
    @Test
    void castsToAndFromBool() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, 1 + (int) g.nextLong(3), 5);
            Tensor x = values(g, s, true);
            String at = "seed " + seed;
            Tensor ints = Tensor.where(x.ne(x), 0.0, x).to(DType.INT64);
            for (Tensor t : new Tensor[] {x, x.toFloat(), ints}) {
                Tensor m = t.toBool();
                assertEquals(DType.BOOL, m.dtype(), at);
                assertArrayEquals(t.ne(0).toBooleanArray(), m.toBooleanArray(), t.dtype() + " " + at);
                long[] l = m.toLongArray();
                double[] f = m.toDouble().toDoubleArray();
                for (int i = 0; i < l.length; i++) {
                    assertEquals(l[i], (long) f[i], at);
                    assertEquals(m.toBooleanArray()[i] ? 1 : 0, l[i], at);
                }
            }
        });
    }
}
