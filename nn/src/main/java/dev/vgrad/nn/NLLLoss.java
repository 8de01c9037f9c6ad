package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** {@code nn.NLLLoss} on log-probabilities, with class {@code weight}, {@code ignoreIndex} and reductions. */
public class NLLLoss extends Loss {
    private long ignoreIndex = -100;

    public NLLLoss() {
        registerBuffer("weight", null);
    }

    public NLLLoss weight(Tensor weight) {
        registerBuffer("weight", weight);
        return this;
    }

    public NLLLoss ignoreIndex(long ignoreIndex) {
        this.ignoreIndex = ignoreIndex;
        return this;
    }

    @Override
    public NLLLoss reduction(String reduction) {
        super.reduction(reduction);
        return this;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return CrossEntropyOp.apply(input, target, buffer("weight"), ignoreIndex, reduction, 0.0, true);
    }
}
