package dev.vgrad.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * A {@link ShardRunner} on a Spark cluster (or {@code local[N]}): one call is one Spark job with one partition per
 * shard. {@code shared} is broadcast once per call (and destroyed afterwards); the inputs travel with their tasks.
 * Each task returns {@code (partitionIndex, result)}; the driver places results by that index, so the order in
 * which tasks finish, the executors they ran on and retried attempts do not change the returned list. No
 * {@code reduce}/{@code treeAggregate} is involved: their combination order depends on task completion order and
 * was measured to change float sums from run to run.
 */
public final class SparkShardRunner implements ShardRunner {
    private final JavaSparkContext sc;
    private FaultInjector faults;
    private long calls;

    /** A runner submitting jobs to {@code sc}. */
    public SparkShardRunner(JavaSparkContext sc) {
        this.sc = sc;
    }

    /** Installs (or with null removes) a fault to inject; for tests. Returns this. */
    public SparkShardRunner faultInjector(FaultInjector injector) {
        this.faults = injector;
        return this;
    }

    /** How many calls of {@link #run} have started (the next call's number for a {@link FaultInjector}). */
    public long calls() {
        return calls;
    }

    @Override
    public <I extends Serializable, R extends Serializable> List<R> run(byte[] shared, List<I> inputs,
                                                                      ShardFunction<I, R> fn) {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("ShardRunner.run: no shards");
        }
        long call = calls++;
        int p = inputs.size();
        Broadcast<byte[]> b = sc.broadcast(shared);
        try {
            // parallelize slices a P-element list into P partitions of exactly one element (slice i holds
            // elements [i*P/P, (i+1)*P/P)); the task checks that.
            List<Tuple2<Integer, R>> got = sc.parallelize(new ArrayList<>(inputs), p)
                    .mapPartitionsWithIndex(new Task<>(b, fn, faults, call), true)
                    .collect();
            List<R> out = new ArrayList<>(p);
            for (int i = 0; i < p; i++) {
                out.add(null);
            }
            for (Tuple2<Integer, R> t : got) {
                if (out.get(t._1()) != null) {
                    throw new IllegalStateException("SparkShardRunner: two results for shard " + t._1());
                }
                out.set(t._1(), t._2());
            }
            for (int i = 0; i < p; i++) {
                if (out.get(i) == null) {
                    throw new IllegalStateException("SparkShardRunner: no result for shard " + i + " of " + p);
                }
            }
            return out;
        } catch (IllegalStateException e) {
            throw e;
        } catch (Exception e) {
            // Scala code throws the checked SparkException (job aborted after spark.task.maxFailures) undeclared
            throw new IllegalStateException("SparkShardRunner: call " + call + " failed: " + e.getMessage(), e);
        } finally {
            b.destroy();
        }
    }

    /** The task body; a static class so that the runner (and its SparkContext) is not captured. */
    private static final class Task<I, R> implements Function2<Integer, Iterator<I>, Iterator<Tuple2<Integer, R>>> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<byte[]> shared;
        private final ShardFunction<I, R> fn;
        private final FaultInjector faults;
        private final long call;

        Task(Broadcast<byte[]> shared, ShardFunction<I, R> fn, FaultInjector faults, long call) {
            this.shared = shared;
            this.fn = fn;
            this.faults = faults;
            this.call = call;
        }

        @Override
        public Iterator<Tuple2<Integer, R>> call(Integer index, Iterator<I> it) throws Exception {
            if (faults != null) {
                faults.beforeTask(call, index);
            }
            if (!it.hasNext()) {
                throw new IllegalStateException("SparkShardRunner: partition " + index + " holds no shard");
            }
            I input = it.next();
            if (it.hasNext()) {
                throw new IllegalStateException("SparkShardRunner: partition " + index + " holds more than one shard");
            }
            R r = fn.apply(shared.value(), input, index);
            return List.of(new Tuple2<>(index, r)).iterator();
        }
    }
}
