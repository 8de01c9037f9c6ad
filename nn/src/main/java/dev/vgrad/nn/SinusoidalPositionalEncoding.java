package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/**
 * Adds the fixed sinusoidal position table ({@link F#sinusoidalPositionEncoding}) to a batch-first (N, L, d) or
 * (L, d) input: {@code y = x + pe[:L]}, L at most {@code maxLen}. The table is computed in double for each call and
 * rounded once to the input's dtype (a stored float32 buffer would lose precision in float64), so nothing is in
 * the state dict; there are no parameters and no dropout (compose {@link Dropout} if wanted), hence no
 * train/eval difference (docs/SEMANTICS.md §19).
 */
public class SinusoidalPositionalEncoding extends Module {
    private final int dModel;
    private final int maxLen;

    /**
     * Encodes up to {@code maxLen} positions of width {@code dModel}.
     *
     * @param dModel d, the model width (the input's last dim), positive
     * @param maxLen the longest sequence accepted, at least 0
     * @throws IllegalArgumentException for a non-positive dModel or a negative maxLen
     */
    public SinusoidalPositionalEncoding(int dModel, int maxLen) {
        this.dModel = dModel;
        this.maxLen = maxLen;
        if (maxLen < 0 || dModel <= 0) {
            throw new IllegalArgumentException("SinusoidalPositionalEncoding: max_len must be non-negative and "
                    + "d_model positive, got " + maxLen + " and " + dModel);
        }
    }

    /**
     * Adds the position table to {@code input}.
     *
     * @param input (N, L, d) or (L, d) (any leading dims), L at most maxLen
     * @return a new tensor of the input's shape: {@code input + pe[:L]}
     * @throws IllegalArgumentException when the input is not (..., L, d) with L at most maxLen
     */
    @Override
    public Tensor forward(Tensor input) {
        Check.nonNull("SinusoidalPositionalEncoding", "input", input);
        if (input.dim() < 2 || input.size(-1) != dModel || input.size(-2) > maxLen) {
            throw new IllegalArgumentException("SinusoidalPositionalEncoding: expected input (..., L, " + dModel
                    + ") with L <= " + maxLen + ", got " + Raw.shapeStr(input.shape()));
        }
        return input.add(F.sinusoidalPositionEncoding(input.size(-2), dModel, input.dtype()));
    }

    @Override
    public String extraRepr() {
        return "d_model=" + dModel + ", max_len=" + maxLen;
    }
}
