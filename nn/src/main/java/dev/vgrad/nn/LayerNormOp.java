package dev.vgrad.nn;

import dev.vgrad.core.Autograd;
import dev.vgrad.core.DType;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Node;
import dev.vgrad.core.SavedTensor;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.kernel.NormKernels;
import dev.vgrad.core.kernel.Parallel;

/**
 * Fused layer normalisation over the trailing {@code D} elements of each row (docs/SEMANTICS.md §3.7): one pass
 * per row for μ, σ⁻¹ = (Σ(x − μ)²/D + ε)^(−1/2) and {@code y = (x − μ)·σ⁻¹·w + b}, one for the gradients, every
 * sum in double and each result rounded once. The composed form it replaces ran nine ops forward and about twenty
 * backward, each a pass over the whole activation. float32 rows run {@link NormKernels} (eight fixed summation
 * chains, SIMD where available, the same bits either way); float64 rows the loops here. Rows are independent; the
 * weight and bias gradients are summed per fixed block of {@value #ROWS_PER_BLOCK} rows and the blocks added in
 * order, so results are bit-identical for any thread count.
 */
final class LayerNormOp {
    private static final int ROWS_PER_BLOCK = 32;

    private LayerNormOp() {}

    /** The fused path takes a non-empty floating-point input whose weight and bias (if any) share its dtype. */
    static boolean applies(Tensor x, Tensor weight, Tensor bias) {
        DType t = x.dtype();
        return t.isFloatingPoint() && x.numel() > 0 && (weight == null || weight.dtype() == t)
                && (bias == null || bias.dtype() == t);
    }

    static Tensor apply(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        int d = Raw.prod(normalizedShape, 0, normalizedShape.length);
        int rows = x.numel() / d;
        Rows xs = new Rows(x.detach().contiguous());
        double[] mean = new double[rows];
        double[] rstd = new double[rows];
        Tensor y = Tensor.zeros(x.dtype(), x.shape());
        Rows ys = new Rows(y);
        if (x.dtype() == DType.FLOAT32) {
            float[] w = weight == null ? null : weight.toArray();
            float[] b = bias == null ? null : bias.toArray();
            forBlocks(rows, d, (r0, r1) -> NormKernels.layerNormForward(true, xs.f, xs.off + r0 * d, ys.f,
                    ys.off + r0 * d, r1 - r0, d, w, b, eps, mean, rstd, r0));
        } else {
            double[] w = weight == null ? null : Raw.doubles(weight);
            double[] b = bias == null ? null : Raw.doubles(bias);
            forBlocks(rows, d, (r0, r1) -> forwardRows64(xs, ys, r0, r1, d, w, b, eps, mean, rstd));
        }
        if (!Autograd.isRecording(x, weight, bias)) {
            return y;
        }
        return Autograd.attach(y, new NativeLayerNormBackward0(x, weight, bias, normalizedShape.clone(), eps, mean, rstd));
    }

    /** Rows r0..r1-1 of a float64 input: the same formulas as {@link NormKernels}, one chain per sum. */
    private static void forwardRows64(Rows xs, Rows ys, int r0, int r1, int d, double[] w, double[] b, double eps,
                                      double[] mean, double[] rstd) {
        double[] row = new double[d];
        for (int r = r0; r < r1; r++) {
            xs.read(r, d, row);
            double s = 0;
            for (int j = 0; j < d; j++) {
                s += row[j];
            }
            double mu = s / d;
            double v = 0;
            for (int j = 0; j < d; j++) {
                double c = row[j] - mu;
                v += c * c;
            }
            double inv = 1.0 / Math.sqrt(v / d + eps);
            mean[r] = mu;
            rstd[r] = inv;
            for (int j = 0; j < d; j++) {
                double o = (row[j] - mu) * inv;
                if (w != null) {
                    o *= w[j];
                }
                if (b != null) {
                    o += b[j];
                }
                row[j] = o;
            }
            ys.write(r, d, row);
        }
    }

    private interface Block {
        void run(int r0, int r1);
    }

    /** Runs blocks of rows, over the threads when the input is large enough to pay for the hand-off. */
    private static void forBlocks(int rows, int d, Block body) {
        int blocks = (rows + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK;
        Parallel.ChunkBody chunk = c -> body.run(c * ROWS_PER_BLOCK, Math.min(rows, (c + 1) * ROWS_PER_BLOCK));
        if ((long) rows * d >= Raw.PARALLEL_THRESHOLD && blocks > 1) {
            Parallel.forEachChunk(blocks, chunk);
        } else {
            for (int c = 0; c < blocks; c++) {
                chunk.run(c);
            }
        }
    }

    /** A contiguous tensor's raw array and offset; rows of a float64 one are read and written through it. */
    private static final class Rows {
        private final float[] f;
        private final double[] dd;
        private final int off;

        Rows(Tensor t) {
            this.f = t.dtype() == DType.FLOAT32 ? t.floatStorage() : null;
            this.dd = f == null ? t.doubleStorage() : null;
            this.off = t.storageOffset();
        }

        /** Row r of a float64 tensor. */
        void read(int r, int d, double[] row) {
            System.arraycopy(dd, off + r * d, row, 0, d);
        }

        /** Writes row r of a float64 tensor. */
        void write(int r, int d, double[] row) {
            System.arraycopy(row, 0, dd, off + r * d, d);
        }
    }

    /**
     * layer_norm's rule. With x̂ = (x − μ)·σ⁻¹ and ĝ = g·w per row: ∂x = σ⁻¹·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)),
     * ∂w = Σ_rows g·x̂, ∂b = Σ_rows g (PyTorch's NativeLayerNormBackward0, which saves the input, weight and bias).
     */
    static final class NativeLayerNormBackward0 extends Node {
        private final SavedTensor sx;
        private final SavedTensor sw;
        private final SavedTensor sb;
        private final DType dtype;
        private final int[] shape;
        private final int[] normShape;
        private final int d;
        private final double eps;
        private final double[] mean;
        private final double[] rstd;

        NativeLayerNormBackward0(Tensor x, Tensor weight, Tensor bias, int[] normShape, double eps, double[] mean,
                                 double[] rstd) {
            super("NativeLayerNormBackward0", x, weight, bias);
            this.sx = save(x);
            this.sw = weight == null ? null : save(weight);
            this.sb = bias == null ? null : save(bias);
            this.dtype = x.dtype();
            this.shape = x.shape();
            this.normShape = normShape;
            this.d = Raw.prod(normShape, 0, normShape.length);
            this.eps = eps;
            this.mean = mean;
            this.rstd = rstd;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            if (sb != null) {
                sb.get();
            }
            if (Grad.isEnabled()) {
                return differentiable(g);
            }
            Rows xs = new Rows(sx.get().detach().contiguous());
            Tensor gc = (g.dtype() == dtype ? g : g.to(dtype)).contiguous();
            Rows gs = new Rows(gc);
            boolean needX = needsGrad(0);
            boolean needW = sw != null && needsGrad(1);
            boolean needB = sb != null && needsGrad(2);
            int rows = mean.length;
            // each row of g is read whole before that row of the input gradient is written, so a private incoming
            // gradient can hold the result
            Tensor gxT = !needX ? null : reusableGradOutput(gc, dtype, shape);
            if (needX && gxT == null) {
                gxT = Tensor.zeros(dtype, shape);
            }
            Rows gx = needX ? new Rows(gxT) : null;
            int blocks = (rows + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK;
            double[][] pw = needW ? new double[blocks][] : null;
            double[][] pb = needB ? new double[blocks][] : null;
            boolean f32 = dtype == DType.FLOAT32;
            float[] wf = f32 && sw != null ? sw.get().toArray() : null;
            double[] w = !f32 && sw != null ? Raw.doubles(sw.get()) : null;
            forBlocks(rows, d, (r0, r1) -> {
                double[] accW = needW ? new double[d] : null;
                double[] accB = needB ? new double[d] : null;
                if (f32) {
                    NormKernels.layerNormBackward(true, xs.f, xs.off + r0 * d, gs.f, gs.off + r0 * d,
                            gx == null ? null : gx.f, gx == null ? 0 : gx.off + r0 * d, r1 - r0, d, wf, mean, rstd, r0,
                            accW, accB);
                } else {
                    backwardRows64(xs, gs, gx, w, r0, r1, accW, accB);
                }
                int blk = r0 / ROWS_PER_BLOCK;
                if (pw != null) {
                    pw[blk] = accW;
                }
                if (pb != null) {
                    pb[blk] = accB;
                }
            });
            return new Tensor[] {gxT, needW ? Raw.tensor(sumBlocks(pw, d), dtype, normShape) : null,
                needB ? Raw.tensor(sumBlocks(pb, d), dtype, normShape) : null};
        }

        /** Rows r0..r1-1 of a float64 input: the same formulas as {@link NormKernels}, one chain per sum. */
        private void backwardRows64(Rows xs, Rows gs, Rows gx, double[] w, int r0, int r1, double[] accW,
                                    double[] accB) {
            double[] xr = new double[d];
            double[] gr = new double[d];
            for (int r = r0; r < r1; r++) {
                xs.read(r, d, xr);
                gs.read(r, d, gr);
                double mu = mean[r];
                double inv = rstd[r];
                double sumG = 0;
                double sumGx = 0;
                for (int j = 0; j < d; j++) {
                    double xh = (xr[j] - mu) * inv;
                    double gy = w == null ? gr[j] : gr[j] * w[j];
                    sumG += gy;
                    sumGx += gy * xh;
                    if (accW != null) {
                        accW[j] += gr[j] * xh;
                    }
                    if (accB != null) {
                        accB[j] += gr[j];
                    }
                }
                if (gx != null) {
                    double a = sumG / d;
                    double c = sumGx / d;
                    for (int j = 0; j < d; j++) {
                        double xh = (xr[j] - mu) * inv;
                        double gy = w == null ? gr[j] : gr[j] * w[j];
                        xr[j] = inv * (gy - a - xh * c);
                    }
                    gx.write(r, d, xr);
                }
            }
        }

        private static double[] sumBlocks(double[][] parts, int d) {
            double[] out = new double[d];
            for (double[] p : parts) {
                for (int j = 0; j < d; j++) {
                    out[j] += p[j];
                }
            }
            return out;
        }

        /**
         * The rule as recorded ops for createGraph (docs/SEMANTICS.md §5.12): μ and σ⁻¹ are recomputed from the
         * saved input, so they are differentiated too.
         */
        private Tensor[] differentiable(Tensor g) {
            Tensor xs = sx.get();
            int[] dims = new int[normShape.length];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = shape.length - dims.length + i;
            }
            Tensor gg = g.dtype() == dtype ? g : g.to(dtype);
            Tensor mu = xs.mean(dims, true);
            Tensor xc = xs.sub(mu);
            Tensor inv = xc.mul(xc).mean(dims, true).add(eps).pow(-0.5);
            Tensor xhat = xc.mul(inv);
            Tensor gx = null;
            if (needsGrad(0)) {
                Tensor gy = sw == null ? gg : gg.mul(sw.get());
                gx = gy.sub(gy.mean(dims, true)).sub(xhat.mul(gy.mul(xhat).mean(dims, true))).mul(inv);
            }
            int[] lead = new int[shape.length - dims.length];
            for (int i = 0; i < lead.length; i++) {
                lead[i] = i;
            }
            return new Tensor[] {gx,
                sw != null && needsGrad(1) ? sumLeading(gg.mul(xhat), lead) : null,
                sb != null && needsGrad(2) ? sumLeading(gg, lead) : null};
        }

        private static Tensor sumLeading(Tensor t, int[] lead) {
            return lead.length == 0 ? t : t.sum(lead, false);
        }
    }
}
