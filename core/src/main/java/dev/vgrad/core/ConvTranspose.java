package dev.vgrad.core;

/**
 * Transposed convolution ({@code torch.nn.functional.conv_transpose2d}), kept out of {@link Tensor} so the core
 * tensor API stays small. For an input {@code y} (N, C_in, H, W) and weight (C_in, C_out/groups, kH, kW) the
 * result is {@code Aᵀ y}, where {@code A} is the convolution with that weight (read as (out=C_in, in/groups,
 * kH, kW)), the same stride, padding, dilation and groups, mapping (N, C_out, H_out, W_out) to y's shape, and
 * {@code H_out = (H − 1)·stride − 2·padding + dilation·(kH − 1) + output_padding + 1} (likewise W). Hence the
 * adjoint law {@code <conv2d(x, w), y> = <x, conv_transpose2d(y, w)>}. See docs/SEMANTICS.md §19.
 */
public final class ConvTranspose {
    private ConvTranspose() {}

    /**
     * {@code F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)}; 3-D
     * inputs are one unbatched sample; {@code bias} (C_out) may be null. {@code outputPadding} must be smaller
     * than the stride or the dilation (PyTorch's rule).
     *
     * @param input the input, (N, C_in, H, W) or unbatched (C_in, H, W), floating
     * @param weight the filters, (C_in, C_out/groups, kH, kW), of the input's dtype
     * @param bias the per-channel offsets, (C_out), or null
     * @param stride {sH, sW}, or one value for both, or null for 1
     * @param padding {pH, pW} removed from each side of the full output, or one value, or null for 0
     * @param outputPadding {oH, oW} extra rows/columns at the bottom/right, or one value, or null for 0
     * @param groups the number of channel groups, ≥ 1, dividing C_in and C_out
     * @param dilation {dH, dW}, or one value, or null for 1
     * @return a new tensor (N, C_out, H_out, W_out) (or unbatched), H_out as in the class comment
     * @throws IllegalArgumentException for a bias of another dtype or shape, or invalid sizes
     */
    public static Tensor convTranspose2d(Tensor input, Tensor weight, Tensor bias, int[] stride, int[] padding,
                                         int[] outputPadding, int groups, int[] dilation) {
        if (bias != null && input != null && bias.dtype() != input.dtype()) {
            throw new IllegalArgumentException("conv_transpose2d: expected bias to have dtype " + input.dtype()
                    + " as the input, got " + bias.dtype());
        }
        Tensor out = ConvOps.convTranspose2d(input, weight, stride, padding, outputPadding, dilation, groups);
        if (bias == null) {
            return out;
        }
        int cOut = out.size(out.dim() - 3);
        if (bias.dim() != 1 || bias.size(0) != cOut) {
            throw new IllegalArgumentException("conv_transpose2d: bias should have shape [" + cOut + "], got "
                    + Shape.str(bias.shape()));
        }
        return out.add(bias.reshape(cOut, 1, 1));
    }
}
