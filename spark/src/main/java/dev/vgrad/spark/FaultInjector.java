package dev.vgrad.spark;

import java.io.Serializable;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;

/**
 * Test hook of {@link SparkShardRunner}: makes the <em>first attempt</em> of one task fail, identified by the
 * runner's call number (0-based; a data-parallel trainer makes one call per step) and the shard (partition)
 * index. The retry ({@link TaskContext#attemptNumber()} {@code > 0}) runs normally, so a job with task retries
 * enabled ({@code spark.task.maxFailures > 1}, {@code local[N,F]} in local mode) completes, and must produce the
 * same bits as an uninterrupted run.
 */
public final class FaultInjector implements Serializable {
    private static final long serialVersionUID = 1L;

    /** What the injected fault does. */
    public enum Kind {
        /** The task throws an exception (a task failure; the executor lives on). */
        THROW,
        /** The executor JVM halts at once, as if killed with SIGKILL (never on the driver, e.g. in local mode). */
        KILL_EXECUTOR
    }

    private final long call;
    private final int shard;
    private final Kind kind;

    private FaultInjector(long call, int shard, Kind kind) {
        if (call < 0 || shard < 0) {
            throw new IllegalArgumentException("FaultInjector: call " + call + " and shard " + shard
                    + " must be non-negative");
        }
        this.call = call;
        this.shard = shard;
        this.kind = kind;
    }

    /** The first attempt of shard {@code shard} in call {@code call} throws. */
    public static FaultInjector failFirstAttempt(long call, int shard) {
        return new FaultInjector(call, shard, Kind.THROW);
    }

    /** The first attempt of shard {@code shard} in call {@code call} halts its executor's JVM. */
    public static FaultInjector killExecutorOnFirstAttempt(long call, int shard) {
        return new FaultInjector(call, shard, Kind.KILL_EXECUTOR);
    }

    /** Called by the runner at the start of every task. */
    void beforeTask(long currentCall, int currentShard) {
        TaskContext tc = TaskContext.get();
        if (tc == null || currentCall != call || currentShard != shard || tc.attemptNumber() != 0) {
            return;
        }
        if (kind == Kind.THROW) {
            throw new IllegalStateException("FaultInjector: injected failure of call " + call + ", shard " + shard
                    + ", attempt 0");
        }
        SparkEnv env = SparkEnv.get();
        if (env != null && !"driver".equals(env.executorId())) {
            Runtime.getRuntime().halt(137);
        }
    }

    @Override
    public String toString() {
        return "FaultInjector[" + kind + " call=" + call + " shard=" + shard + "]";
    }
}
