package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/**
 * {@code nn.TransformerEncoder(encoder_layer, num_layers, norm)} (docs/SEMANTICS.md §21.4): {@code num_layers}
 * copies of {@code encoderLayer} (same configuration, same initial parameters, as PyTorch's deepcopy), applied in
 * order with the same masks, then the optional final {@code norm}. State-dict keys are PyTorch's:
 * {@code layers.0.self_attn.in_proj_weight}, …, {@code norm.weight}.
 */
public class TransformerEncoder extends Module {
    private final int numLayers;

    /**
     * {@code norm} may be null (no final norm).
     *
     * @param encoderLayer template layer; copied {@code numLayers} times (the template itself is not registered)
     * @param numLayers number of copies, at least 0
     * @param norm final normalisation, or null for none
     * @throws IllegalArgumentException for a null layer or a negative count
     */
    public TransformerEncoder(TransformerEncoderLayer encoderLayer, int numLayers, LayerNorm norm) {
        Check.nonNull("TransformerEncoder", "encoder_layer", encoderLayer);
        if (numLayers < 0) {
            throw new IllegalArgumentException("TransformerEncoder: num_layers must be non-negative, got " + numLayers);
        }
        this.numLayers = numLayers;
        Sequential layers = new Sequential();
        for (int i = 0; i < numLayers; i++) {
            layers.append(encoderLayer.copy(encoderLayer.selfAttn().generator()));
        }
        registerModule("layers", layers);
        registerModule("norm", norm);
    }

    /**
     * The number of stacked layers.
     *
     * @return {@code num_layers}
     */
    public int numLayers() {
        return numLayers;
    }

    /**
     * The i-th layer.
     *
     * @param i index in [−numLayers, numLayers); negative counts from the end
     * @return the registered layer {@code layers.i}
     * @throws IndexOutOfBoundsException for an index out of range
     */
    public TransformerEncoderLayer layer(int i) {
        return (TransformerEncoderLayer) ((Sequential) child("layers")).get(i);
    }

    /**
     * Runs every layer without masks, then the final norm.
     *
     * @param src (S, N, E), (N, S, E) with batch_first, or unbatched (S, E)
     * @return a new tensor of src's shape
     */
    @Override
    public Tensor forward(Tensor src) {
        return forward(src, null, null);
    }

    /**
     * {@code encoder(src, mask, src_key_padding_mask)}.
     *
     * @param src (S, N, E), (N, S, E) with batch_first, or unbatched (S, E)
     * @param mask attention mask (S, S) or (N·nhead, S, S) given to every layer, or null
     * @param srcKeyPaddingMask (N, S) mask of padded positions given to every layer, or null
     * @return a new tensor of src's shape (src itself when there are no layers and no norm)
     */
    public Tensor forward(Tensor src, Tensor mask, Tensor srcKeyPaddingMask) {
        Check.nonNull("TransformerEncoder", "src", src);
        Tensor x = src;
        for (int i = 0; i < numLayers; i++) {
            x = layer(i).forward(x, mask, srcKeyPaddingMask);
        }
        Module norm = child("norm");
        return norm == null ? x : norm.call(x);
    }
}
