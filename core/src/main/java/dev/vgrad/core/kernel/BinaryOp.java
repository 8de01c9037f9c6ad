package dev.vgrad.core.kernel;

/**
 * Elementwise binary functions. Comparison ops return 1 or 0. MAX/MIN propagate NaN as PyTorch's
 * {@code maximum}/{@code minimum} do.
 */
public enum BinaryOp {
    /** a + b ({@code torch.add}). */
    ADD,
    /** a − b ({@code torch.sub}). */
    SUB,
    /** a · b ({@code torch.mul}). */
    MUL,
    /** a / b, IEEE division ({@code torch.div} without rounding mode). */
    DIV,
    /** a^b as {@link Math#pow} ({@code torch.pow}). */
    POW,
    /** max(a, b), NaN if either is NaN ({@code torch.maximum}). */
    MAX,
    /** min(a, b), NaN if either is NaN ({@code torch.minimum}). */
    MIN,
    /** 1 if a &gt; b else 0 ({@code torch.gt}). */
    GT,
    /** 1 if a &gt;= b else 0 ({@code torch.ge}). */
    GE,
    /** 1 if a &lt; b else 0 ({@code torch.lt}). */
    LT,
    /** 1 if a &lt;= b else 0 ({@code torch.le}). */
    LE,
    /** 1 if a == b else 0, so 0 when either is NaN ({@code torch.eq}). */
    EQ,
    /** 1 if a != b else 0, so 1 when either is NaN ({@code torch.ne}). */
    NE;

    /**
     * Scalar form in double (the float64 path and the reference for tests).
     *
     * @param a first operand
     * @param b second operand
     * @return op(a, b); 1 or 0 for comparisons
     */
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

    /**
     * Scalar form in float; arithmetic stays in float so it matches the SIMD kernels bit for bit.
     *
     * @param a first operand
     * @param b second operand
     * @return op(a, b) rounded to float; 1 or 0 for comparisons
     */
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
