package dev.vgrad.optim;

import java.util.List;

/**
 * AdamW (docs/SEMANTICS.md §6.4, {@code torch.optim.AdamW}): Adam with decoupled weight decay
 * {@code θ = θ·(1 - γ·λ)} applied before the moment updates, using the raw learning rate. Defaults as
 * {@link Adam} except {@code weight_decay=1e-2}. Same state keys as Adam.
 */
public final class AdamW extends Adam {

    /**
     * Fresh default options ({@code weight_decay=1e-2}).
     *
     * @return new mutable options holding AdamW's defaults
     */
    public static Options options() {
        return new Options(1e-2);
    }

    /**
     * AdamW with default hyper-parameters.
     *
     * @param params the {@link dev.vgrad.core.Tensor}s to optimize (one group) or a list of {@link ParamGroup}s
     */
    public AdamW(List<?> params) {
        this(params, options());
    }

    /**
     * AdamW with the given learning rate and other defaults.
     *
     * @param params the {@link dev.vgrad.core.Tensor}s to optimize (one group) or a list of {@link ParamGroup}s
     * @param lr     the learning rate γ, {@code >= 0}
     */
    public AdamW(List<?> params, double lr) {
        this(params, options().lr(lr));
    }

    /**
     * AdamW over tensors or {@link ParamGroup}s with the given defaults.
     *
     * @param params  the {@link dev.vgrad.core.Tensor}s to optimize (one group) or a list of {@link ParamGroup}s
     * @param options the defaults ({@code lr} γ, {@code betas} (β1, β2), {@code eps}, {@code weight_decay} λ,
     *                {@code amsgrad}, {@code maximize}); groups override them per key
     * @throws IllegalArgumentException for an empty or invalid parameter list or an invalid hyper-parameter
     */
    public AdamW(List<?> params, Options options) {
        super(params, options, true);
    }
}
