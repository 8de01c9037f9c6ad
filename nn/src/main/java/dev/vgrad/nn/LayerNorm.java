package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Layer normalisation over the trailing {@code normalizedShape} dims ({@code nn.LayerNorm}); γ = 1, β = 0. */
public class LayerNorm extends Module {
    private final int[] normalizedShape;
    private final double eps;
    private final boolean elementwiseAffine;

    /**
     * Layer norm with eps 1e-5, a learnable weight and bias.
     *
     * @param normalizedShape the trailing dims to normalise over, each positive, at least one
     * @throws IllegalArgumentException for an empty or non-positive shape
     */
    public LayerNorm(int... normalizedShape) {
        this(normalizedShape, 1e-5, true, true);
    }

    /**
     * Layer norm with every PyTorch option.
     *
     * @param normalizedShape the trailing dims to normalise over, each positive, at least one
     * @param eps added to the variance inside the square root; finite, at least 0
     * @param elementwiseAffine whether to learn a weight (ones) of shape {@code normalizedShape}
     * @param bias whether to learn a bias (zeros) too; only with {@code elementwiseAffine}
     * @throws IllegalArgumentException for an empty or non-positive shape or a bad eps
     */
    public LayerNorm(int[] normalizedShape, double eps, boolean elementwiseAffine, boolean bias) {
        Check.nonNull("LayerNorm", "normalized_shape", normalizedShape);
        if (normalizedShape.length == 0) {
            throw new IllegalArgumentException("LayerNorm: normalized_shape must have at least one dimension");
        }
        Check.positive("LayerNorm", "normalized_shape", normalizedShape);
        this.normalizedShape = normalizedShape.clone();
        this.eps = Check.eps("LayerNorm", eps);
        this.elementwiseAffine = elementwiseAffine;
        if (elementwiseAffine) {
            registerParameter("weight", Parameter.of(Tensor.ones(normalizedShape)));
            registerParameter("bias", bias ? Parameter.of(Tensor.zeros(normalizedShape)) : null);
        } else {
            registerParameter("weight", null);
            registerParameter("bias", null);
        }
    }

    /**
     * The learnable scale γ.
     *
     * @return the parameter of shape {@code normalizedShape} itself, or null
     */
    public Tensor weight() {
        return param("weight");
    }

    /**
     * The learnable shift β.
     *
     * @return the parameter of shape {@code normalizedShape} itself, or null
     */
    public Tensor bias() {
        return param("bias");
    }

    /**
     * Normalises over the trailing dims with {@link F#layerNorm}.
     *
     * @param input (*, normalizedShape)
     * @return a new tensor of the input's shape
     * @throws IllegalStateException when the trailing dims are not {@code normalizedShape}
     */
    @Override
    public Tensor forward(Tensor input) {
        return F.layerNorm(input, normalizedShape, weight(), bias(), eps);
    }

    @Override
    public String extraRepr() {
        return Py.tuple(normalizedShape) + ", eps=" + Py.repr(eps) + ", elementwise_affine=" + Py.repr(elementwiseAffine);
    }
}
