package dev.vgrad.examples;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.Vgrad;
import dev.vgrad.nn.F;
import dev.vgrad.nn.Module;
import dev.vgrad.optim.AdamW;
import dev.vgrad.optim.Checkpoint;
import dev.vgrad.optim.ClipGrad;
import dev.vgrad.optim.CosineAnnealingLR;
import dev.vgrad.optim.LRScheduler;
import dev.vgrad.optim.LinearLR;
import dev.vgrad.optim.Optimizer;
import dev.vgrad.optim.SequentialLR;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Character-level language models on the King James Bible: {@code gpt} trains a {@link CharGpt}, {@code lstm} an
 * {@link LstmLm}, {@code sample} generates text from a checkpoint, {@code prepare} writes the whole corpus to
 * {@code ~/.cache/vgrad/kjv.txt} (else the embedded Genesis slice is used).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ... dev.vgrad.examples.LmTrain gpt --steps 2000 --checkpoint gpt.ckpt
 * java ... dev.vgrad.examples.LmTrain sample --checkpoint gpt.ckpt --prompt "And God said" --top-k 10
 * </pre>
 *
 * <p>Training: AdamW (β = 0.9, 0.99), linear warm-up then cosine decay to lr/10 (SequentialLR of LinearLR and
 * CosineAnnealingLR, stepped once per step), gradient-norm clipping, cross-entropy over all B·T positions. Every
 * {@code --eval-every} steps it prints the mean training loss since the last report, the validation loss over
 * {@code --eval-batches} fixed batches and the training throughput, and writes the checkpoint. The data order is
 * a pure function of (seed, step) ({@link LmData}), init comes from {@code Generator(seed)} and kernels give the
 * same bits for any thread count, so the left part of every report line is reproducible, and a run resumed from a
 * checkpoint ({@code --resume}) ends bit-identical to an uninterrupted one (docs/SEMANTICS.md §24).
 */
@Command(name = "lm", mixinStandardHelpOptions = true, version = "vgrad examples 0.1.0",
        description = "Character-level language models (GPT, LSTM) on the King James Bible.",
        subcommands = {CommandLine.HelpCommand.class})
public final class LmTrain implements Callable<Integer> {
    static final String TORCH_TWIN = "bench/lm/";
    private final PrintStream out;

    LmTrain(PrintStream out) {
        this.out = out;
    }

    /** Options shared by both models; unset ones take the model's defaults. */
    public static final class TrainOptions {
        @Option(names = "--steps", defaultValue = "2000", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--batch-size", defaultValue = "32", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
        int batchSize;

        @Option(names = "--block-size", defaultValue = "128", description = "Characters per sequence (default: ${DEFAULT-VALUE}).")
        int blockSize;

        @Option(names = "--lr", description = "Peak learning rate (default: 1e-3 for gpt, 2e-3 for lstm).")
        Double lr;

        @Option(names = "--weight-decay", defaultValue = "0.01", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
        double weightDecay;

        @Option(names = "--warmup", description = "Linear warm-up steps (default: min(100, steps/10)).")
        Integer warmup;

        @Option(names = "--grad-clip", defaultValue = "1.0", description = "Max gradient norm, 0 = off (default: ${DEFAULT-VALUE}).")
        double gradClip;

        @Option(names = "--seed", defaultValue = "0", description = "Seed of the init and the data order (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--threads", description = "Intra-op threads (default: available processors). Results do not depend on it.")
        Integer threads;

        @Option(names = "--eval-every", defaultValue = "200", description = "Steps between reports and checkpoints (default: ${DEFAULT-VALUE}).")
        int evalEvery;

        @Option(names = "--eval-batches", defaultValue = "20", description = "Validation batches per report (default: ${DEFAULT-VALUE}).")
        int evalBatches;

        @Option(names = "--data", description = "Corpus text file (default: ~/.cache/vgrad/kjv.txt if present, else "
                + "the embedded Genesis slice; 'embedded' forces the slice).")
        Path data;

        @Option(names = "--checkpoint", description = "Checkpoint file, written at every report.")
        Path checkpoint;

        @Option(names = "--plot", description = "PNG of loss and learning rate against steps, redrawn at every report.")
        Path plot;

        @Option(names = "--resume", description = "Continue the run saved in --checkpoint.")
        boolean resume;

        @Option(names = "--stop-after", hidden = true, description = "Stop (and checkpoint) after step N as if interrupted.")
        Integer stopAfter;

        @Option(names = "--sample-length", defaultValue = "200", description = "Characters sampled after training, 0 = none (default: ${DEFAULT-VALUE}).")
        int sampleLength;

        @Option(names = "--progress", negatable = true, description = "Progress bar (default: on when stdout is a terminal).")
        Boolean progress;
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, out);
        return 0;
    }

    @Command(name = "gpt", mixinStandardHelpOptions = true,
            description = "Train a character-level GPT (pre-norm blocks, causal self-attention, GELU MLP).")
    int gpt(@Mixin TrainOptions o,
            @Option(names = "--n-layer", defaultValue = "4", description = "Blocks (default: ${DEFAULT-VALUE}).") int nLayer,
            @Option(names = "--n-head", defaultValue = "4", description = "Attention heads (default: ${DEFAULT-VALUE}).") int nHead,
            @Option(names = "--n-embd", defaultValue = "128", description = "Embedding width (default: ${DEFAULT-VALUE}).") int nEmbd,
            @Option(names = "--untied", description = "Give lm_head its own weight instead of tying it to wte.") boolean untied) {
        Map<String, String> spec = new LinkedHashMap<>();
        spec.put("model", "gpt");
        spec.put("n_layer", Integer.toString(nLayer));
        spec.put("n_head", Integer.toString(nHead));
        spec.put("n_embd", Integer.toString(nEmbd));
        spec.put("tied", Boolean.toString(!untied));
        spec.put("block_size", Integer.toString(o.blockSize));
        return train(spec, o, o.lr != null ? o.lr : 1e-3);
    }

    @Command(name = "lstm", mixinStandardHelpOptions = true, description = "Train a character-level LSTM language model.")
    int lstm(@Mixin TrainOptions o,
             @Option(names = "--embed", defaultValue = "64", description = "Embedding width (default: ${DEFAULT-VALUE}).") int embed,
             @Option(names = "--hidden", defaultValue = "256", description = "LSTM hidden size (default: ${DEFAULT-VALUE}).") int hidden,
             @Option(names = "--layers", defaultValue = "1", description = "LSTM layers (default: ${DEFAULT-VALUE}).") int layers) {
        Map<String, String> spec = new LinkedHashMap<>();
        spec.put("model", "lstm");
        spec.put("embed", Integer.toString(embed));
        spec.put("hidden", Integer.toString(hidden));
        spec.put("layers", Integer.toString(layers));
        spec.put("block_size", Integer.toString(o.blockSize));
        return train(spec, o, o.lr != null ? o.lr : 2e-3);
    }

    @Command(name = "sample", mixinStandardHelpOptions = true, description = "Generate text from a checkpoint.")
    int sample(@Option(names = "--checkpoint", required = true, description = "Checkpoint written by gpt or lstm.") Path checkpoint,
               @Option(names = "--prompt", defaultValue = "And God said", description = "Start of the text (default: ${DEFAULT-VALUE}).") String prompt,
               @Option(names = "--length", defaultValue = "500", description = "Characters to generate (default: ${DEFAULT-VALUE}).") int length,
               @Option(names = "--temperature", defaultValue = "0.8", description = "Softmax temperature > 0 (default: ${DEFAULT-VALUE}).") double temperature,
               @Option(names = "--top-k", defaultValue = "0", description = "Sample among the k most likely characters, 0 = all (default: ${DEFAULT-VALUE}).") int topK,
               @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default: ${DEFAULT-VALUE}).") long seed,
               @Option(names = "--threads", description = "Intra-op threads (default: available processors).") Integer threads) {
        checkSampling(length, temperature, topK);
        if (threads != null) {
            Vgrad.setNumThreads(positive("--threads", threads));
        }
        if (!Files.isRegularFile(checkpoint)) {
            throw new IllegalArgumentException("--checkpoint: " + checkpoint + " is not a file");
        }
        Map<String, String> user;
        Module model;
        try {
            user = Checkpoint.load(checkpoint, null, null, null);
            model = build(spec(user), new Generator(0));
            Checkpoint.load(checkpoint, model, null, null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + checkpoint + ": " + e.getMessage(), e);
        }
        int block = Integer.parseInt(spec(user).get("block_size"));
        out.print(generate(model, block, prompt, length, temperature, topK, new Generator(seed)));
        out.println();
        return 0;
    }

    @Command(name = "prepare", mixinStandardHelpOptions = true,
            description = "Write the whole King James Bible (Debian's bible-kjv) to ~/.cache/vgrad/kjv.txt.")
    int prepare(@Option(names = "--out", description = "Target file (default: ~/.cache/vgrad/kjv.txt).") Path target) {
        Path p = LmData.prepare(target);
        out.println("wrote " + p);
        return 0;
    }

    // ------------------------------------------------------------------ training

    /** One report: mean training loss since the last one, validation loss, learning rate after the step. */
    record Report(int step, double trainLoss, double valLoss, double lr) {
        String csv() {
            return step + ":" + trainLoss + ":" + valLoss + ":" + lr;
        }

        static Report parse(String s) {
            String[] f = s.split(":");
            return new Report(Integer.parseInt(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                    Double.parseDouble(f[3]));
        }
    }

    /** What a training run returns (for tests): the reports and the final model. */
    record Result(List<Report> reports, Module model) {}

    /** The last run's result (tests read it after {@link #execute}). */
    static volatile Result lastResult;

    private int train(Map<String, String> spec, TrainOptions o, double lr) {
        int steps = positive("--steps", o.steps);
        int batch = positive("--batch-size", o.batchSize);
        int block = positive("--block-size", o.blockSize);
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new IllegalArgumentException("--lr must be positive, got " + lr);
        }
        if (!(o.weightDecay >= 0)) {
            throw new IllegalArgumentException("--weight-decay must be non-negative, got " + o.weightDecay);
        }
        if (!(o.gradClip >= 0)) {
            throw new IllegalArgumentException("--grad-clip must be non-negative, got " + o.gradClip);
        }
        int warmup = o.warmup != null ? o.warmup : Math.min(100, steps / 10);
        if (warmup < 0 || warmup >= steps) {
            throw new IllegalArgumentException("--warmup must be in [0, steps), got " + warmup + " with --steps " + steps);
        }
        int evalEvery = positive("--eval-every", o.evalEvery);
        int evalBatches = positive("--eval-batches", o.evalBatches);
        if (o.sampleLength < 0) {
            throw new IllegalArgumentException("--sample-length must be non-negative, got " + o.sampleLength);
        }
        if (o.resume && o.checkpoint == null) {
            throw new IllegalArgumentException("--resume needs --checkpoint FILE (the run to continue)");
        }
        if (o.stopAfter != null && o.stopAfter < 1) {
            throw new IllegalArgumentException("--stop-after must be positive, got " + o.stopAfter);
        }
        Vgrad.setNumThreads(o.threads != null ? positive("--threads", o.threads) : Runtime.getRuntime().availableProcessors());

        LmData data = LmData.load(o.data);
        if (data.train().length < block + 1 || data.val().length < block + 1) {
            throw new IllegalArgumentException("--block-size " + block + " is too long for the corpus ("
                    + data.train().length + " train, " + data.val().length + " validation characters)");
        }
        Module model = build(spec, new Generator(o.seed));
        Optimizer opt = new AdamW(model.parameters(), AdamW.options().lr(lr).betas(0.9, 0.99).weightDecay(o.weightDecay));
        LRScheduler sched = warmup == 0 ? new CosineAnnealingLR(opt, steps, lr / 10)
                : new SequentialLR(opt, List.of(new LinearLR(opt, 1.0 / warmup, 1.0, warmup),
                        new CosineAnnealingLR(opt, steps - warmup, lr / 10)), new int[] {warmup});
        String identity = String.format(Locale.ROOT, "%s steps=%d batch=%d lr=%s wd=%s warmup=%d clip=%s seed=%d "
                + "eval_every=%d eval_batches=%d data=%d", spec, steps, batch, lr, o.weightDecay, warmup, o.gradClip,
                o.seed, evalEvery, evalBatches, data.train().length + data.val().length);

        out.printf(Locale.ROOT, "vgrad %s | %s | data: %s (%d train, %d val characters, vocab %d) | %d parameters%n",
                spec.get("model"), describe(model), data.source(), data.train().length, data.val().length,
                LmData.vocabSize(), model.numParameters());
        out.printf(Locale.ROOT, "AdamW lr %s wd %s, warm-up %d + cosine, clip %s, batch %d x %d, %d steps, seed %d | "
                + "%d threads, SIMD %s, JDK %s%n", lr, o.weightDecay, warmup, o.gradClip, batch, block, steps, o.seed,
                Vgrad.numThreads(), Vgrad.simdEnabled() ? "on" : "off", Runtime.version().feature());

        List<Report> reports = new ArrayList<>();
        int start = 0;
        if (o.resume) {
            start = restore(o.checkpoint, identity, model, opt, sched, reports);
            out.printf(Locale.ROOT, "resumed from %s after step %d%n", o.checkpoint, start);
            for (Report r : reports) {
                out.println(line(r, steps) + "  | (restored)");
            }
        }
        int last = o.stopAfter == null ? steps : Math.min(steps, o.stopAfter);

        // the loop's own buffers: inputs, targets and offsets are refilled in place every step
        Tensor x = Tensor.zeros(dev.vgrad.core.DType.INT64, batch, block);
        Tensor y = Tensor.zeros(dev.vgrad.core.DType.INT64, batch, block);
        Tensor yFlat = y.view(batch * block);
        long[] offsets = new long[batch];
        List<Tensor> params = model.parameters();
        int vocab = LmData.vocabSize();
        boolean progress = o.progress != null ? o.progress : ProgressBar.terminal();

        double lossSum = 0;
        int lossCount = 0;
        long trainNanos = 0;
        long trainTokens = 0;
        long totalNanos = 0;
        long totalTokens = 0;
        ProgressBar bar = new ProgressBar(out, progress, "train", steps);
        model.train();
        for (int step = start; step < last; step++) {
            long t0 = System.nanoTime();
            LmData.batch(data.train(), o.seed, step, x, y, offsets);
            opt.zeroGrad();
            Tensor loss = F.crossEntropy(model.call(x).view(batch * block, vocab), yFlat);
            loss.backward();
            if (o.gradClip > 0) {
                ClipGrad.clipGradNorm(params, o.gradClip);
            }
            opt.step();
            sched.step();
            double l = loss.item();
            trainNanos += System.nanoTime() - t0;
            trainTokens += (long) batch * block;
            if (!Double.isFinite(l)) {
                throw new IllegalStateException("training diverged: loss is " + l + " at step " + (step + 1)
                        + " (try a lower --lr)");
            }
            lossSum += l;
            lossCount++;
            if (progress) {
                bar.update(step + 1, String.format(Locale.ROOT, "loss %.4f", lossSum / lossCount));
            }
            boolean report = (step + 1) % evalEvery == 0 || step + 1 == steps;
            boolean stopping = step + 1 == last;
            if (report || stopping) {
                bar.clear();
                if (report) {
                    Report r = new Report(step + 1, lossSum / lossCount, evaluate(model, data.val(), batch, block,
                            evalBatches), sched.getLastLr()[0]);
                    reports.add(r);
                    double tokPerSec = trainTokens / (trainNanos / 1e9);
                    out.println(line(r, steps) + String.format(Locale.ROOT, "  | lr %.3e  %.0f tok/s", r.lr(),
                            tokPerSec));
                    if (o.plot != null) {
                        plot(o.plot, spec.get("model"), reports);
                    }
                    totalNanos += trainNanos;
                    totalTokens += trainTokens;
                    trainNanos = 0;
                    trainTokens = 0;
                    lossSum = 0;
                    lossCount = 0;
                }
                if (o.checkpoint != null && (report || o.stopAfter != null)) {
                    save(o.checkpoint, identity, spec, step + 1, model, opt, sched, reports);
                }
            }
        }
        totalNanos += trainNanos;
        totalTokens += trainTokens;
        if (!reports.isEmpty() && last == steps) {
            Report r = reports.get(reports.size() - 1);
            out.printf(Locale.ROOT, "final val loss %.4f after %d steps | %.0f tok/s over the run%s%n", r.valLoss(),
                    r.step(), totalNanos == 0 ? 0.0 : totalTokens / (totalNanos / 1e9),
                    o.checkpoint == null ? "" : " (checkpoint " + o.checkpoint + ")");
            if (o.sampleLength > 0) {
                out.println("--- sample (temperature 0.8, top-k 10, seed " + o.seed + ") ---");
                out.println(generate(model, block, "And God said", o.sampleLength, 0.8, 10, new Generator(o.seed)));
            }
        }
        lastResult = new Result(List.copyOf(reports), model);
        return 0;
    }

    private static void plot(Path file, String model, List<Report> reports) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            LmChart.write(file, "vgrad " + model + " on the King James Bible", reports);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write plot " + file + ": " + e.getMessage(), e);
        }
    }

    private static String line(Report r, int steps) {
        return String.format(Locale.ROOT, "step %5d/%d  train loss %.4f  val loss %.4f", r.step(), steps,
                r.trainLoss(), r.valLoss());
    }

    /** Mean cross-entropy over {@code batches} fixed validation batches, in eval mode without autograd. */
    static double evaluate(Module model, long[] val, int batch, int block, int batches) {
        model.eval();
        Tensor x = Tensor.zeros(dev.vgrad.core.DType.INT64, batch, block);
        Tensor y = Tensor.zeros(dev.vgrad.core.DType.INT64, batch, block);
        long[] offsets = new long[batch];
        double sum = 0;
        try (var noGrad = Grad.disabled()) {
            for (int k = 0; k < batches; k++) {
                LmData.batch(val, LmData.VAL_SEED, k, x, y, offsets);
                sum += F.crossEntropy(model.call(x).view(batch * block, LmData.vocabSize()), y.view(batch * block))
                        .item();
            }
        }
        model.train();
        return sum / batches;
    }

    // ------------------------------------------------------------------ models and checkpoints

    static Module build(Map<String, String> spec, Generator gen) {
        int vocab = LmData.vocabSize();
        return switch (spec.get("model")) {
            case "gpt" -> new CharGpt(new CharGpt.Config(vocab, intOf(spec, "block_size"), intOf(spec, "n_layer"),
                    intOf(spec, "n_head"), intOf(spec, "n_embd"), Boolean.parseBoolean(spec.get("tied"))), gen);
            case "lstm" -> new LstmLm(new LstmLm.Config(vocab, intOf(spec, "embed"), intOf(spec, "hidden"),
                    intOf(spec, "layers")), gen);
            default -> throw new IllegalArgumentException("unknown model '" + spec.get("model") + "'");
        };
    }

    private static String describe(Module m) {
        return m instanceof CharGpt g ? g.config().describe() : ((LstmLm) m).config().describe();
    }

    private static int intOf(Map<String, String> spec, String key) {
        String v = spec.get(key);
        if (v == null) {
            throw new IllegalArgumentException("the checkpoint's model description lacks '" + key + "'");
        }
        return Integer.parseInt(v);
    }

    /** The model description stored in a checkpoint's user metadata under {@code spec.*}. */
    private static Map<String, String> spec(Map<String, String> user) {
        Map<String, String> spec = new LinkedHashMap<>();
        for (var e : user.entrySet()) {
            if (e.getKey().startsWith("spec.")) {
                spec.put(e.getKey().substring(5), e.getValue());
            }
        }
        if (!spec.containsKey("model")) {
            throw new IllegalArgumentException("the checkpoint was not written by LmTrain (no model description)");
        }
        return spec;
    }

    private static void save(Path file, String identity, Map<String, String> spec, int step, Module model,
                             Optimizer opt, LRScheduler sched, List<Report> reports) {
        Map<String, String> user = new LinkedHashMap<>();
        user.put("config", identity);
        user.put("step", Integer.toString(step));
        StringBuilder sb = new StringBuilder();
        for (Report r : reports) {
            sb.append(sb.isEmpty() ? "" : ",").append(r.csv());
        }
        user.put("reports", sb.toString());
        for (var e : spec.entrySet()) {
            user.put("spec." + e.getKey(), e.getValue());
        }
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Checkpoint.save(file, model, opt, sched, user);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    private static int restore(Path file, String identity, Module model, Optimizer opt, LRScheduler sched,
                               List<Report> reports) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--resume: no checkpoint at " + file);
        }
        Map<String, String> user;
        try {
            user = Checkpoint.load(file, null, null, null);
            if (!identity.equals(user.get("config"))) {
                throw new IllegalArgumentException("--resume: the checkpoint " + file + " is from a different run "
                        + "configuration:\n  saved:   " + user.get("config") + "\n  current: " + identity);
            }
            Checkpoint.load(file, model, opt, sched);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
        }
        String rs = user.getOrDefault("reports", "");
        if (!rs.isEmpty()) {
            for (String s : rs.split(",")) {
                reports.add(Report.parse(s));
            }
        }
        return Integer.parseInt(user.get("step"));
    }

    // ------------------------------------------------------------------ sampling

    private static void checkSampling(int length, double temperature, int topK) {
        if (length < 0) {
            throw new IllegalArgumentException("--length must be non-negative, got " + length);
        }
        if (!(temperature > 0) || !Double.isFinite(temperature)) {
            throw new IllegalArgumentException("--temperature must be positive, got " + temperature);
        }
        if (topK < 0 || topK > LmData.vocabSize()) {
            throw new IllegalArgumentException("--top-k must be in [0, " + LmData.vocabSize() + "], got " + topK);
        }
    }

    /**
     * {@code prompt} followed by {@code length} characters, each drawn from softmax(logits/temperature) of the last
     * position (restricted to the {@code topK} largest logits when {@code topK > 0}) with {@code multinomial} on
     * {@code gen}; the context is the last {@code block} characters. Deterministic for a given generator state.
     */
    static String generate(Module model, int block, String prompt, int length, double temperature, int topK,
                           Generator gen) {
        checkSampling(length, temperature, topK);
        String p = prompt.isEmpty() ? "\n" : prompt;
        long[] ids = java.util.Arrays.copyOf(LmData.encode(p), p.length() + length);
        int n = p.length();
        model.eval();
        try (var noGrad = Grad.disabled()) {
            for (int i = 0; i < length; i++) {
                int from = Math.max(0, n - block);
                Tensor x = Tensor.ofLongs(java.util.Arrays.copyOfRange(ids, from, n), 1, n - from);
                Tensor logits = model.call(x).select(1, n - from - 1).div(temperature);
                if (topK > 0 && topK < LmData.vocabSize()) {
                    Tensor kth = logits.topk(topK, 1, true, true).values().narrow(1, topK - 1, 1);
                    logits = logits.maskedFill(logits.lt(kth), Double.NEGATIVE_INFINITY);
                }
                ids[n++] = (long) logits.softmax(1).multinomial(1, true, gen).item();
            }
        }
        model.train();
        return LmData.decode(ids);
    }

    private static int positive(String name, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + v);
        }
        return v;
    }

    // ------------------------------------------------------------------ command line

    /** Runs the command line; errors in arguments print {@code error: ...} and return 2. */
    public static int execute(String... args) {
        return execute(System.out, args);
    }

    /** As {@link #execute(String...)}, printing to {@code out}. */
    public static int execute(PrintStream out, String... args) {
        return execute(out, System.err, args);
    }

    /** As {@link #execute(String...)}, printing the log to {@code out} and errors and usage to {@code err}. */
    static int execute(PrintStream out, PrintStream err, String... args) {
        CommandLine cl = new CommandLine(new LmTrain(out));
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        cl.setOverwrittenOptionsAllowed(true); // the last of a repeated option wins, as with argparse
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException) {
                commandLine.getErr().println("error: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl.execute(args);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
