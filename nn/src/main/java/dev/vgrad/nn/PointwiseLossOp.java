package dev.vgrad.nn;

import dev.vgrad.core.Autograd;
import dev.vgrad.core.DType;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Node;
import dev.vgrad.core.SavedTensor;
import dev.vgrad.core.Tensor;

/**
 * The elementwise parts of {@code smooth_l1_loss}, {@code huber_loss} and {@code binary_cross_entropy}
 * (docs/SEMANTICS.md §20.2, §20.4), as fused nodes whose backward formulas are PyTorch's own, so gradients agree at the
 * ties ({@code |x − y| = β}, {@code β = 0}) and at the ends of BCE's domain, where a composition of ops would not.
 * Inputs have one shape (callers broadcast first, with differentiable {@code expand}).
 */
final class PointwiseLossOp {
    private PointwiseLossOp() {}

    /** PyTorch's floor on {@code x(1 − x)} in BCE's input gradient: the float {@code 1e-12}, widened. */
    static final double BCE_EPS = 1e-12f;

    /** Smooth L1 ({@code huber = false}, parameter β) or Huber ({@code huber = true}, parameter δ). */
    static Tensor robust(Tensor x, Tensor y, double p, boolean huber) {
        double[] xv = Raw.doubles(x);
        double[] yv = Raw.doubles(y);
        double[] out = new double[xv.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = huber ? huberValue(xv[i] - yv[i], p) : smoothL1Value(xv[i] - yv[i], p);
        }
        Tensor l = Raw.tensor(out, x.dtype(), x.shape());
        if (!Autograd.isRecording(x, y)) {
            return l;
        }
        return Autograd.attach(l, new RobustLossBackward(huber ? "HuberLossBackward0" : "SmoothL1LossBackward0", x, y,
                p, huber));
    }

    /** Smooth L1's and Huber's rule (one class, two PyTorch names): saves both operands and the parameter. */
    static final class RobustLossBackward extends Node {
        private final SavedTensor sx;
        private final SavedTensor sy;
        private final double p;
        private final boolean huber;
        private final DType dtype;
        private final int[] shape;

        RobustLossBackward(String name, Tensor x, Tensor y, double p, boolean huber) {
            super(name, x, y);
            this.sx = save(x);
            this.sy = save(y);
            this.p = p;
            this.huber = huber;
            this.dtype = x.dtype();
            this.shape = x.shape();
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor xs = sx.get();
            Tensor ys = sy.get();
            if (Grad.isEnabled()) {
                // createGraph (docs/SEMANTICS.md §5.12): PyTorch's input and target formulas as recorded ops
                return new Tensor[] {g.mul(slopeOps(xs.sub(ys), p, huber)), g.mul(slopeOps(ys.sub(xs), p, huber))};
            }
            double[] a = Raw.doubles(xs);
            double[] b = Raw.doubles(ys);
            double[] gv = Raw.doubles(g);
            double[] gx = new double[a.length];
            double[] gy = new double[a.length];
            for (int i = 0; i < a.length; i++) {
                // PyTorch differentiates the target by calling the input formula with input and target swapped
                gx[i] = gv[i] * slope(a[i] - b[i], p, huber);
                gy[i] = gv[i] * slope(b[i] - a[i], p, huber);
            }
            return new Tensor[] {needsGrad(0) ? Raw.tensor(gx, dtype, shape) : null,
                    needsGrad(1) ? Raw.tensor(gy, dtype, shape) : null};
        }
    }

    static double smoothL1Value(double d, double beta) {
        double z = Math.abs(d);
        return z < beta ? 0.5 * z * z / beta : z - 0.5 * beta;
    }

    static double huberValue(double d, double delta) {
        double z = Math.abs(d);
        return z < delta ? 0.5 * z * z : delta * (z - 0.5 * delta);
    }

    /** PyTorch's {@code smooth_l1_backward} / {@code huber_backward} per element, for the difference {@code d}. */
    static double slope(double d, double p, boolean huber) {
        if (d <= -p) {
            return huber ? -p : -1;
        }
        if (d >= p) {
            return huber ? p : 1;
        }
        return huber ? d : d / p;
    }

    private static Tensor slopeOps(Tensor d, double p, boolean huber) {
        double[] dv = Raw.doubles(d);
        double[] outer = new double[dv.length];
        double[] inner = new double[dv.length];
        for (int i = 0; i < dv.length; i++) {
            boolean in = !(dv[i] <= -p) && !(dv[i] >= p);
            inner[i] = in ? (huber ? 1 : 1 / p) : 0;
            outer[i] = in ? 0 : slope(dv[i], p, huber);
        }
        // constant outside |d| < p, linear in d inside: the second derivative is 1/β (1 for Huber) there
        return d.mul(Raw.tensor(inner, d.dtype(), d.shape())).add(Raw.tensor(outer, d.dtype(), d.shape()));
    }

    /**
     * {@code −(y·max(log x, −100) + (1 − y)·max(log(1 − x), −100))}, input in [0, 1] ("all elements of input should
     * be between 0 and 1"); gradients {@code (x − y)/max(x(1 − x), ε)} and {@code log(1 − x) − log x}.
     */
    static Tensor bce(Tensor x, Tensor y) {
        double[] xv = Raw.doubles(x);
        double[] yv = Raw.doubles(y);
        double[] out = new double[xv.length];
        for (int i = 0; i < out.length; i++) {
            double v = xv[i];
            if (!(v >= 0 && v <= 1)) {
                throw new IllegalArgumentException("all elements of input should be between 0 and 1");
            }
            out[i] = (yv[i] - 1) * Math.max(Math.log1p(-v), -100) - yv[i] * Math.max(Math.log(v), -100);
        }
        Tensor l = Raw.tensor(out, x.dtype(), x.shape());
        if (!Autograd.isRecording(x, y)) {
            return l;
        }
        return Autograd.attach(l, new BinaryCrossEntropyBackward0(x, y));
    }

    /** BCE's rule: saves the input and the target. */
    static final class BinaryCrossEntropyBackward0 extends Node {
        private final SavedTensor sx;
        private final SavedTensor sy;
        private final DType dtype;
        private final int[] shape;

        BinaryCrossEntropyBackward0(Tensor x, Tensor y) {
            super("BinaryCrossEntropyBackward0", x, y);
            this.sx = save(x);
            this.sy = save(y);
            this.dtype = x.dtype();
            this.shape = x.shape();
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor xs = sx.get();
            Tensor ys = sy.get();
            if (Grad.isEnabled()) {
                Tensor denom = xs.mul(xs.neg().add(1)).clamp(BCE_EPS, Double.NaN);
                Tensor gx = g.mul(xs.sub(ys)).div(denom);
                Tensor gy = g.mul(xs.neg().add(1).log().sub(xs.log()));
                return new Tensor[] {gx, gy};
            }
            double[] a = Raw.doubles(xs);
            double[] b = Raw.doubles(ys);
            double[] gv = Raw.doubles(g);
            double[] gx = new double[a.length];
            double[] gy = new double[a.length];
            for (int i = 0; i < a.length; i++) {
                gx[i] = gv[i] * (a[i] - b[i]) / Math.max((1 - a[i]) * a[i], BCE_EPS);
                gy[i] = gv[i] * (Math.log1p(-a[i]) - Math.log(a[i]));
            }
            return new Tensor[] {needsGrad(0) ? Raw.tensor(gx, dtype, shape) : null,
                    needsGrad(1) ? Raw.tensor(gy, dtype, shape) : null};
        }
    }
}

