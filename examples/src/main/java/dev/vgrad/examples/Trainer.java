package dev.vgrad.examples;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.Vgrad;
import dev.vgrad.data.Batch;
import dev.vgrad.data.BatchIterator;
import dev.vgrad.data.DataLoader;
import dev.vgrad.data.Dataset;
import dev.vgrad.nn.F;
import dev.vgrad.nn.Module;
import dev.vgrad.optim.AdamW;
import dev.vgrad.optim.CosineAnnealingLR;
import dev.vgrad.optim.LRScheduler;
import dev.vgrad.optim.OneCycleLR;
import dev.vgrad.optim.Optimizer;
import dev.vgrad.optim.SGD;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The training loop shared by the three programs: train an epoch in {@code train()} mode, evaluate in
 * {@code eval()} mode under {@link Grad#disabled()}, print one line per epoch, checkpoint to {@code --out}.
 *
 * <p>Reproducibility: parameters are initialised from {@code Generator(seed)}, Dropout/DropPath masks come
 * from {@code Generator(seed + 1)} and the shuffling from {@code Generator(seed + 2)}; with {@code --augment}
 * each sample's augmentation draws from a generator seeded by (seed + 3, epoch, sample index), so neither
 * {@code --workers} nor timing changes them; kernels give the same
 * bits for any thread count. So everything left of the {@code |} on an epoch line (loss and accuracy) is the
 * same for the same seed and data; only the timings on the right differ. {@code metrics.csv} holds exactly
 * the reproducible part. A checkpoint stores the model, optimizer, scheduler and all generator states, so
 * {@code --resume} ends bit-identical to an uninterrupted run.
 */
final class Trainer {
    enum Opt {
        ADAMW, SGD;

        static Opt parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "adamw" -> ADAMW;
                case "sgd" -> SGD;
                default -> throw new IllegalArgumentException("--optimizer must be adamw or sgd, got " + s);
            };
        }
    }

    enum Schedule {
        COSINE, ONECYCLE;

        static Schedule parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT).replace("-", "")) {
                case "cosine" -> COSINE;
                case "onecycle" -> ONECYCLE;
                default -> throw new IllegalArgumentException("--schedule must be cosine or onecycle, got " + s);
            };
        }
    }

    record Config(Models.Arch arch, int epochs, int batchSize, double lr, double weightDecay, Opt optimizer,
                  Schedule schedule, long seed, int threads, Path data, Path out, boolean resume, Integer trainLimit,
                  Integer testLimit, boolean progress, Integer stopAfter, boolean augment, int workers) {
        Config {
            if (epochs < 1) {
                throw new IllegalArgumentException("--epochs must be at least 1, got " + epochs);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("--batch-size must be at least 1, got " + batchSize);
            }
            if (!(lr > 0)) {
                throw new IllegalArgumentException("--lr must be positive, got " + lr);
            }
            if (!(weightDecay >= 0)) {
                throw new IllegalArgumentException("--weight-decay must be non-negative, got " + weightDecay);
            }
            if (workers < 0) {
                throw new IllegalArgumentException("--workers must be non-negative, got " + workers);
            }
            if (threads < 1) {
                throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
            }
            if (resume && out == null) {
                throw new IllegalArgumentException("--resume needs --out DIR (the run to continue)");
            }
            if (trainLimit != null && trainLimit < 1 || testLimit != null && testLimit < 1) {
                throw new IllegalArgumentException("--train-limit and --test-limit must be positive");
            }
        }

        /** The program defaults (tuned for the full 60k data set). */
        static Config defaults(Models.Arch arch, long seed) {
            int threads = Runtime.getRuntime().availableProcessors();
            return switch (arch) {
                case MLP -> new Config(arch, 20, 128, 1e-3, 1e-2, Opt.ADAMW, Schedule.COSINE, seed, threads, null,
                        null, false, null, null, false, null, false, 0);
                case CNN -> new Config(arch, 10, 128, 3e-3, 1e-2, Opt.ADAMW, Schedule.ONECYCLE, seed, threads, null,
                        null, false, null, null, false, null, false, 0);
                case RESNET -> new Config(arch, 15, 128, 0.1, 5e-4, Opt.SGD, Schedule.ONECYCLE, seed, threads, null,
                        null, false, null, null, false, null, false, 0);
            };
        }

        Config withEpochs(int e) {
            return new Config(arch, e, batchSize, lr, weightDecay, optimizer, schedule, seed, threads, data, out,
                    resume, trainLimit, testLimit, progress, stopAfter, augment, workers);
        }

        /** Everything that must match for {@code --resume} to continue the same run. */
        String identity() {
            return String.format(Locale.ROOT, "arch=%s epochs=%d batch=%d lr=%s wd=%s opt=%s schedule=%s seed=%d "
                    + "train_limit=%s test_limit=%s", arch.cliName(), epochs, batchSize, lr, weightDecay,
                    optimizer.name().toLowerCase(Locale.ROOT), schedule.name().toLowerCase(Locale.ROOT), seed,
                    trainLimit, testLimit) + (augment ? " augment" : "");
        }
    }

    /** One epoch's reproducible results. */
    record EpochResult(int epoch, double trainLoss, double testLoss, double testAccuracy) {
        String csv() {
            return String.format(Locale.ROOT, "%d,%.9f,%.9f,%.6f", epoch, trainLoss, testLoss, testAccuracy);
        }

        static EpochResult parseCsv(String line) {
            String[] f = line.split(",");
            return new EpochResult(Integer.parseInt(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                    Double.parseDouble(f[3]));
        }
    }

    static final String CSV_HEADER = "epoch,train_loss,test_loss,test_accuracy";

    private final Config cfg;
    private final PrintStream out;
    final Generator initGen;
    final Generator noiseGen;
    final Generator shuffleGen;
    final List<EpochResult> history = new ArrayList<>();
    /** Nanoseconds the last training epoch spent waiting for batches. */
    private long dataWaitNanos;

    Trainer(Config cfg, PrintStream out) {
        this.cfg = cfg;
        this.out = out;
        this.initGen = new Generator(cfg.seed());
        this.noiseGen = new Generator(cfg.seed() + 1);
        this.shuffleGen = new Generator(cfg.seed() + 2);
    }

    /** Runs the whole training; returns the per-epoch results (including those restored by --resume). */
    List<EpochResult> run() {
        Vgrad.setNumThreads(cfg.threads());
        FashionMnist data = FashionMnist.load(cfg.data());
        Dataset train = limit(data.train(), cfg.trainLimit());
        Dataset test = limit(data.test(), cfg.testLimit());
        Module model = Models.build(cfg.arch(), initGen, noiseGen);
        DataLoader.Builder trainBuilder = DataLoader.builder(train).batchSize(cfg.batchSize()).shuffle(true)
                .generator(shuffleGen).dropLast(train.size() >= cfg.batchSize()).numWorkers(cfg.workers());
        if (cfg.augment()) {
            // per-sample draws come from (seed + 3, epoch, index): the same for any --workers
            trainBuilder.transform(data.augmentation()).seed(cfg.seed() + 3);
        }
        DataLoader trainLoader = trainBuilder.build();
        DataLoader testLoader = DataLoader.builder(test).batchSize(Math.max(cfg.batchSize(), 500))
                .numWorkers(cfg.workers()).build();
        Optimizer opt = switch (cfg.optimizer()) {
            case ADAMW -> new AdamW(model.parameters(), AdamW.options().lr(cfg.lr()).weightDecay(cfg.weightDecay()));
            case SGD -> new SGD(model.parameters(), SGD.options().lr(cfg.lr()).momentum(0.9).nesterov(true)
                    .weightDecay(cfg.weightDecay()));
        };
        int stepsPerEpoch = trainLoader.numBatches();
        int totalSteps = cfg.epochs() * stepsPerEpoch;
        LRScheduler sched = switch (cfg.schedule()) {
            case COSINE -> new CosineAnnealingLR(opt, totalSteps);
            case ONECYCLE -> new OneCycleLR(opt, cfg.lr(), totalSteps);
        };

        out.printf(Locale.ROOT, "vgrad %s | data: %s (%d train, %d test) | %d parameters%n", cfg.arch().cliName(),
                data.source(), train.size(), test.size(), model.numParameters());
        out.printf(Locale.ROOT, "%s lr %s wd %s, %s schedule, batch %d, %d epochs, seed %d | %d threads, SIMD %s, JDK %s%n",
                cfg.optimizer() == Opt.ADAMW ? "AdamW" : "SGD(nesterov, momentum 0.9)", num(cfg.lr()),
                num(cfg.weightDecay()), cfg.schedule().name().toLowerCase(Locale.ROOT), cfg.batchSize(), cfg.epochs(),
                cfg.seed(), Vgrad.numThreads(), Vgrad.simdEnabled() ? "on" : "off", Runtime.version().feature());
        if (cfg.augment() || cfg.workers() > 0) {
            out.printf(Locale.ROOT, "augmentation: %s | %d data workers%n",
                    cfg.augment() ? FashionMnist.AUGMENTATION : "none", cfg.workers());
        }

        int startEpoch = 0;
        RunCheckpoint ckpt = cfg.out() == null ? null : new RunCheckpoint(cfg.out());
        if (cfg.resume()) {
            startEpoch = ckpt.restore(cfg.identity(), model, opt, sched, List.of(noiseGen, shuffleGen), history);
            out.printf(Locale.ROOT, "resumed from %s after epoch %d%n", cfg.out(), startEpoch);
            for (EpochResult r : history) {
                out.println(line(r, Double.NaN, Double.NaN));
            }
        }

        int lastEpoch = cfg.stopAfter() == null ? cfg.epochs() : Math.min(cfg.epochs(), cfg.stopAfter());
        for (int epoch = startEpoch + 1; epoch <= lastEpoch; epoch++) {
            long t0 = System.nanoTime();
            trainLoader.setEpoch(epoch);
            double trainLoss = trainEpoch(model, trainLoader, opt, sched, epoch);
            long t1 = System.nanoTime();
            double[] eval = evaluate(model, testLoader);
            long t2 = System.nanoTime();
            EpochResult r = new EpochResult(epoch, trainLoss, eval[0], eval[1]);
            history.add(r);
            double secs = (t2 - t0) / 1e9;
            double imgPerSec = trainLoader.numSamples() / ((t1 - t0) / 1e9);
            out.println(line(r, secs, imgPerSec) + String.format(Locale.ROOT, "  data wait %.1f%% of step time",
                    100.0 * dataWaitNanos / (t1 - t0)));
            if (ckpt != null) {
                ckpt.save(cfg.identity(), epoch, model, opt, sched, List.of(noiseGen, shuffleGen), history,
                        "vgrad " + cfg.arch().cliName() + " on Fashion-MNIST");
            }
        }
        if (!history.isEmpty()) {
            EpochResult last = history.get(history.size() - 1);
            out.printf(Locale.ROOT, "final test accuracy %.4f after %d epochs%s%n", last.testAccuracy(),
                    last.epoch(), cfg.out() == null ? "" : " (checkpoint, metrics.csv and plot.png in " + cfg.out() + ")");
        }
        return history;
    }

    private String line(EpochResult r, double secs, double imgPerSec) {
        String left = String.format(Locale.ROOT, "epoch %3d/%d  train loss %.6f  test loss %.6f  test acc %.4f",
                r.epoch(), cfg.epochs(), r.trainLoss(), r.testLoss(), r.testAccuracy());
        if (Double.isNaN(secs)) {
            return left + "  | (restored)";
        }
        return left + String.format(Locale.ROOT, "  | %.1f s  %.0f img/s", secs, imgPerSec);
    }

    private static String num(double d) {
        return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }

    private static Dataset limit(Dataset d, Integer n) {
        return n == null || n >= d.size() ? d : d.subset(0, n);
    }

    private double trainEpoch(Module model, DataLoader loader, Optimizer opt, LRScheduler sched, int epoch) {
        model.train();
        ProgressBar bar = new ProgressBar(out, cfg.progress(), String.format(Locale.ROOT, "epoch %d/%d", epoch,
                cfg.epochs()), loader.numBatches());
        double lossSum = 0;
        long seen = 0;
        int step = 0;
        dataWaitNanos = 0;
        try (BatchIterator it = loader.iterator()) {
            while (it.hasNext()) {
                // the time the loop waits for the next batch (with workers, only what prefetching did not hide)
                long w0 = System.nanoTime();
                Batch b = it.next();
                dataWaitNanos += System.nanoTime() - w0;
                opt.zeroGrad();
                Tensor logits = model.call(b.get(0));
                Tensor loss = F.crossEntropy(logits, b.get(1));
                loss.backward();
                opt.step();
                sched.step();
                double l = loss.item();
                if (!Double.isFinite(l)) {
                    throw new IllegalStateException("training diverged: loss is " + l + " at epoch " + epoch
                            + ", step " + (step + 1) + " (try a lower --lr)");
                }
                lossSum += l * b.size();
                seen += b.size();
                step++;
                bar.update(step, String.format(Locale.ROOT, "loss %.4f", lossSum / seen));
            }
        }
        bar.clear();
        return seen == 0 ? Double.NaN : lossSum / seen;
    }

    /** {test loss, test accuracy} in eval mode without autograd. */
    static double[] evaluate(Module model, DataLoader loader) {
        model.eval();
        double lossSum = 0;
        long correct = 0;
        long total = 0;
        try (var noGrad = Grad.disabled()) {
            for (Batch b : loader) {
                Tensor logits = model.call(b.get(0));
                lossSum += F.crossEntropy(logits, b.get(1)).item() * b.size();
                float[] z = logits.contiguous().toArray();
                long[] y = b.get(1).toLongArray();
                int k = logits.size(1);
                for (int i = 0; i < y.length; i++) {
                    int best = 0;
                    for (int c = 1; c < k; c++) {
                        if (z[i * k + c] > z[i * k + best]) {
                            best = c;
                        }
                    }
                    if (best == y[i]) {
                        correct++;
                    }
                }
                total += y.length;
            }
        }
        return new double[] {lossSum / total, (double) correct / total};
    }

    static Path csvPath(Path dir) {
        return dir.resolve("metrics.csv");
    }

    static boolean exists(Path p) {
        return Files.exists(p);
    }
}
