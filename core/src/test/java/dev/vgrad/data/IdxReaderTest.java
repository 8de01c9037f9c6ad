package dev.vgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
    @TempDir
    Path tmp;

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

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    static IdxReader.IdxData read(byte[] bytes) {
        return IdxReader.read(new ByteArrayInputStream(bytes), "test.idx");
    }

    @Test
    void readsUnsignedBytesPlainAndGzip() throws IOException {
        byte[] data = {0, 1, (byte) 127, (byte) 128, (byte) 200, (byte) 255};
        byte[] file = concat(header(0x08, 2, 3), data);
        for (byte[] bytes : List.of(file, gzip(file))) {
            IdxReader.IdxData d = read(bytes);
            assertEquals(IdxReader.ElementType.UBYTE, d.type());
            assertArrayEquals(new int[] {2, 3}, d.dims());
            assertEquals(6, d.numel());
            assertEquals(255.0, d.value(5));
            Tensor t = d.toFloatTensor();
            assertArrayEquals(new int[] {2, 3}, t.shape());
            assertArrayEquals(new float[] {0, 1, 127, 128, 200, 255}, t.toArray());
            Tensor l = d.toLongTensor();
            assertEquals(DType.INT64, l.dtype());
            assertArrayEquals(new long[] {0, 1, 127, 128, 200, 255}, l.toLongArray());
        }
    }

    @Test
    void readsOtherElementTypesBigEndian() {
        ByteBuffer b = ByteBuffer.allocate(2 * 2);
        b.putShort((short) -3).putShort((short) 1000);
        assertArrayEquals(new float[] {-3, 1000}, read(concat(header(0x0B, 2), b.array())).toFloatTensor().toArray());
        b = ByteBuffer.allocate(8).putInt(-70000).putInt(5);
        assertArrayEquals(new long[] {-70000, 5}, read(concat(header(0x0C, 2), b.array())).toLongTensor().toLongArray());
        b = ByteBuffer.allocate(8).putFloat(1.5f).putFloat(-0.25f);
        assertArrayEquals(new float[] {1.5f, -0.25f}, read(concat(header(0x0D, 1, 2), b.array())).toFloatTensor().toArray());
        b = ByteBuffer.allocate(8).putDouble(2.75);
        assertEquals(2.75, read(concat(header(0x0E, 1), b.array())).value(0));
        assertArrayEquals(new float[] {-1, 5}, read(concat(header(0x09, 2), new byte[] {-1, 5})).toFloatTensor().toArray());
        assertThrows(IllegalArgumentException.class, () -> read(concat(header(0x0D, 1), new byte[4])).toLongTensor());
    }

    @Test
    void readsFilesAndImageAndLabelHelpers() throws IOException {
        byte[] img = new byte[2 * 3 * 4];
        for (int i = 0; i < img.length; i++) {
            img[i] = (byte) (i * 10);
        }
        Path images = tmp.resolve("images-idx3-ubyte.gz");
        Files.write(images, gzip(concat(header(0x08, 2, 3, 4), img)));
        Path labels = tmp.resolve("labels-idx1-ubyte");
        Files.write(labels, concat(header(0x08, 2), new byte[] {7, 9}));
        Tensor x = IdxReader.readImages(images);
        assertArrayEquals(new int[] {2, 1, 3, 4}, x.shape());
        assertEquals(230 / 255.0, x.get(1, 0, 2, 3), 1e-7);
        assertEquals(DType.FLOAT32, x.dtype());
        Tensor y = IdxReader.readLabels(labels);
        assertArrayEquals(new long[] {7, 9}, y.toLongArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdxReader.readLabels(images));
        assertTrue(e.getMessage().contains("label file"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> IdxReader.readImages(labels));
        assertTrue(e.getMessage().contains("image file"), e.getMessage());
    }

    @Test
    void zeroSizedDimensionIsAccepted() {
        IdxReader.IdxData d = read(header(0x08, 0, 28, 28));
        assertEquals(0, d.numel());
        assertArrayEquals(new int[] {0, 28, 28}, d.dims());
    }

    private static void assertRejects(byte[] bytes, String fragment) throws IOException {
        for (byte[] b : List.of(bytes, gzip(bytes))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(b));
            assertTrue(e.getMessage().contains(fragment), () -> "message '" + e.getMessage() + "' lacks '" + fragment + "'");
            assertTrue(e.getMessage().startsWith("test.idx"), e.getMessage());
        }
    }

    @Test
    void rejectsMalformedHeaders() throws IOException {
        assertRejects(new byte[0], "not an IDX file");
        assertRejects(new byte[] {0, 0, 8}, "not an IDX file");
        assertRejects(concat(new byte[] {1, 0, 8, 1}, new byte[] {0, 0, 0, 1, 5}), "bad magic");
        assertRejects(concat(header(0x07, 1), new byte[] {5}), "unknown IDX element type 0x07");
        assertRejects(new byte[] {0, 0, 8, 0}, "0 dimensions");
        assertRejects(new byte[] {0, 0, 8, (byte) 200}, "200 dimensions");
        assertRejects(concat(new byte[] {0, 0, 8, 3}, new byte[] {0, 0, 0, 1, 0, 0}), "truncated IDX header");
        assertRejects(header(0x08, -5), "negative");
        assertRejects(header(0x08, 1 << 30, 1 << 30), "more than");
        assertRejects(header(0x0E, 1 << 29), "exceeds the largest array");
    }

    @Test
    void rejectsTruncatedAndTrailingData() throws IOException {
        assertRejects(concat(header(0x08, 2, 3), new byte[5]), "truncated IDX data");
        assertRejects(concat(header(0x08, 2, 3), new byte[7]), "trailing bytes");
        assertRejects(concat(header(0x0C, 3), new byte[11]), "needs 12 data bytes, got 11");
    }

    @Test
    void plainFileSizeIsCheckedBeforeAllocating() throws IOException {
        Path p = tmp.resolve("huge-header");
        Files.write(p, concat(header(0x08, 60000, 28, 28), new byte[100]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(p));
        assertTrue(e.getMessage().contains("needs 47040016 bytes but the file has 116 (truncated)"), e.getMessage());
        Path q = tmp.resolve("trailing");
        Files.write(q, concat(header(0x08, 2), new byte[3]));
        e = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(q));
        assertTrue(e.getMessage().contains("trailing bytes"), e.getMessage());
    }

    /** A header claiming ~2 GB over a tiny stream must fail fast without allocating the claimed size. */
    @Test
    void hostileHeaderDoesNotAllocateClaimedSize() throws IOException {
        byte[] hostile = concat(header(0x08, 2_000_000_000), new byte[10]);
        Runtime rt = Runtime.getRuntime();
        for (byte[] b : List.of(hostile, gzip(hostile))) {
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                // a non-size-aware stream: only chunked reads can protect us
                InputStream in = new ByteArrayInputStream(b);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(in, "test.idx"));
                assertTrue(e.getMessage().contains("truncated IDX data"), e.getMessage());
            });
        }
        assertTrue(rt.maxMemory() > 0);
    }

    @Test
    void corruptGzipIsReported() throws IOException {
        byte[] gz = gzip(concat(header(0x08, 1000), new byte[1000]));
        byte[] cut = Arrays.copyOf(gz, gz.length / 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(cut));
        assertTrue(e.getMessage().contains("gzip") || e.getMessage().contains("truncated"), e.getMessage());
        byte[] bad = gz.clone();
        bad[12] ^= 0x5A;
        bad[13] ^= 0x33;
        e = assertThrows(IllegalArgumentException.class, () -> read(bad));
        assertTrue(e.getMessage().startsWith("test.idx"), e.getMessage());
    }

    /** Round trip: random dims and bytes, plain and gzip. */
    @Test
    void roundTripProperty() {
        qt().withExamples(60).forAll(lists().of(integers().between(1, 5)).ofSizeBetween(1, 4), integers().all())
                .checkAssert((dimList, seed) -> {
                    int[] dims = dimList.stream().mapToInt(Integer::intValue).toArray();
                    int n = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
                    byte[] data = new byte[n];
                    new java.util.Random(seed).nextBytes(data);
                    byte[] file = concat(header(0x08, dims), data);
                    try {
                        for (byte[] b : List.of(file, gzip(file))) {
                            IdxReader.IdxData d = read(b);
                            assertArrayEquals(dims, d.dims());
                            float[] f = d.toFloatTensor().toArray();
                            for (int i = 0; i < n; i++) {
                                assertEquals(data[i] & 0xFF, f[i]);
                            }
                        }
                    } catch (IOException ex) {
                        throw new AssertionError(ex);
                    }
                });
    }

    /** Any corruption of a valid file either still parses consistently or fails with IllegalArgumentException. */
    @Test
    void mutatedFilesFailCleanly() {
        byte[] file = concat(header(0x08, 3, 4), new byte[12]);
        qt().withExamples(300).forAll(integers().between(0, file.length - 1), integers().between(0, 255),
                integers().between(-3, 3)).checkAssert((pos, val, lenDelta) -> {
                    byte[] b = Arrays.copyOf(file, Math.max(0, file.length + lenDelta));
                    if (pos < b.length) {
                        b[pos] = (byte) (int) val;
                    }
                    try {
                        IdxReader.IdxData d = read(b);
                        assertEquals(b.length, 4 + 4 * d.dims().length + d.numel() * d.type().byteSize());
                    } catch (IllegalArgumentException expected) {
                        // clean rejection
                    }
                });
    }
}
