package dev.vgrad.data.transforms;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/**
 * Pads the image by {@code padding} pixels on each side with the constant {@code fill}, then cuts a
 * {@code height × width} window at a uniformly random offset, like torchvision's
 * {@code RandomCrop(size, padding, fill=fill)} with constant padding: top {@code i} uniform in
 * {@code [0, H + 2p - height]} is drawn first, then left {@code j} uniform in {@code [0, W + 2p - width]}
 * ({@link Generator#nextLong(long)}). Output pixel {@code (y, x)} is input pixel {@code (i + y - p, j + x - p)}
 * when that lies inside the image, else {@code fill}.
 */
public final class RandomCrop implements Transform {
    private final int height;
    private final int width;
    private final int padding;
    private final float fill;

    /**
     * A square {@code size × size} crop after zero padding.
     *
     * @param size    the output height and width in pixels, {@code >= 1}
     * @param padding the zero border added on each side before cropping, {@code >= 0}
     */
    public RandomCrop(int size, int padding) {
        this(size, size, padding, 0f);
    }

    /**
     * A {@code height × width} crop after padding every side by {@code padding} pixels of value {@code fill}.
     *
     * @param height  the output height in pixels, {@code >= 1}
     * @param width   the output width in pixels, {@code >= 1}
     * @param padding the border added on each side before cropping, {@code >= 0}
     * @param fill    the value of the border pixels (every channel)
     * @throws IllegalArgumentException for a non-positive size or a negative padding
     */
    public RandomCrop(int height, int width, int padding, float fill) {
        if (height < 1 || width < 1 || padding < 0) {
            throw new IllegalArgumentException("RandomCrop: size must be positive and padding non-negative, got "
                    + height + "x" + width + " padding " + padding);
        }
        this.height = height;
        this.width = width;
        this.padding = padding;
        this.fill = fill;
    }

    @Override
    public Tensor apply(Tensor image, Generator generator) {
        Image im = Image.of(image, "RandomCrop");
        int ph = im.h() + 2 * padding;
        int pw = im.w() + 2 * padding;
        if (ph < height || pw < width) {
            throw new IllegalArgumentException("RandomCrop: required crop size (" + height + ", " + width
                    + ") is larger than input image size (" + ph + ", " + pw + ") after padding " + padding);
        }
        int top = (int) generator.nextLong(ph - height + 1);
        int left = (int) generator.nextLong(pw - width + 1);
        return crop(im, padding, fill, top, left, height, width).tensor();
    }

    /** The crop at fixed offsets {@code (top, left)} of the padded image (the deterministic part). */
    static Tensor crop(Tensor image, int padding, float fill, int top, int left, int height, int width) {
        return crop(Image.of(image, "RandomCrop"), padding, fill, top, left, height, width).tensor();
    }

    private static Image crop(Image im, int padding, float fill, int top, int left, int height, int width) {
        float[] out = new float[im.c() * height * width];
        int k = 0;
        for (int ch = 0; ch < im.c(); ch++) {
            for (int y = 0; y < height; y++) {
                int sy = top + y - padding;
                for (int x = 0; x < width; x++) {
                    int sx = left + x - padding;
                    out[k++] = sy >= 0 && sy < im.h() && sx >= 0 && sx < im.w() ? im.get(ch, sy, sx) : fill;
                }
            }
        }
        return new Image(out, im.c(), height, width);
    }
}
