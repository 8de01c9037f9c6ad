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

    public RotaryEmbedding(int dim) {
        this(dim, 10000.0);
    }

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

    @Override
    public Tensor forward(Tensor input) {
        return forward(input, 0);
    }

    /** Rotates with positions {@code offset .. offset + L − 1}. */
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
