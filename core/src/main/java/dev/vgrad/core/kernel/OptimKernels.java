package dev.vgrad.core.kernel;

/**
 * Fused optimizer update kernels (SGD, Adam/AdamW, RMSprop, Adagrad) over flat arrays, plus the
 * reductions gradient clipping needs. One call updates one parameter in a single pass over its
 * parameter, gradient and state arrays.
 *
 * <p>Every per-element formula follows the operation order of PyTorch's single-tensor implementations
 * ({@code torch/optim/*.py}, docs/SEMANTICS.md §6), with the hyper-parameters rounded to the array's precision
 * the way PyTorch rounds Python scalars for a float32 tensor. Float32 entry points run the Vector API loop of
 * {@code SimdOptimKernels} when {@link KernelProvider#simdEnabled()}, else the scalar loop here; the SIMD loop
 * uses exactly the same IEEE operations (no FMA), so both give bit-identical results. Float64 entry points are
 * scalar.
 *
 * <p>Arrays longer than {@link #CHUNK} elements are split into equal chunks of at most about that size, run by
 * {@link Parallel}; the update is elementwise, so the result never depends on the number of threads.
 *
 * <p>Every update reads and writes {@code n} consecutive elements of each array from its offset; the arrays must
 * not overlap one another. Hyper-parameters arrive pre-computed (e.g. {@code negLr = -lr}) so the kernel does
 * exactly PyTorch's operations. Internal: called by the optim module's optimizers and by gradient clipping; not
 * part of the stable API.
 */
public final class OptimKernels {
    /**
     * Longest array updated on one thread, and the target chunk size above it (a chunk of Adam touches 4 arrays
     * of 64 KiB: about 10 µs of work, well above a hand-off to the worker thread).
     */
    public static final int CHUNK = 1 << 14;
    /** Elements per partial sum of {@link #sumOfSquares(float[], int, int)}. */
    static final int SUMSQ_BLOCK = 4096;

    private OptimKernels() {
    }

    @FunctionalInterface
    private interface Range {
        void run(int start, int len);
    }

    private static void forRanges(int n, Range r) {
        if (n <= CHUNK) {
            if (n > 0) {
                r.run(0, n);
            }
            return;
        }
        // equal chunks, as many as a multiple of the thread count: 3 fixed chunks and a short one left one
        // thread with twice the other's share of a 784×256 weight
        int threads = Math.max(1, Parallel.numThreads());
        int chunks = (Parallel.chunks(n, CHUNK) + threads - 1) / threads * threads;
        int per = (int) ((n + (long) chunks - 1) / chunks + 63) / 64 * 64;
        Parallel.forEachChunk(chunks, c -> {
            long s = (long) c * per;
            if (s < n) {
                r.run((int) s, (int) Math.min(per, n - s));
            }
        });
    }

    // =====================================================================================================
    // SGD

    /**
     * SGD update of one float32 parameter, in place (docs/SEMANTICS.md §6.2):
     * <pre>
     * d = maximize ? -g : g;  if wd != 0: d = d + wd·p
     * if buf != null:  buf = firstStep ? d : buf·momentum + (1-dampening)·d;  d = nesterov ? d + momentum·buf : buf
     * p = p + (-lr)·d
     * </pre>
     * {@code buf} is null when momentum is 0 (no state). {@code oneMinusDampening} is {@code (float)(1-dampening)}.
     *
     * @param p      parameter array, updated in place
     * @param pOff   offset of the parameter's first element
     * @param g      gradient array (read only)
     * @param gOff   offset of the gradient's first element
     * @param buf    momentum buffer, updated in place; null when momentum is 0
     * @param bOff   offset of the buffer's first element (ignored when buf is null)
     * @param n      number of elements
     * @param negLr  −lr
     * @param wd     weight decay (L2 coefficient; 0 for none)
     * @param momentum momentum factor μ
     * @param oneMinusDampening 1 − dampening
     * @param nesterov whether to use Nesterov momentum
     * @param maximize whether to ascend the gradient
     * @param firstStep true on the first step with this buffer: it is then set to d, not blended
     */
    public static void sgd(float[] p, int pOff, float[] g, int gOff, float[] buf, int bOff, int n,
                           float negLr, float wd, float momentum, float oneMinusDampening, boolean nesterov,
                           boolean maximize, boolean firstStep) {
        boolean simd = KernelProvider.simdEnabled();
        forRanges(n, (s, len) -> {
            if (simd) {
                SimdOptimKernels.sgd(p, pOff + s, g, gOff + s, buf, bOff + s, len, negLr, wd, momentum,
                        oneMinusDampening, nesterov, maximize, firstStep);
            } else {
                sgdScalar(p, pOff + s, g, gOff + s, buf, bOff + s, len, negLr, wd, momentum, oneMinusDampening,
                        nesterov, maximize, firstStep);
            }
        });
    }

    static void sgdScalar(float[] p, int pOff, float[] g, int gOff, float[] buf, int bOff, int n,
                          float negLr, float wd, float momentum, float oneMinusDampening, boolean nesterov,
                          boolean maximize, boolean firstStep) {
        for (int i = 0; i < n; i++) {
            float pi = p[pOff + i];
            float d = g[gOff + i];
            if (maximize) {
                d = -d;
            }
            if (wd != 0f) {
                d = d + wd * pi;
            }
            if (buf != null) {
                float b = firstStep ? d : buf[bOff + i] * momentum + oneMinusDampening * d;
                buf[bOff + i] = b;
                d = nesterov ? d + momentum * b : b;
            }
            p[pOff + i] = pi + negLr * d;
        }
    }

    /**
     * Float64 {@link #sgd(float[], int, float[], int, float[], int, int, float, float, float, float, boolean,
     * boolean, boolean)}.
     *
     * @param p      parameter array, updated in place
     * @param pOff   offset of the parameter's first element
     * @param g      gradient array (read only)
     * @param gOff   offset of the gradient's first element
     * @param buf    momentum buffer, updated in place; null when momentum is 0
     * @param bOff   offset of the buffer's first element (ignored when buf is null)
     * @param n      number of elements
     * @param negLr  −lr
     * @param wd     weight decay (L2 coefficient; 0 for none)
     * @param momentum momentum factor μ
     * @param oneMinusDampening 1 − dampening
     * @param nesterov whether to use Nesterov momentum
     * @param maximize whether to ascend the gradient
     * @param firstStep true on the first step with this buffer: it is then set to d, not blended
     */
    public static void sgd(double[] p, int pOff, double[] g, int gOff, double[] buf, int bOff, int n,
                           double negLr, double wd, double momentum, double oneMinusDampening, boolean nesterov,
                           boolean maximize, boolean firstStep) {
        forRanges(n, (s, len) -> {
            for (int i = s; i < s + len; i++) {
                double pi = p[pOff + i];
                double d = g[gOff + i];
                if (maximize) {
                    d = -d;
                }
                if (wd != 0) {
                    d = d + wd * pi;
                }
                if (buf != null) {
                    double b = firstStep ? d : buf[bOff + i] * momentum + oneMinusDampening * d;
                    buf[bOff + i] = b;
                    d = nesterov ? d + momentum * b : b;
                }
                p[pOff + i] = pi + negLr * d;
            }
        });
    }

    // =====================================================================================================
    // Adam / AdamW

    /**
     * Adam/AdamW update of one float32 parameter, in place (docs/SEMANTICS.md §6.3–6.4):
     * <pre>
     * d = maximize ? -g : g;  if wd != 0: d = d + wd·p          (Adam's coupled L2; pass wd = 0 for AdamW)
     * p = p·decay                                             (AdamW: decay = 1 - lr·λ; Adam: 1)
     * m = m·β1 + (1-β1)·d;  v = v·β2 + (1-β2)·d·d
     * u = vmax != null ? (vmax = max(vmax, v)) : v
     * p = p + negStepSize·(m / (sqrt(u)/bc2Sqrt + eps))       (negStepSize = -lr/(1-β1^t), bc2Sqrt = sqrt(1-β2^t))
     * </pre>
     * {@code vmax} is null unless amsgrad.
     *
     * @param p      parameter array, updated in place
     * @param pOff   offset of the parameter's first element
     * @param g      gradient array (read only)
     * @param gOff   offset of the gradient's first element
     * @param m      first-moment state (exp_avg), updated in place
     * @param mOff   offset of m's first element
     * @param v      second-moment state (exp_avg_sq), updated in place
     * @param vOff   offset of v's first element
     * @param vmax   running maximum of v (max_exp_avg_sq), updated in place; null unless amsgrad
     * @param vmaxOff offset of vmax's first element (ignored when vmax is null)
     * @param n      number of elements
     * @param beta1  β1
     * @param oneMinusBeta1 1 − β1
     * @param beta2  β2
     * @param oneMinusBeta2 1 − β2
     * @param wd     Adam's coupled L2 weight decay (0 for AdamW)
     * @param decay  AdamW's multiplicative decay 1 − lr·λ (1 for Adam)
     * @param bc2Sqrt sqrt(1 − β2^t), the second-moment bias correction at step t
     * @param eps    ε added to the denominator
     * @param negStepSize −lr / (1 − β1^t)
     * @param maximize whether to ascend the gradient
     */
    public static void adam(float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff,
                            float[] vmax, int vmaxOff, int n, float beta1, float oneMinusBeta1, float beta2,
                            float oneMinusBeta2, float wd, float decay, float bc2Sqrt, float eps, float negStepSize,
                            boolean maximize) {
        boolean simd = KernelProvider.simdEnabled();
        forRanges(n, (s, len) -> {
            if (simd) {
                SimdOptimKernels.adam(p, pOff + s, g, gOff + s, m, mOff + s, v, vOff + s, vmax, vmaxOff + s, len,
                        beta1, oneMinusBeta1, beta2, oneMinusBeta2, wd, decay, bc2Sqrt, eps, negStepSize, maximize);
            } else {
                adamScalar(p, pOff + s, g, gOff + s, m, mOff + s, v, vOff + s, vmax, vmaxOff + s, len,
                        beta1, oneMinusBeta1, beta2, oneMinusBeta2, wd, decay, bc2Sqrt, eps, negStepSize, maximize);
            }
        });
    }

    static void adamScalar(float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff,
                           float[] vmax, int vmaxOff, int n, float beta1, float oneMinusBeta1, float beta2,
                           float oneMinusBeta2, float wd, float decay, float bc2Sqrt, float eps, float negStepSize,
                           boolean maximize) {
        for (int i = 0; i < n; i++) {
            float pi = p[pOff + i];
            float d = g[gOff + i];
            if (maximize) {
                d = -d;
            }
            if (wd != 0f) {
                d = d + wd * pi;
            }
            if (decay != 1f) {
                pi = pi * decay;
            }
            float mi = m[mOff + i] * beta1 + oneMinusBeta1 * d;
            float vi = v[vOff + i] * beta2 + oneMinusBeta2 * d * d;
            m[mOff + i] = mi;
            v[vOff + i] = vi;
            float u = vi;
            if (vmax != null) {
                u = maxNan(vmax[vmaxOff + i], vi);
                vmax[vmaxOff + i] = u;
            }
            float denom = (float) Math.sqrt(u) / bc2Sqrt + eps;
            p[pOff + i] = pi + negStepSize * (mi / denom);
        }
    }

    /**
     * Float64 Adam/AdamW (see the float32 overload).
     *
     * @param p      parameter array, updated in place
     * @param pOff   offset of the parameter's first element
     * @param g      gradient array (read only)
     * @param gOff   offset of the gradient's first element
     * @param m      first-moment state (exp_avg), updated in place
     * @param mOff   offset of m's first element
     * @param v      second-moment state (exp_avg_sq), updated in place
     * @param vOff   offset of v's first element
     * @param vmax   running maximum of v (max_exp_avg_sq), updated in place; null unless amsgrad
     * @param vmaxOff offset of vmax's first element (ignored when vmax is null)
     * @param n      number of elements
     * @param beta1  β1
     * @param oneMinusBeta1 1 − β1
     * @param beta2  β2
     * @param oneMinusBeta2 1 − β2
     * @param wd     Adam's coupled L2 weight decay (0 for AdamW)
     * @param decay  AdamW's multiplicative decay 1 − lr·λ (1 for Adam)
     * @param bc2Sqrt sqrt(1 − β2^t), the second-moment bias correction at step t
     * @param eps    ε added to the denominator
     * @param negStepSize −lr / (1 − β1^t)
     * @param maximize whether to ascend the gradient
     */
    public static void adam(double[] p, int pOff, double[] g, int gOff, double[] m, int mOff, double[] v, int vOff,
                            double[] vmax, int vmaxOff, int n, double beta1, double oneMinusBeta1, double beta2,
                            double oneMinusBeta2, double wd, double decay, double bc2Sqrt, double eps,
                            double negStepSize, boolean maximize) {
        forRanges(n, (s, len) -> {
            for (int i = s; i < s + len; i++) {
                double pi = p[pOff + i];
                double d = g[gOff + i];
                if (maximize) {
                    d = -d;
                }
                if (wd != 0) {
                    d = d + wd * pi;
                }
                if (decay != 1) {
                    pi = pi * decay;
                }
                double mi = m[mOff + i] * beta1 + oneMinusBeta1 * d;
                double vi = v[vOff + i] * beta2 + oneMinusBeta2 * d * d;
                m[mOff + i] = mi;
                v[vOff + i] = vi;
                double u = vi;
                if (vmax != null) {
                    u = Math.max(vmax[vmaxOff + i], vi);
                    vmax[vmaxOff + i] = u;
                }
                double denom = Math.sqrt(u) / bc2Sqrt + eps;
                p[pOff + i] = pi + negStepSize * (mi / denom);
            }
        });
    }

    // =====================================================================================================
    // RMSprop

    /**
     * RMSprop update of one float32 parameter, in place (docs/SEMANTICS.md §6.5):
     * <pre>
     * d = maximize ? -g : g;  if wd != 0: d = d + wd·p
     * s = s·α + (1-α)·d·d
     * avg = gAvg != null ? sqrt(s + (-1·a)·a) + eps  with a = gAvg = a·α + (1-α)·d  :  sqrt(s) + eps
     * buf != null ? (buf = buf·μ + d/avg;  p = p + (-lr)·buf)  :  p = p + (-lr)·(d/avg)
     * </pre>
     *
     * @param p      parameter array, updated in place
     * @param pOff   offset of the parameter's first element
     * @param g      gradient array (read only)
     * @param gOff   offset of the gradient's first element
     * @param sq     square average state (square_avg), updated in place
     * @param sqOff  offset of sq's first element
     * @param gAvg   gradient average state (grad_avg), updated in place; null unless centered
     * @param gaOff  offset of gAvg's first element (ignored when gAvg is null)
     * @param buf    momentum buffer (momentum_buffer), updated in place; null when momentum is 0
     * @param bOff   offset of buf's first element (ignored when buf is null)
     * @param n      number of elements
     * @param alpha  smoothing constant α
     * @param oneMinusAlpha 1 − α
     * @param eps    ε added to the denominator
     * @param wd     weight decay (L2 coefficient; 0 for none)
     * @param momentum momentum factor μ
     * @param negLr  −lr
     * @param maximize whether to ascend the gradient
     */
    public static void rmsprop(float[] p, int pOff, float[] g, int gOff, float[] sq, int sqOff, float[] gAvg,
                               int gaOff, float[] buf, int bOff, int n, float alpha, float oneMinusAlpha, float eps,
                               float wd, float momentum, float negLr, boolean maximize) {
        boolean simd = KernelProvider.simdEnabled();
        forRanges(n, (s, len) -> {
            if (simd) {
                SimdOptimKernels.rmsprop(p, pOff + s, g, gOff + s, sq, sqOff + s, gAvg, gaOff + s, buf, bOff + s,
                        len, alpha, oneMinusAlpha, eps, wd, momentum, negLr, maximize);
            } else {
                rmspropScalar(p, pOff + s, g, gOff + s, sq, sqOff + s, gAvg, gaOff + s, buf, bOff + s, len,
                        alpha, oneMinusAlpha, eps, wd, momentum, negLr, maximize);
            }
        });
    }

    static void rmspropScalar(float[] p, int pOff, float[] g, int gOff, float[] sq, int sqOff, float[] gAvg,
                              int gaOff, float[] buf, int bOff, int n, float alpha, float oneMinusAlpha, float eps,
                              float wd, float momentum, float negLr, boolean maximize) {
        for (int i = 0; i < n; i++) {
            float pi = p[pOff + i];
            float d = g[gOff + i];
            if (maximize) {
                d = -d;
            }
            if (wd != 0f) {
                d = d + wd * pi;
            }
            float s = sq[sqOff + i] * alpha + oneMinusAlpha * d * d;
            sq[sqOff + i] = s;
            float avg;
            if (gAvg != null) {
                float a = gAvg[gaOff + i] * alpha + oneMinusAlpha * d;
                gAvg[gaOff + i] = a;
                avg = (float) Math.sqrt(s + -a * a) + eps;
            } else {
                avg = (float) Math.sqrt(s) + eps;
            }
            if (buf != null) {
                float b = buf[bOff + i] * momentum + d / avg;
                buf[bOff + i] = b;
                p[pOff + i] = pi + negLr * b;
            } else {
                p[pOff + i] = pi + negLr * (d / avg);
            }
        }
    }

    /**
     * Float64 RMSprop (see the float32 overload).
     *
     * @param p      parameter array, updated in place
     * @param pOff   offset of the parameter's first element
     * @param g      gradient array (read only)
     * @param gOff   offset of the gradient's first element
     * @param sq     square average state (square_avg), updated in place
     * @param sqOff  offset of sq's first element
     * @param gAvg   gradient average state (grad_avg), updated in place; null unless centered
     * @param gaOff  offset of gAvg's first element (ignored when gAvg is null)
     * @param buf    momentum buffer (momentum_buffer), updated in place; null when momentum is 0
     * @param bOff   offset of buf's first element (ignored when buf is null)
     * @param n      number of elements
     * @param alpha  smoothing constant α
     * @param oneMinusAlpha 1 − α
     * @param eps    ε added to the denominator
     * @param wd     weight decay (L2 coefficient; 0 for none)
     * @param momentum momentum factor μ
     * @param negLr  −lr
     * @param maximize whether to ascend the gradient
     */
    public static void rmsprop(double[] p, int pOff, double[] g, int gOff, double[] sq, int sqOff, double[] gAvg,
                               int gaOff, double[] buf, int bOff, int n, double alpha, double oneMinusAlpha,
                               double eps, double wd, double momentum, double negLr, boolean maximize) {
        forRanges(n, (st, len) -> {
            for (int i = st; i < st + len; i++) {
                double pi = p[pOff + i];
                double d = g[gOff + i];
                if (maximize) {
                    d = -d;
                }
                if (wd != 0) {
                    d = d + wd * pi;
                }
                double s = sq[sqOff + i] * alpha + oneMinusAlpha * d * d;
                sq[sqOff + i] = s;
                double avg;
                if (gAvg != null) {
                    double a = gAvg[gaOff + i] * alpha + oneMinusAlpha * d;
                    gAvg[gaOff + i] = a;
                    avg = Math.sqrt(s + -a * a) + eps;
                } else {
                    avg = Math.sqrt(s) + eps;
                }
                if (buf != null) {
                    double b = buf[bOff + i] * momentum + d / avg;
                    buf[bOff + i] = b;
                    p[pOff + i] = pi + negLr * b;
                } else {
                    p[pOff + i] = pi + negLr * (d / avg);
                }
            }
        });
    }

    // =====================================================================================================
    // Adagrad

    /**
     * Adagrad update of one float32 parameter, in place (docs/SEMANTICS.md §6.6):
     * <pre>
     * d = maximize ? -g : g;  if wd != 0: d = d + wd·p
     * sum = sum + d·d;  p = p + negClr·(d / (sqrt(sum) + eps))      (negClr = -lr/(1+(t-1)·lr_decay))
     * </pre>
     *
     * @param p      parameter array, updated in place
     * @param pOff   offset of the parameter's first element
     * @param g      gradient array (read only)
     * @param gOff   offset of the gradient's first element
     * @param sum    accumulated squared gradients (state "sum"), updated in place
     * @param sOff   offset of sum's first element
     * @param n      number of elements
     * @param eps    ε added to the denominator
     * @param wd     weight decay (L2 coefficient; 0 for none)
     * @param negClr −lr / (1 + (t − 1)·lr_decay), the decayed learning rate negated
     * @param maximize whether to ascend the gradient
     */
    public static void adagrad(float[] p, int pOff, float[] g, int gOff, float[] sum, int sOff, int n, float eps,
                               float wd, float negClr, boolean maximize) {
        boolean simd = KernelProvider.simdEnabled();
        forRanges(n, (s, len) -> {
            if (simd) {
                SimdOptimKernels.adagrad(p, pOff + s, g, gOff + s, sum, sOff + s, len, eps, wd, negClr, maximize);
            } else {
                adagradScalar(p, pOff + s, g, gOff + s, sum, sOff + s, len, eps, wd, negClr, maximize);
            }
        });
    }

    static void adagradScalar(float[] p, int pOff, float[] g, int gOff, float[] sum, int sOff, int n, float eps,
                              float wd, float negClr, boolean maximize) {
        for (int i = 0; i < n; i++) {
            float pi = p[pOff + i];
            float d = g[gOff + i];
            if (maximize) {
                d = -d;
            }
            if (wd != 0f) {
                d = d + wd * pi;
            }
            float s = sum[sOff + i] + d * d;
            sum[sOff + i] = s;
            p[pOff + i] = pi + negClr * (d / ((float) Math.sqrt(s) + eps));
        }
    }

    /**
     * Float64 Adagrad (see the float32 overload).
     *
     * @param p      parameter array, updated in place
     * @param pOff   offset of the parameter's first element
     * @param g      gradient array (read only)
     * @param gOff   offset of the gradient's first element
     * @param sum    accumulated squared gradients (state "sum"), updated in place
     * @param sOff   offset of sum's first element
     * @param n      number of elements
     * @param eps    ε added to the denominator
     * @param wd     weight decay (L2 coefficient; 0 for none)
     * @param negClr −lr / (1 + (t − 1)·lr_decay), the decayed learning rate negated
     * @param maximize whether to ascend the gradient
     */
    public static void adagrad(double[] p, int pOff, double[] g, int gOff, double[] sum, int sOff, int n, double eps,
                               double wd, double negClr, boolean maximize) {
        forRanges(n, (st, len) -> {
            for (int i = st; i < st + len; i++) {
                double pi = p[pOff + i];
                double d = g[gOff + i];
                if (maximize) {
                    d = -d;
                }
                if (wd != 0) {
                    d = d + wd * pi;
                }
                double s = sum[sOff + i] + d * d;
                sum[sOff + i] = s;
                p[pOff + i] = pi + negClr * (d / (Math.sqrt(s) + eps));
            }
        });
    }

    // =====================================================================================================
    // clipping helpers

    /**
     * Σ x[i]² as a double: blocks of {@value #SUMSQ_BLOCK} elements are reduced with the active float kernel's
     * fixed-order {@link Kernels#dot} and the block sums are added in order in double precision. Deterministic for
     * any thread count and identical on the scalar and SIMD paths.
     *
     * @param x   input array
     * @param off offset of the first element
     * @param n   number of elements (0 or negative gives 0)
     * @return the sum of squares (clip_grad_norm_'s squared 2-norm of one gradient)
     */
    public static double sumOfSquares(float[] x, int off, int n) {
        if (n <= 0) {
            return 0;
        }
        Kernels k = KernelProvider.kernels();
        int blocks = Parallel.chunks(n, SUMSQ_BLOCK);
        double[] partial = new double[blocks];
        int perChunk = CHUNK / SUMSQ_BLOCK;
        Parallel.forEachChunk(Parallel.chunks(blocks, perChunk), c -> {
            int end = Math.min(blocks, (c + 1) * perChunk);
            for (int b = c * perChunk; b < end; b++) {
                int s = b * SUMSQ_BLOCK;
                int len = Math.min(SUMSQ_BLOCK, n - s);
                partial[b] = k.dot(x, off + s, x, off + s, len);
            }
        });
        double total = 0;
        for (double d : partial) {
            total += d;
        }
        return total;
    }

    /**
     * Σ x[i]² in double precision, sequentially.
     *
     * @param x   input array
     * @param off offset of the first element
     * @param n   number of elements
     * @return the sum of squares
     */
    public static double sumOfSquares(double[] x, int off, int n) {
        double total = 0;
        for (int i = 0; i < n; i++) {
            double v = x[off + i];
            total += v * v;
        }
        return total;
    }

    /** Float max that propagates NaN (as {@code torch.maximum}). */
    static float maxNan(float a, float b) {
        return Math.max(a, b);
    }
}
