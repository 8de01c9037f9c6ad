package dev.vgrad.examples;

import dev.vgrad.core.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The character-level corpus of the language-model examples: the King James Bible (public domain), encoded with
 * a fixed 64-character vocabulary. The Java twin of {@code bench/lm/lm_data.py}; both must agree bit for bit.
 *
 * <ul>
 *   <li>Text: an explicit file, else {@value #CACHE_NAME} under {@code ~/.cache/vgrad} (written by
 *       {@link #prepare}), else the Book of Genesis embedded in this jar (197 KB).</li>
 *   <li>Split: the first 90% of the characters train, the rest validates.</li>
 *   <li>Batches: row {@code i} of step {@code s} starts at
 *       {@code splitmix64(splitmix64(splitmix64(seed) ^ s) ^ i) mod (n - T)} (unsigned), so the data order is a
 *       pure function of (seed, step): the same in PyTorch's twin, and nothing but the step is needed to resume.
 *       Validation draws from the fixed stream {@link #VAL_SEED}: the same batches at every evaluation.</li>
 * </ul>
 */
record LmData(long[] train, long[] val, String source) {
    /** Index = token id. Newline, space, 10 punctuation marks, A-Z, a-z: every character of the KJV text. */
    static final String VOCAB = "\n !'(),-.:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    static final long VAL_SEED = 0x5EED0F7A1L;
    static final String CACHE_NAME = "kjv.txt";
    static final String EMBEDDED = "/kjv-slice/genesis.txt";
    static final String FULL_RANGE = "Gen1:1-Rev22:21";
    private static final int[] STOI = new int[128];

    static {
        java.util.Arrays.fill(STOI, -1);
        for (int i = 0; i < VOCAB.length(); i++) {
            STOI[VOCAB.charAt(i)] = i;
        }
    }

    static int vocabSize() {
        return VOCAB.length();
    }

    static Path cachePath() {
        return Path.of(System.getProperty("user.home"), ".cache", "vgrad", CACHE_NAME);
    }

    /** {@code file} if given ({@code "embedded"} forces the slice), else the cache if present, else the slice. */
    static LmData load(Path file) {
        if (file != null && file.toString().equals("embedded") && !Files.exists(file)) {
            return of(embeddedText(), "embedded Genesis slice");
        }
        Path p = file != null ? file : cachePath();
        if (file != null || Files.isRegularFile(p)) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("--data: " + p + " is not a file");
            }
            try {
                return of(Files.readString(p, StandardCharsets.UTF_8), p.toString());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + p + ": " + e.getMessage(), e);
            }
        }
        return of(embeddedText(), "embedded Genesis slice");
    }

    static String embeddedText() {
        try (InputStream in = LmData.class.getResourceAsStream(EMBEDDED)) {
            if (in == null) {
                throw new IllegalStateException("the embedded corpus " + EMBEDDED + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static LmData of(String text, String source) {
        long[] ids = encode(text);
        int nTrain = (int) ((long) ids.length * 9 / 10);
        return new LmData(java.util.Arrays.copyOfRange(ids, 0, nTrain),
                java.util.Arrays.copyOfRange(ids, nTrain, ids.length), source);
    }

    static long[] encode(String text) {
        long[] ids = new long[text.length()];
        for (int i = 0; i < ids.length; i++) {
            char c = text.charAt(i);
            int id = c < 128 ? STOI[c] : -1;
            if (id < 0) {
                throw new IllegalArgumentException(String.format("character '%s' (U+%04X) at offset %d is not in the "
                        + "vocabulary", c, (int) c, i));
            }
            ids[i] = id;
        }
        return ids;
    }

    static String decode(long[] ids) {
        StringBuilder sb = new StringBuilder(ids.length);
        for (long id : ids) {
            sb.append(VOCAB.charAt((int) id));
        }
        return sb.toString();
    }

    /** One step of SplitMix64 (Steele, Lea and Flood, 2014). */
    static long splitmix64(long x) {
        long z = x + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Fills {@code offsets} with the start offsets of step {@code step}'s rows in a text of {@code n} tokens. */
    static void offsets(long seed, long step, int n, int block, long[] offsets) {
        if (n < block + 1) {
            throw new IllegalArgumentException("the text (" + n + " characters) is too short for block size " + block);
        }
        long base = splitmix64(splitmix64(seed) ^ step);
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = Long.remainderUnsigned(splitmix64(base ^ i), n - block);
        }
    }

    /**
     * Writes step {@code step}'s inputs and next-character targets into the int64 storages of {@code x} and
     * {@code y} (both {@code [B, T]}, contiguous), reusing them so the loop allocates nothing for its data.
     */
    static void batch(long[] ids, long seed, long step, Tensor x, Tensor y, long[] scratch) {
        int block = x.size(1);
        offsets(seed, step, ids.length, block, scratch);
        long[] xs = x.longStorage();
        long[] ys = y.longStorage();
        for (int b = 0; b < scratch.length; b++) {
            int off = (int) scratch[b];
            System.arraycopy(ids, off, xs, b * block, block);
            System.arraycopy(ids, off + 1, ys, b * block, block);
        }
        x.bumpVersion();
        y.bumpVersion();
    }

    /** Runs {@code bible -f Gen1:1-Rev22:21} (Debian's bible-kjv) and writes the stripped text to the cache. */
    static Path prepare(Path target) {
        Path out = target != null ? target : cachePath();
        ProcessBuilder pb = new ProcessBuilder("bible", "-f", FULL_RANGE).redirectErrorStream(false);
        String raw;
        try {
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new IllegalStateException("prepare: cannot run 'bible' (apt-get install bible-kjv): "
                        + e.getMessage(), e);
            }
            raw = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int rc = p.waitFor();
            if (rc != 0) {
                throw new IllegalStateException("prepare: 'bible -f " + FULL_RANGE + "' exited with " + rc);
            }
            String text = stripReferences(raw);
            encode(text);
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, text, StandardCharsets.UTF_8);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("prepare: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("prepare: interrupted", e);
        }
    }

    /** Drops the verse reference ({@code "Ge1:1 "}) from each line of {@code bible}'s output. */
    static String stripReferences(String raw) {
        List<String> lines = new ArrayList<>();
        for (String line : raw.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int sp = line.indexOf(' ');
            if (sp < 0 || line.substring(0, sp).indexOf(':') < 0) {
                throw new IllegalStateException("prepare: unexpected line from bible: " + line);
            }
            lines.add(line.substring(sp + 1));
        }
        return String.join("\n", lines) + "\n";
    }
}
