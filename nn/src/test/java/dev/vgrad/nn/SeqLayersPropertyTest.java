package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.SeededCases;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Laws of the docs/SEMANTICS.md §19 layers over random shapes and values (QuickTheories-drawn seeds, reported on
 * failure): GroupNorm with one channel per group is instance normalisation; conv_transpose2d is the adjoint of
 * conv2d; nearest upsampling by 2 then 2×2 average pooling is the identity; resizing to the same size is the
 * identity; rotary embedding keeps norms and makes dot products depend on the position difference only; RMSNorm
 * gives unit root-mean-square and ignores the input's scale.
 */
class SeqLayersPropertyTest {
    private static Tensor randn(Random r, int... shape) {
        return Tensor.randn(new Generator(r.nextLong()), shape).to(DType.FLOAT64);
    }

    private static double dot(Tensor a, Tensor b) {
        double[] x = a.toDoubleArray();
        double[] y = b.toDoubleArray();
        assertEquals(x.length, y.length);
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += x[i] * y[i];
        }
        return s;
    }

    @Test
    void groupNormWithOneChannelPerGroupIsInstanceNorm() {
        SeededCases.check("groupNorm(groups=C) == instance norm", 1701L, 60, seed -> {
            Random r = new Random(seed);
            int n = 1 + r.nextInt(3);
            int c = 1 + r.nextInt(4);
            int l = 2 + r.nextInt(6);
            Tensor x = randn(r, n, c, l).mul(1 + 3 * r.nextDouble()).add(r.nextDouble() - 0.5);
            double eps = 1e-5;
            double[] got = F.groupNorm(x, c, null, null, eps).toDoubleArray();
            double[] v = x.toDoubleArray();
            for (int nc = 0; nc < n * c; nc++) {
                double mean = 0;
                for (int i = 0; i < l; i++) {
                    mean += v[nc * l + i];
                }
                mean /= l;
                double var = 0;
                for (int i = 0; i < l; i++) {
                    var += (v[nc * l + i] - mean) * (v[nc * l + i] - mean);
                }
                var /= l;
                for (int i = 0; i < l; i++) {
                    assertEquals((v[nc * l + i] - mean) / Math.sqrt(var + eps), got[nc * l + i], 1e-10,
                            "seed " + seed + " at " + (nc * l + i));
                }
            }
        });
    }

    @Test
    void convTransposeIsTheAdjointOfConv() {
        SeededCases.check("<conv(x), y> == <x, convT(y)>", 1702L, 60, seed -> {
            Random r = new Random(seed);
            int groups = 1 + r.nextInt(2);
            int cin = groups * (1 + r.nextInt(2)); // channels of y (conv's output)
            int cout = groups * (1 + r.nextInt(2)); // channels of x (conv's input)
            int[] k = {1 + r.nextInt(3), 1 + r.nextInt(3)};
            int[] st = {1 + r.nextInt(2), 1 + r.nextInt(2)};
            int[] dl = {1 + r.nextInt(2), 1 + r.nextInt(2)};
            int[] pd = {r.nextInt(2), r.nextInt(2)};
            int[] op = {r.nextInt(st[0]), r.nextInt(st[1])};
            int n = 1 + r.nextInt(2);
            int h = 1 + r.nextInt(4);
            int w = 1 + r.nextInt(4);
            int outH = (h - 1) * st[0] - 2 * pd[0] + dl[0] * (k[0] - 1) + op[0] + 1;
            int outW = (w - 1) * st[1] - 2 * pd[1] + dl[1] * (k[1] - 1) + op[1] + 1;
            if (outH <= 0 || outW <= 0) {
                return; // no such transposed convolution; nothing to compare
            }
            Tensor weight = randn(r, cin, cout / groups, k[0], k[1]);
            Tensor y = randn(r, n, cin, h, w);
            Tensor x = randn(r, n, cout, outH, outW);
            Tensor convT = F.convTranspose2d(y, weight, null, st, pd, op, groups, dl);
            Tensor conv = x.conv2d(weight, null, st, pd, dl, groups);
            assertArrayEquals(y.shape(), conv.shape(), "seed " + seed);
            double lhs = dot(conv, y);
            double rhs = dot(x, convT);
            assertEquals(lhs, rhs, 1e-9 * (1 + Math.abs(lhs)), "seed " + seed);
        });
    }

    @Test
    void nearestUpsampleThenAvgPoolIsIdentity() {
        SeededCases.check("avgPool2(nearest x2 (x)) == x", 1703L, 60, seed -> {
            Random r = new Random(seed);
            Tensor x = randn(r, 1 + r.nextInt(2), 1 + r.nextInt(3), 1 + r.nextInt(5), 1 + r.nextInt(5));
            Tensor up = new Upsample(2.0).forward(x);
            assertArrayEquals(x.toDoubleArray(), up.avgPool2d(2).toDoubleArray(), 1e-15, "seed " + seed);
        });
    }

    @Test
    void resizingToTheSameSizeIsIdentity() {
        SeededCases.check("interpolate to own size == x", 1704L, 60, seed -> {
            Random r = new Random(seed);
            Tensor x = randn(r, 1, 1 + r.nextInt(3), 1 + r.nextInt(5), 1 + r.nextInt(5));
            int[] size = {x.size(2), x.size(3)};
            assertArrayEquals(x.toDoubleArray(), F.interpolate(x, size, null, "nearest", null).toDoubleArray(), 0);
            assertArrayEquals(x.toDoubleArray(), F.interpolate(x, size, null, "bilinear", false).toDoubleArray(),
                    1e-15, "seed " + seed);
            assertArrayEquals(x.toDoubleArray(), F.interpolate(x, size, null, "bilinear", true).toDoubleArray(),
                    1e-15, "seed " + seed);
        });
    }

    @Test
    void rotaryKeepsNormsAndRelativePositions() {
        SeededCases.check("rotary: norms kept, <R(q,m),R(k,n)> depends on m-n", 1705L, 60, seed -> {
            Random r = new Random(seed);
            int d = 2 * (1 + r.nextInt(6));
            int len = 1 + r.nextInt(5);
            Tensor x = randn(r, 2, len, d);
            Tensor y = F.rotaryEmbedding(x, r.nextInt(50), 10000);
            double[] xn = x.mul(x).sum(new int[] {2}, false).toDoubleArray();
            double[] yn = y.mul(y).sum(new int[] {2}, false).toDoubleArray();
            assertArrayEquals(xn, yn, 1e-10, "seed " + seed);
            Tensor q = randn(r, 1, d);
            Tensor k = randn(r, 1, d);
            int m = r.nextInt(40);
            int n = r.nextInt(40);
            int shift = r.nextInt(100);
            double a = dot(F.rotaryEmbedding(q, m, 10000), F.rotaryEmbedding(k, n, 10000));
            double b = dot(F.rotaryEmbedding(q, m + shift, 10000), F.rotaryEmbedding(k, n + shift, 10000));
            assertEquals(a, b, 1e-9 * (1 + Math.abs(a)), "seed " + seed);
        });
    }

    @Test
    void rmsNormHasUnitRmsAndIsScaleInvariant() {
        SeededCases.check("rmsNorm: unit rms, rmsNorm(c·x) == rmsNorm(x)", 1706L, 60, seed -> {
            Random r = new Random(seed);
            int d = 1 + r.nextInt(8);
            Tensor x = randn(r, 1 + r.nextInt(3), d).add(0.1);
            double c = 0.5 + 4 * r.nextDouble();
            Tensor y = F.rmsNorm(x, new int[] {d}, null, 0.0);
            assertArrayEquals(y.toDoubleArray(), F.rmsNorm(x.mul(c), new int[] {d}, null, 0.0).toDoubleArray(), 1e-12,
                    "seed " + seed);
            double[] ms = y.mul(y).mean(new int[] {1}, false).toDoubleArray();
            for (double v : ms) {
                assertEquals(1.0, v, 1e-12, "seed " + seed);
            }
        });
    }
}
