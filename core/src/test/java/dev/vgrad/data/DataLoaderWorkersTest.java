package dev.vgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.SeededCases;
import dev.vgrad.data.transforms.ColorJitter;
import dev.vgrad.data.transforms.Compose;
import dev.vgrad.data.transforms.RandomCrop;
import dev.vgrad.data.transforms.RandomHorizontalFlip;
import dev.vgrad.data.transforms.RandomResizedCrop;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DataLoaderWorkersTest {
    /** n random images [1, 6, 6] (values k/16 in [0, 1]) with labels i % 10. */
    static TensorDataset images(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * 36];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(17) / 16f;
        }
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 10;
        }
        return new TensorDataset(Tensor.of(x, n, 1, 6, 6), Tensor.ofLongs(y, n));
    }

    static final Compose AUGMENT = Compose.of(new RandomCrop(6, 6, 2, -0.5f), new RandomHorizontalFlip(),
            new ColorJitter(0.3, 0.3), new RandomResizedCrop(6, 6, 0.3, 1.0, 0.75, 4.0 / 3.0));

    /** Every batch of {@code epochs} epochs, as raw field arrays and indices. */
    static List<Object> run(DataLoader l, int epochs) {
        List<Object> out = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            for (Batch b : l) {
                out.add(b.indices());
                out.add(b.get(0).toArray());
                out.add(b.get(0).shape());
                out.add(b.get(1).toLongArray());
            }
        }
        return out;
    }

    static void assertSameBatches(List<Object> want, List<Object> got, String what) {
        assertEquals(want.size(), got.size(), what);
        for (int i = 0; i < want.size(); i++) {
            Object a = want.get(i);
            Object b = got.get(i);
            if (a instanceof int[] ai) {
                assertArrayEquals(ai, (int[]) b, what + " item " + i);
            } else if (a instanceof float[] af) {
                // bit for bit: compare raw bits, not values within a tolerance
                float[] bf = (float[]) b;
                assertEquals(af.length, bf.length, what);
                for (int k = 0; k < af.length; k++) {
                    assertEquals(Float.floatToRawIntBits(af[k]), Float.floatToRawIntBits(bf[k]), what + " item " + i);
                }
            } else {
                assertArrayEquals((long[]) a, (long[]) b, what + " item " + i);
            }
        }
    }

    static DataLoader loader(Dataset d, long seed, int batch, boolean dropLast, int workers, int prefetch) {
        return DataLoader.builder(d).batchSize(batch).shuffle(true).generator(new Generator(seed)).dropLast(dropLast)
                .transform(AUGMENT).seed(seed * 31 + 7).numWorkers(workers).prefetchFactor(prefetch).build();
    }

    @Test
    void batchesAreBitIdenticalForAnyWorkerCountAndPrefetchDepth() {
        SeededCases.check("batches identical for workers 0..3, any prefetch", 1911L, 12, s -> {
            Random r = new Random(s);
            int n = 1 + r.nextInt(40);
            int batch = 1 + r.nextInt(9);
            boolean drop = r.nextBoolean();
            Dataset d = r.nextBoolean() ? images(n, s) : images(n + 5, s).subset(3, 3 + n);
            List<Object> ref = run(loader(d, s, batch, drop, 0, 1), 2);
            for (int workers = 1; workers <= 3; workers++) {
                int prefetch = 1 + r.nextInt(4);
                assertSameBatches(ref, run(loader(d, s, batch, drop, workers, prefetch), 2),
                        "workers " + workers + " prefetch " + prefetch + " n " + n + " batch " + batch);
            }
        });
    }

    @Test
    void sampleDrawsDependOnlyOnSeedEpochAndIndex() {
        TensorDataset d = images(12, 3);
        DataLoader shuffled = loader(d, 5, 4, false, 2, 2);
        DataLoader plain = DataLoader.builder(d).batchSize(5).transform(AUGMENT).seed(5 * 31 + 7).build();
        for (int epoch = 0; epoch < 2; epoch++) {
            float[][] byIndex = new float[12][];
            for (Batch b : plain) {
                float[] x = b.get(0).toArray();
                for (int i = 0; i < b.size(); i++) {
                    byIndex[b.indices()[i]] = java.util.Arrays.copyOfRange(x, i * 36, i * 36 + 36);
                }
            }
            for (Batch b : shuffled) {
                float[] x = b.get(0).toArray();
                for (int i = 0; i < b.size(); i++) {
                    assertArrayEquals(byIndex[b.indices()[i]], java.util.Arrays.copyOfRange(x, i * 36, i * 36 + 36),
                            "epoch " + epoch + " sample " + b.indices()[i]);
                }
            }
        }
        // a new epoch number gives new draws; setEpoch replays one
        DataLoader a = DataLoader.builder(d).batchSize(12).transform(AUGMENT).seed(1).build();
        float[] e0 = a.iterator().next().get(0).toArray();
        float[] e1 = a.iterator().next().get(0).toArray();
        assertFalse(java.util.Arrays.equals(e0, e1));
        a.setEpoch(0);
        assertArrayEquals(e0, a.iterator().next().get(0).toArray());
    }

    static final class Boom extends RuntimeException {
        Boom(String m) {
            super(m);
        }
    }

    /** A data set whose sample {@code bad} throws {@link Boom}. */
    static Dataset failingAt(int n, int bad) {
        TensorDataset base = images(n, 1);
        return new Dataset() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public List<Tensor> get(int i) {
                if (i == bad) {
                    throw new Boom("sample " + i + " is corrupt");
                }
                return base.get(i);
            }
        };
    }

    static long liveWorkers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("vgrad-data-worker-") && t.isAlive()).count();
    }

    @Test
    void workerExceptionReachesCallerAndNoWorkerIsLeft() {
        // 20 runs in one test: any run leaving a thread alive or losing the cause fails it
        for (int run = 0; run < 20; run++) {
            int workers = 1 + run % 3;
            int bad = 5 + run;
            DataLoader l = DataLoader.builder(failingAt(40, bad)).batchSize(4).numWorkers(workers)
                    .prefetchFactor(1 + run % 2).build();
            BatchIterator it = l.iterator();
            int delivered = 0;
            IllegalStateException e = null;
            try {
                while (it.hasNext()) {
                    it.next();
                    delivered++;
                }
            } catch (IllegalStateException ex) {
                e = ex;
            }
            assertTrue(e != null, "run " + run + ": the failure must reach the caller");
            assertInstanceOf(Boom.class, e.getCause(), "run " + run);
            assertTrue(e.getMessage().contains("batch " + bad / 4) && e.getMessage().contains("is corrupt"),
                    e.getMessage());
            assertEquals(bad / 4, delivered, "batches before the failing one are delivered in order");
            assertFalse(it.hasNext());
            assertEquals(0, liveWorkers(), "run " + run + ": worker threads still alive after the failure");
        }
        Boom direct = assertThrows(Boom.class, () -> {
            for (Batch b : DataLoader.builder(failingAt(10, 3)).batchSize(2).build()) {
                assertTrue(b.size() > 0);
            }
        });
        assertTrue(direct.getMessage().contains("sample 3"), "without workers the exception propagates unchanged");
    }

    @Test
    void abandonedIteratorLeavesNoThreadAfterClose() {
        for (int run = 0; run < 20; run++) {
            DataLoader l = loader(images(64, run), run, 4, false, 1 + run % 3, 1 + run % 4);
            try (BatchIterator it = l.iterator()) {
                for (int k = 0; k < 1 + run % 5; k++) {
                    assertEquals(4, it.next().size());
                }
            }
            assertEquals(0, liveWorkers(), "run " + run + ": worker threads alive after close()");
        }
        BatchIterator exhausted = loader(images(9, 1), 1, 4, false, 2, 2).iterator();
        while (exhausted.hasNext()) {
            exhausted.next();
        }
        assertEquals(0, liveWorkers(), "an exhausted iterator closes itself");
    }

    @Test
    void transformWithoutWorkersKeepsFieldsAndLabels() {
        TensorDataset d = images(10, 2);
        Batch b = DataLoader.builder(d).batchSize(10).transform((img, g) -> img.mul(2)).build().iterator().next();
        assertArrayEquals(new int[] {10, 1, 6, 6}, b.get(0).shape());
        float[] raw = d.tensor(0).toArray();
        float[] got = b.get(0).toArray();
        for (int i = 0; i < raw.length; i++) {
            assertEquals(2 * raw[i], got[i]);
        }
        assertEquals(3, b.get(1).toLongArray()[3]);
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(d).numWorkers(-1));
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(d).prefetchFactor(0));
    }
}
