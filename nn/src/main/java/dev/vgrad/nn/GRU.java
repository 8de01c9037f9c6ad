package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.utils.PackedSequence;

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
     * {@code output, h_n} of PyTorch's GRU for a packed input (docs/SEMANTICS.md §22.5).
     *
     * @param output the last layer's h at every real step, packed like the input: data {@code (N, D·H)} with the
     *     input's batch sizes and indices
     * @param hN (num_layers·D, B, H), each sequence's final hidden state (the forward direction's at the
     *     sequence's own last step, the reverse direction's at step 0), in the caller's batch order
     */
    public record PackedOutput(PackedSequence output, Tensor hN) {}

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

    /**
     * {@code gru(packed)}: a packed batch of variable-length sequences from a zero initial state.
     *
     * @param input a packed sequence whose data is {@code (N, input_size)}
     * @return the packed output and each sequence's final state
     * @throws IllegalArgumentException for packed data that is not 2-D or has the wrong input_size
     */
    public PackedOutput forward(PackedSequence input) {
        return forward(input, null);
    }

    /**
     * {@code gru(packed, h0)}: a packed batch of variable-length sequences. Each sequence runs exactly its own
     * length; the reverse direction of a bidirectional layer starts at each sequence's own last element. Calling
     * this directly skips module hooks, as {@code module.forward} does.
     *
     * @param input a packed sequence whose data is {@code (N, input_size)}
     * @param h0 initial hidden states (num_layers·D, B, H), B = {@code batchSizes[0]}, in the caller's batch
     *     order (the order before any sorting), or null for zeros
     * @return the packed output (same batch sizes and indices as the input) and the final states in the caller's
     *     batch order
     * @throws IllegalArgumentException for packed data that is not 2-D or has the wrong input_size, or an h0 of
     *     the wrong shape (PyTorch's {@code Expected hidden size …})
     */
    public PackedOutput forward(PackedSequence input, Tensor h0) {
        Tensor[] r = runPacked(input, h0, null);
        return new PackedOutput(new PackedSequence(r[0], input.batchSizes(), input.sortedIndices(),
                input.unsortedIndices()), r[1]);
    }
}
