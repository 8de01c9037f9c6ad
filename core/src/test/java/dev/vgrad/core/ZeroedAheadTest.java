package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Arrays prepared ahead on the background thread ({@link ZeroedAhead}): every array a request gets is all zeros
 * and handed to one caller only, also when several threads ask for the same length at once, and the path is not
 * vacuous (prepared arrays are really served). Tensors of those sizes, zeroed or written whole by an op, hold the
 * values they must.
 */
class ZeroedAheadTest {
    private static final int N = ZeroedAhead.MIN_LENGTH;

    @Test
    void everyArrayIsFreshZeroedAndHandedOutOnce() throws Exception {
        Set<Object> handedOut = Collections.newSetFromMap(new IdentityHashMap<>());
        long served0 = ZeroedAhead.served();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            for (int round = 0; round < 8; round++) {
                List<Future<List<float[]>>> parts = new ArrayList<>();
                for (int t = 0; t < 3; t++) {
                    int mark = round * 3 + t + 1;
                    parts.add(pool.submit(() -> {
                        List<float[]> got = new ArrayList<>();
                        for (int i = 0; i < 4; i++) {
                            float[] a = ZeroedAhead.floats(N + (i & 1));
                            for (int j = 0; j < a.length; j += 997) {
                                if (a[j] != 0f) {
                                    throw new AssertionError("element " + j + " of a fresh array is " + a[j]);
                                }
                            }
                            java.util.Arrays.fill(a, mark); // a second owner would see this
                            got.add(a);
                            Thread.sleep(2); // lets the background thread prepare the next one
                        }
                        return got;
                    }));
                }
                for (Future<List<float[]>> f : parts) {
                    for (float[] a : f.get()) {
                        if (!handedOut.add(a)) {
                            fail("an array was handed out twice");
                        }
                    }
                }
                handedOut.clear(); // the arrays may now be collected; identity checks are per round
            }
        } finally {
            pool.shutdownNow();
        }
        if (ZeroedAhead.enabled()) {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (ZeroedAhead.served() == served0 && System.nanoTime() < deadline) {
                float[] a = ZeroedAhead.floats(N);
                assertEquals(0f, a[a.length - 1]);
                Thread.sleep(5);
            }
            assertTrue(ZeroedAhead.served() > served0, "no prepared array was ever served");
        }
    }

    @Test
    void preparesAheadOnlyWhenAnotherProcessorCouldOverlapIt() {
        // the surefire JVM runs without -Dvgrad.zeroAhead; on one processor the background thread would only
        // compete with the caller for its core (docs/SEMANTICS.md §25)
        assertEquals(Runtime.getRuntime().availableProcessors() > 1, ZeroedAhead.enabled());
    }

    @Test
    void largeTensorsHoldTheirValuesWhateverArrayTheyGet() {
        int n = N + 3;
        Tensor a = Tensor.arange(n).mul(0.5);
        Tensor b = Tensor.ones(n);
        for (int i = 0; i < 6; i++) {
            Tensor z = Tensor.zeros(n);
            assertEquals(0.0, z.abs().sum().item(), "zeros of " + n + " after " + i + " rounds");
            Tensor c = a.add(b);
            float[] got = c.toArray();
            for (int j = 0; j < n; j++) {
                if (got[j] != j * 0.5f + 1f) {
                    fail("element " + j + " of a + b is " + got[j] + " after " + i + " rounds");
                }
            }
            z.add_(7); // dirty the zeros' array; no later request may get it back
        }
    }
}
