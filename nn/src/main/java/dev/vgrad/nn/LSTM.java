package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.utils.PackedSequence;

/**
 * Multi-layer long short-term memory ({@code nn.LSTM}, docs/SEMANTICS.md §22). Per step, with gates i,f,g,o:
 * <pre>
 * i = σ(W_ii x + b_ii + W_hi h + b_hi)    f = σ(W_if x + b_if + W_hf h + b_hf)
 * g = tanh(W_ig x + b_ig + W_hg h + b_hg) o = σ(W_io x + b_io + W_ho h + b_ho)
 * c' = f ⊙ c + i ⊙ g                      h' = o ⊙ tanh(c')
 * </pre>
 * Input {@code (T, B, input_size)} ({@code (B, T, input_size)} when {@code batch_first}) or unbatched
 * {@code (T, input_size)}; output {@code (T, B, D·H)} (D = 2 when bidirectional, the reverse direction's states in
 * the last H columns); {@code h_n}, {@code c_n} {@code (num_layers·D, B, H)}. Parameters as in {@link RNNBase}.
 *
 * <p>With {@code proj_size} P &gt; 0 (an LSTM with projections, docs/SEMANTICS.md §22) each layer and direction has
 * one more parameter {@code weight_hr_l{k}[_reverse]} of shape {@code (P, H)}, registered after the biases, and
 * {@code h' = W_hr·(o ⊙ tanh(c'))}: the hidden state, and so the output, {@code h0} and {@code h_n}, are P wide
 * (output {@code (T, B, D·P)}), {@code weight_hh} is {@code (4H, P)}, the next layer reads {@code D·P} features, and
 * the cell state {@code c0}/{@code c_n} keeps H. Such a layer runs as recorded tensor ops step by step rather than
 * one fused node ({@link dev.vgrad.core.Recurrent#lstmLayerProjected}); {@code proj_size = 0} is the plain LSTM.
 */
public class LSTM extends RNNBase {
    /**
     * {@code output, (h_n, c_n)} of PyTorch's LSTM.
     *
     * @param output (T, B, D·H) in the input's layout, or (T, D·H) unbatched: the last layer's h at every step
     *     (D·P wide with a projection)
     * @param hN (num_layers·D, B, H), or (num_layers·D, H) unbatched: every layer's final hidden state (P wide with
     *     a projection)
     * @param cN the final cell states, shaped as {@code hN} but always H wide
     */
    public record Output(Tensor output, Tensor hN, Tensor cN) {}

    /**
     * {@code output, (h_n, c_n)} of PyTorch's LSTM for a packed input (docs/SEMANTICS.md §22.5).
     *
     * @param output the last layer's h at every real step, packed like the input: data {@code (N, D·H)}
     *     ({@code D·P} with a projection) with the input's batch sizes and indices
     * @param hN (num_layers·D, B, H), each sequence's final hidden state (the forward direction's at the
     *     sequence's own last step, the reverse direction's at step 0), in the caller's batch order
     * @param cN the final cell states, shaped as {@code hN} but always H wide
     */
    public record PackedOutput(PackedSequence output, Tensor hN, Tensor cN) {}

    /**
     * One layer, bias, sequence-first, no dropout, one direction.
     *
     * @param inputSize size of each input step's features, at least 0
     * @param hiddenSize H, size of the hidden state, positive
     * @throws IllegalArgumentException for a size out of range
     */
    public LSTM(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, 1, true, false, 0.0, false, Generator.defaultGenerator());
    }

    /**
     * All of PyTorch's options but {@code proj_size} (no projection), initialised from the default generator.
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
    public LSTM(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout,
                boolean bidirectional) {
        this(inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional,
                Generator.defaultGenerator());
    }

    /**
     * All of PyTorch's options, initialised from the default generator.
     *
     * @param inputSize size of each input step's features, at least 0
     * @param hiddenSize H, size of the cell state, positive
     * @param numLayers number of stacked layers, positive
     * @param bias whether each layer has {@code bias_ih} and {@code bias_hh}
     * @param batchFirst batched inputs and outputs are (B, T, *) instead of (T, B, *)
     * @param dropout dropout probability on every layer's output but the last, in training mode; in [0, 1]
     * @param bidirectional also run each layer over the reversed sequence (D = 2)
     * @param projSize P, size of the projected hidden state, in [0, H); 0 for no projection
     * @throws IllegalArgumentException for a size or probability out of range (PyTorch's texts for
     *     {@code proj_size})
     */
    public LSTM(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout,
                boolean bidirectional, int projSize) {
        this(inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, projSize,
                Generator.defaultGenerator());
    }

    /**
     * All of PyTorch's options but {@code proj_size} (no projection), initialised from {@code gen}.
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
    public LSTM(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout,
                boolean bidirectional, Generator gen) {
        this(inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, 0, gen);
    }

    /**
     * All of PyTorch's options, initialised from {@code gen}.
     *
     * @param inputSize size of each input step's features, at least 0
     * @param hiddenSize H, size of the cell state, positive
     * @param numLayers number of stacked layers, positive
     * @param bias whether each layer has {@code bias_ih} and {@code bias_hh}
     * @param batchFirst batched inputs and outputs are (B, T, *) instead of (T, B, *)
     * @param dropout dropout probability on every layer's output but the last, in training mode; in [0, 1]
     * @param bidirectional also run each layer over the reversed sequence (D = 2)
     * @param projSize P, size of the projected hidden state, in [0, H); 0 for no projection
     * @param gen source of the initial weights
     * @throws IllegalArgumentException for a size or probability out of range (PyTorch's texts for
     *     {@code proj_size}) or a null generator
     */
    public LSTM(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout,
                boolean bidirectional, int projSize, Generator gen) {
        super("LSTM", 4, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, projSize, gen);
    }

    /**
     * {@code lstm(input, (h0, c0))}: the output sequence and the final states. {@code h0} and {@code c0} are both
     * given or both null (zeros). Calling this directly skips module hooks, as {@code module.forward} does.
     *
     * @param input (T, B, input_size), (B, T, input_size) with batch_first, or unbatched (T, input_size)
     * @param h0 initial hidden states (num_layers·D, B, H) ((num_layers·D, H) unbatched; P instead of H with a
     *     projection), or null for zeros
     * @param c0 initial cell states (num_layers·D, B, H) ((num_layers·D, H) unbatched), or null for zeros
     * @return the output sequence and the final hidden and cell states
     * @throws IllegalArgumentException for wrong ranks or sizes, or only one of h0 and c0
     */
    public Output forward(Tensor input, Tensor h0, Tensor c0) {
        if ((h0 == null) != (c0 == null)) {
            throw new IllegalArgumentException("LSTM: h0 and c0 must both be given or both be null");
        }
        Tensor[] r = run(input, h0, c0);
        return new Output(r[0], r[1], r[2]);
    }

    /**
     * {@code lstm(packed)}: a packed batch of variable-length sequences from zero initial states.
     *
     * @param input a packed sequence whose data is {@code (N, input_size)}
     * @return the packed output and each sequence's final states
     * @throws IllegalArgumentException for packed data that is not 2-D or has the wrong input_size
     */
    public PackedOutput forward(PackedSequence input) {
        return forward(input, null, null);
    }

    /**
     * {@code lstm(packed, (h0, c0))}: a packed batch of variable-length sequences. Each sequence runs exactly its
     * own length (padding never exists); the reverse direction of a bidirectional layer starts at each sequence's
     * own last element. Calling this directly skips module hooks, as {@code module.forward} does.
     *
     * @param input a packed sequence whose data is {@code (N, input_size)}
     * @param h0 initial hidden states (num_layers·D, B, H) (P instead of H with a projection), B =
     *     {@code batchSizes[0]}, in the caller's batch order (the order before any sorting), or null for zeros
     * @param c0 initial cell states (num_layers·D, B, H), in the caller's batch order, or null for zeros
     * @return the packed output (same batch sizes and indices as the input) and the final states in the caller's
     *     batch order
     * @throws IllegalArgumentException for packed data that is not 2-D or has the wrong input_size, states of the
     *     wrong shape (PyTorch's {@code Expected hidden[0] size …}), or only one of h0 and c0
     */
    public PackedOutput forward(PackedSequence input, Tensor h0, Tensor c0) {
        if ((h0 == null) != (c0 == null)) {
            throw new IllegalArgumentException("LSTM: h0 and c0 must both be given or both be null");
        }
        Tensor[] r = runPacked(input, h0, c0);
        return new PackedOutput(new PackedSequence(r[0], input.batchSizes(), input.sortedIndices(),
                input.unsortedIndices()), r[1], r[2]);
    }
}
