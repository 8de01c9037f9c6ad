package dev.vgrad.examples;

import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler;

/**
 * Draws the Fashion-MNIST benchmark's vgrad-versus-PyTorch charts from the twins' logs: for every program with
 * both {@code <program>-vgrad.log} and {@code <program>-torch.log}, {@code compare-<program>.png} with the loss
 * curves (train solid, test dashed) and the test accuracy of both frameworks per epoch, vgrad in blue and
 * PyTorch in orange.
 *
 * <pre>
 * java -cp ... dev.vgrad.examples.CompareCharts [logs-dir [out-dir]]
 * mvn -pl examples validate exec:exec -Dexamples.main=dev.vgrad.examples.CompareCharts -Dexamples.args=
 * </pre>
 * Without arguments it looks for {@code bench/fashion-mnist/logs} in the working directory and its parents and
 * writes next to it, in {@code bench/fashion-mnist}.
 */
public final class CompareCharts {
    private static final Path BENCH = Path.of("bench", "fashion-mnist");

    private CompareCharts() {
    }

    public static void main(String[] args) throws IOException {
        System.exit(run(System.out, args));
    }

    static int run(PrintStream out, String... args) throws IOException {
        if (args.length > 2) {
            out.println("usage: CompareCharts [logs-dir [out-dir]]");
            return 2;
        }
        Path logs = args.length > 0 ? Path.of(args[0]) : findLogs(Path.of("").toAbsolutePath());
        Path outDir = args.length > 1 ? Path.of(args[1]) : logs.toAbsolutePath().getParent();
        List<Path> written = writeAll(logs, outDir);
        if (written.isEmpty()) {
            out.println("no <program>-vgrad.log with a matching <program>-torch.log in " + logs);
            return 1;
        }
        for (Path p : written) {
            out.println("wrote " + p);
        }
        return 0;
    }

    /** Writes one chart per program that has both logs in {@code logs}; returns the files written, by program. */
    static List<Path> writeAll(Path logs, Path outDir) throws IOException {
        List<String> programs;
        try (Stream<Path> files = Files.list(logs)) {
            programs = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith("-vgrad.log"))
                    .map(n -> n.substring(0, n.length() - "-vgrad.log".length()))
                    .filter(p -> Files.isRegularFile(logs.resolve(p + "-torch.log"))).sorted().toList();
        }
        Files.createDirectories(outDir);
        List<Path> written = new ArrayList<>();
        for (String program : programs) {
            BenchLog vgrad = BenchLog.read(logs.resolve(program + "-vgrad.log"));
            BenchLog torch = BenchLog.read(logs.resolve(program + "-torch.log"));
            Path file = outDir.resolve("compare-" + program + ".png");
            write(file, vgrad, torch);
            written.add(file);
        }
        return written;
    }

    /** One side-by-side chart of a program's vgrad and PyTorch runs. */
    static void write(Path file, BenchLog vgrad, BenchLog torch) throws IOException {
        if (vgrad.isTorch() || !torch.isTorch() || !vgrad.program().equals(torch.program())) {
            throw new IllegalArgumentException("CompareCharts: expected a vgrad and a PyTorch log of one program, got "
                    + vgrad.framework() + " " + vgrad.program() + " and " + torch.framework() + " " + torch.program());
        }
        int epochs = Math.max(vgrad.epochs().size(), torch.epochs().size());
        XYChart loss = Charts.panel("Cross-entropy loss", "loss", Styler.LegendPosition.InsideNE);
        XYChart acc = Charts.panel("Test accuracy", "accuracy", Styler.LegendPosition.InsideSE);
        for (BenchLog log : List.of(vgrad, torch)) {
            String who = log.isTorch() ? "PyTorch" : "vgrad";
            Color color = log.isTorch() ? Charts.ORANGE : Charts.BLUE;
            Charts.line(loss, who + " train", column(log, Trainer.EpochResult::trainLoss), color, false);
            Charts.line(loss, who + " test", column(log, Trainer.EpochResult::testLoss), color, true);
            Charts.line(acc, who, column(log, Trainer.EpochResult::testAccuracy), color, false);
        }
        Charts.finish(loss, epochs);
        Charts.finish(acc, epochs);
        if (!Objects.equals(vgrad.augmentation(), torch.augmentation())) {
            throw new IllegalArgumentException("CompareCharts: the two runs differ in augmentation: vgrad "
                    + vgrad.augmentation() + ", PyTorch " + torch.augmentation());
        }
        String title = String.format(Locale.ROOT, "%s on Fashion-MNIST%s: vgrad vs PyTorch %s", vgrad.program(),
                vgrad.augmentation() == null ? "" : " (augmented)",
                torch.framework().substring("torch ".length()));
        String subtitle = String.format(Locale.ROOT, "same model, hyper-parameters%s;  final test accuracy "
                + "vgrad %s, PyTorch %s;  mean epoch time vgrad %.1f s, PyTorch %.1f s",
                vgrad.augmentation() == null ? " and seed" : ", seed and augmentation", last(vgrad), last(torch),
                vgrad.meanSeconds(), torch.meanSeconds());
        Charts.writeSideBySide(file, title, subtitle, loss, acc);
    }

    private static double[] column(BenchLog log, ToDoubleFunction<Trainer.EpochResult> f) {
        return log.epochs().stream().mapToDouble(f).toArray();
    }

    private static String last(BenchLog log) {
        return Charts.acc(log.epochs().get(log.epochs().size() - 1).testAccuracy());
    }

    private static Path findLogs(Path start) {
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path logs = dir.resolve(BENCH).resolve("logs");
            if (Files.isDirectory(logs)) {
                return logs;
            }
        }
        throw new IllegalArgumentException("CompareCharts: no " + BENCH.resolve("logs") + " in " + start
                + " or its parents; pass the logs directory as the first argument");
    }
}
