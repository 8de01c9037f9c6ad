package dev.vgrad.core.kernel;

/**
 * Elementwise unary functions: the one definition of each op (issue 16, "one place per op").
 *
 * <p>Every constant states, in its constructor and body, everything the framework needs about it, so that a new
 * constant that leaves one out does not compile:
 * <ul>
 *   <li>{@link #f} y = f(x) and {@link #df} f'(x), in double: the reference both kernels and the float64 path use;</li>
 *   <li>{@link #torchName()}: the name of PyTorch 1.13's backward node ({@code grad_fn.name()});</li>
 *   <li>{@link #reads()}: what the derivative reads, hence what the autograd node saves (docs/SEMANTICS.md §5.7);</li>
 *   <li>{@link #forwardLoop()} and {@link #backwardLoop()}: which specialised float32 loop computes it. Both
 *       {@link ScalarKernels} and {@code SimdKernels} dispatch on these once per chunk with exhaustive switches
 *       (no {@code default}), so a new loop kind cannot be forgotten by either.</li>
 * </ul>
 *
 * <p>{@code alpha} is the op's scalar parameter (the slope of LeakyReLU, the exponent of POW_SCALAR); clamp takes two
 * bounds and is not one of these ops. The float32 results are defined element by element by {@link #apply(float,
 * float)} and {@link #grad(float, float, float, float)}; both kernel implementations return exactly these, except
 * the SIMD forward of the loops whose {@link Forward#withinUlps} is true.
 */
public enum UnaryOp {
    /** -x; its node saves nothing, like PyTorch's. */
    NEG("NegBackward0", Reads.NOTHING, Forward.NEG, Backward.NEG) {
        double f(double x, double a) { return -x; }
        double df(double x, double y, double a) { return -1; }
    },
    /** e^x; the node saves the output (the derivative is y itself). */
    EXP("ExpBackward0", Reads.OUTPUT, Forward.EXP, Backward.G_TIMES_Y) {
        double f(double x, double a) { return Math.exp(x); }
        double df(double x, double y, double a) { return y; }
    },
    /** Natural logarithm; log(0) = -inf, log(x&lt;0) = NaN as in PyTorch. */
    LOG("LogBackward0", Reads.INPUT, Forward.LOG, Backward.PER_ELEMENT) {
        double f(double x, double a) { return Math.log(x); }
        double df(double x, double y, double a) { return 1 / x; }
    },
    /** √x; sqrt(x &lt; 0) = NaN; derivative 1/(2y) from the saved output. */
    SQRT("SqrtBackward0", Reads.OUTPUT, Forward.SQRT, Backward.PER_ELEMENT) {
        double f(double x, double a) { return Math.sqrt(x); }
        double df(double x, double y, double a) { return 0.5 / y; }
    },
    /** |x|; the derivative at 0 is 0 (PyTorch uses sign(x)). */
    ABS("AbsBackward0", Reads.INPUT, Forward.ABS, Backward.PER_ELEMENT) {
        double f(double x, double a) { return Math.abs(x); }
        double df(double x, double y, double a) { return Math.signum(x); }
    },
    /** tanh x; derivative 1 − y² from the saved output. */
    TANH("TanhBackward0", Reads.OUTPUT, Forward.TANH, Backward.ONE_MINUS_Y_SQUARED) {
        double f(double x, double a) { return Math.tanh(x); }
        double df(double x, double y, double a) { return 1 - y * y; }
    },
    /** σ(x) = 1/(1+e^-x), evaluated without overflow for large |x|. */
    SIGMOID("SigmoidBackward0", Reads.OUTPUT, Forward.SIGMOID, Backward.Y_ONE_MINUS_Y) {
        double f(double x, double a) { return sigmoid(x); }
        double df(double x, double y, double a) { return y * (1 - y); }
    },
    /** max(x, 0); the derivative at 0 is 0 as in PyTorch; NaN propagates. */
    RELU("ReluBackward0", Reads.OUTPUT_AS_INPUT, Forward.RELU, Backward.PASS_WHERE_POSITIVE) {
        double f(double x, double a) { return x > 0 ? x : (x != x ? x : 0); }
        /** PyTorch's threshold_backward: the gradient passes unless x ≤ 0, so it passes at NaN. */
        double df(double x, double y, double a) { return x <= 0 ? 0 : 1; }
    },
    /** x for x > 0, alpha·x otherwise. */
    LEAKY_RELU("LeakyReluBackward0", Reads.INPUT, Forward.LEAKY_RELU, Backward.SLOPE_WHERE_NOT_POSITIVE) {
        double f(double x, double a) { return x > 0 ? x : a * x; }
        double df(double x, double y, double a) { return x > 0 ? 1 : a; }
    },
    /**
     * Exact GELU: x·Φ(x) = x/2·(1 + erf(x/√2)); derivative Φ(x) + x·φ(x). Φ of negative x is taken as
     * erfc(−x/√2)/2, which keeps its relative accuracy where 1 + erf cancels.
     */
    GELU("GeluBackward0", Reads.INPUT, Forward.GELU, Backward.GELU) {
        double f(double x, double a) { return x * normalCdf(x); }
        double df(double x, double y, double a) {
            return normalCdf(x) + x * (Math.exp(-0.5 * x * x) * 0.3989422804014327);
        }
    },
    /** GELU, tanh approximation: x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    GELU_TANH("GeluBackward0", Reads.INPUT, Forward.PER_ELEMENT, Backward.PER_ELEMENT) {
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
    SOFTPLUS_FULL("SoftplusBackward0", Reads.INPUT, Forward.PER_ELEMENT, Backward.PER_ELEMENT) {
        double f(double x, double a) { return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))); }
        double df(double x, double y, double a) { return sigmoid(x); }
    },
    /** SiLU (swish): x·σ(x). */
    SILU("SiluBackward0", Reads.INPUT, Forward.PER_ELEMENT, Backward.PER_ELEMENT) {
        double f(double x, double a) { return x * sigmoid(x); }
        double df(double x, double y, double a) {
            double s = sigmoid(x);
            return s * (1 + x * (1 - s));
        }
    },
    /** softplus with beta=1, threshold=20 (PyTorch defaults): log(1+e^x), or x when x > 20. */
    SOFTPLUS("SoftplusBackward0", Reads.INPUT, Forward.PER_ELEMENT, Backward.PER_ELEMENT) {
        double f(double x, double a) { return x > 20 ? x : Math.log1p(Math.exp(x)); }
        double df(double x, double y, double a) { return x > 20 ? 1 : sigmoid(x); }
    },
    /** x^alpha for a scalar exponent; derivative alpha·x^(alpha-1) (0 where alpha == 0). */
    POW_SCALAR("PowBackward0", Reads.INPUT, Forward.POW_SCALAR, Backward.PER_ELEMENT) {
        double f(double x, double a) { return a == 2 ? x * x : Math.pow(x, a); }
        double df(double x, double y, double a) { return a == 0 ? 0 : (a == 2 ? 2 * x : a * Math.pow(x, a - 1)); }
    },
    /** 1/x. */
    RECIPROCAL("ReciprocalBackward0", Reads.OUTPUT, Forward.RECIPROCAL, Backward.PER_ELEMENT) {
        double f(double x, double a) { return 1 / x; }
        double df(double x, double y, double a) { return -y * y; }
    },
    /** sin x; derivative cos x. */
    SIN("SinBackward0", Reads.INPUT, Forward.PER_ELEMENT, Backward.PER_ELEMENT) {
        double f(double x, double a) { return Math.sin(x); }
        double df(double x, double y, double a) { return Math.cos(x); }
    },
    /** cos x; derivative −sin x. */
    COS("CosBackward0", Reads.INPUT, Forward.PER_ELEMENT, Backward.PER_ELEMENT) {
        double f(double x, double a) { return Math.cos(x); }
        double df(double x, double y, double a) { return -Math.sin(x); }
    },
    /** The error function erf x = 2/√π ∫₀ˣ e^(−t²) dt; derivative 2/√π · e^(−x²). */
    ERF("ErfBackward0", Reads.INPUT, Forward.PER_ELEMENT, Backward.PER_ELEMENT) {
        double f(double x, double a) { return Erf.erf(x); }
        double df(double x, double y, double a) { return 1.1283791670955126 * Math.exp(-x * x); }
    },
    /** log(1 + x), accurate for small |x|; derivative 1/(1 + x). */
    LOG1P("Log1PBackward0", Reads.INPUT, Forward.PER_ELEMENT, Backward.PER_ELEMENT) {
        double f(double x, double a) { return Math.log1p(x); }
        double df(double x, double y, double a) { return 1 / (1 + x); }
    },
    /** e^x − 1, accurate for small |x|; derivative y + 1, so the node saves the output as PyTorch's does. */
    EXPM1("Expm1Backward0", Reads.OUTPUT, Forward.PER_ELEMENT, Backward.PER_ELEMENT) {
        double f(double x, double a) { return Math.expm1(x); }
        double df(double x, double y, double a) { return y + 1; }
    },
    /** 1/√x; derivative −y³/2, from the saved output as in PyTorch. */
    RSQRT("RsqrtBackward0", Reads.OUTPUT, Forward.PER_ELEMENT, Backward.PER_ELEMENT) {
        double f(double x, double a) { return 1 / Math.sqrt(x); }
        double df(double x, double y, double a) { return -0.5 * y * y * y; }
    };

    /**
     * What {@link #df} reads, and so what the autograd node saves. A rule given the wrong kind would read a
     * stand-in instead of the real value (the kernels pass the saved array as both x and y).
     */
    public enum Reads {
        /** Neither: the derivative is a constant. */
        NOTHING,
        /** x only; the node saves the input itself, so an in-place change to it fails backward. */
        INPUT,
        /** y = f(x) only; the node saves the output. */
        OUTPUT,
        /**
         * The output, read in place of x: df(y) = df(x) for every x (relu: y &gt; 0 exactly where x &gt; 0, NaN
         * included), so PyTorch saves the output and modifying relu's input in place is allowed.
         */
        OUTPUT_AS_INPUT
    }

    /**
     * The float32 forward loop. Each computes exactly {@link #apply(float, float)}; the scalar kernels specialise
     * every kind but {@link #PER_ELEMENT} (a virtual call per element, negligible next to erf/exp).
     */
    public enum Forward {
        /** −x. */
        NEG(false),
        /** |x|. */
        ABS(false),
        /** √x, correctly rounded in both kernels. */
        SQRT(false),
        /** max(x, 0), NaN kept. */
        RELU(false),
        /** x &gt; 0 ? x : alpha·x. */
        LEAKY_RELU(false),
        /** 1/x, an exact IEEE division. */
        RECIPROCAL(false),
        /** x^alpha by {@code Math.pow} (x·x for alpha = 2). */
        POW_SCALAR(false),
        /** e^x; SIMD by VectorMath. */
        EXP(true),
        /** ln x; SIMD by VectorMath. */
        LOG(true),
        /** tanh x; SIMD by VectorMath. */
        TANH(true),
        /** 1/(1 + e^−x); SIMD by VectorMath. */
        SIGMOID(true),
        /** x·Φ(x); SIMD by VectorMath (normal CDF from fitted polynomials). */
        GELU(true),
        /** Any other op: {@link UnaryOp#apply(float, float)} element by element, in both kernels. */
        PER_ELEMENT(false);

        /**
         * True when the SIMD loop evaluates a transcendental in float (VectorMath), which agrees with the scalar
         * loop within a few ulps only; every other loop is bit-identical in both kernels.
         */
        public final boolean withinUlps;

        Forward(boolean withinUlps) {
            this.withinUlps = withinUlps;
        }
    }

    /**
     * The float32 backward loop; its arithmetic, in float and in this order, defines {@link #grad(float, float,
     * float, float)}, and both kernels follow it bit for bit.
     */
    public enum Backward {
        /** −g. */
        NEG,
        /** g·y. */
        G_TIMES_Y,
        /** g·(1 − y·y). */
        ONE_MINUS_Y_SQUARED,
        /** g·(y·(1 − y)). */
        Y_ONE_MINUS_Y,
        /** x ≤ 0 ? 0 : g. */
        PASS_WHERE_POSITIVE,
        /** x &gt; 0 ? g : g·alpha. */
        SLOPE_WHERE_NOT_POSITIVE,
        /**
         * g·(Φ(x) + x·φ(x)): the scalar loop as {@link #PER_ELEMENT}; the SIMD loop evaluates it in float and
         * agrees within a few ulps of g·|Φ(x)| + g·|x·φ(x)| (the two terms cancel near x ≈ −0.75).
         */
        GELU(true),
        /** g·df(x, y) in double, rounded once. */
        PER_ELEMENT;

        /** True when the SIMD loop agrees with the scalar one within a few ulps only, not bit for bit. */
        public final boolean withinUlps;

        Backward() {
            this(false);
        }

        Backward(boolean withinUlps) {
            this.withinUlps = withinUlps;
        }
    }

    private final String torchName;
    private final Reads reads;
    private final Forward forwardLoop;
    private final Backward backwardLoop;

    UnaryOp(String torchName, Reads reads, Forward forwardLoop, Backward backwardLoop) {
        this.torchName = torchName;
        this.reads = reads;
        this.forwardLoop = forwardLoop;
        this.backwardLoop = backwardLoop;
    }

    /**
     * PyTorch 1.13's name for this op's backward node.
     *
     * @return the node name, e.g. {@code ExpBackward0}
     */
    public String torchName() {
        return torchName;
    }

    /**
     * What the derivative reads.
     *
     * @return the input, the output, both or nothing: what the autograd node saves
     */
    public Reads reads() {
        return reads;
    }

    /**
     * The float32 forward loop the kernels run.
     *
     * @return the loop kind both kernels dispatch on
     */
    public Forward forwardLoop() {
        return forwardLoop;
    }

    /**
     * The float32 backward loop the kernels run.
     *
     * @return the loop kind both kernels dispatch on
     */
    public Backward backwardLoop() {
        return backwardLoop;
    }

    /** Φ(x), the standard normal CDF, to about 1e-15 relative for every x. */
    static double normalCdf(double x) {
        double z = x * 0.7071067811865476;
        return x < 0 ? 0.5 * Erf.erfc(-z) : 0.5 * (1 + Erf.erf(z));
    }

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

    /** f'(x) given x and y = f(x); reads only what {@link #reads()} says. */
    abstract double df(double x, double y, double alpha);

    /**
     * Scalar forward in double.
     *
     * @param x the input
     * @param alpha the op's parameter (leaky relu's slope, pow's exponent; ignored by the others)
     * @return f(x)
     */
    public double apply(double x, double alpha) {
        return f(x, alpha);
    }

    /**
     * Scalar forward in float (evaluated in double, rounded once): what the scalar kernel computes, and the SIMD
     * kernel too, bit for bit or within a few ulps ({@link Forward#withinUlps}).
     *
     * @param x the input
     * @param alpha the op's parameter (leaky relu's slope, pow's exponent; ignored by the others)
     * @return f(x) rounded to float
     */
    public float apply(float x, float alpha) {
        return (float) f(x, alpha);
    }

    /**
     * g · f'(x) in double.
     *
     * @param x the input
     * @param y the output f(x) (read by the ops whose {@link #reads()} is an output kind)
     * @param g the incoming gradient
     * @param alpha the op's parameter
     * @return the gradient with respect to x
     */
    public double grad(double x, double y, double g, double alpha) {
        return g * df(x, y, alpha);
    }

    /**
     * g · f'(x) in float, with the arithmetic of {@link #backwardLoop()}: what the scalar kernel computes, and the
     * SIMD kernel too, bit for bit or within a few ulps ({@link Backward#withinUlps}).
     *
     * @param x the input
     * @param y the output f(x)
     * @param g the incoming gradient
     * @param alpha the op's parameter
     * @return the gradient with respect to x, rounded to float
     */
    public float grad(float x, float y, float g, float alpha) {
        return switch (backwardLoop) {
            case NEG -> -g;
            case G_TIMES_Y -> g * y;
            case ONE_MINUS_Y_SQUARED -> g * (-(y * y) + 1f);
            case Y_ONE_MINUS_Y -> g * (y * (-y + 1f));
            case PASS_WHERE_POSITIVE -> x <= 0 ? 0f : g;
            case SLOPE_WHERE_NOT_POSITIVE -> x > 0 ? g : g * alpha;
            case GELU, PER_ELEMENT -> (float) (g * df(x, y, alpha));
        };
    }
}
