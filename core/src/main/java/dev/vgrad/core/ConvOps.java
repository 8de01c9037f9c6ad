package dev.vgrad.core;

import dev.vgrad.core.kernel.ConvGeometry;
import dev.vgrad.core.kernel.ConvKernels;
import dev.vgrad.core.kernel.LongConvKernel;
import dev.vgrad.core.kernel.PoolGeometry;
import dev.vgrad.core.kernel.PoolKernels;
import java.util.Arrays;
import java.util.List;

/** conv2d and 2-D pooling on NCHW tensors (3-D inputs are treated as one unbatched sample, as in PyTorch). */
final class ConvOps {
    private ConvOps() {}

    static int[] pair(String op, String what, int[] v, int dflt) {
        if (v == null) {
            return new int[] {dflt, dflt};
        }
        if (v.length == 1) {
            return new int[] {v[0], v[0]};
        }
        if (v.length != 2) {
            throw new IllegalArgumentException(op + ": " + what + " must have 1 or 2 elements, got " + Arrays.toString(v));
        }
        return v.clone();
    }

    private static Tensor batched(String op, Tensor x) {
        if (x.dim() == 3) {
            return x.unsqueeze(0);
        }
        if (x.dim() != 4) {
            throw new IllegalArgumentException(op + ": Expected 3D (unbatched) or 4D (batched) input to " + op
                    + ", but got input of size: " + Shape.str(x.shape));
        }
        return x;
    }

    private static Tensor unbatched(Tensor original, Tensor out) {
        return original.dim() == 3 ? out.squeeze(0) : out;
    }

    // ------------------------------------------------------------------ conv2d

    /**
     * PyTorch's convolution dtype checks, before any shape check and in its order: the bias first, then the
     * weight; never a promotion (docs/SEMANTICS.md §11). The weight's wording is that of PyTorch's native CPU
     * convolution; PyTorch's oneDNN path words the same error differently, and which path it takes depends on
     * shapes and thread count, so vgrad uses one wording.
     */
    private static void checkDtypes(Tensor input, Tensor weight, Tensor bias) {
        if (bias != null && bias.dtype != input.dtype) {
            throw new IllegalArgumentException("conv2d: Input type (" + elementTypeName(input.dtype) + ") and bias type ("
                    + elementTypeName(bias.dtype) + ") should be the same (input " + Shape.str(input.shape) + ", bias "
                    + Shape.str(bias.shape) + ")");
        }
        if (weight.dtype != input.dtype) {
            throw new IllegalArgumentException("conv2d: expected scalar type " + LinalgOps.scalarTypeName(input.dtype)
                    + " but found " + LinalgOps.scalarTypeName(weight.dtype) + " (input " + Shape.str(input.shape)
                    + " " + input.dtype + ", weight " + Shape.str(weight.shape) + " " + weight.dtype + ")");
        }
        if (input.dtype != DType.INT64) {
            ElementwiseOps.requireFloat("conv2d", input);
        }
    }

    /** The C type name PyTorch prints for a dtype in its convolution bias check. */
    private static String elementTypeName(DType d) {
        return switch (d) {
            case FLOAT32 -> "float";
            case FLOAT64 -> "double";
            case INT64 -> "long int";
            case BOOL -> "bool";
        };
    }

    static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, int[] strideArg, int[] paddingArg, int[] dilationArg,
                         int groups) {
        Args.nonNull("conv2d", "input", input);
        Args.nonNull("conv2d", "weight", weight);
        checkDtypes(input, weight, bias);
        if (weight.dim() != 4) {
            throw new IllegalArgumentException("conv2d: weight should have 4 dimensions (out, in/groups, kH, kW), got "
                    + "shape " + Shape.str(weight.shape));
        }
        Tensor x = batched("conv2d", input);
        int[] st = pair("conv2d", "stride", strideArg, 1);
        int[] pd = pair("conv2d", "padding", paddingArg, 0);
        int[] dl = pair("conv2d", "dilation", dilationArg, 1);
        if (groups <= 0) {
            throw new IllegalArgumentException("conv2d: non-positive groups is not supported, got " + groups);
        }
        int o = weight.shape[0];
        if (o < groups) {
            // checked before the channels, as PyTorch does; an empty weight would otherwise give an empty output
            throw new IllegalArgumentException("conv2d: Given groups=" + groups + ", expected weight to be at least "
                    + groups + " at dimension 0, but got weight of size " + Shape.str(weight.shape) + " instead");
        }
        if (x.shape[1] != weight.shape[1] * groups) {
            throw new IllegalArgumentException("conv2d: Given groups=" + groups + ", weight of size "
                    + Shape.str(weight.shape) + ", expected input" + Shape.str(input.shape) + " to have "
                    + weight.shape[1] * groups + " channels, but got " + x.shape[1] + " channels instead");
        }
        if (bias != null && (bias.dim() != 1 || bias.shape[0] != o)) {
            throw new IllegalArgumentException("conv2d: bias should have shape [" + o + "], got " + Shape.str(bias.shape));
        }
        DType dt = input.dtype;
        ConvGeometry g = ConvGeometry.of(x.shape[0], x.shape[1], x.shape[2], x.shape[3], o, weight.shape[2],
                weight.shape[3], st[0], st[1], pd[0], pd[1], dl[0], dl[1], groups);
        Tensor xc = contiguousAs(x, dt);
        Tensor wc = contiguousAs(weight, dt);
        Tensor bc = bias == null ? null : contiguousAs(bias, dt);
        Tensor out = Tensor.uninitialized(dt, new int[] {g.n(), o, g.outH(), g.outW()});
        // an empty batch (or no output channels) has nothing to compute; the kernels size scratch by the map
        if (out.numel() > 0 && dt == DType.INT64) {
            LongConvKernel.forward(xc.storage.l, xc.offset, wc.storage.l, wc.offset, bc == null ? null : bc.storage.l,
                    bc == null ? 0 : bc.offset, out.storage.l, 0, g);
        } else if (out.numel() > 0 && dt == DType.FLOAT32) {
            ConvKernels.conv2dForward(xc.storage.f, xc.offset, wc.storage.f, wc.offset,
                    bc == null ? null : bc.storage.f, bc == null ? 0 : bc.offset, out.storage.f, 0, g);
        } else if (out.numel() > 0) {
            ConvKernels.conv2dForward(xc.storage.d, xc.offset, wc.storage.d, wc.offset,
                    bc == null ? null : bc.storage.d, bc == null ? 0 : bc.offset, out.storage.d, 0, g);
        }
        if (Autograd.isRecording(x, weight, bias)) {
            // the inputs themselves are saved, not their contiguous copies, so an in-place change is detected
            // (docs/SEMANTICS.md §5.7); a non-contiguous input is copied again in backward
            Autograd.attach(out, new ConvolutionBackward0(x, weight, bias, new ConvSpec(g, st, pd, dl, groups, dt)));
        }
        return unbatched(input, out);
    }

    /** conv2d's rule: the input gradient needs the weight, the weight gradient needs the input. */
    static final class ConvolutionBackward0 extends Node {
        private final SavedTensor sx;
        private final SavedTensor sw;
        private final ConvSpec spec;

        ConvolutionBackward0(Tensor x, Tensor weight, Tensor bias, ConvSpec spec) {
            super("ConvolutionBackward0", x, weight, bias);
            // the inputs themselves are saved, not their contiguous copies, so an in-place change is detected
            // (docs/SEMANTICS.md §5.7); a non-contiguous input is copied again in backward
            this.sx = needsGrad(1) ? save(x) : null;
            this.sw = needsGrad(0) ? save(weight) : null;
            this.spec = spec;
        }

        @Override
        protected Tensor[] backward(Tensor gOut) {
            if (Grad.isEnabled()) {
                // createGraph (docs/SEMANTICS.md §5.12): the two gradients as differentiable ops
                return new Tensor[] {
                    needsGrad(0) ? convInputGrad(gOut, sw.get(), spec) : null,
                    needsGrad(1) ? convWeightGrad(gOut, sx.get(), spec) : null,
                    needsGrad(2) ? gOut.sum(new int[] {0, 2, 3}, false) : null,
                };
            }
            ConvGeometry g = spec.g();
            DType dt = spec.dt();
            int groups = spec.groups();
            int o = g.outChannels();
            Tensor gc = contiguousAs(gOut, dt);
            Tensor gx = null;
            Tensor gw = null;
            Tensor gb = null;
            if (gc.numel() == 0) {
                // an empty output sends zero gradients (sums over nothing)
                return new Tensor[] {
                    needsGrad(0) ? Tensor.empty(dt, new int[] {g.n(), g.c(), g.h(), g.w()}) : null,
                    needsGrad(1) ? Tensor.empty(dt, new int[] {o, g.c() / groups, g.kh(), g.kw()}) : null,
                    needsGrad(2) ? Tensor.empty(dt, new int[] {o}) : null};
            }
            if (needsGrad(0)) {
                gx = rawInputGrad(gc, sw.get(), g, dt);
            }
            if (needsGrad(1)) {
                gw = rawWeightGrad(gc, sx.get(), g, dt);
            }
            if (needsGrad(2)) {
                gb = gc.sum(new int[] {0, 2, 3}, false);
            }
            return new Tensor[] {gx, gw, gb};
        }
    }

    private static Tensor rawInputGrad(Tensor gc, Tensor weight, ConvGeometry g, DType dt) {
        Tensor w = contiguousAs(weight, dt);
        Tensor gx = Tensor.uninitialized(dt, new int[] {g.n(), g.c(), g.h(), g.w()});
        if (dt == DType.FLOAT32) {
            ConvKernels.conv2dBackwardInput(gc.storage.f, gc.offset, w.storage.f, w.offset, gx.storage.f, 0, g);
        } else {
            ConvKernels.conv2dBackwardInput(gc.storage.d, gc.offset, w.storage.d, w.offset, gx.storage.d, 0, g);
        }
        return gx;
    }

    private static Tensor rawWeightGrad(Tensor gc, Tensor x, ConvGeometry g, DType dt) {
        Tensor xs = contiguousAs(x, dt);
        Tensor gw = Tensor.uninitialized(dt, new int[] {g.outChannels(), g.c() / g.groups(), g.kh(), g.kw()});
        if (dt == DType.FLOAT32) {
            ConvKernels.conv2dBackwardWeight(gc.storage.f, gc.offset, xs.storage.f, xs.offset, gw.storage.f, 0, g);
        } else {
            ConvKernels.conv2dBackwardWeight(gc.storage.d, gc.offset, xs.storage.d, xs.offset, gw.storage.d, 0, g);
        }
        return gw;
    }

    /** A convolution's geometry and arguments, for its differentiable gradient ops. */
    private record ConvSpec(ConvGeometry g, int[] stride, int[] padding, int[] dilation, int groups, DType dt) {}

    /**
     * The input gradient of a convolution, {@code gx = Aᵀ(w)·gOut}, as an op of its own (docs/SEMANTICS.md §5.12).
     * It is bilinear: for an incoming {@code G}, {@code ∂/∂gOut = conv2d(G, w)} and {@code ∂/∂w} is the weight
     * gradient of a convolution of {@code G} given {@code gOut}, so the family closes at every order.
     */
    private static Tensor convInputGrad(Tensor gOut, Tensor w, ConvSpec spec) {
        Tensor gx = rawInputGrad(contiguousAs(gOut, spec.dt()), w, spec.g(), spec.dt());
        if (Autograd.isRecording(gOut, w)) {
            Autograd.attach(gx, new ConvolutionBackwardInput(gOut, w, spec));
        }
        return gx;
    }

    /**
     * The weight gradient of a convolution as an op of its own (docs/SEMANTICS.md §5.12); bilinear in
     * {@code gOut} and {@code x}: for an incoming {@code H}, {@code ∂/∂gOut = conv2d(x, H)} and
     * {@code ∂/∂x = convInputGrad(gOut, H)}.
     */
    private static Tensor convWeightGrad(Tensor gOut, Tensor x, ConvSpec spec) {
        Tensor gw = rawWeightGrad(contiguousAs(gOut, spec.dt()), x, spec.g(), spec.dt());
        if (Autograd.isRecording(gOut, x)) {
            Autograd.attach(gw, new ConvolutionBackwardWeight(gOut, x, spec));
        }
        return gw;
    }

    /** The rule of {@link #convInputGrad}: bilinear in the incoming gradient and the weight. */
    static final class ConvolutionBackwardInput extends Node {
        private final SavedTensor sg;
        private final SavedTensor sw;
        private final ConvSpec spec;

        ConvolutionBackwardInput(Tensor gOut, Tensor w, ConvSpec spec) {
            super("ConvolutionBackwardInput", gOut, w);
            this.sg = needsGrad(1) ? save(gOut) : null;
            this.sw = needsGrad(0) ? save(w) : null;
            this.spec = spec;
        }

        @Override
        protected Tensor[] backward(Tensor gg) {
            return new Tensor[] {
                needsGrad(0) ? conv2d(gg, sw.get(), null, spec.stride(), spec.padding(), spec.dilation(),
                        spec.groups()) : null,
                needsGrad(1) ? convWeightGrad(sg.get(), gg, spec) : null,
            };
        }
    }

    /** The rule of {@link #convWeightGrad}: bilinear in the incoming gradient and the input. */
    static final class ConvolutionBackwardWeight extends Node {
        private final SavedTensor sg;
        private final SavedTensor sx;
        private final ConvSpec spec;

        ConvolutionBackwardWeight(Tensor gOut, Tensor x, ConvSpec spec) {
            super("ConvolutionBackwardWeight", gOut, x);
            this.sg = needsGrad(1) ? save(gOut) : null;
            this.sx = needsGrad(0) ? save(x) : null;
            this.spec = spec;
        }

        @Override
        protected Tensor[] backward(Tensor h) {
            return new Tensor[] {
                needsGrad(0) ? conv2d(sx.get(), h, null, spec.stride(), spec.padding(), spec.dilation(),
                        spec.groups()) : null,
                needsGrad(1) ? convInputGrad(sg.get(), h, spec) : null,
            };
        }
    }

    // ------------------------------------------------------------------ conv_transpose2d

    /**
     * {@code conv_transpose2d}: the adjoint of the convolution whose input is this op's output, computed with
     * that convolution's input-gradient kernel and recorded as the same bilinear op
     * ({@link ConvolutionBackwardInput}), so it is differentiable at every order. Weight (in, out/groups, kH, kW)
     * as PyTorch's; no bias (the caller adds it). docs/SEMANTICS.md §19.
     */
    static Tensor convTranspose2d(Tensor input, Tensor weight, int[] strideArg, int[] paddingArg,
                                  int[] outputPaddingArg, int[] dilationArg, int groups) {
        Args.nonNull("conv_transpose2d", "input", input);
        Args.nonNull("conv_transpose2d", "weight", weight);
        checkDtypes(input, weight, null);
        if (weight.dim() != 4) {
            throw new IllegalArgumentException("conv_transpose2d: weight should have 4 dimensions (in, out/groups, "
                    + "kH, kW), got shape " + Shape.str(weight.shape));
        }
        Tensor y = batched("conv_transpose2d", input);
        int[] st = pair("conv_transpose2d", "stride", strideArg, 1);
        int[] pd = pair("conv_transpose2d", "padding", paddingArg, 0);
        int[] op = pair("conv_transpose2d", "output_padding", outputPaddingArg, 0);
        int[] dl = pair("conv_transpose2d", "dilation", dilationArg, 1);
        if (groups <= 0) {
            throw new IllegalArgumentException("conv_transpose2d: non-positive groups is not supported, got " + groups);
        }
        if (y.shape[1] != weight.shape[0]) {
            throw new IllegalArgumentException("conv_transpose2d: Given transposed=1, weight of size "
                    + Shape.str(weight.shape) + ", expected input" + Shape.str(input.shape) + " to have "
                    + weight.shape[0] + " channels, but got " + y.shape[1] + " channels instead");
        }
        if (weight.shape[0] % groups != 0) {
            throw new IllegalArgumentException("conv_transpose2d: weight's first dim " + weight.shape[0]
                    + " must be divisible by groups " + groups);
        }
        for (int d = 0; d < 2; d++) {
            if (st[d] <= 0 || dl[d] <= 0 || pd[d] < 0 || op[d] < 0) {
                throw new IllegalArgumentException("conv_transpose2d: stride and dilation must be positive and padding"
                        + " and output_padding non-negative, got stride " + Arrays.toString(st) + ", padding "
                        + Arrays.toString(pd) + ", output_padding " + Arrays.toString(op) + ", dilation "
                        + Arrays.toString(dl));
            }
            if (op[d] >= st[d] && op[d] >= dl[d]) {
                throw new IllegalArgumentException("conv_transpose2d: output padding must be smaller than either "
                        + "stride or dilation, but got output_padding_height: " + op[0] + " output_padding_width: "
                        + op[1] + " stride_height: " + st[0] + " stride_width: " + st[1] + " dilation_height: "
                        + dl[0] + " dilation_width: " + dl[1]);
            }
        }
        int kh = weight.shape[2];
        int kw = weight.shape[3];
        int outH = (y.shape[2] - 1) * st[0] - 2 * pd[0] + dl[0] * (kh - 1) + op[0] + 1;
        int outW = (y.shape[3] - 1) * st[1] - 2 * pd[1] + dl[1] * (kw - 1) + op[1] + 1;
        if (outH <= 0 || outW <= 0) {
            throw new IllegalArgumentException("conv_transpose2d: computed output size (" + outH + ", " + outW
                    + ") is too small for input " + Shape.str(input.shape));
        }
        int cOut = weight.shape[1] * groups;
        ConvGeometry g = ConvGeometry.of(y.shape[0], cOut, outH, outW, weight.shape[0], kh, kw, st[0], st[1], pd[0],
                pd[1], dl[0], dl[1], groups);
        if (g.outH() != y.shape[2] || g.outW() != y.shape[3]) {
            // output_padding ≥ stride (allowed when < dilation): the forward convolution of the result has extra
            // trailing rows/cols that no input position feeds, so their incoming values are zero
            List<Tensor> rows = new java.util.ArrayList<>(List.of(y));
            if (g.outH() > y.shape[2]) {
                rows.add(Tensor.zeros(y.dtype, y.shape[0], y.shape[1], g.outH() - y.shape[2], y.shape[3]));
            }
            y = Tensor.cat(rows, 2);
            if (g.outW() > y.shape[3]) {
                y = Tensor.cat(List.of(y, Tensor.zeros(y.dtype, y.shape[0], y.shape[1], y.shape[2],
                        g.outW() - y.shape[3])), 3);
            }
        }
        if (y.numel() == 0 || weight.numel() == 0) {
            return unbatched(input, Tensor.zeros(y.dtype, y.shape[0], cOut, outH, outW));
        }
        Tensor out = convInputGrad(y, weight, new ConvSpec(g, st, pd, dl, groups, input.dtype));
        return unbatched(input, out);
    }

    /** Adds {@code gOut} into a zero input-shaped tensor at the argmax positions (max pooling's backward). */
    private static Tensor maxPoolScatter(Tensor gOut, int[] argmax, PoolGeometry g, DType dt) {
        Tensor gc = gOut.contiguousRaw();
        Tensor gx = Tensor.uninitialized(dt, new int[] {g.n(), g.c(), g.h(), g.w()});
        if (dt == DType.FLOAT32) {
            PoolKernels.maxPool2dBackward(gc.storage.f, gc.offset, argmax, gx.storage.f, 0, g);
        } else {
            PoolKernels.maxPool2dBackward(gc.storage.d, gc.offset, argmax, gx.storage.d, 0, g);
        }
        return LinearMap.record(gOut, gx, in -> new MaxPool2DWithIndicesBackwardBackward0(in, argmax, g, dt));
    }

    /** Reads an input-shaped tensor at the argmax positions: the adjoint of {@link #maxPoolScatter}. */
    private static Tensor maxPoolGather(Tensor gx, int[] argmax, PoolGeometry g, DType dt) {
        double[] src = gx.detach().toDoubleArray();
        double[] dst = new double[argmax.length];
        int hw = g.h() * g.w();
        int ohw = g.outH() * g.outW();
        for (int o = 0; o < dst.length; o++) {
            dst[o] = src[(o / ohw) * hw + argmax[o]];
        }
        Tensor out = Tensor.of(dst, g.n(), g.c(), g.outH(), g.outW()).toRaw(dt);
        return LinearMap.record(gx, out, in -> new MaxPool2DGather(in, argmax, g, dt));
    }

    private static Tensor contiguousAs(Tensor t, DType dt) {
        return t.dtype == dt ? t.contiguousRaw() : t.toRaw(dt);
    }

    // ------------------------------------------------------------------ pooling

    /** kernel, stride (defaults to kernel), padding, dilation as pairs. */
    private static int[][] poolArgs(String op, int[] kernelArg, int[] strideArg, int[] paddingArg, int[] dilationArg) {
        if (kernelArg == null) {
            throw new IllegalArgumentException(op + ": kernel_size must be given");
        }
        int[] k = pair(op, "kernel_size", kernelArg, 1);
        int[] s = strideArg == null || strideArg.length == 0 ? k.clone() : pair(op, "stride", strideArg, 1);
        return new int[][] {k, s, pair(op, "padding", paddingArg, 0), pair(op, "dilation", dilationArg, 1)};
    }

    static Tensor maxPool2d(Tensor input, int[] kernel, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
        ElementwiseOps.requireFloat("max_pool2d", input);
        Tensor x = batched("max_pool2d", input);
        int[][] a = poolArgs("max_pool2d", kernel, stride, padding, dilation);
        PoolGeometry g = PoolGeometry.maxPool2d(x.shape[0], x.shape[1], x.shape[2], x.shape[3], a[0][0], a[0][1],
                a[1][0], a[1][1], a[2][0], a[2][1], a[3][0], a[3][1], ceilMode);
        Tensor xc = x.contiguousRaw();
        Tensor out = Tensor.uninitialized(x.dtype, new int[] {g.n(), g.c(), g.outH(), g.outW()});
        int[] argmax = new int[out.numel()];
        if (x.dtype == DType.FLOAT32) {
            PoolKernels.maxPool2dForward(xc.storage.f, xc.offset, out.storage.f, 0, argmax, g);
        } else {
            PoolKernels.maxPool2dForward(xc.storage.d, xc.offset, out.storage.d, 0, argmax, g);
        }
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, new MaxPool2DWithIndicesBackward0(x, argmax, g, x.dtype));
        }
        return unbatched(input, out);
    }

    static Tensor avgPool2d(Tensor input, int[] kernel, int[] stride, int[] padding, boolean ceilMode,
                            boolean countIncludePad) {
        ElementwiseOps.requireFloat("avg_pool2d", input);
        Tensor x = batched("avg_pool2d", input);
        int[][] a = poolArgs("avg_pool2d", kernel, stride, padding, null);
        PoolGeometry g = PoolGeometry.avgPool2d(x.shape[0], x.shape[1], x.shape[2], x.shape[3], a[0][0], a[0][1],
                a[1][0], a[1][1], a[2][0], a[2][1], ceilMode, countIncludePad);
        Tensor xc = x.contiguousRaw();
        Tensor out = Tensor.uninitialized(x.dtype, new int[] {g.n(), g.c(), g.outH(), g.outW()});
        if (x.dtype == DType.FLOAT32) {
            PoolKernels.avgPool2dForward(xc.storage.f, xc.offset, out.storage.f, 0, g);
        } else {
            PoolKernels.avgPool2dForward(xc.storage.d, xc.offset, out.storage.d, 0, g);
        }
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, new AvgPool2DBackward0(x, g, x.dtype, kernel, stride, padding, ceilMode,
                    countIncludePad));
        }
        return unbatched(input, out);
    }

    static Tensor adaptiveAvgPool2d(Tensor input, int outH, int outW) {
        ElementwiseOps.requireFloat("adaptive_avg_pool2d", input);
        Tensor x = batched("adaptive_avg_pool2d", input);
        if (outH <= 0 || outW <= 0) {
            throw new IllegalArgumentException("adaptive_avg_pool2d: output size must be positive, got (" + outH + ", "
                    + outW + ")");
        }
        PoolGeometry g = PoolGeometry.adaptive(x.shape[0], x.shape[1], x.shape[2], x.shape[3], outH, outW);
        int n = x.shape[0];
        int c = x.shape[1];
        int h = x.shape[2];
        int w = x.shape[3];
        Tensor xc = x.contiguousRaw();
        Tensor out = Tensor.uninitialized(x.dtype, new int[] {n, c, outH, outW});
        if (x.dtype == DType.FLOAT32) {
            PoolKernels.adaptiveAvgPool2dForward(xc.storage.f, xc.offset, out.storage.f, 0, g);
        } else {
            PoolKernels.adaptiveAvgPool2dForward(xc.storage.d, xc.offset, out.storage.d, 0, g);
        }
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, new AdaptiveAvgPool2DBackward0(x, g, x.dtype, n, c, h, w, outH, outW));
        }
        return unbatched(input, out);
    }

    /** max_pool2d's rule: scatters the gradient to the argmax positions found in forward. */
    static final class MaxPool2DWithIndicesBackward0 extends Node {
        private final SavedTensor sx;
        private final int[] argmax;
        private final PoolGeometry g;
        private final DType dt;

        MaxPool2DWithIndicesBackward0(Tensor x, int[] argmax, PoolGeometry g, DType dt) {
            super("MaxPool2DWithIndicesBackward0", x);
            // PyTorch saves the input; the rule needs only its shape, but an in-place change must fail
            this.sx = save(x);
            this.argmax = argmax;
            this.g = g;
            this.dt = dt;
        }

        @Override
        protected Tensor[] backward(Tensor gOut) {
            sx.get();
            if (Grad.isEnabled()) {
                return new Tensor[] {maxPoolScatter(gOut, argmax, g, dt)};
            }
            Tensor gc = gOut.contiguousRaw();
            Tensor gx = Tensor.uninitialized(dt, new int[] {g.n(), g.c(), g.h(), g.w()});
            if (dt == DType.FLOAT32) {
                PoolKernels.maxPool2dBackward(gc.storage.f, gc.offset, argmax, gx.storage.f, 0, g);
            } else {
                PoolKernels.maxPool2dBackward(gc.storage.d, gc.offset, argmax, gx.storage.d, 0, g);
            }
            return new Tensor[] {gx};
        }
    }

    /** The createGraph form of max pooling's scatter; its adjoint gathers at the argmax positions. */
    static final class MaxPool2DWithIndicesBackwardBackward0 extends LinearMap {
        private final int[] argmax;
        private final PoolGeometry g;
        private final DType dt;

        MaxPool2DWithIndicesBackwardBackward0(Tensor gOut, int[] argmax, PoolGeometry g, DType dt) {
            super("MaxPool2DWithIndicesBackwardBackward0", gOut);
            this.argmax = argmax;
            this.g = g;
            this.dt = dt;
        }

        @Override
        Tensor adjoint(Tensor gg) {
            return maxPoolGather(gg, argmax, g, dt);
        }
    }

    /** The gather of {@link #maxPoolGather}; its adjoint scatters back to the argmax positions. */
    static final class MaxPool2DGather extends LinearMap {
        private final int[] argmax;
        private final PoolGeometry g;
        private final DType dt;

        MaxPool2DGather(Tensor gx, int[] argmax, PoolGeometry g, DType dt) {
            super("MaxPool2DGather", gx);
            this.argmax = argmax;
            this.g = g;
            this.dt = dt;
        }

        @Override
        Tensor adjoint(Tensor gg) {
            return maxPoolScatter(gg, argmax, g, dt);
        }
    }

    /** avg_pool2d's rule: spreads each output gradient evenly over its window. */
    static final class AvgPool2DBackward0 extends Node {
        private final SavedTensor sx;
        private final PoolGeometry g;
        private final DType dt;
        private final int[] kernel;
        private final int[] stride;
        private final int[] padding;
        private final boolean ceilMode;
        private final boolean countIncludePad;

        AvgPool2DBackward0(Tensor x, PoolGeometry g, DType dt, int[] kernel, int[] stride, int[] padding,
                           boolean ceilMode, boolean countIncludePad) {
            super("AvgPool2DBackward0", x);
            // PyTorch saves the input; the rule needs only its shape, but an in-place change must fail
            this.sx = save(x);
            this.g = g;
            this.dt = dt;
            this.kernel = kernel;
            this.stride = stride;
            this.padding = padding;
            this.ceilMode = ceilMode;
            this.countIncludePad = countIncludePad;
        }

        @Override
        protected Tensor[] backward(Tensor gOut) {
            sx.get();
            Tensor gc = gOut.contiguousRaw();
            Tensor gx = Tensor.uninitialized(dt, new int[] {g.n(), g.c(), g.h(), g.w()});
            if (dt == DType.FLOAT32) {
                PoolKernels.avgPool2dBackward(gc.storage.f, gc.offset, gx.storage.f, 0, g);
            } else {
                PoolKernels.avgPool2dBackward(gc.storage.d, gc.offset, gx.storage.d, 0, g);
            }
            if (Grad.isEnabled()) {
                // createGraph: linear in gOut, with average pooling itself as the adjoint
                return new Tensor[] {LinearMap.record(gOut, gx, in -> new AvgPool2DBackwardBackward0(in, kernel,
                        stride, padding, ceilMode, countIncludePad))};
            }
            return new Tensor[] {gx};
        }
    }

    /** The createGraph form of average pooling's backward; its adjoint is average pooling itself. */
    static final class AvgPool2DBackwardBackward0 extends LinearMap {
        private final int[] kernel;
        private final int[] stride;
        private final int[] padding;
        private final boolean ceilMode;
        private final boolean countIncludePad;

        AvgPool2DBackwardBackward0(Tensor gOut, int[] kernel, int[] stride, int[] padding, boolean ceilMode,
                                   boolean countIncludePad) {
            super("AvgPool2DBackwardBackward0", gOut);
            this.kernel = kernel;
            this.stride = stride;
            this.padding = padding;
            this.ceilMode = ceilMode;
            this.countIncludePad = countIncludePad;
        }

        @Override
        Tensor adjoint(Tensor gg) {
            return avgPool2d(gg, kernel, stride, padding, ceilMode, countIncludePad);
        }
    }

    /** adaptive_avg_pool2d's rule: spreads each output gradient evenly over its adaptive window. */
    static final class AdaptiveAvgPool2DBackward0 extends Node {
        private final SavedTensor sx;
        private final PoolGeometry g;
        private final DType dt;
        private final int n;
        private final int c;
        private final int h;
        private final int w;
        private final int outH;
        private final int outW;

        AdaptiveAvgPool2DBackward0(Tensor x, PoolGeometry g, DType dt, int n, int c, int h, int w, int outH,
                                   int outW) {
            super("AdaptiveAvgPool2DBackward0", x);
            // PyTorch saves the input; the rule needs only its shape, but an in-place change must fail
            this.sx = save(x);
            this.g = g;
            this.dt = dt;
            this.n = n;
            this.c = c;
            this.h = h;
            this.w = w;
            this.outH = outH;
            this.outW = outW;
        }

        @Override
        protected Tensor[] backward(Tensor gOut) {
            sx.get();
            Tensor gc = gOut.contiguousRaw();
            Tensor gx = Tensor.uninitialized(dt, new int[] {n, c, h, w});
            if (dt == DType.FLOAT32) {
                PoolKernels.adaptiveAvgPool2dBackward(gc.storage.f, gc.offset, gx.storage.f, 0, g);
            } else {
                PoolKernels.adaptiveAvgPool2dBackward(gc.storage.d, gc.offset, gx.storage.d, 0, g);
            }
            if (Grad.isEnabled()) {
                // createGraph: linear in gOut, with adaptive average pooling itself as the adjoint
                return new Tensor[] {LinearMap.record(gOut, gx,
                        in -> new AdaptiveAvgPool2DBackwardBackward0(in, outH, outW))};
            }
            return new Tensor[] {gx};
        }
    }

    /** The createGraph form of adaptive average pooling's backward; its adjoint is the pooling itself. */
    static final class AdaptiveAvgPool2DBackwardBackward0 extends LinearMap {
        private final int outH;
        private final int outW;

        AdaptiveAvgPool2DBackwardBackward0(Tensor gOut, int outH, int outW) {
            super("AdaptiveAvgPool2DBackwardBackward0", gOut);
            this.outH = outH;
            this.outW = outW;
        }

        @Override
        Tensor adjoint(Tensor gg) {
            return adaptiveAvgPool2d(gg, outH, outW);
        }
    }
}
