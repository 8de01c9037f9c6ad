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

    /**
     * Dropout drawing from the default generator.
     *
     * @param p probability of zeroing an channel, in [0, 1]
     * @throws IllegalArgumentException for a probability outside [0, 1]
     */
    public Dropout2d(double p) {
        this(p, null);
    }

    /**
     * {@code gen} null = the default generator.
     *
     * @param p probability of zeroing an channel, in [0, 1]
     * @param gen source of the masks, or null for the default generator
     * @throws IllegalArgumentException for a probability outside [0, 1]
     */
    public Dropout2d(double p, Generator gen) {
        super(p, gen);
    }

    /**
     * Applies {@link F#dropout2d(Tensor, double, boolean, Generator)} in training mode.
     *
     * @param input (N, C, H, W)
     * @return a tensor of the input's shape; {@code input} itself in eval mode or when p = 0
     */
    @Override
    public Tensor forward(Tensor input) {
        return F.dropout2d(input, p, training, generator());
    }
}
