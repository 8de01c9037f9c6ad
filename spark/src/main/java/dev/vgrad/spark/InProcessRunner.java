package dev.vgrad.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The single-process reference {@link ShardRunner}: runs the shards one after another on the calling thread, in
 * index order. Training with it needs no Spark at all, and its results are what a Spark run must reproduce bit for
 * bit.
 */
public final class InProcessRunner implements ShardRunner {
    @Override
    public <I extends Serializable, R extends Serializable> List<R> run(byte[] shared, List<I> inputs,
                                                                      ShardFunction<I, R> fn) {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("ShardRunner.run: no shards");
        }
        List<R> out = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            try {
                out.add(fn.apply(shared, inputs.get(i), i));
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("shard " + i + " failed: " + e, e);
            }
        }
        return out;
    }
}
