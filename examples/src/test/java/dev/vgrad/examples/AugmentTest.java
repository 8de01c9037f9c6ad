package dev.vgrad.examples;

import static dev.vgrad.examples.FashionMnistTrainTest.epochLines;
import static dev.vgrad.examples.FashionMnistTrainTest.run;
import static dev.vgrad.examples.FashionMnistTrainTest.tiny;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --augment} and {@code --workers} on the embedded subset (docs/SEMANTICS.md §15.3). */
class AugmentTest {
    @TempDir
    Path tmp;

    @Test
    void augmentedRunsDoNotDependOnWorkersAndResumeExactly() {
        String w0 = run(tiny("mlp", "--epochs", "2", "--seed", "3", "--augment", "--workers", "0"));
        String w2 = run(tiny("mlp", "--epochs", "2", "--seed", "3", "--augment", "--workers", "2"));
        assertEquals(epochLines(w0), epochLines(w2), "the worker count must not change any draw");
        assertTrue(w2.contains("augmentation: RandomCrop(28, padding=2, fill=black) + RandomHorizontalFlip(0.5) | 2 data workers"), w2);
        assertTrue(w2.lines().filter(l -> l.startsWith("epoch ")).allMatch(l -> l.matches(".*data wait \\d+\\.\\d% of step time")), w2);
        String plain = run(tiny("mlp", "--epochs", "2", "--seed", "3"));
        assertNotEquals(epochLines(plain), epochLines(w0), "augmentation changes training");

        Path cut = tmp.resolve("cut");
        run(tiny("mlp", "--epochs", "2", "--seed", "3", "--augment", "--workers", "1", "--out", cut.toString(),
                "--stop-after", "1"));
        String resumed = run(tiny("mlp", "--epochs", "2", "--seed", "3", "--augment", "--workers", "1", "--out",
                cut.toString(), "--resume"));
        List<String> lines = epochLines(resumed);
        assertEquals(epochLines(w0).get(1), lines.get(lines.size() - 1), "epoch 2 after --resume draws as uninterrupted");
    }
}
