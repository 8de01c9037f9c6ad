package dev.vgrad.spark;

import dev.vgrad.core.Generator;
import dev.vgrad.nn.AbstractDropout;
import dev.vgrad.nn.DropPath;
import dev.vgrad.nn.Module;
import java.util.List;

/**
 * Randomness of a distributed step as a pure function of {@code (seed, step, shard)}.
 *
 * <p>Each {@link AbstractDropout} (Dropout, Dropout1d, Dropout2d) and {@link DropPath} of the model, numbered in
 * {@link Module#modules()} order, gets its own {@link Generator} seeded with
 * {@code mix(seed, step, shard, moduleIndex)}. A task therefore draws the same masks whichever executor runs it and
 * however often it is retried, and the in-process reference draws the same masks as the cluster. Randomness taken
 * from elsewhere in a forward pass (the process-wide default generator, e.g. a functional {@code F.dropout} without
 * a generator) is <em>not</em> covered: it is shared by the concurrent tasks of an executor and breaks
 * reproducibility.
 */
public final class Seeds {
    private Seeds() {
    }

    /**
     * A 64-bit seed derived from the four coordinates by chained SplitMix64 finalisers (distinct inputs give
     * unrelated streams; the value is the same on every JVM).
     */
    public static long mix(long seed, long step, long shard, long stream) {
        long h = splitmix(seed ^ 0x9E3779B97F4A7C15L);
        h = splitmix(h ^ step);
        h = splitmix(h ^ shard);
        return splitmix(h ^ stream);
    }

    private static long splitmix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Gives every dropout-like module of {@code model} the generator of {@code (seed, step, shard, index)};
     * returns how many modules were seeded.
     */
    public static int seedStochasticModules(Module model, long seed, long step, int shard) {
        List<Module> all = model.modules();
        int seeded = 0;
        for (int i = 0; i < all.size(); i++) {
            Module m = all.get(i);
            if (m instanceof AbstractDropout d) {
                d.setGenerator(new Generator(mix(seed, step, shard, i)));
                seeded++;
            } else if (m instanceof DropPath d) {
                d.setGenerator(new Generator(mix(seed, step, shard, i)));
                seeded++;
            }
        }
        return seeded;
    }
}
