package dev.vgrad.spark;

import java.io.Serializable;
import java.util.List;

/**
 * Runs one {@link ShardFunction} over a list of shards and returns the results <b>in shard order</b>, whatever
 * order or place they were computed in. Callers combine the results in that order, which is what makes
 * distributed training bit-identical to the {@link InProcessRunner} reference (docs/SEMANTICS.md §23).
 */
public interface ShardRunner {
    /**
     * {@code [fn(shared, inputs[0], 0), ..., fn(shared, inputs[P-1], P-1)]}.
     *
     * @throws IllegalArgumentException if {@code inputs} is empty
     * @throws IllegalStateException    if a shard failed for good (its cause is attached)
     */
    <I extends Serializable, R extends Serializable> List<R> run(byte[] shared, List<I> inputs, ShardFunction<I, R> fn);
}
