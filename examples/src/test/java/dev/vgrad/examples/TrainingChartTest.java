package dev.vgrad.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TrainingChartTest {
    @TempDir
    Path tmp;

    static List<Trainer.EpochResult> history(double[] trainLoss, double[] testLoss, double[] testAcc) {
        List<Trainer.EpochResult> h = new ArrayList<>();
        for (int i = 0; i < trainLoss.length; i++) {
            h.add(new Trainer.EpochResult(i + 1, trainLoss[i], testLoss[i], testAcc[i]));
        }
        return h;
    }

    @Test
    void drawsBothPanelsDecodablyAndDeterministically() throws IOException {
        List<Trainer.EpochResult> h = history(new double[] {1.2, 0.7, 0.5, Double.NaN, 0.41},
                new double[] {1.0, 0.8, Double.POSITIVE_INFINITY, 0.45, 0.44}, new double[] {0.71, 0.8, 0.84, 0.86, 0.87});
        Path a = tmp.resolve("a.png");
        Path b = tmp.resolve("b.png");
        TrainingChart.write(a, "test plot", h);
        TrainingChart.write(b, "test plot", h);
        // --resume rewrites plot.png from the restored history and must give the uninterrupted run's bytes
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        BufferedImage img = PngChecks.decodeChart(a);
        assertTrue(PngChecks.pixelsOf(img, Charts.BLUE, false) > 50, "train loss drawn in the left panel");
        assertTrue(PngChecks.pixelsOf(img, Charts.ORANGE, false) > 50, "test loss drawn in the left panel");
        assertTrue(PngChecks.pixelsOf(img, Charts.ORANGE, true) > 50, "test accuracy drawn in the right panel");
        assertEquals(0, PngChecks.pixelsOf(img, Charts.BLUE, true), "nothing of the training split on the right");
    }

    static Stream<Arguments> awkwardRuns() {
        return Stream.of(
                Arguments.of("one epoch", history(new double[] {0.5}, new double[] {0.6}, new double[] {0.7})),
                Arguments.of("diverged", history(new double[] {Double.NaN, Double.NaN}, new double[] {Double.NaN,
                    Double.POSITIVE_INFINITY}, new double[] {0.1, 0.1})),
                Arguments.of("plateau", history(new double[] {0.3, 0.3, 0.3}, new double[] {0.3, 0.3, 0.3},
                    new double[] {0.8995, 0.8994, 0.8995})),
                Arguments.of("long run", history(new double[120], new double[120], new double[120])));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("awkwardRuns")
    void awkwardRunsStillGiveAFullChart(String name, List<Trainer.EpochResult> h) throws IOException {
        Path f = tmp.resolve("c.png");
        TrainingChart.write(f, name, h);
        PngChecks.decodeChart(f);
    }

    @Test
    void noEpochsIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingChart.write(tmp.resolve("x.png"), "none", List.of()));
        assertTrue(e.getMessage().contains("no epochs"), e.getMessage());
    }

    @Test
    void mainRedrawsAChartFromMetricsCsv() throws IOException {
        Path csv = tmp.resolve("metrics.csv");
        StringBuilder sb = new StringBuilder(Trainer.CSV_HEADER).append('\n');
        for (Trainer.EpochResult r : history(new double[] {0.9, 0.6, 0.5}, new double[] {0.8, 0.7, 0.65},
                new double[] {0.7, 0.75, 0.78})) {
            sb.append(r.csv()).append('\n');
        }
        Files.writeString(csv, sb);
        Path png = tmp.resolve("plot.png");
        TrainingChart.main(new String[] {csv.toString(), png.toString(), "redrawn"});
        PngChecks.decodeChart(png);

        Files.writeString(csv, "epoch,loss\n1,0.5\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingChart.main(new String[] {csv.toString(), png.toString()}));
        assertTrue(e.getMessage().contains("header"), e.getMessage());
    }
}
