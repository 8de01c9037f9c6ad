package dev.vgrad.optim;

import dev.vgrad.core.internal.GradBuffers;
import dev.vgrad.core.DType;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.kernel.OptimKernels;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradient clipping, after {@code torch.nn.utils.clip_grad_norm_} / {@code clip_grad_value_}. Parameters whose
 * gradient is null are ignored. Gradients are modified in place (their version counters are bumped).
 */
public final class ClipGrad {
    private ClipGrad() {
    }

    /**
     * {@link #clipGradNorm(List, double, double, boolean)} with the 2-norm.
     *
     * @param params  the parameters whose gradients are clipped (null gradients are skipped)
     * @param maxNorm the largest allowed total norm ({@code max_norm}), {@code >= 0}
     * @return the total 2-norm of the gradients before clipping, 0 when no parameter has a gradient
     */
    public static double clipGradNorm(List<Tensor> params, double maxNorm) {
        return clipGradNorm(params, maxNorm, 2.0, false);
    }

    /**
     * {@link #clipGradNorm(List, double, double, boolean)} without the non-finite check.
     *
     * @param params   the parameters whose gradients are clipped (null gradients are skipped)
     * @param maxNorm  the largest allowed total norm ({@code max_norm}), {@code >= 0}
     * @param normType the order p of the norm ({@code norm_type}), {@code > 0}; infinity for the max-abs norm
     * @return the total norm of the gradients before clipping, 0 when no parameter has a gradient
     */
    public static double clipGradNorm(List<Tensor> params, double maxNorm, double normType) {
        return clipGradNorm(params, maxNorm, normType, false);
    }

    /**
     * Scales all gradients by {@code min(1, maxNorm / (total + 1e-6))}, where {@code total} is the
     * {@code normType}-norm of the vector of the gradients' individual norms (i.e. of all gradient elements taken
     * together; {@code Double.POSITIVE_INFINITY} gives the max-abs norm). Per-gradient norms are computed with double
     * accumulation and rounded to the gradient's dtype, and the coefficient is computed in that dtype, as PyTorch
     * does. Returns the total norm (before clipping), or 0 when no parameter has a gradient.
     *
     * @param params           the parameters whose gradients are clipped (null gradients are skipped)
     * @param maxNorm          the largest allowed total norm ({@code max_norm}), {@code >= 0}
     * @param normType         the order p of the norm ({@code norm_type}), {@code > 0}; infinity for max-abs
     * @param errorIfNonfinite true to fail on a NaN or infinite total norm ({@code error_if_nonfinite})
     * @return the total norm of the gradients before clipping, 0 when no parameter has a gradient
     * @throws IllegalArgumentException for null {@code params}, a negative or NaN {@code maxNorm}, or a
     *                                  {@code normType} that is not positive
     * @throws IllegalStateException with {@code errorIfNonfinite} when the total norm is NaN or infinite
     *                               (PyTorch's message)
     */
    public static double clipGradNorm(List<Tensor> params, double maxNorm, double normType,
                                      boolean errorIfNonfinite) {
        if (params == null) {
            throw new IllegalArgumentException("clip_grad_norm_: parameters must not be null");
        }
        if (!(maxNorm >= 0)) {
            throw new IllegalArgumentException("clip_grad_norm_: max_norm must be a non-negative number, got " + maxNorm);
        }
        if (!(normType > 0)) {
            throw new IllegalArgumentException("clip_grad_norm_: norm_type must be positive (or infinity), got "
                    + normType);
        }
        List<Tensor> grads = new ArrayList<>();
        for (Tensor p : params) {
            // read without marking them as seen by user code: they are only scaled here, not kept
            Tensor g = GradBuffers.peek(p);
            if (g != null) {
                grads.add(g);
            }
        }
        if (grads.isEmpty()) {
            return 0.0;
        }
        boolean f32 = grads.get(0).dtype() == DType.FLOAT32;
        double[] norms = new double[grads.size()];
        for (int i = 0; i < norms.length; i++) {
            double nrm = norm(grads.get(i), normType);
            norms[i] = grads.get(i).dtype() == DType.FLOAT32 ? (float) nrm : nrm;
        }
        double total = combine(norms, normType);
        if (f32) {
            total = (float) total;
        }
        if (errorIfNonfinite && !Double.isFinite(total)) {
            throw new IllegalStateException("The total norm of order " + Optimizer.repr(normType) + " for gradients "
                    + "from `parameters` is non-finite, so it cannot be clipped. To disable this error and scale the "
                    + "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`");
        }
        double coef = f32 ? (float) maxNorm / ((float) total + 1e-6f) : maxNorm / (total + 1e-6);
        if (coef < 1.0 || Double.isNaN(coef)) {
            try (var off = Grad.disabled()) {
                for (Tensor g : grads) {
                    g.mul_(coef);
                }
            }
        }
        return total;
    }

    private static double norm(Tensor g, double p) {
        Tensor c = g.isContiguous() ? g : g.contiguous();
        int n = c.numel();
        int off = c.storageOffset();
        if (p == 2.0) {
            double ss = c.dtype() == DType.FLOAT32 ? OptimKernels.sumOfSquares(c.floatStorage(), off, n)
                    : OptimKernels.sumOfSquares(c.doubleStorage(), off, n);
            return Math.sqrt(ss);
        }
        double acc = 0;
        boolean inf = Double.isInfinite(p) && p > 0;
        boolean ninf = Double.isInfinite(p) && p < 0;
        if (ninf) {
            acc = Double.POSITIVE_INFINITY;
        }
        float[] f = c.floatStorage();
        double[] d = c.doubleStorage();
        for (int i = 0; i < n; i++) {
            double a = Math.abs(f != null ? f[off + i] : d[off + i]);
            if (Double.isNaN(a)) {
                return Double.NaN;
            }
            if (inf) {
                acc = Math.max(acc, a);
            } else if (ninf) {
                acc = Math.min(acc, a);
            } else if (p == 0) {
                acc += a != 0 ? 1 : 0;
            } else if (p == 1) {
                acc += a;
            } else {
                acc += Math.pow(a, p);
            }
        }
        if (inf || ninf || p == 0 || p == 1) {
            return acc;
        }
        return Math.pow(acc, 1.0 / p);
    }

    private static double combine(double[] norms, double p) {
        if (Double.isInfinite(p)) {
            double acc = p > 0 ? 0 : Double.POSITIVE_INFINITY;
            for (double x : norms) {
                if (Double.isNaN(x)) {
                    return Double.NaN;
                }
                acc = p > 0 ? Math.max(acc, x) : Math.min(acc, x);
            }
            return acc;
        }
        if (p == 2.0) {
            double ss = 0;
            for (double x : norms) {
                ss += x * x;
            }
            return Math.sqrt(ss);
        }
        if (p == 1.0) {
            double s = 0;
            for (double x : norms) {
                s += x;
            }
            return s;
        }
        if (p == 0) {
            double s = 0;
            for (double x : norms) {
                s += x != 0 ? 1 : 0;
            }
            return s;
        }
        double s = 0;
        for (double x : norms) {
            s += Math.pow(x, p);
        }
        return Math.pow(s, 1.0 / p);
    }

    /**
     * Clamps every gradient element into {@code [-clipValue, clipValue]} in place ({@code clip_grad_value_}); NaN
     * stays NaN.
     *
     * @param params    the parameters whose gradients are clamped (null gradients are skipped)
     * @param clipValue the bound of the symmetric clamp ({@code clip_value}), {@code >= 0}
     * @throws IllegalArgumentException for null {@code params} or a negative or NaN {@code clipValue}
     */
    public static void clipGradValue(List<Tensor> params, double clipValue) {
        if (params == null) {
            throw new IllegalArgumentException("clip_grad_value_: parameters must not be null");
        }
        if (!(clipValue >= 0)) {
            throw new IllegalArgumentException("clip_grad_value_: clip_value must be a non-negative number, got "
                    + clipValue);
        }
        try (var off = Grad.disabled()) {
            for (Tensor p : params) {
                Tensor g = GradBuffers.peek(p);
                if (g != null) {
                    g.clamp_(-clipValue, clipValue);
                }
            }
        }
    }
}
