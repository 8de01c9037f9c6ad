package dev.vgrad.spark;

import dev.vgrad.core.DType;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.Module;
import dev.vgrad.nn.SafeTensors;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Moves a model's state and gradients in and out of flat arrays and safetensors bytes (exact, bit for bit). */
final class ModelState {
    private ModelState() {
    }

    /** The state dict (parameters and persistent buffers) as safetensors bytes. */
    static byte[] encode(Module model) {
        return SafeTensors.toBytes(model.stateDict(), Map.of());
    }

    /** Loads {@link #encode} bytes (strict: every key must match). */
    static void load(Module model, byte[] state) {
        model.loadStateDict(SafeTensors.fromBytes(state).tensors());
    }

    /** The parameters in {@link Module#parameters()} order, checked to be float32. */
    static List<Tensor> floatParameters(Module model, String who) {
        List<Tensor> ps = model.parameters();
        for (Tensor p : ps) {
            if (p.dtype() != DType.FLOAT32) {
                throw new IllegalArgumentException(who + ": parameters must be float32, found " + p.dtype());
            }
        }
        return ps;
    }

    static int totalSize(List<Tensor> ps) {
        long n = 0;
        for (Tensor p : ps) {
            n += p.numel();
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("model has " + n + " parameter elements; at most 2^31 fit one array");
        }
        return (int) n;
    }

    /** All gradients concatenated in parameter order; a missing gradient counts as zeros. */
    static float[] flattenGrads(List<Tensor> ps) {
        float[] out = new float[totalSize(ps)];
        int off = 0;
        for (Tensor p : ps) {
            Tensor g = p.grad();
            if (g != null) {
                float[] a = g.toArray();
                System.arraycopy(a, 0, out, off, a.length);
            }
            off += p.numel();
        }
        return out;
    }

    /** All parameter values concatenated in parameter order. */
    static float[] flattenValues(List<Tensor> ps) {
        float[] out = new float[totalSize(ps)];
        int off = 0;
        for (Tensor p : ps) {
            float[] a = p.toArray();
            System.arraycopy(a, 0, out, off, a.length);
            off += a.length;
        }
        return out;
    }

    /** Sets each parameter's gradient to its slice of {@code flat}. */
    static void assignGrads(List<Tensor> ps, float[] flat) {
        int off = 0;
        for (Tensor p : ps) {
            float[] a = new float[p.numel()];
            System.arraycopy(flat, off, a, 0, a.length);
            p.setGrad(Tensor.of(a, p.shape()));
            off += a.length;
        }
    }

    /** Overwrites each parameter's values with its slice of {@code flat}. */
    static void assignValues(List<Tensor> ps, float[] flat) {
        int off = 0;
        try (var off0 = Grad.disabled()) {
            for (Tensor p : ps) {
                float[] a = new float[p.numel()];
                System.arraycopy(flat, off, a, 0, a.length);
                p.copy_(Tensor.of(a, p.shape()));
                off += a.length;
            }
        }
    }

    /** The persistent buffers (e.g. BatchNorm running statistics) as safetensors bytes. */
    static byte[] encodeBuffers(Module model) {
        Map<String, Tensor> sd = model.stateDict();
        Map<String, Tensor> params = model.namedParameters();
        Map<String, Tensor> buffers = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : sd.entrySet()) {
            if (!params.containsKey(e.getKey())) {
                buffers.put(e.getKey(), e.getValue());
            }
        }
        return SafeTensors.toBytes(buffers, Map.of());
    }

    /** Copies {@link #encodeBuffers} bytes into the model's buffers of the same names. */
    static void applyBuffers(Module model, byte[] bytes) {
        Map<String, Tensor> named = model.namedBuffers();
        try (var off = Grad.disabled()) {
            for (Map.Entry<String, Tensor> e : SafeTensors.fromBytes(bytes).tensors().entrySet()) {
                Tensor b = named.get(e.getKey());
                if (b == null) {
                    throw new IllegalStateException("buffer " + e.getKey() + " missing from the driver's model");
                }
                b.copy_(e.getValue());
            }
        }
    }
}
