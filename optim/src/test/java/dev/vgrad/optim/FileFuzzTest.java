package dev.vgrad.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Forked;
import dev.vgrad.nn.Linear;
import dev.vgrad.nn.Module;
import dev.vgrad.nn.ReLU;
import dev.vgrad.nn.SafeTensors;
import dev.vgrad.nn.Sequential;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzing of the safetensors reader and {@link Checkpoint#load}: random truncations, bit flips, huge declared
 * header lengths / shapes / offsets, duplicated and overlapping entries and broken JSON. Every mutated file must
 * either load or fail with IllegalArgumentException / IllegalStateException / IOException carrying a message — no
 * other exception, no OutOfMemoryError (the fuzzing runs in a forked JVM with {@code -Xmx48m}, far below what
 * any "huge" size would need), no hang (per-case timeout). A failed checkpoint load must leave model and optimizer
 * exactly as they were. Saving is atomic: an exception thrown while writing leaves the previous file intact.
 */
@DisplayName("File fuzzing: safetensors and checkpoints fail cleanly, in bounded memory, without hangs or half-loads")
class FileFuzzTest {
    static final int CASES = Integer.getInteger("vgrad.fuzz.cases", 1500);
    static final long SEED = Long.getLong("vgrad.fuzz.seed", 20240607L);

    @TempDir
    Path dir;

    @Test
    @DisplayName("fuzzed safetensors and checkpoint files in a forked JVM with -Xmx48m")
    void fuzzInSmallHeap() throws Exception {
        Forked.Result r = Forked.run(FileFuzzTest.class, "48m", 120, dir.toString(), Integer.toString(CASES),
                Long.toString(SEED));
        System.out.print(r.output());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("[file-fuzz] OK"), r.output());
    }

    /** Fuzzing driver, run in the forked JVM: prints a summary line and exits non-zero on the first violation. */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int cases = Integer.parseInt(args[1]);
        long seed = Long.parseLong(args[2]);
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz");
            t.setDaemon(true);
            return t;
        });
        int loaded = 0;
        int rejected = 0;
        try {
            Path ckpt = dir.resolve("base.ckpt");
            Setup base = setup(1);
            Checkpoint.save(ckpt, base.model, base.opt, null, Map.of("epoch", "3"));
            byte[] good = Files.readAllBytes(ckpt);
            Random rnd = new Random(seed);
            for (int i = 0; i < cases; i++) {
                long caseSeed = rnd.nextLong();
                byte[] bad = mutate(good, new Random(caseSeed));
                Path f = dir.resolve("case.ckpt");
                Files.write(f, bad);
                Setup fresh = setup(2);
                Snapshot before = Snapshot.of(fresh);
                Future<String> fut = ex.submit(() -> {
                    try {
                        SafeTensors.fromBytes(bad);
                    } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
                        requireMessage(e);
                    }
                    try {
                        Checkpoint.load(f, fresh.model, fresh.opt, null);
                        return "loaded";
                    } catch (IllegalArgumentException | IllegalStateException | IOException e) {
                        requireMessage(e);
                        return "rejected";
                    }
                });
                String outcome;
                try {
                    outcome = fut.get(10, TimeUnit.SECONDS);
                } catch (TimeoutException te) {
                    System.out.println("[file-fuzz] FAIL hang on case " + i + " (seed " + caseSeed + ")");
                    System.exit(2);
                    return;
                } catch (java.util.concurrent.ExecutionException ee) {
                    System.out.println("[file-fuzz] FAIL case " + i + " (seed " + caseSeed + "): " + ee.getCause());
                    ee.getCause().printStackTrace(System.out);
                    System.exit(3);
                    return;
                }
                if (outcome.equals("rejected")) {
                    rejected++;
                    String diff = before.diff(Snapshot.of(fresh));
                    if (diff != null) {
                        System.out.println("[file-fuzz] FAIL case " + i + " (seed " + caseSeed
                                + "): failed load modified state: " + diff);
                        System.exit(4);
                    }
                } else {
                    loaded++;
                }
            }
        } finally {
            ex.shutdownNow();
        }
        System.out.println("[file-fuzz] OK: " + cases + " mutated checkpoint/safetensors files (seed " + seed + "): "
                + rejected + " rejected cleanly with state untouched, " + loaded + " loaded; max heap "
                + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
        System.exit(0);
    }

    private static void requireMessage(Throwable e) {
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError("exception without message", e);
        }
    }

    record Setup(Module model, Optimizer opt) {}

    static Setup setup(long seed) {
        Generator g = new Generator(seed);
        Module m = new Sequential(new Linear(4, 8, true, g), new ReLU(), new Linear(8, 3, true, g));
        Optimizer o = new Adam(m.parameters(), Adam.options().lr(0.01).amsgrad(seed == 1));
        for (int s = 0; s < 2; s++) {
            o.zeroGrad();
            m.call(Tensor.randn(g, 5, 4)).pow(2).mean().backward();
            o.step();
        }
        return new Setup(m, o);
    }

    /** Parameters, buffers and optimizer state as raw bits. */
    record Snapshot(Map<String, float[]> model, String optim) {
        static Snapshot of(Setup s) {
            Map<String, float[]> m = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : s.model.stateDict().entrySet()) {
                m.put(e.getKey(), e.getValue().toArray());
            }
            StringBuilder sb = new StringBuilder();
            Map<String, Object> sd = s.opt.stateDict();
            StateDictValidationPropertyTest.render(sd, sb);
            return new Snapshot(m, sb.toString());
        }

        String diff(Snapshot o) {
            for (String k : model.keySet()) {
                if (!java.util.Arrays.equals(model.get(k), o.model.get(k))) {
                    return "model." + k;
                }
            }
            return optim.equals(o.optim) ? null : "optimizer state";
        }
    }

    // ------------------------------------------------------------------ mutations

    static byte[] mutate(byte[] good, Random r) {
        int headerLen = (int) java.nio.ByteBuffer.wrap(good, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(good, 8, headerLen, StandardCharsets.UTF_8);
        byte[] data = java.util.Arrays.copyOfRange(good, 8 + headerLen, good.length);
        switch (r.nextInt(9)) {
            case 0: // truncation
                return java.util.Arrays.copyOf(good, r.nextInt(good.length));
            case 1: { // bit flips anywhere
                byte[] b = good.clone();
                for (int k = 1 + r.nextInt(8); k > 0; k--) {
                    int i = r.nextInt(b.length);
                    b[i] ^= (byte) (1 << r.nextInt(8));
                }
                return b;
            }
            case 2: { // bit flips inside the header (JSON) only
                byte[] b = good.clone();
                for (int k = 1 + r.nextInt(3); k > 0; k--) {
                    int i = 8 + r.nextInt(headerLen);
                    b[i] ^= (byte) (1 << r.nextInt(8));
                }
                return b;
            }
            case 3: { // huge / negative declared header length
                byte[] b = good.clone();
                long v = switch (r.nextInt(4)) {
                    case 0 -> Long.MAX_VALUE;
                    case 1 -> -1L;
                    case 2 -> good.length;
                    default -> 1L << (20 + r.nextInt(40));
                };
                java.nio.ByteBuffer.wrap(b, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(v);
                return b;
            }
            case 4: // huge shapes
                return rebuild(header.replaceFirst("\"shape\":\\[[0-9,]*\\]",
                        pickS(r, "\"shape\":[2147483647,2147483647]", "\"shape\":[1000000000]", "\"shape\":[-1]",
                                "\"shape\":[4294967296]", "\"shape\":[99999999999999999999]")), data);
            case 5: // huge / inverted / overlapping data offsets
                return rebuild(header.replaceFirst("\"data_offsets\":\\[[0-9]+,[0-9]+\\]",
                        pickS(r, "\"data_offsets\":[0,9223372036854775807]", "\"data_offsets\":[64,0]",
                                "\"data_offsets\":[0,16]", "\"data_offsets\":[-8,8]", "\"data_offsets\":[0,128]")), data);
            case 6: { // duplicated entry (the same key twice)
                int s = header.indexOf("\"model.");
                int e = header.indexOf('}', s) + 1;
                String entry = header.substring(s, e);
                return rebuild(header.substring(0, e) + "," + entry + header.substring(e), data);
            }
            case 7: { // broken JSON: cut, stray characters, wrong types in metadata
                String h = switch (r.nextInt(7)) {
                    case 5 -> header.replaceFirst("\"optimizer\":\"(\\\\.|[^\"\\\\])*\"", "\"optimizer\":\"[1]\"");
                    case 6 -> header.replaceFirst("\"optimizer\":\"(\\\\.|[^\"\\\\])*\"", "\"optimizer\":\"7\"");
                    case 0 -> header.substring(0, r.nextInt(header.length()));
                    case 1 -> header.replaceFirst(":", "::");
                    case 2 -> header.replace("\"__metadata__\":{", "\"__metadata__\":[");
                    case 3 -> header.replaceFirst("\"optimizer\":\"", "\"optimizer\":\"[");
                    default -> header.replaceFirst("\"format\":\"vgrad-checkpoint\"", "\"format\":7");
                };
                return rebuild(h, data);
            }
            default: { // optimizer JSON inside the metadata mangled
                String h = header.replaceFirst("(\\\\\"step\\\\\":)[0-9.eE+-]+",
                        pickS(r, "$1\\\\\"x\\\\\"", "$1-1", "$1null", "$11e999"));
                h = r.nextBoolean() ? h : h.replaceFirst("\\\\\"param_groups\\\\\"", "\\\\\"param_groupz\\\\\"");
                return rebuild(h, data);
            }
        }
    }

    private static String pickS(Random r, String... s) {
        return s[r.nextInt(s.length)];
    }

    private static byte[] rebuild(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[8 + h.length + data.length];
        java.nio.ByteBuffer.wrap(out, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(h.length);
        System.arraycopy(h, 0, out, 8, h.length);
        System.arraycopy(data, 0, out, 8 + h.length, data.length);
        return out;
    }

    // ------------------------------------------------------------------ atomic save

    @Test
    @DisplayName("an exception thrown while a checkpoint is written leaves the previous file intact and no temp file")
    void crashMidSaveKeepsPreviousCheckpoint() throws Exception {
        Path p = dir.resolve("model.ckpt");
        Setup s = setup(1);
        Checkpoint.save(p, s.model, s.opt, null);
        byte[] before = Files.readAllBytes(p);
        // a tensor map whose second pass (the data section, after the header was written) throws
        Map<String, Tensor> evil = new ExplodingMap(s.model.stateDict());
        assertThrows(IllegalStateException.class, () -> SafeTensors.save(p, evil, Map.of("format", "x")));
        // and a checkpoint save that fails inside (null metadata value) after the temp file exists
        Map<String, String> badMeta = new LinkedHashMap<>();
        badMeta.put("k", null);
        assertThrows(IllegalArgumentException.class, () -> Checkpoint.save(p, s.model, s.opt, null, badMeta));
        assertArrayEquals(before, Files.readAllBytes(p), "previous checkpoint must be untouched");
        try (var files = Files.list(dir)) {
            assertEquals(List.of(p.getFileName().toString()), files.map(f -> f.getFileName().toString()).toList(),
                    "no temporary files left behind");
        }
        Setup fresh = setup(2);
        Checkpoint.load(p, fresh.model, fresh.opt, null);
        assertEquals(Snapshot.of(s).optim, Snapshot.of(fresh).optim);
    }

    /** Iterates normally once (header), then throws on the next iteration (data), as a crash mid-write. */
    static final class ExplodingMap extends AbstractMap<String, Tensor> {
        private final Map<String, Tensor> inner;
        private int iterations;

        ExplodingMap(Map<String, Tensor> inner) {
            this.inner = new LinkedHashMap<>(inner);
        }

        @Override
        public Set<Entry<String, Tensor>> entrySet() {
            if (iterations++ >= 1) {
                throw new IllegalStateException("simulated crash while writing the data section");
            }
            return inner.entrySet();
        }

        @Override
        public Collection<Tensor> values() {
            if (iterations++ >= 1) {
                throw new IllegalStateException("simulated crash while writing the data section");
            }
            return new ArrayList<>(inner.values());
        }
    }

    @SuppressWarnings("unused")
    private static Duration unused() {
        return Duration.ZERO;
    }
}
