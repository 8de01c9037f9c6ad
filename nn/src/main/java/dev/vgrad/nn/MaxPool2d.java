package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** 2-D max pooling ({@code nn.MaxPool2d}); stride defaults to the kernel size. */
public class MaxPool2d extends Module {
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final int[] dilation;
    private final boolean ceilMode;
    private final boolean scalarArgs;

    /**
     * MaxPool2d(k): stride k, no padding.
     *
     * @param kernelSize side k of the k×k window, positive
     * @throws IllegalArgumentException for a non-positive size
     */
    public MaxPool2d(int kernelSize) {
        this(kernelSize, kernelSize, 0);
    }

    /**
     * Square window, stride and padding; dilation 1, floor mode.
     *
     * @param kernelSize side k of the k×k window, positive
     * @param stride step in both spatial dims, positive
     * @param padding implicit −∞ padding on every side, at least 0 and at most k/2
     * @throws IllegalArgumentException for a value out of range
     */
    public MaxPool2d(int kernelSize, int stride, int padding) {
        this.kernel = new int[] {kernelSize, kernelSize};
        this.stride = new int[] {stride, stride};
        this.padding = new int[] {padding, padding};
        this.dilation = new int[] {1, 1};
        this.ceilMode = false;
        this.scalarArgs = true;
        validate();
    }

    /**
     * Full form; {@code stride} null means the kernel size.
     *
     * @param kernelSize {kH, kW} or {k}, positive
     * @param stride {sH, sW} or {s}, positive; or null for the kernel size
     * @param padding {pH, pW} or {p}: implicit −∞ padding, at least 0 and at most half the kernel
     * @param dilation {dH, dW} or {d}: spacing between window elements
     * @param ceilMode round the output size up instead of down
     * @throws IllegalArgumentException for a value out of range
     */
    public MaxPool2d(int[] kernelSize, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
        this.kernel = Check.nonNull("MaxPool2d", "kernel_size", kernelSize).clone();
        this.stride = stride == null ? kernelSize.clone() : stride.clone();
        this.padding = Check.nonNull("MaxPool2d", "padding", padding).clone();
        this.dilation = Check.nonNull("MaxPool2d", "dilation", dilation).clone();
        this.ceilMode = ceilMode;
        this.scalarArgs = false;
        validate();
    }

    private void validate() {
        Check.positive("MaxPool2d", "kernel_size", kernel);
        Check.positive("MaxPool2d", "stride", stride);
        Check.nonNegative("MaxPool2d", "padding", padding);
        if (kernel.length > 2 || stride.length > 2 || padding.length > 2) {
            throw new IllegalArgumentException("MaxPool2d: kernel_size, stride and padding must have 1 or 2 elements");
        }
    }

    /**
     * Takes the maximum over each window.
     *
     * @param input (N, C, H, W) or (C, H, W)
     * @return (N, C, H_out, W_out) with {@code H_out = floor((H + 2·pH − dH·(kH − 1) − 1)/sH) + 1} (ceil in
     *   ceil mode), likewise W_out
     */
    @Override
    public Tensor forward(Tensor input) {
        return input.maxPool2d(kernel, stride, padding, dilation, ceilMode);
    }

    @Override
    public String extraRepr() {
        if (scalarArgs) {
            return "kernel_size=" + kernel[0] + ", stride=" + stride[0] + ", padding=" + padding[0] + ", dilation="
                    + dilation[0] + ", ceil_mode=" + Py.repr(ceilMode);
        }
        return "kernel_size=" + Py.tuple(kernel) + ", stride=" + Py.tuple(stride) + ", padding=" + Py.tuple(padding)
                + ", dilation=" + Py.tuple(dilation) + ", ceil_mode=" + Py.repr(ceilMode);
    }
}
