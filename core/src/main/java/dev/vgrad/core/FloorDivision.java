package dev.vgrad.core;

/**
 * Floor division and remainder of floating tensors, with PyTorch's CPU formulas (ATen's div_floor and remainder
 * kernels): both start from C's fmod (Java's {@code %} on floats is the same exact, truncating remainder) and move
 * the result toward −∞ when the signs of divisor and remainder differ. Computed in the promoted dtype, so float32
 * rounds at the same steps as PyTorch's float kernel.
 */
final class FloorDivision {
    private FloorDivision() {}

    static Tensor floating(Tensor a, Tensor b, DType dt, boolean remainder, boolean scalarOther) {
        String name = remainder ? "remainder" : "floor_divide";
        int[] shape = Shape.broadcast(name, a.shape, b.shape);
        Tensor ac = a.dtype == dt ? a : a.toRaw(dt);
        Tensor bc = b.dtype == dt ? b : b.toRaw(dt);
        int[] as = Shape.broadcastStrides(ac.shape, ac.stride, shape);
        int[] bs = Shape.broadcastStrides(bc.shape, bc.stride, shape);
        Tensor out = Tensor.empty(dt, shape);
        int rank = shape.length;
        int a1 = rank == 0 ? 0 : as[rank - 1];
        int b1 = rank == 0 ? 0 : bs[rank - 1];
        if (dt == DType.FLOAT32) {
            float[] x = ac.storage.f;
            float[] y = bc.storage.f;
            float[] o = out.storage.f;
            Strided.forEachRun(shape, new int[][] {as, bs}, new int[] {ac.offset, bc.offset}, (offs, p, len) -> {
                for (int i = 0; i < len; i++) {
                    float u = x[offs[0] + i * a1];
                    float v = y[offs[1] + i * b1];
                    o[p + i] = remainder ? remainder(u, v) : floorDivide(u, v);
                }
            });
        } else {
            double[] x = ac.storage.d;
            double[] y = bc.storage.d;
            double[] o = out.storage.d;
            Strided.forEachRun(shape, new int[][] {as, bs}, new int[] {ac.offset, bc.offset}, (offs, p, len) -> {
                for (int i = 0; i < len; i++) {
                    double u = x[offs[0] + i * a1];
                    double v = y[offs[1] + i * b1];
                    o[p + i] = remainder ? remainder(u, v) : floorDivide(u, v);
                }
            });
        }
        if (Autograd.isRecording(a, b)) {
            Autograd.attach(out, remainder ? new RemainderBackward1(a, b, scalarOther) : new FloorDivideBackward(a, b));
        }
        return out;
    }

    static float remainder(float a, float b) {
        float mod = a % b;
        return mod != 0 && (b < 0) != (mod < 0) ? mod + b : mod;
    }

    static double remainder(double a, double b) {
        double mod = a % b;
        return mod != 0 && (b < 0) != (mod < 0) ? mod + b : mod;
    }

    static float floorDivide(float a, float b) {
        if (b == 0) {
            return a / b;
        }
        float mod = a % b;
        float div = (a - mod) / b;
        if (mod != 0 && (b < 0) != (mod < 0)) {
            div -= 1;
        }
        if (div == 0) {
            return Math.copySign(0f, a / b);
        }
        float fl = (float) Math.floor(div);
        return div - fl > 0.5f ? fl + 1 : fl;
    }

    static double floorDivide(double a, double b) {
        if (b == 0) {
            return a / b;
        }
        double mod = a % b;
        double div = (a - mod) / b;
        if (mod != 0 && (b < 0) != (mod < 0)) {
            div -= 1;
        }
        if (div == 0) {
            return Math.copySign(0.0, a / b);
        }
        double fl = Math.floor(div);
        return div - fl > 0.5 ? fl + 1 : fl;
    }

    /**
     * d/da remainder(a, b) = 1 and d/db = −floor(a / b) (PyTorch's formula; the jumps of remainder are ignored).
     * Saves a and b when b needs a gradient, as PyTorch's node does. With a scalar divisor PyTorch's node is
     * RemainderBackward0 (nothing saved).
     */
    private static final class RemainderBackward1 extends Node {
        private final SavedTensor sa;
        private final SavedTensor sb;
        private final int[] aShape;
        private final int[] bShape;

        RemainderBackward1(Tensor a, Tensor b, boolean scalarOther) {
            super(scalarOther ? "RemainderBackward0" : "RemainderBackward1", a, b);
            this.sa = needsGrad(1) ? save(a) : null;
            this.sb = needsGrad(1) ? save(b) : null;
            this.aShape = a.shape;
            this.bShape = b.shape;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor ga = needsGrad(0) ? ReduceOps.sumToShape(g, aShape) : null;
            Tensor gb = null;
            if (needsGrad(1)) {
                Tensor q = IntegerOps.floorDivide(sa.get().detach(), sb.get().detach(), false);
                gb = ReduceOps.sumToShape(g.mul(q.to(g.dtype)).neg(), bShape);
            }
            return new Tensor[] {ga, gb};
        }
    }

    /** PyTorch 1.13 has no derivative for floor_divide: the forward records, the backward fails with its words. */
    private static final class FloorDivideBackward extends Node {
        FloorDivideBackward(Tensor a, Tensor b) {
            super("NotImplemented", a, b);
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            throw new IllegalStateException("floor_divide: derivative for aten::floor_divide is not implemented");
        }
    }
}
