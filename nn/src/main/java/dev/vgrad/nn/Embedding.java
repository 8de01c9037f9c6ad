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

    /**
     * A table without a padding row, drawn from the default generator.
     *
     * @param numEmbeddings V, the number of rows, positive
     * @param embeddingDim D, the width of each row, at least 0
     * @throws IllegalArgumentException for a size out of range
     */
    public Embedding(int numEmbeddings, int embeddingDim) {
        this(numEmbeddings, embeddingDim, null, Generator.defaultGenerator());
    }

    /**
     * A table drawn from {@code gen}.
     *
     * @param numEmbeddings V, the number of rows, positive
     * @param embeddingDim D, the width of each row, at least 0
     * @param paddingIdx row in [−V, V) kept at zero and given no gradient (negative counts from V), or null
     * @param gen source of the N(0, 1) initial weights
     * @throws IllegalArgumentException for a size or padding index out of range or a null generator
     */
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

    /**
     * The lookup table.
     *
     * @return the (V, D) parameter itself
     */
    public Tensor weight() {
        return param("weight");
    }

    /**
     * Looks up the rows {@code input} names with {@link F#embedding}.
     *
     * @param input int64 indices in [0, V) of any shape (*)
     * @return (*, D) in the weight's dtype
     * @throws IllegalArgumentException for non-int64 indices
     * @throws IndexOutOfBoundsException for an index outside [0, V)
     */
    @Override
    public Tensor forward(Tensor input) {
        return F.embedding(input, weight(), paddingIdx);
    }

    @Override
    public String extraRepr() {
        return numEmbeddings + ", " + embeddingDim + (paddingIdx != null ? ", padding_idx=" + paddingIdx : "");
    }
}
