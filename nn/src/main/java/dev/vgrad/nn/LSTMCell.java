package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/** One LSTM step ({@code nn.LSTMCell}); formulas as {@link LSTM}, parameters as {@link RNNCellBase}. */
public class LSTMCell extends RNNCellBase {
    /** {@code (h', c')} of PyTorch's LSTMCell. */
    public record State(Tensor h, Tensor c) {}

    public LSTMCell(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, true, Generator.defaultGenerator());
    }

    public LSTMCell(int inputSize, int hiddenSize, boolean bias) {
        this(inputSize, hiddenSize, bias, Generator.defaultGenerator());
    }

    public LSTMCell(int inputSize, int hiddenSize, boolean bias, Generator gen) {
        super("LSTMCell", 4, inputSize, hiddenSize, bias, gen);
    }

    /** The new hidden state from zero states (the cell state is dropped), so the cell fits a {@link Sequential}. */
    @Override
    public Tensor forward(Tensor input) {
        return step(input, null, null)[0];
    }

    /** {@code cell(input, (h, c))}; h and c both given or both null (zeros). */
    public State forward(Tensor input, Tensor h, Tensor c) {
        if ((h == null) != (c == null)) {
            throw new IllegalArgumentException("LSTMCell: h and c must both be given or both be null");
        }
        Tensor[] r = step(input, h, c);
        return new State(r[0], r[1]);
    }
}
