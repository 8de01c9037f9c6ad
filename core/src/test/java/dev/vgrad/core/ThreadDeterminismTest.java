package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Thread counts 1 and 2 give bit-identical results on sizes large enough to use the intra-op pool. */
class ThreadDeterminismTest {

    private static List<float[]> runWith(int threads, Supplier<List<Tensor>> work) {
        int before = Vgrad.numThreads();
        try {
            Vgrad.setNumThreads(threads);
            List<float[]> out = new ArrayList<>();
            for (Tensor t : work.get()) {
                out.add(t.toArray());
            }
            return out;
        } finally {
            Vgrad.setNumThreads(before);
        }
    }

    private static void assertBitIdentical(String what, Supplier<List<Tensor>> work) {
        List<float[]> one = runWith(1, work);
        List<float[]> two = runWith(2, work);
        assertEquals(one.size(), two.size());
        for (int k = 0; k < one.size(); k++) {
            float[] a = one.get(k);
            float[] b = two.get(k);
            assertEquals(a.length, b.length);
            for (int i = 0; i < a.length; i++) {
                if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(b[i])) {
                    throw new AssertionError(what + " result " + k + " index " + i + ": 1 thread " + a[i] + ", 2 threads " + b[i]);
                }
            }
        }
    }

    @Test
    void reductions() {
        Tensor x = Tensor.randn(new Generator(1), 300, 700);
        Tensor long1 = Tensor.randn(new Generator(2), 300_001);
        // past the size at which a column sum splits its columns over the threads, with a ragged last strip
        Tensor wide = Tensor.randn(new Generator(3), 2100, 4001);
        assertBitIdentical("reductions", () -> List.of(wide.sum(0), wide.mean(0),
                x.sum(), x.sum(0), x.sum(1), x.sum(new int[] {0, 1}, true), x.mean(0), x.mean(),
                x.var(new int[] {0}, 1, false), x.var(new int[] {1}, 0, true), x.var(),
                x.amax(new int[] {0}, false), x.amin(new int[] {1}, false), x.max(), x.min(),
                x.max(0, false), x.min(1, true), x.logsumexp(new int[] {1}, false), x.logsumexp(new int[] {0}, true),
                x.softmax(0), x.logSoftmax(1), x.transpose(0, 1).sum(1),
                long1.sum(), long1.mean(), long1.max(), long1.var()));
    }

    @Test
    void elementwiseAndBackward() {
        Tensor a = Tensor.randn(new Generator(3), 256, 513);
        Tensor b = Tensor.randn(new Generator(4), 513);
        assertBitIdentical("elementwise", () -> {
            Tensor p = a.detach().requiresGrad(true);
            Tensor y = p.mul(b).tanh().add(p.exp()).softmax(1).sum(0).pow(2).sum();
            y.backward();
            return List.of(y, p.grad(), a.gelu(), a.sigmoid(), a.add(b), a.mul(0.5));
        });
    }

    @Test
    void matmul() {
        Tensor a = Tensor.randn(new Generator(5), 4, 130, 97);
        Tensor b = Tensor.randn(new Generator(6), 97, 111);
        Tensor c = Tensor.randn(new Generator(7), 4, 97, 65);
        assertBitIdentical("matmul", () -> {
            Tensor pa = a.detach().requiresGrad(true);
            Tensor pb = b.detach().requiresGrad(true);
            Tensor y = pa.matmul(pb);
            y.sum().backward();
            return List.of(y, pa.grad(), pb.grad(), a.matmul(c), a.transpose(-1, -2).matmul(a));
        });
    }

    @Test
    void attentionShapedBmm() {
        // many small products are split over the threads by product; sizes on both sides of that choice
        Tensor q = Tensor.randn(new Generator(11), 2, 4, 40, 64);
        Tensor k = Tensor.randn(new Generator(12), 2, 4, 40, 64);
        Tensor big = Tensor.randn(new Generator(13), 3, 200, 130);
        Tensor bigB = Tensor.randn(new Generator(14), 3, 130, 170);
        assertBitIdentical("bmm", () -> {
            Tensor pq = q.detach().requiresGrad(true);
            Tensor s = pq.matmul(k.transpose(-1, -2));
            Tensor o = s.softmax(-1).matmul(k);
            o.sum().backward();
            return List.of(s, o, pq.grad(), big.matmul(bigB), Tensor.einsum("bhqd,bhkd->bhqk", q, k));
        });
    }

    @Test
    void conv2d() {
        Tensor x = Tensor.randn(new Generator(8), 4, 8, 40, 40);
        Tensor w = Tensor.randn(new Generator(9), 16, 8, 3, 3);
        Tensor bias = Tensor.randn(new Generator(10), 16);
        assertBitIdentical("conv2d", () -> {
            Tensor px = x.detach().requiresGrad(true);
            Tensor pw = w.detach().requiresGrad(true);
            Tensor y = px.conv2d(pw, bias, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1);
            y.sum().backward();
            return List.of(y, px.grad(), pw.grad(), x.maxPool2d(2), x.avgPool2d(2));
        });
    }
}
