package dev.vgrad.data;

import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;
import dev.vgrad.data.transforms.Transform;
import java.util.Arrays;

/**
 * Normalisation {@code (x - mean) / std}, per channel (dimension 1 of a batch {@code [N, C, ...]}) or with one
 * mean and std for all values, like torchvision's {@code Normalize}. {@link #fit} computes the statistics of a
 * data set (population standard deviation, accumulated in double).
 */
public final class Normalize {
    private final double[] mean;
    private final double[] std;

    /**
     * One mean and standard deviation for every value.
     *
     * @param mean the value subtracted, finite
     * @param std  the divisor, finite and {@code > 0}
     * @throws IllegalArgumentException for a non-finite mean or a std that is not finite and positive
     */
    public Normalize(double mean, double std) {
        this(new double[] {mean}, new double[] {std});
    }

    /**
     * Per-channel means and standard deviations (same length; a length of 1 applies to all values).
     *
     * @param mean one finite mean per channel (copied)
     * @param std  one finite, positive standard deviation per channel (copied)
     * @throws IllegalArgumentException for null, empty or unequal-length arrays, or an invalid value
     */
    public Normalize(double[] mean, double[] std) {
        if (mean == null || std == null || mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("Normalize: mean and std must be non-empty and of equal length, got "
                    + Arrays.toString(mean) + " and " + Arrays.toString(std));
        }
        for (double s : std) {
            if (!(s > 0) || !Double.isFinite(s)) {
                throw new IllegalArgumentException("Normalize: std must be positive and finite, got "
                        + Arrays.toString(std));
            }
        }
        for (double m : mean) {
            if (!Double.isFinite(m)) {
                throw new IllegalArgumentException("Normalize: mean must be finite, got " + Arrays.toString(mean));
            }
        }
        this.mean = mean.clone();
        this.std = std.clone();
    }

    /**
     * Mean and std over all values of {@code x} (population std; a constant input gets std 1).
     *
     * @param x a non-empty tensor of any shape and dtype (e.g. a whole training set)
     * @return a new single-statistic normalisation
     * @throws IllegalArgumentException when {@code x} is empty
     */
    public static Normalize fit(Tensor x) {
        if (x.numel() == 0) {
            throw new IllegalArgumentException("Normalize.fit: empty tensor");
        }
        if (x.dtype() == DType.FLOAT32 && x.isContiguous()) {
            // large image tensors: no double copy
            float[] f = x.floatStorage();
            int off = x.storageOffset();
            int n = x.numel();
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += f[off + i];
            }
            double m = sum / n;
            double ss = 0;
            for (int i = 0; i < n; i++) {
                double d = f[off + i] - m;
                ss += d * d;
            }
            double sd = Math.sqrt(ss / n);
            return new Normalize(m, sd > 0 ? sd : 1.0);
        }
        double[] v = x.contiguous().toDoubleArray();
        double[] ms = meanStd(v, 0, 1, v.length, 1);
        return new Normalize(ms[0], ms[1]);
    }

    /**
     * Per-channel mean and std of {@code x} of shape {@code [N, C, ...]} (channel = dimension 1).
     *
     * @param x a non-empty tensor {@code [N, C, ...]} of rank {@code >= 2}
     * @return a new normalisation with C means and stds (a constant channel gets std 1)
     * @throws IllegalArgumentException for rank {@code < 2} or an empty tensor
     */
    public static Normalize fitPerChannel(Tensor x) {
        if (x.dim() < 2) {
            throw new IllegalArgumentException("Normalize.fitPerChannel: expected [N, C, ...], got shape "
                    + Arrays.toString(x.shape()));
        }
        int n = x.size(0);
        int c = x.size(1);
        int inner = n * c == 0 ? 0 : x.numel() / (n * c);
        if (n * inner == 0) {
            throw new IllegalArgumentException("Normalize.fitPerChannel: empty tensor " + Arrays.toString(x.shape()));
        }
        double[] v = x.contiguous().toDoubleArray();
        double[] mean = new double[c];
        double[] std = new double[c];
        for (int ch = 0; ch < c; ch++) {
            double[] ms = meanStd(v, ch * inner, c * inner, n, inner);
            mean[ch] = ms[0];
            std[ch] = ms[1];
        }
        return new Normalize(mean, std);
    }

    /** Mean and std of {@code blocks} blocks of {@code len} values starting at start, start+step, ... */
    private static double[] meanStd(double[] v, int start, int step, int blocks, int len) {
        double sum = 0;
        long count = (long) blocks * len;
        for (int b = 0; b < blocks; b++) {
            int base = start + b * step;
            for (int i = 0; i < len; i++) {
                sum += v[base + i];
            }
        }
        double m = sum / count;
        double ss = 0;
        for (int b = 0; b < blocks; b++) {
            int base = start + b * step;
            for (int i = 0; i < len; i++) {
                double d = v[base + i] - m;
                ss += d * d;
            }
        }
        double s = Math.sqrt(ss / count);
        return new double[] {m, s > 0 ? s : 1.0};
    }

    /**
     * The means.
     *
     * @return a copy of the means, one per channel (length 1 for a single statistic)
     */
    public double[] mean() {
        return mean.clone();
    }

    /**
     * The standard deviations.
     *
     * @return a copy of the standard deviations, one per channel (length 1 for a single statistic)
     */
    public double[] std() {
        return std.clone();
    }

    /**
     * {@code (x - mean) / std} as a new tensor (differentiable; broadcasts per channel over dimension 1).
     *
     * @param x a floating-point tensor; {@code [N, C, ...]} with C matching the statistics when per-channel
     * @return a new tensor of {@code x}'s shape and dtype
     * @throws IllegalArgumentException when per-channel statistics do not match dimension 1 of {@code x}
     */
    public Tensor apply(Tensor x) {
        if (mean.length == 1) {
            return x.sub(mean[0]).div(std[0]);
        }
        int[] bshape = channelShape(x);
        Tensor m = Tensor.of(toFloat(mean), mean.length).view(bshape);
        Tensor s = Tensor.of(toFloat(std), std.length).view(bshape);
        if (x.dtype() == DType.FLOAT64) {
            m = m.toDouble();
            s = s.toDouble();
        }
        return x.sub(m).div(s);
    }

    /**
     * Normalises {@code x} in place (a float tensor that does not require grad) and returns it.
     *
     * @param x a floating-point tensor not requiring grad; {@code [N, C, ...]} when per-channel
     * @return {@code x}, modified in place
     * @throws IllegalArgumentException for a non-floating dtype or statistics that do not match dimension 1
     */
    public Tensor applyInPlace(Tensor x) {
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("Normalize.applyInPlace: expected a floating-point tensor, got "
                    + x.dtype());
        }
        if (mean.length == 1) {
            return x.add_(-mean[0]).div_(std[0]);
        }
        int[] bshape = channelShape(x);
        Tensor m = Tensor.of(mean.clone(), mean.length).view(bshape).to(x.dtype());
        Tensor s = Tensor.of(std.clone(), std.length).view(bshape).to(x.dtype());
        return x.sub_(m).div_(s);
    }

    private int[] channelShape(Tensor x) {
        if (x.dim() < 2 || x.size(1) != mean.length) {
            throw new IllegalArgumentException("Normalize: " + mean.length + " channel statistics do not fit a "
                    + "tensor of shape " + Arrays.toString(x.shape()) + " (channels are dimension 1)");
        }
        int[] b = new int[x.dim()];
        Arrays.fill(b, 1);
        b[1] = mean.length;
        return b;
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /**
     * This normalisation as a {@link Transform} on one {@code [C, H, W]} image, where the channels are
     * dimension 0 (torchvision's {@code Normalize} on a single image): {@code out[c] = (x[c] - mean[c]) / std[c]},
     * computed in float32 as {@code (x - (float) mean) / (float) std}. It draws nothing from the generator.
     *
     * @return a new transform returning a new image; it throws IllegalArgumentException for an image that is not
     *         float32 {@code [C, H, W]} with C matching the statistics
     */
    public Transform perImage() {
        float[] m = toFloat(mean);
        float[] s = toFloat(std);
        return (image, generator) -> {
            if (image.dim() != 3 || image.dtype() != DType.FLOAT32
                    || (m.length != 1 && image.size(0) != m.length)) {
                throw new IllegalArgumentException("Normalize: " + m.length + " channel statistics do not fit an "
                        + "image of dtype " + image.dtype() + " and shape " + Arrays.toString(image.shape())
                        + " (expected float32 [C, H, W])");
            }
            float[] x = image.toArray();
            int plane = image.size(0) == 0 ? 1 : x.length / image.size(0);
            for (int i = 0; i < x.length; i++) {
                int c = m.length == 1 ? 0 : i / plane;
                x[i] = (x[i] - m[c]) / s[c];
            }
            return Tensor.of(x, image.shape());
        };
    }

    @Override
    public String toString() {
        return "Normalize(mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + ")";
    }
}
