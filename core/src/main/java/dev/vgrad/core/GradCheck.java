package dev.vgrad.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Compares analytical gradients with central finite differences, like {@code torch.autograd.gradcheck}.
 *
 * <p>Inputs are converted to float64 leaves; the function's output is reduced against a fixed random
 * projection {@code v} so one backward pass checks the whole Jacobian-vector product:
 * {@code ∂(v·f(x))/∂x_i ≈ (v·f(x+h e_i) − v·f(x−h e_i)) / 2h}. The check passes when
 * {@code |analytic − numeric| ≤ atol + rtol·|numeric|} for every element.
 */
public final class GradCheck {
    private GradCheck() {}

    /**
     * Outcome of a check: the worst element and a human-readable report.
     *
     * @param passed whether every element was within tolerance
     * @param maxAbsError the largest {@code |analytic − numeric|} over all checked elements
     * @param report a human-readable summary naming the worst input and element
     */
    public record Result(boolean passed, double maxAbsError, String report) {}

    /**
     * Runs the check with h = 1e-6, atol = 1e-5, rtol = 1e-3.
     *
     * @param f the function under test; it receives float64 copies of {@code inputs} and must return float64
     * @param inputs the points to check at; those that require grad are differentiated
     * @return the outcome (it does not throw on a mismatch: assert {@code passed()})
     */
    public static Result check(Function<Tensor[], Tensor> f, Tensor... inputs) {
        return check(f, 1e-6, 1e-5, 1e-3, 12345L, inputs);
    }

    /**
     * Runs the check; inputs with {@code requiresGrad() == false} are held constant.
     *
     * @param f the function under test; it receives float64 copies of {@code inputs} and must return float64
     * @param h the finite-difference step
     * @param atol the absolute tolerance
     * @param rtol the tolerance relative to the numeric derivative
     * @param seed the seed of the random projection {@code v}
     * @param inputs the points to check at; those that require grad are differentiated
     * @return the outcome
     * @throws IllegalArgumentException when the output is not float64 or does not require grad
     */
    public static Result check(Function<Tensor[], Tensor> f, double h, double atol, double rtol, long seed,
                               Tensor... inputs) {
        Tensor[] xs = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            Tensor in = inputs[i];
            boolean wants = in.requiresGrad();
            Tensor c = in.dtype().isFloatingPoint() ? in.detach().toRaw(DType.FLOAT64) : in.detach();
            xs[i] = wants ? c.requiresGrad(true) : c;
        }
        Tensor out = f.apply(xs);
        if (out.dtype() != DType.FLOAT64) {
            throw new IllegalArgumentException("gradcheck: the function must keep float64 inputs in float64, got "
                    + out.dtype());
        }
        Generator gen = new Generator(seed);
        Tensor v = Tensor.randn(gen, out.shape()).toRaw(DType.FLOAT64);
        if (!out.requiresGrad()) {
            throw new IllegalArgumentException("gradcheck: the output does not require grad");
        }
        out.mul(v).sum().backward();
        Comparison cmp = new Comparison(h, atol, rtol);
        for (int i = 0; i < xs.length; i++) {
            if (xs[i].requiresGrad()) {
                cmp.against(xs[i], "input " + i, () -> projected(f, xs, v));
            }
        }
        return cmp.result();
    }

    /**
     * {@link #gradgradcheck(Function, double, double, double, long, Tensor...)} with h = 1e-6, atol = 1e-5, rtol = 1e-3.
     *
     * @param f the function under test, as for {@link #check(Function, Tensor...)}
     * @param inputs the points to check at; at least one must require grad
     * @return the outcome
     */
    public static Result gradgradcheck(Function<Tensor[], Tensor> f, Tensor... inputs) {
        return gradgradcheck(f, 1e-6, 1e-5, 1e-3, 12345L, inputs);
    }

    /**
     * Checks second derivatives, like {@code torch.autograd.gradgradcheck}: in float64, with a random gradient
     * {@code v} for the output, the vector-Jacobian product {@code x ↦ ∂(v·f(x))/∂x} is computed with
     * {@code createGraph} (docs/SEMANTICS.md §5.12) and reduced against random {@code u}; the gradient of
     * {@code s = Σ u·vjp} with respect to every differentiable input and to {@code v}, obtained by differentiating
     * the recorded backward pass, is compared with central differences of {@code s} computed by plain first-order
     * passes. Inputs with {@code requiresGrad() == false} are held constant.
     *
     * @param f the function under test; it receives float64 copies of {@code inputs} and must return float64
     * @param h the finite-difference step
     * @param atol the absolute tolerance
     * @param rtol the tolerance relative to the numeric derivative
     * @param seed the seed of the random vectors {@code v} and {@code u}
     * @param inputs the points to check at; at least one must require grad
     * @return the outcome
     * @throws IllegalArgumentException when no input requires grad or the output is not float64
     */
    public static Result gradgradcheck(Function<Tensor[], Tensor> f, double h, double atol, double rtol, long seed,
                                       Tensor... inputs) {
        Tensor[] xs = new Tensor[inputs.length];
        List<Integer> diff = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) {
            Tensor in = inputs[i];
            boolean wants = in.requiresGrad();
            Tensor c = in.dtype().isFloatingPoint() ? in.detach().toRaw(DType.FLOAT64) : in.detach();
            xs[i] = wants ? c.requiresGrad(true) : c;
            if (wants) {
                diff.add(i);
            }
        }
        if (diff.isEmpty()) {
            throw new IllegalArgumentException("gradgradcheck: no input requires grad");
        }
        Tensor out = f.apply(xs);
        if (out.dtype() != DType.FLOAT64) {
            throw new IllegalArgumentException("gradgradcheck: the function must keep float64 inputs in float64, got "
                    + out.dtype());
        }
        if (!out.requiresGrad()) {
            throw new IllegalArgumentException("gradgradcheck: the output does not require grad");
        }
        Generator gen = new Generator(seed);
        Tensor v = Tensor.randn(gen, out.shape()).toRaw(DType.FLOAT64).requiresGrad(true);
        Tensor[] us = new Tensor[diff.size()];
        for (int k = 0; k < us.length; k++) {
            us[k] = Tensor.randn(gen, xs[diff.get(k)].shape()).toRaw(DType.FLOAT64);
        }
        Tensor[] wrt = new Tensor[diff.size()];
        for (int k = 0; k < wrt.length; k++) {
            wrt[k] = xs[diff.get(k)];
        }
        Tensor[] grads = Autograd.grad(out, wrt, v, true, true);
        Tensor s = null;
        for (int k = 0; k < grads.length; k++) {
            Tensor term = grads[k].mul(us[k]).sum();
            s = s == null ? term : s.add(term);
        }
        if (s.requiresGrad()) {
            s.backward();
        }
        List<Tensor> checked = new ArrayList<>();
        for (int k : diff) {
            checked.add(xs[k]);
        }
        checked.add(v);
        Comparison cmp = new Comparison(h, atol, rtol);
        for (int c = 0; c < checked.size(); c++) {
            cmp.against(checked.get(c), c < diff.size() ? "input " + diff.get(c) : "grad_output",
                    () -> projectedVjp(f, xs, diff, v, us));
        }
        return cmp.result();
    }

    /**
     * Central differences of a scalar function of the inputs' storage against the analytic gradient left in each
     * checked tensor's {@code .grad}: the one comparison both checks share.
     */
    private static final class Comparison {
        private final double h;
        private final double atol;
        private final double rtol;
        private final StringBuilder report = new StringBuilder();
        private double worst;
        private boolean ok = true;

        Comparison(double h, double atol, double rtol) {
            this.h = h;
            this.atol = atol;
            this.rtol = rtol;
        }

        /** Perturbs each element of {@code x} by ±h, evaluating {@code s} each time, and compares. */
        void against(Tensor x, String name, java.util.function.DoubleSupplier s) {
            double[] analytic = x.grad() == null ? new double[x.numel()] : x.grad().toDoubleArray();
            double[] data = x.doubleStorage();
            for (int j = 0; j < data.length; j++) {
                double orig = data[j];
                data[j] = orig + h;
                double plus = s.getAsDouble();
                data[j] = orig - h;
                double minus = s.getAsDouble();
                data[j] = orig;
                double numeric = (plus - minus) / (2 * h);
                double err = Math.abs(analytic[j] - numeric);
                worst = Math.max(worst, err);
                if (!(err <= atol + rtol * Math.abs(numeric))) {
                    ok = false;
                    if (report.length() < 2000) {
                        report.append(name).append(" ").append(Arrays.toString(x.shape()))
                                .append(" element ").append(j).append(": analytic=").append(analytic[j])
                                .append(" numeric=").append(numeric).append('\n');
                    }
                }
            }
        }

        Result result() {
            return new Result(ok, worst, ok ? "ok (max abs error " + worst + ")" : report.toString());
        }
    }

    /** {@code Σ u·vjp(x, v)} by a plain first-order pass over fresh leaves sharing the inputs' storage. */
    private static double projectedVjp(Function<Tensor[], Tensor> f, Tensor[] xs, List<Integer> diff, Tensor v,
                                       Tensor[] us) {
        Tensor[] fresh = new Tensor[xs.length];
        for (int i = 0; i < xs.length; i++) {
            fresh[i] = xs[i].detach();
        }
        Tensor[] wrt = new Tensor[diff.size()];
        for (int k = 0; k < wrt.length; k++) {
            wrt[k] = fresh[diff.get(k)].requiresGrad(true);
        }
        try (Grad.Scope on = Grad.enabled()) {
            Tensor[] grads = Autograd.grad(f.apply(fresh), wrt, v.detach(), false);
            double s = 0;
            for (int k = 0; k < grads.length; k++) {
                s += grads[k].mul(us[k]).sum().item();
            }
            return s;
        }
    }

    private static double projected(Function<Tensor[], Tensor> f, Tensor[] xs, Tensor v) {
        try (Grad.Scope off = Grad.disabled()) {
            Tensor[] detached = new Tensor[xs.length];
            for (int i = 0; i < xs.length; i++) {
                detached[i] = xs[i].detach();
            }
            return f.apply(detached).mul(v).sum().item();
        }
    }
}
