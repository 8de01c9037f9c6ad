package dev.vgrad.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.testing.Forked;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzing of {@link IdxReader} (issue 7): random truncations, bit flips, byte overwrites, huge declared dimension
 * sizes (up to a 4-billion image count), wrong magic / type codes / ranks, and gzip corruption (header, deflate data,
 * CRC, length trailer, truncation, garbage after the member), through the path API (size-checked), the stream API
 * (no size known) and a stream that returns one byte at a time. Every mutated file must either parse to a result
 * consistent with its own header, or fail with an {@link IllegalArgumentException} (or an I/O exception) carrying a
 * message that names the source. It runs in a forked JVM with {@code -Xmx48m}: one allocation of a declared size
 * (a declared 4 GB image file, or 2 GB of int32) would be an {@link OutOfMemoryError}, which fails the run; every
 * case has a timeout. Seed: {@code -Dvgrad.fuzz.seed}; cases: {@code -Dvgrad.fuzz.cases}.
 */
@DisplayName("IDX fuzzing: malformed files fail cleanly, in bounded memory, without hangs")
class IdxFuzzTest {
    static final int CASES = Integer.getInteger("vgrad.fuzz.cases", 1500);
    static final long SEED = Long.getLong("vgrad.fuzz.seed", 7_2024_11L);

    @TempDir
    Path dir;

    @Test
    @DisplayName("fuzzed IDX files (plain and gzip) in a forked JVM with -Xmx48m")
    void fuzzInSmallHeap() throws Exception {
        Forked.Result r = Forked.run(IdxFuzzTest.class, "48m", 120, dir.toString(), Integer.toString(CASES),
                Long.toString(SEED));
        System.out.print(r.output());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("[idx-fuzz] OK"), r.output());
    }

    // ------------------------------------------------------------------------------------ forked child

    static byte[] header(int type, int... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] gzip(byte[] data) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                gz.write(data);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Valid seed files: images, labels, and the other element types. */
    static byte[][] seeds(Random rnd) {
        byte[] img = new byte[5 * 6 * 7];
        rnd.nextBytes(img);
        byte[] lab = new byte[40];
        for (int i = 0; i < lab.length; i++) {
            lab[i] = (byte) rnd.nextInt(10);
        }
        byte[] big = new byte[64 * 28 * 28];
        rnd.nextBytes(big);
        byte[] f32 = new byte[4 * 12];
        rnd.nextBytes(f32);
        byte[] f64 = new byte[8 * 6];
        rnd.nextBytes(f64);
        byte[] i16 = new byte[2 * 9];
        rnd.nextBytes(i16);
        byte[] i32 = new byte[4 * 8];
        rnd.nextBytes(i32);
        return new byte[][] {
            concat(header(0x08, 5, 6, 7), img),
            concat(header(0x08, 40), lab),
            concat(header(0x08, 64, 28, 28), big),
            concat(header(0x0D, 3, 4), f32),
            concat(header(0x0E, 6), f64),
            concat(header(0x0B, 3, 3), i16),
            concat(header(0x0C, 2, 2, 2), i32),
            concat(header(0x09, 2, 5), Arrays.copyOf(img, 10)),
        };
    }

    /** Hand-written hostile headers: huge counts over tiny bodies, wrong magic / types / ranks. */
    static byte[][] hostile() {
        return new byte[][] {
            concat(header(0x08, -1, 28, 28), new byte[100]),          // 4294967295 images (unsigned)
            concat(header(0x08, 0x7FFFFFF7), new byte[100]),           // ~2 GB of labels, 100 bytes present
            concat(header(0x08, 2_000_000, 28, 28), new byte[4096]),   // 1.5 GB declared
            concat(header(0x0C, 0x1FFFFFFD), new byte[64]),            // 2 GB of int32: just under the array bound
            concat(header(0x0E, 0x0FFFFFFE), new byte[64]),            // 2 GB of float64
            concat(header(0x08, 65536, 65536), new byte[16]),          // 4 G elements
            concat(header(0x08, 46341, 46341, 2), new byte[16]),       // product overflows int
            concat(header(0x08, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), new byte[1]), // 16 dims, valid
            concat(new byte[] {0, 0, 8, 17}, new byte[68]),           // 17 dims
            concat(new byte[] {0, 0, 8, (byte) 255}, new byte[20]),   // 255 dims, truncated header
            concat(new byte[] {0, 0, 8, 0}, new byte[8]),             // 0 dims
            concat(new byte[] {0, 1, 8, 1, 0, 0, 0, 1}, new byte[1]), // bad magic
            concat(new byte[] {0x1F, 0, 8, 1, 0, 0, 0, 1}, new byte[1]), // half a gzip magic
            concat(new byte[] {0, 0, 0x0A, 1, 0, 0, 0, 1}, new byte[4]), // unknown type
            concat(new byte[] {0, 0, (byte) 0xFF, 1, 0, 0, 0, 1}, new byte[1]),
            new byte[0],
            new byte[] {0x1F, (byte) 0x8B},                           // gzip magic only
            new byte[] {0x1F, (byte) 0x8B, 8, 0, 0, 0, 0, 0, 0, 0},  // gzip header, no body
            new byte[] {0x1F, (byte) 0x8B, 8, 4, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF}, // FEXTRA 64 KB, absent
        };
    }

    static byte[] mutate(byte[] good, Random r) {
        byte[] b = good.clone();
        int kind = r.nextInt(10);
        switch (kind) {
            case 0 -> b = Arrays.copyOf(b, r.nextInt(b.length + 1));                       // truncate
            case 1 -> {                                                                      // bit flips
                int flips = 1 + r.nextInt(4);
                for (int i = 0; i < flips; i++) {
                    int pos = r.nextInt(Math.min(b.length, r.nextBoolean() ? 24 : b.length));
                    b[pos] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 2 -> b[r.nextInt(Math.min(4, b.length))] = (byte) r.nextInt(256);         // magic / type / rank
            case 3 -> {                                                                      // huge dimension
                int rank = b[3] & 0xFF;
                if (rank > 0 && 4 + 4 * rank <= b.length) {
                    int d = r.nextInt(rank);
                    int v = switch (r.nextInt(4)) {
                        case 0 -> -1;
                        case 1 -> Integer.MAX_VALUE;
                        case 2 -> 1 << (20 + r.nextInt(11));
                        default -> r.nextInt();
                    };
                    ByteBuffer.wrap(b).putInt(4 + 4 * d, v);
                }
            }
            case 4 -> b = concat(b, new byte[1 + r.nextInt(16)]);                           // trailing bytes
            case 5 -> {                                                                      // random bytes
                for (int i = 0; i < 1 + r.nextInt(8); i++) {
                    b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                }
            }
            case 6 -> {                                                                      // gzip, then corrupt
                byte[] gz = gzip(b);
                int pos = r.nextInt(gz.length);
                switch (r.nextInt(5)) {
                    case 0 -> gz[pos] ^= (byte) (1 << r.nextInt(8));
                    case 1 -> gz = Arrays.copyOf(gz, pos);
                    case 2 -> gz[gz.length - 1 - r.nextInt(8)] ^= (byte) (1 + r.nextInt(255)); // CRC / ISIZE
                    case 3 -> gz[3] = (byte) r.nextInt(256);                                    // header flags
                    default -> gz = concat(gz, new byte[] {(byte) r.nextInt(256), (byte) r.nextInt(256), 0, 0});
                }
                b = gz;
            }
            case 7 -> {                                                                      // mutate, then gzip
                b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                if (r.nextBoolean()) {
                    b = Arrays.copyOf(b, r.nextInt(b.length + 1));
                }
                b = gzip(b);
            }
            case 8 -> {                                                                      // huge dim, then gzip
                int rank = b[3] & 0xFF;
                if (rank > 0 && 4 + 4 * rank <= b.length) {
                    ByteBuffer.wrap(b).putInt(4 + 4 * r.nextInt(rank), r.nextBoolean() ? -1 : 1 << 30);
                }
                b = gzip(b);
            }
            default -> {                                                                     // splice two parts
                int cut = r.nextInt(b.length);
                int cut2 = r.nextInt(b.length);
                b = concat(Arrays.copyOf(b, cut), Arrays.copyOfRange(b, Math.min(cut2, b.length), b.length));
            }
        }
        return b;
    }

    /** Delivers at most one byte per read call (exercises the partial-read loops). */
    static final class Trickle extends FilterInputStream {
        Trickle(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return super.read(b, off, Math.min(len, 1));
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }

    /** "parsed" or "rejected"; throws AssertionError on any other outcome. */
    static String check(byte[] bytes, Path file, String mode) throws IOException {
        String source;
        try {
            IdxReader.IdxData d;
            switch (mode) {
                case "path" -> {
                    Files.write(file, bytes);
                    source = file.toString();
                    d = IdxReader.read(file);
                }
                case "trickle" -> {
                    source = "fuzz.idx";
                    d = IdxReader.read(new Trickle(new ByteArrayInputStream(bytes)), source);
                }
                default -> {
                    source = "fuzz.idx";
                    d = IdxReader.read(new ByteArrayInputStream(bytes), source);
                }
            }
            // a parse must agree with its own header
            long numel = 1;
            for (int x : d.dims()) {
                if (x < 0) {
                    throw new AssertionError("negative dimension accepted: " + Arrays.toString(d.dims()));
                }
                numel *= x;
            }
            if (numel != d.numel() || d.data().length != numel * d.type().byteSize()) {
                throw new AssertionError("inconsistent parse: dims " + Arrays.toString(d.dims()) + " × " + d.type()
                        + " but " + d.data().length + " data bytes");
            }
            if (!(bytes.length >= 2 && (bytes[0] & 0xFF) == 0x1F && (bytes[1] & 0xFF) == 0x8B)
                    && bytes.length != 4 + 4L * d.dims().length + d.data().length) {
                throw new AssertionError("plain file of " + bytes.length + " bytes parsed as "
                        + Arrays.toString(d.dims()) + " × " + d.type());
            }
            d.toFloatTensor();
            return "parsed";
        } catch (IllegalArgumentException e) {
            requireMessage(e);
            String src = mode.equals("path") ? file.toString() : "fuzz.idx";
            if (!e.getMessage().contains(src)) {
                throw new AssertionError("message does not name the source " + src + ": " + e.getMessage(), e);
            }
            return "rejected";
        } catch (UncheckedIOException | IOException e) {
            requireMessage(e);
            return "io-error";
        }
    }

    static void requireMessage(Throwable e) {
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError("exception without a message: " + e, e);
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int cases = Integer.parseInt(args[1]);
        long seed = Long.parseLong(args[2]);
        Path file = dir.resolve("fuzz-idx3-ubyte");
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "idx-fuzz");
            t.setDaemon(true);
            return t;
        });
        int[] outcomes = new int[3];
        long t0 = System.nanoTime();
        Random rnd = new Random(seed);
        byte[][] seeds = seeds(rnd);
        byte[][] hostile = hostile();
        String[] modes = {"stream", "path", "trickle"};
        int total = hostile.length * 2 + cases;
        for (int i = 0; i < total; i++) {
            final byte[] bytes;
            final long caseSeed = rnd.nextLong();
            final String desc;
            if (i < hostile.length * 2) {
                byte[] h = hostile[i / 2];
                bytes = i % 2 == 0 ? h : gzip(h);
                desc = "hostile #" + (i / 2) + (i % 2 == 0 ? " plain" : " gzip");
            } else {
                Random cr = new Random(caseSeed);
                bytes = mutate(seeds[cr.nextInt(seeds.length)], cr);
                desc = "mutation seed " + caseSeed;
            }
            for (String mode : (i % 7 == 0 || i < hostile.length * 2) ? modes : new String[] {modes[i % 2]}) {
                Future<String> fut = ex.submit(() -> check(bytes, file, mode));
                String outcome;
                try {
                    outcome = fut.get(10, TimeUnit.SECONDS);
                } catch (TimeoutException te) {
                    System.out.println("[idx-fuzz] FAIL hang on case " + i + " (" + desc + ", " + mode
                            + ", run seed " + seed + ")");
                    System.out.flush();
                    System.exit(2);
                    return;
                } catch (java.util.concurrent.ExecutionException ee) {
                    System.out.println("[idx-fuzz] FAIL case " + i + " (" + desc + ", " + mode + ", run seed " + seed
                            + "): " + ee.getCause());
                    ee.getCause().printStackTrace(System.out);
                    System.out.flush();
                    System.exit(3);
                    return;
                }
                outcomes[switch (outcome) {
                    case "parsed" -> 0;
                    case "rejected" -> 1;
                    default -> 2;
                }]++;
            }
        }
        Runtime rt = Runtime.getRuntime();
        System.out.printf("[idx-fuzz] OK %d cases (%d hostile, %d mutations; seed %d): %d parsed, %d rejected with "
                + "IllegalArgumentException, %d I/O errors; max heap %d MB; %.1f s%n", total, hostile.length * 2,
                cases, seed, outcomes[0], outcomes[1], outcomes[2], rt.maxMemory() >> 20,
                (System.nanoTime() - t0) / 1e9);
        System.out.flush();
        System.exit(0);
    }
}
