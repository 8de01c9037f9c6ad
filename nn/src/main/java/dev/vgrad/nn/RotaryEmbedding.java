package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/**
 * Rotary position embedding of (..., L, D) queries or keys ({@link F#rotaryEmbedding}, "rotate half" layout):
 * position p rotates each pair (j, j + D/2) by p·base^(−2j/D). {@link #forward(Tensor)} uses positions 0..L−1;
 * {@link #forward(Tensor, int)} starts at {@code offset} (for cached decoding). No parameters, no mode
 * dependence (docs/SEMANTICS.md §19).
 */
public class RotaryEmbedding extends Module {
    private final int dim;
    private final double base;

    /**
     * Rotary embedding with RoFormer's base 10000.
     *
     * @param dim D, the last dim of the inputs (head dim); positive and even
     * @throws IllegalArgumentException for a non-positive or odd {@code dim}
     */
    public RotaryEmbedding(int dim) {
        this(dim, 10000.0);
    }

    /**
     * Rotary embedding with frequencies {@code base^(−2j/D)}.
     *
     * @param dim D, the last dim of the inputs (head dim); positive and even
     * @param base frequency base, positive
     * @throws IllegalArgumentException for a non-positive or odd {@code dim}, or a non-positive base
     */
    public RotaryEmbedding(int dim, double base) {
        if (dim <= 0 || dim % 2 != 0) {
            throw new IllegalArgumentException("RotaryEmbedding: dim must be positive and even, got " + dim);
        }
        if (!(base > 0)) {
            throw new IllegalArgumentException("RotaryEmbedding: base must be positive, got " + base);
        }
        this.dim = dim;
        this.base = base;
    }

    /**
     * Rotates with positions 0 .. L − 1.
     *
     * @param input (..., L, D), e.g. (N, heads, L, head_dim)
     * @return a new tensor of the input's shape
     * @throws IllegalArgumentException when the input is not (..., L, D)
     */
    @Override
    public Tensor forward(Tensor input) {
        return forward(input, 0);
    }

    /**
     * Rotates with positions {@code offset .. offset + L − 1}.
     *
     * @param input (..., L, D), e.g. (N, heads, L, head_dim)
     * @param offset position of the first row, at least 0
     * @return a new tensor of the input's shape
     * @throws IllegalArgumentException when the input is not (..., L, D) or the offset is negative
     */
    public Tensor forward(Tensor input, int offset) {
        Check.nonNull("RotaryEmbedding", "input", input);
        if (input.dim() < 2 || input.size(-1) != dim) {
            throw new IllegalArgumentException("RotaryEmbedding: expected input (..., L, " + dim + "), got "
                    + Raw.shapeStr(input.shape()));
        }
        return F.rotaryEmbedding(input, offset, base);
    }

    @Override
    public String extraRepr() {
        return "dim=" + dim + ", base=" + Py.repr(base);
    }
}
