package dev.vgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DataLoaderTest {
    /** x[i] = [i, 1000 + i] (as a [2] row), y[i] = i. */
    static TensorDataset numbered(int n) {
        float[] x = new float[2 * n];
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = i;
            x[2 * i + 1] = 1000 + i;
            y[i] = i;
        }
        return new TensorDataset(Tensor.of(x, n, 2), Tensor.ofLongs(y, n));
    }

    /** A generic (non-tensor) data set producing the same samples as {@link #numbered}. */
    static Dataset generic(int n) {
        return new Dataset() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public List<Tensor> get(int i) {
                return List.of(Tensor.of(new float[] {i, 1000 + i}, 2), Tensor.ofLongs(new long[] {i}));
            }
        };
    }

    static List<Integer> order(DataLoader loader) {
        List<Integer> seen = new ArrayList<>();
        for (Batch b : loader) {
            long[] y = b.get(1).toLongArray();
            float[] x = b.get(0).toArray();
            assertArrayEquals(new int[] {b.size(), 2}, b.get(0).shape());
            assertEquals(DType.INT64, b.get(1).dtype());
            for (int i = 0; i < y.length; i++) {
                assertEquals(y[i], (long) x[2 * i]);
                assertEquals(1000 + y[i], (long) x[2 * i + 1]);
                seen.add((int) y[i]);
            }
        }
        return seen;
    }

    @Test
    void sequentialBatchesKeepOrderAndLastBatch() {
        DataLoader l = DataLoader.builder(numbered(10)).batchSize(4).build();
        assertEquals(3, l.numBatches());
        assertEquals(10, l.numSamples());
        List<Integer> sizes = new ArrayList<>();
        for (Batch b : l) {
            sizes.add(b.size());
        }
        assertEquals(List.of(4, 4, 2), sizes);
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), order(l));
        DataLoader shuffled = DataLoader.builder(numbered(10)).batchSize(4).shuffle(true).generator(new Generator(1)).build();
        for (Batch b : shuffled) {
            long[] y = b.get(1).toLongArray();
            for (int i = 0; i < y.length; i++) {
                assertEquals(b.indices()[i], (int) y[i]);
            }
        }
    }

    @Test
    void dropLastSkipsIncompleteBatch() {
        DataLoader l = DataLoader.builder(numbered(10)).batchSize(4).dropLast(true).build();
        assertEquals(2, l.numBatches());
        assertEquals(8, l.numSamples());
        assertEquals(8, order(l).size());
        DataLoader exact = DataLoader.builder(numbered(8)).batchSize(4).dropLast(true).build();
        assertEquals(2, exact.numBatches());
        DataLoader tiny = DataLoader.builder(numbered(3)).batchSize(4).dropLast(true).build();
        assertEquals(0, tiny.numBatches());
        assertFalse(tiny.iterator().hasNext());
    }

    @Test
    void labelsBecomeVectorAndImagesGainBatchDim() {
        Tensor x = Tensor.zeros(5, 1, 3, 3);
        Tensor y = Tensor.ofLongs(new long[] {1, 2, 3, 4, 5}, 5);
        Batch b = DataLoader.builder(new TensorDataset(x, y)).batchSize(2).build().iterator().next();
        assertArrayEquals(new int[] {2, 1, 3, 3}, b.get(0).shape());
        assertArrayEquals(new int[] {2}, b.get(1).shape());
        Batch g = DataLoader.collate(new TensorDataset(x, y), new int[] {4, 0});
        assertArrayEquals(new long[] {5, 1}, g.get(1).toLongArray());
    }

    @Test
    void shuffleIsSeededAndDeterministic() {
        DataLoader a = DataLoader.builder(numbered(50)).batchSize(7).shuffle(true).generator(new Generator(42)).build();
        DataLoader b = DataLoader.builder(numbered(50)).batchSize(7).shuffle(true).generator(new Generator(42)).build();
        List<Integer> a1 = order(a);
        List<Integer> a2 = order(a);
        assertEquals(a1, order(b));
        assertEquals(a2, order(b));
        assertNotEquals(a1, a2, "each epoch draws a new permutation");
        DataLoader c = DataLoader.builder(numbered(50)).batchSize(7).shuffle(true).generator(new Generator(43)).build();
        assertNotEquals(a1, order(c));
    }

    @Test
    void restoringGeneratorStateResumesEpochSequence() {
        Generator g = new Generator(7);
        DataLoader l = DataLoader.builder(numbered(30)).batchSize(4).shuffle(true).generator(g).build();
        order(l);
        long[] state = g.getState();
        List<Integer> second = order(l);
        Generator g2 = new Generator(999);
        g2.setState(state);
        DataLoader resumed = DataLoader.builder(numbered(30)).batchSize(4).shuffle(true).generator(g2).build();
        assertEquals(second, order(resumed));
    }

    @Test
    void genericDatasetAndSubsetMatchTensorFastPath() {
        Generator g1 = new Generator(5);
        Generator g2 = new Generator(5);
        DataLoader fast = DataLoader.builder(numbered(23)).batchSize(5).shuffle(true).generator(g1).build();
        DataLoader slow = DataLoader.builder(generic(23)).batchSize(5).shuffle(true).generator(g2).build();
        assertEquals(order(fast), order(slow));
        Dataset sub = numbered(40).subset(10, 20);
        assertEquals(List.of(10, 11, 12, 13, 14, 15, 16, 17, 18, 19), order(DataLoader.builder(sub).batchSize(3).build()));
        assertEquals(List.of(12, 13), order(DataLoader.builder(sub.subset(2, 4)).batchSize(3).build()));
    }

    /** Bool fields (masks) collate into bool batches, through the TensorDataset gather and the generic stack. */
    @Test
    void boolFieldsStayBool() {
        Tensor masks = Tensor.of(new boolean[] {true, false, false, false, true, true, false, true, false, true, true,
            true}, 4, 3);
        Batch fast = DataLoader.collate(new TensorDataset(masks), new int[] {2, 0});
        Dataset slow = new Dataset() {
            @Override
            public int size() {
                return 4;
            }

            @Override
            public List<Tensor> get(int i) {
                return List.of(masks.select(0, i));
            }
        };
        Batch stacked = DataLoader.collate(slow, new int[] {2, 0});
        for (Batch b : List.of(fast, stacked)) {
            assertEquals(DType.BOOL, b.get(0).dtype());
            assertArrayEquals(new int[] {2, 3}, b.get(0).shape());
            assertArrayEquals(new boolean[] {false, true, false, true, false, false}, b.get(0).toBooleanArray());
            assertEquals("tensor([[False,  True, False],\n        [ True, False, False]])", b.get(0).toString());
        }
    }

    @Test
    void nonContiguousFieldsAreGathered() {
        Tensor base = Tensor.arange(12).view(3, 4).t(); // [4, 3], non-contiguous
        TensorDataset ds = new TensorDataset(base);
        Batch b = DataLoader.collate(ds, new int[] {3, 1});
        assertArrayEquals(new float[] {3, 7, 11, 1, 5, 9}, b.get(0).toArray());
    }

    @Test
    void validation() {
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(numbered(3)).batchSize(0));
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(null));
        assertThrows(IllegalArgumentException.class, () -> new TensorDataset(Tensor.zeros(3, 2), Tensor.zeros(4)));
        assertThrows(IllegalArgumentException.class, () -> new TensorDataset(Tensor.scalar(1)));
        assertThrows(IllegalArgumentException.class, TensorDataset::new);
        assertThrows(IndexOutOfBoundsException.class, () -> numbered(3).get(3));
        assertThrows(IndexOutOfBoundsException.class, () -> numbered(3).subset(2, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> new Subset(numbered(3), new int[] {-1}));
        // an index past the subset (not past its base) is named, never a bare ArrayIndexOutOfBoundsException
        Subset sub = new Subset(numbered(3), new int[] {2, 0});
        for (int bad : new int[] {2, -1}) {
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> sub.get(bad));
            assertEquals("Subset: index " + bad + " is out of range for a subset of size 2", e.getMessage());
            assertFalse(e instanceof ArrayIndexOutOfBoundsException);
            assertThrows(IndexOutOfBoundsException.class, () -> sub.baseIndex(bad));
        }
    }

    @Test
    void tensorDatasetGetReturnsRows() {
        List<Tensor> s = numbered(4).get(2);
        assertArrayEquals(new float[] {2, 1002}, s.get(0).toArray());
        assertEquals(0, s.get(1).dim());
        assertEquals(2, (long) s.get(1).item());
    }

    @Test
    void genericSamplesOfDifferentShapesAreRejected() {
        Dataset ragged = new Dataset() {
            @Override
            public int size() {
                return 2;
            }

            @Override
            public List<Tensor> get(int i) {
                return List.of(Tensor.zeros(i + 1));
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DataLoader.builder(ragged).batchSize(2).build().iterator().next());
        assertTrue(e.getMessage().contains("sample 1 has shape [2]"), e.getMessage());
    }

    /** Every epoch visits each sample at most once, exactly once without dropLast; batch sizes are right. */
    @Test
    void everyEpochIsAPermutation() {
        qt().withExamples(80).forAll(integers().between(1, 60), integers().between(1, 17), booleans().all(), longs().all())
                .checkAssert((n, bs, dropLast, seed) -> {
                    DataLoader l = DataLoader.builder(numbered(n)).batchSize(bs).dropLast(dropLast).shuffle(true)
                            .generator(new Generator(seed)).build();
                    List<Integer> seen = order(l);
                    assertEquals(l.numSamples(), seen.size());
                    assertEquals(seen.size(), seen.stream().distinct().count());
                    if (!dropLast) {
                        int[] sorted = seen.stream().mapToInt(Integer::intValue).sorted().toArray();
                        int[] expect = new int[n];
                        Arrays.setAll(expect, i -> i);
                        assertArrayEquals(expect, sorted);
                    }
                    int count = 0;
                    for (Batch b : l) {
                        count++;
                        assertTrue(b.size() == bs || (!dropLast && count == l.numBatches() && b.size() == n % bs));
                    }
                    assertEquals(l.numBatches(), count);
                });
    }
}
