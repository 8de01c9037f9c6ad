package dev.vgrad.data.transforms;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import java.util.List;

/** Applies transforms in order, like torchvision's {@code Compose}; they share the sample's generator in order. */
public final class Compose implements Transform {
    private final List<Transform> transforms;

    private Compose(List<Transform> transforms) {
        this.transforms = List.copyOf(transforms);
    }

    /**
     * {@code transforms[0]}, then {@code transforms[1]}, and so on.
     *
     * @param transforms at least one non-null transform, in application order
     * @return a new composition
     * @throws IllegalArgumentException when no transform is given or one is null
     */
    public static Compose of(Transform... transforms) {
        if (transforms == null || transforms.length == 0) {
            throw new IllegalArgumentException("Compose: expected at least one transform");
        }
        for (int i = 0; i < transforms.length; i++) {
            if (transforms[i] == null) {
                throw new IllegalArgumentException("Compose: transform " + i + " is null");
            }
        }
        return new Compose(List.of(transforms));
    }

    /**
     * The composed transforms.
     *
     * @return an unmodifiable list of the transforms, in application order
     */
    public List<Transform> transforms() {
        return transforms;
    }

    @Override
    public Tensor apply(Tensor image, Generator generator) {
        Tensor x = image;
        for (Transform t : transforms) {
            x = t.apply(x, generator);
        }
        return x;
    }
}
