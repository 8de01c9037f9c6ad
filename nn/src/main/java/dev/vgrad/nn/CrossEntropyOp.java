package dev.vgrad.nn;

import dev.vgrad.core.Autograd;
import dev.vgrad.core.DType;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Node;
import dev.vgrad.core.SavedTensor;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.kernel.Parallel;
import java.util.Arrays;

/**
 * Fused log-softmax + negative log-likelihood (docs/SEMANTICS.md §8.2), and plain NLL on log-probabilities.
 * Inputs are {@code (C)}, {@code (N,C)} or {@code (N,C,d1,…)}; each "row" is one (sample, position) pair whose
 * C class scores sit {@code S = ∏ d_i} elements apart. Rows are independent and written to disjoint outputs,
 * and reductions add row losses in row order, so results do not depend on the thread count.
 */
final class CrossEntropyOp {
    private CrossEntropyOp() {}

    private static final int ROWS_PER_CHUNK = 256;

    /**
     * @param logProbs true for NLLLoss (input already holds log-probabilities; no smoothing, no prob targets)
     */
    static Tensor apply(Tensor input, Tensor target, Tensor weight, long ignoreIndex, Reduction reduction,
                        double labelSmoothing, boolean logProbs) {
        String op = logProbs ? "nll_loss" : "cross_entropy";
        Check.nonNull(op, "input", input);
        Check.nonNull(op, "target", target);
        if (!input.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": expected a floating point input, got " + input.dtype());
        }
        int[] shape = input.shape();
        if (shape.length == 0) {
            throw new IllegalArgumentException(op + ": input must have at least 1 dimension (C), got a 0-d tensor");
        }
        if (labelSmoothing < 0 || labelSmoothing > 1 || Double.isNaN(labelSmoothing)) {
            throw new IllegalStateException("label_smoothing must be between 0.0 and 1.0. Got: " + Py.repr(labelSmoothing));
        }
        final boolean unbatched = shape.length == 1;
        final int nBatch = unbatched ? 1 : shape[0];
        final int classes = unbatched ? shape[0] : shape[1];
        final int spatial = unbatched ? 1 : Raw.prod(shape, 2, shape.length);
        final int rows = nBatch * spatial;
        final boolean probTarget = target.dtype().isFloatingPoint();
        int[] rowShape;
        if (probTarget) {
            if (logProbs) {
                throw new IllegalStateException("expected scalar type Long but found " + typeName(target.dtype()));
            }
            if (!Arrays.equals(target.shape(), shape)) {
                throw new IllegalArgumentException("cross_entropy: expected probability target of the input's shape "
                        + Raw.shapeStr(shape) + ", got " + Raw.shapeStr(target.shape()));
            }
            if (ignoreIndex >= 0) {
                throw new IllegalStateException("ignore_index is not supported for floating point target");
            }
            rowShape = new int[Math.max(0, shape.length - 1)];
            if (!unbatched) {
                rowShape[0] = nBatch;
                System.arraycopy(shape, 2, rowShape, 1, shape.length - 2);
            }
        } else {
            rowShape = checkClassTarget(op, shape, target);
        }
        final double[] w = weight == null ? null : Raw.doubles(weight);
        if (w != null && (weight.dim() != 1 || w.length != classes)) {
            throw new IllegalStateException("weight tensor should be defined either for all " + classes
                    + " classes or no classes but got weight tensor of shape: " + Raw.shapeStr(weight.shape()));
        }
        double wTotal = 0;
        if (w != null) {
            for (double v : w) {
                wTotal += v;
            }
        } else {
            wTotal = classes;
        }
        final double wSum = wTotal;
        final double eps = logProbs ? 0 : labelSmoothing;
        final double[] x = Raw.doubles(input);
        final long[] t = probTarget ? null : Raw.longs(target);
        final double[] p = probTarget ? Raw.doubles(target) : null;
        if (t != null) {
            for (long ti : t) {
                if (ti != ignoreIndex && (ti < 0 || ti >= classes)) {
                    throw new IndexOutOfBoundsException("Target " + ti + " is out of bounds.");
                }
            }
        }
        final double[] loss = new double[rows];
        final double[] denomPart = new double[rows];
        // each row's log-sum-exp, kept for the backward rule (which would otherwise recompute it: half its exps)
        final double[] lseRow = logProbs ? null : new double[rows];
        final int cs = classes * spatial;
        run(rows, (long) rows * classes, r -> {
            int n = r / spatial;
            int s = r % spatial;
            int base = n * cs + s;
            if (t != null && t[r] == ignoreIndex) {
                loss[r] = 0;
                denomPart[r] = 0;
                return;
            }
            double lse = 0;
            if (!logProbs) {
                double m = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) {
                    double v = x[base + c * spatial];
                    if (v > m || Double.isNaN(v)) {
                        m = v;
                    }
                    if (Double.isNaN(v)) {
                        break;
                    }
                }
                double sum = 0;
                if (Double.isInfinite(m) && m < 0) {
                    sum = 0; // every score is -inf: log-softmax is NaN (0/0), as in PyTorch
                    lse = Double.NaN;
                } else {
                    for (int c = 0; c < classes; c++) {
                        sum += Math.exp(x[base + c * spatial] - m);
                    }
                    lse = m + Math.log(sum);
                }
                lseRow[r] = lse;
            }
            if (t != null) {
                int tc = (int) t[r];
                double wt = w == null ? 1.0 : w[tc];
                double nll = -wt * (x[base + tc * spatial] - lse);
                double l = (1 - eps) * nll;
                if (eps > 0) {
                    double smooth = 0;
                    for (int c = 0; c < classes; c++) {
                        smooth -= (w == null ? 1.0 : w[c]) * (x[base + c * spatial] - lse);
                    }
                    l += eps / classes * smooth;
                }
                loss[r] = l;
                denomPart[r] = wt;
            } else {
                double l = 0;
                for (int c = 0; c < classes; c++) {
                    int i = base + c * spatial;
                    double q = (1 - eps) * p[i] + eps / classes;
                    l -= (w == null ? 1.0 : w[c]) * q * (x[i] - lse);
                }
                loss[r] = l;
                denomPart[r] = 1;
            }
        });
        final double denom;
        Tensor out;
        if (reduction == Reduction.NONE) {
            denom = 1;
            out = Raw.tensor(loss, input.dtype(), rowShape);
        } else {
            double total = 0;
            double d = 0;
            for (int r = 0; r < rows; r++) {
                total += loss[r];
                d += denomPart[r];
            }
            if (probTarget) {
                d = rows;
            }
            denom = d;
            double v = reduction == Reduction.SUM ? total : total / d;
            out = Raw.tensor(new double[] {v}, input.dtype(), new int[0]);
        }
        if (Autograd.isRecording(input, target, weight)) {
            Autograd.attach(out, new CrossEntropyBackward(logProbs ? "NllLossBackward0" : "CrossEntropyLossBackward0",
                    input, target, weight, logProbs, probTarget, unbatched, reduction, shape, classes, spatial, rows,
                    ignoreIndex, eps, wSum, denom, x, p, t, w, lseRow));
        }
        return out;
    }

    /** Validates a class-index target against the input shape; returns the per-row (target) shape. */
    static int[] checkClassTarget(String op, int[] shape, Tensor target) {
        if (target.dtype() != DType.INT64) {
            throw new IllegalStateException("expected scalar type Long but found " + typeName(target.dtype()));
        }
        int[] ts = target.shape();
        if (shape.length == 1) {
            if (ts.length != 0) {
                throw new IllegalArgumentException(op + ": 1D target tensor expected for a batched input, but got a "
                        + ts.length + "D target for an unbatched (C) input; expected a 0-d target");
            }
            return ts;
        }
        if (ts.length == 0 || ts[0] != shape[0]) {
            throw new IllegalArgumentException("Expected input batch_size (" + shape[0] + ") to match target batch_size ("
                    + (ts.length == 0 ? 0 : ts[0]) + ").");
        }
        int[] expected = new int[shape.length - 1];
        expected[0] = shape[0];
        System.arraycopy(shape, 2, expected, 1, shape.length - 2);
        if (!Arrays.equals(expected, ts)) {
            throw new IllegalStateException("Expected target size " + Raw.shapeStr(expected) + ", got "
                    + Raw.shapeStr(ts));
        }
        return expected;
    }

    static String typeName(DType d) {
        return switch (d) {
            case FLOAT32 -> "Float";
            case FLOAT64 -> "Double";
            case INT64 -> "Long";
            case BOOL -> "Bool";
        };
    }

    private static void run(int rows, long work, Parallel.ChunkBody perRow) {
        if (work >= Raw.PARALLEL_THRESHOLD) {
            int chunks = Parallel.chunks(rows, ROWS_PER_CHUNK);
            Parallel.forEachChunk(chunks, ch -> {
                int end = Math.min(rows, (ch + 1) * ROWS_PER_CHUNK);
                for (int r = ch * ROWS_PER_CHUNK; r < end; r++) {
                    perRow.run(r);
                }
            });
        } else {
            for (int r = 0; r < rows; r++) {
                perRow.run(r);
            }
        }
    }

    /**
     * The rule of cross_entropy ({@code CrossEntropyLossBackward0}) and nll_loss ({@code NllLossBackward0}): one
     * class, since both share the loop; the name is the op's. Besides the saved tensors it keeps the forward's
     * private double/long copies of the scores, probability target, class-index target and class weights (x, p,
     * t, w): plain arrays the forward made for itself, which reference no tensor, the equivalent of the
     * log-softmax PyTorch saves.
     */
    static final class CrossEntropyBackward extends Node {
        private final SavedTensor sx;
        private final SavedTensor st;
        private final SavedTensor sw;
        private final SavedTensor sIn;
        private final boolean logProbs;
        private final boolean probTarget;
        private final boolean unbatched;
        private final Reduction red;
        private final DType inDtype;
        private final DType tDtype;
        private final int[] shape;
        private final int classes;
        private final int spatial;
        private final int rows;
        private final int cs;
        private final long ignoreIndex;
        private final double eps;
        private final double wSum;
        private final double denom;
        private final double[] x;
        private final double[] p;
        private final long[] t;
        private final double[] w;
        /** The forward's log-sum-exp of each row (null for nll_loss). */
        private final double[] lseRow;

        CrossEntropyBackward(String name, Tensor input, Tensor target, Tensor weight, boolean logProbs,
                             boolean probTarget, boolean unbatched, Reduction red, int[] shape, int classes,
                             int spatial, int rows, long ignoreIndex, double eps, double wSum, double denom,
                             double[] x, double[] p, long[] t, double[] w, double[] lseRow) {
            super(name, input, target, weight);
            // What PyTorch saves (docs/SEMANTICS.md §5.7): nll_loss saves its input, cross_entropy only its
            // private log-softmax, so the rule reads the forward's private copy x and an in-place change to
            // cross_entropy's input is allowed; the target and the class weights are saved by both (t and w are
            // their forward copies, valid while the version checks pass)
            this.sx = logProbs ? save(input) : null;
            this.st = save(target);
            this.sw = weight == null ? null : save(weight);
            // cross_entropy's input, read (and version-checked) only by a createGraph pass, so the fast
            // path keeps PyTorch's permission to modify it in place
            this.sIn = logProbs ? sx : save(input);
            this.logProbs = logProbs;
            this.probTarget = probTarget;
            this.unbatched = unbatched;
            this.red = red;
            this.inDtype = input.dtype();
            this.tDtype = target.dtype();
            this.shape = shape;
            this.classes = classes;
            this.spatial = spatial;
            this.rows = rows;
            this.cs = classes * spatial;
            this.ignoreIndex = ignoreIndex;
            this.eps = eps;
            this.wSum = wSum;
            this.denom = denom;
            this.x = x;
            this.p = p;
            this.t = t;
            this.w = w;
            this.lseRow = lseRow;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            if (Grad.isEnabled()) {
                return differentiable(g);
            }
            if (sx != null) {
                sx.get();
            }
            if (sw != null) {
                sw.get();
            }
            st.get();
            double[] xv = x;
            double[] pv = p;
            double[] gv = Raw.doubles(g);
            boolean needX = needsGrad(0);
            boolean needT = probTarget && needsGrad(1);
            double[] gx = needX ? new double[xv.length] : null;
            double[] gt = needT ? new double[xv.length] : null;
            run(rows, (long) rows * classes, r -> {
                if (t != null && t[r] == ignoreIndex) {
                    return;
                }
                double coef = red == Reduction.NONE ? gv[r] : red == Reduction.SUM ? gv[0] : gv[0] / denom;
                int n = r / spatial;
                int s = r % spatial;
                int base = n * cs + s;
                if (logProbs) {
                    int tc = (int) t[r];
                    if (gx != null) {
                        gx[base + tc * spatial] = -coef * (w == null ? 1.0 : w[tc]);
                    }
                    return;
                }
                double lse = lseRow[r];
                if (t != null) {
                    int tc = (int) t[r];
                    double wt = w == null ? 1.0 : w[tc];
                    double a = (1 - eps) * wt + eps / classes * (w == null ? classes : wSum);
                    for (int c = 0; c < classes; c++) {
                        int i = base + c * spatial;
                        double pc = Math.exp(xv[i] - lse);
                        double v = pc * a - (eps / classes) * (w == null ? 1.0 : w[c]);
                        if (c == tc) {
                            v -= (1 - eps) * wt;
                        }
                        if (gx != null) {
                            gx[i] = coef * v;
                        }
                    }
                } else {
                    double a = 0;
                    for (int c = 0; c < classes; c++) {
                        int i = base + c * spatial;
                        a += (w == null ? 1.0 : w[c]) * ((1 - eps) * pv[i] + eps / classes);
                    }
                    for (int c = 0; c < classes; c++) {
                        int i = base + c * spatial;
                        double wc = w == null ? 1.0 : w[c];
                        double lp = xv[i] - lse;
                        if (gx != null) {
                            double q = (1 - eps) * pv[i] + eps / classes;
                            gx[i] = coef * (Math.exp(lp) * a - wc * q);
                        }
                        if (gt != null) {
                            gt[i] = -coef * (1 - eps) * wc * lp;
                        }
                    }
                }
            });
            return new Tensor[] {
                gx == null ? null : Raw.tensor(gx, inDtype, shape),
                gt == null ? null : Raw.tensor(gt, tDtype, shape),
                null,
            };
        }

        /**
         * The rule as recorded ops for createGraph (docs/SEMANTICS.md §5.12). With M the per-element
         * target weights (one-hot or probabilities, smoothed, times the class weights, zero on ignored
         * rows) and c the incoming gradient per row (scaled by the reduction): d/dx = c·(softmax(x)·ΣM − M)
         * for cross_entropy, −c·M for nll_loss, and d/dtarget = −c·(1−ε)·w·log_softmax(x).
         */
        private Tensor[] differentiable(Tensor g) {
            int cdim = unbatched ? 0 : 1;
            Tensor wB = null;
            if (sw != null) {
                int[] ws = new int[Math.max(1, shape.length - cdim)];
                Arrays.fill(ws, 1);
                ws[0] = classes;
                wB = sw.get().to(inDtype).reshape(ws);
            }
            Tensor m;
            if (probTarget) {
                m = st.get().mul(1 - eps).add(eps / classes);
                m = wB == null ? m : m.mul(wB);
            } else {
                st.get();
                double[] mv = new double[x.length];
                for (int r = 0; r < rows; r++) {
                    if (t[r] == ignoreIndex) {
                        continue;
                    }
                    int base = (r / spatial) * cs + r % spatial;
                    int tc = (int) t[r];
                    for (int c = 0; c < classes; c++) {
                        double wc = w == null ? 1.0 : w[c];
                        mv[base + c * spatial] = eps / classes * wc
                                + (c == tc ? (1 - eps) * (w == null ? 1.0 : w[tc]) : 0);
                    }
                }
                m = Raw.tensor(mv, inDtype, shape);
            }
            Tensor coef = red == Reduction.NONE ? (unbatched ? g : g.unsqueeze(1))
                    : red == Reduction.SUM ? g : g.div(denom);
            Tensor gx = null;
            Tensor gt = null;
            if (logProbs) {
                gx = needsGrad(0) ? coef.mul(m).neg() : null;
            } else {
                Tensor logp = sIn.get().logSoftmax(cdim);
                if (needsGrad(0)) {
                    gx = coef.mul(logp.exp().mul(m.sum(new int[] {cdim}, true)).sub(m));
                }
                if (probTarget && needsGrad(1)) {
                    Tensor lw = wB == null ? logp : logp.mul(wB);
                    gt = coef.mul(lw).mul(-(1 - eps));
                }
            }
            return new Tensor[] {gx, gt, null};
        }
    }
}
