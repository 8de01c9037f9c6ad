package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.testing.SeededCases;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Laws of the ordering, scatter, sampling and einsum ops over random shapes and values (docs/SEMANTICS.md §18),
 * and float64 gradient checks (first and second order) of every differentiable one.
 */
class SeqOpsPropertyTest {
    private static final int EXAMPLES = 60;

    private static Tensor smallInts(Generator g, int... shape) {
        // few distinct values, so that ties are common
        Tensor t = TestTensors.uniform(g, -3, 3, shape);
        double[] d = t.toDoubleArray();
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.floor(d[i]);
        }
        return Tensor.of(d, shape);
    }

    @Test
    void sortIsAStableSortedPermutation() {
        SeededCases.check("sort stable permutation", 171, EXAMPLES, seed -> {
            Generator g = new Generator(seed);
            int[] shape = TestTensors.shape(g, 1 + (int) g.nextLong(3), 6);
            Tensor x = smallInts(g, shape);
            int dim = (int) g.nextLong(shape.length);
            boolean desc = g.nextBernoulli(0.5);
            Tensor.ValuesIndices r = x.sort(dim, desc);
            Tensor perm = r.indices().transpose(dim, -1).contiguous();
            Tensor vals = r.values().transpose(dim, -1).contiguous();
            int n = shape[dim];
            long[] p = perm.toLongArray();
            double[] v = vals.toDoubleArray();
            for (int row = 0; row * n < p.length; row++) {
                boolean[] seen = new boolean[n];
                for (int j = 0; j < n; j++) {
                    int at = row * n + j;
                    assertTrue(!seen[(int) p[at]], "index repeated, seed " + seed);
                    seen[(int) p[at]] = true;
                    if (j > 0) {
                        double prev = v[at - 1];
                        assertTrue(desc ? prev >= v[at] : prev <= v[at], "not sorted, seed " + seed);
                        if (prev == v[at]) {
                            assertTrue(p[at - 1] < p[at], "tie order not stable, seed " + seed);
                        }
                    }
                }
            }
            assertArrayEquals(x.gather(dim, r.indices()).toDoubleArray(), r.values().toDoubleArray());
            // argsort of a permutation gives its inverse; applying it twice restores the identity order
            Tensor inv = r.indices().argsort(dim, false);
            Tensor back = r.values().gather(dim, inv);
            assertArrayEquals(x.toDoubleArray(), back.toDoubleArray(), "argsort of argsort, seed " + seed);
        });
    }

    @Test
    void topkEqualsTheSortPrefix() {
        SeededCases.check("topk = sort prefix", 172, EXAMPLES, seed -> {
            Generator g = new Generator(seed);
            int[] shape = TestTensors.shape(g, 1 + (int) g.nextLong(3), 6);
            Tensor x = smallInts(g, shape);
            int dim = (int) g.nextLong(shape.length);
            int k = (int) g.nextLong(shape[dim] + 1L);
            boolean largest = g.nextBernoulli(0.5);
            Tensor.ValuesIndices t = x.topk(k, dim, largest, true);
            Tensor.ValuesIndices s = x.sort(dim, largest);
            assertArrayEquals(s.values().narrow(dim, 0, k).contiguous().toDoubleArray(), t.values().toDoubleArray());
            assertArrayEquals(s.indices().narrow(dim, 0, k).contiguous().toLongArray(), t.indices().toLongArray());
        });
    }

    @Test
    void cumsumFlipRepeatLaws() {
        SeededCases.check("cumsum/flip/repeat", 173, EXAMPLES, seed -> {
            Generator g = new Generator(seed);
            int[] shape = TestTensors.shape(g, 1 + (int) g.nextLong(3), 5);
            Tensor x = TestTensors.uniform(g, -2, 2, shape);
            int dim = (int) g.nextLong(shape.length);
            Tensor c = x.cumsum(dim);
            if (shape[dim] > 0) {
                Tensor last = c.narrow(dim, shape[dim] - 1, 1).squeeze(dim);
                double[] sum = x.sum(dim).toDoubleArray();
                double[] l = last.toDoubleArray();
                for (int i = 0; i < sum.length; i++) {
                    assertEquals(sum[i], l[i], 1e-12 * (1 + Math.abs(sum[i])), "cumsum last = sum, seed " + seed);
                }
            }
            assertArrayEquals(x.toDoubleArray(), x.flip(dim).flip(dim).toDoubleArray(), "flip twice, seed " + seed);
            int[] reps = new int[shape.length];
            for (int i = 0; i < reps.length; i++) {
                reps[i] = 1 + (int) g.nextLong(3);
            }
            Tensor r = x.repeat(reps);
            Tensor want = x;
            for (int d = 0; d < reps.length; d++) {
                java.util.List<Tensor> parts = new java.util.ArrayList<>();
                for (int q = 0; q < reps[d]; q++) {
                    parts.add(want);
                }
                want = Tensor.cat(parts, d);
            }
            assertArrayEquals(want.shape(), r.shape());
            assertArrayEquals(want.toDoubleArray(), r.toDoubleArray(), "repeat = cat of copies, seed " + seed);
        });
    }

    @Test
    void scatterAddOfOnesCountsIndices() {
        SeededCases.check("scatter_add counts", 174, EXAMPLES, seed -> {
            Generator g = new Generator(seed);
            int n = 1 + (int) g.nextLong(6);
            int m = 1 + (int) g.nextLong(12);
            long[] idx = new long[m];
            long[] count = new long[n];
            for (int i = 0; i < m; i++) {
                idx[i] = g.nextLong(n);
                count[(int) idx[i]]++;
            }
            Tensor c = Tensor.zeros(DType.FLOAT64, n).scatterAdd(0, Tensor.ofLongs(idx, m), Tensor.ones(DType.FLOAT64, m));
            double[] got = c.toDoubleArray();
            for (int i = 0; i < n; i++) {
                assertEquals(count[i], got[i], "seed " + seed);
            }
            // index_put with accumulate is the same count; in place, too
            Tensor d = Tensor.zeros(DType.FLOAT64, n);
            d.index_put_(new Tensor[] {Tensor.ofLongs(idx, m)}, Tensor.ones(DType.FLOAT64, m), true);
            assertArrayEquals(got, d.toDoubleArray(), "seed " + seed);
        });
    }

    @Test
    void randpermIsASeededPermutation() {
        SeededCases.check("randperm", 175, EXAMPLES, seed -> {
            int n = (int) (seed % 50);
            Tensor p = Tensor.randperm(n, new Generator(seed));
            assertEquals(DType.INT64, p.dtype());
            long[] v = p.toLongArray();
            long[] sorted = v.clone();
            Arrays.sort(sorted);
            for (int i = 0; i < n; i++) {
                assertEquals(i, sorted[i], "seed " + seed);
            }
            assertArrayEquals(v, Tensor.randperm(n, new Generator(seed)).toLongArray(), "seed " + seed);
        });
    }

    @Test
    void multinomialWithoutReplacementDrawsDistinctPositiveCategories() {
        SeededCases.check("multinomial", 176, EXAMPLES, seed -> {
            Generator g = new Generator(seed);
            int rows = 1 + (int) g.nextLong(3);
            int cats = 1 + (int) g.nextLong(8);
            Tensor w = TestTensors.uniform(g, 0, 1, rows, cats);
            double[] wd = w.toDoubleArray();
            int positive = cats;
            for (int c = 0; c < cats; c++) {
                if (g.nextBernoulli(0.3) && c > 0) {
                    for (int r = 0; r < rows; r++) {
                        wd[r * cats + c] = 0;
                    }
                    positive--;
                }
            }
            Tensor probs = Tensor.of(wd, rows, cats);
            int k = 1 + (int) g.nextLong(cats);
            Tensor s = probs.multinomial(k, false, new Generator(seed));
            assertArrayEquals(new int[] {rows, k}, s.shape());
            long[] v = s.toLongArray();
            for (int r = 0; r < rows; r++) {
                Set<Long> seen = new HashSet<>();
                for (int j = 0; j < k; j++) {
                    long c = v[r * k + j];
                    assertTrue(seen.add(c), "repeated category, seed " + seed);
                    // zero-weight categories come only after every positive one is drawn
                    assertTrue(j >= positive || wd[r * cats + (int) c] > 0, "zero weight drawn early, seed " + seed);
                }
            }
            Tensor with = probs.multinomial(3 * cats, true, new Generator(seed));
            for (long c : with.toLongArray()) {
                assertTrue(c >= 0 && c < cats);
            }
            assertArrayEquals(v, probs.multinomial(k, false, new Generator(seed)).toLongArray());
        });
    }

    @Test
    void einsumEqualsExplicitMatmulAndPermute() {
        SeededCases.check("einsum", 177, EXAMPLES, seed -> {
            Generator g = new Generator(seed);
            int b = 1 + (int) g.nextLong(3);
            int h = 1 + (int) g.nextLong(3);
            int q = 1 + (int) g.nextLong(5);
            int kk = 1 + (int) g.nextLong(5);
            int d = 1 + (int) g.nextLong(5);
            Tensor x = TestTensors.uniform(g, -1, 1, b, h, q, d);
            Tensor y = TestTensors.uniform(g, -1, 1, b, h, kk, d);
            assertClose(x.matmul(y.transpose(-1, -2)), Tensor.einsum("bhqd,bhkd->bhqk", x, y), seed);
            Tensor s = TestTensors.uniform(g, -1, 1, b, h, q, kk);
            assertClose(s.matmul(y), Tensor.einsum("bhqk,bhkd->bhqd", s, y), seed);
            assertClose(x.permute(3, 0, 2, 1), Tensor.einsum("bhqd->dbqh", x), seed);
            assertClose(x.sum(new int[] {1, 3}, false), Tensor.einsum("bhqd->bq", x), seed);
            Tensor u = TestTensors.uniform(g, -1, 1, b, q);
            Tensor v = TestTensors.uniform(g, -1, 1, b, d);
            assertClose(u.unsqueeze(2).mul(v.unsqueeze(1)), Tensor.einsum("bi,bj->bij", u, v), seed);
            assertClose(x.matmul(y.transpose(-1, -2)), Tensor.einsum("...qd,...kd->...qk", x, y), seed);
        });
    }

    private static void assertClose(Tensor want, Tensor got, long seed) {
        assertArrayEquals(want.shape(), got.shape(), "seed " + seed);
        double[] w = want.toDoubleArray();
        double[] a = got.toDoubleArray();
        for (int i = 0; i < w.length; i++) {
            assertEquals(w[i], a[i], 1e-12, "seed " + seed + " index " + i);
        }
    }

    private static void gradcheck(String what, Function<Tensor[], Tensor> f, Tensor... inputs) {
        GradCheck.Result r = GradCheck.check(f, inputs);
        assertTrue(r.passed(), what + ": " + r.report());
        GradCheck.Result rr = GradCheck.gradgradcheck(f, inputs);
        assertTrue(rr.passed(), what + " (second order): " + rr.report());
    }

    @Test
    void gradcheckEveryDifferentiableOp() {
        Generator g = new Generator(1718);
        Tensor x = TestTensors.uniform(g, -1, 1, 3, 4).requiresGrad(true);
        // distinct values: sort/topk are differentiable away from ties
        Tensor distinct = Tensor.of(new double[] {0.3, -1.2, 2.5, 0.9, -0.4, 1.7, -2.2, 0.05, 1.1, -0.8, 2.0, -1.6},
                3, 4).requiresGrad(true);
        gradcheck("cumsum", in -> in[0].cumsum(1), x);
        gradcheck("cumsum dim 0", in -> in[0].cumsum(0), x);
        gradcheck("sort", in -> in[0].sort(1, true).values(), distinct);
        gradcheck("topk", in -> in[0].topk(2, 0, false, true).values(), distinct);
        gradcheck("flip", in -> in[0].flip(0, 1), x);
        gradcheck("repeat", in -> in[0].repeat(2, 1, 3), x);
        Tensor idx = Tensor.ofLongs(new long[] {2, 0, 1, 0, 3, 1}, 2, 3);
        Tensor src = TestTensors.uniform(g, -1, 1, 2, 3).requiresGrad(true);
        Tensor wideSrc = TestTensors.uniform(g, -1, 1, 3, 5).requiresGrad(true);
        gradcheck("scatter", in -> in[0].scatter(1, idx, in[1]), x, src);
        gradcheck("scatter small index", in -> in[0].scatter(1, idx, in[1]), x, wideSrc);
        gradcheck("scatter value", in -> in[0].scatter(1, idx, 0.5), x);
        gradcheck("scatter_add", in -> in[0].scatterAdd(1, idx, in[1]), x, src);
        Tensor rows = Tensor.ofLongs(new long[] {2, 0, 2}, 3);
        Tensor vals = TestTensors.uniform(g, -1, 1, 3, 4).requiresGrad(true);
        gradcheck("index_put accumulate", in -> in[0].indexPut(new Tensor[] {rows}, in[1], true), x, vals);
        Tensor distinctRows = Tensor.ofLongs(new long[] {2, 0}, 2);
        Tensor vals2 = TestTensors.uniform(g, -1, 1, 4).requiresGrad(true);
        gradcheck("index_put", in -> in[0].indexPut(new Tensor[] {distinctRows}, in[1], false), x, vals2);
        gradcheck("scatter_ in place", in -> in[0].mul(1.0).scatter_(1, idx, in[1]), x, src);
        gradcheck("scatter_add_ in place", in -> in[0].mul(1.0).scatter_add_(1, idx, in[1]), x, src);
        gradcheck("index_put_ in place",
                in -> in[0].mul(1.0).index_put_(new Tensor[] {rows}, in[1], true), x, vals);
        Tensor a = TestTensors.uniform(g, -1, 1, 2, 3, 4).requiresGrad(true);
        Tensor b = TestTensors.uniform(g, -1, 1, 2, 5, 4).requiresGrad(true);
        gradcheck("einsum bqd,bkd->bqk", in -> Tensor.einsum("bqd,bkd->bqk", in[0], in[1]), a, b);
        gradcheck("einsum ijk->ki", in -> Tensor.einsum("ijk->ki", in[0]), a);
        gradcheck("einsum i,j->ij", in -> Tensor.einsum("i,j->ij", in[0], in[1]),
                TestTensors.uniform(g, -1, 1, 3).requiresGrad(true), TestTensors.uniform(g, -1, 1, 4).requiresGrad(true));
    }

    @Test
    void inPlaceScatterBumpsTheVersionAndRejectsLeavesThatRequireGrad() {
        Tensor leaf = Tensor.zeros(DType.FLOAT64, 2, 3).requiresGrad(true);
        Tensor idx = Tensor.ofLongs(new long[] {0, 1}, 1, 2);
        Tensor src = Tensor.ones(DType.FLOAT64, 1, 2);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> leaf.scatter_(1, idx, src));
        assertTrue(e.getMessage().contains("leaf Variable that requires grad"));
        Tensor t = Tensor.zeros(DType.FLOAT64, 2, 3);
        int v0 = t.version();
        t.scatter_(1, idx, src);
        assertTrue(t.version() > v0);
        assertArrayEquals(new double[] {1, 1, 0, 0, 0, 0}, t.toDoubleArray());
        // src requiring grad gives the written tensor a history (PyTorch's ScatterBackward)
        Tensor s = Tensor.ones(DType.FLOAT64, 1, 2).requiresGrad(true);
        Tensor base = Tensor.zeros(DType.FLOAT64, 2, 3);
        base.scatter_add_(1, idx, s);
        base.sum().backward();
        assertArrayEquals(new double[] {1, 1}, s.grad().toDoubleArray());
    }
}
