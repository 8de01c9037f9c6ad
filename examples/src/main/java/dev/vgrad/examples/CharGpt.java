package dev.vgrad.examples;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.Embedding;
import dev.vgrad.nn.F;
import dev.vgrad.nn.Init;
import dev.vgrad.nn.LayerNorm;
import dev.vgrad.nn.Linear;
import dev.vgrad.nn.Module;
import dev.vgrad.nn.Sequential;
import java.util.Locale;

/**
 * A character-level GPT in the shape of nanoGPT ({@code bench/lm/char_gpt_torch.py} is its PyTorch twin, with the
 * same parameter names, shapes and init laws):
 *
 * <pre>
 * x = wte[idx] + wpe[0..T)                             transformer.wte (V, C), transformer.wpe (block, C)
 * for each block h.i:  x = x + attn(ln_1(x))           causal self-attention, n_head heads of C / n_head
 *                      x = x + mlp(ln_2(x))            c_fc (4C) → GELU (exact erf) → c_proj (C)
 * logits = lm_head(ln_f(x))                            lm_head tied to wte (no parameter of its own) or untied
 * </pre>
 *
 * Init (nanoGPT's): every Linear and Embedding weight ~ N(0, 0.02), the residual projections ({@code c_proj})
 * ~ N(0, 0.02/√(2·n_layer)), biases 0, LayerNorm weight 1 and bias 0. No dropout.
 *
 * <p>The attention is {@link #attention}: vgrad's fused {@code F.scaledDotProductAttention} (online softmax,
 * the T×T matrix never built).
 */
final class CharGpt extends Module {
    /** Model shape. */
    record Config(int vocabSize, int blockSize, int nLayer, int nHead, int nEmbd, boolean tied) {
        Config {
            if (vocabSize < 1 || blockSize < 1 || nLayer < 1 || nHead < 1 || nEmbd < 1) {
                throw new IllegalArgumentException("CharGpt: vocab_size, block_size, n_layer, n_head and n_embd must "
                        + "be positive, got " + this);
            }
            if (nEmbd % nHead != 0) {
                throw new IllegalArgumentException("CharGpt: n_embd (" + nEmbd + ") must be divisible by n_head ("
                        + nHead + ")");
            }
        }

        String describe() {
            return String.format(Locale.ROOT, "n_layer=%d n_head=%d n_embd=%d block_size=%d vocab=%d %s", nLayer,
                    nHead, nEmbd, blockSize, vocabSize, tied ? "tied" : "untied");
        }
    }

    private final Config cfg;
    private final Module transformer;
    private final Embedding wte;
    private final Embedding wpe;
    private final Sequential h;
    private final LayerNorm lnF;
    private final Linear lmHead;
    /** Positions 0..block_size-1 (int64), narrowed to T per call: no allocation per step. */
    private final Tensor positions;

    CharGpt(Config cfg, Generator gen) {
        this.cfg = cfg;
        int c = cfg.nEmbd();
        transformer = registerModule("transformer", new Container());
        wte = transformer.registerModule("wte", new Embedding(cfg.vocabSize(), c, null, gen));
        wpe = transformer.registerModule("wpe", new Embedding(cfg.blockSize(), c, null, gen));
        h = transformer.registerModule("h", new Sequential());
        for (int i = 0; i < cfg.nLayer(); i++) {
            h.append(new Block(c, cfg.nHead(), gen));
        }
        lnF = transformer.registerModule("ln_f", new LayerNorm(c));
        lmHead = cfg.tied() ? null : registerModule("lm_head", new Linear(c, cfg.vocabSize(), false, gen));
        // nanoGPT's _init_weights, in module order, then the scaled residual projections
        for (Module m : modules()) {
            if (m instanceof Linear l) {
                Init.normal(l.weight(), 0, 0.02, gen);
                if (l.bias() != null) {
                    Init.zeros(l.bias());
                }
            } else if (m instanceof Embedding e) {
                Init.normal(e.weight(), 0, 0.02, gen);
            }
        }
        double projStd = 0.02 / Math.sqrt(2.0 * cfg.nLayer());
        for (var e : namedParameters().entrySet()) {
            if (e.getKey().endsWith("c_proj.weight")) {
                Init.normal(e.getValue(), 0, projStd, gen);
            }
        }
        positions = Tensor.arange(cfg.blockSize());
    }

    Config config() {
        return cfg;
    }

    /** Logits {@code [B, T, V]} for int64 token ids {@code [B, T]} with {@code T ≤ block_size}. */
    @Override
    public Tensor forward(Tensor idx) {
        if (idx.dim() != 2) {
            throw new IllegalArgumentException("CharGpt: expected token ids of shape [B, T], got "
                    + java.util.Arrays.toString(idx.shape()));
        }
        int t = idx.size(1);
        if (t > cfg.blockSize()) {
            throw new IllegalArgumentException("CharGpt: cannot forward a sequence of length " + t
                    + ", block size is only " + cfg.blockSize());
        }
        Tensor x = wte.call(idx).add(wpe.call(positions.narrow(0, 0, t)));
        x = lnF.call(h.call(x));
        return lmHead != null ? lmHead.call(x) : F.linear(x, wte.weight(), null);
    }

    /**
     * Scaled dot-product attention over {@code [B, H, T, D]} tensors: softmax(q·kᵀ/√D, masked to j ≤ i when
     * {@code causal})·v, by the fused kernel.
     */
    static Tensor attention(Tensor q, Tensor k, Tensor v, boolean causal) {
        return F.scaledDotProductAttention(q, k, v, null, 0.0, causal, null);
    }

    /** A named container (nanoGPT's {@code transformer} ModuleDict); never called. */
    static final class Container extends Module {
        @Override
        public Tensor forward(Tensor input) {
            throw new UnsupportedOperationException("transformer is a container");
        }
    }

    /** Pre-norm block: {@code x + attn(ln_1(x))}, then {@code x + mlp(ln_2(x))}. */
    static final class Block extends Module {
        private final LayerNorm ln1;
        private final SelfAttention attn;
        private final LayerNorm ln2;
        private final Mlp mlp;

        Block(int c, int nHead, Generator gen) {
            ln1 = registerModule("ln_1", new LayerNorm(c));
            attn = registerModule("attn", new SelfAttention(c, nHead, gen));
            ln2 = registerModule("ln_2", new LayerNorm(c));
            mlp = registerModule("mlp", new Mlp(c, gen));
        }

        @Override
        public Tensor forward(Tensor x) {
            x = x.add(attn.call(ln1.call(x)));
            return x.add(mlp.call(ln2.call(x)));
        }
    }

    /** Causal self-attention: {@code c_attn} (C → 3C: q, k, v), heads, {@link #attention}, {@code c_proj}. */
    static final class SelfAttention extends Module {
        private final Linear cAttn;
        private final Linear cProj;
        private final int nHead;

        SelfAttention(int c, int nHead, Generator gen) {
            this.nHead = nHead;
            cAttn = registerModule("c_attn", new Linear(c, 3 * c, true, gen));
            cProj = registerModule("c_proj", new Linear(c, c, true, gen));
        }

        @Override
        public Tensor forward(Tensor x) {
            int b = x.size(0);
            int t = x.size(1);
            int c = x.size(2);
            int d = c / nHead;
            var qkv = cAttn.call(x).split(c, 2);
            Tensor q = qkv.get(0).view(b, t, nHead, d).transpose(1, 2);
            Tensor k = qkv.get(1).view(b, t, nHead, d).transpose(1, 2);
            Tensor v = qkv.get(2).view(b, t, nHead, d).transpose(1, 2);
            Tensor y = attention(q, k, v, true);
            return cProj.call(y.transpose(1, 2).reshape(b, t, c));
        }
    }

    /** {@code c_proj(gelu(c_fc(x)))} with a 4C hidden layer. */
    static final class Mlp extends Module {
        private final Linear cFc;
        private final Linear cProj;

        Mlp(int c, Generator gen) {
            cFc = registerModule("c_fc", new Linear(c, 4 * c, true, gen));
            cProj = registerModule("c_proj", new Linear(4 * c, c, true, gen));
        }

        @Override
        public Tensor forward(Tensor x) {
            return cProj.call(F.gelu(cFc.call(x)));
        }
    }
}
