package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/**
 * {@code nn.TransformerDecoder(decoder_layer, num_layers, norm)} (docs/SEMANTICS.md §21.4): {@code num_layers}
 * copies of {@code decoderLayer} (same configuration, same initial parameters, as PyTorch's deepcopy), applied in
 * order to the target with the same {@code memory} and masks, then the optional final {@code norm},
 * <pre>
 * x = tgt
 * for i in 0 … num_layers−1:  x = layers.i(x, memory, tgt_mask, memory_mask, tgt_kpm, memory_kpm)
 * out = norm(x) if norm is not null, else x
 * </pre>
 * State-dict keys are PyTorch's: {@code layers.0.self_attn.in_proj_weight}, {@code layers.0.multihead_attn.…}, …,
 * {@code norm.weight}. The stack needs two inputs, so {@link #forward(Tensor)} is refused: call
 * {@link #forward(Tensor, Tensor)} or the full form.
 */
public class TransformerDecoder extends Module {
    private final int numLayers;

    /**
     * {@code norm} may be null (no final norm).
     *
     * @param decoderLayer template layer; copied {@code numLayers} times (the template itself is not registered)
     * @param numLayers number of copies, at least 0
     * @param norm final normalisation, or null for none
     * @throws IllegalArgumentException for a null layer or a negative count
     */
    public TransformerDecoder(TransformerDecoderLayer decoderLayer, int numLayers, LayerNorm norm) {
        Check.nonNull("TransformerDecoder", "decoder_layer", decoderLayer);
        if (numLayers < 0) {
            throw new IllegalArgumentException("TransformerDecoder: num_layers must be non-negative, got " + numLayers);
        }
        this.numLayers = numLayers;
        Sequential layers = new Sequential();
        for (int i = 0; i < numLayers; i++) {
            layers.append(decoderLayer.copy(decoderLayer.generator()));
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
    public TransformerDecoderLayer layer(int i) {
        return (TransformerDecoderLayer) ((Sequential) child("layers")).get(i);
    }

    /**
     * Always refused: a decoder needs the target and the encoder memory.
     *
     * @param input ignored
     * @return never
     * @throws IllegalStateException always
     */
    @Override
    public Tensor forward(Tensor input) {
        throw new IllegalStateException("TransformerDecoder.forward needs tgt and memory: call "
                + "forward(tgt, memory) or forward(tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, "
                + "memoryKeyPaddingMask)");
    }

    /**
     * {@code decoder(tgt, memory)}: every layer without masks, then the final norm.
     *
     * @param tgt target sequence (T, N, E), (N, T, E) with batch_first, or unbatched (T, E)
     * @param memory encoder output (S, N, E) in the same layout
     * @return a new tensor of tgt's shape (tgt itself when there are no layers and no norm)
     * @throws IllegalArgumentException for a null input or shapes the attention rejects
     */
    public Tensor forward(Tensor tgt, Tensor memory) {
        return forward(tgt, memory, null, null, null, null);
    }

    /**
     * {@code decoder(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask)}.
     *
     * @param tgt target sequence (T, N, E), (N, T, E) with batch_first, or unbatched (T, E)
     * @param memory encoder output (S, N, E) in the same layout, given to every layer
     * @param tgtMask self-attention mask (T, T) or (N·nhead, T, T), e.g. causal, given to every layer; or null
     * @param memoryMask cross-attention mask (T, S) or (N·nhead, T, S) given to every layer, or null
     * @param tgtKeyPaddingMask (N, T) mask of padded target positions given to every layer, or null
     * @param memoryKeyPaddingMask (N, S) mask of padded memory positions given to every layer, or null
     * @return a new tensor of tgt's shape (tgt itself when there are no layers and no norm)
     * @throws IllegalArgumentException for a null input or shapes and masks the attention rejects
     */
    public Tensor forward(Tensor tgt, Tensor memory, Tensor tgtMask, Tensor memoryMask, Tensor tgtKeyPaddingMask,
                          Tensor memoryKeyPaddingMask) {
        Check.nonNull("TransformerDecoder", "tgt", tgt);
        Check.nonNull("TransformerDecoder", "memory", memory);
        Tensor x = tgt;
        for (int i = 0; i < numLayers; i++) {
            x = layer(i).forward(x, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask);
        }
        Module norm = child("norm");
        return norm == null ? x : norm.call(x);
    }
}
