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

    /**
     * Dropout drawing from the default generator.
     *
     * @param p probability of zeroing an channel, in [0, 1]
     * @throws IllegalArgumentException for a probability outside [0, 1]
     */
    public Dropout1d(double p) {
        this(p, null);
    }

    /**
     * {@code gen} null = the default generator.
     *
     * @param p probability of zeroing an channel, in [0, 1]
     * @param gen source of the masks, or null for the default generator
     * @throws IllegalArgumentException for a probability outside [0, 1]
     */
    public Dropout1d(double p, Generator gen) {
        super(p, gen);
    }

    /**
     * Applies {@link F#dropout1d} in training mode.
     *
     * @param input (N, C, L) or (C, L)
     * @return a tensor of the input's shape; {@code input} itself in eval mode or when p = 0
     */
    @Override
    public Tensor forward(Tensor input) {
        return F.dropout1d(input, p, training, generator());
    }
}
