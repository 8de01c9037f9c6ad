package dev.vgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.Generator;
import dev.vgrad.core.testing.Fixtures;
import dev.vgrad.core.testing.SeededCases;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SamplerTest {
    /** The shuffle DataLoader drew before samplers existed (copied from its epochOrder), as the reference. */
    static int[] legacyShuffle(int n, Generator g) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = (int) g.nextLong(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        return order;
    }

    static void assertPermutation(int[] order, int n) {
        assertEquals(n, order.length);
        int[] sorted = order.clone();
        Arrays.sort(sorted);
        assertArrayEquals(new SequentialSampler(n).indices(), sorted);
    }

    @Test
    void sequentialIsIdentity() {
        SeededCases.check("SequentialSampler is 0..n-1", 1901L, 50, s -> {
            int n = new Random(s).nextInt(200);
            int[] idx = new SequentialSampler(n).indices();
            assertEquals(n, idx.length);
            for (int i = 0; i < n; i++) {
                assertEquals(i, idx[i]);
            }
        });
    }

    @Test
    void randomIsPermutationInTheLegacyShuffleOrder() {
        SeededCases.check("RandomSampler = legacy shuffle, a permutation", 1902L, 60, s -> {
            Random r = new Random(s);
            int n = r.nextInt(300);
            long seed = r.nextLong();
            RandomSampler sampler = new RandomSampler(n, new Generator(seed));
            Generator ref = new Generator(seed);
            for (int epoch = 0; epoch < 3; epoch++) {
                int[] got = sampler.indices();
                assertArrayEquals(legacyShuffle(n, ref), got, "epoch " + epoch + " n=" + n + " seed=" + seed);
                assertPermutation(got, n);
            }
            // the loader's shuffle is this sampler: same order as before samplers existed
            DataLoader l = DataLoader.builder(DataLoaderTest.numbered(Math.max(n, 1))).batchSize(7).shuffle(true)
                    .generator(new Generator(seed)).build();
            List<Integer> seen = DataLoaderTest.order(l);
            int[] expected = legacyShuffle(Math.max(n, 1), new Generator(seed));
            assertEquals(Arrays.stream(expected).boxed().toList(), seen);
        });
    }

    /** Pearson's chi-square of observed counts against expected probabilities (positive ones only). */
    static double chiSquare(long[] counts, double[] p, long total) {
        double chi = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                double e = p[i] * total;
                chi += (counts[i] - e) * (counts[i] - e) / e;
            } else {
                assertEquals(0, counts[i], "index " + i + " has weight 0 but was drawn");
            }
        }
        return chi;
    }

    /**
     * A fixed, generous bound: df + 6·sqrt(2·df) + 10, far above the 99.99th percentile of chi-square(df) for
     * every df used here; the seeds are fixed, so the outcome is deterministic, not flaky.
     */
    static double bound(int df) {
        return df + 6 * Math.sqrt(2.0 * df) + 10;
    }

    static double[] weights(Random r) {
        int n = 2 + r.nextInt(12);
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = r.nextInt(4) == 0 ? 0 : 0.5 + r.nextInt(8);
        }
        w[r.nextInt(n)] = 3;
        return w;
    }

    @Test
    void weightedWithReplacementFrequenciesFollowWeights() {
        SeededCases.check("WeightedRandomSampler(replacement) chi-square", 1903L, 30, s -> {
            Random r = new Random(s);
            double[] w = weights(r);
            double sum = Arrays.stream(w).sum();
            double[] p = Arrays.stream(w).map(v -> v / sum).toArray();
            int draws = 20_000;
            int[] idx = new WeightedRandomSampler(w, draws, true, new Generator(s)).indices();
            long[] counts = new long[w.length];
            for (int i : idx) {
                counts[i]++;
            }
            int df = (int) Arrays.stream(w).filter(v -> v > 0).count() - 1;
            double chi = chiSquare(counts, p, draws);
            assertTrue(chi < bound(df), "chi2=" + chi + " df=" + df + " weights " + Arrays.toString(w));
        });
    }

    @Test
    void weightedWithoutReplacementIsDistinctAndFirstDrawFollowsWeights() {
        SeededCases.check("WeightedRandomSampler(no replacement)", 1904L, 20, s -> {
            Random r = new Random(s);
            double[] w = weights(r);
            int positive = (int) Arrays.stream(w).filter(v -> v > 0).count();
            int k = 1 + r.nextInt(positive);
            WeightedRandomSampler sampler = new WeightedRandomSampler(w, k, false, new Generator(s));
            int epochs = 6000;
            long[] first = new long[w.length];
            for (int e = 0; e < epochs; e++) {
                int[] idx = sampler.indices();
                assertEquals(k, idx.length);
                assertEquals(k, Arrays.stream(idx).distinct().count(), "indices must be distinct");
                for (int i : idx) {
                    assertTrue(w[i] > 0, "zero-weight index " + i + " drawn");
                }
                first[idx[0]]++;
            }
            double sum = Arrays.stream(w).sum();
            double[] p = Arrays.stream(w).map(v -> v / sum).toArray();
            double chi = chiSquare(first, p, epochs);
            assertTrue(chi < bound(positive - 1), "first draw chi2=" + chi + " weights " + Arrays.toString(w));
        });
    }

    @Test
    void weightedRejectsBadArgumentsWithPyTorchWording() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new WeightedRandomSampler(new double[] {1, 2}, 0, true, null)).getMessage()
                .contains("num_samples should be a positive integer value, but got num_samples=0"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new WeightedRandomSampler(new double[] {1, -2}, 1, true, null)).getMessage()
                .contains("invalid multinomial distribution (encountering probability entry < 0"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new WeightedRandomSampler(new double[] {0, 0}, 1, true, null)).getMessage()
                .contains("sum of probabilities <= 0"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new WeightedRandomSampler(new double[] {1, 0, 1}, 3, false, null)).getMessage()
                .contains("cannot sample n_sample > prob_dist.size(-1) samples without replacement"));
    }

    @Test
    void distributedMatchesPyTorchWithoutShuffle() {
        int checked = 0;
        for (Map<String, Object> c : Fixtures.cases(Fixtures.load("data.json"))) {
            if (!"distributed".equals(c.get("kind"))) {
                continue;
            }
            int n = ((Number) c.get("n")).intValue();
            int replicas = ((Number) c.get("num_replicas")).intValue();
            boolean drop = (Boolean) c.get("drop_last");
            List<Object> ranks = Fixtures.list(c, "ranks");
            for (int r = 0; r < replicas; r++) {
                @SuppressWarnings("unchecked")
                List<Object> expected = (List<Object>) ranks.get(r);
                DistributedSampler s = new DistributedSampler(n, replicas, r, false, 0, drop);
                int[] want = expected.stream().mapToInt(o -> ((Number) o).intValue()).toArray();
                assertArrayEquals(want, s.indices(), c.get("name") + " rank " + r);
                assertEquals(want.length, s.size(), c.get("name") + " rank " + r);
            }
            checked++;
        }
        assertEquals(12, checked);
    }

    @Test
    void distributedShardsPartitionThePaddedOrder() {
        SeededCases.check("DistributedSampler shards partition the padded order", 1905L, 60, s -> {
            Random r = new Random(s);
            int n = 1 + r.nextInt(60);
            int replicas = 1 + r.nextInt(6);
            boolean drop = r.nextBoolean();
            long seed = r.nextLong();
            long epoch = r.nextInt(5);
            List<int[]> shards = new ArrayList<>();
            for (int rank = 0; rank < replicas; rank++) {
                DistributedSampler d = new DistributedSampler(n, replicas, rank, true, seed, drop);
                d.setEpoch(epoch);
                shards.add(d.indices());
            }
            int total = shards.get(0).length * replicas;
            int[] merged = new int[total];
            for (int rank = 0; rank < replicas; rank++) {
                int[] sh = shards.get(rank);
                assertEquals(total / replicas, sh.length);
                for (int k = 0; k < sh.length; k++) {
                    merged[rank + k * replicas] = sh[k];
                }
            }
            // the interleaved shards are the epoch's permutation, cut or padded by repeating its start
            int[] perm = legacyShuffle(n, new Generator(seed + epoch));
            for (int pos = 0; pos < total; pos++) {
                assertEquals(perm[pos % n], merged[pos], "position " + pos);
            }
            if (drop) {
                assertTrue(total <= n && n - total < replicas, "drop_last keeps the largest multiple of R");
                assertEquals(total, Arrays.stream(merged).distinct().count(), "no index repeats with drop_last");
            } else {
                assertTrue(total >= n && total - n < replicas, "padding adds fewer than R indices");
                assertEquals(n, Arrays.stream(merged).distinct().count(), "every index appears");
            }
        });
    }

    @Test
    void distributedEpochChangesOnlyTheShuffledOrder() {
        DistributedSampler d = new DistributedSampler(50, 3, 1, true, 7, false);
        int[] e0 = d.indices();
        assertArrayEquals(e0, d.indices(), "without setEpoch every epoch repeats");
        d.setEpoch(1);
        assertTrue(!Arrays.equals(e0, d.indices()));
        DistributedSampler plain = new DistributedSampler(50, 3, 1, false, 7, false);
        plain.setEpoch(4);
        assertArrayEquals(new DistributedSampler(50, 3, 1, false, 7, false).indices(), plain.indices());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new DistributedSampler(10, 2, 2, false, 0, false))
                .getMessage().contains("Invalid rank 2, rank should be in the interval [0, 1]"));
    }

    @Test
    void loaderUsesSamplerAndRejectsItWithShuffle() {
        DataLoader l = DataLoader.builder(DataLoaderTest.numbered(10)).batchSize(3)
                .sampler(new DistributedSampler(10, 3, 2, false, 0, false)).build();
        assertEquals(2, l.numBatches());
        assertEquals(List.of(2, 5, 8, 1), DataLoaderTest.order(l));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(DataLoaderTest.numbered(3))
                .shuffle(true).sampler(new SequentialSampler(3)).build()).getMessage()
                .contains("sampler option is mutually exclusive with shuffle"));
        assertThrows(IndexOutOfBoundsException.class, () -> DataLoader.builder(DataLoaderTest.numbered(3))
                .sampler(new SequentialSampler(5)).build().iterator());
    }
}
