package dev.vgrad.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler;

/**
 * A run's {@code plot.png}: on the left train loss (solid) and test loss (dashed) per epoch, on the right test
 * accuracy per epoch; blue is the training split, orange the test split. The subtitle repeats the last epoch's
 * numbers, so the PNG alone tells where the run ended.
 *
 * <p>Also a command that redraws the chart of a finished run from its {@code metrics.csv}:
 * {@code java -cp ... dev.vgrad.examples.TrainingChart metrics.csv plot.png "vgrad resnet on Fashion-MNIST"}.
 */
final class TrainingChart {
    private TrainingChart() {
    }

    /** Draws {@code history} (at least one epoch) into the PNG {@code file} under {@code title}. */
    static void write(Path file, String title, List<Trainer.EpochResult> history) throws IOException {
        if (history.isEmpty()) {
            throw new IllegalArgumentException("TrainingChart.write: no epochs to plot for " + file);
        }
        int n = history.size();
        double[] trainLoss = history.stream().mapToDouble(Trainer.EpochResult::trainLoss).toArray();
        double[] testLoss = history.stream().mapToDouble(Trainer.EpochResult::testLoss).toArray();
        double[] testAcc = history.stream().mapToDouble(Trainer.EpochResult::testAccuracy).toArray();

        XYChart loss = Charts.panel("Cross-entropy loss", "loss", Styler.LegendPosition.InsideNE);
        Charts.line(loss, "train loss", trainLoss, Charts.BLUE, false);
        Charts.line(loss, "test loss", testLoss, Charts.ORANGE, true);
        Charts.finish(loss, n);
        XYChart acc = Charts.panel("Test accuracy", "accuracy", Styler.LegendPosition.InsideSE);
        Charts.line(acc, "test accuracy", testAcc, Charts.ORANGE, false);
        Charts.finish(acc, n);

        Trainer.EpochResult last = history.get(n - 1);
        String subtitle = String.format(Locale.ROOT, "epoch %d: train loss %.4f, test loss %.4f, test accuracy %s",
                last.epoch(), last.trainLoss(), last.testLoss(), Charts.acc(last.testAccuracy()));
        Charts.writeSideBySide(file, title, subtitle, loss, acc);
    }

    /** {@code TrainingChart metrics.csv plot.png [title]}: redraws a run's chart from its metrics file. */
    public static void main(String[] args) throws IOException {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: TrainingChart <metrics.csv> <plot.png> [title]");
            System.exit(2);
        }
        List<String> lines = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals(Trainer.CSV_HEADER)) {
            throw new IllegalArgumentException("TrainingChart: " + args[0] + " does not start with the metrics.csv "
                    + "header '" + Trainer.CSV_HEADER + "'");
        }
        List<Trainer.EpochResult> history = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (!line.isBlank()) {
                history.add(Trainer.EpochResult.parseCsv(line));
            }
        }
        write(Path.of(args[1]), args.length == 3 ? args[2] : "Fashion-MNIST training", history);
    }
}
