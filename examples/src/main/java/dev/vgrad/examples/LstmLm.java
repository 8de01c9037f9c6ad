package dev.vgrad.examples;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.Embedding;
import dev.vgrad.nn.F;
import dev.vgrad.nn.Init;
import dev.vgrad.nn.Linear;
import dev.vgrad.nn.Module;
import dev.vgrad.nn.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A character-level LSTM language model: {@code embed} (V, E) → {@code lstm} (num_layers, batch_first, zero
 * initial state) → {@code head} Linear (H → V). {@code bench/lm/lstm_lm_torch.py} is its PyTorch twin, with the
 * same parameter names ({@code lstm.weight_ih_l0}, …) and init laws: Embedding ~ N(0, 1), every LSTM tensor
 * ~ U(−1/√H, 1/√H), Linear PyTorch's default.
 *
 * <p>The recurrence is {@link Lstm}, a module with {@code nn.LSTM}'s parameter names, shapes and gate order
 * (i, f, g, o), so the coming fused {@code nn.LSTM} replaces it in two lines.
 */
final class LstmLm extends Module {
    /** Model shape. */
    record Config(int vocabSize, int embedDim, int hiddenSize, int numLayers) {
        Config {
            if (vocabSize < 1 || embedDim < 1 || hiddenSize < 1 || numLayers < 1) {
                throw new IllegalArgumentException("LstmLm: vocab_size, embed_dim, hidden_size and num_layers must be "
                        + "positive, got " + this);
            }
        }

        String describe() {
            return String.format(Locale.ROOT, "embed=%d hidden=%d num_layers=%d vocab=%d", embedDim, hiddenSize,
                    numLayers, vocabSize);
        }
    }

    private final Config cfg;
    private final Embedding embed;
    private final Lstm lstm;
    private final Linear head;

    LstmLm(Config cfg, Generator gen) {
        this.cfg = cfg;
        embed = registerModule("embed", new Embedding(cfg.vocabSize(), cfg.embedDim(), null, gen));
        lstm = registerModule("lstm", new Lstm(cfg.embedDim(), cfg.hiddenSize(), cfg.numLayers(), gen));
        head = registerModule("head", new Linear(cfg.hiddenSize(), cfg.vocabSize(), true, gen));
    }

    Config config() {
        return cfg;
    }

    /** Logits {@code [B, T, V]} for int64 token ids {@code [B, T]}, from a zero initial state. */
    @Override
    public Tensor forward(Tensor idx) {
        if (idx.dim() != 2) {
            throw new IllegalArgumentException("LstmLm: expected token ids of shape [B, T], got "
                    + java.util.Arrays.toString(idx.shape()));
        }
        return head.call(lstm.call(embed.call(idx)));
    }

    /**
     * A batch-first LSTM with {@code nn.LSTM}'s parameters {@code weight_ih_l{k}} (4H, in),
     * {@code weight_hh_l{k}} (4H, H), {@code bias_ih_l{k}}, {@code bias_hh_l{k}} (4H), gates in the order i, f, g, o:
     * {@code c' = σ(f)·c + σ(i)·tanh(g)}, {@code h' = σ(o)·tanh(c')}. Forward maps {@code [B, T, in]} to the last
     * layer's outputs {@code [B, T, H]} from zero states.
     */
    static final class Lstm extends Module {
        private final int hidden;
        private final int numLayers;

        Lstm(int inputSize, int hidden, int numLayers, Generator gen) {
            this.hidden = hidden;
            this.numLayers = numLayers;
            double bound = 1 / Math.sqrt(hidden);
            for (int l = 0; l < numLayers; l++) {
                int in = l == 0 ? inputSize : hidden;
                Tensor[] ps = {
                    registerParameter("weight_ih_l" + l, Parameter.of(Tensor.zeros(4 * hidden, in))),
                    registerParameter("weight_hh_l" + l, Parameter.of(Tensor.zeros(4 * hidden, hidden))),
                    registerParameter("bias_ih_l" + l, Parameter.of(Tensor.zeros(4 * hidden))),
                    registerParameter("bias_hh_l" + l, Parameter.of(Tensor.zeros(4 * hidden)))};
                for (Tensor p : ps) {
                    Init.uniform(p, -bound, bound, gen);
                }
            }
        }

        @Override
        public Tensor forward(Tensor x) {
            // per-step inputs as a list: the backward of a view (narrow/select) builds a gradient of the whole
            // tensor it views, so selecting step s from a [B, T, 4H] projection at every step would cost O(T²·4H);
            // slicing the narrower input once, and handing each layer's outputs to the next as a list, keeps it
            // to O(T²·in) for the first layer only
            int t = x.size(1);
            List<Tensor> steps = new ArrayList<>(t);
            for (int s = 0; s < t; s++) {
                steps.add(x.select(1, s));
            }
            for (int l = 0; l < numLayers; l++) {
                steps = layer(steps, param("weight_ih_l" + l), param("weight_hh_l" + l), param("bias_ih_l" + l),
                        param("bias_hh_l" + l), hidden);
            }
            return Tensor.stack(steps, 1);
        }

        /** One layer over the per-step inputs {@code [B, in]}; returns the per-step outputs h {@code [B, H]}. */
        static List<Tensor> layer(List<Tensor> xs, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh, int hidden) {
            int b = xs.get(0).size(0);
            Tensor h = Tensor.zeros(b, hidden);
            Tensor c = Tensor.zeros(b, hidden);
            List<Tensor> outs = new ArrayList<>(xs.size());
            for (Tensor xt : xs) {
                Tensor gates = F.linear(xt, wIh, bIh).add(F.linear(h, wHh, bHh));
                List<Tensor> g = gates.split(hidden, 1);
                c = g.get(1).sigmoid().mul(c).add(g.get(0).sigmoid().mul(g.get(2).tanh()));
                h = g.get(3).sigmoid().mul(c.tanh());
                outs.add(h);
            }
            return outs;
        }
    }
}
