package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/** One GRU step ({@code nn.GRUCell}); formulas as {@link GRU}, parameters as {@link RNNCellBase}. */
public class GRUCell extends RNNCellBase {
    public GRUCell(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, true, Generator.defaultGenerator());
    }

    public GRUCell(int inputSize, int hiddenSize, boolean bias) {
        this(inputSize, hiddenSize, bias, Generator.defaultGenerator());
    }

    public GRUCell(int inputSize, int hiddenSize, boolean bias, Generator gen) {
        super("GRUCell", 3, inputSize, hiddenSize, bias, gen);
    }

    /** The new hidden state from a zero state. */
    @Override
    public Tensor forward(Tensor input) {
        return step(input, (Tensor) null)[0];
    }

    /** {@code cell(input, h)}; h null means zeros. */
    public Tensor forward(Tensor input, Tensor h) {
        return step(input, h)[0];
    }
}
