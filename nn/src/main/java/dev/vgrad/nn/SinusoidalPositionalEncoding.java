package dev.vgrad.nn;

import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;

/**
 * Adds the fixed sinusoidal position table ({@link F#sinusoidalPositionEncoding}) to a batch-first (N, L, d) or
 * (L, d) input: {@code y = x + pe[:L]}. The table is a non-persistent buffer "pe" (maxLen, dModel), so it is
 * not in the state dict; there are no parameters and no dropout (compose {@link Dropout} if wanted), hence no
 * train/eval difference (docs/SEMANTICS.md §19).
 */
public class SinusoidalPositionalEncoding extends Module {
    private final int dModel;
    private final int maxLen;

    public SinusoidalPositionalEncoding(int dModel, int maxLen) {
        this.dModel = dModel;
        this.maxLen = maxLen;
        registerBuffer("pe", F.sinusoidalPositionEncoding(maxLen, dModel, DType.FLOAT32), false);
    }

    @Override
    public Tensor forward(Tensor input) {
        Check.nonNull("SinusoidalPositionalEncoding", "input", input);
        if (input.dim() < 2 || input.size(-1) != dModel || input.size(-2) > maxLen) {
            throw new IllegalArgumentException("SinusoidalPositionalEncoding: expected input (..., L, " + dModel
                    + ") with L <= " + maxLen + ", got " + Raw.shapeStr(input.shape()));
        }
        Tensor pe = buffer("pe");
        return input.add(pe.narrow(0, 0, input.size(-2)).to(input.dtype()));
    }

    @Override
    public String extraRepr() {
        return "d_model=" + dModel + ", max_len=" + maxLen;
    }
}
