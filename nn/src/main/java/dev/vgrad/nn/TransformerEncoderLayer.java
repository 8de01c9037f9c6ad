package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/**
 * {@code nn.TransformerEncoderLayer} (docs/SEMANTICS.md §21.4): self-attention and a feed-forward block, each with a
 * residual connection and LayerNorm,
 * <pre>
 * norm_first = false:  x = norm1(x + sa(x));        x = norm2(x + ff(x))
 * norm_first = true:   x = x + sa(norm1(x));        x = x + ff(norm2(x))
 * sa(x) = dropout1(self_attn(x, x, x, need_weights=False))     ff(x) = dropout2(linear2(dropout(act(linear1(x)))))
 * </pre>
 * with act relu or gelu (exact). Children and parameters carry PyTorch's names ({@code self_attn.in_proj_weight},
 * {@code linear1.weight}, {@code norm1.weight}, …), drawn in PyTorch's order from the generator, which also draws
 * the dropout masks (active only in training mode).
 */
public class TransformerEncoderLayer extends Module {
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
    public TransformerEncoderLayer(int dModel, int nhead) {
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
     * @param layerNormEps eps of both LayerNorms
     * @param batchFirst inputs and outputs are (N, S, E) instead of (S, N, E)
     * @param normFirst apply LayerNorm before each block (pre-norm) instead of after the residual add
     * @param gen source of the initial weights and of the dropout masks
     * @throws IllegalArgumentException for an unknown activation, sizes out of range or a null generator
     */
    public TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward, double dropout, String activation,
                                   double layerNormEps, boolean batchFirst, boolean normFirst, Generator gen) {
        Check.nonNull("TransformerEncoderLayer", "generator", gen);
        this.dModel = dModel;
        this.nhead = nhead;
        this.dimFeedforward = dimFeedforward;
        this.dropoutP = dropout;
        this.activation = TransformerDecoderLayer.checkActivation(activation);
        this.layerNormEps = layerNormEps;
        this.batchFirst = batchFirst;
        this.normFirst = normFirst;
        registerModule("self_attn", new MultiheadAttention(dModel, nhead, dropout, true, null, null, batchFirst, gen));
        registerModule("linear1", new Linear(dModel, dimFeedforward, true, gen));
        registerModule("dropout", new Dropout(dropout, gen));
        registerModule("linear2", new Linear(dimFeedforward, dModel, true, gen));
        registerModule("norm1", new LayerNorm(new int[] {dModel}, layerNormEps, true, true));
        registerModule("norm2", new LayerNorm(new int[] {dModel}, layerNormEps, true, true));
        registerModule("dropout1", new Dropout(dropout, gen));
        registerModule("dropout2", new Dropout(dropout, gen));
    }

    /** A new layer with this one's configuration and a copy of its parameters and mode (PyTorch's deepcopy). */
    TransformerEncoderLayer copy(Generator gen) {
        TransformerEncoderLayer c = new TransformerEncoderLayer(dModel, nhead, dimFeedforward, dropoutP, activation,
                layerNormEps, batchFirst, normFirst, gen);
        c.to(dtypeOf());
        c.loadStateDict(stateDict(), true);
        c.train(isTraining());
        return c;
    }

    private dev.vgrad.core.DType dtypeOf() {
        return ((Linear) child("linear1")).weight().dtype();
    }

    /**
     * Whether inputs and outputs are (N, S, E) rather than (S, N, E).
     *
     * @return {@code batch_first}
     */
    public boolean batchFirst() {
        return batchFirst;
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
     * The self-attention block ({@code self_attn}).
     *
     * @return the registered {@code self_attn} child
     */
    public MultiheadAttention selfAttn() {
        return (MultiheadAttention) child("self_attn");
    }

    /**
     * {@code layer(src)}: no masks.
     *
     * @param src (S, N, E), (N, S, E) with batch_first, or unbatched (S, E)
     * @return a new tensor of src's shape
     */
    @Override
    public Tensor forward(Tensor src) {
        return forward(src, null, null);
    }

    /**
     * {@code layer(src, src_mask, src_key_padding_mask)}: masks as {@link MultiheadAttention} takes them (bool:
     * true = masked; floating: additive).
     *
     * @param src (S, N, E), (N, S, E) with batch_first, or unbatched (S, E)
     * @param srcMask attention mask (S, S) or (N·nhead, S, S), or null
     * @param srcKeyPaddingMask (N, S) (or (S) unbatched) mask of padded positions, or null
     * @return a new tensor of src's shape
     * @throws IllegalArgumentException for shapes or masks the attention rejects
     */
    public Tensor forward(Tensor src, Tensor srcMask, Tensor srcKeyPaddingMask) {
        Check.nonNull("TransformerEncoderLayer", "src", src);
        Tensor x = src;
        Module n1 = child("norm1"), n2 = child("norm2");
        if (normFirst) {
            x = x.add(sa(n1.call(x), srcMask, srcKeyPaddingMask));
            x = x.add(ff(n2.call(x)));
        } else {
            x = n1.call(x.add(sa(x, srcMask, srcKeyPaddingMask)));
            x = n2.call(x.add(ff(x)));
        }
        return x;
    }

    private Tensor sa(Tensor x, Tensor mask, Tensor kpm) {
        Tensor y = selfAttn().forward(x, x, x, kpm, false, mask, true).output();
        return child("dropout1").call(y);
    }

    private Tensor ff(Tensor x) {
        Tensor h = TransformerDecoderLayer.act(activation, child("linear1").call(x));
        return child("dropout2").call(child("linear2").call(child("dropout").call(h)));
    }
}
