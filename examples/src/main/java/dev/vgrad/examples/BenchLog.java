package dev.vgrad.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One training log of the Fashion-MNIST benchmark (bench/fashion-mnist/logs/): the console output of
 * {@link FashionMnistTrain} or of its PyTorch twin {@code fashion_mnist_torch.py}, which print the same lines:
 * <pre>
 * vgrad cnn | data: ... (60000 train, 10000 test) | 50282 parameters          (PyTorch: "torch 1.13.0a0 cnn | ...")
 * AdamW lr 0.003 wd 0.01, onecycle schedule, batch 128, 10 epochs, seed 0 | 1 threads...
 * epoch   1/10  train loss 0.569552  test loss 0.378116  test acc 0.8652  | 53.9 s  1169 img/s
 * ...
 * final test accuracy 0.9245 after 10 epochs
 * </pre>
 * The parser is strict: every non-blank line must be one of these (or a JVM {@code WARNING:} line, or the
 * {@code resumed from} / {@code (restored)} lines of a resumed run), epochs must run 1, 2, ... and the final line
 * must repeat the last epoch's accuracy, so a changed log format fails loudly instead of plotting half a run.
 *
 * @param framework "vgrad" or "torch &lt;version&gt;", as the header line names it
 * @param program the model (mlp, cnn, resnet)
 * @param epochs the epoch lines in order
 * @param seconds each epoch's wall time in seconds (NaN for an epoch restored by {@code --resume})
 */
record BenchLog(String framework, String program, String augmentation, List<Trainer.EpochResult> epochs,
        double[] seconds) {
    private static final Pattern HEADER = Pattern.compile(
            "(vgrad|torch \\S+) (\\S+) \\| data: .+ \\(\\d+ train, \\d+ test\\) \\| \\d+ parameters");
    private static final Pattern CONFIG = Pattern.compile(".+, batch \\d+, (\\d+) epochs, seed \\d+ \\| .+");
    private static final Pattern EPOCH = Pattern.compile("epoch +(\\d+)/(\\d+)  train loss (\\S+)  test loss (\\S+)"
            + "  test acc (\\S+)  \\| (?:(\\S+) s  \\S+ img/s(?:  data wait \\S+ of step time)?|\\(restored\\))");
    private static final Pattern FINAL = Pattern.compile("final test accuracy (\\S+) after (\\d+) epochs.*");
    /** The line {@code --augment} adds after the configuration (vgrad names its loader workers, PyTorch does not). */
    private static final Pattern AUGMENTATION = Pattern.compile("augmentation: ([^|]+?)(?: \\| .*)?");
    private static final Pattern RESUMED = Pattern.compile("resumed from .+ after epoch \\d+");

    /** True for PyTorch's log, false for vgrad's. */
    boolean isTorch() {
        return framework.startsWith("torch");
    }

    /** Mean seconds per epoch over the timed epochs (what results.md reports), NaN if none was timed. */
    double meanSeconds() {
        double sum = 0;
        int n = 0;
        for (double s : seconds) {
            if (!Double.isNaN(s)) {
                sum += s;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    static BenchLog read(Path file) throws IOException {
        return parse(file.toString(), Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    /** Parses the lines of a log; {@code name} only labels error messages. */
    static BenchLog parse(String name, List<String> lines) {
        String framework = null;
        String program = null;
        int planned = -1;
        Double finalAcc = null;
        String augmentation = null;
        List<Trainer.EpochResult> epochs = new ArrayList<>();
        List<Double> seconds = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            String where = name + ":" + (i + 1);
            Matcher m;
            if (line.isEmpty() || line.startsWith("WARNING:") || RESUMED.matcher(line).matches()) {
                continue;
            }
            if ((m = AUGMENTATION.matcher(line)).matches()) {
                augmentation = m.group(1);
                continue;
            }
            if ((m = HEADER.matcher(line)).matches()) {
                if (framework != null) {
                    throw new IllegalArgumentException(where + ": a second header line (two runs in one log?)");
                }
                framework = m.group(1);
                program = m.group(2);
            } else if ((m = CONFIG.matcher(line)).matches()) {
                planned = Integer.parseInt(m.group(1));
            } else if ((m = EPOCH.matcher(line)).matches()) {
                int epoch = Integer.parseInt(m.group(1));
                if (framework == null || epoch != epochs.size() + 1 || Integer.parseInt(m.group(2)) != planned) {
                    throw new IllegalArgumentException(where + ": expected epoch " + (epochs.size() + 1) + "/"
                            + planned + " after the header lines, got: " + line);
                }
                epochs.add(new Trainer.EpochResult(epoch, Double.parseDouble(m.group(3)),
                        Double.parseDouble(m.group(4)), Double.parseDouble(m.group(5))));
                seconds.add(m.group(6) == null ? Double.NaN : Double.parseDouble(m.group(6)));
            } else if ((m = FINAL.matcher(line)).matches()) {
                finalAcc = Double.parseDouble(m.group(1));
                if (Integer.parseInt(m.group(2)) != epochs.size()) {
                    throw new IllegalArgumentException(where + ": the final line counts " + m.group(2)
                            + " epochs but the log has " + epochs.size());
                }
            } else {
                throw new IllegalArgumentException(where + ": not a line of a training log: " + line);
            }
        }
        if (framework == null || epochs.isEmpty()) {
            throw new IllegalArgumentException(name + ": no header line or no epoch lines; not a complete training log");
        }
        if (finalAcc != null && finalAcc != epochs.get(epochs.size() - 1).testAccuracy()) {
            throw new IllegalArgumentException(name + ": final test accuracy " + finalAcc
                    + " differs from the last epoch's " + epochs.get(epochs.size() - 1).testAccuracy());
        }
        return new BenchLog(framework, program, augmentation, List.copyOf(epochs),
                seconds.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
