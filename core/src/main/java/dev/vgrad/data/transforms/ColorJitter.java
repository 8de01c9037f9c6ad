package dev.vgrad.data.transforms;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/**
 * Random brightness and contrast changes of an image with values in [0, 1] (apply it before normalising),
 * a basic form of torchvision's {@code ColorJitter(brightness, contrast)}.
 *
 * <p>Brightness (when {@code brightness > 0}): factor {@code b ~ U[max(0, 1 - brightness), 1 + brightness]},
 * {@code x ← clamp(b·x, 0, 1)}. Then contrast (when {@code contrast > 0}): factor
 * {@code c ~ U[max(0, 1 - contrast), 1 + contrast]}, {@code x ← clamp(c·x + (1 - c)·m, 0, 1)} where {@code m}
 * is the mean of the image's grey levels (for 3 channels the grey level is
 * {@code 0.2989 R + 0.587 G + 0.114 B}, torchvision's weights; otherwise the mean over all values). Unlike
 * torchvision, the order is fixed (brightness, then contrast) and saturation and hue are not offered.
 */
public final class ColorJitter implements Transform {
    private final double brightness;
    private final double contrast;

    /**
     * A jitter of the given strengths; 0 disables that part (and its draw).
     *
     * @param brightness how far the brightness factor may move from 1, finite and {@code >= 0}
     * @param contrast   how far the contrast factor may move from 1, finite and {@code >= 0}
     * @throws IllegalArgumentException for a negative or non-finite strength
     */
    public ColorJitter(double brightness, double contrast) {
        if (!(brightness >= 0) || !(contrast >= 0) || !Double.isFinite(brightness) || !Double.isFinite(contrast)) {
            throw new IllegalArgumentException("ColorJitter: brightness and contrast must be non-negative, got "
                    + brightness + " and " + contrast);
        }
        this.brightness = brightness;
        this.contrast = contrast;
    }

    @Override
    public Tensor apply(Tensor image, Generator generator) {
        Image im = Image.of(image, "ColorJitter");
        float[] x = im.data();
        if (brightness > 0) {
            float b = (float) factor(brightness, generator);
            for (int i = 0; i < x.length; i++) {
                x[i] = clamp(b * x[i]);
            }
        }
        if (contrast > 0) {
            float c = (float) factor(contrast, generator);
            float m = (float) greyMean(im);
            for (int i = 0; i < x.length; i++) {
                x[i] = clamp(c * x[i] + (1 - c) * m);
            }
        }
        return im.tensor();
    }

    private static double factor(double strength, Generator g) {
        double lo = Math.max(0, 1 - strength);
        double hi = 1 + strength;
        return lo + (hi - lo) * g.nextDouble();
    }

    private static double greyMean(Image im) {
        float[] x = im.data();
        double sum = 0;
        if (im.c() == 3) {
            int plane = im.h() * im.w();
            for (int i = 0; i < plane; i++) {
                sum += 0.2989 * x[i] + 0.587 * x[plane + i] + 0.114 * x[2 * plane + i];
            }
            return sum / plane;
        }
        for (float v : x) {
            sum += v;
        }
        return sum / x.length;
    }

    private static float clamp(float v) {
        return v < 0 ? 0 : v > 1 ? 1 : v;
    }
}
