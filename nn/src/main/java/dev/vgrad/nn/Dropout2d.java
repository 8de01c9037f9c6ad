package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/**
 * Channel dropout for (N, C, H, W) inputs ({@code nn.Dropout2d}): whole channels are zeroed; identity in eval.
 */
public class Dropout2d extends AbstractDropout {
    /** p = 0.5, default generator. */
    public Dropout2d() {
        this(0.5, null);
    }

    public Dropout2d(double p) {
        this(p, null);
    }

    /** {@code gen} null = the default generator. */
    public Dropout2d(double p, Generator gen) {
        super(p, gen);
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.dropout2d(input, p, training, generator());
    }
}
