package dev.vgrad.data;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;

/**
 * One epoch of a {@link DataLoader}: its batches in order. With workers it owns a small daemon thread pool
 * that loads up to {@code numWorkers * prefetchFactor} batches ahead; the pool is shut down and its threads
 * joined when the epoch is exhausted, when loading fails, or on {@link #close()}, which is idempotent. After
 * {@code close()} midway, {@link #hasNext()} is false.
 */
public final class BatchIterator implements Iterator<Batch>, AutoCloseable {
    private final DataLoader loader;
    private final int[] order;
    private final int batches;
    private final long epoch;
    private final ExecutorService pool;
    private final List<Thread> threads = new ArrayList<>();
    private final ArrayDeque<Future<Batch>> inFlight = new ArrayDeque<>();
    private final int depth;
    private int submitted;
    private int next;
    private boolean closed;

    BatchIterator(DataLoader loader, int[] order, int batches, long epoch) {
        this.loader = loader;
        this.order = order;
        this.batches = batches;
        this.epoch = epoch;
        int workers = loader.numWorkers();
        if (workers > 0 && batches > 0) {
            ThreadFactory factory = r -> {
                synchronized (threads) {
                    Thread t = new Thread(r, "vgrad-data-worker-" + threads.size());
                    t.setDaemon(true);
                    threads.add(t);
                    return t;
                }
            };
            this.pool = Executors.newFixedThreadPool(workers, factory);
            this.depth = workers * loader.prefetchFactor();
            refill();
        } else {
            this.pool = null;
            this.depth = 0;
        }
    }

    /**
     * The epoch number whose transform seeds this iterator uses.
     *
     * @return the loader's epoch counter at the time this iterator was created
     */
    public long epoch() {
        return epoch;
    }

    private void refill() {
        while (submitted < batches && inFlight.size() < depth) {
            final int k = submitted++;
            inFlight.add(pool.submit(() -> loader.load(order, k, epoch)));
        }
    }

    @Override
    public boolean hasNext() {
        return !closed && next < batches;
    }

    @Override
    public Batch next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        int k = next++;
        if (pool == null) {
            return loader.load(order, k, epoch);
        }
        Future<Batch> f = inFlight.poll();
        Batch b;
        try {
            b = f.get();
        } catch (ExecutionException e) {
            close();
            int from = k * loader.batchSize();
            int[] idx = Arrays.copyOfRange(order, from, Math.min(from + loader.batchSize(), order.length));
            throw new IllegalStateException("DataLoader: a worker failed while loading batch " + k + " (samples "
                    + (idx.length <= 16 ? Arrays.toString(idx) : Arrays.toString(Arrays.copyOf(idx, 16)) + "...")
                    + "): " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("DataLoader: interrupted while waiting for batch " + k, e);
        }
        if (next == batches) {
            close();
        } else {
            refill();
        }
        return b;
    }

    /** Stops loading ahead and waits until every worker thread has ended. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (pool == null) {
            return;
        }
        pool.shutdownNow();
        inFlight.clear();
        List<Thread> ts;
        synchronized (threads) {
            ts = List.copyOf(threads);
        }
        boolean interrupted = false;
        for (Thread t : ts) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
