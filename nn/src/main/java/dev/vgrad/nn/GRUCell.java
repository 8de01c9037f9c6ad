package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/** One GRU step ({@code nn.GRUCell}); formulas as {@link GRU}, parameters as {@link RNNCellBase}. */
public class GRUCell extends RNNCellBase {
    /**
     * A cell with biases, initialised from the default generator.
     *
     * @param inputSize size of the input's features, at least 0
     * @param hiddenSize H, size of the hidden state, positive
     * @throws IllegalArgumentException for a size out of range
     */
    public GRUCell(int inputSize, int hiddenSize) {
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
    public GRUCell(int inputSize, int hiddenSize, boolean bias) {
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
    public GRUCell(int inputSize, int hiddenSize, boolean bias, Generator gen) {
        super("GRUCell", 3, inputSize, hiddenSize, bias, gen);
    }

    /**
     * The new hidden state from a zero state.
     *
     * @param input (B, input_size) or unbatched (input_size)
     * @return the new hidden state h' (B, H), or (H) unbatched
     */
    @Override
    public Tensor forward(Tensor input) {
        return step(input, (Tensor) null)[0];
    }

    /**
     * {@code cell(input, h)}; h null means zeros.
     *
     * @param input (B, input_size) or unbatched (input_size)
     * @param h hidden state (B, H) ((H) unbatched), or null for zeros
     * @return the new hidden state h', shaped as {@code h}
     * @throws IllegalArgumentException for wrong ranks or sizes
     */
    public Tensor forward(Tensor input, Tensor h) {
        return step(input, h)[0];
    }
}
