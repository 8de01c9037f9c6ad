package dev.vgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark twins' logs as committed in bench/fashion-mnist/logs, and the charts drawn from them. */
class CompareChartsTest {
    /** Tests run in the examples module's directory. */
    static final Path BENCH = Path.of("..", "bench", "fashion-mnist");
    static final Path LOGS = BENCH.resolve("logs");
    static final List<String> PROGRAMS = List.of("cnn", "mlp", "resnet", "resnet-aug");

    @TempDir
    Path tmp;

    static List<Path> committedLogs() throws IOException {
        try (Stream<Path> s = Files.list(LOGS)) {
            return s.filter(p -> p.toString().endsWith(".log")).sorted().toList();
        }
    }

    /**
     * Every line of every committed log is accounted for, and the parse agrees with a plain whitespace split of
     * the epoch lines (the fields run_bench.sh's awk summary reads: loss, accuracy, seconds).
     */
    @Test
    void parserReadsEveryLineOfTheCommittedLogs() throws IOException {
        List<Path> logs = committedLogs();
        assertEquals(2 * PROGRAMS.size(), logs.size(), "a vgrad and a torch log per program: " + logs);
        for (Path file : logs) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            BenchLog log = BenchLog.parse(file.toString(), lines);
            String name = file.getFileName().toString();
            assertEquals(name.substring(0, name.indexOf('-')), log.program(), name);
            assertEquals(name.contains("-aug-"), log.augmentation() != null, name);
            assertEquals(name.endsWith("-torch.log"), log.isTorch(), name);

            List<String[]> epochLines = new ArrayList<>();
            int other = 0;
            for (String line : lines) {
                if (line.startsWith("epoch ")) {
                    epochLines.add(line.trim().split("\\s+"));
                } else if (!line.isBlank()) {
                    other++;
                }
            }
            // header, configuration, final line, the JVM's incubator warning in vgrad's logs, the augmentation line
            assertEquals((log.isTorch() ? 3 : 4) + (log.augmentation() != null ? 1 : 0), other,
                    name + ": lines other than epochs");
            assertEquals(epochLines.size(), log.epochs().size(), name);
            for (int i = 0; i < epochLines.size(); i++) {
                String[] f = epochLines.get(i);
                Trainer.EpochResult r = log.epochs().get(i);
                assertEquals(i + 1, r.epoch(), name);
                assertEquals(Double.parseDouble(f[4]), r.trainLoss(), 0, name + " epoch " + (i + 1));
                assertEquals(Double.parseDouble(f[7]), r.testLoss(), 0, name + " epoch " + (i + 1));
                assertEquals(Double.parseDouble(f[10]), r.testAccuracy(), 0, name + " epoch " + (i + 1));
                int bar = List.of(f).indexOf("|");
                assertEquals(Double.parseDouble(f[bar + 1]), log.seconds()[i], 0, name + " epoch " + (i + 1));
            }
        }
    }

    @Test
    void malformedLogsFailNamingTheLine() {
        List<String> good = List.of(
                "vgrad mlp | data: embedded subset (192 train, 100 test) | 235146 parameters",
                "AdamW lr 0.001 wd 0.01, cosine schedule, batch 64, 2 epochs, seed 0 | 1 threads, SIMD on, JDK 25",
                "epoch   1/2  train loss 0.900000  test loss 0.800000  test acc 0.7000  | 1.0 s  100 img/s",
                "epoch   2/2  train loss 0.600000  test loss 0.700000  test acc 0.7500  | (restored)",
                "final test accuracy 0.7500 after 2 epochs");
        BenchLog log = BenchLog.parse("good", good);
        assertEquals(2, log.epochs().size());
        assertTrue(Double.isNaN(log.seconds()[1]), "a restored epoch has no time");
        assertEquals(1.0, log.meanSeconds(), 0);

        assertFailsAt(replace(good, 2, "epoch   1/2  train loss 0.9 test loss 0.8"), "good:3");
        assertFailsAt(replace(good, 3, good.get(2)), "expected epoch 2/2");
        assertFailsAt(replace(good, 4, "final test accuracy 0.7000 after 2 epochs"), "differs from the last epoch");
        assertFailsAt(replace(good, 4, "final test accuracy 0.7500 after 3 epochs"), "counts 3 epochs");
        assertFailsAt(List.of(good.get(0), good.get(1)), "no epoch lines");
        assertFailsAt(replace(good, 1, good.get(0)), "a second header");
    }

    private static List<String> replace(List<String> lines, int i, String line) {
        List<String> copy = new ArrayList<>(lines);
        copy.set(i, line);
        return copy;
    }

    private static void assertFailsAt(List<String> lines, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchLog.parse("good", lines));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void drawsOneChartPerProgramFromTheCommittedLogs() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code = CompareCharts.run(new PrintStream(buf, true, StandardCharsets.UTF_8), LOGS.toString(), tmp.toString());
        assertEquals(0, code, buf.toString(StandardCharsets.UTF_8));
        for (String program : PROGRAMS) {
            BufferedImage img = PngChecks.decodeChart(tmp.resolve("compare-" + program + ".png"));
            for (boolean right : new boolean[] {false, true}) {
                assertTrue(PngChecks.pixelsOf(img, Charts.BLUE, right) > 50, program + ": vgrad drawn, right=" + right);
                assertTrue(PngChecks.pixelsOf(img, Charts.ORANGE, right) > 50, program + ": PyTorch drawn, right=" + right);
            }
        }
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(PROGRAMS.size(), s.count(), "one chart per program");
        }
    }

    @Test
    void theCommittedChartsArePresentAndWhole() throws IOException {
        for (String program : PROGRAMS) {
            PngChecks.decodeChart(BENCH.resolve("compare-" + program + ".png"));
        }
    }

    @Test
    void aLogWithoutItsTwinDrawsNothing() throws IOException {
        Files.copy(LOGS.resolve("mlp-vgrad.log"), tmp.resolve("mlp-vgrad.log"));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        assertEquals(1, CompareCharts.run(new PrintStream(buf, true, StandardCharsets.UTF_8), tmp.toString(),
                tmp.resolve("out").toString()));
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("no <program>-vgrad.log with a matching"));
    }
}
