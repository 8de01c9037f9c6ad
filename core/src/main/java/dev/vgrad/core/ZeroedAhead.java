package dev.vgrad.core;

import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Large fresh arrays, allocated (and so zeroed by the JVM) ahead of need on a background thread. A new Java array
 * is zeroed by the thread that allocates it, before the op can start: for a 16M-element result about 3 ms of one
 * core, against 2–4 ms for the op itself on two. A program that allocates a large size once tends to allocate it
 * again (a loop of the same shapes), so the second request of a length schedules one more array of that length,
 * and later requests take the one made ready meanwhile and schedule its successor: the zeroing overlaps the
 * caller's work instead of preceding it.
 *
 * <p>Why it cannot alias: a prepared array is fresh (all zeros, never seen by anyone) and is handed out once,
 * under a lock, after which nothing here refers to it. So it serves both a zeroed and an uninitialized request.
 *
 * <p>Bounded: only arrays of at least {@link #MIN_LENGTH} elements, at most one prepared (or being prepared) per
 * length, at most {@link #CAP_BYTES} bytes in all (the least recently requested lengths' arrays are dropped first),
 * and each held through a {@link SoftReference}, so the collector takes them before it would throw
 * {@link OutOfMemoryError}. The thread ends after a second idle. {@code -Dvgrad.zeroAhead=false} turns it off, and
 * it is off when the JVM sees one processor.
 */
final class ZeroedAhead {
    /** Arrays shorter than this (4 MiB of floats) are left to the allocator. */
    static final int MIN_LENGTH = 1 << 20;
    /**
     * On one processor (a process pinned to one core) there is nothing to overlap with: the background thread would
     * zero on the caller's core, and the arrays it holds ready are live at every young collection, which copies them.
     */
    private static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("vgrad.zeroAhead"))
            && Runtime.getRuntime().availableProcessors() > 1;
    private static final long CAP_BYTES = Math.min(Runtime.getRuntime().maxMemory() / 16, 512L << 20);
    /** Lengths requested at least once, most recent last, so a second request is recognised. */
    private static final int SEEN = 16;

    private static final Object LOCK = new Object();
    /** Prepared arrays by key (length, and the sign for doubles), in order of last request. */
    private static final LinkedHashMap<Long, SoftReference<Object>> READY = new LinkedHashMap<>(16, 0.75f, true);
    private static final Set<Long> PENDING = new HashSet<>();
    private static final LinkedHashMap<Long, Boolean> SEEN_KEYS = new LinkedHashMap<>(32, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
            return size() > SEEN;
        }
    };
    /** Bytes of arrays ready or being prepared. */
    private static long bytes;
    /** Arrays handed out prepared, for tests. */
    private static long served;
    private static ThreadPoolExecutor worker;

    private ZeroedAhead() {}

    /** A fresh zeroed float array of {@code n} elements, prepared ahead when one is ready. */
    static float[] floats(int n) {
        return n < MIN_LENGTH || !ENABLED ? new float[n] : (float[]) take(n, true);
    }

    /** As {@link #floats} for doubles. */
    static double[] doubles(int n) {
        return n < MIN_LENGTH || !ENABLED ? new double[n] : (double[]) take(n, false);
    }

    private static Object take(int n, boolean isFloat) {
        long key = isFloat ? n : -(long) n;
        long size = (isFloat ? 4L : 8L) * n;
        Object a = null;
        synchronized (LOCK) {
            SoftReference<Object> ref = READY.remove(key);
            if (ref != null) {
                bytes -= size;
                a = ref.get();
                if (a != null) {
                    served++;
                }
            }
            boolean again = SEEN_KEYS.put(key, Boolean.TRUE) != null;
            if (again && !PENDING.contains(key) && size <= CAP_BYTES) {
                makeRoom(size);
                if (bytes + size <= CAP_BYTES) {
                    PENDING.add(key);
                    bytes += size;
                    worker().execute(() -> prepare(key, n, isFloat, size));
                }
            }
        }
        if (a != null) {
            return a;
        }
        return isFloat ? new float[n] : new double[n];
    }

    /** Drops prepared arrays of the least recently requested lengths until {@code size} more bytes fit. */
    private static void makeRoom(long size) {
        Iterator<Map.Entry<Long, SoftReference<Object>>> it = READY.entrySet().iterator();
        while (bytes + size > CAP_BYTES && it.hasNext()) {
            long k = it.next().getKey();
            it.remove();
            bytes -= (k > 0 ? 4L : 8L) * Math.abs(k);
        }
    }

    private static void prepare(long key, int n, boolean isFloat, long size) {
        Object a;
        try {
            a = isFloat ? new float[n] : new double[n];
        } catch (OutOfMemoryError e) {
            a = null;
        }
        synchronized (LOCK) {
            PENDING.remove(key);
            if (a == null || READY.containsKey(key)) {
                bytes -= size;
            } else {
                READY.put(key, new SoftReference<>(a));
            }
        }
    }

    private static ThreadPoolExecutor worker() {
        if (worker == null) {
            worker = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "vgrad-zero-ahead");
                t.setDaemon(true);
                return t;
            });
            worker.allowCoreThreadTimeOut(true);
        }
        return worker;
    }

    /** Arrays handed out prepared so far (for tests). */
    static long served() {
        synchronized (LOCK) {
            return served;
        }
    }

    /** Whether preparing ahead is on ({@code -Dvgrad.zeroAhead}). */
    static boolean enabled() {
        return ENABLED;
    }
}
