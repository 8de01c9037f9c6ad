package dev.vgrad.nn;

import dev.vgrad.core.AttentionOps;
import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;

/**
 * {@code nn.MultiheadAttention} (docs/SEMANTICS.md §21.3):
 * <pre>
 * headᵢ = softmax(Qᵢ·Kᵢᵀ/√d + M)·Vᵢ,  Q = query·W_qᵀ + b_q, K = key·W_kᵀ + b_k, V = value·W_vᵀ + b_v
 * out   = concat(head₁ … head_h)·W_oᵀ + b_o            (d = embed_dim / num_heads)
 * </pre>
 * Parameters have PyTorch's names and layouts, so a PyTorch state dict loads: {@code in_proj_weight (3E, E)} and
 * {@code in_proj_bias (3E)} when kdim = vdim = embed_dim, else {@code q_proj_weight (E, E)},
 * {@code k_proj_weight (E, kdim)}, {@code v_proj_weight (E, vdim)} (and still {@code in_proj_bias}); then
 * {@code out_proj.weight}, {@code out_proj.bias}. Initialisation follows PyTorch's draw order: out_proj's default
 * Linear law, then Xavier-uniform input projections; biases 0.
 *
 * <p>Masks: a bool mask has PyTorch MHA's meaning (true = masked, i.e. not attended; the opposite of
 * {@code F.scaledDotProductAttention}'s) and a floating mask of the query's dtype is added to the scores; other
 * dtypes are refused with PyTorch's texts. {@code attnMask} is {@code (L, S)} or
 * {@code (N·num_heads, L, S)}, {@code keyPaddingMask} is {@code (N, S)} ({@code (S)} unbatched); both may be
 * given and then add. Dropout of the attention probabilities happens only in training mode. When the weights
 * are not asked for and dropout is inactive the fused kernel runs (the L×S matrix is never built); otherwise the
 * composed path computes the probabilities, which are returned after dropout (averaged over heads when
 * {@code averageAttnWeights}).
 *
 * <p>{@link #forward(Tensor)} is self-attention returning the output only (need_weights = false), so the module
 * works inside {@link Sequential}; the full call is
 * {@link #forward(Tensor, Tensor, Tensor, Tensor, boolean, Tensor, boolean)} returning an {@link Output}.
 */
public class MultiheadAttention extends Module {
    /**
     * The two results of the full call: {@code weights} is null when they were not asked for.
     *
     * @param output attention output (L, N, E), (N, L, E) with batch_first, or (L, E) unbatched
     * @param weights attention probabilities (N, L, S) averaged over heads or (N, num_heads, L, S); null if
     *     not asked for
     */
    public record Output(Tensor output, Tensor weights) {}

    private final int embedDim;
    private final int numHeads;
    private final int kdim;
    private final int vdim;
    private final double dropout;
    private final boolean batchFirst;
    private final boolean sameEmbedDim;
    private Generator generator;

    /**
     * No dropout, bias, kdim = vdim = embedDim, sequence-first, default generator.
     *
     * @param embedDim E, the model width, positive and divisible by {@code numHeads}
     * @param numHeads number of parallel heads, each of width E/numHeads
     * @throws IllegalArgumentException for a non-positive size or E not divisible by numHeads
     */
    public MultiheadAttention(int embedDim, int numHeads) {
        this(embedDim, numHeads, 0.0, true, null, null, false, Generator.defaultGenerator());
    }

    /**
     * {@code nn.MultiheadAttention(embed_dim, num_heads, dropout, bias, kdim=kdim, vdim=vdim,
     * batch_first=batchFirst)}; {@code kdim}/{@code vdim} null = embedDim; parameters drawn from {@code gen}, which
     * also draws the dropout masks.
     *
     * @param embedDim E, the model width, positive and divisible by {@code numHeads}
     * @param numHeads number of parallel heads, each of width E/numHeads
     * @param dropout dropout probability on the attention weights in training mode, in [0, 1]
     * @param bias whether the input and output projections have biases
     * @param kdim feature size of the keys, or null for E
     * @param vdim feature size of the values, or null for E
     * @param batchFirst inputs and outputs are (N, L, E) instead of (L, N, E)
     * @param gen source of the initial weights and of the dropout masks
     * @throws IllegalArgumentException for a size out of range, a bad dropout probability or a null generator
     */
    public MultiheadAttention(int embedDim, int numHeads, double dropout, boolean bias, Integer kdim, Integer vdim,
                              boolean batchFirst, Generator gen) {
        Check.nonNull("MultiheadAttention", "generator", gen);
        if (embedDim <= 0 || numHeads <= 0) {
            throw new IllegalArgumentException("embed_dim and num_heads must be greater than 0, got embed_dim="
                    + embedDim + " and num_heads=" + numHeads + " instead");
        }
        if (embedDim % numHeads != 0) {
            throw new IllegalArgumentException("embed_dim must be divisible by num_heads (embed_dim=" + embedDim
                    + ", num_heads=" + numHeads + ")");
        }
        if (!(dropout >= 0 && dropout <= 1)) {
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got "
                    + Py.repr(dropout));
        }
        this.embedDim = embedDim;
        this.numHeads = numHeads;
        this.kdim = kdim == null ? embedDim : kdim;
        this.vdim = vdim == null ? embedDim : vdim;
        if (this.kdim <= 0 || this.vdim <= 0) {
            throw new IllegalArgumentException("MultiheadAttention: kdim and vdim must be positive, got kdim="
                    + this.kdim + " and vdim=" + this.vdim);
        }
        this.dropout = dropout;
        this.batchFirst = batchFirst;
        this.sameEmbedDim = this.kdim == embedDim && this.vdim == embedDim;
        this.generator = gen;
        if (sameEmbedDim) {
            registerParameter("in_proj_weight", Parameter.of(Tensor.zeros(3 * embedDim, embedDim)));
        } else {
            registerParameter("q_proj_weight", Parameter.of(Tensor.zeros(embedDim, embedDim)));
            registerParameter("k_proj_weight", Parameter.of(Tensor.zeros(embedDim, this.kdim)));
            registerParameter("v_proj_weight", Parameter.of(Tensor.zeros(embedDim, this.vdim)));
        }
        registerParameter("in_proj_bias", bias ? Parameter.of(Tensor.zeros(3 * embedDim)) : null);
        // PyTorch builds out_proj (drawing its default init) before _reset_parameters draws the input projections
        registerModule("out_proj", new Linear(embedDim, embedDim, bias, gen));
        if (sameEmbedDim) {
            Init.xavierUniform(param("in_proj_weight"), 1.0, gen);
        } else {
            Init.xavierUniform(param("q_proj_weight"), 1.0, gen);
            Init.xavierUniform(param("k_proj_weight"), 1.0, gen);
            Init.xavierUniform(param("v_proj_weight"), 1.0, gen);
        }
        if (bias) {
            Init.zeros(outProj().bias());
        }
    }

    /**
     * The model width E.
     *
     * @return {@code embed_dim}
     */
    public int embedDim() {
        return embedDim;
    }

    /**
     * The number of heads.
     *
     * @return {@code num_heads}
     */
    public int numHeads() {
        return numHeads;
    }

    /**
     * Whether inputs and outputs put the batch dim first.
     *
     * @return {@code batch_first}
     */
    public boolean batchFirst() {
        return batchFirst;
    }

    /**
     * The attention-weight dropout probability used in training mode.
     *
     * @return {@code dropout}, in [0, 1]
     */
    public double dropout() {
        return dropout;
    }

    /**
     * The output projection ({@code out_proj}).
     *
     * @return the (E → E) output {@link Linear}, a registered child
     */
    public Linear outProj() {
        return (Linear) child("out_proj");
    }

    /**
     * The generator dropout masks are drawn from.
     *
     * @return the generator used for dropout
     */
    public Generator generator() {
        return generator;
    }

    /**
     * Sets the generator dropout masks are drawn from; returns this.
     *
     * @param gen the new dropout generator, non-null
     * @return this module
     */
    public MultiheadAttention setGenerator(Generator gen) {
        Check.nonNull("MultiheadAttention", "generator", gen);
        this.generator = gen;
        return this;
    }

    /**
     * Self-attention {@code attn(x, x, x, need_weights=False)[0]}.
     *
     * @param x (L, N, E), (N, L, E) with batch_first, or unbatched (L, E); query, key and value at once
     * @return the attention output of x's shape
     */
    @Override
    public Tensor forward(Tensor x) {
        return forward(x, x, x, null, false, null, true).output();
    }

    /**
     * {@code attn(query, key, value)}: weights averaged over heads, as PyTorch's defaults.
     *
     * @param query (L, N, E), (N, L, E) with batch_first, or unbatched (L, E)
     * @param key (S, N, kdim) in the same layout
     * @param value (S, N, vdim) in the same layout
     * @return the output (query's layout) and the head-averaged weights (N, L, S)
     */
    public Output forward(Tensor query, Tensor key, Tensor value) {
        return forward(query, key, value, null, true, null, true);
    }

    /**
     * {@code attn(query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights)}. Inputs
     * {@code (L, N, E)} (or {@code (N, L, E)} with batch_first, or unbatched {@code (L, E)}); key {@code (S, N,
     * kdim)}, value {@code (S, N, vdim)}. Returns the output {@code (L, N, E)} (same layout as query) and, when
     * {@code needWeights}, the weights {@code (N, L, S)} averaged over heads or {@code (N, num_heads, L, S)}
     * (without N when unbatched).
     *
     * @param query (L, N, E), (N, L, E) with batch_first, or unbatched (L, E)
     * @param key (S, N, kdim) in the same layout
     * @param value (S, N, vdim) in the same layout
     * @param keyPaddingMask (N, S) or (S) unbatched; bool true = ignore that key, or floating and added; or null
     * @param needWeights also return the attention weights
     * @param attnMask (L, S) or (N·num_heads, L, S); bool true = masked, or floating and added; or null
     * @param averageAttnWeights average the returned weights over the heads
     * @return the output and the weights (null unless {@code needWeights})
     * @throws IllegalArgumentException for inconsistent ranks, sizes, mask shapes or mask dtypes
     */
    public Output forward(Tensor query, Tensor key, Tensor value, Tensor keyPaddingMask, boolean needWeights,
                          Tensor attnMask, boolean averageAttnWeights) {
        String op = "MultiheadAttention";
        Check.nonNull(op, "query", query);
        Check.nonNull(op, "key", key);
        Check.nonNull(op, "value", value);
        boolean batched = query.dim() == 3;
        if (!batched && query.dim() != 2) {
            throw new IllegalArgumentException("query should be unbatched 2D or batched 3D tensor but received "
                    + query.dim() + "-D query tensor");
        }
        if (key.dim() != query.dim() || value.dim() != query.dim()) {
            throw new IllegalArgumentException("For " + (batched ? "batched (3-D)" : "unbatched (2-D)")
                    + " `query`, expected `key` and `value` to be " + (batched ? "3-D" : "2-D") + " but found "
                    + key.dim() + "-D and " + value.dim() + "-D tensors respectively");
        }
        Tensor q = query, k = key, v = value, kpm = keyPaddingMask, am = attnMask;
        if (!batched) {
            q = q.unsqueeze(1);
            k = k.unsqueeze(1);
            v = v.unsqueeze(1);
            if (kpm != null) {
                if (kpm.dim() != 1) {
                    throw new IllegalArgumentException("For unbatched (2-D) `query`, expected `key_padding_mask` to be "
                            + "`None` or 1-D but found " + kpm.dim() + "-D tensor instead");
                }
                kpm = kpm.unsqueeze(0);
            }
        } else if (batchFirst) {
            q = q.transpose(0, 1);
            k = k.transpose(0, 1);
            v = v.transpose(0, 1);
        }
        int l = q.size(0), n = q.size(1), s = k.size(0);
        if (q.size(2) != embedDim) {
            throw new IllegalArgumentException("was expecting embedding dimension of " + embedDim + ", but got "
                    + q.size(2));
        }
        if (k.size(1) != n || v.size(1) != n || v.size(0) != s) {
            throw new IllegalArgumentException(op + ": key " + Raw.shapeStr(key.shape()) + " and value "
                    + Raw.shapeStr(value.shape()) + " must share the batch size and sequence length (query "
                    + Raw.shapeStr(query.shape()) + ")");
        }
        if (k.size(2) != kdim || v.size(2) != vdim) {
            throw new IllegalArgumentException(op + ": expected key of embedding size " + kdim + " and value of "
                    + vdim + ", got key " + Raw.shapeStr(key.shape()) + " and value " + Raw.shapeStr(value.shape()));
        }
        int hd = embedDim / numHeads;
        Tensor b = param("in_proj_bias");
        Tensor wq, wk, wv;
        if (sameEmbedDim) {
            Tensor w = param("in_proj_weight");
            wq = w.narrow(0, 0, embedDim);
            wk = w.narrow(0, embedDim, embedDim);
            wv = w.narrow(0, 2 * embedDim, embedDim);
        } else {
            wq = param("q_proj_weight");
            wk = param("k_proj_weight");
            wv = param("v_proj_weight");
        }
        Tensor bq = b == null ? null : b.narrow(0, 0, embedDim);
        Tensor bk = b == null ? null : b.narrow(0, embedDim, embedDim);
        Tensor bv = b == null ? null : b.narrow(0, 2 * embedDim, embedDim);
        // (T, N, E) → (N, H, T, hd)
        Tensor qh = F.linear(q, wq, bq).reshape(l, n, numHeads, hd).permute(1, 2, 0, 3);
        Tensor kh = F.linear(k, wk, bk).reshape(s, n, numHeads, hd).permute(1, 2, 0, 3);
        Tensor vh = F.linear(v, wv, bv).reshape(s, n, numHeads, hd).permute(1, 2, 0, 3);
        Tensor mask = mergedMask(am, kpm, query.dtype(), n, l, s);
        double p = training ? dropout : 0.0;
        Tensor heads;
        Tensor weights = null;
        if (needWeights || p > 0) {
            Tensor probs = AttentionOps.attentionWeights(qh, kh, mask, false, null);
            probs = F.dropout(probs, p, true, generator);
            heads = probs.matmul(vh);
            if (needWeights) {
                weights = averageAttnWeights ? probs.mean(1) : probs;
                if (!batched) {
                    weights = weights.squeeze(0);
                }
            }
        } else {
            heads = AttentionOps.scaledDotProductAttention(qh, kh, vh, mask, false, null);
        }
        Tensor out = F.linear(heads.permute(2, 0, 1, 3).reshape(l, n, embedDim), outProj().weight(),
                outProj().bias());
        if (!batched) {
            out = out.squeeze(1);
        } else if (batchFirst) {
            out = out.transpose(0, 1);
        }
        return new Output(out, weights);
    }

    /**
     * attn_mask and key_padding_mask as one additive mask broadcastable to (N, H, L, S), or null: bool masks
     * become 0 / −∞ (true = masked), floating ones are added as given.
     */
    private Tensor mergedMask(Tensor attnMask, Tensor kpm, DType dtype, int n, int l, int s) {
        Tensor m = null;
        if (attnMask != null) {
            Tensor a = additive("attn_mask", attnMask, dtype);
            if (a.dim() == 2) {
                if (a.size(0) != l || a.size(1) != s) {
                    throw new IllegalArgumentException("The shape of the 2D attn_mask is " + Raw.shapeStr(a.shape())
                            + ", but should be (" + l + ", " + s + ").");
                }
                m = a.reshape(1, 1, l, s);
            } else if (a.dim() == 3) {
                if (a.size(0) != n * numHeads || a.size(1) != l || a.size(2) != s) {
                    throw new IllegalArgumentException("The shape of the 3D attn_mask is " + Raw.shapeStr(a.shape())
                            + ", but should be (" + n * numHeads + ", " + l + ", " + s + ").");
                }
                m = a.reshape(n, numHeads, l, s);
            } else {
                throw new IllegalArgumentException("attn_mask's dimension " + a.dim() + " is not supported");
            }
        }
        if (kpm != null) {
            if (kpm.dim() != 2 || kpm.size(0) != n || kpm.size(1) != s) {
                throw new IllegalArgumentException("expecting key_padding_mask shape of (" + n + ", " + s
                        + "), but got " + Raw.shapeStr(kpm.shape()));
            }
            Tensor k = additive("key_padding_mask", kpm, dtype).reshape(n, 1, 1, s);
            m = m == null ? k : m.add(k);
        }
        return m;
    }

    private static Tensor additive(String what, Tensor mask, DType dtype) {
        if (mask.dtype() == DType.BOOL) {
            try (Grad.Scope off = Grad.disabled()) {
                return Tensor.zeros(dtype, mask.shape()).maskedFill(mask, Double.NEGATIVE_INFINITY);
            }
        }
        if (!mask.dtype().isFloatingPoint()) {
            // torch 1.13's assertion texts
            throw new IllegalArgumentException(what.equals("attn_mask")
                    ? "Only float, byte, and bool types are supported for attn_mask, not torch." + mask.dtype()
                    : "only bool and floating types of key_padding_mask are supported");
        }
        if (mask.dtype() != dtype) {
            throw new IllegalArgumentException("MultiheadAttention: only bool and " + dtype
                    + " (float) masks are supported for " + what + ", got " + mask.dtype());
        }
        return mask;
    }
}
