package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Safetensors round trips, malformed files, and the PyTorch-written small CNN. */
class SafeTensorsTest {
    @TempDir
    Path dir;

    static Sequential smallCnn() {
        Generator g = new Generator(99);
        return new Sequential(new Conv2d(1, 4, 3, 1, 1, true, g), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(64, 10, true, g));
    }

    @Test
    void roundTripKeepsOrderDtypesShapesAndMetadata() throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("z.last", Tensor.randn(new Generator(1), 2, 3, 4));
        m.put("a.f64", Tensor.randn(new Generator(2), 5).toDouble());
        m.put("count", Tensor.ofLongs(new long[] {Long.MIN_VALUE, -1, 7}, 3));
        m.put("scalar", Tensor.scalar(DType.INT64, 42));
        m.put("empty", Tensor.zeros(0, 3));
        m.put("view", Tensor.arange(12).reshape(3, 4).t());
        Path p = dir.resolve("x.safetensors");
        SafeTensors.save(p, m, Map.of("format", "pt", "note", "héllo"));
        SafeTensors.Loaded l = SafeTensors.load(p);
        assertEquals(new ArrayList<>(m.keySet()), new ArrayList<>(l.tensors().keySet()));
        assertEquals(Map.of("format", "pt", "note", "héllo"), l.metadata());
        for (String k : m.keySet()) {
            Tensor a = m.get(k);
            Tensor b = l.tensors().get(k);
            assertEquals(a.dtype(), b.dtype(), k);
            assertArrayEquals(a.shape(), b.shape(), k);
            if (a.dtype() == DType.INT64) {
                assertArrayEquals(a.toLongArray(), b.toLongArray(), k);
            } else {
                assertArrayEquals(a.toDoubleArray(), b.toDoubleArray(), k);
            }
        }
        // header length is a multiple of 8, data offsets contiguous
        byte[] bytes = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(p), s.toList(), "no temporary files are left behind");
        }
        SafeTensors.save(p, Map.of("only", Tensor.ones(1)), null);
        assertEquals(List.of("only"), new ArrayList<>(SafeTensors.load(p).tensors().keySet()));
        assertTrue(SafeTensors.load(p).metadata().isEmpty());
    }

    @Test
    void moduleSaveAndLoad() throws IOException {
        Sequential a = new Sequential(new Linear(3, 4, true, new Generator(1)), new BatchNorm1d(4));
        a.forward(Tensor.randn(new Generator(2), 6, 3));
        Sequential b = new Sequential(new Linear(3, 4, true, new Generator(3)), new BatchNorm1d(4));
        Path p = dir.resolve("m.safetensors");
        a.save(p);
        b.load(p);
        a.eval();
        b.eval();
        Tensor x = Tensor.randn(new Generator(4), 2, 3);
        assertArrayEquals(a.forward(x).toDoubleArray(), b.forward(x).toDoubleArray());
    }

    @Test
    @SuppressWarnings("unchecked")
    void loadsPyTorchSmallCnnAndReproducesItsEvalOutput() throws IOException {
        byte[] file = Fixtures.bytes("small_cnn.safetensors");
        Path p = dir.resolve("small_cnn.safetensors");
        Files.write(p, file);
        SafeTensors.Loaded l = SafeTensors.load(p);
        Map<String, Object> root = Fixtures.load("small_cnn.json");
        List<Object> names = new ArrayList<>();
        for (Object o : Fixtures.list(root, "state_dict")) {
            names.add(((Map<String, Object>) o).get("name"));
        }
        assertEquals(names, new ArrayList<>(l.tensors().keySet()));
        assertEquals(Map.of("format", "pt"), l.metadata());
        Map<String, Object> values = Fixtures.map(root, "state_dict_values");
        for (String k : l.tensors().keySet()) {
            Fixtures.FixtureTensor e = Fixtures.tensor(values, k);
            Tensor t = l.tensors().get(k);
            assertEquals(e.longs() != null ? DType.INT64 : DType.FLOAT32, t.dtype(), k);
            Fx.close(e, t, 0, 0, k);
        }
        // our writer produces the same bytes as the fixture script's
        assertArrayEquals(file, SafeTensors.toBytes(l.tensors(), l.metadata()));

        Sequential model = smallCnn();
        assertEquals(names, new ArrayList<Object>(model.stateDict().keySet()));
        model.load(p);
        model.eval();
        Map<String, Object> evalCase = Fixtures.caseNamed(root, "eval_forward");
        Tensor x = Fx.t(Fixtures.map(evalCase, "inputs"), "input", DType.FLOAT32);
        Fx.close(Fixtures.tensor(Fixtures.map(evalCase, "outputs"), "out_float32"), model.forward(x), DType.FLOAT32,
                "small_cnn eval float32");
        Sequential m64 = smallCnn();
        m64.load(p);
        m64.to(DType.FLOAT64);
        m64.eval();
        Tensor x64 = Fx.t(Fixtures.map(evalCase, "inputs"), "input", DType.FLOAT64);
        Fx.close(Fixtures.tensor(Fixtures.map(evalCase, "outputs"), "out_float64"), m64.forward(x64), 1e-9, 1e-9,
                "small_cnn eval float64");
        Map<String, Object> trainCase = Fixtures.caseNamed(root, "train_forward_float64");
        m64.train();
        Fx.close(Fixtures.tensor(Fixtures.map(trainCase, "outputs"), "out_float64"), m64.forward(x64), 1e-9, 1e-9,
                "small_cnn train float64");
    }

    @Test
    void halfAndBfloat16AreReadAsFloat32() {
        // 1.0 = 0x3C00 (F16), 0x3F80 (BF16); -2.0 = 0xC000 (F16), 0xC000 (BF16)
        byte[] f = file("{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}}",
                new byte[] {0x00, 0x3C, 0x00, (byte) 0xC0, (byte) 0x80, 0x3F, 0x00, (byte) 0xC0});
        SafeTensors.Loaded l = SafeTensors.fromBytes(f);
        assertArrayEquals(new float[] {1, -2}, l.tensors().get("h").toArray());
        assertArrayEquals(new float[] {1, -2}, l.tensors().get("b").toArray());
    }

    // ------------------------------------------------------------------ malformed files

    private static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }

    private static void bad(byte[] bytes, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.fromBytes(bytes));
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }

    private void badFile(byte[] bytes, String expected) throws IOException {
        Path p = dir.resolve("bad.safetensors");
        Files.write(p, bytes);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.load(p));
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }

    @Test
    void malformedFilesFailClearly() throws IOException {
        String ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        byte[] good = file(ok, new byte[8]);
        assertEquals(1, SafeTensors.fromBytes(good).tensors().size());
        bad(new byte[5], "file too small");
        // header length past the end of the file, and an absurd one (would be a huge allocation)
        byte[] longHeader = good.clone();
        ByteBuffer.wrap(longHeader).order(ByteOrder.LITTLE_ENDIAN).putLong(0, good.length);
        bad(longHeader, "exceeds the file size");
        ByteBuffer.wrap(longHeader).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE);
        bad(longHeader, "exceeds the file size");
        ByteBuffer.wrap(longHeader).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        bad(longHeader, "exceeds the file size");
        badFile(longHeader, "exceeds the file size");
        // truncated data
        badFile(Arrays.copyOf(good, good.length - 3), "out of range");
        bad(Arrays.copyOf(good, good.length - 3), "file truncated");
        // out-of-range and overlapping offsets
        bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[8]), "out of range");
        bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]), "overlap");
        bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", new byte[8]),
                "invalid data_offsets");
        bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", new byte[8]),
                "invalid data_offsets");
        // unknown dtype
        bad(file("{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]), "unknown dtype 'Q7'");
        // bad JSON, non-object header, wrong entry types
        bad(file("{\"a\":{\"dtype\":\"F32\",", new byte[8]), "invalid JSON header");
        bad(file("[1,2,3]", new byte[0]), "must be a JSON object");
        bad(file("{\"a\":5}", new byte[0]), "is not an object");
        bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":\"x\",\"data_offsets\":[0,8]}}", new byte[8]), "shape");
        bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", new byte[8]), "data_offsets");
        bad(file("{\"__metadata__\":{\"k\":1}}", new byte[0]), "not a string");
        // absurd sizes: shape/offset mismatch and overflowing shapes never allocate
        bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647],\"data_offsets\":[0,8]}}",
                new byte[8]), "absurd");
        bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,8]}}", new byte[8]),
                "needs 17179869184 bytes");
        bad(file("{\"a\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}",
                new byte[8]), "absurd");
        bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999],\"data_offsets\":[0,8]}}", new byte[8]),
                "absurd");
        bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", new byte[8]), "invalid shape");
        bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]), "needs 12 bytes");
    }

    @Test
    void saveRejectsBadNames() {
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.save(dir.resolve("n.safetensors"), Map.of("__metadata__", Tensor.ones(1)), null));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count(), "a failed save leaves nothing behind");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
