package dev.vgrad.core;

/**
 * Per-thread free lists of float and double arrays that the autograd engine has proved dead, handed to the next
 * op whose kernel overwrites every element of its output (docs/SEMANTICS.md §25). In a steady training loop the
 * gradients a backward pass consumes come back as the next step's outputs of the same sizes, which then skip the
 * JVM's zeroing of a fresh array.
 *
 * <p>Why it cannot alias: only the engine gives arrays back, and only a gradient it created and consumed within
 * one pass, that no user code could reach: never the root gradient, a tensor a hook or a retained {@code .grad}
 * saw, a gradient captured by {@code Autograd.grad}, anything under {@code createGraph}, or the gradient given to
 * a rule defined outside vgrad (a custom {@link Node} or {@link Function}). The one exception is a leaf's
 * {@code .grad} that {@code zeroGrad} drops ({@link Tensor#releaseGrad}): given back only while it is still
 * leased to the dropping thread, i.e. no reference to it ever left vgrad. Forward results are never given back,
 * since the caller holds them. The lists are per-thread, so an array is never shared across threads, and they need
 * no lock.
 *
 * <p>Bounded: arrays shorter than {@link #MIN_LENGTH} elements are left to the allocator (a thread-local bump
 * allocation is cheaper than a lookup), each length keeps at most {@value #PER_LENGTH} arrays, and a thread holds
 * at most 1/16 of the maximum heap (at most 1 GiB). When a thread's table of lengths is full (a program with
 * ever-changing shapes) it is emptied and the garbage collector takes the arrays. {@code -Dvgrad.bufferPool=false}
 * turns pooling off.
 */
final class BufferPool {
    /** Arrays shorter than this are not pooled. */
    static final int MIN_LENGTH = 1024;
    private static final int PER_LENGTH = 8;
    private static final int SLOTS = 64;
    private static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("vgrad.bufferPool"));
    private static final long CAP_BYTES = Math.min(Runtime.getRuntime().maxMemory() / 16, 1L << 30);
    private static final ThreadLocal<BufferPool> LOCAL = ThreadLocal.withInitial(BufferPool::new);

    private final Lists floats = new Lists();
    private final Lists doubles = new Lists();
    private long bytes;
    /** Arrays handed out again, for tests that must know reuse really happened. */
    private long reused;

    private BufferPool() {}

    /** A float array of exactly {@code n} elements with arbitrary contents: the caller overwrites all of them. */
    static float[] floats(int n) {
        Object a = take(n, true);
        return a != null ? (float[]) a : ZeroedAhead.floats(n);
    }

    /** As {@link #floats} for doubles. */
    static double[] doubles(int n) {
        Object a = take(n, false);
        return a != null ? (double[]) a : ZeroedAhead.doubles(n);
    }

    private static Object take(int n, boolean isFloat) {
        if (!ENABLED || n < MIN_LENGTH) {
            return null;
        }
        BufferPool p = LOCAL.get();
        Object a = (isFloat ? p.floats : p.doubles).pop(n);
        if (a != null) {
            p.bytes -= (isFloat ? 4L : 8L) * n;
            p.reused++;
        }
        return a;
    }

    /**
     * Gives back the array of a storage that nothing will read or write again. The caller proves that; see the
     * class comment for who may call this.
     */
    static void give(Storage s) {
        if (!ENABLED) {
            return;
        }
        if (s.f != null && s.f.length >= MIN_LENGTH) {
            LOCAL.get().put(s.f, s.f.length, 4L * s.f.length, true);
        } else if (s.d != null && s.d.length >= MIN_LENGTH) {
            LOCAL.get().put(s.d, s.d.length, 8L * s.d.length, false);
        }
    }

    private void put(Object array, int n, long size, boolean isFloat) {
        if (bytes + size > CAP_BYTES) {
            return;
        }
        Lists lists = isFloat ? floats : doubles;
        int r = lists.push(array, n);
        if (r < 0) {
            // the table of lengths is full: shapes keep changing, so what it holds is likely stale
            floats.clear();
            doubles.clear();
            bytes = 0;
            r = lists.push(array, n);
        }
        if (r > 0) {
            bytes += size;
        }
    }

    /** This thread's count of arrays handed out again (for tests). */
    static long reusedOnThisThread() {
        return LOCAL.get().reused;
    }

    /** Whether pooling is on ({@code -Dvgrad.bufferPool}). */
    static boolean enabled() {
        return ENABLED;
    }

    /** An open-addressing table from length to a small stack of arrays of that length. */
    private static final class Lists {
        private final int[] keys = new int[SLOTS];
        private final Object[][] stacks = new Object[SLOTS][];
        private final int[] sizes = new int[SLOTS];
        private int used;

        private int slot(int n) {
            int i = (n * 0x9E3779B9 >>> 26) & (SLOTS - 1);
            while (keys[i] != 0 && keys[i] != n) {
                i = (i + 1) & (SLOTS - 1);
            }
            return i;
        }

        Object pop(int n) {
            int i = slot(n);
            if (keys[i] == 0 || sizes[i] == 0) {
                return null;
            }
            Object[] st = stacks[i];
            Object a = st[--sizes[i]];
            st[sizes[i]] = null;
            return a;
        }

        /** 1 when pushed, 0 when that length's stack is full (dropped), -1 when the table is full. */
        int push(Object array, int n) {
            int i = slot(n);
            if (keys[i] == 0) {
                if (used >= SLOTS * 3 / 4) {
                    return -1;
                }
                keys[i] = n;
                stacks[i] = new Object[PER_LENGTH];
                used++;
            }
            if (sizes[i] == PER_LENGTH) {
                return 0;
            }
            stacks[i][sizes[i]++] = array;
            return 1;
        }

        void clear() {
            for (int i = 0; i < SLOTS; i++) {
                if (keys[i] != 0) {
                    keys[i] = 0;
                    stacks[i] = null;
                    sizes[i] = 0;
                }
            }
            used = 0;
        }
    }
}
