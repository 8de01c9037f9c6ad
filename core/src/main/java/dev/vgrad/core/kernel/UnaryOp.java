package dev.vgrad.core.kernel;

/**
 * Elementwise unary functions with their derivatives, in scalar form for float and double.
 *
 * <p>{@link #apply(double, double)} computes y = f(x); {@link #grad(double, double, double, double)} computes
 * g·f'(x), given both the input and the output so each rule can use whichever is cheaper and more accurate.
 * {@code alpha} is the op's scalar parameter (the slope of LeakyReLU, the exponent of POW_SCALAR); clamp takes two
 * bounds and is not one of these ops.
 */
public enum UnaryOp {
    NEG {
        double f(double x, double a) { return -x; }
        double df(double x, double y, double a) { return -1; }
    },
    EXP {
        double f(double x, double a) { return Math.exp(x); }
        double df(double x, double y, double a) { return y; }
    },
    /** Natural logarithm; log(0) = -inf, log(x&lt;0) = NaN as in PyTorch. */
    LOG {
        double f(double x, double a) { return Math.log(x); }
        double df(double x, double y, double a) { return 1 / x; }
    },
    SQRT {
        double f(double x, double a) { return Math.sqrt(x); }
        double df(double x, double y, double a) { return 0.5 / y; }
    },
    /** |x|; the derivative at 0 is 0 (PyTorch uses sign(x)). */
    ABS {
        double f(double x, double a) { return Math.abs(x); }
        double df(double x, double y, double a) { return Math.signum(x); }
    },
    TANH {
        double f(double x, double a) { return Math.tanh(x); }
        double df(double x, double y, double a) { return 1 - y * y; }
    },
    /** σ(x) = 1/(1+e^-x), evaluated without overflow for large |x|. */
    SIGMOID {
        double f(double x, double a) { return sigmoid(x); }
        double df(double x, double y, double a) { return y * (1 - y); }
    },
    /** max(x, 0); the derivative at 0 is 0 as in PyTorch; NaN propagates. */
    RELU {
        double f(double x, double a) { return x > 0 ? x : (x != x ? x : 0); }
        /** PyTorch's threshold_backward: the gradient passes unless x ≤ 0, so it passes at NaN. */
        double df(double x, double y, double a) { return x <= 0 ? 0 : 1; }
    },
    /** x for x > 0, alpha·x otherwise. */
    LEAKY_RELU {
        double f(double x, double a) { return x > 0 ? x : a * x; }
        double df(double x, double y, double a) { return x > 0 ? 1 : a; }
    },
    /** Exact GELU: x·Φ(x) = x/2·(1 + erf(x/√2)). */
    GELU {
        double f(double x, double a) { return 0.5 * x * (1 + Erf.erf(x * 0.7071067811865476)); }
        double df(double x, double y, double a) {
            double cdf = 0.5 * (1 + Erf.erf(x * 0.7071067811865476));
            double pdf = Math.exp(-0.5 * x * x) * 0.3989422804014327;
            return cdf + x * pdf;
        }
    },
    /** GELU, tanh approximation: x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    GELU_TANH {
        double f(double x, double a) {
            return 0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
        }
        double df(double x, double y, double a) {
            double inner = 0.7978845608028654 * (x + 0.044715 * x * x * x);
            double t = Math.tanh(inner);
            double dInner = 0.7978845608028654 * (1 + 3 * 0.044715 * x * x);
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dInner;
        }
    },
    /** log(1 + e^x) without a threshold, evaluated stably as max(x,0) + log1p(e^-|x|). */
    SOFTPLUS_FULL {
        double f(double x, double a) { return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))); }
        double df(double x, double y, double a) { return sigmoid(x); }
    },
    /** SiLU (swish): x·σ(x). */
    SILU {
        double f(double x, double a) { return x * sigmoid(x); }
        double df(double x, double y, double a) {
            double s = sigmoid(x);
            return s * (1 + x * (1 - s));
        }
    },
    /** softplus with beta=1, threshold=20 (PyTorch defaults): log(1+e^x), or x when x > 20. */
    SOFTPLUS {
        double f(double x, double a) { return x > 20 ? x : Math.log1p(Math.exp(x)); }
        double df(double x, double y, double a) { return x > 20 ? 1 : sigmoid(x); }
    },
    /** x^alpha for a scalar exponent; derivative alpha·x^(alpha-1) (0 where alpha == 0). */
    POW_SCALAR {
        double f(double x, double a) { return a == 2 ? x * x : Math.pow(x, a); }
        double df(double x, double y, double a) { return a == 0 ? 0 : (a == 2 ? 2 * x : a * Math.pow(x, a - 1)); }
    },
    /** 1/x. */
    RECIPROCAL {
        double f(double x, double a) { return 1 / x; }
        double df(double x, double y, double a) { return -y * y; }
    };

    /** σ(x) without overflow for large |x|. */
    static double sigmoid(double x) {
        if (x >= 0) {
            return 1 / (1 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1 + e);
    }

    /** y = f(x) in double precision. */
    abstract double f(double x, double alpha);

    /** f'(x) given x and y = f(x). */
    abstract double df(double x, double y, double alpha);

    /** Scalar forward in double. */
    public double apply(double x, double alpha) {
        return f(x, alpha);
    }

    /** Scalar forward in float (evaluated in double, rounded once). */
    public float apply(float x, float alpha) {
        return (float) f(x, alpha);
    }

    /** g · f'(x) in double. */
    public double grad(double x, double y, double g, double alpha) {
        return g * df(x, y, alpha);
    }

    /** g · f'(x) in float. */
    public float grad(float x, float y, float g, float alpha) {
        return (float) (g * df(x, y, alpha));
    }
}
