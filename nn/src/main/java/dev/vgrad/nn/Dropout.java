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

    public Dropout(double p) {
        this(p, null);
    }

    /** {@code gen} null = the default generator. */
    public Dropout(double p, Generator gen) {
        super(p, gen);
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.dropout(input, p, training, generator());
    }
}
