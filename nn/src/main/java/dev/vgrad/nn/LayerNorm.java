package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** Layer normalisation over the trailing {@code normalizedShape} dims ({@code nn.LayerNorm}); γ = 1, β = 0. */
public class LayerNorm extends Module {
    private final int[] normalizedShape;
    private final double eps;
    private final boolean elementwiseAffine;

    public LayerNorm(int... normalizedShape) {
        this(normalizedShape, 1e-5, true, true);
    }

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

    public Tensor weight() {
        return param("weight");
    }

    public Tensor bias() {
        return param("bias");
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.layerNorm(input, normalizedShape, weight(), bias(), eps);
    }

    @Override
    public String extraRepr() {
        return Py.tuple(normalizedShape) + ", eps=" + Py.repr(eps) + ", elementwise_affine=" + Py.repr(elementwiseAffine);
    }
}
