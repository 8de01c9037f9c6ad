package dev.vgrad.nn;

import dev.vgrad.core.Autograd;
import dev.vgrad.core.DType;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Node;
import dev.vgrad.core.SavedTensor;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.kernel.Parallel;

/**
 * Fused batch normalisation (SEMANTICS.md §3.4–3.5): one pass per channel for the statistics and the output,
 * one for the three gradients, with double accumulation. Channels are independent, so splitting them over
 * threads gives bit-identical results for any thread count.
 */
final class BatchNormOp {
    private BatchNormOp() {}

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
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("batch_norm: expected a floating point input, got " + x.dtype());
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
            throw new IllegalArgumentException("batch_norm: running_mean and running_var must be defined in evaluation mode");
        }
        final double[] xs = Raw.doubles(x);
        final double[] w = weight == null ? null : Raw.doubles(weight);
        final double[] b = bias == null ? null : Raw.doubles(bias);
        final double[] mean = new double[channels];
        final double[] invstd = new double[channels];
        final double[] varBiased = new double[channels];
        final double[] out = new double[xs.length];
        final double[] rm = training ? null : Raw.doubles(runningMean);
        final double[] rv = training ? null : Raw.doubles(runningVar);
        final int cs = channels * spatial;
        Parallel.ChunkBody body = c -> {
            double mu;
            double var;
            if (training) {
                double s = 0;
                for (int n = 0; n < nBatch; n++) {
                    int base = n * cs + c * spatial;
                    for (int i = 0; i < spatial; i++) {
                        s += xs[base + i];
                    }
                }
                mu = s / count;
                double ss = 0;
                for (int n = 0; n < nBatch; n++) {
                    int base = n * cs + c * spatial;
                    for (int i = 0; i < spatial; i++) {
                        double d = xs[base + i] - mu;
                        ss += d * d;
                    }
                }
                var = count == 0 ? Double.NaN : ss / count;
            } else {
                mu = rm[c];
                var = rv[c];
            }
            double inv = 1.0 / Math.sqrt(var + eps);
            mean[c] = mu;
            varBiased[c] = var;
            invstd[c] = inv;
            double scale = (w == null ? 1.0 : w[c]) * inv;
            double shift = b == null ? 0.0 : b[c];
            for (int n = 0; n < nBatch; n++) {
                int base = n * cs + c * spatial;
                for (int i = 0; i < spatial; i++) {
                    out[base + i] = (xs[base + i] - mu) * scale + shift;
                }
            }
        };
        run(channels, xs.length, body);
        if (training && runningMean != null && runningVar != null) {
            double[] newMean = Raw.doubles(runningMean);
            double[] newVar = Raw.doubles(runningVar);
            for (int c = 0; c < channels; c++) {
                double unbiased = varBiased[c] * count / (count - 1);
                newMean[c] = (1 - momentum) * newMean[c] + momentum * mean[c];
                newVar[c] = (1 - momentum) * newVar[c] + momentum * unbiased;
            }
            try (Grad.Scope off = Grad.disabled()) {
                runningMean.copy_(Raw.tensor(newMean, DType.FLOAT64, runningMean.shape()));
                runningVar.copy_(Raw.tensor(newVar, DType.FLOAT64, runningVar.shape()));
            }
        }
        Tensor y = Raw.tensor(out, x.dtype(), shape);
        if (Autograd.isRecording(x, weight, bias)) {
            final boolean batchStats = training;
            final DType xDtype = x.dtype();
            // input(i), not x: naming x here would keep the activation alive beyond backward
            Autograd.attach(y, new Node("NativeBatchNormBackward0", x, weight, bias) {
                final SavedTensor sx = save(input(0));
                final SavedTensor sw = input(1) == null ? null : save(input(1));

                @Override
                protected Tensor[] backward(Tensor g) {
                    double[] xv = Raw.doubles(sx.get());
                    double[] wv = sw == null ? null : Raw.doubles(sw.get());
                    double[] gv = Raw.doubles(g);
                    boolean needX = needsGrad(0);
                    double[] gx = needX ? new double[xv.length] : null;
                    double[] gw = new double[channels];
                    double[] gb = new double[channels];
                    run(channels, xv.length, c -> {
                        double mu = mean[c];
                        double inv = invstd[c];
                        double sumG = 0;
                        double dot = 0;
                        for (int n = 0; n < nBatch; n++) {
                            int base = n * cs + c * spatial;
                            for (int i = 0; i < spatial; i++) {
                                double gi = gv[base + i];
                                sumG += gi;
                                dot += gi * (xv[base + i] - mu);
                            }
                        }
                        gb[c] = sumG;
                        gw[c] = dot * inv;
                        if (gx != null) {
                            double wc = wv == null ? 1.0 : wv[c];
                            if (batchStats) {
                                double k = dot * inv * inv / count;
                                double gMean = sumG / count;
                                for (int n = 0; n < nBatch; n++) {
                                    int base = n * cs + c * spatial;
                                    for (int i = 0; i < spatial; i++) {
                                        gx[base + i] = (gv[base + i] - (xv[base + i] - mu) * k - gMean) * inv * wc;
                                    }
                                }
                            } else {
                                double s = inv * wc;
                                for (int n = 0; n < nBatch; n++) {
                                    int base = n * cs + c * spatial;
                                    for (int i = 0; i < spatial; i++) {
                                        gx[base + i] = gv[base + i] * s;
                                    }
                                }
                            }
                        }
                    });
                    return new Tensor[] {
                        gx == null ? null : Raw.tensor(gx, xDtype, shape),
                        weight != null && needsGrad(1) ? Raw.tensor(gw, weight.dtype(), weight.shape()) : null,
                        bias != null && needsGrad(2) ? Raw.tensor(gb, bias.dtype(), bias.shape()) : null,
                    };
                }
            });
        }
        return y;
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
}
