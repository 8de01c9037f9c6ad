package dev.vgrad.spark;

import dev.vgrad.core.Tensor;
import dev.vgrad.optim.Optimizer;
import java.io.Serializable;
import java.util.List;

/**
 * Builds the optimizer over a model's parameters, e.g. {@code ps -> new Adam(ps, 1e-3)}. Serializable because
 * {@link LocalSgdTrainer} builds one optimizer per replica inside its tasks; {@link DataParallelTrainer} builds
 * exactly one, on the driver.
 */
@FunctionalInterface
public interface OptimizerFactory extends Serializable {
    /** A new optimizer over {@code parameters} (in {@link dev.vgrad.nn.Module#parameters()} order). */
    Optimizer create(List<Tensor> parameters);
}
