package dev.vgrad.nn;

import dev.vgrad.core.Autograd;
import dev.vgrad.core.DType;
import dev.vgrad.core.Node;
import dev.vgrad.core.SavedTensor;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.kernel.KernelProvider;
import dev.vgrad.core.kernel.Kernels;
import dev.vgrad.core.kernel.Parallel;

/**
 * Fused batch normalisation (docs/SEMANTICS.md §3.4–3.5): one pass per channel for the statistics and the output,
 * one for the three gradients, with double accumulation. Channels are independent, so splitting them over
 * threads gives bit-identical results for any thread count.
 */
final class BatchNormOp {
    private BatchNormOp() {}

    /**
     * PyTorch 1.13's CPU batch-norm dtype rules, without promotion (docs/SEMANTICS.md §11). An int64 input is not
     * implemented. The first given parameter, in the order weight, bias, running_mean, running_var, decides: of
     * another dtype than the input, it asks for PyTorch's bfloat16-input/float32-parameter mixed mode, which needs
     * every parameter float32 and then a bfloat16 input (vgrad has none, so this always fails); of the input's
     * dtype, every other parameter must match it, checked in the order the kernel reads them (running statistics
     * first when training).
     */
    private static void checkDtypes(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                    boolean training) {
        DType xt = x.dtype();
        if (!xt.isFloatingPoint()) {
            throw new IllegalArgumentException("batch_norm: \"batch_norm\" not implemented for '"
                    + CrossEntropyOp.typeName(xt) + "' (input "
                    + Raw.shapeStr(x.shape()) + ")");
        }
        Tensor[] params = {weight, bias, runningMean, runningVar};
        String[] names = {"weight", "bias", "running_mean", "running_var"};
        Tensor first = null;
        for (Tensor p : params) {
            if (p != null) {
                first = p;
                break;
            }
        }
        if (first == null) {
            return;
        }
        if (first.dtype() != xt) {
            for (int i = 0; i < params.length; i++) {
                if (params[i] != null && params[i].dtype() != DType.FLOAT32) {
                    throw new IllegalArgumentException("batch_norm: mixed dtype (CPU): expect parameter to have scalar "
                            + "type of Float (input " + xt + ", " + names[i] + " " + params[i].dtype() + ")");
                }
            }
            throw new IllegalArgumentException("batch_norm: mixed dtype (CPU): expect input to have scalar type of "
                    + "BFloat16 (input " + xt + ", parameters float32)");
        }
        int[] order = training ? new int[] {2, 3, 0, 1} : new int[] {0, 1, 2, 3};
        for (int i : order) {
            if (params[i] != null && params[i].dtype() != xt) {
                throw new IllegalArgumentException("batch_norm: expected scalar type " + CrossEntropyOp.typeName(xt)
                        + " but found " + CrossEntropyOp.typeName(params[i].dtype()) + " (input " + xt + ", " + names[i]
                        + " " + params[i].dtype() + ")");
            }
        }
    }

    static Tensor apply(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                        boolean training, double momentum, double eps) {
        Check.nonNull("batch_norm", "input", x);
        Check.eps("batch_norm", eps);
        if (Double.isNaN(momentum)) {
            throw new IllegalArgumentException("batch_norm: momentum must not be NaN");
        }
        int[] shape = x.shape();
        if (shape.length < 2) {
            throw new IllegalArgumentException("batch_norm: expected an input with at least 2 dims (N, C, ...), got "
                    + Raw.shapeStr(shape));
        }
        final int nBatch = shape[0];
        final int channels = shape[1];
        final int spatial = Raw.prod(shape, 2, shape.length);
        final long count = (long) nBatch * spatial;
        if (training && count == 1) {
            throw new IllegalArgumentException("Expected more than 1 value per channel when training, got input size "
                    + Py.size(shape));
        }
        checkSize("running_mean", runningMean, channels);
        checkSize("running_var", runningVar, channels);
        checkSize("weight", weight, channels);
        checkSize("bias", bias, channels);
        if (!training && (runningMean == null || runningVar == null)) {
            throw new IllegalArgumentException("batch_norm: " + (runningMean == null ? "running_mean" : "running_var")
                    + " must be defined in evaluation mode");
        }
        checkDtypes(x, runningMean, runningVar, weight, bias, training);
        if (x.numel() == 0) {
            return empty(x, weight, bias);
        }
        final Tensor xc = x.detach().contiguous();
        final double[] w = weight == null ? null : Raw.doubles(weight);
        final double[] b = bias == null ? null : Raw.doubles(bias);
        final double[] mean = new double[channels];
        final double[] invstd = new double[channels];
        final double[] varBiased = new double[channels];
        final double[] rm = training ? null : Raw.doubles(runningMean);
        final double[] rv = training ? null : Raw.doubles(runningVar);
        final Plane xp = new Plane(xc, nBatch, channels, spatial);
        final Tensor y = Tensor.zeros(x.dtype(), shape);
        final Plane yp = new Plane(y, nBatch, channels, spatial);
        run(channels, xp.numel(), c -> {
            double mu;
            double var;
            if (training) {
                mu = xp.sum(c) / count;
                var = count == 0 ? Double.NaN : xp.sumSquaredDeviation(c, mu) / count;
            } else {
                mu = rm[c];
                var = rv[c];
            }
            double inv = 1.0 / Math.sqrt(var + eps);
            mean[c] = mu;
            varBiased[c] = var;
            invstd[c] = inv;
            yp.affineFrom(xp, c, mu, (w == null ? 1.0 : w[c]) * inv, b == null ? 0.0 : b[c]);
        });
        if (training && runningMean != null && runningVar != null) {
            double[] newMean = Raw.doubles(runningMean);
            double[] newVar = Raw.doubles(runningVar);
            for (int c = 0; c < channels; c++) {
                double unbiased = varBiased[c] * count / (count - 1);
                newMean[c] = (1 - momentum) * newMean[c] + momentum * mean[c];
                newVar[c] = (1 - momentum) * newVar[c] + momentum * unbiased;
            }
            // written through the storage without a version bump, as ATen's kernel does: a second training
            // forward before backward must not invalidate the first one's saved running statistics (§5.7)
            writeUnversioned(runningMean, newMean);
            writeUnversioned(runningVar, newVar);
        }
        if (Autograd.isRecording(x, weight, bias)) {
            Autograd.attach(y, new NativeBatchNormBackward0(x, weight, bias, runningMean, runningVar, training, nBatch,
                    channels, spatial, count, eps, shape, mean, invstd));
        }
        return y;
    }

    /** {@code t[i] = v[i]} for a 1-D float tensor of any stride, leaving its version counter alone. */
    private static void writeUnversioned(Tensor t, double[] v) {
        int off = t.storageOffset();
        int st = t.stride()[0];
        if (t.dtype() == DType.FLOAT32) {
            float[] f = t.floatStorage();
            for (int i = 0; i < v.length; i++) {
                f[off + i * st] = (float) v[i];
            }
        } else if (t.dtype() == DType.FLOAT64) {
            double[] d = t.doubleStorage();
            for (int i = 0; i < v.length; i++) {
                d[off + i * st] = v[i];
            }
        } else {
            throw new IllegalArgumentException("batch_norm: running statistics must be floating point, got " + t.dtype());
        }
    }

    /**
     * batch_norm of an empty input (docs/SEMANTICS.md §3, §10), as ATen does it: no statistics are computed, so the
     * running statistics stay as they were (never NaN); the result is an empty copy of the input scaled by
     * {@code weight[0]} and shifted by {@code bias[0]}, which gives it a grad_fn (CloneBackward0, MulBackward0 or
     * AddBackward0) and all-zero gradients for weight and bias.
     */
    private static Tensor empty(Tensor x, Tensor weight, Tensor bias) {
        Tensor out = x.cloneTensor();
        if (weight != null) {
            out = out.mul(firstElement(weight, x));
        }
        if (bias != null) {
            out = out.add(firstElement(bias, x));
        }
        return out;
    }

    /** {@code t[0]} in x's dtype (a 0-d operand does not promote the result in PyTorch). */
    private static Tensor firstElement(Tensor t, Tensor x) {
        if (t.dim() == 0 || t.size(0) == 0) {
            throw new IllegalArgumentException("batch_norm: select(): index 0 out of range for tensor of size "
                    + Raw.shapeStr(t.shape()) + " at dimension 0");
        }
        return t.select(0, 0).to(x.dtype());
    }

    /**
     * A contiguous (N, C, spatial) float32 or float64 buffer viewed per channel. Sums accumulate in double
     * (float32 rows through the SIMD blocked-order kernels, in blocks of at most {@link #BLOCK} elements whose
     * float partials are then added in double); elementwise results are computed in the tensor's own precision,
     * as ATen does.
     */
    private static final class Plane {
        /** Float32 partial sums cover at most this many elements before they are added in double. */
        private static final int BLOCK = 256;
        private static final Kernels K = KernelProvider.kernels();

        final float[] f;
        final double[] d;
        final int off;
        final int nBatch;
        final int spatial;
        final int cs;

        Plane(Tensor t, int nBatch, int channels, int spatial) {
            this.f = t.floatStorage();
            this.d = t.doubleStorage();
            this.off = t.storageOffset();
            this.nBatch = nBatch;
            this.spatial = spatial;
            this.cs = channels * spatial;
        }

        int numel() {
            return nBatch * cs;
        }

        int blocks() {
            return (spatial + BLOCK - 1) / BLOCK;
        }

        /**
         * The float32 block partials of channel c, {@code part[n·blocks + b]} for image n and block b, taken a
         * block column at a time so the kernel can run several images side by side.
         */
        float[] blockPartials(int c, RowKernel rows) {
            int blocks = blocks();
            float[] part = new float[nBatch * blocks];
            float[] col = new float[nBatch];
            for (int b = 0; b < blocks; b++) {
                int i = b * BLOCK;
                rows.run(off + c * spatial + i, Math.min(BLOCK, spatial - i), col);
                for (int n = 0; n < nBatch; n++) {
                    part[n * blocks + b] = col[n];
                }
            }
            return part;
        }

        /** A row-batched kernel over the block at {@code base} (of every image) of length {@code len}. */
        interface RowKernel {
            void run(int base, int len, float[] out);
        }

        double sum(int c) {
            double s = 0;
            if (f != null) {
                // same order as one sum per (image, block): images outer, blocks inner
                for (float v : blockPartials(c, (base, len, out) -> K.sumRows(f, base, cs, nBatch, len, out))) {
                    s += v;
                }
                return s;
            }
            for (int n = 0; n < nBatch; n++) {
                int base = off + n * cs + c * spatial;
                for (int i = 0; i < spatial; i++) {
                    s += d[base + i];
                }
            }
            return s;
        }

        double sumSquaredDeviation(int c, double mu) {
            double s = 0;
            if (f != null) {
                float fm = (float) mu;
                for (float v : blockPartials(c,
                        (base, len, out) -> K.centeredSquareRows(f, base, cs, nBatch, len, fm, out))) {
                    s += v;
                }
                return s;
            }
            for (int n = 0; n < nBatch; n++) {
                int base = off + n * cs + c * spatial;
                for (int i = 0; i < spatial; i++) {
                    double v = d[base + i] - mu;
                    s += v * v;
                }
            }
            return s;
        }

        /** {Σ this, Σ this·(x − mu)} over channel c, in one pass. */
        double[] sumAndDotCentered(Plane x, int c, double mu) {
            double sum = 0;
            double dot = 0;
            if (f != null) {
                // (Σ, Σ·) pairs per (image, block), added in the order of one call per image and block
                float fm = (float) mu;
                int blocks = blocks();
                float[] pairs = new float[2 * nBatch];
                float[] part = new float[2 * nBatch * blocks];
                for (int b = 0; b < blocks; b++) {
                    int i = c * spatial + b * BLOCK;
                    int len = Math.min(BLOCK, spatial - b * BLOCK);
                    K.sumAndCenteredDotRows(f, off + i, x.f, x.off + i, cs, nBatch, len, fm, pairs);
                    for (int n = 0; n < nBatch; n++) {
                        part[2 * (n * blocks + b)] = pairs[2 * n];
                        part[2 * (n * blocks + b) + 1] = pairs[2 * n + 1];
                    }
                }
                for (int j = 0; j < part.length; j += 2) {
                    sum += part[j];
                    dot += part[j + 1];
                }
                return new double[] {sum, dot};
            }
            for (int n = 0; n < nBatch; n++) {
                int base = n * cs + c * spatial;
                for (int i = 0; i < spatial; i++) {
                    double gv = d[off + base + i];
                    sum += gv;
                    dot += gv * (x.d[x.off + base + i] - mu);
                }
            }
            return new double[] {sum, dot};
        }

        /** this = x·scale + (shift − mu·scale) on channel c: ATen's alpha/beta form. */
        void affineFrom(Plane x, int c, double mu, double scale, double shift) {
            for (int n = 0; n < nBatch; n++) {
                int base = n * cs + c * spatial;
                if (f != null) {
                    K.affine(x.f, x.off + base, f, off + base, spatial, (float) scale, (float) (shift - mu * scale));
                } else {
                    for (int i = 0; i < spatial; i++) {
                        d[off + base + i] = x.d[x.off + base + i] * scale + (shift - mu * scale);
                    }
                }
            }
        }

        /** this = (g − (x − mu)·k − gMean)·s on channel c. */
        void batchNormGrad(Plane g, Plane x, int c, double mu, double k, double gMean, double s) {
            for (int n = 0; n < nBatch; n++) {
                int base = n * cs + c * spatial;
                if (f != null) {
                    K.batchNormGrad(g.f, g.off + base, x.f, x.off + base, f, off + base, spatial,
                            (float) mu, (float) k, (float) gMean, (float) s);
                } else {
                    for (int i = 0; i < spatial; i++) {
                        d[off + base + i] = (g.d[g.off + base + i] - (x.d[x.off + base + i] - mu) * k - gMean) * s;
                    }
                }
            }
        }

        /** this = g·s on channel c. */
        void scaled(Plane g, int c, double s) {
            for (int n = 0; n < nBatch; n++) {
                int base = n * cs + c * spatial;
                if (f != null) {
                    float fs = (float) s;
                    for (int i = 0; i < spatial; i++) {
                        f[off + base + i] = g.f[g.off + base + i] * fs;
                    }
                } else {
                    for (int i = 0; i < spatial; i++) {
                        d[off + base + i] = g.d[g.off + base + i] * s;
                    }
                }
            }
        }
    }

    private static void run(int channels, int numel, Parallel.ChunkBody body) {
        if (numel >= Raw.PARALLEL_THRESHOLD && channels > 1) {
            Parallel.forEachChunk(channels, body);
        } else {
            for (int c = 0; c < channels; c++) {
                body.run(c);
            }
        }
    }

    private static void checkSize(String name, Tensor t, int channels) {
        if (t != null && t.numel() != channels) {
            throw new IllegalStateException(name + " should contain " + channels + " elements not " + t.numel());
        }
    }

    /**
     * batch_norm's rule. Besides what PyTorch saves (input, weight, running statistics), it keeps the per-channel
     * mean and inverse standard deviation of the forward as double[] (PyTorch's save_mean / save_invstd): the
     * statistics themselves, not a copy of any tensor.
     */
    static final class NativeBatchNormBackward0 extends Node {
        private final SavedTensor sx;
        private final SavedTensor sw;
        private final SavedTensor srm;
        private final SavedTensor srv;
        private final boolean batchStats;
        private final DType xDtype;
        private final DType wDtype;
        private final int[] wShape;
        private final DType bDtype;
        private final int[] bShape;
        private final int nBatch;
        private final int channels;
        private final int spatial;
        private final long count;
        private final double eps;
        private final int[] shape;
        private final double[] mean;
        private final double[] invstd;

        NativeBatchNormBackward0(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                                 boolean batchStats, int nBatch, int channels, int spatial, long count, double eps,
                                 int[] shape, double[] mean, double[] invstd) {
            super("NativeBatchNormBackward0", x, weight, bias);
            this.sx = save(x);
            this.sw = weight == null ? null : save(weight);
            // PyTorch saves the running statistics too (after this call's update of them): the eval-mode
            // rule reads their forward copies in mean/invstd, valid only while they are unchanged
            this.srm = runningMean == null ? null : save(runningMean);
            this.srv = runningVar == null ? null : save(runningVar);
            this.batchStats = batchStats;
            this.xDtype = x.dtype();
            this.wDtype = weight == null ? null : weight.dtype();
            this.wShape = weight == null ? null : weight.shape();
            this.bDtype = bias == null ? null : bias.dtype();
            this.bShape = bias == null ? null : bias.shape();
            this.nBatch = nBatch;
            this.channels = channels;
            this.spatial = spatial;
            this.count = count;
            this.eps = eps;
            this.shape = shape;
            this.mean = mean;
            this.invstd = invstd;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            if (srm != null) {
                srm.get();
            }
            if (srv != null) {
                srv.get();
            }
            if (dev.vgrad.core.Grad.isEnabled()) {
                return differentiable(g);
            }
            Plane xv = new Plane(sx.get().detach().contiguous(), nBatch, channels, spatial);
            Tensor gc = g.detach().dtype() == xDtype ? g.detach().contiguous() : g.detach().to(xDtype).contiguous();
            Plane gv = new Plane(gc, nBatch, channels, spatial);
            double[] wv = sw == null ? null : Raw.doubles(sw.get());
            boolean needX = needsGrad(0);
            // each channel's gradient is read (both sums) before that channel's input gradient is
            // written, so a private incoming gradient can hold the result
            Tensor gxT = !needX ? null : reusableGradOutput(gc, xDtype, shape);
            if (needX && gxT == null) {
                gxT = Tensor.zeros(xDtype, shape);
            }
            Plane gx = needX ? new Plane(gxT, nBatch, channels, spatial) : null;
            double[] gw = new double[channels];
            double[] gb = new double[channels];
            run(channels, xv.numel(), c -> {
                double mu = mean[c];
                double inv = invstd[c];
                double[] sd = gv.sumAndDotCentered(xv, c, mu);
                double sumG = sd[0];
                double dot = sd[1];
                gb[c] = sumG;
                gw[c] = dot * inv;
                if (gx != null) {
                    double wc = wv == null ? 1.0 : wv[c];
                    if (batchStats) {
                        // grad_x = (g - (x-mu)·k - mean(g))·inv·w, k = Σg(x-mu)·inv²/n  (ATen's form)
                        gx.batchNormGrad(gv, xv, c, mu, dot * inv * inv / count, sumG / count, inv * wc);
                    } else {
                        gx.scaled(gv, c, inv * wc);
                    }
                }
            });
            return new Tensor[] {
                gxT,
                wDtype != null && needsGrad(1) ? Raw.tensor(gw, wDtype, wShape) : null,
                bDtype != null && needsGrad(2) ? Raw.tensor(gb, bDtype, bShape) : null,
            };
        }

        /**
         * The rule as recorded ops for createGraph (docs/SEMANTICS.md §5.12). With x̂ = (x − μ)·σ⁻¹ per
         * channel: ∂b = Σg, ∂w = Σg·x̂, and ∂x = w·σ⁻¹·(g − mean(g) − x̂·mean(g·x̂)) with batch statistics
         * (μ and σ recomputed from the saved input, so they are differentiated too), w·σ⁻¹·g with running
         * statistics (constants).
         */
        private Tensor[] differentiable(Tensor g) {
            Tensor xs = sx.get();
            int rank = shape.length;
            int[] dims = new int[rank - 1];
            dims[0] = 0;
            for (int d = 2; d < rank; d++) {
                dims[d - 1] = d;
            }
            int[] cShape = new int[rank];
            java.util.Arrays.fill(cShape, 1);
            cShape[1] = channels;
            Tensor gg = g.dtype() == xDtype ? g : g.to(xDtype);
            Tensor xhat;
            Tensor inv;
            if (batchStats) {
                Tensor mu = xs.mean(dims, true);
                Tensor xc = xs.sub(mu);
                inv = xc.mul(xc).mean(dims, true).add(eps).pow(-0.5);
                xhat = xc.mul(inv);
            } else {
                inv = Raw.tensor(invstd, xDtype, cShape);
                xhat = xs.sub(Raw.tensor(mean, xDtype, cShape)).mul(inv);
            }
            Tensor gx = null;
            if (needsGrad(0)) {
                Tensor scale = sw == null ? inv : inv.mul(sw.get().to(xDtype).reshape(cShape));
                gx = batchStats
                        ? gg.sub(gg.mean(dims, true)).sub(xhat.mul(gg.mul(xhat).mean(dims, true))).mul(scale)
                        : gg.mul(scale);
            }
            return new Tensor[] {
                gx,
                wDtype != null && needsGrad(1) ? gg.mul(xhat).sum(dims, false).to(wDtype) : null,
                bDtype != null && needsGrad(2) ? gg.sum(dims, false).to(bDtype) : null,
            };
        }
    }
}
