package dev.vgrad.examples;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Trains a classifier on Fashion-MNIST. Subcommands: {@code mlp}, {@code cnn} (the default when none is given)
 * and {@code resnet}.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ... dev.vgrad.examples.FashionMnistTrain cnn --epochs 2
 * </pre>
 */
@Command(name = "fashion-mnist", mixinStandardHelpOptions = true, version = "vgrad examples 0.1.0",
        description = "Train a Fashion-MNIST classifier with vgrad (default subcommand: cnn).",
        subcommands = {CommandLine.HelpCommand.class})
public final class FashionMnistTrain implements Callable<Integer> {
    private final PrintStream out;

    FashionMnistTrain(PrintStream out) {
        this.out = out;
    }

    /** Options shared by all programs; unset ones take the program's defaults. */
    public static final class Options {
        @Option(names = "--epochs", description = "Number of epochs (default: per program).")
        Integer epochs;

        @Option(names = "--batch-size", description = "Training batch size (default: 128).")
        Integer batchSize;

        @Option(names = "--lr", description = "Peak learning rate (default: per program).")
        Double lr;

        @Option(names = "--weight-decay", description = "Weight decay (default: per program).")
        Double weightDecay;

        @Option(names = "--optimizer", description = "adamw or sgd (default: per program).")
        String optimizer;

        @Option(names = "--schedule", description = "cosine or onecycle (default: per program).")
        String schedule;

        @Option(names = "--seed", defaultValue = "0", description = "Seed for init, shuffling, Dropout and DropPath (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--threads", description = "Intra-op threads (default: available processors). Results do not depend on it.")
        Integer threads;

        @Option(names = "--data", description = "Directory with the four Fashion-MNIST IDX files (default: "
                + FashionMnist.SYSTEM_DIR + " if present, else the embedded subset; 'embedded' forces the subset).")
        Path data;

        @Option(names = "--out", description = "Directory for the checkpoint, metrics.csv and plot.png (written every epoch).")
        Path out;

        @Option(names = "--resume", description = "Continue the run checkpointed in --out.")
        boolean resume;

        @Option(names = "--train-limit", description = "Use only the first N training images.")
        Integer trainLimit;

        @Option(names = "--test-limit", description = "Use only the first N test images.")
        Integer testLimit;

        @Option(names = "--stop-after", hidden = true, description = "Stop after epoch N as if interrupted (for testing --resume).")
        Integer stopAfter;

        @Option(names = "--augment", description = "Augment training images: " + FashionMnist.AUGMENTATION
                + ", drawn per sample from (seed, epoch, index).")
        boolean augment;

        @Option(names = "--workers", defaultValue = "0", description = "Threads that load (and augment) batches "
                + "ahead of training (default: ${DEFAULT-VALUE}). Results do not depend on it.")
        int workers;

        @Option(names = "--progress", negatable = true, description = "Progress bar (default: on when stdout is a terminal).")
        Boolean progress;
    }

    @Override
    public Integer call() {
        return run(Models.Arch.CNN, new Options());
    }

    @Command(name = "mlp", mixinStandardHelpOptions = true,
            description = "784-256-128-10 MLP with Dropout (AdamW, cosine schedule).")
    int mlp(@Mixin Options options) {
        return run(Models.Arch.MLP, options);
    }

    @Command(name = "cnn", mixinStandardHelpOptions = true,
            description = "Two Conv-BatchNorm-ReLU-MaxPool blocks, Dropout, Linear (AdamW, one-cycle schedule).")
    int cnn(@Mixin Options options) {
        return run(Models.Arch.CNN, options);
    }

    @Command(name = "resnet", mixinStandardHelpOptions = true,
            description = "Small residual network with BatchNorm and DropPath (SGD with Nesterov momentum, one-cycle schedule).")
    int resnet(@Mixin Options options) {
        return run(Models.Arch.RESNET, options);
    }

    int run(Models.Arch arch, Options o) {
        Trainer.Config cfg = Trainer.Config.defaults(arch, o.seed);
        if (o.epochs != null) {
            cfg = cfg.withEpochs(o.epochs);
        }
        cfg = new Trainer.Config(arch, cfg.epochs(), o.batchSize != null ? o.batchSize : cfg.batchSize(),
                o.lr != null ? o.lr : cfg.lr(), o.weightDecay != null ? o.weightDecay : cfg.weightDecay(),
                o.optimizer != null ? Trainer.Opt.parse(o.optimizer) : cfg.optimizer(),
                o.schedule != null ? Trainer.Schedule.parse(o.schedule) : cfg.schedule(), o.seed,
                o.threads != null ? o.threads : Runtime.getRuntime().availableProcessors(), o.data, o.out, o.resume,
                o.trainLimit, o.testLimit, o.progress != null ? o.progress : ProgressBar.terminal(), o.stopAfter,
                o.augment, o.workers);
        new Trainer(cfg, out).run();
        return 0;
    }

    /** Runs the command line; with no subcommand (or only options) the {@code cnn} program runs. */
    public static int execute(String... args) {
        return execute(System.out, args);
    }

    /** As {@link #execute(String...)}, printing the log to {@code out}. */
    public static int execute(PrintStream out, String... args) {
        String[] a = args;
        if (a.length == 0 || (a[0].startsWith("-") && !a[0].equals("-h") && !a[0].equals("--help")
                && !a[0].equals("-V") && !a[0].equals("--version"))) {
            String[] b = new String[a.length + 1];
            b[0] = "cnn";
            System.arraycopy(a, 0, b, 1, a.length);
            a = b;
        }
        CommandLine cl = new CommandLine(new FashionMnistTrain(out));
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException) {
                commandLine.getErr().println("error: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl.execute(a);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
