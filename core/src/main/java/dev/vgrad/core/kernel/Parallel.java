package dev.vgrad.core.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The intra-op thread pool.
 *
 * <p>Contract: every chunk writes a disjoint part of the output or a partial result that the caller combines
 * in chunk order, and partial results (reductions) come from chunks whose boundaries depend only on the
 * problem size. Work whose every output element one chunk computes whole (elementwise updates, GEMM tiles) may
 * be split by thread count for balance. Results are therefore bit-identical for any thread count.
 *
 * <p>Workers spin briefly before parking because waking a parked thread costs more than a small kernel.
 * Waiting threads (spinning workers, a caller waiting for the last chunks) yield the core after a few
 * microseconds of pure spinning, so on a loaded machine they do not burn the time slice a descheduled
 * partner needs. Work submitted from inside a chunk, or while another thread owns the pool, runs on the
 * caller thread.
 *
 * <p>The thread count (docs/SEMANTICS.md §12.6) is, in order of precedence: the last {@link #setNumThreads} call;
 * the system property {@code vgrad.threads}; the environment variable {@code VGRAD_NUM_THREADS} (vgrad's
 * {@code OMP_NUM_THREADS}); the number of available processors. A property or variable that is not a positive
 * integer is ignored with a one-line warning on standard error, as PyTorch ignores a bad {@code OMP_NUM_THREADS},
 * so a typo in a launch script never stops a run.
 *
 * <p>Internal: the pool behind core's, nn's and optim's kernels; applications set the thread count through
 * {@link dev.vgrad.core.Vgrad#setNumThreads} ({@code torch.set_num_threads}) rather than through this class.
 */
public final class Parallel {
    /** Body of a chunked loop: processes chunk {@code chunk} of {@code nChunks}. */
    @FunctionalInterface
    public interface ChunkBody {
        /**
         * Processes one chunk.
         *
         * @param chunk the chunk index, in {@code [0, nChunks)}
         */
        void run(int chunk);
    }

    private static final ThreadLocal<Boolean> IN_POOL = ThreadLocal.withInitial(() -> Boolean.FALSE);
    private static final ReentrantLock OWNER = new ReentrantLock();
    private static final long SPIN_NANOS = 200_000L;
    /** Pure spinning before a waiting thread starts yielding. */
    private static final long BUSY_NANOS = 5_000L;

    /** The system property that sets the default thread count. */
    public static final String THREADS_PROPERTY = "vgrad.threads";
    /** The environment variable that sets the default thread count when the property is absent. */
    public static final String THREADS_ENV = "VGRAD_NUM_THREADS";

    private static volatile int numThreads = defaultThreads(System.getProperty(THREADS_PROPERTY),
            System.getenv(THREADS_ENV), Runtime.getRuntime().availableProcessors(), System.err::println);
    private static Worker[] workers = new Worker[0];

    private Parallel() {}

    /**
     * Sets the number of threads used by large kernels (including the calling thread).
     *
     * @param n the thread count, ≥ 1
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public static synchronized void setNumThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("setNumThreads: number of threads must be >= 1, got " + n);
        }
        numThreads = n;
    }

    /**
     * The thread count before any {@link #setNumThreads} call: {@code property}, else {@code env}, else
     * {@code cpus} (at least 1). A blank source counts as absent; one that is not a positive integer is skipped
     * after one line to {@code warn} naming it and its value.
     */
    static int defaultThreads(String property, String env, int cpus, java.util.function.Consumer<String> warn) {
        String[][] sources = {{"-D" + THREADS_PROPERTY, property}, {THREADS_ENV, env}};
        for (String[] s : sources) {
            if (s[1] == null || s[1].isBlank()) {
                continue;
            }
            int n = 0;
            try {
                n = Integer.parseInt(s[1].strip());
            } catch (NumberFormatException e) {
                // reported below with the other invalid values
            }
            if (n >= 1) {
                return n;
            }
            warn.accept("vgrad: ignoring " + s[0] + "=" + s[1] + ": the number of threads must be a positive integer");
        }
        return Math.max(1, cpus);
    }

    /** {@return the number of threads large kernels may use, including the calling thread} */
    public static int numThreads() {
        return numThreads;
    }

    /**
     * Number of fixed-size chunks covering {@code n} items with at most {@code grain} items each.
     *
     * @param n     number of items, ≥ 0
     * @param grain largest chunk, ≥ 1
     * @return {@code ceil(n / grain)}, at least 1
     */
    public static int chunks(long n, long grain) {
        return (int) Math.max(1, (n + grain - 1) / grain);
    }

    /** Whether the calling thread is running a chunk of {@link #forEachChunk} (nested calls run inline). */
    static boolean inPool() {
        return IN_POOL.get();
    }

    /**
     * Runs {@code body.run(c)} for every chunk {@code c} in {@code [0, nChunks)}, possibly in parallel.
     * Returns after all chunks finished; rethrows the first exception a chunk threw.
     *
     * @param nChunks number of chunks, ≥ 0
     * @param body    the work of one chunk; must be safe to run concurrently for different chunks
     */
    public static void forEachChunk(int nChunks, ChunkBody body) {
        int threads = Math.min(numThreads, nChunks);
        if (threads <= 1 || IN_POOL.get() || !OWNER.tryLock()) {
            for (int c = 0; c < nChunks; c++) {
                body.run(c);
            }
            return;
        }
        try {
            Job job = new Job(nChunks, body);
            Worker[] ws = ensureWorkers(threads - 1);
            for (int i = 0; i < threads - 1; i++) {
                ws[i].submit(job);
            }
            IN_POOL.set(Boolean.TRUE);
            try {
                job.work();
            } finally {
                IN_POOL.set(Boolean.FALSE);
            }
            job.awaitDone();
            // a worker that was not scheduled before the caller finished every chunk still holds the job, and
            // through its body the op's arrays, until it wakes; withdraw it so a finished op retains nothing
            for (int i = 0; i < threads - 1; i++) {
                ws[i].withdraw(job);
            }
        } finally {
            OWNER.unlock();
        }
    }

    private static synchronized Worker[] ensureWorkers(int n) {
        if (workers.length < n) {
            Worker[] grown = java.util.Arrays.copyOf(workers, n);
            for (int i = workers.length; i < n; i++) {
                grown[i] = new Worker(i);
                grown[i].start();
            }
            workers = grown;
        }
        return workers;
    }

    /** One step of a wait loop that started at {@code start}: spin first, then yield the core. */
    private static void pause(long start) {
        if (System.nanoTime() - start < BUSY_NANOS) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    private static final class Job {
        final int nChunks;
        final ChunkBody body;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(int nChunks, ChunkBody body) {
            this.nChunks = nChunks;
            this.body = body;
        }

        void work() {
            int c;
            while ((c = next.getAndIncrement()) < nChunks) {
                try {
                    if (failure == null) {
                        body.run(c);
                    }
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    done.incrementAndGet();
                }
            }
        }

        void awaitDone() {
            long start = System.nanoTime();
            while (done.get() < nChunks) {
                pause(start);
            }
            Throwable t = failure;
            if (t instanceof RuntimeException re) {
                throw re;
            } else if (t instanceof Error err) {
                throw err;
            } else if (t != null) {
                throw new IllegalStateException(t);
            }
        }
    }

    private static final class Worker extends Thread {
        /** The next job; taken with getAndSet so a job submitted while the previous one is taken is never lost. */
        private final AtomicReference<Job> job = new AtomicReference<>();

        Worker(int index) {
            super("vgrad-worker-" + index);
            setDaemon(true);
        }

        void submit(Job j) {
            job.set(j);
            LockSupport.unpark(this);
        }

        /** Drops {@code j} if this worker has not taken it yet (every chunk is done, so nothing is lost). */
        void withdraw(Job j) {
            job.compareAndSet(j, null);
        }

        @Override
        public void run() {
            IN_POOL.set(Boolean.TRUE);
            while (true) {
                Job j = job.getAndSet(null);
                if (j == null) {
                    long start = System.nanoTime();
                    while (job.get() == null && System.nanoTime() - start < SPIN_NANOS) {
                        pause(start);
                    }
                    if (job.get() == null) {
                        LockSupport.park(this);
                    }
                    continue;
                }
                j.work();
            }
        }
    }
}
