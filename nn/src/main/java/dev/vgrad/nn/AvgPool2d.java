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

    public AvgPool2d(int kernelSize) {
        this(kernelSize, kernelSize, 0);
    }

    public AvgPool2d(int kernelSize, int stride, int padding) {
        this.kernel = new int[] {kernelSize, kernelSize};
        this.stride = new int[] {stride, stride};
        this.padding = new int[] {padding, padding};
        this.ceilMode = false;
        this.countIncludePad = true;
        this.scalarArgs = true;
        validate();
    }

    /** Full form; {@code stride} null means the kernel size. */
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
