package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** 2-D average pooling ({@code nn.AvgPool2d}); stride defaults to the kernel size. */
public class AvgPool2d extends Module {
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final boolean ceilMode;
    private final boolean countIncludePad;
    private final boolean scalarArgs;

    /**
     * AvgPool2d(k): stride k, no padding, floor mode, padding counted.
     *
     * @param kernelSize side k of the k×k window, positive
     * @throws IllegalArgumentException for a non-positive size
     */
    public AvgPool2d(int kernelSize) {
        this(kernelSize, kernelSize, 0);
    }

    /**
     * Square window, stride and padding; floor mode, padding counted in the divisor.
     *
     * @param kernelSize side k of the k×k window, positive
     * @param stride step in both spatial dims, positive
     * @param padding implicit zero padding on every side, at least 0 and at most k/2
     * @throws IllegalArgumentException for a value out of range
     */
    public AvgPool2d(int kernelSize, int stride, int padding) {
        this.kernel = new int[] {kernelSize, kernelSize};
        this.stride = new int[] {stride, stride};
        this.padding = new int[] {padding, padding};
        this.ceilMode = false;
        this.countIncludePad = true;
        this.scalarArgs = true;
        validate();
    }

    /**
     * Full form; {@code stride} null means the kernel size.
     *
     * @param kernelSize {kH, kW} or {k}, positive
     * @param stride {sH, sW} or {s}, positive; or null for the kernel size
     * @param padding {pH, pW} or {p}: implicit zero padding, at least 0 and at most half the kernel
     * @param ceilMode round the output size up instead of down
     * @param countIncludePad whether the zero padding counts in each window's divisor
     * @throws IllegalArgumentException for a value out of range
     */
    public AvgPool2d(int[] kernelSize, int[] stride, int[] padding, boolean ceilMode, boolean countIncludePad) {
        this.kernel = Check.nonNull("AvgPool2d", "kernel_size", kernelSize).clone();
        this.stride = stride == null ? kernelSize.clone() : stride.clone();
        this.padding = Check.nonNull("AvgPool2d", "padding", padding).clone();
        this.ceilMode = ceilMode;
        this.countIncludePad = countIncludePad;
        this.scalarArgs = false;
        validate();
    }

    private void validate() {
        Check.positive("AvgPool2d", "kernel_size", kernel);
        Check.positive("AvgPool2d", "stride", stride);
        Check.nonNegative("AvgPool2d", "padding", padding);
        if (kernel.length > 2 || stride.length > 2 || padding.length > 2) {
            throw new IllegalArgumentException("AvgPool2d: kernel_size, stride and padding must have 1 or 2 elements");
        }
    }

    /**
     * Averages over each window.
     *
     * @param input (N, C, H, W) or (C, H, W)
     * @return (N, C, H_out, W_out) with {@code H_out = floor((H + 2·pH − kH)/sH) + 1} (ceil in ceil mode)
     */
    @Override
    public Tensor forward(Tensor input) {
        return input.avgPool2d(kernel, stride, padding, ceilMode, countIncludePad);
    }

    @Override
    public String extraRepr() {
        if (scalarArgs) {
            return "kernel_size=" + kernel[0] + ", stride=" + stride[0] + ", padding=" + padding[0];
        }
        return "kernel_size=" + Py.tuple(kernel) + ", stride=" + Py.tuple(stride) + ", padding=" + Py.tuple(padding);
    }
}
