package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/** One LSTM step ({@code nn.LSTMCell}); formulas as {@link LSTM}, parameters as {@link RNNCellBase}. */
public class LSTMCell extends RNNCellBase {
    /**
     * {@code (h', c')} of PyTorch's LSTMCell.
     *
     * @param h the new hidden state (B, H), or (H) unbatched
     * @param c the new cell state, shaped as {@code h}
     */
    public record State(Tensor h, Tensor c) {}

    /**
     * A cell with biases, initialised from the default generator.
     *
     * @param inputSize size of the input's features, at least 0
     * @param hiddenSize H, size of the hidden state, positive
     * @throws IllegalArgumentException for a size out of range
     */
    public LSTMCell(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, true, Generator.defaultGenerator());
    }

    /**
     * A cell initialised from the default generator.
     *
     * @param inputSize size of the input's features, at least 0
     * @param hiddenSize H, size of the hidden state, positive
     * @param bias whether the cell has {@code bias_ih} and {@code bias_hh}
     * @throws IllegalArgumentException for a size out of range
     */
    public LSTMCell(int inputSize, int hiddenSize, boolean bias) {
        this(inputSize, hiddenSize, bias, Generator.defaultGenerator());
    }

    /**
     * A cell initialised from {@code gen}.
     *
     * @param inputSize size of the input's features, at least 0
     * @param hiddenSize H, size of the hidden state, positive
     * @param bias whether the cell has {@code bias_ih} and {@code bias_hh}
     * @param gen source of the initial weights
     * @throws IllegalArgumentException for a size out of range or a null generator
     */
    public LSTMCell(int inputSize, int hiddenSize, boolean bias, Generator gen) {
        super("LSTMCell", 4, inputSize, hiddenSize, bias, gen);
    }

    /**
     * The new hidden state from zero states (the cell state is dropped), so the cell fits a {@link Sequential}.
     *
     * @param input (B, input_size) or unbatched (input_size)
     * @return the new hidden state h' (B, H), or (H) unbatched
     */
    @Override
    public Tensor forward(Tensor input) {
        return step(input, null, null)[0];
    }

    /**
     * {@code cell(input, (h, c))}; h and c both given or both null (zeros).
     *
     * @param input (B, input_size) or unbatched (input_size)
     * @param h hidden state (B, H) ((H) unbatched), or null for zeros
     * @param c cell state shaped as {@code h}, or null for zeros
     * @return the new hidden and cell states
     * @throws IllegalArgumentException for wrong ranks or sizes, or only one of h and c
     */
    public State forward(Tensor input, Tensor h, Tensor c) {
        if ((h == null) != (c == null)) {
            throw new IllegalArgumentException("LSTMCell: h and c must both be given or both be null");
        }
        Tensor[] r = step(input, h, c);
        return new State(r[0], r[1]);
    }
}
