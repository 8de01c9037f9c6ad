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
    /** {@code output, h_n} of PyTorch's GRU. */
    public record Output(Tensor output, Tensor hN) {}

    /** One layer, bias, sequence-first, no dropout, one direction. */
    public GRU(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, 1, true, false, 0.0, false, Generator.defaultGenerator());
    }

    /** All of PyTorch's options, initialised from the default generator. */
    public GRU(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout,
               boolean bidirectional) {
        this(inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional,
                Generator.defaultGenerator());
    }

    /** As above, initialised from {@code gen}. */
    public GRU(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout,
               boolean bidirectional, Generator gen) {
        super("GRU", 3, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, gen);
    }

    /** {@code gru(input, h0)}: the output sequence and the final state; {@code h0} null means zeros. */
    public Output forward(Tensor input, Tensor h0) {
        Tensor[] r = run(input, h0, null);
        return new Output(r[0], r[1]);
    }
}
