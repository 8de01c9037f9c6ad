package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/**
 * Root-mean-square normalisation over the trailing {@code normalizedShape} dims ({@code nn.RMSNorm}, torch 2.4):
 * {@code y = x / sqrt(mean(x²) + eps) · weight}; {@code eps} null means {@code torch.finfo(x.dtype).eps}; weight
 * (normalizedShape) starts at 1 when {@code elementwiseAffine}. Same in train and eval (docs/SEMANTICS.md §19).
 */
public class RMSNorm extends Module {
    private final int[] normalizedShape;
    private final Double eps;
    private final boolean elementwiseAffine;

    /**
     * RMS norm with eps {@code torch.finfo(x.dtype).eps} and a learnable weight.
     *
     * @param normalizedShape the trailing dims to normalise over, each positive, at least one
     * @throws IllegalArgumentException for an empty or non-positive shape
     */
    public RMSNorm(int... normalizedShape) {
        this(normalizedShape, null, true);
    }

    /**
     * RMS norm with every PyTorch option.
     *
     * @param normalizedShape the trailing dims to normalise over, each positive, at least one
     * @param eps added to the mean square (finite, at least 0), or null for the input dtype's machine epsilon
     * @param elementwiseAffine whether to learn a weight (ones) of shape {@code normalizedShape}
     * @throws IllegalArgumentException for an empty or non-positive shape or a bad eps
     */
    public RMSNorm(int[] normalizedShape, Double eps, boolean elementwiseAffine) {
        Check.nonNull("RMSNorm", "normalized_shape", normalizedShape);
        if (normalizedShape.length == 0) {
            throw new IllegalArgumentException("RMSNorm: normalized_shape must have at least one dimension");
        }
        Check.positive("RMSNorm", "normalized_shape", normalizedShape);
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps == null ? null : Check.eps("RMSNorm", eps);
        this.elementwiseAffine = elementwiseAffine;
        registerParameter("weight", elementwiseAffine ? Parameter.of(Tensor.ones(normalizedShape)) : null);
    }

    /**
     * The learnable scale.
     *
     * @return the parameter of shape {@code normalizedShape} itself, or null
     */
    public Tensor weight() {
        return param("weight");
    }

    /**
     * Normalises over the trailing dims with {@link F#rmsNorm}.
     *
     * @param input (*, normalizedShape)
     * @return a new tensor of the input's shape
     * @throws IllegalStateException when the trailing dims are not {@code normalizedShape}
     */
    @Override
    public Tensor forward(Tensor input) {
        return F.rmsNorm(input, normalizedShape, weight(), eps);
    }

    @Override
    public String extraRepr() {
        return Py.tuple(normalizedShape) + ", eps=" + (eps == null ? "None" : Py.repr(eps))
                + ", elementwise_affine=" + Py.repr(elementwiseAffine);
    }
}
