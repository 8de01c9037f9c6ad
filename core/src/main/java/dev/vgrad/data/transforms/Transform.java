package dev.vgrad.data.transforms;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/**
 * A (possibly random) map from one image to another, like a torchvision transform on tensors. Images are
 * float32 tensors of shape {@code [C, H, W]} (channels, height, width); a transform returns a new tensor and
 * never modifies its input, and it carries no autograd history.
 *
 * <p>Randomness comes only from the {@code generator} argument. {@link dev.vgrad.data.DataLoader} passes each
 * sample a generator of its own, seeded from (loader seed, epoch, sample index), so the draws of sample
 * {@code i} in epoch {@code e} are the same for any number of workers and any timing (docs/SEMANTICS.md §15.3).
 * A transform must therefore draw from nothing else and keep no mutable state.
 */
@FunctionalInterface
public interface Transform {
    /**
     * The transformed image; {@code generator} is this sample's own random stream.
     *
     * @param image     a float32 {@code [C, H, W]} image; not modified
     * @param generator the sample's random stream, the only source of randomness
     * @return a new float32 {@code [C, H', W']} image without autograd history
     * @throws IllegalArgumentException when {@code image} is not a float32 {@code [C, H, W]} tensor the transform
     *                                  can handle (e.g. smaller than a crop)
     */
    Tensor apply(Tensor image, Generator generator);

    /**
     * This transform, then {@code next} (both draw from the same per-sample generator, in that order).
     *
     * @param next the transform applied to this one's output
     * @return a new {@link Compose} of this and {@code next}
     * @throws IllegalArgumentException when {@code next} is null
     */
    default Transform andThen(Transform next) {
        return Compose.of(this, next);
    }
}
