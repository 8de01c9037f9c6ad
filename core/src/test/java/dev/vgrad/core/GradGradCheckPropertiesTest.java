package dev.vgrad.core;

import dev.vgrad.core.testing.GradGradProperty;
import dev.vgrad.core.testing.GradGradProperty.Case;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Second derivatives of core ops under {@code createGraph} (docs/SEMANTICS.md §5.12): {@link GradCheck#gradgradcheck}
 * in float64 over random shapes and values, per op family. Each property draws a seed; QuickTheories reports the
 * falsifying seed and the message names the op and the shapes.
 */
class GradGradCheckPropertiesTest {
    private static final int EXAMPLES = 15;

    private static void property(String family, Function<Generator, List<Case>> cases) {
        GradGradProperty.check("[issue16] GradGradCheckPropertiesTest", family, EXAMPLES, cases);
    }

    private static String str(int[] s) {
        return TestTensors.str(s);
    }

    @Test
    void elementwiseAndActivations() {
        property("elementwise", g -> {
            int[] s = TestTensors.shape(g, 1 + (int) g.nextLong(3), 3);
            Tensor any = TestTensors.uniform(g, -2, 2, s);
            Tensor pos = TestTensors.uniform(g, 0.3, 2, s);
            Tensor away = TestTensors.awayFromZero(g, 0.1, 2, s);
            Tensor other = TestTensors.awayFromZero(g, 0.3, 2, s);
            String sh = " " + str(s);
            List<Case> cs = new ArrayList<>();
            cs.add(new Case("exp" + sh, x -> x[0].exp(), any));
            cs.add(new Case("tanh" + sh, x -> x[0].tanh(), any));
            cs.add(new Case("sigmoid" + sh, x -> x[0].sigmoid(), any));
            cs.add(new Case("gelu" + sh, x -> x[0].gelu(), any));
            cs.add(new Case("gelu(tanh)" + sh, x -> x[0].gelu("tanh"), any));
            cs.add(new Case("silu" + sh, x -> x[0].silu(), any));
            cs.add(new Case("softplus" + sh, x -> x[0].softplus(), any));
            cs.add(new Case("log" + sh, x -> x[0].log(), pos));
            cs.add(new Case("sqrt" + sh, x -> x[0].sqrt(), pos));
            cs.add(new Case("reciprocal" + sh, x -> x[0].reciprocal(), pos));
            cs.add(new Case("pow(3)" + sh, x -> x[0].pow(3), any));
            cs.add(new Case("pow(-1.5)" + sh, x -> x[0].pow(-1.5), pos));
            cs.add(new Case("relu*x" + sh, x -> x[0].relu().mul(x[0]), away));
            cs.add(new Case("leakyRelu*x" + sh, x -> x[0].leakyRelu(0.1).mul(x[0]), away));
            cs.add(new Case("abs*x" + sh, x -> x[0].abs().mul(x[0]), away));
            cs.add(new Case("mul" + sh, x -> x[0].mul(x[1]), any, other));
            cs.add(new Case("div" + sh, x -> x[0].div(x[1]), any, other));
            cs.add(new Case("sub" + sh, x -> x[0].sub(x[1]).mul(x[0]), any, other));
            cs.add(new Case("pow(a,b)" + sh, x -> x[0].pow(x[1]), pos, TestTensors.uniform(g, -1, 2, s)));
            Tensor row = TestTensors.uniform(g, 0.5, 2, s.length == 0 ? new int[0] : new int[] {s[s.length - 1]});
            cs.add(new Case("broadcast mul/div" + sh, x -> x[0].mul(x[1]).div(x[1].add(x[0].pow(2))), any, row));
            cs.add(new Case("scalar ops" + sh, x -> x[0].mul(3).add(1).div(2).mul(x[0]), any));
            return cs;
        });
    }

    @Test
    void matmulAndReductions() {
        property("matmulReductions", g -> {
            int n = 1 + (int) g.nextLong(3);
            int k = 1 + (int) g.nextLong(3);
            int m = 1 + (int) g.nextLong(3);
            Tensor a = TestTensors.uniform(g, -2, 2, new int[] {n, k});
            Tensor b = TestTensors.uniform(g, -2, 2, new int[] {k, m});
            Tensor v = TestTensors.uniform(g, -2, 2, new int[] {k});
            String sh = " " + str(a.shape()) + str(b.shape());
            List<Case> cs = new ArrayList<>();
            cs.add(new Case("matmul" + sh, x -> x[0].matmul(x[1]), a, b));
            cs.add(new Case("matmul vec" + sh, x -> x[0].matmul(x[1]), a, v));
            cs.add(new Case("sum*x" + sh, x -> x[0].sum(1).pow(2), a));
            cs.add(new Case("mean" + sh, x -> x[0].mean(0).pow(2), a));
            if (a.numel() > 1) {
                // one element has no unbiased variance (NaN in PyTorch too)
                cs.add(new Case("var" + sh, x -> x[0].var(), a));
            }
            cs.add(new Case("logsumexp" + sh, x -> x[0].logsumexp(new int[] {1}, false), a));
            cs.add(new Case("softmax" + sh, x -> x[0].softmax(1), a));
            cs.add(new Case("logSoftmax" + sh, x -> x[0].logSoftmax(1), a));
            cs.add(new Case("transpose" + sh, x -> x[0].transpose(0, 1).matmul(x[0]), a));
            return cs;
        });
    }

    @Test
    void shapeAndIndexOps() {
        property("shapeIndex", g -> {
            int r = 2 + (int) g.nextLong(3);
            int c = 2 + (int) g.nextLong(3);
            Tensor a = TestTensors.uniform(g, -2, 2, new int[] {r, c});
            Tensor b = TestTensors.uniform(g, -2, 2, new int[] {r, 1 + (int) g.nextLong(3)});
            long[] gi = new long[r * c];
            for (int i = 0; i < gi.length; i++) {
                gi[i] = g.nextLong(c);
            }
            Tensor gIndex = Tensor.ofLongs(gi, r, c);
            long[] si = new long[1 + (int) g.nextLong(4)];
            for (int i = 0; i < si.length; i++) {
                si[i] = g.nextLong(r);
            }
            Tensor sIndex = Tensor.ofLongs(si, si.length);
            String sh = " " + str(a.shape());
            List<Case> cs = new ArrayList<>();
            cs.add(new Case("reshape/permute" + sh, x -> x[0].reshape(c, r).transpose(0, 1).pow(2), a));
            cs.add(new Case("slice step 2" + sh, x -> x[0].slice(1, 0, c, 2).pow(2), a));
            cs.add(new Case("narrow" + sh, x -> x[0].narrow(0, 1, r - 1).pow(2), a));
            cs.add(new Case("select/unsqueeze" + sh, x -> x[0].select(0, r - 1).unsqueeze(0).pow(2), a));
            cs.add(new Case("expand" + sh, x -> x[0].narrow(1, 0, 1).expand(r, 3).pow(2), a));
            cs.add(new Case("cat" + sh, x -> Tensor.cat(List.of(x[0], x[1]), 1).pow(2), a, b));
            cs.add(new Case("stack" + sh, x -> Tensor.stack(List.of(x[0], x[0].mul(x[0])), 0), a));
            cs.add(new Case("gather" + sh, x -> x[0].gather(1, gIndex).pow(2), a));
            cs.add(new Case("indexSelect" + sh, x -> x[0].indexSelect(0, sIndex).pow(2), a));
            cs.add(new Case("max(dim)" + sh, x -> x[0].max(1, false).pow(2), a));
            cs.add(new Case("max()" + sh, x -> x[0].max().pow(2), a));
            cs.add(new Case("where" + sh, x -> Tensor.where(x[0].gt(0), x[0].mul(x[0]), x[0].exp()), a));
            cs.add(new Case("clamp" + sh, x -> x[0].clamp(-1, 1).mul(x[0]), a));
            Tensor mask = TestTensors.uniform(g, -1, 1, new int[] {r, c}).gt(0);
            Tensor ints = Tensor.ofLongs(gi, r, c).sub(1);
            cs.add(new Case("maskedSelect" + sh, x -> x[0].maskedSelect(mask).pow(2), a));
            cs.add(new Case("maskedSelect of a broadcast input" + sh,
                    x -> x[0].narrow(1, 0, 1).maskedSelect(mask).pow(2), a));
            // x + 3 lies in (1, 5): no multiple of the divisor -6 or 10 is near, so remainder has no jump there
            Tensor divisor = Tensor.full(-6.0, c);
            cs.add(new Case("remainder" + sh, x -> x[0].add(3).remainder(divisor).mul(x[0]), a));
            cs.add(new Case("remainder by a tensor" + sh,
                    x -> x[0].add(3).remainder(x[1].narrow(1, 0, 1).mul(0).add(10)).mul(x[1].narrow(1, 0, 1)), a, b));
            cs.add(new Case("maskedScatter" + sh, x -> x[0].maskedScatter(mask, x[0].mul(x[0]).add(1)).pow(2), a));
            cs.add(new Case("int64 * float" + sh, x -> ints.mul(x[0].mul(x[0])).add(x[0].div(ints.add(c))), a));
            cs.add(new Case("copy_ into a non-leaf" + sh, x -> {
                Tensor dst = x[0].mul(1);
                dst.copy_(x[0].exp());
                return dst.mul(x[0]);
            }, a));
            cs.add(new Case("in-place mul_ on a non-leaf" + sh, x -> x[0].mul(2).mul_(x[0]).tanh(), a));
            return cs;
        });
    }
}
