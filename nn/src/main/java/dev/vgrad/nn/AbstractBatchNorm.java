package dev.vgrad.nn;

import dev.vgrad.core.DType;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import java.util.Map;

/**
 * Batch normalisation shared by {@link BatchNorm1d} and {@link BatchNorm2d} (PyTorch's {@code _BatchNorm},
 * docs/SEMANTICS.md §3): batch statistics (biased variance) in training, with the running statistics updated in
 * place under no-grad (unbiased variance, {@code momentum} or a cumulative average when it is null); running
 * statistics in eval when tracked, batch statistics otherwise.
 */
public abstract class AbstractBatchNorm extends Module {
    private final int numFeatures;
    private final double eps;
    private final Double momentum;
    private final boolean affine;
    private final boolean trackRunningStats;

    /**
     * Registers γ, β and the running statistics as PyTorch's {@code _BatchNorm} does.
     *
     * @param numFeatures C, the number of channels, positive
     * @param eps added to the variance inside the square root; finite, at least 0
     * @param momentum running-statistics update factor in [0, 1], or null for a cumulative moving average
     * @param affine whether to learn a (C) scale {@code weight} and shift {@code bias}
     * @param trackRunningStats whether to keep running statistics (and use them in eval mode)
     * @throws IllegalArgumentException for a value out of range
     */
    protected AbstractBatchNorm(int numFeatures, double eps, Double momentum, boolean affine,
                                boolean trackRunningStats) {
        if (numFeatures <= 0) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": num_features must be positive, got "
                    + numFeatures);
        }
        this.numFeatures = numFeatures;
        this.eps = Check.eps(getClass().getSimpleName(), eps);
        if (momentum != null && !(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": momentum must be in [0, 1] (or null "
                    + "for a cumulative average), got " + momentum);
        }
        this.momentum = momentum;
        this.affine = affine;
        this.trackRunningStats = trackRunningStats;
        if (affine) {
            registerParameter("weight", Parameter.of(Tensor.ones(numFeatures)));
            registerParameter("bias", Parameter.of(Tensor.zeros(numFeatures)));
        } else {
            registerParameter("weight", null);
            registerParameter("bias", null);
        }
        if (trackRunningStats) {
            registerBuffer("running_mean", Tensor.zeros(numFeatures));
            registerBuffer("running_var", Tensor.ones(numFeatures));
            registerBuffer("num_batches_tracked", Tensor.zeros(DType.INT64));
        } else {
            registerBuffer("running_mean", null);
            registerBuffer("running_var", null);
            registerBuffer("num_batches_tracked", null);
        }
    }

    /**
     * Throws PyTorch's ValueError for an input of the wrong rank.
     *
     * @param input the input passed to {@link #forward(Tensor)}
     * @throws IllegalArgumentException when its rank is not one the subclass accepts
     */
    protected abstract void checkInputDim(Tensor input);

    /**
     * The learnable scale γ.
     *
     * @return the (C) parameter itself, or null when not affine
     */
    public Tensor weight() {
        return param("weight");
    }

    /**
     * The learnable shift β.
     *
     * @return the (C) parameter itself, or null when not affine
     */
    public Tensor bias() {
        return param("bias");
    }

    /**
     * The running mean buffer.
     *
     * @return the (C) buffer itself (updated in place), or null when statistics are not tracked
     */
    public Tensor runningMean() {
        return buffer("running_mean");
    }

    /**
     * The running (unbiased) variance buffer.
     *
     * @return the (C) buffer itself (updated in place), or null when statistics are not tracked
     */
    public Tensor runningVar() {
        return buffer("running_var");
    }

    /**
     * The number of training batches seen.
     *
     * @return the 0-d int64 buffer itself, or null when statistics are not tracked
     */
    public Tensor numBatchesTracked() {
        return buffer("num_batches_tracked");
    }

    /**
     * The number of channels C.
     *
     * @return {@code num_features}
     */
    public int numFeatures() {
        return numFeatures;
    }

    /**
     * The value added to the variance.
     *
     * @return {@code eps}
     */
    public double eps() {
        return eps;
    }

    /**
     * The momentum, or null for a cumulative moving average.
     *
     * @return {@code momentum}, or null
     */
    public Double momentum() {
        return momentum;
    }

    /**
     * Whether γ and β are learnt.
     *
     * @return {@code affine}
     */
    public boolean affine() {
        return affine;
    }

    /**
     * Whether running statistics are kept.
     *
     * @return {@code track_running_stats}
     */
    public boolean trackRunningStats() {
        return trackRunningStats;
    }

    /** Running mean ← 0, running var ← 1, batches tracked ← 0 (in place); γ and β are untouched. */
    public void resetRunningStats() {
        if (trackRunningStats) {
            try (Grad.Scope off = Grad.disabled()) {
                runningMean().zero_();
                runningVar().fill_(1);
                numBatchesTracked().zero_();
            }
        }
    }

    /** {@link #resetRunningStats()} plus γ ← 1, β ← 0. */
    public void resetParameters() {
        resetRunningStats();
        if (affine) {
            try (Grad.Scope off = Grad.disabled()) {
                weight().fill_(1);
                bias().zero_();
            }
        }
    }

    /**
     * Normalises each channel with {@link F#batchNorm(Tensor, Tensor, Tensor, Tensor, Tensor, boolean, double,
     * double)}.
     *
     * @param input (N, C, *) as the subclass accepts
     * @return a new tensor of the input's shape
     * @throws IllegalArgumentException for a rank the subclass rejects
     */
    @Override
    public Tensor forward(Tensor input) {
        checkInputDim(input);
        double factor = momentum == null ? 0.0 : momentum;
        Tensor rm = runningMean();
        Tensor rv = runningVar();
        if (training && trackRunningStats) {
            Tensor nbt = numBatchesTracked();
            if (nbt != null) {
                try (Grad.Scope off = Grad.disabled()) {
                    nbt.add_(1);
                }
                if (momentum == null) {
                    factor = 1.0 / nbt.toLongArray()[0];
                }
            }
        }
        boolean bnTraining = training || (rm == null && rv == null);
        boolean passStats = !training || trackRunningStats;
        return F.batchNorm(input, passStats ? rm : null, passStats ? rv : null, weight(), bias(), bnTraining, factor,
                eps);
    }

    @Override
    protected void preLoadStateDict(Map<String, Tensor> stateDict, String prefix) {
        String key = prefix + "num_batches_tracked";
        Tensor nbt = numBatchesTracked();
        if (nbt != null && !stateDict.containsKey(key)) {
            stateDict.put(key, nbt.detach().cloneTensor());
        }
    }

    @Override
    public String extraRepr() {
        return numFeatures + ", eps=" + Py.repr(eps) + ", momentum=" + (momentum == null ? "None" : Py.repr(momentum))
                + ", affine=" + Py.repr(affine) + ", track_running_stats=" + Py.repr(trackRunningStats);
    }
}
