package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Recurrent;
import dev.vgrad.core.Tensor;

/**
 * What {@link LSTMCell} and {@link GRUCell} share ({@code nn.RNNCellBase}, docs/SEMANTICS.md §22): parameters
 * {@code weight_ih (G·H, input_size)}, {@code weight_hh (G·H, H)}, {@code bias_ih}, {@code bias_hh (G·H)} in
 * PyTorch's names and gate order, drawn from U(−1/√H, 1/√H); PyTorch's input checks; one step computed by the same
 * fused node as the full layers ({@link Recurrent} with T = 1). Input {@code (B, input_size)} or unbatched
 * {@code (input_size)}; states {@code (B, H)} or {@code (H)}.
 */
public abstract class RNNCellBase extends Module {
    private final String mode;
    private final int gates;
    private final int inputSize;
    private final int hiddenSize;
    private final boolean bias;

    RNNCellBase(String mode, int gates, int inputSize, int hiddenSize, boolean bias, Generator gen) {
        Check.nonNull(mode, "generator", gen);
        if (inputSize < 0 || hiddenSize <= 0) {
            throw new IllegalArgumentException(mode + ": input_size must be non-negative and hidden_size positive, "
                    + "got input_size=" + inputSize + ", hidden_size=" + hiddenSize);
        }
        this.mode = mode;
        this.gates = gates;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.bias = bias;
        registerParameter("weight_ih", Parameter.of(Tensor.zeros(gates * hiddenSize, inputSize)));
        registerParameter("weight_hh", Parameter.of(Tensor.zeros(gates * hiddenSize, hiddenSize)));
        registerParameter("bias_ih", bias ? Parameter.of(Tensor.zeros(gates * hiddenSize)) : null);
        registerParameter("bias_hh", bias ? Parameter.of(Tensor.zeros(gates * hiddenSize)) : null);
        resetParameters(gen);
    }

    /**
     * Re-draws every parameter from U(−1/√hidden_size, 1/√hidden_size), in registration order.
     *
     * @param gen source of the draws
     */
    public void resetParameters(Generator gen) {
        double stdv = 1.0 / Math.sqrt(hiddenSize);
        for (Tensor p : parameters()) {
            Init.uniform(p, -stdv, stdv, gen);
        }
    }

    /**
     * The expected size of the input's last dim.
     *
     * @return {@code input_size}
     */
    public int inputSize() {
        return inputSize;
    }

    /**
     * The size H of the hidden state.
     *
     * @return {@code hidden_size}
     */
    public int hiddenSize() {
        return hiddenSize;
    }

    /**
     * One step. {@code states} are h (and c for LSTM), each null for zeros. Returns the new h, and for LSTM the new
     * c, shaped as the input is batched or not.
     */
    final Tensor[] step(Tensor input, Tensor... states) {
        Check.nonNull(mode + ".forward", "input", input);
        int dim = input.dim();
        if (dim != 1 && dim != 2) {
            throw new IllegalArgumentException(mode + ": Expected input to be 1-D or 2-D but received " + dim
                    + "-D tensor");
        }
        boolean batched = dim == 2;
        Tensor x = batched ? input : input.unsqueeze(0);
        if (x.size(1) != inputSize) {
            throw new IllegalArgumentException("input has inconsistent input_size: got " + x.size(1) + " expected "
                    + inputSize);
        }
        int b = x.size(0);
        Tensor[] s = new Tensor[states.length];
        for (int k = 0; k < states.length; k++) {
            Tensor t = states[k];
            if (t == null) {
                s[k] = Tensor.zeros(x.dtype(), b, hiddenSize);
                continue;
            }
            Tensor t2 = batched || t.dim() != 1 ? t : t.unsqueeze(0);
            String label = states.length == 1 ? "" : String.valueOf(k);
            if (t2.dim() != 2) {
                throw new IllegalArgumentException(mode + ": Expected hidden" + label + " to be " + (batched ? 2 : 1)
                        + "-D but received " + t.dim() + "-D tensor");
            }
            if (t2.size(0) != b) {
                throw new IllegalArgumentException("Input batch size " + b + " doesn't match hidden" + label
                        + " batch size " + t2.size(0));
            }
            if (t2.size(1) != hiddenSize) {
                throw new IllegalArgumentException("hidden" + label + " has inconsistent hidden_size: got "
                        + t2.size(1) + ", expected " + hiddenSize);
            }
            s[k] = t2;
        }
        Tensor x3 = x.unsqueeze(0);
        Tensor wIh = param("weight_ih");
        Tensor wHh = param("weight_hh");
        Tensor bIh = bias ? param("bias_ih") : null;
        Tensor bHh = bias ? param("bias_hh") : null;
        Tensor[] out;
        if (gates == 4) {
            Tensor y = Recurrent.lstmLayer(x3, s[0], s[1], wIh, wHh, bIh, bHh, false).select(0, 0);
            out = new Tensor[] {y.narrow(1, 0, hiddenSize), y.narrow(1, hiddenSize, hiddenSize)};
        } else {
            out = new Tensor[] {Recurrent.gruLayer(x3, s[0], wIh, wHh, bIh, bHh, false).select(0, 0)};
        }
        if (!batched) {
            for (int k = 0; k < out.length; k++) {
                out[k] = out[k].squeeze(0);
            }
        }
        return out;
    }

    @Override
    public String extraRepr() {
        return inputSize + ", " + hiddenSize + (bias ? "" : ", bias=False");
    }
}
