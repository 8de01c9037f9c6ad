package dev.vgrad.nn;

import dev.vgrad.core.Autograd;
import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Node;
import dev.vgrad.core.SavedTensor;
import dev.vgrad.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Functional forms ({@code torch.nn.functional}). Functions whose behaviour depends on training take the
 * {@code training} flag explicitly and never look at a module (docs/SEMANTICS.md §1.6); stochastic functions draw
 * from the {@link Generator} passed in ({@link Generator#defaultGenerator()} when omitted).
 */
public final class F {
    private F() {}

    private static final System.Logger LOG = System.getLogger("dev.vgrad.nn");

    // ------------------------------------------------------------------ linear / conv / pooling

    /**
     * {@code x·Wᵀ + b} over the last dim of {@code x} (any leading dims); {@code bias} may be null. Dtypes are
     * never promoted (docs/SEMANTICS.md §11): the input and weight must share a dtype (PyTorch's addmm or matmul
     * error otherwise); a bias of another dtype is an error where PyTorch runs addmm (2-D input, or contiguous 3-D)
     * and is otherwise added in place as PyTorch's {@code add_} does, the result keeping the product's dtype.
     *
     * @param x input (*, in_features), any number of leading dims
     * @param weight (out_features, in_features), same dtype as {@code x}
     * @param bias (out_features), or null for none
     * @return a new tensor (*, out_features) in the product's dtype
     * @throws IllegalArgumentException for a non-2-D weight, mismatched in_features or (where PyTorch checks) dtypes
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        Check.nonNull("linear", "input", x);
        Check.nonNull("linear", "weight", weight);
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("linear: weight must be 2-D (out_features, in_features), got "
                    + Raw.shapeStr(weight.shape()));
        }
        if (bias != null && (x.dim() == 2 || (x.dim() == 3 && x.isContiguous()))) {
            // PyTorch's addmm(bias, x, Wᵀ) checks dtypes before shapes: self (the bias) against mat2 first, then
            // mat1 against mat2
            if (bias.dtype() != weight.dtype()) {
                throw new IllegalArgumentException("linear: self and mat2 must have the same dtype (bias "
                        + Raw.shapeStr(bias.shape()) + " " + bias.dtype() + ", weight " + Raw.shapeStr(weight.shape())
                        + " " + weight.dtype() + ")");
            }
            if (x.dtype() != weight.dtype()) {
                throw new IllegalArgumentException("linear: mat1 and mat2 must have the same dtype (input "
                        + Raw.shapeStr(x.shape()) + " " + x.dtype() + ", weight " + Raw.shapeStr(weight.shape()) + " "
                        + weight.dtype() + ")");
            }
        }
        if (x.dim() == 0 || x.size(-1) != weight.size(1)) {
            throw new IllegalArgumentException("mat1 and mat2 shapes cannot be multiplied ("
                    + (x.dim() == 0 ? "0-d input" : Raw.prod(x.shape(), 0, x.dim() - 1) + "x" + x.size(-1)) + " and "
                    + weight.size(1) + "x" + weight.size(0) + ")");
        }
        if (LinearOp.applies(x, weight, bias)) {
            return LinearOp.apply(x, weight, bias);
        }
        if (x.dim() == 3 && x.isContiguous() && LinearOp.fusable(x, weight, bias)) {
            // PyTorch's fused path for a contiguous 3-D input: addmm over the (B·T, in) view, viewed back, so the
            // bias is added into the product's own array (no second tensor, no extra pass) and the backward is
            // addmm's
            Tensor y = LinearOp.apply(x.view(x.size(0) * x.size(1), x.size(2)), weight, bias);
            return y.view(x.size(0), x.size(1), weight.size(0));
        }
        Tensor y = x.matmul(weight.t());
        return bias == null ? y : addInPlaceTyped(y, bias);
    }

    /**
     * {@code y + b} with the result in y's dtype, as PyTorch's {@code y.add_(b)}: computed in the promoted dtype of
     * the two (float64 if either is, float32 for an int64 bias on float32) and rounded once to y's dtype.
     */
    private static Tensor addInPlaceTyped(Tensor y, Tensor b) {
        if (b.dtype() == y.dtype()) {
            return y.add(b);
        }
        if (!y.dtype().isFloatingPoint() && b.dtype().isFloatingPoint()) {
            // an int64 product cannot hold a floating bias: PyTorch's add_ refuses rather than truncating
            throw new IllegalArgumentException("linear: result type " + (b.dtype() == DType.FLOAT64 ? "Double" : "Float")
                    + " can't be cast to the desired output type Long (product " + Raw.shapeStr(y.shape()) + " "
                    + y.dtype() + ", bias " + Raw.shapeStr(b.shape()) + " " + b.dtype() + ")");
        }
        DType common = y.dtype() == DType.FLOAT64 || b.dtype() == DType.FLOAT64 ? DType.FLOAT64 : y.dtype();
        return y.to(common).add(b.to(common)).to(y.dtype());
    }

    /**
     * 2-D convolution with numeric padding.
     *
     * @param x input (N, C_in, H, W), or (C_in, H, W) for one unbatched sample
     * @param weight (C_out, C_in/groups, kH, kW)
     * @param bias (C_out), or null for none
     * @param stride {sH, sW}, each at least 1
     * @param padding {pH, pW} zeros added on both sides of each spatial dim
     * @param dilation {dH, dW} spacing between kernel taps, each at least 1
     * @param groups number of channel groups; divides C_in and C_out
     * @return (N, C_out, H_out, W_out) (no batch dim for a 3-D input), with
     *   {@code H_out = floor((H + 2·pH − dH·(kH − 1) − 1)/sH) + 1}, likewise W_out
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation,
                                int groups) {
        return x.conv2d(weight, bias, stride, padding, dilation, groups);
    }

    /**
     * 2-D convolution with {@code padding} "valid" (none) or "same" (output size = input size; stride must be
     * 1; an even effective kernel pads one more on the bottom/right, as PyTorch does).
     *
     * @param x input (N, C_in, H, W), or (C_in, H, W) for one unbatched sample
     * @param weight (C_out, C_in/groups, kH, kW)
     * @param bias (C_out), or null for none; converted to the input's dtype as PyTorch 1.13 does on this path
     * @param stride {sH, sW}; must be {1, 1} for "same"
     * @param padding "valid" or "same"
     * @param dilation {dH, dW} spacing between kernel taps
     * @param groups number of channel groups; divides C_in and C_out
     * @return (N, C_out, H_out, W_out); for "same" {@code H_out = H}, {@code W_out = W}
     * @throws IllegalArgumentException for another padding string or "same" with a stride other than 1
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, String padding, int[] dilation,
                                int groups) {
        Check.nonNull("conv2d", "padding", padding);
        Check.nonNull("conv2d", "weight", weight);
        Check.nonNull("conv2d", "stride", stride);
        Check.nonNull("conv2d", "dilation", dilation);
        Check.nonNull("conv2d", "input", x);
        if (bias != null && bias.dtype() != x.dtype()) {
            // PyTorch 1.13's string-padding path converts the bias to the input's dtype instead of rejecting it:
            // F.conv2d(f32 input, f32 weight, f64 bias, padding='valid') returns float32 (docs/SEMANTICS.md §11)
            bias = bias.to(x.dtype());
        }
        switch (padding) {
            case "valid":
                return x.conv2d(weight, bias, stride, new int[] {0, 0}, dilation, groups);
            case "same": {
                if (stride[0] != 1 || stride[1] != 1) {
                    throw new IllegalArgumentException("padding='same' is not supported for strided convolutions");
                }
                int[] left = new int[2];
                int[] right = new int[2];
                for (int d = 0; d < 2; d++) {
                    int total = dilation[d] * (weight.size(2 + d) - 1);
                    left[d] = total / 2;
                    right[d] = total - left[d];
                }
                if (left[0] == right[0] && left[1] == right[1]) {
                    return x.conv2d(weight, bias, stride, left, dilation, groups);
                }
                Tensor padded = pad2d(x, 0, right[1] - left[1], 0, right[0] - left[0]);
                return padded.conv2d(weight, bias, stride, left, dilation, groups);
            }
            default:
                throw new IllegalArgumentException("Invalid padding string '" + padding
                        + "', should be one of {'valid', 'same'}");
        }
    }

    /**
     * Zero-pads the last two dims of {@code x} by the given amounts (differentiable).
     *
     * @param x input with at least 2 dims (*, H, W)
     * @param left zero columns added before the last dim, at least 0
     * @param right zero columns added after the last dim, at least 0
     * @param top zero rows added before the second-to-last dim, at least 0
     * @param bottom zero rows added after the second-to-last dim, at least 0
     * @return a new tensor (*, top + H + bottom, left + W + right); {@code x} itself when all amounts are 0
     * @throws IllegalArgumentException for fewer than 2 dims or a negative amount
     */
    public static Tensor pad2d(Tensor x, int left, int right, int top, int bottom) {
        Check.nonNull("pad2d", "input", x);
        if (x.dim() < 2) {
            throw new IllegalArgumentException("pad2d: expected at least 2 dims, got " + x.dim());
        }
        if (left < 0 || right < 0 || top < 0 || bottom < 0) {
            throw new IllegalArgumentException("pad2d: negative padding is not supported");
        }
        int r = x.dim();
        Tensor y = x;
        if (left > 0 || right > 0) {
            List<Tensor> parts = new ArrayList<>();
            int[] s = y.shape();
            if (left > 0) {
                s[r - 1] = left;
                parts.add(Tensor.zeros(x.dtype(), s.clone()));
            }
            parts.add(y);
            if (right > 0) {
                s[r - 1] = right;
                parts.add(Tensor.zeros(x.dtype(), s.clone()));
            }
            y = Tensor.cat(parts, r - 1);
        }
        if (top > 0 || bottom > 0) {
            List<Tensor> parts = new ArrayList<>();
            int[] s = y.shape();
            if (top > 0) {
                s[r - 2] = top;
                parts.add(Tensor.zeros(x.dtype(), s.clone()));
            }
            parts.add(y);
            if (bottom > 0) {
                s[r - 2] = bottom;
                parts.add(Tensor.zeros(x.dtype(), s.clone()));
            }
            y = Tensor.cat(parts, r - 2);
        }
        return y;
    }

    /**
     * Max pooling ({@code stride} null = kernel).
     *
     * @param x input (N, C, H, W) or (C, H, W)
     * @param kernel {kH, kW} window size
     * @param stride {sH, sW}, or null for the kernel size
     * @param padding {pH, pW} implicit −∞ padding on both sides, at most half the kernel
     * @param dilation {dH, dW} spacing between window elements
     * @param ceilMode round the output size up instead of down (PyTorch's {@code ceil_mode})
     * @return (N, C, H_out, W_out) with {@code H_out = floor((H + 2·pH − dH·(kH − 1) − 1)/sH) + 1} (ceil with
     *   {@code ceilMode}), likewise W_out
     */
    public static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, int[] dilation,
                                   boolean ceilMode) {
        return x.maxPool2d(kernel, stride, padding, dilation, ceilMode);
    }

    /**
     * Average pooling ({@code stride} null = kernel).
     *
     * @param x input (N, C, H, W) or (C, H, W)
     * @param kernel {kH, kW} window size
     * @param stride {sH, sW}, or null for the kernel size
     * @param padding {pH, pW} implicit zero padding on both sides, at most half the kernel
     * @param ceilMode round the output size up instead of down (PyTorch's {@code ceil_mode})
     * @param countIncludePad whether the zero padding counts in each window's divisor
     * @return (N, C, H_out, W_out) with {@code H_out = floor((H + 2·pH − kH)/sH) + 1} (ceil with {@code ceilMode})
     */
    public static Tensor avgPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, boolean ceilMode,
                                   boolean countIncludePad) {
        return x.avgPool2d(kernel, stride, padding, ceilMode, countIncludePad);
    }

    /**
     * Adaptive average pooling to {@code (outH, outW)}.
     *
     * @param x input (N, C, H, W) or (C, H, W)
     * @param outH output height, at least 1
     * @param outW output width, at least 1
     * @return (N, C, outH, outW); window i spans rows {@code floor(i·H/outH)} to {@code ceil((i+1)·H/outH)}
     */
    public static Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        return x.adaptiveAvgPool2d(outH, outW);
    }

    // ------------------------------------------------------------------ activations

    /**
     * max(x, 0).
     *
     * @param x input of any shape ({@code F.relu})
     * @return a new tensor of x's shape and dtype
     */
    public static Tensor relu(Tensor x) {
        return x.relu();
    }

    /**
     * Leaky ReLU.
     *
     * @param x input of any shape ({@code F.leaky_relu})
     * @param negativeSlope slope for {@code x < 0} (PyTorch's default 0.01); not NaN
     * @return a new tensor of x's shape: {@code x} where {@code x > 0}, else {@code negativeSlope·x}
     */
    public static Tensor leakyRelu(Tensor x, double negativeSlope) {
        return x.leakyRelu(negativeSlope);
    }

    /**
     * Exact GELU.
     *
     * @param x input of any shape ({@code F.gelu})
     * @return a new tensor of x's shape: {@code x·Φ(x)}
     */
    public static Tensor gelu(Tensor x) {
        return x.gelu();
    }

    /**
     * GELU with {@code approximate} "none" (exact) or "tanh".
     *
     * @param x input of any shape ({@code F.gelu})
     * @param approximate "none" or "tanh" ({@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))})
     * @return a new tensor of x's shape
     * @throws IllegalArgumentException for another approximation name
     */
    public static Tensor gelu(Tensor x, String approximate) {
        Check.nonNull("gelu", "approximate", approximate);
        switch (approximate) {
            case "none":
                return x.gelu();
            case "tanh": {
                Tensor inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
                return x.mul(0.5).mul(inner.tanh().add(1));
            }
            default:
                throw new IllegalArgumentException("approximate argument must be either none or tanh.");
        }
    }

    /**
     * x·σ(x).
     *
     * @param x input of any shape ({@code F.silu})
     * @return a new tensor of x's shape
     */
    public static Tensor silu(Tensor x) {
        return x.silu();
    }

    /**
     * tanh.
     *
     * @param x input of any shape ({@code torch.tanh})
     * @return a new tensor of x's shape
     */
    public static Tensor tanh(Tensor x) {
        return x.tanh();
    }

    /**
     * σ(x).
     *
     * @param x input of any shape ({@code torch.sigmoid})
     * @return a new tensor of x's shape
     */
    public static Tensor sigmoid(Tensor x) {
        return x.sigmoid();
    }

    /**
     * Softmax along {@code dim}.
     *
     * @param x input of any shape ({@code F.softmax})
     * @param dim dim to normalise over; negative counts from the end
     * @return a new tensor of x's shape whose slices along {@code dim} sum to 1
     */
    public static Tensor softmax(Tensor x, int dim) {
        return x.softmax(dim);
    }

    /**
     * Log-softmax along {@code dim}.
     *
     * @param x input of any shape ({@code F.log_softmax})
     * @param dim dim to normalise over; negative counts from the end
     * @return a new tensor of x's shape: {@code x − logsumexp(x, dim)}
     */
    public static Tensor logSoftmax(Tensor x, int dim) {
        return x.logSoftmax(dim);
    }

    // ------------------------------------------------------------------ dropout family

    static void checkDropoutP(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + Py.repr(p));
        }
    }

    /**
     * {@code F.dropout(x)}: p = 0.5, training = true (PyTorch's defaults), default generator.
     *
     * @param x input of any shape
     * @return a new tensor of x's shape (see {@link #dropout(Tensor, double, boolean, Generator)})
     */
    public static Tensor dropout(Tensor x) {
        return dropout(x, 0.5, true, Generator.defaultGenerator());
    }

    /**
     * {@code F.dropout(x, p)} with PyTorch's default {@code training=true}.
     *
     * @param x input of any shape
     * @param p probability of zeroing an element, in [0, 1]
     * @return a new tensor of x's shape (see {@link #dropout(Tensor, double, boolean, Generator)})
     */
    public static Tensor dropout(Tensor x, double p) {
        return dropout(x, p, true, Generator.defaultGenerator());
    }

    /**
     * Dropout with the default generator.
     *
     * @param x input of any shape
     * @param p probability of zeroing an element, in [0, 1]
     * @param training apply dropout; false returns {@code x} itself
     * @return x's shape (see {@link #dropout(Tensor, double, boolean, Generator)})
     */
    public static Tensor dropout(Tensor x, double p, boolean training) {
        return dropout(x, p, training, Generator.defaultGenerator());
    }

    /**
     * Inverted dropout (docs/SEMANTICS.md §2.2): identity (the same tensor) when {@code p == 0}, not training or empty;
     * {@code x * 0} when {@code p == 1}; else each element is kept with probability {@code 1-p} and scaled by
     * {@code 1/(1-p)}.
     *
     * @param x floating input of any shape
     * @param p probability of zeroing an element, in [0, 1]
     * @param training apply dropout; false returns {@code x} itself
     * @param gen source of the Bernoulli draws
     * @return a new tensor of x's shape, or {@code x} itself when dropout is a no-op
     * @throws IllegalArgumentException when {@code p} is outside [0, 1] or NaN
     */
    public static Tensor dropout(Tensor x, double p, boolean training, Generator gen) {
        checkDropoutP(p);
        Check.nonNull("dropout", "input", x);
        Check.nonNull("dropout", "generator", gen);
        if (p == 0 || !training || x.numel() == 0) {
            return x;
        }
        if (p == 1) {
            return x.mul(0.0);
        }
        return x.mul(bernoulliMask(x.shape(), x.dtype(), 1 - p, 1 / (1 - p), gen));
    }

    /**
     * Dropout with an explicit keep-mask (1 = keep, 0 = drop) broadcastable to {@code x}: {@code x * (mask/(1-p))};
     * for tests and reproducing another framework's draw.
     *
     * @param x input of any shape
     * @param keepMask 1 to keep, 0 to drop; broadcastable to x, converted to x's dtype
     * @param p the drop probability the mask was drawn with, in [0, 1]
     * @return a new tensor of the broadcast shape
     */
    public static Tensor dropoutWithMask(Tensor x, Tensor keepMask, double p) {
        checkDropoutP(p);
        if (p == 1) {
            return x.mul(0.0);
        }
        return x.mul(keepMask.to(x.dtype()).div(1 - p));
    }

    private static Tensor bernoulliMask(int[] shape, DType dtype, double keep, double scale, Generator gen) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("dropout: expected a floating point input, got " + dtype);
        }
        double[] u = new double[n];
        gen.nextDoubles(u, 0, n);
        Tensor mask = Tensor.zeros(dtype, shape);
        if (dtype == DType.FLOAT32) {
            float[] f = mask.floatStorage();
            float fs = (float) scale;
            for (int i = 0; i < n; i++) {
                f[i] = u[i] < keep ? fs : 0f;
            }
        } else {
            double[] d = mask.doubleStorage();
            for (int i = 0; i < n; i++) {
                d[i] = u[i] < keep ? scale : 0.0;
            }
        }
        return mask;
    }

    /** Channel dropout over dims 0 and 1: the mask has shape (N, C, 1, …, 1). */
    static Tensor featureDropout(Tensor x, double p, boolean training, Generator gen) {
        checkDropoutP(p);
        Check.nonNull("dropout", "input", x);
        Check.nonNull("dropout", "generator", gen);
        if (x.dim() < 2) {
            throw new IllegalStateException("Feature dropout requires at least 2 dimensions in the input");
        }
        if (p == 0 || !training || x.numel() == 0) {
            return x;
        }
        if (p == 1) {
            return x.mul(0.0);
        }
        int[] ms = new int[x.dim()];
        Arrays.fill(ms, 1);
        ms[0] = x.size(0);
        ms[1] = x.size(1);
        return x.mul(bernoulliMask(ms, x.dtype(), 1 - p, 1 / (1 - p), gen));
    }

    /**
     * {@code F.dropout1d}: input (C, L) (unbatched) or (N, C, L); whole channels are zeroed.
     *
     * @param x input (N, C, L) or (C, L)
     * @param p probability of zeroing a channel, in [0, 1]
     * @param training apply dropout; false returns {@code x} itself
     * @param gen source of the per-channel Bernoulli draws
     * @return x's shape; kept channels are scaled by {@code 1/(1-p)}
     * @throws IllegalStateException for an input that is not 2-D or 3-D
     */
    public static Tensor dropout1d(Tensor x, double p, boolean training, Generator gen) {
        checkDropoutP(p);
        Check.nonNull("dropout1d", "input", x);
        int d = x.dim();
        if (d != 2 && d != 3) {
            throw new IllegalStateException("dropout1d: Expected 2D or 3D input, but received a " + d + "D input. "
                    + "Note that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, "
                    + "a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).");
        }
        if (d == 2) {
            return featureDropout(x.unsqueeze(0), p, training, gen).squeeze(0);
        }
        return featureDropout(x, p, training, gen);
    }

    /**
     * {@code F.dropout2d}: meant for (N, C, H, W); a 3-D input is treated as (N, C, L) and other ranks get a
     * warning, as in PyTorch; the mask is always (N, C, 1, …).
     *
     * @param x input (N, C, H, W) (other ranks of at least 2 dims as described)
     * @param p probability of zeroing a channel, in [0, 1]
     * @param training apply dropout; false returns {@code x} itself
     * @param gen source of the per-channel Bernoulli draws
     * @return x's shape; kept channels are scaled by {@code 1/(1-p)}
     */
    public static Tensor dropout2d(Tensor x, double p, boolean training, Generator gen) {
        checkDropoutP(p);
        Check.nonNull("dropout2d", "input", x);
        int d = x.dim();
        if (d == 3) {
            LOG.log(System.Logger.Level.WARNING, "dropout2d: Received a 3D input to dropout2d and assuming that "
                    + "channel-wise 1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
                    + "is the channel dim. This behavior will change in a future release to interpret the input as "
                    + "one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout "
                    + "behavior, please switch to using dropout1d instead.");
        } else if (d != 4) {
            LOG.log(System.Logger.Level.WARNING, "dropout2d: Received a " + d + "-D input to dropout2d, which is "
                    + "deprecated and will result in an error in a future release. To retain the behavior and silence "
                    + "this warning, please use dropout instead. Note that dropout2d exists to provide channel-wise "
                    + "dropout on inputs with 2 spatial dimensions, a channel dimension, and an optional batch "
                    + "dimension (i.e. 3D or 4D inputs).");
        }
        return featureDropout(x, p, training, gen);
    }

    /**
     * {@code F.dropout2d} with the default generator.
     *
     * @param x input (N, C, H, W)
     * @param p probability of zeroing a channel, in [0, 1]
     * @param training apply dropout; false returns {@code x} itself
     * @return x's shape (see {@link #dropout2d(Tensor, double, boolean, Generator)})
     */
    public static Tensor dropout2d(Tensor x, double p, boolean training) {
        return dropout2d(x, p, training, Generator.defaultGenerator());
    }

    /**
     * Stochastic depth (timm {@code drop_path}, docs/SEMANTICS.md §4): identity when {@code dropProb == 0} or not
     * training; otherwise one Bernoulli(1-dropProb) draw per sample (mask (N,1,…,1)), scaled by {@code 1/keep}
     * when {@code scaleByKeep} and {@code keep > 0}.
     *
     * @param x input (N, *)
     * @param dropProb probability of dropping a whole sample, in [0, 1]
     * @param training apply the drop; false returns {@code x} itself
     * @param scaleByKeep divide kept samples by {@code 1 − dropProb}
     * @param gen source of the per-sample Bernoulli draws
     * @return a new tensor of x's shape, or {@code x} itself when dropping is a no-op
     */
    public static Tensor dropPath(Tensor x, double dropProb, boolean training, boolean scaleByKeep, Generator gen) {
        Check.probability("drop_path", "drop_prob", dropProb);
        Check.nonNull("drop_path", "input", x);
        Check.nonNull("drop_path", "generator", gen);
        if (dropProb == 0 || !training) {
            return x;
        }
        double keep = 1 - dropProb;
        int[] ms = new int[x.dim()];
        Arrays.fill(ms, 1);
        if (ms.length > 0) {
            ms[0] = x.size(0);
        }
        Tensor mask = bernoulliMask(ms, x.dtype(), keep, 1.0, gen);
        return dropPathWithMask(x, mask, dropProb, training, scaleByKeep);
    }

    /**
     * {@code dropPath} with PyTorch/timm defaults ({@code training=false}, {@code scaleByKeep=true}).
     *
     * @param x input (N, *)
     * @param dropProb probability of dropping a whole sample, in [0, 1]
     * @return {@code x} itself, since {@code training} defaults to false
     */
    public static Tensor dropPath(Tensor x, double dropProb) {
        return dropPath(x, dropProb, false, true, Generator.defaultGenerator());
    }

    /**
     * {@code dropPath} with an explicit per-sample keep-mask (1 = keep) of shape (N,1,…,1).
     *
     * @param x input (N, *)
     * @param keepMask (N, 1, …, 1) mask, 1 to keep a sample, 0 to drop it
     * @param dropProb the drop probability the mask was drawn with, in [0, 1]
     * @param training apply the mask; false returns {@code x} itself
     * @param scaleByKeep divide kept samples by {@code 1 − dropProb}
     * @return a new tensor of x's shape, or {@code x} itself when dropping is a no-op
     */
    public static Tensor dropPathWithMask(Tensor x, Tensor keepMask, double dropProb, boolean training,
                                          boolean scaleByKeep) {
        Check.probability("drop_path", "drop_prob", dropProb);
        Check.nonNull("drop_path", "input", x);
        if (dropProb == 0 || !training) {
            return x;
        }
        double keep = 1 - dropProb;
        Tensor m = keepMask.to(x.dtype());
        if (keep > 0 && scaleByKeep) {
            m = m.div(keep);
        }
        return x.mul(m);
    }

    // ------------------------------------------------------------------ normalisation

    /**
     * {@code F.batch_norm}: normalises over every dim but 1 with batch statistics when {@code training} (and
     * then updates the running statistics in place, under no-grad, with {@code momentum}), or with the running
     * statistics otherwise. {@code runningMean}/{@code runningVar}/{@code weight}/{@code bias} may be null.
     * A fused op with its own backward.
     *
     * @param x input (N, C, *)
     * @param runningMean (C) running mean, updated in place when training; may be null
     * @param runningVar (C) running unbiased variance, updated in place when training; may be null
     * @param weight (C) scale γ, or null
     * @param bias (C) shift β, or null
     * @param training use batch statistics (and update the running ones) instead of the running statistics
     * @param momentum running-statistics update factor: {@code r = (1 − momentum)·r + momentum·batch}
     * @param eps added to the variance inside the square root; finite, at least 0
     * @return a new tensor of x's shape: {@code (x − mean)/√(var + eps)·γ + β} per channel
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   boolean training, double momentum, double eps) {
        return BatchNormOp.apply(x, runningMean, runningVar, weight, bias, training, momentum, eps);
    }

    /**
     * {@code F.batch_norm} with PyTorch's defaults: eval mode, momentum 0.1, eps 1e-5, no affine.
     *
     * @param x input (N, C, *)
     * @param runningMean (C) running mean used to normalise
     * @param runningVar (C) running variance used to normalise
     * @return a new tensor of x's shape
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar) {
        return batchNorm(x, runningMean, runningVar, null, null, false, 0.1, 1e-5);
    }

    /**
     * Layer normalisation over the trailing {@code normalizedShape} dims (biased variance, eps inside the
     * sqrt); {@code weight}/{@code bias} (of {@code normalizedShape}) may be null.
     *
     * @param x input (*, normalizedShape)
     * @param normalizedShape the trailing dims to normalise over (PyTorch's {@code normalized_shape})
     * @param weight scale of shape {@code normalizedShape}, or null
     * @param bias shift of shape {@code normalizedShape}, or null
     * @param eps added to the variance inside the square root; finite, at least 0
     * @return a new tensor of x's shape
     * @throws IllegalStateException when x's trailing dims are not {@code normalizedShape}
     */
    public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        Check.nonNull("layer_norm", "input", x);
        Check.nonNull("layer_norm", "normalized_shape", normalizedShape);
        Check.eps("layer_norm", eps);
        for (Tensor t : new Tensor[] {weight, bias}) {
            if (t != null && !Arrays.equals(t.shape(), normalizedShape)) {
                throw new IllegalArgumentException("layer_norm: weight and bias must have shape "
                        + Raw.shapeStr(normalizedShape) + ", got " + Raw.shapeStr(t.shape()));
            }
        }
        int[] dims = trailingDims(x, normalizedShape);
        if (LayerNormOp.applies(x, weight, bias)) {
            return LayerNormOp.apply(x, normalizedShape, weight, bias, eps);
        }
        Tensor mean = x.mean(dims, true);
        Tensor xc = x.sub(mean);
        Tensor var = xc.mul(xc).mean(dims, true);
        Tensor y = xc.div(var.add(eps).sqrt());
        if (weight != null) {
            y = y.mul(weight);
        }
        if (bias != null) {
            y = y.add(bias);
        }
        // PyTorch's NativeLayerNormBackward0 saves input, weight and bias
        return Autograd.composite("NativeLayerNormBackward0", y, x, weight, bias);
    }

    // ------------------------------------------------------------------ embedding

    /**
     * Looks up rows of {@code weight} (V, D) for int64 {@code indices} of any shape; output shape
     * {@code indices.shape + [D]} in the weight's dtype. Rows at {@code paddingIdx} (if non-null) receive no
     * gradient. The rows are read straight from the weight's storage, so a lookup costs the output's size, not the
     * table's (docs/SEMANTICS.md §11); the weight's gradient is dense, of the table's shape, as PyTorch's
     * (non-sparse) one, accumulated in the weight's dtype in index order as PyTorch's {@code index_add_} does.
     *
     * @param indices int64 row indices of any shape, each in [0, V)
     * @param weight (V, D) embedding table
     * @param paddingIdx row that gets no gradient (negative counts from V), or null for none
     * @return a new tensor {@code indices.shape + [D]} in the weight's dtype
     * @throws IllegalArgumentException for non-int64 indices or a non-2-D weight
     * @throws IndexOutOfBoundsException for an index outside [0, V)
     */
    public static Tensor embedding(Tensor indices, Tensor weight, Integer paddingIdx) {
        Check.nonNull("embedding", "indices", indices);
        Check.nonNull("embedding", "weight", weight);
        if (indices.dtype() != DType.INT64) {
            throw new IllegalArgumentException("Expected tensor for argument #1 'indices' to have one of the following "
                    + "scalar types: Long, Int; but got " + indices.dtype() + " instead (while checking arguments for "
                    + "embedding)");
        }
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("embedding: 'weight' must be 2-D, got " + Raw.shapeStr(weight.shape()));
        }
        final int vocab = weight.size(0);
        final int dimE = weight.size(1);
        if (paddingIdx != null && (paddingIdx >= vocab || paddingIdx < -vocab)) {
            throw new IllegalArgumentException("embedding: Padding_idx must be within num_embeddings");
        }
        final long[] idx = Raw.longs(indices);
        for (long i : idx) {
            if (i < 0 || i >= vocab) {
                throw new IndexOutOfBoundsException("embedding: index out of range in self (index " + i
                        + ", num_embeddings " + vocab + ")");
            }
        }
        int[] is = indices.shape();
        int[] os = Arrays.copyOf(is, is.length + 1);
        os[is.length] = dimE;
        Tensor y;
        try (Grad.Scope off = Grad.disabled()) {
            // index_select reads the rows through the weight's strides, in its dtype: O(output), no copy of the table
            y = weight.indexSelect(0, indices.reshape(-1)).reshape(os);
        }
        final int pad = paddingIdx == null ? -1 : (paddingIdx < 0 ? paddingIdx + vocab : paddingIdx);
        if (Autograd.isRecording(weight)) {
            Autograd.attach(y, new EmbeddingBackward0(weight, indices, idx, pad, vocab, dimE));
        }
        return y;
    }

    /**
     * Records {@code gw} (embedding's weight gradient, already computed from {@code g}) as a linear map of
     * {@code g}; its adjoint reads rows {@code idx} back (zero for the padding index) with {@code indexSelect}.
     */
    private static Tensor embeddingScatter(Tensor gw, Tensor g, long[] idx, int pad) {
        double[] keep = new double[idx.length];
        for (int r = 0; r < idx.length; r++) {
            keep[r] = idx[r] == pad ? 0 : 1;
        }
        return Autograd.attach(gw, new EmbeddingBackwardBackward0(g, idx, keep));
    }

    /**
     * The dense (vocab, dimE) gradient of an embedding lookup: row {@code idx[r]} gets {@code g[r, :]} added, in
     * index order and in the weight's dtype (PyTorch's {@code index_add_}), except the padding row.
     */
    private static Tensor scatterRows(Tensor g, long[] idx, int pad, DType dtype, int vocab, int dimE) {
        Tensor gc = g.detach().to(dtype).contiguous();
        Tensor gw = Tensor.zeros(dtype, vocab, dimE);
        int go = gc.storageOffset();
        if (dtype == DType.FLOAT32) {
            float[] gv = gc.floatStorage();
            float[] dst = gw.floatStorage();
            for (int r = 0; r < idx.length; r++) {
                int row = (int) idx[r];
                if (row != pad) {
                    for (int j = 0, o = row * dimE, s = go + r * dimE; j < dimE; j++) {
                        dst[o + j] += gv[s + j];
                    }
                }
            }
        } else {
            double[] gv = gc.doubleStorage();
            double[] dst = gw.doubleStorage();
            for (int r = 0; r < idx.length; r++) {
                int row = (int) idx[r];
                if (row != pad) {
                    for (int j = 0, o = row * dimE, s = go + r * dimE; j < dimE; j++) {
                        dst[o + j] += gv[s + j];
                    }
                }
            }
        }
        return gw;
    }

    // ------------------------------------------------------------------ losses

    /**
     * Cross-entropy with defaults (mean, ignore_index -100, no weight, no smoothing).
     *
     * @param input logits (N, C), (C) or (N, C, d1, …)
     * @param target int64 class indices (N) / () / (N, d1, …), or class probabilities of the input's shape
     * @return a 0-d tensor, the mean loss
     */
    public static Tensor crossEntropy(Tensor input, Tensor target) {
        return crossEntropy(input, target, null, -100, "mean", 0.0);
    }

    /**
     * {@code F.cross_entropy} (docs/SEMANTICS.md §8.2): fused log-softmax + NLL over the class dim (1, or 0 for a
     * 1-D input). {@code target} holds int64 class indices (input shape without the class dim) or, when
     * floating, class probabilities of the input's shape.
     *
     * @param input logits (N, C), (C) or (N, C, d1, …)
     * @param target int64 class indices (N) / () / (N, d1, …), or class probabilities of the input's shape
     * @param weight (C) per-class rescaling weight, or null
     * @param ignoreIndex target value that contributes neither loss nor gradient (PyTorch's default −100)
     * @param reduction "none", "mean" or "sum"
     * @param labelSmoothing in [0, 1]: the target is mixed with the uniform distribution by this amount
     * @return the loss: 0-d for "mean"/"sum", the target's index shape (N, d1, …) for "none"
     * @throws IllegalArgumentException for a non-floating or 0-d input, or a batch-size mismatch
     * @throws IllegalStateException for a target of the wrong dtype or size, or a smoothing outside [0, 1]
     * @throws IndexOutOfBoundsException for a class index outside [0, C) other than the ignore index
     */
    public static Tensor crossEntropy(Tensor input, Tensor target, Tensor weight, long ignoreIndex, String reduction,
                                      double labelSmoothing) {
        return CrossEntropyOp.apply(input, target, weight, ignoreIndex, Reduction.of(reduction), labelSmoothing, false);
    }

    /**
     * NLL loss with defaults.
     *
     * @param input log-probabilities (N, C), (C) or (N, C, d1, …)
     * @param target int64 class indices (N), () or (N, d1, …)
     * @return a 0-d tensor, the mean loss
     */
    public static Tensor nllLoss(Tensor input, Tensor target) {
        return nllLoss(input, target, null, -100, "mean");
    }

    /**
     * {@code F.nll_loss} on log-probabilities: {@code -w[t]·input[i, t]}, mean divides by Σ w[t] of kept items.
     *
     * @param input log-probabilities (N, C), (C) or (N, C, d1, …)
     * @param target int64 class indices (N), () or (N, d1, …)
     * @param weight (C) per-class rescaling weight, or null
     * @param ignoreIndex target value that contributes neither loss nor gradient (PyTorch's default −100)
     * @param reduction "none", "mean" or "sum"
     * @return the loss: 0-d for "mean"/"sum", the target's shape for "none"
     * @throws IllegalArgumentException for a non-floating or 0-d input, or a batch-size mismatch
     * @throws IllegalStateException for a target of the wrong dtype or size (PyTorch's RuntimeError texts)
     * @throws IndexOutOfBoundsException for a class index outside [0, C) other than the ignore index
     */
    public static Tensor nllLoss(Tensor input, Tensor target, Tensor weight, long ignoreIndex, String reduction) {
        return CrossEntropyOp.apply(input, target, weight, ignoreIndex, Reduction.of(reduction), 0.0, true);
    }

    /**
     * {@code F.mse_loss} with mean reduction.
     *
     * @param input predictions of any shape
     * @param target targets, same shape as input (broadcast with a warning otherwise)
     * @return a 0-d tensor, the mean squared error
     */
    public static Tensor mseLoss(Tensor input, Tensor target) {
        return mseLoss(input, target, "mean");
    }

    /**
     * {@code F.mse_loss}: {@code (x − y)²}, broadcasting with PyTorch's warning when the shapes differ.
     *
     * @param input predictions of any shape
     * @param target targets, same shape as input (broadcast with a warning otherwise)
     * @param reduction "none", "mean" or "sum"
     * @return 0-d for "mean"/"sum", the broadcast shape for "none"
     */
    public static Tensor mseLoss(Tensor input, Tensor target, String reduction) {
        Reduction red = Reduction.of(reduction);
        Check.nonNull("mse_loss", "input", input);
        Check.nonNull("mse_loss", "target", target);
        if (!Arrays.equals(input.shape(), target.shape())) {
            LOG.log(System.Logger.Level.WARNING, "Using a target size (" + Py.size(target.shape())
                    + ") that is different to the input size (" + Py.size(input.shape()) + "). This will likely "
                    + "lead to incorrect results due to broadcasting. Please ensure they have the same size.");
        }
        Tensor d = input.sub(target);
        // PyTorch's MseLossBackward0 saves both; the composite's own nodes keep only the private difference
        return Autograd.composite("MseLossBackward0", reduce(d.mul(d), red), input, target);
    }

    /**
     * {@code F.binary_cross_entropy_with_logits} with mean reduction and no weights.
     *
     * @param input logits of any shape
     * @param target targets in [0, 1] of the input's shape
     * @return a 0-d tensor, the mean loss
     */
    public static Tensor bceWithLogits(Tensor input, Tensor target) {
        return bceWithLogits(input, target, null, null, "mean");
    }

    /**
     * {@code F.binary_cross_entropy_with_logits} in the stable form
     * {@code ℓ = (1 − y)·z + lw·(log(1 + e^{−|z|}) + max(−z, 0))}, {@code lw = 1 + (posWeight − 1)·y},
     * times {@code weight}; {@code weight} and {@code posWeight} may be null and broadcast.
     *
     * @param input logits of any shape
     * @param target targets in [0, 1] of the input's shape
     * @param weight per-element rescaling weight broadcastable to the input, or null
     * @param posWeight weight of positive examples broadcastable to the input (e.g. (C) for (N, C)), or null
     * @param reduction "none", "mean" or "sum"
     * @return 0-d for "mean"/"sum", the input's shape for "none"
     * @throws IllegalArgumentException when target and input shapes differ
     */
    public static Tensor bceWithLogits(Tensor input, Tensor target, Tensor weight, Tensor posWeight,
                                       String reduction) {
        Reduction red = Reduction.of(reduction);
        Check.nonNull("binary_cross_entropy_with_logits", "input", input);
        Check.nonNull("binary_cross_entropy_with_logits", "target", target);
        if (!Arrays.equals(input.shape(), target.shape())) {
            throw new IllegalArgumentException("Target size (" + Py.size(target.shape())
                    + ") must be the same as input size (" + Py.size(input.shape()) + ")");
        }
        Tensor nls = negLogSigmoid(input);
        Tensor l;
        Tensor oneMinusY = target.neg().add(1);
        if (posWeight == null) {
            l = oneMinusY.mul(input).add(nls);
        } else {
            Tensor lw = posWeight.sub(1).mul(target).add(1);
            l = oneMinusY.mul(input).add(lw.mul(nls));
        }
        if (weight != null) {
            l = l.mul(weight);
        }
        // PyTorch's BinaryCrossEntropyWithLogitsBackward0 saves all four; the composite keeps private copies
        return Autograd.composite("BinaryCrossEntropyWithLogitsBackward0", reduce(l, red), input, target, weight,
                posWeight);
    }

    /** {@code −log σ(z) = log(1 + e^{−|z|}) + max(−z, 0)} elementwise, with gradient {@code −σ(−z)}. */
    static Tensor negLogSigmoid(Tensor z) {
        final double[] zv = Raw.doubles(z);
        double[] out = new double[zv.length];
        for (int i = 0; i < zv.length; i++) {
            double v = zv[i];
            out[i] = Math.log1p(Math.exp(-Math.abs(v))) + Math.max(-v, 0);
            if (Double.isNaN(v)) {
                out[i] = Double.NaN;
            }
        }
        Tensor y = Raw.tensor(out, z.dtype(), z.shape());
        if (Autograd.isRecording(z)) {
            Autograd.attach(y, new NegLogSigmoidBackward0(z));
        }
        return y;
    }

    static Tensor reduce(Tensor l, Reduction red) {
        return switch (red) {
            case NONE -> l;
            case SUM -> l.sum();
            case MEAN -> l.mean();
        };
    }

    /**
     * embedding's rule: the gradient's rows added into the rows {@code idx} of a zero weight-shaped tensor. The
     * indices are kept as the forward's long[] copy (PyTorch saves the indices tensor; this is its content).
     */
    static final class EmbeddingBackward0 extends Node {
        private final SavedTensor si;
        private final SavedTensor sw;
        private final long[] idx;
        private final int pad;
        private final DType wDtype;
        private final int vocab;
        private final int dimE;

        EmbeddingBackward0(Tensor weight, Tensor indices, long[] idx, int pad, int vocab, int dimE) {
            super("EmbeddingBackward0", weight);
            // PyTorch saves the indices and the weight: the rows copied into idx stay valid while the indices
            // are unchanged, and an in-place change to either must fail backward (docs/SEMANTICS.md §5.7)
            this.si = save(indices);
            this.sw = save(weight);
            this.idx = idx;
            this.pad = pad;
            this.wDtype = weight.dtype();
            this.vocab = vocab;
            this.dimE = dimE;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            si.get();
            sw.get();
            Tensor gw = scatterRows(g, idx, pad, wDtype, vocab, dimE);
            if (dev.vgrad.core.Grad.isEnabled() && g.requiresGrad()) {
                // createGraph (docs/SEMANTICS.md §5.12): a scatter of rows, whose adjoint gathers them
                return new Tensor[] {embeddingScatter(gw.detach(), g, idx, pad)};
            }
            return new Tensor[] {gw};
        }
    }

    /** The createGraph form of embedding's row scatter; its adjoint reads the rows back (zero for padding). */
    static final class EmbeddingBackwardBackward0 extends Node {
        private final long[] idx;
        /** 1 per looked-up row, 0 for the padding index. */
        private final double[] keep;
        private final int[] gShape;

        EmbeddingBackwardBackward0(Tensor g, long[] idx, double[] keep) {
            super("EmbeddingBackwardBackward0", g);
            this.idx = idx;
            this.keep = keep;
            this.gShape = g.shape();
        }

        @Override
        protected Tensor[] backward(Tensor gg) {
            Tensor rows = gg.indexSelect(0, Tensor.ofLongs(idx, idx.length));
            Tensor mask = Tensor.of(keep, idx.length, 1).to(rows.dtype());
            return new Tensor[] {rows.mul(mask).reshape(gShape)};
        }
    }

    /** The rule of {@link #negLogSigmoid}: {@code −σ(−z)·g}. */
    static final class NegLogSigmoidBackward0 extends Node {
        private final SavedTensor sz;
        private final DType zDtype;
        private final int[] zShape;

        NegLogSigmoidBackward0(Tensor z) {
            super("NegLogSigmoidBackward0", z);
            this.sz = save(z);
            this.zDtype = z.dtype();
            this.zShape = z.shape();
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            if (dev.vgrad.core.Grad.isEnabled()) {
                // createGraph (docs/SEMANTICS.md §5.12): d/dz −log σ(z) = −σ(−z), as recorded ops
                return new Tensor[] {g.mul(sz.get().neg().sigmoid()).neg()};
            }
            double[] zz = Raw.doubles(sz.get());
            double[] gv = Raw.doubles(g);
            double[] gz = new double[zz.length];
            for (int i = 0; i < zz.length; i++) {
                double v = zz[i];
                double sNeg; // σ(−v), stable
                if (v >= 0) {
                    double e = Math.exp(-v);
                    sNeg = e / (1 + e);
                } else {
                    sNeg = 1 / (1 + Math.exp(v));
                }
                gz[i] = -gv[i] * sNeg;
            }
            return new Tensor[] {Raw.tensor(gz, zDtype, zShape)};
        }
    }

    // ------------------------------------------------------------------ regression, divergence and binary losses

    /**
     * {@code F.l1_loss} with mean reduction.
     *
     * @param input predictions of any shape
     * @param target targets, same shape as input (broadcast with a warning otherwise)
     * @return a 0-d tensor, the mean absolute error
     */
    public static Tensor l1Loss(Tensor input, Tensor target) {
        return l1Loss(input, target, "mean");
    }

    /**
     * {@code F.l1_loss} (docs/SEMANTICS.md §20.1): {@code |x − y|}, built from {@code sub} and {@code abs} as in
     * PyTorch, so the input gradient is {@code sign(x − y)} (0 at a tie). Broadcasts with PyTorch's warning.
     *
     * @param input predictions of any shape
     * @param target targets, same shape as input (broadcast with a warning otherwise)
     * @param reduction "none", "mean" or "sum"
     * @return 0-d for "mean"/"sum", the broadcast shape for "none"
     */
    public static Tensor l1Loss(Tensor input, Tensor target, String reduction) {
        Reduction red = Reduction.of(reduction);
        lossShapes("l1_loss", input, target);
        return reduce(input.sub(target).abs(), red);
    }

    /**
     * {@code F.smooth_l1_loss} with mean reduction and {@code beta = 1}.
     *
     * @param input predictions of any shape
     * @param target targets, same shape as input (broadcast with a warning otherwise)
     * @return a 0-d tensor, the mean loss
     */
    public static Tensor smoothL1Loss(Tensor input, Tensor target) {
        return smoothL1Loss(input, target, "mean", 1.0);
    }

    /**
     * {@code F.smooth_l1_loss} (docs/SEMANTICS.md §20.2): with {@code z = |x − y|},
     * {@code ℓ = 0.5·z²/β} when {@code z < β}, else {@code z − 0.5·β}; {@code β = 0} is the L1 loss. Gradients are
     * PyTorch's: {@code −1} for {@code x − y ≤ −β}, {@code 1} for {@code x − y ≥ β}, {@code (x − y)/β} between.
     *
     * @param input predictions of any shape
     * @param target targets, same shape as input (broadcast with a warning otherwise)
     * @param reduction "none", "mean" or "sum"
     * @param beta threshold between the quadratic and the linear part, at least 0
     * @return 0-d for "mean"/"sum", the broadcast shape for "none"
     * @throws IllegalArgumentException for a negative or NaN {@code beta}
     */
    public static Tensor smoothL1Loss(Tensor input, Tensor target, String reduction, double beta) {
        Reduction red = Reduction.of(reduction);
        if (!(beta >= 0)) {
            throw new IllegalArgumentException("smooth_l1_loss does not support negative values for beta.");
        }
        Tensor[] xy = lossShapes("smooth_l1_loss", input, target);
        return reduce(PointwiseLossOp.robust(xy[0], xy[1], beta, false), red);
    }

    /**
     * {@code F.huber_loss} with mean reduction and {@code delta = 1}.
     *
     * @param input predictions of any shape
     * @param target targets, same shape as input (broadcast with a warning otherwise)
     * @return a 0-d tensor, the mean loss
     */
    public static Tensor huberLoss(Tensor input, Tensor target) {
        return huberLoss(input, target, "mean", 1.0);
    }

    /**
     * {@code F.huber_loss} (docs/SEMANTICS.md §20.2): with {@code z = |x − y|}, {@code ℓ = 0.5·z²} when
     * {@code z < δ}, else {@code δ·(z − 0.5·δ)}; equal to {@code δ·smoothL1Loss(β = δ)}. {@code δ > 0}.
     *
     * @param input predictions of any shape
     * @param target targets, same shape as input (broadcast with a warning otherwise)
     * @param reduction "none", "mean" or "sum"
     * @param delta threshold between the quadratic and the linear part, positive
     * @return 0-d for "mean"/"sum", the broadcast shape for "none"
     * @throws IllegalArgumentException for a non-positive or NaN {@code delta}
     */
    public static Tensor huberLoss(Tensor input, Tensor target, String reduction, double delta) {
        Reduction red = Reduction.of(reduction);
        if (!(delta > 0)) {
            throw new IllegalArgumentException("huber_loss does not support non-positive values for delta.");
        }
        Tensor[] xy = lossShapes("huber_loss", input, target);
        return reduce(PointwiseLossOp.robust(xy[0], xy[1], delta, true), red);
    }

    /**
     * {@code F.kl_div} with mean reduction and probabilities as target.
     *
     * @param input log-probabilities of any shape
     * @param target probabilities of the input's shape
     * @return a 0-d tensor, the mean over every element (logs PyTorch's "mean" warning)
     */
    public static Tensor klDiv(Tensor input, Tensor target) {
        return klDiv(input, target, "mean", false);
    }

    /**
     * {@code F.kl_div} (docs/SEMANTICS.md §20.3) on log-probabilities {@code input}: pointwise
     * {@code xlogy(y, y) − y·x} ({@code 0} where {@code y = 0}), or {@code e^y·(y − x)} with {@code logTarget}.
     * {@code reduction} is also {@code "batchmean"}: the sum divided by {@code input.size(0)} (the sum for a 0-d
     * input); {@code "mean"} logs PyTorch's warning that it divides by every element.
     *
     * @param input log-probabilities of any shape
     * @param target probabilities (or log-probabilities with {@code logTarget}), broadcastable to the input
     * @param reduction "none", "mean", "sum" or "batchmean"
     * @param logTarget whether {@code target} holds log-probabilities
     * @return 0-d unless "none", which returns the broadcast shape
     */
    public static Tensor klDiv(Tensor input, Tensor target, String reduction, boolean logTarget) {
        boolean batchmean = "batchmean".equals(reduction);
        Reduction red = batchmean ? Reduction.SUM : Reduction.of(reduction);
        Check.nonNull("kl_div", "input", input);
        Check.nonNull("kl_div", "target", target);
        if (red == Reduction.MEAN) {
            LOG.log(System.Logger.Level.WARNING, "reduction: 'mean' divides the total loss by both the batch size "
                    + "and the support size.'batchmean' divides only by the batch size, and aligns with the KL div "
                    + "math definition.'mean' will be changed to behave the same as 'batchmean' in the next major "
                    + "release.");
        }
        Tensor l;
        if (logTarget) {
            l = target.exp().mul(target.sub(input));
        } else {
            // xlogy(y, y): the where() keeps PyTorch's value 0 at y = 0 and its NaN target gradient there
            Tensor ylogy = Tensor.where(target.eq(0), target.zerosLike(), target.mul(target.log()));
            l = ylogy.sub(target.mul(input));
        }
        Tensor r = reduce(l, red);
        if (batchmean && input.dim() != 0) {
            r = r.div(input.size(0));
        }
        return r;
    }

    /**
     * {@code F.binary_cross_entropy} with mean reduction and no weight.
     *
     * @param input probabilities in [0, 1] of any shape
     * @param target targets of the input's shape
     * @return a 0-d tensor, the mean loss
     */
    public static Tensor binaryCrossEntropy(Tensor input, Tensor target) {
        return binaryCrossEntropy(input, target, null, "mean");
    }

    /**
     * {@code F.binary_cross_entropy} (docs/SEMANTICS.md §20.4) on probabilities:
     * {@code ℓ = −w·(y·max(log x, −100) + (1 − y)·max(log(1 − x), −100))}. The input must lie in [0, 1]; the
     * target is not range-checked (as in PyTorch 1.13) and must have the input's shape; {@code weight} (may be
     * null) broadcasts to it and gets no gradient.
     *
     * @param input probabilities in [0, 1] of any shape
     * @param target targets of the input's shape
     * @param weight rescaling weight broadcastable to the input, or null
     * @param reduction "none", "mean" or "sum"
     * @return 0-d for "mean"/"sum", the input's shape for "none"
     * @throws IllegalArgumentException when the shapes differ or the weight does not broadcast
     */
    public static Tensor binaryCrossEntropy(Tensor input, Tensor target, Tensor weight, String reduction) {
        Reduction red = Reduction.of(reduction);
        Check.nonNull("binary_cross_entropy", "input", input);
        Check.nonNull("binary_cross_entropy", "target", target);
        if (!Arrays.equals(input.shape(), target.shape())) {
            throw new IllegalArgumentException("Using a target size (" + Py.size(target.shape())
                    + ") that is different to the input size (" + Py.size(input.shape()) + ") is deprecated. "
                    + "Please ensure they have the same size.");
        }
        Tensor l = PointwiseLossOp.bce(input, target);
        if (weight != null) {
            if (!Arrays.equals(lossBroadcast(target.shape(), weight.shape()), target.shape())) {
                throw new IllegalArgumentException("binary_cross_entropy: weight of shape "
                        + Py.size(weight.shape()) + " does not broadcast to the target's " + Py.size(target.shape()));
            }
            l = l.mul(weight.detach());
        }
        return reduce(l, red);
    }

    /**
     * PyTorch's shape rule for the pointwise regression losses: different shapes log "Using a target size …" and
     * broadcast; returns input and target expanded (differentiably) to the common shape.
     */
    private static Tensor[] lossShapes(String op, Tensor input, Tensor target) {
        Check.nonNull(op, "input", input);
        Check.nonNull(op, "target", target);
        if (Arrays.equals(input.shape(), target.shape())) {
            return new Tensor[] {input, target};
        }
        LOG.log(System.Logger.Level.WARNING, "Using a target size (" + Py.size(target.shape())
                + ") that is different to the input size (" + Py.size(input.shape()) + "). This will likely "
                + "lead to incorrect results due to broadcasting. Please ensure they have the same size.");
        int[] s = lossBroadcast(input.shape(), target.shape());
        return new Tensor[] {input.expand(s), target.expand(s)};
    }

    /** Broadcast shape of {@code a} and {@code b}, or PyTorch's "The size of tensor a (3) must match …". */
    private static int[] lossBroadcast(int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i - (n - a.length) >= 0 ? a[i - (n - a.length)] : 1;
            int db = i - (n - b.length) >= 0 ? b[i - (n - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("The size of tensor a (" + da + ") must match the size of tensor b ("
                        + db + ") at non-singleton dimension " + i);
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    // ================================================================== sequence and resizing layers
    // (issue 17, item 3; docs/SEMANTICS.md §19): RMSNorm, GroupNorm, Conv1d, ConvTranspose2d, Upsample,
    // sinusoidal and rotary position encodings, all composed from recorded core ops

    /** The machine epsilon of a floating dtype ({@code torch.finfo(dtype).eps}). */
    static double finfoEps(DType d) {
        return d == DType.FLOAT32 ? Math.ulp(1.0f) : Math.ulp(1.0);
    }

    /**
     * {@code F.rms_norm} (torch 2.4): {@code y = x / sqrt(mean(x², trailing normalizedShape dims) + eps) · weight};
     * {@code eps} null means {@code torch.finfo(x.dtype).eps}; {@code weight} (of {@code normalizedShape}) may be
     * null. No mean is subtracted and there is no bias.
     *
     * @param x input (*, normalizedShape)
     * @param normalizedShape the trailing dims to normalise over
     * @param weight scale of shape {@code normalizedShape}, or null
     * @param eps added to the mean square, or null for {@code torch.finfo(x.dtype).eps}
     * @return a new tensor of x's shape
     * @throws IllegalStateException when x's trailing dims are not {@code normalizedShape}
     */
    public static Tensor rmsNorm(Tensor x, int[] normalizedShape, Tensor weight, Double eps) {
        Check.nonNull("rms_norm", "input", x);
        Check.nonNull("rms_norm", "normalized_shape", normalizedShape);
        int[] dims = trailingDims(x, normalizedShape);
        if (weight != null && !Arrays.equals(weight.shape(), normalizedShape)) {
            throw new IllegalArgumentException("rms_norm: weight must have shape " + Raw.shapeStr(normalizedShape)
                    + ", got " + Raw.shapeStr(weight.shape()));
        }
        double e = eps == null ? finfoEps(x.dtype()) : Check.eps("rms_norm", eps);
        Tensor y = x.mul(x.mul(x).mean(dims, true).add(e).pow(-0.5));
        return weight == null ? y : y.mul(weight);
    }

    /** The trailing dims that {@code normalizedShape} names; PyTorch's RuntimeError text when they do not match. */
    private static int[] trailingDims(Tensor x, int[] normalizedShape) {
        int k = normalizedShape.length;
        int[] s = x.shape();
        boolean ok = k >= 1 && s.length >= k;
        for (int i = 0; ok && i < k; i++) {
            ok = s[s.length - k + i] == normalizedShape[i];
        }
        if (!ok) {
            StringBuilder star = new StringBuilder("[*");
            for (int v : normalizedShape) {
                star.append(", ").append(v);
            }
            throw new IllegalStateException("Given normalized_shape=" + Raw.shapeStr(normalizedShape)
                    + ", expected input with shape " + star + "], but got input of size" + Raw.shapeStr(s));
        }
        int[] dims = new int[k];
        for (int i = 0; i < k; i++) {
            dims[i] = s.length - k + i;
        }
        return dims;
    }

    /**
     * {@code F.group_norm}: input (N, C, *) split into {@code numGroups} groups of C/numGroups channels; each
     * (sample, group) is normalised with its own mean and biased variance ({@code eps} inside the sqrt), then
     * scaled by {@code weight} (C) and shifted by {@code bias} (C), either may be null. Batch statistics in every
     * mode (no running statistics).
     *
     * @param x input (N, C, *)
     * @param numGroups number of groups; positive and divides C
     * @param weight (C) scale, or null
     * @param bias (C) shift, or null
     * @param eps added to the variance inside the square root; finite, at least 0
     * @return a new tensor of x's shape
     * @throws IllegalArgumentException for fewer than 2 dims, C not divisible by numGroups or a wrong affine shape
     */
    public static Tensor groupNorm(Tensor x, int numGroups, Tensor weight, Tensor bias, double eps) {
        Check.nonNull("group_norm", "input", x);
        Check.eps("group_norm", eps);
        if (x.dim() < 2) {
            throw new IllegalArgumentException("group_norm: Expected at least 2 dimensions for input tensor but "
                    + "received " + x.dim());
        }
        int n = x.size(0);
        int c = x.size(1);
        if (numGroups <= 0 || c % numGroups != 0) {
            throw new IllegalArgumentException("group_norm: Expected number of channels in input to be divisible by "
                    + "num_groups, but got input of shape " + Raw.shapeStr(x.shape()) + " and num_groups="
                    + numGroups);
        }
        for (Tensor t : new Tensor[] {weight, bias}) {
            if (t != null && (t.dim() != 1 || t.size(0) != c)) {
                throw new IllegalArgumentException("group_norm: Expected weight and bias to be 1-D of size " + c
                        + ", got " + Raw.shapeStr(t.shape()));
            }
        }
        int[] affine = new int[x.dim() - 1];
        Arrays.fill(affine, 1);
        affine[0] = c;
        Tensor y;
        if (x.numel() == 0) {
            y = x.mul(1.0);
        } else {
            Tensor xg = x.reshape(n, numGroups, -1);
            Tensor mean = xg.mean(new int[] {2}, true);
            Tensor xc = xg.sub(mean);
            Tensor var = xc.mul(xc).mean(new int[] {2}, true);
            y = xc.div(var.add(eps).sqrt()).reshape(x.shape());
        }
        if (weight != null) {
            y = y.mul(weight.reshape(affine));
        }
        if (bias != null) {
            y = y.add(bias.reshape(affine));
        }
        return Autograd.composite("NativeGroupNormBackward0", y, x, weight);
    }

    /**
     * {@code F.conv1d} on (N, C, L) or unbatched (C, L) with weight (out, in/groups, k): a 2-D convolution over a
     * height-1 input with a (out, in/groups, 1, k) kernel, so it shares conv2d's kernels and derivatives.
     *
     * @param x input (N, C_in, L) or (C_in, L)
     * @param weight (C_out, C_in/groups, k)
     * @param bias (C_out), or null
     * @param stride step between windows, at least 1
     * @param padding zeros added on both ends
     * @param dilation spacing between kernel taps, at least 1
     * @param groups number of channel groups; divides C_in and C_out
     * @return (N, C_out, L_out) (no batch dim for a 2-D input),
     *   {@code L_out = floor((L + 2·padding − dilation·(k − 1) − 1)/stride) + 1}
     * @throws IllegalArgumentException for an input that is not 2-D/3-D or a weight that is not 3-D
     */
    public static Tensor conv1d(Tensor x, Tensor weight, Tensor bias, int stride, int padding, int dilation,
                                int groups) {
        checkConv1d(x, weight);
        Tensor y = x.unsqueeze(x.dim() - 1).conv2d(weight.unsqueeze(2), bias, new int[] {1, stride},
                new int[] {0, padding}, new int[] {1, dilation}, groups);
        return y.squeeze(y.dim() - 2);
    }

    /**
     * {@code F.conv1d} with padding "valid" or "same" (stride 1; an even kernel pads one more on the right).
     *
     * @param x input (N, C_in, L) or (C_in, L)
     * @param weight (C_out, C_in/groups, k)
     * @param bias (C_out), or null
     * @param stride step between windows; must be 1 for "same"
     * @param padding "valid" or "same"
     * @param dilation spacing between kernel taps, at least 1
     * @param groups number of channel groups; divides C_in and C_out
     * @return (N, C_out, L_out); {@code L_out = L} for "same"
     * @throws IllegalArgumentException for a bad padding string, shape or stride
     */
    public static Tensor conv1d(Tensor x, Tensor weight, Tensor bias, int stride, String padding, int dilation,
                                int groups) {
        checkConv1d(x, weight);
        Tensor y = conv2d(x.unsqueeze(x.dim() - 1), weight.unsqueeze(2), bias, new int[] {1, stride}, padding,
                new int[] {1, dilation}, groups);
        return y.squeeze(y.dim() - 2);
    }

    private static void checkConv1d(Tensor x, Tensor weight) {
        Check.nonNull("conv1d", "input", x);
        Check.nonNull("conv1d", "weight", weight);
        if (x.dim() != 2 && x.dim() != 3) {
            throw new IllegalArgumentException("conv1d: Expected 2D (unbatched) or 3D (batched) input to conv1d, but "
                    + "got input of size: " + Raw.shapeStr(x.shape()));
        }
        if (weight.dim() != 3) {
            throw new IllegalArgumentException("conv1d: weight should have 3 dimensions (out, in/groups, k), got "
                    + "shape " + Raw.shapeStr(weight.shape()));
        }
    }

    /**
     * {@code F.conv_transpose2d}: the adjoint of conv2d with the same weight and geometry (weight
     * (in, out/groups, kH, kW)); see {@link dev.vgrad.core.ConvTranspose}.
     *
     * @param x input (N, C_in, H, W) or (C_in, H, W)
     * @param weight (C_in, C_out/groups, kH, kW)
     * @param bias (C_out), or null
     * @param stride {sH, sW} of the convolution this is the adjoint of
     * @param padding {pH, pW} of that convolution (removed from the output)
     * @param outputPadding {oH, oW} extra rows/columns on the bottom/right; smaller than the stride or the dilation
     * @param groups number of channel groups
     * @param dilation {dH, dW} spacing between kernel taps
     * @return (N, C_out, H_out, W_out), {@code H_out = (H − 1)·sH − 2·pH + dH·(kH − 1) + oH + 1}, likewise W_out
     */
    public static Tensor convTranspose2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding,
                                         int[] outputPadding, int groups, int[] dilation) {
        return dev.vgrad.core.ConvTranspose.convTranspose2d(x, weight, bias, stride, padding, outputPadding, groups,
                dilation);
    }

    /**
     * {@code F.interpolate} on (N, C, H, W) for modes "nearest" and "bilinear" ({@code alignCorners} only for
     * bilinear; must be null for nearest, false when null for bilinear). Give either {@code size} (outH, outW) or
     * {@code scaleFactor} (sh, sw), not both; with a scale factor the output size is floor(in · scale) and the
     * source coordinates use 1/scale, as PyTorch does when {@code recompute_scale_factor} is not set.
     * Nearest: src = min(floor(dst · s), in − 1). Bilinear: src = dst · (in − 1)/(out − 1) with align_corners,
     * otherwise max(0, (dst + ½)·s − ½); linear interpolation between floor(src) and floor(src)+1 (clamped).
     * Built from index selections and weighted sums, so every order of derivative is recorded.
     *
     * @param x input (N, C, H, W)
     * @param size {outH, outW}, or null when {@code scaleFactor} is given
     * @param scaleFactor {sh, sw} positive and finite, or null when {@code size} is given
     * @param mode "nearest" or "bilinear"
     * @param alignCorners bilinear only: align the corner pixels' centres (null means false); null for nearest
     * @return a new tensor (N, C, outH, outW)
     * @throws IllegalArgumentException for another rank or mode, both or neither of size/scaleFactor or an empty output
     */
    public static Tensor interpolate(Tensor x, int[] size, double[] scaleFactor, String mode, Boolean alignCorners) {
        Check.nonNull("interpolate", "input", x);
        Check.nonNull("interpolate", "mode", mode);
        if (x.dim() != 4) {
            throw new IllegalArgumentException("interpolate: expected a 4-D (N, C, H, W) input, got "
                    + Raw.shapeStr(x.shape()));
        }
        if (!mode.equals("nearest") && !mode.equals("bilinear")) {
            throw new IllegalArgumentException("interpolate: mode must be 'nearest' or 'bilinear', got '" + mode + "'");
        }
        if (mode.equals("nearest") && alignCorners != null) {
            throw new IllegalArgumentException("align_corners option can only be set with the interpolating modes: "
                    + "linear | bilinear | bicubic | trilinear");
        }
        if ((size == null) == (scaleFactor == null)) {
            throw new IllegalArgumentException("only one of size or scale_factor should be defined");
        }
        int[] in = {x.size(2), x.size(3)};
        int[] out = new int[2];
        double[] scale = new double[2]; // source step per output step; NaN: in/out
        for (int d = 0; d < 2; d++) {
            if (size != null) {
                if (size.length != 2 || size[d] <= 0) {
                    throw new IllegalArgumentException("interpolate: size must be two positive ints, got "
                            + Arrays.toString(size));
                }
                out[d] = size[d];
                scale[d] = Double.NaN;
            } else {
                if (scaleFactor.length != 2 || !(scaleFactor[d] > 0) || Double.isInfinite(scaleFactor[d])) {
                    throw new IllegalArgumentException("interpolate: scale_factor must be two positive numbers, got "
                            + Arrays.toString(scaleFactor));
                }
                out[d] = (int) Math.floor(in[d] * scaleFactor[d]);
                if (out[d] <= 0) {
                    throw new IllegalArgumentException("interpolate: Input and output sizes should be greater than 0,"
                            + " but got input (H: " + in[0] + ", W: " + in[1] + ") output (H: " + out[0] + ", W: "
                            + out[1] + ")");
                }
                scale[d] = 1.0 / scaleFactor[d];
            }
        }
        Tensor y = x;
        for (int d = 1; d >= 0; d--) {
            y = mode.equals("nearest") ? nearestAxis(y, 2 + d, in[d], out[d], scale[d])
                    : bilinearAxis(y, 2 + d, in[d], out[d], scale[d], alignCorners != null && alignCorners);
        }
        return y;
    }

    private static Tensor nearestAxis(Tensor x, int dim, int in, int out, double scale) {
        // PyTorch computes the nearest source index in float: floor(dst · (float) scale)
        float s = (float) (Double.isNaN(scale) ? (double) in / out : scale);
        long[] idx = new long[out];
        for (int i = 0; i < out; i++) {
            idx[i] = Math.min((long) Math.floor(i * s), in - 1);
        }
        return x.indexSelect(dim, Tensor.ofLongs(idx, out));
    }

    private static Tensor bilinearAxis(Tensor x, int dim, int in, int out, double scale, boolean alignCorners) {
        long[] i0 = new long[out];
        long[] i1 = new long[out];
        double[] l1 = new double[out];
        double s = alignCorners ? (out > 1 ? (double) (in - 1) / (out - 1) : 0)
                : (Double.isNaN(scale) ? (double) in / out : scale);
        for (int i = 0; i < out; i++) {
            double src = alignCorners ? i * s : Math.max(0, (i + 0.5) * s - 0.5);
            int lo = Math.min((int) src, in - 1);
            i0[i] = lo;
            i1[i] = Math.min(lo + 1, in - 1);
            l1[i] = src - lo;
        }
        double[] l0 = new double[out];
        for (int i = 0; i < out; i++) {
            l0[i] = 1 - l1[i];
        }
        int[] ws = {1, 1, 1, 1};
        ws[dim] = out;
        Tensor w0 = Tensor.of(l0, ws).to(x.dtype());
        Tensor w1 = Tensor.of(l1, ws).to(x.dtype());
        return x.indexSelect(dim, Tensor.ofLongs(i0, out)).mul(w0)
                .add(x.indexSelect(dim, Tensor.ofLongs(i1, out)).mul(w1));
    }

    /**
     * The sinusoidal position table of "Attention Is All You Need" (as in PyTorch's transformer tutorial),
     * shape (maxLen, dModel): {@code pe[p, 2i] = sin(p·ω_i)}, {@code pe[p, 2i+1] = cos(p·ω_i)},
     * {@code ω_i = exp(−2i·ln(10000)/dModel)}; an odd {@code dModel} keeps the last sine column. A constant.
     *
     * @param maxLen number of positions (rows), at least 0
     * @param dModel embedding width (columns), positive
     * @param dtype floating dtype of the table
     * @return a new constant (maxLen, dModel) tensor that does not require grad
     * @throws IllegalArgumentException for a negative maxLen or non-positive dModel
     */
    public static Tensor sinusoidalPositionEncoding(int maxLen, int dModel, DType dtype) {
        if (maxLen < 0 || dModel <= 0) {
            throw new IllegalArgumentException("sinusoidal_position_encoding: max_len must be non-negative and "
                    + "d_model positive, got " + maxLen + " and " + dModel);
        }
        double[] pe = new double[maxLen * dModel];
        for (int p = 0; p < maxLen; p++) {
            for (int i = 0; 2 * i < dModel; i++) {
                double w = Math.exp(2 * i * (-Math.log(10000.0) / dModel));
                pe[p * dModel + 2 * i] = Math.sin(p * w);
                if (2 * i + 1 < dModel) {
                    pe[p * dModel + 2 * i + 1] = Math.cos(p * w);
                }
            }
        }
        return Tensor.of(pe, maxLen, dModel).to(dtype);
    }

    /**
     * Rotary position embedding (RoFormer; the "rotate half" layout of GPT-NeoX and Llama) of {@code x}
     * (..., L, D), D even, positions {@code offset .. offset+L−1} along dim −2: with
     * {@code θ_j = base^(−2j/D)}, {@code cos/sin = [cos|sin(p·θ), cos|sin(p·θ)]} over the last dim,
     * {@code y = x·cos + rotate_half(x)·sin}, {@code rotate_half([a, b]) = [−b, a]}. Each pair (j, j + D/2) is
     * rotated by the angle p·θ_j, so norms are preserved and {@code <y_q(m), y_k(n)>} depends on m − n only.
     *
     * @param x input (..., L, D), D even; typically queries or keys (N, heads, L, head_dim)
     * @param offset position of the first row (e.g. the cache length when decoding), at least 0
     * @param base frequency base (10000 in RoFormer), positive
     * @return a new tensor of x's shape
     * @throws IllegalArgumentException for odd D, fewer than 2 dims, a non-positive base or a negative offset
     */
    public static Tensor rotaryEmbedding(Tensor x, int offset, double base) {
        Check.nonNull("rotary_embedding", "input", x);
        if (x.dim() < 2 || x.size(-1) % 2 != 0) {
            throw new IllegalArgumentException("rotary_embedding: expected input (..., L, D) with even D, got "
                    + Raw.shapeStr(x.shape()));
        }
        if (!(base > 0) || offset < 0) {
            throw new IllegalArgumentException("rotary_embedding: base must be positive and offset non-negative, "
                    + "got base " + base + " and offset " + offset);
        }
        int len = x.size(-2);
        int d = x.size(-1);
        int h = d / 2;
        double[] cos = new double[len * d];
        double[] sin = new double[len * d];
        for (int p = 0; p < len; p++) {
            for (int j = 0; j < h; j++) {
                double a = (double) (p + offset) * Math.pow(base, -2.0 * j / d);
                cos[p * d + j] = cos[p * d + j + h] = Math.cos(a);
                sin[p * d + j] = sin[p * d + j + h] = Math.sin(a);
            }
        }
        Tensor c = Tensor.of(cos, len, d).to(x.dtype());
        Tensor s = Tensor.of(sin, len, d).to(x.dtype());
        Tensor x1 = x.narrow(-1, 0, h);
        Tensor x2 = x.narrow(-1, h, h);
        Tensor rot = Tensor.cat(List.of(x2.neg(), x1), x.dim() - 1);
        return x.mul(c).add(rot.mul(s));
    }

    // ---------------------------------------------------------------------------------------------------
    // attention (docs/SEMANTICS.md §21)

    /**
     * {@code F.scaled_dot_product_attention(q, k, v)}: no mask, no dropout, not causal, scale 1/√E.
     *
     * @param q queries (…, L, E)
     * @param k keys (…, S, E)
     * @param v values (…, S, Ev)
     * @return a new tensor (…, L, Ev)
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v) {
        return scaledDotProductAttention(q, k, v, null, 0.0, false, null, Generator.defaultGenerator());
    }

    /**
     * {@link #scaledDotProductAttention(Tensor, Tensor, Tensor, Tensor, double, boolean, Double, Generator)}
     * drawing dropout from the default generator.
     *
     * @param q queries (…, L, E)
     * @param k keys (…, S, E)
     * @param v values (…, S, Ev)
     * @param attnMask mask broadcastable to (…, L, S): additive if floating (q's dtype), allow-mask if bool
     *     (true = may attend); or null
     * @param dropoutP dropout probability on the attention weights, in [0, 1]
     * @param isCausal mask out keys after each query (upper triangle); then {@code attnMask} must be null
     * @param scale factor applied to {@code q·kᵀ}, or null for {@code 1/√E}
     * @return a new tensor (…, L, Ev)
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor attnMask, double dropoutP,
                                                   boolean isCausal, Double scale) {
        return scaledDotProductAttention(q, k, v, attnMask, dropoutP, isCausal, scale, Generator.defaultGenerator());
    }

    /**
     * {@code F.scaled_dot_product_attention} (torch 2.x): {@code softmax(scale·q·kᵀ + M)·v} with q {@code (…, L, E)},
     * k {@code (…, S, E)}, v {@code (…, S, Ev)}, the same batch dims {@code …}. {@code attnMask} (broadcastable to
     * {@code (…, L, S)}) is additive when floating (q's dtype) or an allow-mask when bool (true = may attend, as
     * PyTorch's bool mask here; false = −∞); other dtypes are refused with PyTorch's text; it must be null when
     * {@code isCausal}. {@code scale} null = 1/√E. As in
     * PyTorch, dropout is applied whenever {@code dropoutP > 0} (callers pass 0 in eval): to the probabilities,
     * drawn from {@code gen}, through the composed path. Without dropout the fused kernel runs and the L×S matrix
     * is never built (§21.1).
     *
     * @param q queries (…, L, E)
     * @param k keys (…, S, E)
     * @param v values (…, S, Ev)
     * @param attnMask mask broadcastable to (…, L, S): additive if floating (q's dtype), allow-mask if bool
     *     (true = may attend); or null
     * @param dropoutP dropout probability on the attention weights, in [0, 1]
     * @param isCausal mask out keys after each query (upper triangle); then {@code attnMask} must be null
     * @param scale factor applied to {@code q·kᵀ}, or null for {@code 1/√E}
     * @param gen source of the dropout draws
     * @return a new tensor (…, L, Ev)
     * @throws IllegalArgumentException for mismatched shapes or dtypes, a bad mask or dropout probability
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor attnMask, double dropoutP,
                                                   boolean isCausal, Double scale, Generator gen) {
        checkDropoutP(dropoutP);
        Check.nonNull("scaled_dot_product_attention", "generator", gen);
        if (dropoutP == 0) {
            return dev.vgrad.core.AttentionOps.scaledDotProductAttention(q, k, v, attnMask, isCausal, scale);
        }
        dev.vgrad.core.AttentionOps.validate(q, k, v, attnMask, isCausal);
        Tensor p = dev.vgrad.core.AttentionOps.attentionWeights(q, k, attnMask, isCausal, scale);
        return dropout(p, dropoutP, true, gen).matmul(v);
    }
}
