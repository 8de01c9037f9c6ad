package dev.vgrad.data.transforms;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/**
 * Mirrors the image left–right with probability {@code p}, like torchvision's {@code RandomHorizontalFlip}:
 * one draw {@code u = generator.nextDouble()}, flipped when {@code u < p}; output {@code (c, y, x)} is input
 * {@code (c, y, W-1-x)}.
 */
public final class RandomHorizontalFlip implements Transform {
    private final double p;

    /** Flips half of the images. */
    public RandomHorizontalFlip() {
        this(0.5);
    }

    /**
     * Flips with probability {@code p} in [0, 1].
     *
     * @param p the flip probability, in {@code [0, 1]}
     * @throws IllegalArgumentException when {@code p} is outside {@code [0, 1]} or NaN
     */
    public RandomHorizontalFlip(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("RandomHorizontalFlip: p must be in [0, 1], got " + p);
        }
        this.p = p;
    }

    @Override
    public Tensor apply(Tensor image, Generator generator) {
        Image im = Image.of(image, "RandomHorizontalFlip");
        return generator.nextDouble() < p ? hflip(im).tensor() : im.tensor();
    }

    /**
     * The mirror image (deterministic).
     *
     * @param image a float32 {@code [C, H, W]} image
     * @return a new image with every row reversed
     * @throws IllegalArgumentException when {@code image} is not float32 {@code [C, H, W]}
     */
    public static Tensor hflip(Tensor image) {
        return hflip(Image.of(image, "hflip")).tensor();
    }

    private static Image hflip(Image im) {
        float[] src = im.data();
        float[] out = new float[src.length];
        int w = im.w();
        for (int row = 0; row < im.c() * im.h(); row++) {
            int base = row * w;
            for (int x = 0; x < w; x++) {
                out[base + x] = src[base + w - 1 - x];
            }
        }
        return new Image(out, im.c(), im.h(), w);
    }
}
