package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/**
 * {@code nn.TransformerDecoderLayer} (docs/SEMANTICS.md §21.4): self-attention, attention over the encoder output
 * {@code memory}, and a feed-forward block, each with a residual connection and LayerNorm,
 * <pre>
 * norm_first = false:  x = norm1(x + sa(x));  x = norm2(x + mha(x, mem));  x = norm3(x + ff(x))
 * norm_first = true:   x = x + sa(norm1(x));  x = x + mha(norm2(x), mem);  x = x + ff(norm3(x))
 * sa = dropout1 ∘ self_attn,  mha = dropout2 ∘ multihead_attn,  ff(x) = dropout3(linear2(dropout(act(linear1(x)))))
 * </pre>
 * Names, layouts and draw order are PyTorch's. The layer needs two inputs, so {@link #forward(Tensor)} is refused:
 * call {@link #forward(Tensor, Tensor)} or the full form.
 */
public class TransformerDecoderLayer extends Module {
    private final int dModel;
    private final int nhead;
    private final int dimFeedforward;
    private final double dropoutP;
    private final String activation;
    private final double layerNormEps;
    private final boolean batchFirst;
    private final boolean normFirst;

    /**
     * PyTorch's defaults: dim_feedforward 2048, dropout 0.1, relu, eps 1e-5, sequence-first, post-norm.
     *
     * @param dModel E, the model width, divisible by {@code nhead}
     * @param nhead number of attention heads
     * @throws IllegalArgumentException for sizes {@link MultiheadAttention} rejects
     */
    public TransformerDecoderLayer(int dModel, int nhead) {
        this(dModel, nhead, 2048, 0.1, "relu", 1e-5, false, false, Generator.defaultGenerator());
    }

    /**
     * {@code activation} is "relu" or "gelu".
     *
     * @param dModel E, the model width, divisible by {@code nhead}
     * @param nhead number of attention heads
     * @param dimFeedforward width of the feed-forward block's hidden layer
     * @param dropout dropout probability (attention weights and the four dropouts), in [0, 1]
     * @param activation "relu" or "gelu" (exact)
     * @param layerNormEps eps of the three LayerNorms
     * @param batchFirst inputs and outputs are (N, T, E) instead of (T, N, E)
     * @param normFirst apply LayerNorm before each block (pre-norm) instead of after the residual add
     * @param gen source of the initial weights and of the dropout masks
     * @throws IllegalArgumentException for an unknown activation, sizes out of range or a null generator
     */
    public TransformerDecoderLayer(int dModel, int nhead, int dimFeedforward, double dropout, String activation,
                                   double layerNormEps, boolean batchFirst, boolean normFirst, Generator gen) {
        Check.nonNull("TransformerDecoderLayer", "generator", gen);
        this.dModel = dModel;
        this.nhead = nhead;
        this.dimFeedforward = dimFeedforward;
        this.dropoutP = dropout;
        this.activation = checkActivation(activation);
        this.layerNormEps = layerNormEps;
        this.batchFirst = batchFirst;
        this.normFirst = normFirst;
        registerModule("self_attn", new MultiheadAttention(dModel, nhead, dropout, true, null, null, batchFirst, gen));
        registerModule("multihead_attn", new MultiheadAttention(dModel, nhead, dropout, true, null, null, batchFirst,
                gen));
        registerModule("linear1", new Linear(dModel, dimFeedforward, true, gen));
        registerModule("dropout", new Dropout(dropout, gen));
        registerModule("linear2", new Linear(dimFeedforward, dModel, true, gen));
        registerModule("norm1", new LayerNorm(new int[] {dModel}, layerNormEps, true, true));
        registerModule("norm2", new LayerNorm(new int[] {dModel}, layerNormEps, true, true));
        registerModule("norm3", new LayerNorm(new int[] {dModel}, layerNormEps, true, true));
        registerModule("dropout1", new Dropout(dropout, gen));
        registerModule("dropout2", new Dropout(dropout, gen));
        registerModule("dropout3", new Dropout(dropout, gen));
    }

    /** A new layer with this one's configuration and a copy of its parameters and mode (PyTorch's deepcopy). */
    TransformerDecoderLayer copy(Generator gen) {
        TransformerDecoderLayer c = new TransformerDecoderLayer(dModel, nhead, dimFeedforward, dropoutP, activation,
                layerNormEps, batchFirst, normFirst, gen);
        c.to(((Linear) child("linear1")).weight().dtype());
        c.loadStateDict(stateDict(), true);
        c.train(isTraining());
        return c;
    }

    /** The generator the layer was built with (its attention's dropout generator), for {@link #copy}. */
    Generator generator() {
        return ((MultiheadAttention) child("self_attn")).generator();
    }

    static String checkActivation(String activation) {
        if (!"relu".equals(activation) && !"gelu".equals(activation)) {
            throw new IllegalArgumentException("activation should be relu/gelu, not " + activation);
        }
        return activation;
    }

    static Tensor act(String activation, Tensor x) {
        return "relu".equals(activation) ? F.relu(x) : F.gelu(x);
    }

    /**
     * Whether the layer is pre-norm.
     *
     * @return {@code norm_first}
     */
    public boolean normFirst() {
        return normFirst;
    }

    /**
     * Always refused: a decoder layer needs the target and the encoder memory.
     *
     * @param input ignored
     * @return never
     * @throws IllegalStateException always
     */
    @Override
    public Tensor forward(Tensor input) {
        throw new IllegalStateException("TransformerDecoderLayer.forward needs tgt and memory: call "
                + "forward(tgt, memory) or forward(tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, "
                + "memoryKeyPaddingMask)");
    }

    /**
     * {@code layer(tgt, memory)}: no masks.
     *
     * @param tgt target sequence (T, N, E), (N, T, E) with batch_first, or unbatched (T, E)
     * @param memory encoder output (S, N, E) in the same layout
     * @return a new tensor of tgt's shape
     */
    public Tensor forward(Tensor tgt, Tensor memory) {
        return forward(tgt, memory, null, null, null, null);
    }

    /**
     * {@code layer(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask)}.
     *
     * @param tgt target sequence (T, N, E), (N, T, E) with batch_first, or unbatched (T, E)
     * @param memory encoder output (S, N, E) in the same layout
     * @param tgtMask self-attention mask (T, T) or (N·nhead, T, T), e.g. causal; or null
     * @param memoryMask cross-attention mask (T, S) or (N·nhead, T, S), or null
     * @param tgtKeyPaddingMask (N, T) mask of padded target positions, or null
     * @param memoryKeyPaddingMask (N, S) mask of padded memory positions, or null
     * @return a new tensor of tgt's shape
     * @throws IllegalArgumentException for shapes or masks the attention rejects
     */
    public Tensor forward(Tensor tgt, Tensor memory, Tensor tgtMask, Tensor memoryMask, Tensor tgtKeyPaddingMask,
                          Tensor memoryKeyPaddingMask) {
        Check.nonNull("TransformerDecoderLayer", "tgt", tgt);
        Check.nonNull("TransformerDecoderLayer", "memory", memory);
        Tensor x = tgt;
        Module n1 = child("norm1"), n2 = child("norm2"), n3 = child("norm3");
        if (normFirst) {
            x = x.add(sa(n1.call(x), tgtMask, tgtKeyPaddingMask));
            x = x.add(mha(n2.call(x), memory, memoryMask, memoryKeyPaddingMask));
            x = x.add(ff(n3.call(x)));
        } else {
            x = n1.call(x.add(sa(x, tgtMask, tgtKeyPaddingMask)));
            x = n2.call(x.add(mha(x, memory, memoryMask, memoryKeyPaddingMask)));
            x = n3.call(x.add(ff(x)));
        }
        return x;
    }

    private Tensor sa(Tensor x, Tensor mask, Tensor kpm) {
        MultiheadAttention a = (MultiheadAttention) child("self_attn");
        return child("dropout1").call(a.forward(x, x, x, kpm, false, mask, true).output());
    }

    private Tensor mha(Tensor x, Tensor mem, Tensor mask, Tensor kpm) {
        MultiheadAttention a = (MultiheadAttention) child("multihead_attn");
        return child("dropout2").call(a.forward(x, mem, mem, kpm, false, mask, true).output());
    }

    private Tensor ff(Tensor x) {
        Tensor h = act(activation, child("linear1").call(x));
        return child("dropout3").call(child("linear2").call(child("dropout").call(h)));
    }
}
