package dev.vgrad.spark;

import java.io.Serializable;

/**
 * The work of one shard: {@code R = f(shared, input, index)}. {@code shared} is the same for every shard of a call
 * (Spark broadcasts it once per call); {@code index} is the shard's position, which is also its partition index.
 * Must be a pure function of its arguments: a {@link ShardRunner} may run it on any executor, and more than once.
 *
 * @param <I> the per-shard input
 * @param <R> the per-shard result
 */
@FunctionalInterface
public interface ShardFunction<I, R> extends Serializable {
    /** The result for shard {@code index}. */
    R apply(byte[] shared, I input, int index) throws Exception;
}
