package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/**
 * Resizing of (N, C, H, W) inputs ({@code nn.Upsample}): mode "nearest" or "bilinear" (with
 * {@code alignCorners}), to a fixed {@code size} or by a {@code scaleFactor}; see {@link F#interpolate}. No
 * parameters; same in train and eval (docs/SEMANTICS.md §19).
 */
public class Upsample extends Module {
    private final int[] size;
    private final double[] scaleFactor;
    private final String mode;
    private final Boolean alignCorners;

    /**
     * Nearest-neighbour upsampling by {@code scaleFactor} in both spatial dims.
     *
     * @param scaleFactor positive, finite factor; the output is {@code floor(H·scaleFactor)} by
     *     {@code floor(W·scaleFactor)}
     */
    public Upsample(double scaleFactor) {
        this(null, new double[] {scaleFactor, scaleFactor}, "nearest", null);
    }

    /**
     * Give exactly one of {@code size} (outH, outW) and {@code scaleFactor} (sh, sw).
     *
     * @param size {outH, outW}, or null when {@code scaleFactor} is given
     * @param scaleFactor {sh, sw}, or null when {@code size} is given
     * @param mode "nearest" or "bilinear"
     * @param alignCorners bilinear only: align the corner pixels' centres; must be null for nearest
     * @throws IllegalArgumentException for both or neither of size/scaleFactor, another mode, or align_corners
     *     with nearest
     */
    public Upsample(int[] size, double[] scaleFactor, String mode, Boolean alignCorners) {
        Check.nonNull("Upsample", "mode", mode);
        this.size = size == null ? null : size.clone();
        this.scaleFactor = scaleFactor == null ? null : scaleFactor.clone();
        this.mode = mode;
        this.alignCorners = alignCorners;
        if ((size == null) == (scaleFactor == null)) {
            throw new IllegalArgumentException("only one of size or scale_factor should be defined");
        }
        if (!mode.equals("nearest") && !mode.equals("bilinear")) {
            throw new IllegalArgumentException("Upsample: mode must be 'nearest' or 'bilinear', got '" + mode + "'");
        }
        if (mode.equals("nearest") && alignCorners != null) {
            throw new IllegalArgumentException("align_corners option can only be set with the interpolating modes: "
                    + "linear | bilinear | bicubic | trilinear");
        }
    }

    /**
     * Resizes {@code input} with {@link F#interpolate}.
     *
     * @param input (N, C, H, W)
     * @return (N, C, H_out, W_out): the given size, or {@code floor(H·sh)} by {@code floor(W·sw)}
     * @throws IllegalArgumentException for another rank or an empty output
     */
    @Override
    public Tensor forward(Tensor input) {
        return F.interpolate(input, size, scaleFactor, mode, alignCorners);
    }

    @Override
    public String extraRepr() {
        // PyTorch prints the mode unquoted and never align_corners
        String sz = size != null ? "size=" + Py.tuple(size) : "scale_factor=" + (scaleFactor[0] == scaleFactor[1]
                ? Py.repr(scaleFactor[0]) : "(" + Py.repr(scaleFactor[0]) + ", " + Py.repr(scaleFactor[1]) + ")");
        return sz + ", mode=" + mode;
    }
}
