package dev.vgrad.spark;

import dev.vgrad.nn.Module;
import java.io.Serializable;

/**
 * Builds a fresh instance of the model on the driver and in every task. Spark ships the factory to executors
 * with Java serialization, so it must be {@link Serializable} (a lambda assigned to this type is).
 *
 * <p>Contract: every call returns a module with the same architecture, the same parameter and buffer names in the
 * same order, and float32 parameters. The initial values do not matter in tasks (the driver's state is loaded over
 * them), but the driver's instance starts training, so seed its initialisation with an explicit
 * {@link dev.vgrad.core.Generator} when runs must be reproducible.
 */
@FunctionalInterface
public interface ModelFactory extends Serializable {
    /** A new module instance. */
    Module create();
}
