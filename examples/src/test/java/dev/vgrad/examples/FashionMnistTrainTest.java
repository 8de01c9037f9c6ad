package dev.vgrad.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Runs each program for a few batches on the embedded subset (kept short: the CPU is shared). */
class FashionMnistTrainTest {
    @TempDir
    Path tmp;

    static String run(String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        int code = FashionMnistTrain.execute(out, args);
        String log = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, log);
        return log;
    }

    /** The reproducible part of the log: epoch lines up to the timing separator. */
    static List<String> epochLines(String log) {
        return log.lines().filter(l -> l.startsWith("epoch ")).map(l -> l.substring(0, l.indexOf(" |")).trim())
                .collect(Collectors.toList());
    }

    static String[] tiny(String program, String... extra) {
        String[] base = {program, "--data", "embedded", "--train-limit", "192", "--test-limit", "100",
            "--batch-size", "64", "--no-progress"};
        String[] all = Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "cnn", "resnet"})
    void eachProgramTrainsAFewBatchesAndCheckpoints(String program) throws IOException {
        Path out = tmp.resolve(program);
        String log = run(tiny(program, "--epochs", "1", "--out", out.toString()));
        assertTrue(log.contains("vgrad " + program + " | data: embedded subset"), log);
        assertTrue(log.contains("(192 train, 100 test)"), log);
        List<String> lines = epochLines(log);
        assertEquals(1, lines.size(), log);
        assertTrue(lines.get(0).matches("epoch +1/1  train loss \\d+\\.\\d{6}  test loss \\d+\\.\\d{6}  test acc 0\\.\\d{4}"), log);
        assertTrue(log.contains("img/s"), log);
        assertTrue(log.contains("final test accuracy"), log);
        for (String f : List.of(RunCheckpoint.CHECKPOINT, RunCheckpoint.MODEL, RunCheckpoint.METRICS, RunCheckpoint.PLOT)) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        byte[] png = Files.readAllBytes(out.resolve("plot.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4));
        List<String> csv = Files.readAllLines(out.resolve(RunCheckpoint.METRICS));
        assertEquals(Trainer.CSV_HEADER, csv.get(0));
        assertEquals(2, csv.size());
    }

    @Test
    void sameSeedSameLogAndResumeMatchesUninterruptedRun() throws IOException {
        Path full = tmp.resolve("full");
        Path cut = tmp.resolve("cut");
        String a = run(tiny("mlp", "--epochs", "2", "--seed", "7", "--threads", "2", "--out", full.toString()));
        // a different thread count must not change anything either
        String b = run(tiny("mlp", "--epochs", "2", "--seed", "7", "--threads", "1"));
        assertEquals(epochLines(a), epochLines(b));
        run(tiny("mlp", "--epochs", "2", "--seed", "7", "--out", cut.toString(), "--stop-after", "1"));
        String resumed = run(tiny("mlp", "--epochs", "2", "--seed", "7", "--out", cut.toString(), "--resume"));
        assertTrue(resumed.contains("resumed from"), resumed);
        assertEquals(epochLines(a).get(1), epochLines(resumed).get(1));
        assertArrayEquals(Files.readAllBytes(full.resolve(RunCheckpoint.METRICS)), Files.readAllBytes(cut.resolve(RunCheckpoint.METRICS)));
        assertArrayEquals(Files.readAllBytes(full.resolve(RunCheckpoint.MODEL)), Files.readAllBytes(cut.resolve(RunCheckpoint.MODEL)));
        assertArrayEquals(Files.readAllBytes(full.resolve("plot.png")), Files.readAllBytes(cut.resolve("plot.png")));
        String other = run(tiny("mlp", "--epochs", "1", "--seed", "8"));
        assertTrue(!epochLines(other).get(0).equals(epochLines(a).get(0)), other);
    }

    @Test
    void resumeRefusesADifferentConfiguration() {
        Path out = tmp.resolve("r");
        run(tiny("mlp", "--epochs", "1", "--out", out.toString()));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream err = System.err;
        try {
            int code = FashionMnistTrain.execute(new PrintStream(buf, true, StandardCharsets.UTF_8),
                    tiny("mlp", "--epochs", "1", "--lr", "0.5", "--out", out.toString(), "--resume"));
            assertEquals(2, code);
        } finally {
            System.setErr(err);
        }
    }

    @Test
    void embeddedSubsetLoads() {
        FashionMnist d = FashionMnist.loadEmbedded();
        assertEquals(4000, d.train().size());
        assertEquals(1000, d.test().size());
        assertArrayEquals(new int[] {4000, 1, 28, 28}, d.train().tensor(0).shape());
        assertEquals(0.286, d.mean(), 0.01);
        assertEquals(0.353, d.std(), 0.01);
        long[] labels = d.test().tensor(1).toLongArray();
        int[] counts = new int[10];
        for (long l : labels) {
            counts[(int) l]++;
        }
        for (int c : counts) {
            assertTrue(c > 50, Arrays.toString(counts));
        }
    }
}
