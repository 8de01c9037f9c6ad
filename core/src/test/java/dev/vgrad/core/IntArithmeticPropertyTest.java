package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.function.LongBinaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Laws of int64 arithmetic and boolean-mask selection (docs/SEMANTICS.md §11, §17) over random broadcast shapes and
 * values, each case seeded (the seed is in every failure message): int64 ops equal Java's exact, wrapping long
 * arithmetic (floor division and remainder are {@code Math.floorDiv}/{@code floorMod}, pow the low 64 bits of
 * the exact power); an int64 operand with a
 * floating one is the same as its floating conversion, gradient included; a long scalar on a floating tensor is
 * the double overload with the scalar rounded once; maskedSelect returns exactly the elements under a true mask,
 * in row-major order, agrees with nonzero and with indexPut through the mask, and its gradient scatters back
 * (finite differences in float64); floating remainder is Python's modulo, with a gradcheck-exact gradient.
 */
class IntArithmeticPropertyTest {
    private static final int EXAMPLES = 40;

    /** int64 values: mostly small (ties, zeros, signs), sometimes anywhere in the long range (overflow). */
    private static Tensor int64s(Generator g, int[] shape, boolean nonzero) {
        long[] v = new long[Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            long x = g.nextBernoulli(0.3) ? g.nextLong() : g.nextLong(19) - 9;
            v[i] = nonzero && x == 0 ? 1 : x;
        }
        return Tensor.ofLongs(v, shape);
    }

    /** The elements of t broadcast to shape, row-major. */
    private static long[] expanded(Tensor t, int[] shape) {
        return t.expand(shape).contiguous().toLongArray();
    }

    @Test
    void int64OpsAreExactWrappingLongArithmetic() {
        String[] names = {"add", "sub", "mul", "maximum", "minimum", "floorDivide", "remainder"};
        LongBinaryOperator[] laws = {Long::sum, (x, y) -> x - y, (x, y) -> x * y, Math::max, Math::min,
                Math::floorDiv, Math::floorMod};
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, (int) g.nextLong(4), 4);
            int[] sb = TestTensors.broadcastable(g, s);
            boolean swap = g.nextBernoulli(0.5);
            Tensor a = int64s(g, swap ? sb : s, false);
            Tensor b = int64s(g, swap ? s : sb, true);
            long[] av = expanded(a, s);
            long[] bv = expanded(b, s);
            long scalar = g.nextBernoulli(0.5) ? g.nextLong() : g.nextLong(7) + 1;
            for (int k = 0; k < names.length; k++) {
                String at = names[k] + " " + TestTensors.str(a.shape()) + " " + TestTensors.str(b.shape()) + " seed "
                        + seed;
                Tensor y = switch (names[k]) {
                    case "add" -> a.add(b);
                    case "sub" -> a.sub(b);
                    case "mul" -> a.mul(b);
                    case "maximum" -> a.maximum(b);
                    case "minimum" -> a.minimum(b);
                    case "floorDivide" -> a.floorDivide(b);
                    default -> a.remainder(b);
                };
                assertEquals(DType.INT64, y.dtype(), at);
                assertArrayEquals(s, y.shape(), at);
                assertNull(y.gradFn(), at);
                long[] got = y.toLongArray();
                for (int i = 0; i < got.length; i++) {
                    assertEquals(laws[k].applyAsLong(av[i], bv[i]), got[i], at + " [" + i + "]");
                }
            }
            // a Java long scalar keeps int64 and is exact too
            long[] sv = expanded(a, s);
            long[] plus = a.expand(s).add(scalar).toLongArray();
            long[] times = a.expand(s).mul(scalar).toLongArray();
            long[] minus = a.expand(s).sub(scalar).toLongArray();
            for (int i = 0; i < sv.length; i++) {
                assertEquals(sv[i] + scalar, plus[i], "add(long) seed " + seed);
                assertEquals(sv[i] * scalar, times[i], "mul(long) seed " + seed);
                assertEquals(sv[i] - scalar, minus[i], "sub(long) seed " + seed);
            }
            // comparisons with a long are exact at every magnitude (no rounding through double)
            boolean[] gt = a.expand(s).gt(scalar).toBooleanArray();
            boolean[] eq = a.expand(s).eq(scalar).toBooleanArray();
            for (int i = 0; i < sv.length; i++) {
                assertEquals(sv[i] > scalar, gt[i], "gt(long) seed " + seed);
                assertEquals(sv[i] == scalar, eq[i], "eq(long) seed " + seed);
            }
            // pow(long) and clamp(long, long): the low 64 bits of the exact power (BigInteger), exact clamping
            int e = (int) g.nextLong(70);
            long lo = g.nextLong(11) - 5;
            long hi = lo + g.nextLong(6);
            long[] pw = a.expand(s).pow(e).toLongArray();
            long[] cl = a.expand(s).clamp(lo, hi).toLongArray();
            for (int i = 0; i < sv.length; i++) {
                assertEquals(java.math.BigInteger.valueOf(sv[i]).pow(e).longValue(), pw[i],
                        "pow " + e + " seed " + seed);
                assertEquals(Math.min(Math.max(sv[i], lo), hi), cl[i], "clamp seed " + seed);
            }
            // in place as well
            Tensor acc = a.expand(s).contiguous();
            acc.add_(b).mul_(scalar);
            long[] inPlace = acc.toLongArray();
            for (int i = 0; i < sv.length; i++) {
                assertEquals((av[i] + bv[i]) * scalar, inPlace[i], "add_/mul_ seed " + seed);
            }
        });
    }

    /** int64 ∘ float = float(int64) ∘ float, values and the floating operand's gradient. */
    @Test
    void int64WithFloatIsItsFloatingConversion() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, 1 + (int) g.nextLong(3), 4);
            int[] sb = TestTensors.broadcastable(g, s);
            DType ft = g.nextBernoulli(0.5) ? DType.FLOAT32 : DType.FLOAT64;
            Tensor i = int64s(g, sb, true);
            Tensor x = TestTensors.uniform(g, -3, 3, s).to(ft).requiresGrad(true);
            Tensor upstream = TestTensors.uniform(g, -1, 1, s).to(ft);
            String[] ops = {"add", "sub", "mul", "div", "maximum", "minimum"};
            for (String op : ops) {
                String at = op + " " + ft + " seed " + seed;
                boolean intFirst = g.nextBernoulli(0.5);
                Tensor fi = i.to(ft);
                Tensor y = apply(op, intFirst ? i : x, intFirst ? x : i);
                Tensor want = apply(op, intFirst ? fi : x, intFirst ? x : fi);
                assertEquals(ft, y.dtype(), at);
                assertArrayEquals(want.toDoubleArray(), y.toDoubleArray(), at);
                Tensor gy = Autograd.grad(y, new Tensor[] {x}, upstream, false)[0];
                Tensor gw = Autograd.grad(want, new Tensor[] {x}, upstream, false)[0];
                assertArrayEquals(gw.toDoubleArray(), gy.toDoubleArray(), at + ": gradient");
            }
        });
    }

    private static Tensor apply(String op, Tensor a, Tensor b) {
        return switch (op) {
            case "add" -> a.add(b);
            case "sub" -> a.sub(b);
            case "mul" -> a.mul(b);
            case "div" -> a.div(b);
            case "maximum" -> a.maximum(b);
            default -> a.minimum(b);
        };
    }

    /** A long scalar on a floating tensor: the double overload with the scalar converted once to the dtype. */
    @Test
    void longScalarOnFloatIsTheRoundedDoubleScalar() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, 1 + (int) g.nextLong(3), 4);
            DType ft = g.nextBernoulli(0.5) ? DType.FLOAT32 : DType.FLOAT64;
            long k = g.nextBernoulli(0.5) ? g.nextLong() : g.nextLong(9) - 4;
            double exact = ft == DType.FLOAT32 ? (float) k : (double) k;
            Tensor x = TestTensors.uniform(g, -3, 3, s).to(ft);
            String at = "k " + k + " " + ft + " seed " + seed;
            assertArrayEquals(x.add(exact).toDoubleArray(), x.add(k).toDoubleArray(), at);
            assertArrayEquals(x.sub(exact).toDoubleArray(), x.sub(k).toDoubleArray(), at);
            assertArrayEquals(x.mul(exact).toDoubleArray(), x.mul(k).toDoubleArray(), at);
            assertArrayEquals(x.div(exact).toDoubleArray(), x.div(k).toDoubleArray(), at);
            assertEquals(ft, x.mul(k).dtype(), at);
            Tensor xr = x.cloneTensor().requiresGrad(true);
            Tensor up = TestTensors.uniform(g, -1, 1, s).to(ft);
            assertArrayEquals(Autograd.grad(xr.mul(exact), new Tensor[] {xr}, up, false)[0].toDoubleArray(),
                    Autograd.grad(xr.mul(k), new Tensor[] {xr}, up, false)[0].toDoubleArray(), at + ": gradient");
        });
    }

    /**
     * maskedSelect returns the elements under a true mask in row-major order of the broadcast shape, which are the
     * elements nonzero(mask) indexes; its gradient is finite-difference exact in float64.
     */
    @Test
    void maskedSelectPicksTheMaskedElementsAndScattersTheGradient() {
        // also maskedScatter, indexPut through the mask and nonzero, which address the same positions
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, (int) g.nextLong(4), 4);
            int[] sx = TestTensors.broadcastable(g, s);
            boolean[] mv = new boolean[Shape.numel(s)];
            double p = g.nextDouble();
            for (int i = 0; i < mv.length; i++) {
                mv[i] = g.nextBernoulli(p);
            }
            Tensor mask = Tensor.of(mv, s);
            Tensor x = TestTensors.uniform(g, -2, 2, sx);
            String at = "x " + TestTensors.str(sx) + " mask " + TestTensors.str(s) + " seed " + seed;
            double[] xe = x.expand(s).contiguous().toDoubleArray();
            Tensor y = x.maskedSelect(mask);
            double[] got = y.toDoubleArray();
            int k = 0;
            for (int i = 0; i < mv.length; i++) {
                if (mv[i]) {
                    assertTrue(k < got.length, at + ": too few elements");
                    assertEquals(xe[i], got[k++], at + " [" + i + "]");
                }
            }
            assertEquals(k, got.length, at + ": count");
            assertArrayEquals(new int[] {k}, y.shape(), at);
            // nonzero(mask) indexes the same elements: row r holds the index of the r-th true element
            long[] nz = mask.nonzero().toLongArray();
            assertEquals((long) k * s.length, nz.length, at + ": nonzero rows");
            for (int r = 0; r < k; r++) {
                int flat = 0;
                for (int d = 0; d < s.length; d++) {
                    flat = flat * s[d] + (int) nz[r * s.length + d];
                }
                assertTrue(mv[flat], at + ": nonzero row " + r);
            }
            // x[mask] = 2·x[mask] (index_put with the mask) doubles exactly the selected elements, in order
            // (a 0-d mask as an index is not supported: docs/SEMANTICS.md §17.13)
            if (s.length > 0) {
                Tensor full = x.expand(s).contiguous();
                double[] put = full.indexPut(new Tensor[] {mask}, y.mul(2), false).toDoubleArray();
                for (int i = 0; i < mv.length; i++) {
                    assertEquals(mv[i] ? 2 * xe[i] : xe[i], put[i], at + ": index_put [" + i + "]");
                }
            }
            // maskedScatter is maskedSelect's inverse: the scattered source comes back in order, the rest is x
            Tensor source = TestTensors.uniform(g, -2, 2, k + (int) g.nextLong(3));
            Tensor scattered = x.maskedScatter(mask, source);
            assertArrayEquals(s, scattered.shape(), at + ": maskedScatter shape");
            double[] back = scattered.maskedSelect(mask).toDoubleArray();
            double[] sv = source.toDoubleArray();
            for (int i = 0; i < k; i++) {
                assertEquals(sv[i], back[i], at + ": maskedScatter [" + i + "]");
            }
            double[] sc = scattered.toDoubleArray();
            for (int i = 0; i < mv.length; i++) {
                assertTrue(mv[i] || sc[i] == xe[i], at + ": maskedScatter kept x [" + i + "]");
            }
            // an int64 tensor selects exactly
            Tensor li = int64s(g, sx, false);
            assertArrayEquals(expandedSelect(li, s, mv), li.maskedSelect(mask).toLongArray(), at);
            GradCheck.Result r = GradCheck.check(t -> t[0].maskedSelect(mask).mul(t[0].maskedSelect(mask)),
                    x.requiresGrad(true));
            assertTrue(r.passed(), at + ": " + r.report());
        });
    }

    /** The int64 elements of li broadcast to s where mv holds, row-major. */
    private static long[] expandedSelect(Tensor li, int[] s, boolean[] mv) {
        long[] e = expanded(li, s);
        int n = 0;
        for (boolean b : mv) {
            n += b ? 1 : 0;
        }
        long[] out = new long[n];
        int k = 0;
        for (int i = 0; i < mv.length; i++) {
            if (mv[i]) {
                out[k++] = e[i];
            }
        }
        return out;
    }

    /**
     * Floating remainder is Python's modulo: it has the divisor's sign (or is 0), |r| &lt; |b|, and
     * floorDivide(a, b)·b + r = a (exact on these dyadic values); its gradient passes gradcheck in float64 away
     * from the jumps (a / b is never an integer here).
     */
    @Test
    void floatRemainderIsPythonsModulo() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, 1 + (int) g.nextLong(3), 4);
            int[] sb = TestTensors.broadcastable(g, s);
            double[] av = new double[Shape.numel(s)];
            for (int i = 0; i < av.length; i++) {
                av[i] = (g.nextLong(129) - 64 + 0.5) / 8; // odd multiples of 1/16: never a multiple of b
            }
            double[] bv = new double[Shape.numel(sb)];
            for (int i = 0; i < bv.length; i++) {
                long m = g.nextLong(20) - 10;
                bv[i] = (m == 0 ? 3 : m) / 4.0;
            }
            Tensor a = Tensor.of(av, s);
            Tensor b = Tensor.of(bv, sb);
            String at = TestTensors.str(s) + " % " + TestTensors.str(sb) + " seed " + seed;
            double[] r = a.remainder(b).toDoubleArray();
            double[] q = a.floorDivide(b).toDoubleArray();
            double[] be = b.expand(s).contiguous().toDoubleArray();
            for (int i = 0; i < r.length; i++) {
                assertTrue(r[i] == 0 || (r[i] < 0) == (be[i] < 0), at + ": sign [" + i + "]");
                assertTrue(Math.abs(r[i]) < Math.abs(be[i]), at + ": magnitude [" + i + "]");
                assertEquals(av[i], q[i] * be[i] + r[i], at + ": a = q·b + r [" + i + "]");
                assertEquals(Math.floor(av[i] / be[i]), q[i], at + ": floor [" + i + "]");
            }
            GradCheck.Result res = GradCheck.check(t -> t[0].remainder(t[1]).mul(t[0]),
                    a.requiresGrad(true), b.requiresGrad(true));
            assertEquals("RemainderBackward0", a.remainder(3).gradFn().name(), at + ": a scalar divisor's node");
            assertTrue(res.passed(), at + ": " + res.report());
        });
    }

    /** Integer division by zero anywhere is refused (PyTorch's ZeroDivisionError), whatever the shapes. */
    @Test
    void integerDivisionByZeroIsRefused() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, 1 + (int) g.nextLong(3), 4);
            Tensor a = int64s(g, s, false);
            long[] bv = int64s(g, s, true).toLongArray();
            bv[(int) g.nextLong(bv.length)] = 0;
            Tensor b = Tensor.ofLongs(bv, s);
            String at = "seed " + seed;
            assertTrue(assertThrows(IllegalArgumentException.class, () -> a.floorDivide(b), at).getMessage()
                    .contains("ZeroDivisionError"), at);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> a.remainder(b), at).getMessage()
                    .contains("ZeroDivisionError"), at);
        });
    }
}
