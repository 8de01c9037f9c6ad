package dev.vgrad.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The corpus pipeline agrees with bench/lm/lm_data.py; the embedded slice loads on a fresh machine. */
class LmDataTest {
    @Test
    void embeddedSliceIsGenesisWithTheFixedVocabulary() {
        LmData d = LmData.load(Path.of("embedded"));
        assertEquals("embedded Genesis slice", d.source());
        // 196818 characters, as `python3 bench/lm/lm_data.py slice` reports; 90% train
        assertEquals(196818, d.train().length + d.val().length);
        assertEquals(196818L * 9 / 10, d.train().length);
        String start = LmData.decode(java.util.Arrays.copyOf(d.train(), 54));
        assertEquals("In the beginning God created the heaven and the earth.", start);
        assertEquals(64, LmData.vocabSize());
        String text = LmData.embeddedText();
        assertEquals(text, LmData.decode(LmData.encode(text)));
    }

    @Test
    void batchOffsetsAreThoseOfThePythonTwin() {
        // values printed by lm_data.py: offsets(0, 0, 4, 1000, 8), offsets(1337, 5, 3, 10**6, 128),
        // hex(splitmix64(0))
        long[] a = new long[4];
        LmData.offsets(0, 0, 1000, 8, a);
        assertArrayEquals(new long[] {177, 640, 750, 755}, a);
        long[] b = new long[3];
        LmData.offsets(1337, 5, 1_000_000, 128, b);
        assertArrayEquals(new long[] {46267, 350021, 117764}, b);
        assertEquals(0xe220a8397b1dcdafL, LmData.splitmix64(0));
    }

    @Test
    void batchFillsInputsAndShiftedTargetsInPlace() {
        long[] ids = new long[100];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i % 64;
        }
        Tensor x = Tensor.zeros(DType.INT64, 3, 5);
        Tensor y = Tensor.zeros(DType.INT64, 3, 5);
        long[] off = new long[3];
        LmData.batch(ids, 42, 7, x, y, off);
        long[] xs = x.toLongArray();
        long[] ys = y.toLongArray();
        for (int b = 0; b < 3; b++) {
            assertTrue(off[b] >= 0 && off[b] < 95);
            for (int t = 0; t < 5; t++) {
                assertEquals(ids[(int) off[b] + t], xs[b * 5 + t]);
                assertEquals(ids[(int) off[b] + t + 1], ys[b * 5 + t]);
            }
        }
    }

    @Test
    void foreignCharactersAndShortTextsAreRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> LmData.encode("abc\u00e9"));
        assertEquals("character 'é' (U+00E9) at offset 3 is not in the vocabulary", e.getMessage());
        var s = assertThrows(IllegalArgumentException.class, () -> LmData.offsets(0, 0, 8, 8, new long[1]));
        assertTrue(s.getMessage().contains("too short for block size 8"), s.getMessage());
    }

    @Test
    void referencesAreStrippedAsThePythonTwinDoes() {
        assertEquals("In the beginning.\nAnd the earth.\n",
                LmData.stripReferences("Ge1:1 In the beginning.\nGe1:2 And the earth.\n"));
    }
}
