package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;

/**
 * Weight initialisation ({@code torch.nn.init}, docs/SEMANTICS.md §7). Every function fills its tensor in place under
 * no-grad (so parameters stay leaves), draws from the given {@link Generator} and returns the tensor.
 */
public final class Init {
    private Init() {}

    // ------------------------------------------------------------------ fans and gains

    /**
     * {@code fan_in = size(1)·∏size(2:)}; fails for tensors with fewer than 2 dims.
     *
     * @param t a weight with at least 2 dims, e.g. Linear's (out, in) or Conv2d's (C_out, C_in/groups, kH, kW)
     * @return the number of inputs feeding each output unit
     * @throws IllegalArgumentException for fewer than 2 dims
     */
    public static int fanIn(Tensor t) {
        return fans(t)[0];
    }

    /**
     * {@code fan_out = size(0)·∏size(2:)}.
     *
     * @param t a weight with at least 2 dims
     * @return the number of outputs each input unit feeds
     * @throws IllegalArgumentException for fewer than 2 dims
     */
    public static int fanOut(Tensor t) {
        return fans(t)[1];
    }

    /**
     * {@code {fan_in, fan_out}} ({@code _calculate_fan_in_and_fan_out}).
     *
     * @param t a weight with at least 2 dims
     * @return a new two-element array {@code {fan_in, fan_out}}
     * @throws IllegalArgumentException for fewer than 2 dims
     */
    public static int[] fans(Tensor t) {
        Check.nonNull("init", "tensor", t);
        if (t.dim() < 2) {
            throw new IllegalArgumentException(
                    "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
        }
        int receptive = 1;
        for (int d = 2; d < t.dim(); d++) {
            receptive *= t.size(d);
        }
        return new int[] {t.size(1) * receptive, t.size(0) * receptive};
    }

    /**
     * {@code calculate_gain(nonlinearity)} with the default parameter (leaky_relu slope 0.01).
     *
     * @param nonlinearity PyTorch's name: "linear", "conv2d", …, "sigmoid", "tanh", "relu", "leaky_relu", "selu"
     * @return the recommended gain
     * @throws IllegalArgumentException for an unknown name
     */
    public static double calculateGain(String nonlinearity) {
        return calculateGain(nonlinearity, null);
    }

    /**
     * PyTorch's recommended gains: 1 for linear/conv/sigmoid, 5/3 for tanh, √2 for relu,
     * √(2/(1+slope²)) for leaky_relu, 3/4 for selu.
     *
     * @param nonlinearity PyTorch's name: "linear", "conv2d", …, "sigmoid", "tanh", "relu", "leaky_relu", "selu"
     * @param param leaky_relu's negative slope (null for 0.01); ignored by the other names
     * @return the recommended gain
     * @throws IllegalArgumentException for an unknown name or a non-finite slope
     */
    public static double calculateGain(String nonlinearity, Double param) {
        switch (nonlinearity) {
            case "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d", "sigmoid":
                return 1;
            case "tanh":
                return 5.0 / 3;
            case "relu":
                return Math.sqrt(2.0);
            case "leaky_relu": {
                double slope = param == null ? 0.01 : param;
                if (Double.isNaN(slope) || Double.isInfinite(slope)) {
                    throw new IllegalArgumentException("negative_slope " + Py.repr(slope) + " not a valid number");
                }
                return Math.sqrt(2.0 / (1 + slope * slope));
            }
            case "selu":
                return 3.0 / 4;
            default:
                throw new IllegalArgumentException("Unsupported nonlinearity " + nonlinearity);
        }
    }

    private static int fanForMode(Tensor t, String mode) {
        int[] f = fans(t);
        Check.nonNull("init", "mode", mode);
        switch (mode) {
            case "fan_in":
                return f[0];
            case "fan_out":
                return f[1];
            default:
                throw new IllegalArgumentException("Mode " + mode + " not supported, please use one of fan_in, fan_out");
        }
    }

    // ------------------------------------------------------------------ laws

    /**
     * U(low, high).
     *
     * @param t tensor to fill in place
     * @param low lower bound (inclusive)
     * @param high upper bound
     * @param gen source of the draws
     * @return {@code t}
     */
    public static Tensor uniform(Tensor t, double low, double high, Generator gen) {
        Check.nonNull("init", "tensor", t);
        try (Grad.Scope off = Grad.disabled()) {
            return t.uniform_(gen, low, high);
        }
    }

    /**
     * N(mean, std²).
     *
     * @param t tensor to fill in place
     * @param mean mean of the law
     * @param std standard deviation, at least 0
     * @param gen source of the draws
     * @return {@code t}
     */
    public static Tensor normal(Tensor t, double mean, double std, Generator gen) {
        Check.nonNull("init", "tensor", t);
        try (Grad.Scope off = Grad.disabled()) {
            return t.normal_(gen, mean, std);
        }
    }

    /**
     * N(mean, std²) truncated to [a, b] (exact, by rejection from the normal law, or from a uniform proposal when
     * the interval holds little mass).
     *
     * @param t tensor to fill in place
     * @param mean mean of the untruncated law
     * @param std standard deviation of the untruncated law, positive
     * @param a lower cut-off (absolute value, not in standard deviations, as in PyTorch)
     * @param b upper cut-off, greater than {@code a}
     * @param gen source of the draws
     * @return {@code t}
     * @throws IllegalArgumentException unless {@code a < b}
     */
    public static Tensor truncNormal(Tensor t, double mean, double std, double a, double b, Generator gen) {
        Check.nonNull("init", "tensor", t);
        if (!(a < b)) {
            throw new IllegalArgumentException("truncNormal: expected a < b, got a=" + a + ", b=" + b);
        }
        double lo = (a - mean) / std;
        double hi = (b - mean) / std;
        double mass = Phi(hi) - Phi(lo);
        int n = t.numel();
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            double z = Double.NaN;
            if (mass > 0.05) {
                do {
                    z = gen.nextGaussian();
                } while (z < lo || z > hi);
            } else {
                // uniform proposal over [lo, hi], accepted with probability pdf(z) / max pdf on the interval
                double peak = lo > 0 ? lo : hi < 0 ? hi : 0;
                for (int tries = 0; tries < 1_000_000; tries++) {
                    double u = lo + (hi - lo) * gen.nextDouble();
                    if (gen.nextDouble() <= Math.exp((peak * peak - u * u) / 2)) {
                        z = u;
                        break;
                    }
                }
                if (Double.isNaN(z)) {
                    z = peak;
                }
            }
            v[i] = Math.min(b, Math.max(a, mean + std * z));
        }
        try (Grad.Scope off = Grad.disabled()) {
            return t.copy_(Raw.tensor(v, t.dtype(), t.shape()));
        }
    }

    /**
     * {@code trunc_normal_} with PyTorch's defaults: mean 0, std 1, [−2, 2].
     *
     * @param t tensor to fill in place
     * @param gen source of the draws
     * @return {@code t}
     */
    public static Tensor truncNormal(Tensor t, Generator gen) {
        return truncNormal(t, 0, 1, -2, 2, gen);
    }

    /**
     * Fills with 0.
     *
     * @param t tensor to fill in place
     * @return {@code t}
     */
    public static Tensor zeros(Tensor t) {
        return constant(t, 0);
    }

    /**
     * Fills with 1.
     *
     * @param t tensor to fill in place
     * @return {@code t}
     */
    public static Tensor ones(Tensor t) {
        return constant(t, 1);
    }

    /**
     * Fills with {@code value}.
     *
     * @param t tensor to fill in place
     * @param value the fill value, rounded to t's dtype
     * @return {@code t}
     */
    public static Tensor constant(Tensor t, double value) {
        Check.nonNull("init", "tensor", t);
        try (Grad.Scope off = Grad.disabled()) {
            return t.fill_(value);
        }
    }

    /**
     * Xavier/Glorot uniform: U(−a, a), {@code a = gain·√(6/(fan_in+fan_out))}.
     *
     * @param t tensor with at least 2 dims to fill in place
     * @param gain scale factor, e.g. {@link #calculateGain(String)}
     * @param gen source of the draws
     * @return {@code t}
     * @throws IllegalArgumentException for fewer than 2 dims
     */
    public static Tensor xavierUniform(Tensor t, double gain, Generator gen) {
        Check.nonNull("init", "tensor", t);
        int[] f = fans(t);
        double std = gain * Math.sqrt(2.0 / (f[0] + f[1]));
        double a = Math.sqrt(3.0) * std;
        return uniform(t, -a, a, gen);
    }

    /**
     * Xavier/Glorot normal: N(0, std²), {@code std = gain·√(2/(fan_in+fan_out))}.
     *
     * @param t tensor with at least 2 dims to fill in place
     * @param gain scale factor, e.g. {@link #calculateGain(String)}
     * @param gen source of the draws
     * @return {@code t}
     * @throws IllegalArgumentException for fewer than 2 dims
     */
    public static Tensor xavierNormal(Tensor t, double gain, Generator gen) {
        Check.nonNull("init", "tensor", t);
        int[] f = fans(t);
        double std = gain * Math.sqrt(2.0 / (f[0] + f[1]));
        return normal(t, 0, std, gen);
    }

    /**
     * He/Kaiming uniform: U(−bound, bound), {@code bound = √3·gain/√fan} with {@code gain = calculateGain(
     * nonlinearity, a)}. Linear/Conv default init is {@code kaimingUniform(w, √5, "fan_in", "leaky_relu")}.
     *
     * @param t tensor with at least 2 dims to fill in place (left unchanged when empty)
     * @param a negative slope of the rectifier after this layer (leaky_relu only)
     * @param mode "fan_in" (preserve the forward variance) or "fan_out" (the backward one)
     * @param nonlinearity name passed to {@link #calculateGain(String, Double)}
     * @param gen source of the draws
     * @return {@code t}
     * @throws IllegalArgumentException for fewer than 2 dims or an unknown mode or nonlinearity
     */
    public static Tensor kaimingUniform(Tensor t, double a, String mode, String nonlinearity, Generator gen) {
        Check.nonNull("init", "tensor", t);
        if (t.numel() == 0) {
            return t;
        }
        int fan = fanForMode(t, mode);
        double gain = calculateGain(nonlinearity, a);
        double std = gain / Math.sqrt(fan);
        double bound = Math.sqrt(3.0) * std;
        return uniform(t, -bound, bound, gen);
    }

    /**
     * Kaiming uniform with PyTorch's defaults (a = 0, fan_in, leaky_relu).
     *
     * @param t tensor with at least 2 dims to fill in place
     * @param gen source of the draws
     * @return {@code t}
     */
    public static Tensor kaimingUniform(Tensor t, Generator gen) {
        return kaimingUniform(t, 0, "fan_in", "leaky_relu", gen);
    }

    /**
     * He/Kaiming normal: N(0, std²), {@code std = gain/√fan}.
     *
     * @param t tensor with at least 2 dims to fill in place (left unchanged when empty)
     * @param a negative slope of the rectifier after this layer (leaky_relu only)
     * @param mode "fan_in" (preserve the forward variance) or "fan_out" (the backward one)
     * @param nonlinearity name passed to {@link #calculateGain(String, Double)}
     * @param gen source of the draws
     * @return {@code t}
     * @throws IllegalArgumentException for fewer than 2 dims or an unknown mode or nonlinearity
     */
    public static Tensor kaimingNormal(Tensor t, double a, String mode, String nonlinearity, Generator gen) {
        Check.nonNull("init", "tensor", t);
        if (t.numel() == 0) {
            return t;
        }
        int fan = fanForMode(t, mode);
        double gain = calculateGain(nonlinearity, a);
        double std = gain / Math.sqrt(fan);
        return normal(t, 0, std, gen);
    }

    /**
     * Kaiming normal with PyTorch's defaults (a = 0, fan_in, leaky_relu).
     *
     * @param t tensor with at least 2 dims to fill in place
     * @param gen source of the draws
     * @return {@code t}
     */
    public static Tensor kaimingNormal(Tensor t, Generator gen) {
        return kaimingNormal(t, 0, "fan_in", "leaky_relu", gen);
    }

    // ------------------------------------------------------------------ normal CDF

    /**
     * PyTorch's default law for Linear and the convolutions ({@code reset_parameters}): weight from
     * {@code kaiming_uniform(a=sqrt(5))}, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias (if any) from the same
     * bound U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn in that order from {@code gen}.
     */
    static void defaultAffine(Tensor weight, Tensor bias, Generator gen) {
        kaimingUniform(weight, Math.sqrt(5), "fan_in", "leaky_relu", gen);
        if (bias != null) {
            int fanIn = fanIn(weight);
            double bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
            uniform(bias, -bound, bound, gen);
        }
    }

    /** Standard normal CDF (relative error below 1.2e-7; only used to choose a sampler). */
    static double Phi(double x) {
        return 0.5 * erfc(-x / Math.sqrt(2));
    }

    static double erfc(double x) {
        // Chebyshev fit from Numerical Recipes (fractional error < 1.2e-7)
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
