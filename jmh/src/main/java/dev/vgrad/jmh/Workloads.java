package dev.vgrad.jmh;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.kernel.BinaryOp;
import dev.vgrad.core.kernel.ConvGeometry;
import dev.vgrad.core.kernel.ConvKernels;
import dev.vgrad.core.kernel.Gemm;
import dev.vgrad.core.kernel.KernelProvider;
import dev.vgrad.core.kernel.Kernels;
import dev.vgrad.core.kernel.Parallel;
import dev.vgrad.core.kernel.PoolGeometry;
import dev.vgrad.core.kernel.PoolKernels;
import dev.vgrad.core.kernel.UnaryOp;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The benchmark workloads by name. Names, shapes and semantics match {@code bench/torch_bench.py} one for one;
 * keep the two files in step.
 *
 * <ul>
 *   <li>{@code sgemm_N}: C = A·B, N×N row-major, into a preallocated C ({@link Gemm#sgemm}).</li>
 *   <li>{@code mlp_fwd}, {@code mlp_bwd_dx}, {@code mlp_bwd_dw}: X(256×784)·W(784×512), dY·Wᵀ and Xᵀ·dY with
 *       the transposed operands read in place (no materialised transpose).</li>
 *   <li>{@code gemv_fwd}, {@code gemv_dw}: a one-output linear layer over a batch of 4096 with 1024 features,
 *       X(4096×1024)·wᵀ (w stored 1×1024) and its weight gradient dyᵀ(1×4096)·X; {@code gemv_small}: the same
 *       forward at bench/startup.py's linreg shape, 1000×16.</li>
 *   <li>{@code conv_fwd}, {@code conv_fwdbwd}: (64,64,32,32) ∗ (64,64,3,3), stride 1, pad 1, no bias;
 *       forward, and forward + input gradient + weight gradient ({@link ConvKernels}).</li>
 *   <li>{@code maxpool_fwd}, {@code maxpool_fwdbwd}: 2×2/2 max pooling of (64,64,32,32) with argmax.</li>
 *   <li>{@code add_16m}, {@code mul_16m}, {@code relu_16m}: the kernel over 16M floats into a preallocated
 *       output, chunked over the intra-op pool; {@code *_16m_tensor}: the Tensor op (allocates its output).</li>
 *   <li>{@code sum_16m}, {@code softmax_4096x1024}: Tensor reductions.</li>
 *   <li>{@code chain1000}: 1000 alternating mul/add ops on 16-element tensors with autograd, then sum and
 *       backward (1001 ops forward, their backward).</li>
 *   <li>{@code mlp_step}, {@code cnn_step}, {@code adam_10m}: see {@link Models}.</li>
 * </ul>
 */
public final class Workloads {
    private Workloads() {}

    /** Elementwise chunk size for the kernel-into-output workloads (same as the Tensor ops' grain). */
    static final int GRAIN = 1 << 16;
    static final int N16M = 16 * 1024 * 1024;
    /** An odd length for the elementwise and reduction kernels (tails, unaligned chunks). */
    static final int N_ODD = 16 * 1024 * 1024 + 13;

    private static final Map<String, Supplier<Workload>> ALL = new LinkedHashMap<>();

    static {
        for (int n : new int[] {256, 512, 1024, 2048, 1021}) {
            ALL.put("sgemm_" + n, () -> gemm(false, false, n, n, n));
        }
        ALL.put("mlp_fwd", () -> gemm(false, false, 256, 512, 784));
        ALL.put("mlp_bwd_dx", () -> gemm(false, true, 256, 784, 512));
        ALL.put("mlp_bwd_dw", () -> gemm(true, false, 784, 512, 256));
        ALL.put("gemv_fwd", () -> gemm(false, true, 4096, 1, 1024));
        ALL.put("gemv_dw", () -> gemm(true, false, 1, 1024, 4096));
        ALL.put("gemv_small", () -> gemm(false, true, 1000, 1, 16));
        ALL.put("conv_fwd", () -> conv(false));
        ALL.put("conv_fwdbwd", () -> conv(true));
        ALL.put("conv_fwd_odd", () -> conv(ConvGeometry.of(16, 33, 31, 29, 47, 3, 3, 1, 1, 1, 1, 1, 1, 1), false));
        ALL.put("maxpool_fwd", () -> maxPool(false));
        ALL.put("maxpool_fwdbwd", () -> maxPool(true));
        ALL.put("add_16m", () -> binaryKernel(BinaryOp.ADD));
        ALL.put("mul_16m", () -> binaryKernel(BinaryOp.MUL));
        ALL.put("relu_16m", Workloads::reluKernel);
        ALL.put("add_odd", () -> binaryKernel(BinaryOp.ADD, N_ODD));
        ALL.put("triad_16m", Workloads::triad);
        ALL.put("add_16m_tensor", () -> tensorOp("add"));
        ALL.put("mul_16m_tensor", () -> tensorOp("mul"));
        ALL.put("relu_16m_tensor", () -> tensorOp("relu"));
        ALL.put("sum_16m", () -> sum(N16M));
        ALL.put("softmax_4096x1024", () -> softmax(4096, 1024));
        ALL.put("sum_odd", () -> sum(N_ODD));
        ALL.put("softmax_odd", () -> softmax(4095, 1023));
        ALL.put("chain1000", Workloads::chain);
        ALL.put("mlp_step", Models::mlpStep);
        ALL.put("mlp_step_core", Models::mlpStepCore);
        ALL.put("cnn_step", Models::cnnStep);
        ALL.put("adam_10m", Models::adam10m);
        ALL.put("attn_fwdbwd", Workloads::attention);
        ALL.put("lstm_fwdbwd", () -> lstmFwdBwd(0));
        ALL.put("gelu_fwdbwd", Workloads::geluFwdBwd);
        ALL.put("lstm_proj_fwdbwd", () -> lstmFwdBwd(128));
    }

    /** All workload names, in report order. */
    public static String[] names() {
        return ALL.keySet().toArray(new String[0]);
    }

    /** A fresh workload; throws IllegalArgumentException for an unknown name. */
    public static Workload create(String name) {
        Supplier<Workload> s = ALL.get(name);
        if (s == null) {
            throw new IllegalArgumentException("unknown workload " + name + "; known: " + ALL.keySet());
        }
        return s.get();
    }

    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return a;
    }

    static Workload of(double work, String unit, Supplier<Object> body) {
        return new Workload() {
            @Override
            public Object run() {
                return body.get();
            }

            @Override
            public double work() {
                return work;
            }

            @Override
            public String unit() {
                return unit;
            }
        };
    }

    // ------------------------------------------------------------------------------------ GEMM

    static Workload gemm(boolean transA, boolean transB, int m, int n, int k) {
        float[] a = random(m * k, 1);
        float[] b = random(k * n, 2);
        float[] c = new float[m * n];
        int lda = transA ? m : k;
        int ldb = transB ? k : n;
        return of(2.0 * m * n * k, "GFLOP/s", () -> {
            Gemm.sgemm(transA, transB, m, n, k, a, 0, lda, b, 0, ldb, c, 0, n, false);
            return c;
        });
    }

    // ------------------------------------------------------------------------------------ conv / pool

    static Workload conv(boolean backward) {
        return conv(ConvGeometry.of(64, 64, 32, 32, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1), backward);
    }

    static Workload conv(ConvGeometry g, boolean backward) {
        float[] x = random(g.inputSize(), 3);
        float[] w = random(g.weightSize(), 4);
        float[] out = new float[g.outputSize()];
        float[] gOut = random(g.outputSize(), 5);
        float[] gx = new float[g.inputSize()];
        float[] gw = new float[g.weightSize()];
        double flops = 2.0 * g.n() * g.outChannels() * g.outH() * g.outW() * g.c() * g.kh() * g.kw();
        if (!backward) {
            return of(flops, "GFLOP/s", () -> {
                ConvKernels.conv2dForward(x, 0, w, 0, null, 0, out, 0, g);
                return out;
            });
        }
        return of(3 * flops, "GFLOP/s", () -> {
            ConvKernels.conv2dForward(x, 0, w, 0, null, 0, out, 0, g);
            ConvKernels.conv2dBackwardInput(gOut, 0, w, 0, gx, 0, g);
            ConvKernels.conv2dBackwardWeight(gOut, 0, x, 0, gw, 0, g);
            return gw;
        });
    }

    static Workload maxPool(boolean backward) {
        PoolGeometry g = PoolGeometry.maxPool2d(64, 64, 32, 32, 2, 2, 2, 2, 0, 0, 1, 1, false);
        float[] x = random(g.inputSize(), 6);
        float[] out = new float[g.outputSize()];
        int[] argmax = new int[g.outputSize()];
        float[] gOut = random(g.outputSize(), 7);
        float[] gx = new float[g.inputSize()];
        // bytes: read x, write out and argmax (+ read gOut and argmax, write gx)
        double fwdBytes = 4.0 * g.inputSize() + 8.0 * g.outputSize();
        if (!backward) {
            return of(fwdBytes, "GB/s", () -> {
                PoolKernels.maxPool2dForward(x, 0, out, 0, argmax, g);
                return out;
            });
        }
        return of(fwdBytes + 4.0 * g.inputSize() + 8.0 * g.outputSize(), "GB/s", () -> {
            PoolKernels.maxPool2dForward(x, 0, out, 0, argmax, g);
            PoolKernels.maxPool2dBackward(gOut, 0, argmax, gx, 0, g);
            return gx;
        });
    }

    // ------------------------------------------------------------------------------------ elementwise

    static Workload binaryKernel(BinaryOp op) {
        return binaryKernel(op, N16M);
    }

    static Workload binaryKernel(BinaryOp op, int n) {
        float[] a = random(n, 8);
        float[] b = random(n, 9);
        float[] c = new float[n];
        Kernels k = KernelProvider.kernels();
        int chunks = Parallel.chunks(n, GRAIN);
        return of(12.0 * n, "GB/s", () -> {
            Parallel.forEachChunk(chunks, ch -> {
                int lo = ch * GRAIN;
                k.binary(op, a, lo, 1, b, lo, 1, c, lo, Math.min(GRAIN, n - lo));
            });
            return c;
        });
    }

    /**
     * STREAM-style triad {@code a[i] = b[i] + s·c[i]} as a plain Java loop (C2 vectorises it), chunked over the
     * pool: the machine's bandwidth reference measured in the same run (12 bytes per element, as STREAM counts).
     */
    static Workload triad() {
        float[] a = new float[N16M];
        float[] b = random(N16M, 15);
        float[] c = random(N16M, 16);
        float s = 3f;
        int chunks = Parallel.chunks(N16M, GRAIN);
        return of(12.0 * N16M, "GB/s", () -> {
            Parallel.forEachChunk(chunks, ch -> {
                int lo = ch * GRAIN;
                int hi = Math.min(N16M, lo + GRAIN);
                for (int i = lo; i < hi; i++) {
                    a[i] = b[i] + s * c[i];
                }
            });
            return a;
        });
    }

    static Workload reluKernel() {
        float[] a = random(N16M, 10);
        float[] c = new float[N16M];
        Kernels k = KernelProvider.kernels();
        int chunks = Parallel.chunks(N16M, GRAIN);
        return of(8.0 * N16M, "GB/s", () -> {
            Parallel.forEachChunk(chunks, ch -> {
                int lo = ch * GRAIN;
                k.unary(UnaryOp.RELU, a, lo, c, lo, Math.min(GRAIN, N16M - lo), 0f);
            });
            return c;
        });
    }

    static Workload tensorOp(String op) {
        Generator gen = new Generator(11);
        Tensor a = Tensor.randn(gen, N16M);
        Tensor b = Tensor.randn(gen, N16M);
        return switch (op) {
            case "add" -> of(12.0 * N16M, "GB/s", () -> a.add(b));
            case "mul" -> of(12.0 * N16M, "GB/s", () -> a.mul(b));
            case "relu" -> of(8.0 * N16M, "GB/s", a::relu);
            default -> throw new IllegalArgumentException(op);
        };
    }

    static Workload sum(int n) {
        Tensor a = Tensor.randn(new Generator(12), n);
        return of(4.0 * n, "GB/s", a::sum);
    }

    static Workload softmax(int rows, int cols) {
        Tensor a = Tensor.randn(new Generator(13), rows, cols);
        return of(8.0 * rows * cols, "GB/s", () -> a.softmax(1));
    }

    // ------------------------------------------------------------------------------------ per-op overhead

    static Workload chain() {
        Generator gen = new Generator(14);
        Tensor x = Tensor.randn(gen, 16).requiresGrad(true);
        Tensor a = Tensor.rand(gen, 16).add(0.5);
        Tensor b = Tensor.randn(gen, 16);
        // 1000 chained ops + sum, forward and backward
        return of(1001, "ops/s", () -> {
            x.setGrad(null);
            Tensor y = x;
            for (int i = 0; i < 1000; i++) {
                y = (i & 1) == 0 ? y.mul(a) : y.add(b);
            }
            y.sum().backward();
            return x.grad();
        });
    }

    // ------------------------------------------------------------------------------------ attention

    /**
     * {@code attn_fwdbwd}: causal scaled-dot-product attention forward + backward (dq, dk, dv), B 8, 4 heads, T 256,
     * head size 64 (issue 17's kernel target), float32, through the fused op. Work: 7·B·H·T²·D flops (the causal
     * half of 2 forward and 5 backward T×T×D products), the same count as torch_bench.py's twin.
     */
    static Workload attention() {
        int b = 8, h = 4, t = 256, d = 64;
        Generator gen = new Generator(21);
        Tensor q = Tensor.rand(gen, b, h, t, d).requiresGrad(true);
        Tensor k = Tensor.rand(gen, b, h, t, d).requiresGrad(true);
        Tensor v = Tensor.rand(gen, b, h, t, d).requiresGrad(true);
        Tensor g = Tensor.rand(gen, b, h, t, d);
        return of(7.0 * b * h * t * t * d, "GFLOP/s", () -> {
            q.setGrad(null);
            k.setGrad(null);
            v.setGrad(null);
            dev.vgrad.core.AttentionOps.scaledDotProductAttention(q, k, v, null, true, null).backward(g);
            return v.grad();
        });
    }

    // ------------------------------------------------------------------------------------ recurrent

    /**
     * {@code lstm_fwdbwd}: nn.LSTM(64, 256), one layer, input (T 64, B 32, 64) requiring grad; forward from zero
     * states, then {@code output.sum().backward()} into the input and all four parameters (issue 17's LSTM
     * kernel target: B 32, T 64, hidden 256). One step = one forward + backward. {@code lstm_proj_fwdbwd} is the
     * same with proj_size 128, whose layer runs as recorded per-step ops rather than the fused recurrent node.
     */
    static Workload lstmFwdBwd(int projSize) {
        Generator gen = new Generator(41);
        dev.vgrad.nn.LSTM lstm = new dev.vgrad.nn.LSTM(64, 256, 1, true, false, 0.0, false, projSize, gen);
        Tensor x = Tensor.randn(gen, 64, 32, 64).requiresGrad(true);
        return of(1, "steps/s", () -> {
            x.setGrad(null);
            for (Tensor p : lstm.parameters()) {
                p.setGrad(null);
            }
            lstm.forward(x).sum().backward();
            return x.grad();
        });
    }

    // ------------------------------------------------------------------------------------ activations

    /**
     * {@code gelu_fwdbwd}: exact GELU forward + backward on a (4096, 512) float32 tensor, the MLP activation of the
     * character GPT example (batch 32 × 128 tokens, hidden 4·128). Work: elements per step (reported in elem/s).
     */
    static Workload geluFwdBwd() {
        Generator gen = new Generator(51);
        Tensor x = Tensor.randn(gen, 4096, 512).requiresGrad(true);
        Tensor g = Tensor.randn(gen, 4096, 512);
        return of(4096.0 * 512, "elem/s", () -> {
            x.setGrad(null);
            dev.vgrad.nn.F.gelu(x).backward(g);
            return x.grad();
        });
    }
}
