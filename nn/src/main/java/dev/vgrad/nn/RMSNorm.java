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

    public RMSNorm(int... normalizedShape) {
        this(normalizedShape, null, true);
    }

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

    public Tensor weight() {
        return param("weight");
    }

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
