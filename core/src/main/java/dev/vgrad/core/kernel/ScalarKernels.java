package dev.vgrad.core.kernel;

/**
 * Portable float32 kernels: plain loops, no Vector API. The reference for {@link SimdKernels} and the
 * fallback when the incubator module is absent.
 */
public class ScalarKernels implements Kernels {
    /** Internal: users get an instance from {@link KernelProvider#scalar()}; {@code SimdKernels} extends this. */
    ScalarKernels() {
    }

    @Override
    public void binary(BinaryOp op, float[] a, int aOff, int aStride, float[] b, int bOff, int bStride,
                       float[] out, int outOff, int n) {
        // one specialised loop per op: no per-element dispatch
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) { out[outOff + i] = a[aOff + i * aStride] + b[bOff + i * bStride]; } }
            case SUB -> { for (int i = 0; i < n; i++) { out[outOff + i] = a[aOff + i * aStride] - b[bOff + i * bStride]; } }
            case MUL -> { for (int i = 0; i < n; i++) { out[outOff + i] = a[aOff + i * aStride] * b[bOff + i * bStride]; } }
            case DIV -> { for (int i = 0; i < n; i++) { out[outOff + i] = a[aOff + i * aStride] / b[bOff + i * bStride]; } }
            case POW -> {
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = (float) Math.pow(a[aOff + i * aStride], b[bOff + i * bStride]);
                }
            }
            case MAX -> {
                for (int i = 0; i < n; i++) {
                    float x = a[aOff + i * aStride];
                    float y = b[bOff + i * bStride];
                    out[outOff + i] = (x != x || y != y) ? Float.NaN : Math.max(x, y);
                }
            }
            case MIN -> {
                for (int i = 0; i < n; i++) {
                    float x = a[aOff + i * aStride];
                    float y = b[bOff + i * bStride];
                    out[outOff + i] = (x != x || y != y) ? Float.NaN : Math.min(x, y);
                }
            }
            case GT -> { for (int i = 0; i < n; i++) { out[outOff + i] = a[aOff + i * aStride] > b[bOff + i * bStride] ? 1f : 0f; } }
            case GE -> { for (int i = 0; i < n; i++) { out[outOff + i] = a[aOff + i * aStride] >= b[bOff + i * bStride] ? 1f : 0f; } }
            case LT -> { for (int i = 0; i < n; i++) { out[outOff + i] = a[aOff + i * aStride] < b[bOff + i * bStride] ? 1f : 0f; } }
            case LE -> { for (int i = 0; i < n; i++) { out[outOff + i] = a[aOff + i * aStride] <= b[bOff + i * bStride] ? 1f : 0f; } }
            case EQ -> { for (int i = 0; i < n; i++) { out[outOff + i] = a[aOff + i * aStride] == b[bOff + i * bStride] ? 1f : 0f; } }
            case NE -> { for (int i = 0; i < n; i++) { out[outOff + i] = a[aOff + i * aStride] != b[bOff + i * bStride] ? 1f : 0f; } }
        }
    }

    @Override
    public void unary(UnaryOp op, float[] x, int xOff, float[] out, int outOff, int n, float alpha) {
        // one specialised loop per kind, chosen once per call (no per-element virtual call); each computes exactly
        // UnaryOp.apply(float)
        switch (op.forwardLoop()) {
            case NEG -> { for (int i = 0; i < n; i++) { out[outOff + i] = -x[xOff + i]; } }
            case ABS -> { for (int i = 0; i < n; i++) { out[outOff + i] = Math.abs(x[xOff + i]); } }
            case SQRT -> { for (int i = 0; i < n; i++) { out[outOff + i] = (float) Math.sqrt(x[xOff + i]); } }
            case EXP -> { for (int i = 0; i < n; i++) { out[outOff + i] = (float) Math.exp(x[xOff + i]); } }
            case LOG -> { for (int i = 0; i < n; i++) { out[outOff + i] = (float) Math.log(x[xOff + i]); } }
            case TANH -> { for (int i = 0; i < n; i++) { out[outOff + i] = (float) Math.tanh(x[xOff + i]); } }
            case RELU -> {
                for (int i = 0; i < n; i++) {
                    float v = x[xOff + i];
                    out[outOff + i] = v > 0 ? v : (v != v ? v : 0f);
                }
            }
            case LEAKY_RELU -> {
                for (int i = 0; i < n; i++) {
                    float v = x[xOff + i];
                    out[outOff + i] = v > 0 ? v : alpha * v;
                }
            }
            case RECIPROCAL -> { for (int i = 0; i < n; i++) { out[outOff + i] = 1f / x[xOff + i]; } }
            case SIGMOID -> { for (int i = 0; i < n; i++) { out[outOff + i] = (float) UnaryOp.sigmoid(x[xOff + i]); } }
            case POW_SCALAR -> {
                if (alpha == 2f) {
                    for (int i = 0; i < n; i++) {
                        float v = x[xOff + i];
                        out[outOff + i] = (float) ((double) v * v);
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        out[outOff + i] = (float) Math.pow(x[xOff + i], alpha);
                    }
                }
            }
            case GELU, PER_ELEMENT -> {
                // GELU, SILU, SOFTPLUS: the per-element cost (erf/exp) dwarfs the dispatch
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = op.apply(x[xOff + i], alpha);
                }
            }
        }
    }

    @Override
    public void unaryBackward(UnaryOp op, float[] x, int xOff, float[] y, int yOff, float[] g, int gOff,
                              float[] out, int outOff, int n, float alpha) {
        // each loop is UnaryOp.grad(float) inlined: float arithmetic in the order the SIMD kernels use, so both
        // paths agree bit for bit
        switch (op.backwardLoop()) {
            case PASS_WHERE_POSITIVE -> {
                for (int i = 0; i < n; i++) { out[outOff + i] = x[xOff + i] <= 0 ? 0f : g[gOff + i]; }
            }
            case G_TIMES_Y -> { for (int i = 0; i < n; i++) { out[outOff + i] = g[gOff + i] * y[yOff + i]; } }
            case ONE_MINUS_Y_SQUARED -> {
                for (int i = 0; i < n; i++) {
                    float v = y[yOff + i];
                    out[outOff + i] = g[gOff + i] * (-(v * v) + 1f);
                }
            }
            case Y_ONE_MINUS_Y -> {
                for (int i = 0; i < n; i++) {
                    float v = y[yOff + i];
                    out[outOff + i] = g[gOff + i] * (v * (-v + 1f));
                }
            }
            case NEG -> { for (int i = 0; i < n; i++) { out[outOff + i] = -g[gOff + i]; } }
            case SLOPE_WHERE_NOT_POSITIVE -> {
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = x[xOff + i] > 0 ? g[gOff + i] : g[gOff + i] * alpha;
                }
            }
            case GELU, PER_ELEMENT -> {
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = op.grad(x[xOff + i], y[yOff + i], g[gOff + i], alpha);
                }
            }
        }
    }

    @Override
    public void clamp(float[] x, int xOff, float[] out, int outOff, int n, float lo, float hi) {
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            out[outOff + i] = v != v ? v : Math.min(Math.max(v, lo), hi);
        }
    }

    @Override
    public void affine(float[] x, int xOff, float[] out, int outOff, int n, float a, float b) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = a * x[xOff + i] + b;
        }
    }

    @Override
    public float sum(float[] x, int off, int n) {
        if (n < SUM_LANES) {
            // the lane partials would all be zero: same result as the blocked order, without the buffer
            float s = 0f;
            for (int i = 0; i < n; i++) {
                s += x[off + i];
            }
            return s;
        }
        float[] acc = new float[SUM_LANES];
        int i = 0;
        for (; i + SUM_LANES <= n; i += SUM_LANES) {
            for (int j = 0; j < SUM_LANES; j++) {
                acc[j] += x[off + i + j];
            }
        }
        float s = combine(acc);
        for (; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    @Override
    public float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        if (n < SUM_LANES) {
            float s = 0f;
            for (int i = 0; i < n; i++) {
                s = Math.fma(x[xOff + i], y[yOff + i], s);
            }
            return s;
        }
        float[] acc = new float[SUM_LANES];
        int i = 0;
        for (; i + SUM_LANES <= n; i += SUM_LANES) {
            for (int j = 0; j < SUM_LANES; j++) {
                acc[j] = Math.fma(x[xOff + i + j], y[yOff + i + j], acc[j]);
            }
        }
        float s = combine(acc);
        for (; i < n; i++) {
            s = Math.fma(x[xOff + i], y[yOff + i], s);
        }
        return s;
    }

    @Override
    public float centeredDot(float[] x, int xOff, float xMu, float[] y, int yOff, float yMu, int n) {
        if (n < SUM_LANES) {
            float s = 0f;
            for (int i = 0; i < n; i++) {
                s = Math.fma(x[xOff + i] - xMu, y[yOff + i] - yMu, s);
            }
            return s;
        }
        float[] acc = new float[SUM_LANES];
        int i = 0;
        for (; i + SUM_LANES <= n; i += SUM_LANES) {
            for (int j = 0; j < SUM_LANES; j++) {
                acc[j] = Math.fma(x[xOff + i + j] - xMu, y[yOff + i + j] - yMu, acc[j]);
            }
        }
        float s = combine(acc);
        for (; i < n; i++) {
            s = Math.fma(x[xOff + i] - xMu, y[yOff + i] - yMu, s);
        }
        return s;
    }

    @Override
    public void sumAndCenteredDot(float[] g, int gOff, float[] x, int xOff, float mu, int n, float[] out) {
        out[0] = sum(g, gOff, n);
        out[1] = centeredDot(g, gOff, 0f, x, xOff, mu, n);
    }

    @Override
    public void batchNormGrad(float[] g, int gOff, float[] x, int xOff, float[] out, int outOff, int n,
                              float mu, float k, float gMean, float s) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = (g[gOff + i] - (x[xOff + i] - mu) * k - gMean) * s;
        }
    }

    /** Pairwise tree over the lane partials: the order shared with the SIMD implementation. */
    static float combine(float[] acc) {
        for (int width = SUM_LANES / 2; width >= 1; width /= 2) {
            for (int j = 0; j < width; j++) {
                acc[j] += acc[j + width];
            }
        }
        return acc[0];
    }

    @Override
    public float max(float[] x, int off, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float v = x[off + i];
            if (v != v) {
                return v;
            }
            m = Math.max(m, v);
        }
        return m;
    }

    @Override
    public float min(float[] x, int off, int n) {
        float m = Float.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float v = x[off + i];
            if (v != v) {
                return v;
            }
            m = Math.min(m, v);
        }
        return m;
    }

    @Override
    public void softmaxRows(float[] x, int xOff, float[] out, int outOff, int rows, int cols, boolean log) {
        for (int r = 0; r < rows; r++) {
            int xo = xOff + r * cols;
            int oo = outOff + r * cols;
            float m = max(x, xo, cols);
            if (m == Float.NEGATIVE_INFINITY) {
                // every entry is -inf: PyTorch returns NaN (0/0), log_softmax NaN as well
                for (int j = 0; j < cols; j++) {
                    out[oo + j] = Float.NaN;
                }
                continue;
            }
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += Math.exp((double) x[xo + j] - m);
            }
            if (log) {
                double lse = Math.log(s);
                for (int j = 0; j < cols; j++) {
                    out[oo + j] = (float) ((double) x[xo + j] - m - lse);
                }
            } else {
                double inv = 1.0 / s;
                for (int j = 0; j < cols; j++) {
                    out[oo + j] = (float) (Math.exp((double) x[xo + j] - m) * inv);
                }
            }
        }
    }

    @Override
    public void softmaxBackwardRows(float[] y, int yOff, float[] g, int gOff, float[] out, int outOff,
                                    int rows, int cols, boolean log) {
        for (int r = 0; r < rows; r++) {
            int yo = yOff + r * cols;
            int go = gOff + r * cols;
            int oo = outOff + r * cols;
            double s = 0;
            if (log) {
                for (int j = 0; j < cols; j++) {
                    s += g[go + j];
                }
                for (int j = 0; j < cols; j++) {
                    out[oo + j] = (float) (g[go + j] - Math.exp(y[yo + j]) * s);
                }
            } else {
                for (int j = 0; j < cols; j++) {
                    s += (double) g[go + j] * y[yo + j];
                }
                for (int j = 0; j < cols; j++) {
                    out[oo + j] = (float) (y[yo + j] * (g[go + j] - s));
                }
            }
        }
    }

    @Override
    public void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = Math.fma(a, x[xOff + i], y[yOff + i]);
        }
    }
}
