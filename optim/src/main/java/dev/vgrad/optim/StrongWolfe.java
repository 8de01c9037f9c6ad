package dev.vgrad.optim;

/**
 * The strong-Wolfe line search of {@link LBFGS} (docs/SEMANTICS.md §20.7), after minFunc as PyTorch ports it:
 * sufficient decrease {@code f(t) ≤ f + c₁·t·gtd} with {@code c₁ = 1e-4}, curvature {@code |g(t)·d| ≤ −c₂·gtd}
 * with {@code c₂ = 0.9}, at most 25 evaluations, safeguarded cubic interpolation. Float64 throughout.
 */
final class StrongWolfe {
    private static final double C1 = 1e-4;
    private static final double C2 = 0.9;
    private static final int MAX_LS = 25;

    private StrongWolfe() {}

    /** The accepted step: loss, flat gradient, step length, and the evaluations spent. */
    record Result(double f, double[] g, double t, int evals) {}

    /** Loss (into {@code loss[0]}) and flat gradient at {@code x + t·d}, leaving the parameters at {@code x}. */
    @FunctionalInterface
    interface Evaluator {
        double[] at(double t, double[] loss);
    }

    /**
     * PyTorch's {@code _strong_wolfe} step for step: from the point with loss {@code f}, gradient {@code g} and
     * directional derivative {@code gtd} along {@code d}, tries {@code t}, extrapolates until the minimum is
     * bracketed, then zooms in; returns the best point found.
     */
    static Result search(Evaluator eval, double t, double[] d, double f, double[] g, double gtd, double tolChange) {
        double dNorm = LBFGS.maxAbs(d);
        double[] fg = new double[1];
        double[] gNew = eval.at(t, fg);
        double fNew = fg[0];
        int lsEvals = 1;
        double gtdNew = LBFGS.dot(gNew, d);
        double tPrev = 0;
        double fPrev = f;
        double[] gPrev = g;
        double gtdPrev = gtd;
        boolean done = false;
        int lsIter = 0;
        double[] bracket = null;
        double[] bracketF = null;
        double[][] bracketG = null;
        double[] bracketGtd = null;
        while (lsIter < MAX_LS) {
            if (fNew > f + C1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
                bracket = new double[] {tPrev, t};
                bracketF = new double[] {fPrev, fNew};
                bracketG = new double[][] {gPrev, gNew};
                bracketGtd = new double[] {gtdPrev, gtdNew};
                break;
            }
            if (Math.abs(gtdNew) <= -C2 * gtd) {
                bracket = new double[] {t};
                bracketF = new double[] {fNew};
                bracketG = new double[][] {gNew};
                done = true;
                break;
            }
            if (gtdNew >= 0) {
                bracket = new double[] {tPrev, t};
                bracketF = new double[] {fPrev, fNew};
                bracketG = new double[][] {gPrev, gNew};
                bracketGtd = new double[] {gtdPrev, gtdNew};
                break;
            }
            double minStep = t + 0.01 * (t - tPrev);
            double maxStep = t * 10;
            double tmp = t;
            t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, minStep, maxStep);
            tPrev = tmp;
            fPrev = fNew;
            gPrev = gNew;
            gtdPrev = gtdNew;
            gNew = eval.at(t, fg);
            fNew = fg[0];
            lsEvals++;
            gtdNew = LBFGS.dot(gNew, d);
            lsIter++;
        }
        if (lsIter == MAX_LS) {
            bracket = new double[] {0, t};
            bracketF = new double[] {f, fNew};
            bracketG = new double[][] {g, gNew};
            // PyTorch leaves bracket_gtd as it was; the zoom loop below does not run (ls_iter == max_ls)
        }
        boolean insufProgress = false;
        int lowPos = bracketF[0] <= bracketF[bracketF.length - 1] ? 0 : 1;
        int highPos = 1 - lowPos;
        while (!done && lsIter < MAX_LS) {
            if (Math.abs(bracket[1] - bracket[0]) * dNorm < tolChange) {
                break;
            }
            t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1],
                    Double.NaN, Double.NaN);
            double bMax = Math.max(bracket[0], bracket[1]);
            double bMin = Math.min(bracket[0], bracket[1]);
            double eps = 0.1 * (bMax - bMin);
            if (Math.min(bMax - t, t - bMin) < eps) {
                if (insufProgress || t >= bMax || t <= bMin) {
                    t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
                    insufProgress = false;
                } else {
                    insufProgress = true;
                }
            } else {
                insufProgress = false;
            }
            gNew = eval.at(t, fg);
            fNew = fg[0];
            lsEvals++;
            gtdNew = LBFGS.dot(gNew, d);
            lsIter++;
            if (fNew > f + C1 * t * gtd || fNew >= bracketF[lowPos]) {
                bracket[highPos] = t;
                bracketF[highPos] = fNew;
                bracketG[highPos] = gNew;
                bracketGtd[highPos] = gtdNew;
                lowPos = bracketF[0] <= bracketF[1] ? 0 : 1;
                highPos = 1 - lowPos;
            } else {
                if (Math.abs(gtdNew) <= -C2 * gtd) {
                    done = true;
                } else if (gtdNew * (bracket[highPos] - bracket[lowPos]) >= 0) {
                    bracket[highPos] = bracket[lowPos];
                    bracketF[highPos] = bracketF[lowPos];
                    bracketG[highPos] = bracketG[lowPos];
                    bracketGtd[highPos] = bracketGtd[lowPos];
                }
                bracket[lowPos] = t;
                bracketF[lowPos] = fNew;
                bracketG[lowPos] = gNew;
                bracketGtd[lowPos] = gtdNew;
            }
        }
        int pos = Math.min(lowPos, bracket.length - 1);
        return new Result(bracketF[pos], bracketG[pos], bracket[pos], lsEvals);
    }

    /**
     * Minimiser of the cubic through {@code (x1, f1, g1)} and {@code (x2, f2, g2)}, clamped to the bounds (NaN
     * bounds: the interval between the points); the midpoint when the cubic has no minimum.
     */
    static double cubicInterpolate(double x1, double f1, double g1, double x2, double f2, double g2, double lo,
                                   double hi) {
        double xmin = lo;
        double xmax = hi;
        if (Double.isNaN(lo)) {
            xmin = x1 <= x2 ? x1 : x2;
            xmax = x1 <= x2 ? x2 : x1;
        }
        double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
        double d2Square = d1 * d1 - g1 * g2;
        if (d2Square >= 0) {
            double d2 = Math.sqrt(d2Square);
            double minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                    : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
            return pyMin(pyMax(minPos, xmin), xmax);
        }
        return (xmin + xmax) / 2.;
    }

    /** Python's {@code max(a, b)}: {@code b} only when {@code b > a} (so NaN in {@code a} survives). */
    private static double pyMax(double a, double b) {
        return b > a ? b : a;
    }

    private static double pyMin(double a, double b) {
        return b < a ? b : a;
    }
}
