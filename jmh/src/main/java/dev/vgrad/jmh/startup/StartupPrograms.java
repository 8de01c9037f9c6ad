package dev.vgrad.jmh.startup;

import dev.vgrad.core.Tensor;
import dev.vgrad.nn.CrossEntropyLoss;
import dev.vgrad.nn.Embedding;
import dev.vgrad.nn.Linear;
import dev.vgrad.nn.MSELoss;
import dev.vgrad.nn.ReLU;
import dev.vgrad.nn.Sequential;
import dev.vgrad.optim.Adam;
import dev.vgrad.optim.SGD;
import java.util.ArrayList;
import java.util.List;

/**
 * Short training programs that a new user writes, timed from process start to last line by {@code bench/compare.sh
 * --startup} against their twins in {@code bench/startup.py}. Both sides build the same data from the same integer
 * formulas (no framework random generator is involved), the same models and optimizers, run the same number of
 * steps, and print the final loss, so a user sees the whole cost: JVM or interpreter start, class loading and JIT
 * (or {@code import torch}), and the small-shape per-op overhead that dominates such programs.
 *
 * <ul>
 *   <li>{@code linreg}: 1000 × 16 least squares, Linear(16, 1), MSELoss, SGD(lr 0.05), 500 full-batch steps.</li>
 *   <li>{@code spiral}: three interleaved spirals of 100 points, MLP 2-100-100-3 with ReLU, CrossEntropyLoss,
 *       Adam(lr 0.01), 960 full-batch steps.</li>
 *   <li>{@code attention}: a one-head causal self-attention language model on a 32-token vocabulary: token and
 *       position embeddings (d 64), q/k/v projections, scores masked by an additive upper-triangular −∞ matrix,
 *       softmax, an output projection, next-token CrossEntropyLoss over batch 16 × 32 positions, Adam(lr 3e-3),
 *       400 steps.</li>
 * </ul>
 */
public final class StartupPrograms {
    private StartupPrograms() {}

    /** Deterministic pseudo-random integers (the twin computes the same sequence). */
    private static final class Lcg {
        private long s;

        Lcg(long seed) {
            s = seed;
        }

        int next(int bound) {
            s = (s * 6364136223846793005L + 1442695040888963407L);
            return (int) Long.remainderUnsigned(s >>> 33, bound);
        }

        double uniform() {
            return next(1 << 24) / (double) (1 << 24);
        }
    }

    public static void main(String[] args) {
        String which = args.length > 0 ? args[0] : "spiral";
        double loss = switch (which) {
            case "linreg" -> linreg();
            case "spiral" -> spiral();
            case "attention" -> attention();
            default -> throw new IllegalArgumentException("unknown program " + which
                    + " (linreg, spiral or attention)");
        };
        System.out.printf("%s final loss %.4f%n", which, loss);
    }

    static double linreg() {
        int n = 1000;
        int d = 16;
        Lcg r = new Lcg(1);
        float[] x = new float[n * d];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            double t = 0;
            for (int j = 0; j < d; j++) {
                x[i * d + j] = (float) (r.uniform() * 2 - 1);
                t += x[i * d + j] * (j - 7.5) / 8;
            }
            y[i] = (float) (t + 0.1 * (r.uniform() - 0.5));
        }
        Tensor xs = Tensor.of(x, n, d);
        Tensor ys = Tensor.of(y, n, 1);
        Linear model = new Linear(d, 1);
        SGD opt = new SGD(model.parameters(), 0.05);
        MSELoss mse = new MSELoss();
        double last = 0;
        for (int step = 0; step < 500; step++) {
            opt.zeroGrad();
            Tensor loss = mse.forward(model.forward(xs), ys);
            loss.backward();
            opt.step();
            last = loss.item();
        }
        return last;
    }

    static double spiral() {
        int perClass = 100;
        int classes = 3;
        int n = perClass * classes;
        Lcg r = new Lcg(2);
        float[] x = new float[n * 2];
        long[] y = new long[n];
        for (int c = 0; c < classes; c++) {
            for (int i = 0; i < perClass; i++) {
                int k = c * perClass + i;
                double radius = i / (double) perClass;
                double theta = c * 4 + radius * 4 + 0.2 * (r.uniform() - 0.5);
                x[2 * k] = (float) (radius * Math.sin(theta));
                x[2 * k + 1] = (float) (radius * Math.cos(theta));
                y[k] = c;
            }
        }
        Tensor xs = Tensor.of(x, n, 2);
        Tensor ys = Tensor.ofLongs(y, n);
        Sequential model = new Sequential(new Linear(2, 100), new ReLU(), new Linear(100, 100), new ReLU(),
                new Linear(100, 3));
        Adam opt = new Adam(model.parameters(), 0.01);
        CrossEntropyLoss ce = new CrossEntropyLoss();
        double last = 0;
        for (int step = 0; step < 960; step++) {
            opt.zeroGrad();
            Tensor loss = ce.forward(model.forward(xs), ys);
            loss.backward();
            opt.step();
            last = loss.item();
        }
        return last;
    }

    static double attention() {
        int vocab = 32;
        int t = 32;
        int b = 16;
        int d = 64;
        Lcg r = new Lcg(3);
        Embedding tok = new Embedding(vocab, d);
        Embedding pos = new Embedding(t, d);
        Linear q = new Linear(d, d);
        Linear k = new Linear(d, d);
        Linear v = new Linear(d, d);
        Linear out = new Linear(d, vocab);
        List<Tensor> params = new ArrayList<>();
        for (var m : List.of(tok, pos, q, k, v, out)) {
            params.addAll(m.parameters());
        }
        Adam opt = new Adam(params, 3e-3);
        CrossEntropyLoss ce = new CrossEntropyLoss();
        long[] positions = new long[t];
        for (int i = 0; i < t; i++) {
            positions[i] = i;
        }
        Tensor posIdx = Tensor.ofLongs(positions, t);
        float[] mask = new float[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = i + 1; j < t; j++) {
                mask[i * t + j] = Float.NEGATIVE_INFINITY;
            }
        }
        Tensor causal = Tensor.of(mask, t, t);
        double scale = 1 / Math.sqrt(d);
        double last = 0;
        for (int step = 0; step < 400; step++) {
            // sequences follow next = (3·prev + 1 + small noise) mod vocab, so the model has something to learn
            long[] seq = new long[b * (t + 1)];
            for (int i = 0; i < b; i++) {
                seq[i * (t + 1)] = r.next(vocab);
                for (int j = 1; j <= t; j++) {
                    seq[i * (t + 1) + j] = (3 * seq[i * (t + 1) + j - 1] + 1 + (r.next(8) == 0 ? 1 : 0)) % vocab;
                }
            }
            long[] inp = new long[b * t];
            long[] tgt = new long[b * t];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < t; j++) {
                    inp[i * t + j] = seq[i * (t + 1) + j];
                    tgt[i * t + j] = seq[i * (t + 1) + j + 1];
                }
            }
            opt.zeroGrad();
            Tensor h = tok.forward(Tensor.ofLongs(inp, b, t)).add(pos.forward(posIdx));
            Tensor scores = q.forward(h).matmul(k.forward(h).transpose(1, 2)).mul(scale).add(causal);
            Tensor att = scores.softmax(-1).matmul(v.forward(h));
            Tensor logits = out.forward(att.add(h)).reshape(b * t, vocab);
            Tensor loss = ce.forward(logits, Tensor.ofLongs(tgt, b * t));
            loss.backward();
            opt.step();
            last = loss.item();
        }
        return last;
    }
}
