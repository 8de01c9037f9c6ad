package dev.vgrad.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {
    @TempDir
    Path tmp;

    static byte[] idx(int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) 8).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.put(data).array();
    }

    @Test
    void loadsPlainFilesFromADirectoryAndStandardises() throws IOException {
        byte[] img = new byte[2 * 28 * 28];
        for (int i = 0; i < img.length; i++) {
            img[i] = (byte) (i % 2 == 0 ? 0 : 255);
        }
        Files.write(tmp.resolve("train-images-idx3-ubyte"), idx(new int[] {2, 28, 28}, img));
        Files.write(tmp.resolve("train-labels-idx1-ubyte"), idx(new int[] {2}, new byte[] {3, 9}));
        Files.write(tmp.resolve("t10k-images-idx3-ubyte"), idx(new int[] {1, 28, 28}, new byte[28 * 28]));
        Files.write(tmp.resolve("t10k-labels-idx1-ubyte"), idx(new int[] {1}, new byte[] {1}));
        FashionMnist d = FashionMnist.load(tmp);
        assertEquals(0.5, d.mean(), 1e-12);
        assertEquals(0.5, d.std(), 1e-12);
        assertArrayEquals(new int[] {2, 1, 28, 28}, d.train().tensor(0).shape());
        assertEquals(-1.0, d.train().tensor(0).get(0, 0, 0, 0), 1e-6);
        assertEquals(1.0, d.train().tensor(0).get(0, 0, 0, 1), 1e-6);
        assertEquals(-1.0, d.test().tensor(0).get(0, 0, 5, 5), 1e-6);
        assertArrayEquals(new long[] {3, 9}, d.train().tensor(1).toLongArray());
        assertTrue(d.source().contains(tmp.toString()));
    }

    @Test
    void missingOrMismatchedFilesAreClearErrors() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FashionMnist.load(tmp.resolve("nope")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FashionMnist.load(tmp));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
        Files.write(tmp.resolve("train-images-idx3-ubyte"), idx(new int[] {2, 28, 28}, new byte[2 * 784]));
        Files.write(tmp.resolve("train-labels-idx1-ubyte"), idx(new int[] {3}, new byte[3]));
        Files.write(tmp.resolve("t10k-images-idx3-ubyte"), idx(new int[] {1, 28, 28}, new byte[784]));
        Files.write(tmp.resolve("t10k-labels-idx1-ubyte"), idx(new int[] {1}, new byte[1]));
        e = assertThrows(IllegalArgumentException.class, () -> FashionMnist.load(tmp));
        assertTrue(e.getMessage().contains("counts differ"), e.getMessage());
    }
}
