package dev.vgrad.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.Module;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** LmTrain end to end on tiny models and the embedded slice (kept short: the CPU is shared). */
class LmTrainTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static Run exec(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = LmTrain.execute(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Run ok(String... args) {
        Run r = exec(args);
        assertEquals(0, r.code(), r.out() + r.err());
        return r;
    }

    static String[] tiny(String model, String... more) {
        List<String> a = new ArrayList<>(List.of(model, "--steps", "6", "--eval-every", "2", "--eval-batches", "2",
                "--batch-size", "3", "--block-size", "12", "--data", "embedded", "--sample-length", "0",
                "--no-progress", "--threads", "1"));
        a.addAll(model.equals("gpt") ? List.of("--n-layer", "2", "--n-head", "2", "--n-embd", "8")
                : List.of("--embed", "6", "--hidden", "10", "--layers", "2"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    static List<String> reportLines(String log) {
        // the reproducible part of each report: up to the timing separator
        return log.lines().filter(l -> l.startsWith("step ")).map(l -> l.substring(0, l.indexOf(" |")).trim())
                .toList();
    }

    static Map<String, Tensor> state() {
        return LmTrain.lastResult.model().stateDict();
    }

    static void assertBitIdentical(Map<String, Tensor> want, Map<String, Tensor> got) {
        assertEquals(want.keySet(), got.keySet());
        for (String k : want.keySet()) {
            float[] a = want.get(k).contiguous().toArray();
            float[] b = got.get(k).contiguous().toArray();
            assertEquals(a.length, b.length, k);
            for (int i = 0; i < a.length; i++) {
                assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), k + "[" + i + "]");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt", "lstm"})
    void resumeIsBitIdenticalToAnUninterruptedRun(String model) throws java.io.IOException {
        Run straight = ok(tiny(model));
        Map<String, Tensor> want = state();
        List<LmTrain.Report> wantReports = LmTrain.lastResult.reports();
        assertEquals(3, wantReports.size());

        Path ckpt = tmp.resolve(model + ".ckpt");
        Path plot = tmp.resolve(model + ".png");
        // interrupted after step 4 of 6, then resumed from the checkpoint in a fresh model and optimizer
        ok(tiny(model, "--checkpoint", ckpt.toString(), "--stop-after", "4"));
        Run resumed = ok(tiny(model, "--checkpoint", ckpt.toString(), "--resume", "--plot", plot.toString()));
        assertTrue(resumed.out().contains("resumed from " + ckpt + " after step 4"), resumed.out());
        assertBitIdentical(want, state());
        assertEquals(wantReports, LmTrain.lastResult.reports());
        assertEquals(reportLines(straight.out()), reportLines(resumed.out()));
        assertTrue(PngChecks.distinctColours(PngChecks.decodeChart(plot)) >= PngChecks.MIN_COLOURS, "plot drawn");
        // and training did something: the validation loss (fixed batches) fell from the first report to the last
        assertTrue(wantReports.get(2).valLoss() < wantReports.get(0).valLoss(), wantReports.toString());
    }

    @Test
    void theSameSeedGivesTheSameRunForAnyThreadCount() {
        Run one = ok(tiny("gpt"));
        Map<String, Tensor> a = state();
        Run two = ok(tiny("gpt", "--threads", "2"));
        assertBitIdentical(a, state());
        assertEquals(reportLines(one.out()), reportLines(two.out()));
    }

    @Test
    void samplingIsDeterministicForASeedAndTopKOneIsGreedy() {
        Path ckpt = tmp.resolve("s.ckpt");
        ok(tiny("gpt", "--steps", "2", "--checkpoint", ckpt.toString()));
        String[] args = {"sample", "--checkpoint", ckpt.toString(), "--length", "40", "--prompt", "In the",
            "--temperature", "1.0", "--seed", "5"};
        String a = ok(args).out();
        String b = ok(args).out();
        assertEquals(a, b);
        assertTrue(a.startsWith("In the"), a);
        assertEquals("In the".length() + 40 + System.lineSeparator().length(), a.length(), a);
        args[args.length - 1] = "6";
        assertNotEquals(a, ok(args).out(), "another seed, another text");

        // top-k 1 keeps only the argmax: the generator cannot matter, and each step is the model's argmax
        Module model = LmTrain.lastResult.model();
        String g1 = LmTrain.generate(model, 12, "In", 10, 1.0, 1, new Generator(1));
        String g2 = LmTrain.generate(model, 12, "In", 10, 0.5, 1, new Generator(2));
        assertEquals(g1, g2);
        long[] ids = LmData.encode(g1);
        for (int n = 2; n < ids.length; n++) {
            int from = Math.max(0, n - 12);
            Tensor x = Tensor.ofLongs(java.util.Arrays.copyOfRange(ids, from, n), 1, n - from);
            Tensor logits = model.call(x).select(1, n - from - 1);
            assertEquals((long) logits.argmax().item(), ids[n], "step " + n + " of " + g1);
        }
    }

    @Test
    void badArgumentsFailEarlyWithClearMessages() {
        String[][] cases = {
            {"gpt", "--steps", "0"}, {"--steps must be at least 1, got 0"},
            {"gpt", "--resume"}, {"--resume needs --checkpoint FILE"},
            {"gpt", "--n-embd", "10", "--n-head", "4", "--steps", "1", "--data", "embedded"},
                {"n_embd (10) must be divisible by n_head (4)"},
            {"lstm", "--lr", "-1"}, {"--lr must be positive, got -1.0"},
            {"gpt", "--warmup", "5", "--steps", "5"}, {"--warmup must be in [0, steps), got 5 with --steps 5"},
            {"gpt", "--block-size", "100000", "--steps", "1", "--data", "embedded"}, {"--block-size 100000 is too long"},
            {"gpt", "--data", "/nonexistent/kjv.txt", "--steps", "1"}, {"--data: /nonexistent/kjv.txt is not a file"},
            {"sample", "--checkpoint", "/nonexistent.ckpt"}, {"--checkpoint: /nonexistent.ckpt is not a file"},
            {"sample", "--checkpoint", "x", "--temperature", "0"}, {"--temperature must be positive, got 0.0"},
            {"sample", "--checkpoint", "x", "--top-k", "65"}, {"--top-k must be in [0, 64], got 65"},
            {"gpt", "--no-such-option"}, {"Unknown option: '--no-such-option'"},
            {"transformer"}, {"Unmatched argument at index 0: 'transformer'"},
        };
        for (int i = 0; i < cases.length; i += 2) {
            Run r = exec(cases[i]);
            assertEquals(2, r.code(), String.join(" ", cases[i]) + "\n" + r.out() + r.err());
            assertTrue(r.err().contains(cases[i + 1][0]), String.join(" ", cases[i]) + " printed:\n" + r.err());
        }
    }

    @Test
    void resumeRefusesAnotherConfiguration() {
        Path ckpt = tmp.resolve("c.ckpt");
        ok(tiny("lstm", "--steps", "2", "--checkpoint", ckpt.toString()));
        Run r = exec(tiny("lstm", "--steps", "2", "--lr", "0.01", "--checkpoint", ckpt.toString(), "--resume"));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("is from a different run configuration"), r.err());
    }
}
