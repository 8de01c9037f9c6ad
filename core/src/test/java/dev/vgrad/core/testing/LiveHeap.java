package dev.vgrad.core.testing;

import java.util.Arrays;

/**
 * Measures retained memory for leak tests, and tells a leak from a bounded one-off.
 *
 * <p><b>What is measured.</b> {@link #liveBytes()} is the exact size of the reachable objects: the HotSpot class
 * histogram ({@code GC.class_histogram}) runs a full collection and sums what is live. "Used heap after
 * {@code System.gc()}" is not that: the serial collector's full GC leaves up to {@code MarkSweepDeadRatio} of the
 * old generation as uncompacted dead space and compacts fully only every few collections, so the same live set
 * reads 1.7 MB higher or lower from one sample to the next, depending on how many collections ran before.
 *
 * <p><b>How a leak is judged.</b> A leak grows with the number of steps; a worker's scratch buffer or a lazily
 * initialised cache grows once. {@link #persistentGrowth} splits the samples taken after warm-up into three
 * consecutive windows and calls it a leak only when the median of each window exceeds the median of the window
 * before it by more than {@code delta}. A single bounded jump, of any size and at any time, raises at most one of
 * the two differences, so it can never trip the test; a leak of {@code r} bytes per step raises both by about
 * {@code r} times the steps between window centres.
 */
public final class LiveHeap {
    private LiveHeap() {}

    /** Exact bytes of reachable objects after a full collection (falls back to used heap after GC). */
    public static long liveBytes() {
        try {
            // by reflection: core's test classes are compiled into the dev.vgrad.core module, which does not
            // read java.management (the tests themselves run on the class path, where every module is there)
            Object server = Class.forName("java.lang.management.ManagementFactory")
                    .getMethod("getPlatformMBeanServer").invoke(null);
            Class<?> objectName = Class.forName("javax.management.ObjectName");
            Object name = objectName.getConstructor(String.class)
                    .newInstance("com.sun.management:type=DiagnosticCommand");
            Object out = Class.forName("javax.management.MBeanServerConnection")
                    .getMethod("invoke", objectName, String.class, Object[].class, String[].class)
                    .invoke(server, name, "gcClassHistogram", new Object[] {new String[0]},
                            new String[] {String[].class.getName()});
            String[] lines = ((String) out).strip().split("\n");
            String[] total = lines[lines.length - 1].trim().split("\\s+");
            if (total.length == 3 && total[0].equals("Total")) {
                return Long.parseLong(total[2]);
            }
        } catch (Exception | LinkageError e) {
            // not a HotSpot JVM: fall back below
        }
        Runtime rt = Runtime.getRuntime();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }

    /** The verdict of {@link #persistentGrowth}: the three window medians and whether both steps exceed delta. */
    public record Growth(long first, long middle, long last, long delta, boolean leak) {
        @Override
        public String toString() {
            return String.format("window medians %d / %d / %d KB (steps %+d / %+d KB, leak when both > %d KB)",
                    first >> 10, middle >> 10, last >> 10, (middle - first) >> 10, (last - middle) >> 10,
                    delta >> 10);
        }
    }

    /**
     * Judges samples of retained bytes taken at equal intervals after warm-up (at least 6): a leak when the
     * median of each of three consecutive windows exceeds the previous window's median by more than {@code delta}.
     */
    public static Growth persistentGrowth(long[] bytes, long delta) {
        int n = bytes.length;
        if (n < 6) {
            throw new IllegalArgumentException("persistentGrowth needs at least 6 samples, got " + n);
        }
        long a = median(Arrays.copyOfRange(bytes, 0, n / 3));
        long b = median(Arrays.copyOfRange(bytes, n / 3, n - n / 3));
        long c = median(Arrays.copyOfRange(bytes, n - n / 3, n));
        return new Growth(a, b, c, delta, b - a > delta && c - b > delta);
    }

    /** The lower median: always one of the samples, so a window straddling a jump reads one side of it, not half. */
    private static long median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[(s.length - 1) / 2];
    }
}
