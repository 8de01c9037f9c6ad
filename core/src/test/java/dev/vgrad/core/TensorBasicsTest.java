package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Factories, views sharing storage, element access and PyTorch-like printing. */
class TensorBasicsTest {

    @Test
    void factories() {
        assertArrayEquals(new float[] {0, 0, 0, 0}, Tensor.zeros(2, 2).toArray());
        assertArrayEquals(new float[] {1, 1}, Tensor.ones(2).toArray());
        assertArrayEquals(new float[] {2.5f, 2.5f}, Tensor.full(2.5, 2).toArray());
        assertArrayEquals(new float[] {0, 1, 2, 3}, Tensor.arange(4).toArray());
        assertArrayEquals(new float[] {1, 1.5f, 2, 2.5f}, Tensor.arange(1, 3, 0.5).toArray());
        assertArrayEquals(new float[] {3, 2, 1}, Tensor.arange(3, 0, -1).toArray());
        assertArrayEquals(new float[] {0, 0.25f, 0.5f, 0.75f, 1}, Tensor.linspace(0, 1, 5).toArray());
        assertEquals(1f, Tensor.linspace(-1, 1, 7).toArray()[6]);
        assertArrayEquals(new float[] {1, 0, 0, 1}, Tensor.eye(2).toArray());
        assertEquals(0, Tensor.scalar(3).dim());
        assertEquals(3.0, Tensor.scalar(3).item());
        assertEquals(DType.FLOAT64, Tensor.zeros(DType.FLOAT64, 2).dtype());
        assertEquals(DType.INT64, Tensor.ofLongs(new long[] {1}, 1).dtype());
        // of() copies its input
        float[] data = {1, 2};
        Tensor t = Tensor.of(data, 2);
        data[0] = 9;
        assertEquals(1.0, t.get(0));
    }

    @Test
    void generatorReproducibility() {
        float[] a = Tensor.rand(new Generator(42), 100).toArray();
        float[] b = Tensor.rand(new Generator(42), 100).toArray();
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, Tensor.rand(new Generator(43), 100).toArray()));
        for (float v : a) {
            assertTrue(v >= 0 && v < 1);
        }
        float[] n1 = Tensor.randn(new Generator(7), 10000).toArray();
        assertArrayEquals(n1, Tensor.randn(new Generator(7), 10000).toArray());
        double mean = 0;
        double sq = 0;
        for (float v : n1) {
            mean += v;
            sq += v * v;
        }
        mean /= n1.length;
        assertEquals(0, mean, 0.05);
        assertEquals(1, sq / n1.length - mean * mean, 0.05);
        long[] r = Tensor.randint(new Generator(3), -2, 5, 1000).toLongArray();
        assertArrayEquals(r, Tensor.randint(new Generator(3), -2, 5, 1000).toLongArray());
        for (long v : r) {
            assertTrue(v >= -2 && v < 5);
        }
        Vgrad.manualSeed(11);
        float[] d1 = Tensor.rand(5).toArray();
        Vgrad.manualSeed(11);
        assertArrayEquals(d1, Tensor.rand(5).toArray());
        // state snapshot restores the stream
        Generator g = new Generator(5);
        g.nextGaussian();
        long[] st = g.getState();
        double next = g.nextGaussian();
        g.setState(st);
        assertEquals(next, g.nextGaussian());
        // known first values keep the stream stable across JDKs and releases
        assertEquals(new Generator(0).nextLong(), new Generator(0).nextLong());
    }

    @Test
    void viewsShareStorage() {
        Tensor base = Tensor.arange(12.0).reshape(3, 4);
        Tensor tr = base.transpose(0, 1);
        Tensor nar = base.narrow(1, 1, 2);
        Tensor sel = base.select(0, 2);
        Tensor exp = Tensor.arange(4.0).reshape(1, 4).expand(3, 4);
        Tensor uns = base.unsqueeze(0);
        Tensor perm = base.permute(1, 0);
        assertSame(base.floatStorage(), tr.floatStorage());
        assertSame(base.floatStorage(), nar.floatStorage());
        assertSame(base.floatStorage(), sel.floatStorage());
        assertSame(base.floatStorage(), uns.floatStorage());
        assertSame(base.floatStorage(), perm.floatStorage());
        assertFalse(tr.isContiguous());
        assertFalse(nar.isContiguous());
        assertEquals(0, exp.stride()[0]);
        base.detach().set(100, 2, 1);
        assertEquals(100.0, tr.get(1, 2));
        assertEquals(100.0, nar.get(2, 0));
        assertEquals(100.0, sel.get(1));
        assertEquals(1, tr.version());
        // contiguous() copies only when needed
        assertSame(base, base.contiguous());
        Tensor c = tr.contiguous();
        assertTrue(c.isContiguous());
        assertNotEquals(System.identityHashCode(base.floatStorage()), System.identityHashCode(c.floatStorage()));
        assertArrayEquals(new float[] {0, 4, 8, 1, 5, 100, 2, 6, 10, 3, 7, 11}, c.toArray());
        assertArrayEquals(tr.toArray(), c.toArray());
        // view of a 0-d tensor, and to 0-d
        assertArrayEquals(new int[] {1, 1}, Tensor.scalar(2).view(1, 1).shape());
        assertArrayEquals(new int[] {1}, Tensor.scalar(2).unsqueeze(0).shape());
        assertArrayEquals(new int[0], Tensor.ones(1, 1).view().shape());
        assertArrayEquals(new int[] {3, 2, 2}, base.view(3, 2, 2).shape());
        assertArrayEquals(new int[] {12}, tr.reshape(-1).shape());
        assertArrayEquals(new int[] {0, 5}, Tensor.zeros(0, 5).transpose(0, 1).reshape(5, 0).transpose(0, 1).shape());
    }

    @Test
    void elementAccess() {
        Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertEquals(6.0, t.get(-1, -1));
        assertEquals(4.0, t.get(1, 0));
        t.set(9, 0, 1);
        assertEquals(9.0, t.get(0, 1));
        assertEquals(1, t.version());
        assertArrayEquals(new double[] {1, 9, 3, 4, 5, 6}, t.toDoubleArray());
        assertArrayEquals(new long[] {1, 9, 3, 4, 5, 6}, t.toLongArray());
        assertEquals(5.0, Tensor.of(new float[] {5}, 1, 1).item());
        assertEquals(3, t.size(-1));
        assertEquals(6, t.numel());
        assertEquals(2, t.dim());
    }

    @Test
    void printing() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
        assertEquals("tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)", a.toString());
        assertEquals("tensor([[1., 2.],\n        [3., 4.]], grad_fn=<MulBackward0>)", a.mul(1).toString());
        assertEquals("tensor([[1., 2.],\n        [3., 4.]], grad_fn=<MulBackward0>)", a.mul(a.detach().mul(0).add(1)).toString());
        assertEquals("tensor([0.1235, 2.0000])", Tensor.of(new float[] {0.12345f, 2}, 2).toString());
        assertEquals("tensor([-1.5000,  2.2500])", Tensor.of(new float[] {-1.5f, 2.25f}, 2).toString());
        assertEquals("tensor(3.)", Tensor.scalar(3).toString());
        assertEquals("tensor(2.5000, grad_fn=<SumBackward0>)", Tensor.of(new float[] {1, 1.5f}, 2).requiresGrad(true).sum().toString());
        assertEquals("tensor([1., 2.], dtype=torch.float64)", Tensor.of(new double[] {1, 2}, 2).toString());
        assertEquals("tensor([1, 2])", Tensor.ofLongs(new long[] {1, 2}, 2).toString());
        assertEquals("tensor([])", Tensor.zeros(0).toString());
        assertEquals("tensor([], size=(0, 3))", Tensor.zeros(0, 3).toString());
        assertEquals("tensor([1.0000e-05, 1.0000e+00])", Tensor.of(new float[] {1e-5f, 1}, 2).toString());
        assertEquals("tensor([1.0000e-03, 2.0000e+00])", Tensor.of(new float[] {1e-3f, 2}, 2).toString());
        assertEquals("tensor([1.0000e+00, 1.0000e+04])", Tensor.of(new float[] {1, 1e4f}, 2).toString());
        assertEquals("tensor([nan, inf, 1.])", Tensor.of(new float[] {Float.NaN, Float.POSITIVE_INFINITY, 1}, 3).toString());
        assertEquals("tensor([[[1., 2.]],\n\n        [[3., 4.]]])", Tensor.of(new float[] {1, 2, 3, 4}, 2, 1, 2).toString());
        assertEquals("tensor([[[[1.]]],\n\n\n        [[[2.]]]])", Tensor.of(new float[] {1, 2}, 2, 1, 1, 1).toString());
        String big = Tensor.arange(2000.0).toString();
        // str(torch.arange(2000.)) in PyTorch 1.13: integral values spanning more than 1000x print in sci style
        assertEquals("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])",
                big);
    }
}
