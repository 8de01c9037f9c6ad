package dev.vgrad.examples;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.Embedding;
import dev.vgrad.nn.LSTM;
import dev.vgrad.nn.Linear;
import dev.vgrad.nn.Module;
import java.util.Locale;

/**
 * A character-level LSTM language model: {@code embed} (V, E) → {@code lstm} (num_layers, batch_first, zero
 * initial state) → {@code head} Linear (H → V). {@code bench/lm/lstm_lm_torch.py} is its PyTorch twin, with the
 * same parameter names ({@code lstm.weight_ih_l0}, …) and init laws: Embedding ~ N(0, 1), every LSTM tensor
 * ~ U(−1/√H, 1/√H), Linear PyTorch's default.
 *
 * <p>The recurrence is vgrad's fused {@link LSTM} (batch_first), with {@code nn.LSTM}'s parameter names, shapes,
 * gate order (i, f, g, o) and init draw order.
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
    private final LSTM lstm;
    private final Linear head;

    LstmLm(Config cfg, Generator gen) {
        this.cfg = cfg;
        embed = registerModule("embed", new Embedding(cfg.vocabSize(), cfg.embedDim(), null, gen));
        lstm = registerModule("lstm", new LSTM(cfg.embedDim(), cfg.hiddenSize(), cfg.numLayers(), true, true, 0.0, false,
                gen));
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
}
