package dev.vgrad.core.kernel;

/**
 * Portable float32 kernels: plain loops, no Vector API. The reference for {@link SimdKernels} and the
 * fallback when the incubator module is absent.
 */
public class ScalarKernels implements Kernels {

    @Override
    public void binary(BinaryOp op, float[] a, int aOff, int aStride, float[] b, int bOff, int bStride,
                       float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = op.apply(a[aOff + i * aStride], b[bOff + i * bStride]);
        }
    }

    @Override
    public void unary(UnaryOp op, float[] x, int xOff, float[] out, int outOff, int n, float alpha) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = op.apply(x[xOff + i], alpha);
        }
    }

    @Override
    public void unaryBackward(UnaryOp op, float[] x, int xOff, float[] y, int yOff, float[] g, int gOff,
                              float[] out, int outOff, int n, float alpha) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = op.grad(x[xOff + i], y[yOff + i], g[gOff + i], alpha);
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
