package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import org.junit.jupiter.api.Test;

/** Shapes and values of the simple layers, Embedding, LayerNorm and the functional helpers. */
class LayersTest {
    @Test
    void activationsMatchCoreOps() {
        Tensor x = Tensor.of(new double[] {-2, -0.5, 0, 0.5, 3}, 5);
        assertArrayEquals(x.relu().toDoubleArray(), new ReLU().forward(x).toDoubleArray());
        assertArrayEquals(x.leakyRelu(0.2).toDoubleArray(), new LeakyReLU(0.2).forward(x).toDoubleArray());
        assertArrayEquals(x.gelu().toDoubleArray(), new GELU().forward(x).toDoubleArray());
        assertArrayEquals(x.silu().toDoubleArray(), new SiLU().forward(x).toDoubleArray());
        assertArrayEquals(x.tanh().toDoubleArray(), new Tanh().forward(x).toDoubleArray());
        assertArrayEquals(x.sigmoid().toDoubleArray(), new Sigmoid().forward(x).toDoubleArray());
        assertArrayEquals(x.softmax(0).toDoubleArray(), new Softmax(0).forward(x).toDoubleArray());
        // GELU tanh approximation: 0.5x(1+tanh(√(2/π)(x+0.044715x³)))
        double v = 0.5 * 3 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (3 + 0.044715 * 27)));
        assertEquals(v, new GELU("tanh").forward(x).get(4), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> new GELU("fast"));
        Tensor id = Tensor.ones(2);
        assertTrue(id == new Identity().forward(id));
    }

    @Test
    void flattenAndSequential() {
        Tensor x = Tensor.ones(2, 3, 4, 5);
        assertArrayEquals(new int[] {2, 60}, new Flatten().forward(x).shape());
        assertArrayEquals(new int[] {6, 4, 5}, new Flatten(0, 1).forward(x).shape());
        Sequential s = new Sequential(new Linear(4, 3, true, new Generator(1)), new ReLU());
        s.append(new Linear(3, 2, true, new Generator(2)));
        assertEquals(3, s.size());
        assertTrue(s.get(-1) instanceof Linear);
        assertArrayEquals(new int[] {7, 2}, s.forward(Tensor.ones(7, 4)).shape());
        assertArrayEquals(new int[] {2, 5, 2}, s.forward(Tensor.ones(2, 5, 4)).shape());
    }

    /**
     * x·wᵀ's backward produces w.grad in w's own (contiguous) layout, as ATen's mm backward does, so the optimizer
     * never copies it; the values equal the transposed product gᵀ·x.
     */
    @Test
    void linearWeightGradientKeepsTheWeightLayout() {
        Generator gen = new Generator(5);
        Linear l = new Linear(7, 5, true, gen);
        Tensor x = Tensor.randn(gen, 3, 7);
        Tensor g = Tensor.randn(gen, 3, 5);
        l.forward(x).backward(g);
        Tensor gw = l.weight().grad();
        assertTrue(gw.isContiguous(), "weight grad contiguous");
        assertArrayEquals(g.t().matmul(x).toArray(), gw.toArray(), 1e-6f);
    }

    @Test
    void linearShapeError() {
        Linear l = new Linear(4, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.forward(Tensor.ones(2, 5)));
        assertEquals("mat1 and mat2 shapes cannot be multiplied (2x5 and 4x3)", e.getMessage());
    }

    @Test
    void embeddingLookupAndErrors() {
        Embedding e = new Embedding(5, 3, 0, new Generator(4));
        assertArrayEquals(new float[3], e.weight().select(0, 0).toArray(), "padding row is zero");
        Tensor idx = Tensor.ofLongs(new long[] {1, 4, 0, 1}, 2, 2);
        Tensor y = e.forward(idx);
        assertArrayEquals(new int[] {2, 2, 3}, y.shape());
        assertArrayEquals(e.weight().select(0, 4).toArray(), y.select(0, 0).select(0, 1).toArray());
        assertThrows(IndexOutOfBoundsException.class, () -> e.forward(Tensor.ofLongs(new long[] {5}, 1)));
        assertThrows(IllegalArgumentException.class, () -> e.forward(Tensor.ones(2)));
        assertEquals("Embedding(5, 3, padding_idx=0)", e.toString());
    }

    @Test
    void layerNormNormalisesTrailingDims() {
        LayerNorm ln = new LayerNorm(new int[] {2, 3}, 1e-5, true, true);
        ln.to(DType.FLOAT64);
        Tensor x = Tensor.randn(new Generator(8), 4, 2, 3).toDouble().mul(3.0).add(1.0);
        Tensor y = ln.forward(x);
        double[] m = y.mean(new int[] {1, 2}, false).toDoubleArray();
        double[] v = y.var(new int[] {1, 2}, 0, false).toDoubleArray();
        for (int i = 0; i < 4; i++) {
            assertEquals(0, m[i], 1e-12);
            assertEquals(1, v[i], 1e-4);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ln.forward(Tensor.ones(2, 3, 2)));
        assertEquals("Given normalized_shape=[2, 3], expected input with shape [*, 2, 3], but got input of size[2, 3, 2]",
                e.getMessage());
    }

    @Test
    void convAndPoolingLayers() {
        Tensor x = Tensor.randn(new Generator(1), 2, 3, 8, 8);
        assertArrayEquals(new int[] {2, 4, 8, 8}, new Conv2d(3, 4, 3, 1, 1).forward(x).shape());
        assertArrayEquals(new int[] {2, 4, 4, 4}, new Conv2d(3, 4, 3, 2, 1).forward(x).shape());
        assertArrayEquals(new int[] {2, 3, 4, 4}, new MaxPool2d(2).forward(x).shape());
        assertArrayEquals(new int[] {2, 3, 4, 4}, new AvgPool2d(2).forward(x).shape());
        assertArrayEquals(new int[] {2, 3, 1, 1}, new AdaptiveAvgPool2d(1).forward(x).shape());
        assertArrayEquals(new int[] {2, 4, 8, 8}, new Conv2d(3, 4, new int[] {4, 4}, new int[] {1, 1}, "same",
                new int[] {1, 1}, 1, true, new Generator(2)).forward(x).shape());
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 4, new int[] {3, 3}, new int[] {2, 2}, "same",
                new int[] {1, 1}, 1, true, new Generator(2)));
    }

    @Test
    void conv2dConstructorChecks() {
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 4, new int[] {3, 3}, new int[] {1, 1},
                new int[] {0, 0}, new int[] {1, 1}, 2, true, new Generator(1)));
        assertEquals("Conv2d(8, 16, kernel_size=(3, 3), stride=(2, 2), dilation=(2, 2), groups=2, bias=False)",
                new Conv2d(8, 16, new int[] {3, 3}, new int[] {2, 2}, new int[] {0, 0}, new int[] {2, 2}, 2, false,
                        new Generator(1)).toString());
    }

    @Test
    void pythonFloatRepr() {
        assertEquals("1e-05", Py.repr(1e-5));
        assertEquals("0.1", Py.repr(0.1));
        assertEquals("1.0", Py.repr(1.0));
        assertEquals("0.0001", Py.repr(1e-4));
        assertEquals("1e+16", Py.repr(1e16));
        assertEquals("1.5e-07", Py.repr(1.5e-7));
        assertEquals("-2.5", Py.repr(-2.5));
        assertEquals("123456.0", Py.repr(123456));
    }
}
