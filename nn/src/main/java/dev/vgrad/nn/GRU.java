package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/**
 * Multi-layer gated recurrent unit ({@code nn.GRU}, docs/SEMANTICS.md §22). Per step, with gates r,z,n:
 * <pre>
 * r = σ(W_ir x + b_ir + W_hr h + b_hr)    z = σ(W_iz x + b_iz + W_hz h + b_hz)
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 * h' = (1 − z) ⊙ n + z ⊙ h
 * </pre>
 * Shapes as {@link LSTM} without the cell state.
 */
public class GRU extends RNNBase {
    /**
     * {@code output, h_n} of PyTorch's GRU.
     *
     * @param output (T, B, D·H) in the input's layout, or (T, D·H) unbatched: the last layer's h at every step
     * @param hN (num_layers·D, B, H), or (num_layers·D, H) unbatched: every layer's final hidden state
     */
    public record Output(Tensor output, Tensor hN) {}

    /**
     * One layer, bias, sequence-first, no dropout, one direction.
     *
     * @param inputSize size of each input step's features, at least 0
     * @param hiddenSize H, size of the hidden state, positive
     * @throws IllegalArgumentException for a size out of range
     */
    public GRU(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, 1, true, false, 0.0, false, Generator.defaultGenerator());
    }

    /**
     * All of PyTorch's options, initialised from the default generator.
     *
     * @param inputSize size of each input step's features, at least 0
     * @param hiddenSize H, size of the hidden state, positive
     * @param numLayers number of stacked layers, positive
     * @param bias whether each layer has {@code bias_ih} and {@code bias_hh}
     * @param batchFirst batched inputs and outputs are (B, T, *) instead of (T, B, *)
     * @param dropout dropout probability on every layer's output but the last, in training mode; in [0, 1]
     * @param bidirectional also run each layer over the reversed sequence (D = 2)
     * @throws IllegalArgumentException for a size or probability out of range
     */
    public GRU(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout,
               boolean bidirectional) {
        this(inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional,
                Generator.defaultGenerator());
    }

    /**
     * As above, initialised from {@code gen}.
     *
     * @param inputSize size of each input step's features, at least 0
     * @param hiddenSize H, size of the hidden state, positive
     * @param numLayers number of stacked layers, positive
     * @param bias whether each layer has {@code bias_ih} and {@code bias_hh}
     * @param batchFirst batched inputs and outputs are (B, T, *) instead of (T, B, *)
     * @param dropout dropout probability on every layer's output but the last, in training mode; in [0, 1]
     * @param bidirectional also run each layer over the reversed sequence (D = 2)
     * @param gen source of the initial weights
     * @throws IllegalArgumentException for a size or probability out of range or a null generator
     */
    public GRU(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout,
               boolean bidirectional, Generator gen) {
        super("GRU", 3, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, gen);
    }

    /**
     * {@code gru(input, h0)}: the output sequence and the final state; {@code h0} null means zeros.
     *
     * @param input (T, B, input_size), (B, T, input_size) with batch_first, or unbatched (T, input_size)
     * @param h0 initial hidden states (num_layers·D, B, H) ((num_layers·D, H) unbatched), or null for zeros
     * @return the output sequence and the final hidden states
     * @throws IllegalArgumentException for wrong ranks or sizes
     */
    public Output forward(Tensor input, Tensor h0) {
        Tensor[] r = run(input, h0, null);
        return new Output(r[0], r[1]);
    }
}
