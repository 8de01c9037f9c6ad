package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/**
 * Inverted dropout ({@code nn.Dropout}, docs/SEMANTICS.md §2): in training each element is zeroed with
 * probability p and survivors are scaled by 1/(1−p); identity (the same tensor) in eval or when p = 0.
 */
public class Dropout extends AbstractDropout {
    /** p = 0.5, default generator. */
    public Dropout() {
        this(0.5, null);
    }

    /**
     * Dropout drawing from the default generator.
     *
     * @param p probability of zeroing an element, in [0, 1]
     * @throws IllegalArgumentException for a probability outside [0, 1]
     */
    public Dropout(double p) {
        this(p, null);
    }

    /**
     * {@code gen} null = the default generator.
     *
     * @param p probability of zeroing an element, in [0, 1]
     * @param gen source of the masks, or null for the default generator
     * @throws IllegalArgumentException for a probability outside [0, 1]
     */
    public Dropout(double p, Generator gen) {
        super(p, gen);
    }

    /**
     * Applies {@link F#dropout(Tensor, double, boolean, Generator)} in training mode.
     *
     * @param input any shape
     * @return a tensor of the input's shape; {@code input} itself in eval mode or when p = 0
     */
    @Override
    public Tensor forward(Tensor input) {
        return F.dropout(input, p, training, generator());
    }
}
