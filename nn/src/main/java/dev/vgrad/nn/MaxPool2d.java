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

    /** MaxPool2d(k): stride k, no padding. */
    public MaxPool2d(int kernelSize) {
        this(kernelSize, kernelSize, 0);
    }

    public MaxPool2d(int kernelSize, int stride, int padding) {
        this.kernel = new int[] {kernelSize, kernelSize};
        this.stride = new int[] {stride, stride};
        this.padding = new int[] {padding, padding};
        this.dilation = new int[] {1, 1};
        this.ceilMode = false;
        this.scalarArgs = true;
    }

    /** Full form; {@code stride} null means the kernel size. */
    public MaxPool2d(int[] kernelSize, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
        this.kernel = kernelSize.clone();
        this.stride = stride == null ? kernelSize.clone() : stride.clone();
        this.padding = padding.clone();
        this.dilation = dilation.clone();
        this.ceilMode = ceilMode;
        this.scalarArgs = false;
    }

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
