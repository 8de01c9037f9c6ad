package dev.vgrad.spark;

import dev.vgrad.core.Tensor;
import java.io.Serializable;

/**
 * The training loss {@code L(output, target)} as a scalar tensor, computed with <b>mean</b> reduction over the
 * rows it is given (e.g. {@code (o, t) -> new CrossEntropyLoss().call(o, t)} or {@code F.mseLoss}). The
 * data-parallel trainers scale a shard's loss by {@code n_shard / n_global}, so the summed shard gradients are the
 * gradient of the mean loss over the whole global batch (docs/SEMANTICS.md §23).
 */
@FunctionalInterface
public interface LossFunction extends Serializable {
    /** The mean loss of {@code output} against {@code target}. */
    Tensor compute(Tensor output, Tensor target);
}
