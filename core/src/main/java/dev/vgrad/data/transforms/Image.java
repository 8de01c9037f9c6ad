package dev.vgrad.data.transforms;

import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;
import java.util.Arrays;

/** A {@code [C, H, W]} float image as a plain array, so per-sample transforms stay off the intra-op pool. */
record Image(float[] data, int c, int h, int w) {
    static Image of(Tensor t, String op) {
        if (t.dim() != 3 || t.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException(op + ": expected a float32 image of shape [C, H, W], got "
                    + t.dtype() + " " + Arrays.toString(t.shape()));
        }
        return new Image(t.toArray(), t.size(0), t.size(1), t.size(2));
    }

    float get(int ch, int y, int x) {
        return data[(ch * h + y) * w + x];
    }

    Tensor tensor() {
        return Tensor.of(data, c, h, w);
    }
}
