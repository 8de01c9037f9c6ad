package dev.vgrad.data.transforms;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/**
 * Cuts a random window of random area and aspect ratio and resizes it to {@code height × width} with bilinear
 * interpolation, like torchvision's {@code RandomResizedCrop(size, scale, ratio)} on tensors (no antialiasing).
 *
 * <p>Window choice (torchvision's {@code get_params}): up to 10 attempts draw a target area
 * {@code A·U(scale)} ({@code A = H·W}) and an aspect ratio {@code exp(U(log ratio))}, giving
 * {@code w = round(sqrt(area·ratio))}, {@code h = round(sqrt(area/ratio))} (round half to even); the first
 * attempt with {@code 0 < w ≤ W} and {@code 0 < h ≤ H} takes top {@code i ~ U{0..H-h}} then left
 * {@code j ~ U{0..W-w}}. If all attempts fail, the centre crop with the aspect ratio clamped into
 * {@code ratio} is used. Uniform reals come from {@link Generator#nextDouble()}, integers from
 * {@link Generator#nextLong(long)}.
 *
 * <p>Resizing is PyTorch's {@code interpolate(mode="bilinear", align_corners=False)}: output pixel {@code y}
 * samples source row {@code max(0, (y + 0.5)·h/outH - 0.5)}, linearly between its two neighbouring rows
 * (the last row repeats at the border), and the same for columns.
 */
public final class RandomResizedCrop implements Transform {
    private final int height;
    private final int width;
    private final double scaleLo;
    private final double scaleHi;
    private final double ratioLo;
    private final double ratioHi;

    /**
     * torchvision's defaults: scale (0.08, 1), ratio (3/4, 4/3).
     *
     * @param size the output height and width in pixels, {@code >= 1}
     */
    public RandomResizedCrop(int size) {
        this(size, size, 0.08, 1.0, 3.0 / 4.0, 4.0 / 3.0);
    }

    /**
     * Output {@code height × width}; area fraction in {@code [scaleLo, scaleHi]}, aspect (w/h) in
     * {@code [ratioLo, ratioHi]}.
     *
     * @param height  the output height in pixels, {@code >= 1}
     * @param width   the output width in pixels, {@code >= 1}
     * @param scaleLo the smallest window area as a fraction of the image area ({@code scale[0]}), {@code > 0}
     * @param scaleHi the largest window area fraction ({@code scale[1]}), finite and {@code >= scaleLo}
     * @param ratioLo the smallest aspect ratio w/h of the window ({@code ratio[0]}), {@code > 0}
     * @param ratioHi the largest aspect ratio ({@code ratio[1]}), finite and {@code >= ratioLo}
     * @throws IllegalArgumentException for a non-positive size or an invalid scale or ratio range
     */
    public RandomResizedCrop(int height, int width, double scaleLo, double scaleHi, double ratioLo, double ratioHi) {
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("RandomResizedCrop: size must be positive, got " + height + "x" + width);
        }
        if (!(scaleLo > 0 && scaleLo <= scaleHi) || !(ratioLo > 0 && ratioLo <= ratioHi)
                || !Double.isFinite(scaleHi) || !Double.isFinite(ratioHi)) {
            throw new IllegalArgumentException("RandomResizedCrop: scale and ratio should be positive ranges "
                    + "(min, max), got scale (" + scaleLo + ", " + scaleHi + ") ratio (" + ratioLo + ", " + ratioHi + ")");
        }
        this.height = height;
        this.width = width;
        this.scaleLo = scaleLo;
        this.scaleHi = scaleHi;
        this.ratioLo = ratioLo;
        this.ratioHi = ratioHi;
    }

    @Override
    public Tensor apply(Tensor image, Generator generator) {
        Image im = Image.of(image, "RandomResizedCrop");
        int[] box = window(im.h(), im.w(), generator);
        return resizedCrop(im, box[0], box[1], box[2], box[3], height, width).tensor();
    }

    /** {top, left, h, w} of the window (torchvision's get_params). */
    int[] window(int imgH, int imgW, Generator g) {
        double area = (double) imgH * imgW;
        double logLo = Math.log(ratioLo);
        double logHi = Math.log(ratioHi);
        for (int attempt = 0; attempt < 10; attempt++) {
            double targetArea = area * (scaleLo + (scaleHi - scaleLo) * g.nextDouble());
            double aspect = Math.exp(logLo + (logHi - logLo) * g.nextDouble());
            int w = (int) Math.rint(Math.sqrt(targetArea * aspect));
            int h = (int) Math.rint(Math.sqrt(targetArea / aspect));
            if (w > 0 && w <= imgW && h > 0 && h <= imgH) {
                int i = (int) g.nextLong(imgH - h + 1);
                int j = (int) g.nextLong(imgW - w + 1);
                return new int[] {i, j, h, w};
            }
        }
        double inRatio = (double) imgW / imgH;
        int w;
        int h;
        if (inRatio < ratioLo) {
            w = imgW;
            h = (int) Math.rint(w / ratioLo);
        } else if (inRatio > ratioHi) {
            h = imgH;
            w = (int) Math.rint(h * ratioHi);
        } else {
            w = imgW;
            h = imgH;
        }
        return new int[] {(imgH - h) / 2, (imgW - w) / 2, h, w};
    }

    /** The window {@code [top, top+h) × [left, left+w)} resized bilinearly to {@code outH × outW}. */
    static Tensor resizedCrop(Tensor image, int top, int left, int h, int w, int outH, int outW) {
        return resizedCrop(Image.of(image, "RandomResizedCrop"), top, left, h, w, outH, outW).tensor();
    }

    private static Image resizedCrop(Image im, int top, int left, int h, int w, int outH, int outW) {
        float[] out = new float[im.c() * outH * outW];
        float sh = (float) h / outH;
        float sw = (float) w / outW;
        int k = 0;
        for (int ch = 0; ch < im.c(); ch++) {
            for (int y = 0; y < outH; y++) {
                float sy = Math.max(0f, sh * (y + 0.5f) - 0.5f);
                int y0 = (int) sy;
                int y1 = y0 < h - 1 ? y0 + 1 : y0;
                float ly1 = sy - y0;
                float ly0 = 1f - ly1;
                for (int x = 0; x < outW; x++) {
                    float sx = Math.max(0f, sw * (x + 0.5f) - 0.5f);
                    int x0 = (int) sx;
                    int x1 = x0 < w - 1 ? x0 + 1 : x0;
                    float lx1 = sx - x0;
                    float lx0 = 1f - lx1;
                    out[k++] = ly0 * (lx0 * im.get(ch, top + y0, left + x0) + lx1 * im.get(ch, top + y0, left + x1))
                            + ly1 * (lx0 * im.get(ch, top + y1, left + x0) + lx1 * im.get(ch, top + y1, left + x1));
                }
            }
        }
        return new Image(out, im.c(), outH, outW);
    }
}
