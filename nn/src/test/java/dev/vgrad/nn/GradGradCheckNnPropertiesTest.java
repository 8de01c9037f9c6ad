package dev.vgrad.nn;

import dev.vgrad.core.GradCheck;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.GradGradProperty;
import dev.vgrad.core.testing.GradGradProperty.Case;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Second derivatives of the nn ops under {@code createGraph} (docs/SEMANTICS.md §5.12): {@link GradCheck#gradgradcheck}
 * in float64 over random shapes and values, per op family. QuickTheories reports the falsifying seed; the message
 * names the op and its shapes.
 */
class GradGradCheckNnPropertiesTest {
    private static final int EXAMPLES = 8;

    private static void property(String family, Function<Generator, List<Case>> cases) {
        GradGradProperty.check("[issue16] GradGradCheckNnPropertiesTest", family, EXAMPLES, cases);
    }

    private static Tensor rnd(Generator g, int... shape) {
        return Tensor.randn(g, shape).toDouble();
    }

    private static int dim(Generator g, int lo, int hi) {
        return lo + (int) g.nextLong(hi - lo + 1);
    }

    @Test
    void linearAndLosses() {
        property("linearLosses", g -> {
            int n = dim(g, 1, 3);
            int in = dim(g, 1, 4);
            int out = dim(g, 2, 4);
            Tensor x = rnd(g, n, in);
            Tensor w = rnd(g, out, in);
            Tensor b = rnd(g, out);
            long[] cls = new long[n];
            for (int i = 0; i < n; i++) {
                cls[i] = g.nextLong(out);
            }
            Tensor target = Tensor.ofLongs(cls, n);
            Tensor y = rnd(g, n, out);
            Tensor p = Tensor.rand(g, n, out).toDouble();
            String sh = " x" + Arrays.toString(x.shape()) + " w" + Arrays.toString(w.shape());
            List<Case> cs = new ArrayList<>();
            cs.add(new Case("linear" + sh, t -> F.linear(t[0], t[1], t[2]), x, w, b));
            cs.add(new Case("linear no bias" + sh, t -> F.linear(t[0], t[1], null), x, w));
            cs.add(new Case("linear-tanh-sum" + sh, t -> F.linear(t[0], t[1], t[2]).tanh().sum(), x, w, b));
            cs.add(new Case("mseLoss" + sh, t -> F.mseLoss(t[0], t[1]), rnd(g, n, out), y));
            cs.add(new Case("crossEntropy" + sh, t -> F.crossEntropy(t[0], target), rnd(g, n, out)));
            cs.add(new Case("crossEntropy sum ls" + sh,
                    t -> F.crossEntropy(t[0], target, null, -100, "sum", 0.1), rnd(g, n, out)));
            cs.add(new Case("nllLoss" + sh, t -> F.nllLoss(t[0].logSoftmax(1), target), rnd(g, n, out)));
            cs.add(new Case("bceWithLogits" + sh, t -> F.bceWithLogits(t[0], p), rnd(g, n, out)));
            cs.add(new Case("crossEntropy probability target" + sh,
                    t -> F.crossEntropy(t[0], t[1], null, -100, "mean", 0.1), rnd(g, n, out), p.softmax(1)));
            Tensor cw = Tensor.rand(g, out).toDouble().add(0.5);
            cs.add(new Case("crossEntropy weighted none" + sh,
                    t -> F.crossEntropy(t[0], target, cw, -100, "none", 0.0), rnd(g, n, out)));
            cs.add(new Case("layerNorm" + sh, t -> F.layerNorm(t[0], new int[] {out}, t[1], t[2], 1e-5),
                    rnd(g, n, out), rnd(g, out), rnd(g, out)));
            long[] ids = new long[n + 1];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = g.nextLong(out);
            }
            Tensor idsT = Tensor.ofLongs(ids, ids.length);
            cs.add(new Case("embedding squared" + sh, t -> F.embedding(idsT, t[0], 0).pow(2), rnd(g, out, in)));
            return cs;
        });
    }

    @Test
    void convPoolBatchNorm() {
        property("convPoolBn", g -> {
            int n = dim(g, 1, 2);
            int c = dim(g, 1, 2);
            int h = dim(g, 3, 5);
            int oc = dim(g, 1, 2);
            int k = dim(g, 1, 2);
            int stride = dim(g, 1, 2);
            int pad = (int) g.nextLong(2);
            Tensor x = rnd(g, n, c, h, h);
            Tensor w = rnd(g, oc, c, k, k);
            Tensor b = rnd(g, oc);
            String sh = " x" + Arrays.toString(x.shape()) + " w" + Arrays.toString(w.shape()) + " stride " + stride
                    + " pad " + pad;
            int[] s2 = {stride, stride};
            int[] p2 = {pad, pad};
            int[] d1 = {1, 1};
            List<Case> cs = new ArrayList<>();
            cs.add(new Case("conv2d" + sh, t -> F.conv2d(t[0], t[1], t[2], s2, p2, d1, 1), x, w, b));
            cs.add(new Case("conv2d squared" + sh, t -> F.conv2d(t[0], t[1], null, s2, p2, d1, 1).pow(2), x, w));
            // distinct values keep the max of each window away from ties for finite differences
            cs.add(new Case("maxPool2d" + sh, t -> F.maxPool2d(t[0], new int[] {2, 2}, null, new int[] {0, 0}, d1,
                    false).pow(2), x));
            cs.add(new Case("avgPool2d" + sh, t -> F.avgPool2d(t[0], new int[] {2, 2}, s2, p2, false, true).pow(2),
                    x));
            cs.add(new Case("adaptiveAvgPool2d" + sh, t -> F.adaptiveAvgPool2d(t[0], 2, 2).pow(2), x));
            Tensor rm = rnd(g, c);
            Tensor rv = Tensor.rand(g, c).toDouble().add(0.5);
            cs.add(new Case("batchNorm eval" + sh,
                    t -> F.batchNorm(t[0], rm, rv, t[1], t[2], false, 0.1, 1e-5).pow(2), x, rnd(g, c), rnd(g, c)));
            if (n * h * h > 1) {
                cs.add(new Case("batchNorm train" + sh,
                        t -> F.batchNorm(t[0], null, null, t[1], t[2], true, 0.1, 1e-5), x, rnd(g, c), rnd(g, c)));
            }
            return cs;
        });
    }

    /**
     * The geometry the plain cases above leave out: grouped and dilated convolution, and max pooling with padding,
     * dilation and ceil_mode together (a window may hang over the padding or past the end).
     */
    @Test
    void groupedDilatedConvAndPaddedDilatedCeilMaxPool() {
        property("convGroupsDilationPool", g -> {
            int n = dim(g, 1, 2);
            int groups = dim(g, 2, 3);
            int cpg = dim(g, 1, 2);
            int ocpg = dim(g, 1, 2);
            int k = dim(g, 1, 3);
            int stride = dim(g, 1, 2);
            int pad = (int) g.nextLong(2);
            int dil = 2;
            int h = dim(g, dil * (k - 1) + 1, dil * (k - 1) + 3);
            int[] s2 = {stride, stride};
            int[] p2 = {pad, pad};
            int[] d1 = {1, 1};
            int[] d2 = {dil, dil};
            Tensor xg = rnd(g, n, groups * cpg, h, h);
            Tensor wg = rnd(g, groups * ocpg, cpg, k, k);
            Tensor bg = rnd(g, groups * ocpg);
            String sh = " x" + Arrays.toString(xg.shape()) + " w" + Arrays.toString(wg.shape()) + " groups " + groups
                    + " stride " + stride + " pad " + pad + " dilation " + dil;
            List<Case> cs = new ArrayList<>();
            cs.add(new Case("conv2d grouped" + sh, t -> F.conv2d(t[0], t[1], t[2], s2, p2, d1, groups).pow(2),
                    xg, wg, bg));
            Tensor wd = rnd(g, groups * ocpg, groups * cpg, k, k);
            cs.add(new Case("conv2d dilated" + sh, t -> F.conv2d(t[0], t[1], t[2], s2, p2, d2, 1).pow(2), xg, wd,
                    bg));
            cs.add(new Case("conv2d grouped dilated" + sh, t -> F.conv2d(t[0], t[1], null, s2, p2, d2, groups)
                    .pow(2), xg, wg));
            // padding at most half the kernel (PyTorch's rule); distinct random values keep windows away from ties
            int pk = dim(g, 2, 3);
            int[] pp = {1, 1};
            int ph = dim(g, 4, 7);
            Tensor xp = rnd(g, n, cpg, ph, ph);
            String psh = " x" + Arrays.toString(xp.shape()) + " kernel " + pk + " stride 2 padding 1 dilation 2 ceil";
            cs.add(new Case("maxPool2d padded dilated ceil" + psh, t -> F.maxPool2d(t[0], new int[] {pk, pk},
                    new int[] {2, 2}, pp, d2, true).pow(2), xp));
            return cs;
        });
    }
}
