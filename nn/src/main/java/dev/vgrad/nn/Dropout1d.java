package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/**
 * Channel dropout for (N, C, L) or (C, L) inputs ({@code nn.Dropout1d}); identity in eval.
 */
public class Dropout1d extends AbstractDropout {
    /** p = 0.5, default generator. */
    public Dropout1d() {
        this(0.5, null);
    }

    public Dropout1d(double p) {
        this(p, null);
    }

    /** {@code gen} null = the default generator. */
    public Dropout1d(double p, Generator gen) {
        super(p, gen);
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.dropout1d(input, p, training, generator());
    }
}
