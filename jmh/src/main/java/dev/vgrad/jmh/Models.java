package dev.vgrad.jmh;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.kernel.OptimKernels;
import dev.vgrad.nn.BatchNorm2d;
import dev.vgrad.nn.Conv2d;
import dev.vgrad.nn.CrossEntropyLoss;
import dev.vgrad.nn.Dropout;
import dev.vgrad.nn.Flatten;
import dev.vgrad.nn.Linear;
import dev.vgrad.nn.MaxPool2d;
import dev.vgrad.nn.ReLU;
import dev.vgrad.nn.Sequential;
import dev.vgrad.optim.Adam;
import dev.vgrad.optim.AdamW;
import dev.vgrad.optim.Optimizer;

/**
 * Training-step and optimizer workloads (twins in {@code bench/torch_bench.py}).
 *
 * <ul>
 *   <li>{@code mlp_step}: nn.Sequential(Linear 784→256, ReLU, Linear 256→128, ReLU, Linear 128→10), batch 128,
 *       CrossEntropyLoss, optim.Adam(lr 1e-3): zeroGrad(set to none), forward, backward, step.</li>
 *   <li>{@code mlp_step_core}: the same MLP written with core Tensor ops only (x·W + b, logSoftmax + gather) and
 *       {@link OptimKernels#adam} called directly: separates nn/optim overhead from core's (PyTorch twin: the
 *       same as mlp_step).</li>
 *   <li>{@code cnn_step}: the examples' Fashion-MNIST CNN (examples/…/Models.java): [Conv3×3(1→32, no bias)-BN-
 *       ReLU-MaxPool2] → [Conv3×3(32→64, no bias)-BN-ReLU-MaxPool2] → Flatten → Dropout(0.3) → Linear(3136→10),
 *       train mode, batch 128 of 1×28×28, CrossEntropyLoss, optim.AdamW(lr 1e-3).</li>
 *   <li>{@code adam_10m}: optim.Adam step over a single 10M-element parameter with a fixed gradient.</li>
 * </ul>
 */
final class Models {
    private Models() {}

    static final int BATCH = 128;

    /** Plain Adam state for a list of parameters, updated by {@link OptimKernels#adam}. */
    static final class AdamState {
        final Tensor[] params;
        final float[][] m;
        final float[][] v;
        final double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
        long t;

        AdamState(Tensor... params) {
            this.params = params;
            m = new float[params.length][];
            v = new float[params.length][];
            for (int i = 0; i < params.length; i++) {
                m[i] = new float[params[i].numel()];
                v[i] = new float[params[i].numel()];
            }
        }

        void step() {
            t++;
            double bc1 = 1 - Math.pow(beta1, t);
            double bc2 = 1 - Math.pow(beta2, t);
            for (int i = 0; i < params.length; i++) {
                Tensor p = params[i];
                Tensor g = p.grad();
                if (g == null) {
                    continue;
                }
                OptimKernels.adam(p.floatStorage(), p.storageOffset(), g.floatStorage(), g.storageOffset(), m[i], 0,
                        v[i], 0, null, 0, p.numel(), (float) beta1, (float) (1 - beta1), (float) beta2,
                        (float) (1 - beta2), 0f, 1f, (float) Math.sqrt(bc2), (float) eps, (float) (-lr / bc1), false);
                p.bumpVersion();
            }
        }

        void zeroGrad() {
            for (Tensor p : params) {
                p.setGrad(null);
            }
        }
    }

    static Tensor uniformParam(Generator gen, int fanIn, int... shape) {
        double bound = 1 / Math.sqrt(fanIn);
        return Tensor.zeros(shape).uniform_(gen, -bound, bound).requiresGrad(true);
    }

    /** zeroGrad(set to none), forward, loss, backward, step. */
    static Workload trainStep(Sequential model, Optimizer opt, Tensor x, Tensor y) {
        CrossEntropyLoss lossFn = new CrossEntropyLoss();
        model.train();
        return Workloads.of(1, "steps/s", () -> {
            opt.zeroGrad(true);
            Tensor loss = lossFn.forward(model.call(x), y);
            loss.backward();
            opt.step();
            return loss;
        });
    }

    static Workload mlpStep() {
        Generator gen = new Generator(21);
        Sequential model = new Sequential(new Linear(784, 256, true, gen), new ReLU(),
                new Linear(256, 128, true, gen), new ReLU(), new Linear(128, 10, true, gen));
        Tensor x = Tensor.randn(gen, BATCH, 784);
        Tensor y = Tensor.randint(gen, 0, 10, BATCH);
        return trainStep(model, new Adam(model.parameters(), 1e-3), x, y);
    }

    static Workload cnnStep() {
        Generator gen = new Generator(22);
        Generator noise = new Generator(23);
        Sequential model = new Sequential(
                new Conv2d(1, 32, 3, 1, 1, false, gen), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, 3, 1, 1, false, gen), new BatchNorm2d(64), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Dropout(0.3, noise), new Linear(64 * 7 * 7, 10, true, gen));
        Tensor x = Tensor.randn(gen, BATCH, 1, 28, 28);
        Tensor y = Tensor.randint(gen, 0, 10, BATCH);
        return trainStep(model, new AdamW(model.parameters(), 1e-3), x, y);
    }

    static Workload mlpStepCore() {
        Generator gen = new Generator(21);
        // weights stored (in, out) so the forward is x·W + b
        Tensor w1 = uniformParam(gen, 784, 784, 256), b1 = uniformParam(gen, 784, 256);
        Tensor w2 = uniformParam(gen, 256, 256, 128), b2 = uniformParam(gen, 256, 128);
        Tensor w3 = uniformParam(gen, 128, 128, 10), b3 = uniformParam(gen, 128, 10);
        AdamState opt = new AdamState(w1, b1, w2, b2, w3, b3);
        Tensor x = Tensor.randn(gen, BATCH, 784);
        Tensor y = Tensor.randint(gen, 0, 10, BATCH, 1);
        return Workloads.of(1, "steps/s", () -> {
            opt.zeroGrad();
            Tensor h = x.matmul(w1).add(b1).relu();
            h = h.matmul(w2).add(b2).relu();
            Tensor logits = h.matmul(w3).add(b3);
            Tensor loss = logits.logSoftmax(1).gather(1, y).mean().neg();
            loss.backward();
            opt.step();
            return loss;
        });
    }

    static Workload adam10m() {
        int n = 10_000_000;
        Tensor p = Tensor.of(Workloads.random(n, 31), n).requiresGrad(true);
        p.setGrad(Tensor.of(Workloads.random(n, 32), n));
        Adam opt = new Adam(java.util.List.of(p), 1e-3);
        return Workloads.of(1, "steps/s", () -> {
            opt.step();
            return p;
        });
    }
}
