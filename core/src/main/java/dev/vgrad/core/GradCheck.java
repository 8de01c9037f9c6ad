package dev.vgrad.core;

import java.util.Arrays;
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

    /** Outcome of a check: the worst element and a human-readable report. */
    public record Result(boolean passed, double maxAbsError, String report) {}

    /** Runs the check with h = 1e-6, atol = 1e-5, rtol = 1e-3. */
    public static Result check(Function<Tensor[], Tensor> f, Tensor... inputs) {
        return check(f, 1e-6, 1e-5, 1e-3, 12345L, inputs);
    }

    /** Runs the check; inputs with {@code requiresGrad() == false} are held constant. */
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
        StringBuilder report = new StringBuilder();
        double worst = 0;
        boolean ok = true;
        for (int i = 0; i < xs.length; i++) {
            if (!xs[i].requiresGrad()) {
                continue;
            }
            Tensor x = xs[i];
            double[] analytic = x.grad() == null ? new double[x.numel()] : x.grad().toDoubleArray();
            double[] data = x.doubleStorage();
            for (int j = 0; j < data.length; j++) {
                double orig = data[j];
                data[j] = orig + h;
                double plus = projected(f, xs, v);
                data[j] = orig - h;
                double minus = projected(f, xs, v);
                data[j] = orig;
                double numeric = (plus - minus) / (2 * h);
                double err = Math.abs(analytic[j] - numeric);
                worst = Math.max(worst, err);
                if (!(err <= atol + rtol * Math.abs(numeric))) {
                    ok = false;
                    if (report.length() < 2000) {
                        report.append("input ").append(i).append(" ").append(Arrays.toString(x.shape()))
                                .append(" element ").append(j).append(": analytic=").append(analytic[j])
                                .append(" numeric=").append(numeric).append('\n');
                    }
                }
            }
        }
        return new Result(ok, worst, ok ? "ok (max abs error " + worst + ")" : report.toString());
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
