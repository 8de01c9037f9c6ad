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

    /** {@code norm} may be null (no final norm). */
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

    public int numLayers() {
        return numLayers;
    }

    /** The i-th layer. */
    public TransformerEncoderLayer layer(int i) {
        return (TransformerEncoderLayer) ((Sequential) child("layers")).get(i);
    }

    @Override
    public Tensor forward(Tensor src) {
        return forward(src, null, null);
    }

    /** {@code encoder(src, mask, src_key_padding_mask)}. */
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
