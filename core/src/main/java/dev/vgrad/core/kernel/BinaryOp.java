package dev.vgrad.core.kernel;

/**
 * Elementwise binary functions. Comparison ops return 1 or 0. MAX/MIN propagate NaN as PyTorch's
 * {@code maximum}/{@code minimum} do.
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAX, MIN, GT, GE, LT, LE, EQ, NE;

    /** Scalar form in double. */
    public double apply(double a, double b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> Math.pow(a, b);
            case MAX -> (a != a || b != b) ? Double.NaN : Math.max(a, b);
            case MIN -> (a != a || b != b) ? Double.NaN : Math.min(a, b);
            case GT -> a > b ? 1 : 0;
            case GE -> a >= b ? 1 : 0;
            case LT -> a < b ? 1 : 0;
            case LE -> a <= b ? 1 : 0;
            case EQ -> a == b ? 1 : 0;
            case NE -> a != b ? 1 : 0;
        };
    }

    /** Scalar form in float; arithmetic stays in float so it matches the SIMD kernels bit for bit. */
    public float apply(float a, float b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> (float) Math.pow(a, b);
            case MAX -> (a != a || b != b) ? Float.NaN : Math.max(a, b);
            case MIN -> (a != a || b != b) ? Float.NaN : Math.min(a, b);
            default -> (float) apply((double) a, (double) b);
        };
    }
}
