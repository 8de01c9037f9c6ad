package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;

/**
 * Lookup table ({@code nn.Embedding}): weight (num, dim) ~ N(0, 1); the row at {@code paddingIdx} (if any) is
 * zero-initialised and receives no gradient. Inputs are int64 indices of any shape.
 */
public class Embedding extends Module {
    private final int numEmbeddings;
    private final int embeddingDim;
    private final Integer paddingIdx;

    public Embedding(int numEmbeddings, int embeddingDim) {
        this(numEmbeddings, embeddingDim, null, Generator.defaultGenerator());
    }

    public Embedding(int numEmbeddings, int embeddingDim, Integer paddingIdx, Generator gen) {
        if (numEmbeddings <= 0 || embeddingDim < 0) {
            throw new IllegalArgumentException("Embedding: num_embeddings must be positive and embedding_dim "
                    + "non-negative, got " + numEmbeddings + " and " + embeddingDim);
        }
        Check.nonNull("Embedding", "generator", gen);
        if (paddingIdx != null) {
            if (paddingIdx >= numEmbeddings || paddingIdx < -numEmbeddings) {
                throw new IllegalArgumentException(paddingIdx >= 0 ? "Padding_idx must be within num_embeddings"
                        : "Padding_idx must be within num_embeddings");
            }
            if (paddingIdx < 0) {
                paddingIdx = paddingIdx + numEmbeddings;
            }
        }
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        this.paddingIdx = paddingIdx;
        Tensor w = Parameter.of(Tensor.zeros(numEmbeddings, embeddingDim));
        registerParameter("weight", w);
        Init.normal(w, 0, 1, gen);
        if (paddingIdx != null) {
            try (Grad.Scope off = Grad.disabled()) {
                w.select(0, paddingIdx).fill_(0);
            }
        }
    }

    public Tensor weight() {
        return param("weight");
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.embedding(input, weight(), paddingIdx);
    }

    @Override
    public String extraRepr() {
        return numEmbeddings + ", " + embeddingDim + (paddingIdx != null ? ", padding_idx=" + paddingIdx : "");
    }
}
