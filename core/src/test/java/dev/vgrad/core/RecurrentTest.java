package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The fused recurrent op ({@link Recurrent}, docs/SEMANTICS.md §22): float64 gradient checks of its BPTT rule
 * against finite differences, second derivatives through its composed fallback, and agreement with the
 * step-by-step composition of ordinary ops.
 */
class RecurrentTest {
    private static final int EXAMPLES = 12;

    private record Dims(int t, int b, int i, int h) {}

    private static Dims dims(Generator g) {
        return new Dims(1 + (int) g.nextLong(4), 1 + (int) g.nextLong(3), 1 + (int) g.nextLong(4),
                1 + (int) g.nextLong(4));
    }

    /** x, h0, c0, W_ih, W_hh, b_ih, b_hh (c0 null for the GRU), float64, all requiring grad. */
    private static Tensor[] inputs(Generator g, Dims d, int gates) {
        int gh = gates * d.h();
        Tensor[] in = {
            TestTensors.uniform(g, -1, 1, d.t(), d.b(), d.i()),
            TestTensors.uniform(g, -1, 1, d.b(), d.h()),
            gates == 4 ? TestTensors.uniform(g, -1, 1, d.b(), d.h()) : null,
            TestTensors.uniform(g, -0.8, 0.8, gh, d.i()),
            TestTensors.uniform(g, -0.8, 0.8, gh, d.h()),
            TestTensors.uniform(g, -0.5, 0.5, gh),
            TestTensors.uniform(g, -0.5, 0.5, gh)
        };
        for (Tensor t : in) {
            if (t != null) {
                t.requiresGrad(true);
            }
        }
        return in;
    }

    private static Tensor[] present(Tensor[] in) {
        return java.util.Arrays.stream(in).filter(java.util.Objects::nonNull).toArray(Tensor[]::new);
    }

    private static Function<Tensor[], Tensor> lstm(boolean reverse, boolean fused) {
        return a -> fused ? Recurrent.lstmLayer(a[0], a[1], a[2], a[3], a[4], a[5], a[6], reverse)
                : Recurrent.lstmLayerComposed(a[0], a[1], a[2], a[3], a[4], a[5], a[6], reverse);
    }

    private static Function<Tensor[], Tensor> gru(boolean reverse, boolean fused) {
        return a -> fused ? Recurrent.gruLayer(a[0], a[1], a[2], a[3], a[4], a[5], reverse)
                : Recurrent.gruLayerComposed(a[0], a[1], a[2], a[3], a[4], a[5], reverse);
    }

    /** Two stacked bidirectional layers, as nn.LSTM/GRU wire them: each layer reads both directions' h. */
    private static Tensor twoLayerBidi(Tensor[] a, int gates) {
        int h = a[1].size(1);
        Tensor x = a[0];
        Tensor out = null;
        for (int layer = 0; layer < 2; layer++) {
            Tensor[] dirs = new Tensor[2];
            for (int d = 0; d < 2; d++) {
                // layer 1 reuses layer 0's recurrent weights; its input weights are W_ih's first h..2h columns
                // tiled to the 2h-wide input, so one set of leaves covers every path
                Tensor wIh = layer == 0 ? a[3] : Tensor.cat(java.util.List.of(a[3], a[3]), 1).narrow(1, 0, 2 * h);
                boolean rev = d == 1;
                Tensor y = gates == 4 ? Recurrent.lstmLayer(x, a[1], a[2], wIh, a[4], a[5], a[6], rev)
                        : Recurrent.gruLayer(x, a[1], wIh, a[4], a[5], a[6], rev);
                dirs[d] = y.narrow(2, 0, h);
                out = out == null ? y.sum() : out.add(y.sum());
            }
            x = Tensor.cat(java.util.List.of(dirs), 2);
        }
        return x.mul(x).sum().add(out);
    }

    @Test
    void fusedLayerPassesGradcheck() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            Dims d = dims(g);
            for (int gates : new int[] {4, 3}) {
                for (boolean rev : new boolean[] {false, true}) {
                    Tensor[] in = inputs(g, d, gates);
                    Tensor[] p = present(in);
                    Function<Tensor[], Tensor> f = gates == 4 ? lstm(rev, true) : gru(rev, true);
                    GradCheck.Result r = GradCheck.check(f, p);
                    assertTrue(r.passed(), () -> "gates " + gates + " reverse " + rev + " " + d + " seed " + seed
                            + "\n" + r.report());
                }
            }
        });
    }

    @Test
    void twoLayerBidirectionalPassesGradcheck() {
        Generator g = new Generator(17);
        for (int gates : new int[] {4, 3}) {
            Tensor[] in = inputs(g, new Dims(3, 2, 3, 3), gates);
            Tensor[] p = present(in);
            Function<Tensor[], Tensor> f = gates == 4 ? a -> twoLayerBidi(a, 4)
                    : a -> twoLayerBidi(new Tensor[] {a[0], a[1], null, a[2], a[3], a[4], a[5]}, 3);
            GradCheck.Result r = GradCheck.check(f, p);
            assertTrue(r.passed(), () -> "gates " + gates + "\n" + r.report());
        }
    }

    @Test
    void withoutBiasPassesGradcheck() {
        Generator g = new Generator(5);
        Tensor[] l = inputs(g, new Dims(3, 2, 2, 3), 4);
        GradCheck.Result r = GradCheck.check(a -> Recurrent.lstmLayer(a[0], a[1], a[2], a[3], a[4], null, null,
                true), l[0], l[1], l[2], l[3], l[4]);
        assertTrue(r.passed(), r::report);
        Tensor[] q = inputs(g, new Dims(3, 2, 2, 3), 3);
        GradCheck.Result r2 = GradCheck.check(a -> Recurrent.gruLayer(a[0], a[1], a[2], a[3], null, null, false),
                q[0], q[1], q[3], q[4]);
        assertTrue(r2.passed(), r2::report);
    }

    /** Double backward goes through the composed fallback (createGraph), so gradgradcheck must pass. */
    @Test
    void secondOrderPassesGradgradcheck() {
        qt().withExamples(4).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            Dims d = new Dims(1 + (int) g.nextLong(3), 1 + (int) g.nextLong(2), 2, 2);
            boolean rev = g.nextBernoulli(0.5);
            Tensor[] l = inputs(g, d, 4);
            GradCheck.Result r = GradCheck.gradgradcheck(lstm(rev, true), present(l));
            assertTrue(r.passed(), () -> "LSTM " + d + " seed " + seed + "\n" + r.report());
            Tensor[] q = present(inputs(g, d, 3));
            GradCheck.Result r2 = GradCheck.gradgradcheck(gru(rev, true), q);
            assertTrue(r2.passed(), () -> "GRU " + d + " seed " + seed + "\n" + r2.report());
        });
    }

    /** Fused and composed layers agree in value and in every gradient (float32, a few ulps of slack). */
    @Test
    void fusedMatchesComposed() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            Dims d = new Dims(1 + (int) g.nextLong(6), 1 + (int) g.nextLong(4), 1 + (int) g.nextLong(9),
                    1 + (int) g.nextLong(20));
            boolean rev = g.nextBernoulli(0.5);
            for (int gates : new int[] {4, 3}) {
                Tensor[] in64 = inputs(g, d, gates);
                Tensor wOut = TestTensors.uniform(g, -1, 1, d.t(), d.b(), gates == 4 ? 2 * d.h() : d.h())
                        .toFloat();
                Tensor[][] grads = new Tensor[2][];
                Tensor[] ys = new Tensor[2];
                for (int k = 0; k < 2; k++) {
                    Tensor[] in = new Tensor[7];
                    for (int i = 0; i < 7; i++) {
                        in[i] = in64[i] == null ? null : in64[i].detach().toFloat().requiresGrad(true);
                    }
                    boolean fused = k == 0;
                    Tensor y = gates == 4 ? lstm(rev, fused).apply(in)
                            : gru(rev, fused).apply(new Tensor[] {in[0], in[1], in[3], in[4], in[5], in[6]});
                    ys[k] = y;
                    Tensor[] p = present(in);
                    grads[k] = Autograd.grad(y.mul(wOut).sum(), p, null, false);
                }
                String at = "gates " + gates + " rev " + rev + " " + d + " seed " + seed;
                assertClose(ys[1], ys[0], at + " output");
                for (int i = 0; i < grads[0].length; i++) {
                    assertClose(grads[1][i], grads[0][i], at + " grad " + i);
                }
            }
        });
    }

    private static void assertClose(Tensor expected, Tensor actual, String at) {
        assertArrayEquals(expected.shape(), actual.shape(), at);
        float[] e = expected.detach().contiguous().toArray();
        float[] a = actual.detach().contiguous().toArray();
        for (int i = 0; i < e.length; i++) {
            double tol = 1e-5 + 1e-4 * Math.abs(e[i]);
            int k = i;
            assertTrue(Math.abs(e[i] - a[i]) <= tol, () -> at + " [" + k + "] expected " + e[k] + " got " + a[k]);
        }
    }

    @Test
    void inconsistentShapesAreRejectedEarly() {
        Tensor x = Tensor.zeros(3, 2, 5);
        Tensor h = Tensor.zeros(2, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Recurrent.lstmLayer(x, h, h, Tensor.zeros(16, 4), Tensor.zeros(16, 4), null, null, false));
        assertTrue(e.getMessage().contains("lstmLayer") && e.getMessage().contains("weight_ih [16, 4]"),
                e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> Recurrent.gruLayer(x, h, Tensor.zeros(12, 5), Tensor.zeros(12, 4), Tensor.zeros(11), null,
                        false));
        assertTrue(e2.getMessage().contains("bias_ih [11]"), e2.getMessage());
        assertEquals(3, Recurrent.gruLayer(x, h, Tensor.zeros(12, 5), Tensor.zeros(12, 4), null, null, false)
                .size(0));
    }

    // ------------------------------------------------------------------ LSTM with a projection (proj_size)

    /** x, h0 (B, P), c0 (B, H), W_ih, W_hh (4H, P), b_ih, b_hh, W_hr (P, H), float64, all requiring grad. */
    private static Tensor[] projInputs(Generator g, Dims d, int p) {
        int gh = 4 * d.h();
        Tensor[] in = {
            TestTensors.uniform(g, -1, 1, d.t(), d.b(), d.i()),
            TestTensors.uniform(g, -1, 1, d.b(), p),
            TestTensors.uniform(g, -1, 1, d.b(), d.h()),
            TestTensors.uniform(g, -0.8, 0.8, gh, d.i()),
            TestTensors.uniform(g, -0.8, 0.8, gh, p),
            TestTensors.uniform(g, -0.5, 0.5, gh),
            TestTensors.uniform(g, -0.5, 0.5, gh),
            TestTensors.uniform(g, -0.8, 0.8, p, d.h())
        };
        for (Tensor t : in) {
            t.requiresGrad(true);
        }
        return in;
    }

    private static Function<Tensor[], Tensor> projected(boolean reverse, boolean bias) {
        return a -> bias ? Recurrent.lstmLayerProjected(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], reverse)
                : Recurrent.lstmLayerProjected(a[0], a[1], a[2], a[3], a[4], null, null, a[5], reverse);
    }

    /** First derivatives of every input (P from 1 to H, both directions, with and without bias) vs differences. */
    @Test
    void projectedLayerPassesGradcheck() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            Dims d = dims(g);
            int p = 1 + (int) g.nextLong(d.h());
            for (boolean rev : new boolean[] {false, true}) {
                for (boolean bias : new boolean[] {true, false}) {
                    Tensor[] in = projInputs(g, d, p);
                    Tensor[] args = bias ? in : new Tensor[] {in[0], in[1], in[2], in[3], in[4], in[7]};
                    GradCheck.Result r = GradCheck.check(projected(rev, bias), args);
                    assertTrue(r.passed(), () -> "reverse " + rev + " bias " + bias + " " + d + " P " + p
                            + " seed " + seed + "\n" + r.report());
                }
            }
        });
    }

    /** Under createGraph the fused node differentiates the composed layer, so second derivatives exist too. */
    @Test
    void projectedLayerPassesGradgradcheck() {
        Tensor[] in = projInputs(new Generator(23), new Dims(2, 2, 2, 3), 2);
        GradCheck.Result r = GradCheck.gradgradcheck(projected(true, true), in);
        assertTrue(r.passed(), r::report);
    }

    /** With P = H and W_hr = I the projection is the identity: the plain LSTM's numbers, h and c alike. */
    @Test
    void identityProjectionIsThePlainLstm() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            Dims d = dims(g);
            Tensor[] in = inputs(g, d, 4);
            Tensor eye = Tensor.eye(d.h()).to(DType.FLOAT64);
            for (boolean rev : new boolean[] {false, true}) {
                Tensor plain = Recurrent.lstmLayerComposed(in[0], in[1], in[2], in[3], in[4], in[5], in[6], rev);
                Tensor proj = Recurrent.lstmLayerProjected(in[0], in[1], in[2], in[3], in[4], in[5], in[6], eye,
                        rev);
                assertClose(plain, proj, "seed " + seed + " reverse " + rev + " " + d);
            }
        });
    }

    /**
     * The fused projected layer and the composed one agree in float32, in value and in the gradient of every input
     * (a few ulps of slack: the GEMMs sum in another order), over random sizes, P in [1, H], both directions.
     */
    @Test
    void fusedProjectedMatchesComposed() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            Dims d = new Dims(1 + (int) g.nextLong(6), 1 + (int) g.nextLong(4), 1 + (int) g.nextLong(9),
                    1 + (int) g.nextLong(20));
            int p = 1 + (int) g.nextLong(d.h());
            boolean rev = g.nextBernoulli(0.5);
            boolean bias = g.nextBernoulli(0.5);
            Tensor[] in64 = projInputs(g, d, p);
            Tensor wOut = TestTensors.uniform(g, -1, 1, d.t(), d.b(), p + d.h()).toFloat();
            Tensor[][] grads = new Tensor[2][];
            Tensor[] ys = new Tensor[2];
            for (int k = 0; k < 2; k++) {
                Tensor[] a = new Tensor[8];
                for (int i = 0; i < 8; i++) {
                    a[i] = bias || (i != 5 && i != 6) ? in64[i].detach().toFloat().requiresGrad(true) : null;
                }
                Tensor y = k == 0
                        ? Recurrent.lstmLayerProjected(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], rev)
                        : Recurrent.lstmLayerProjectedComposed(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], rev);
                ys[k] = y;
                grads[k] = Autograd.grad(y.mul(wOut).sum(), present(a), null, false);
            }
            String at = "rev " + rev + " bias " + bias + " " + d + " P " + p + " seed " + seed;
            assertClose(ys[1], ys[0], at + " output");
            for (int i = 0; i < grads[0].length; i++) {
                assertClose(grads[1][i], grads[0][i], at + " grad " + i);
            }
        });
    }

    @Test
    void projectedShapesAreCheckedEarly() {
        Tensor x = Tensor.zeros(3, 2, 5);
        Tensor h = Tensor.zeros(2, 2);
        Tensor c = Tensor.zeros(2, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Recurrent.lstmLayerProjected(x, h, c, Tensor.zeros(16, 5), Tensor.zeros(16, 2), null, null,
                        Tensor.zeros(2, 3), false));
        assertTrue(e.getMessage().contains("lstmLayerProjected") && e.getMessage().contains("weight_hr [2, 3]"),
                e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> Recurrent.lstmLayerProjected(x, h, c, Tensor.zeros(16, 5), Tensor.zeros(16, 4), null, null,
                        Tensor.zeros(2, 4), false));
        assertTrue(e2.getMessage().contains("weight_hh [16, 4]"), e2.getMessage());
        assertArrayEquals(new int[] {3, 2, 6}, Recurrent.lstmLayerProjected(x, h, c, Tensor.zeros(16, 5),
                Tensor.zeros(16, 2), null, null, Tensor.zeros(2, 4), false).shape());
    }
}
