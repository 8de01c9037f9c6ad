package dev.vgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vgrad.core.Tensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
    /** A 3×2 grey PNG whose pixel (x, y) is {@code base + 10·(y·3 + x)}. */
    static void grey(Path file, int base) throws IOException {
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                img.getRaster().setSample(x, y, 0, base + 10 * (y * 3 + x));
            }
        }
        Files.createDirectories(file.getParent());
        ImageIO.write(img, "png", file.toFile());
    }

    /** A 2×2 RGB PNG with pixel (x, y) = (r, g, b) = (x·100, y·100, 7). */
    static void rgb(Path file) throws IOException {
        BufferedImage img = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 2; x++) {
                img.setRGB(x, y, (x * 100) << 16 | (y * 100) << 8 | 7);
            }
        }
        Files.createDirectories(file.getParent());
        ImageIO.write(img, "png", file.toFile());
    }

    @Test
    void classesAreSortedSubdirectoriesAndPixelsScaleToUnitRange(@TempDir Path root) throws IOException {
        grey(root.resolve("dog/b.png"), 5);
        grey(root.resolve("dog/a.PNG"), 0);
        grey(root.resolve("cat/nested/z.png"), 1);
        Files.writeString(root.resolve("cat/readme.txt"), "not an image");
        Files.createDirectories(root.resolve("emu"));
        ImageFolder f = new ImageFolder(root);
        assertEquals(List.of("cat", "dog", "emu"), f.classes());
        assertEquals(Map.of("cat", 0, "dog", 1, "emu", 2), f.classToIdx());
        assertEquals(3, f.size());
        assertEquals(List.of(root.resolve("cat/nested/z.png"), root.resolve("dog/a.PNG"), root.resolve("dog/b.png")),
                List.of(f.path(0), f.path(1), f.path(2)));
        List<Tensor> s = f.get(2);
        assertArrayEquals(new int[] {1, 2, 3}, s.get(0).shape());
        float[] want = new float[6];
        for (int i = 0; i < 6; i++) {
            want[i] = (float) ((5 + 10 * i) / 255.0);
        }
        assertArrayEquals(want, s.get(0).toArray());
        assertEquals(1, s.get(1).toLongArray()[0]);
        assertArrayEquals(new int[0], s.get(1).shape());
        Batch b = DataLoader.builder(f).batchSize(3).numWorkers(2).build().iterator().next();
        assertArrayEquals(new int[] {3, 1, 2, 3}, b.get(0).shape());
        assertArrayEquals(new long[] {0, 1, 1}, b.get(1).toLongArray());
    }

    @Test
    void rgbBecomesThreeChannels(@TempDir Path root) throws IOException {
        rgb(root.resolve("only/x.png"));
        Tensor img = new ImageFolder(root).get(0).get(0);
        assertArrayEquals(new int[] {3, 2, 2}, img.shape());
        float[] v = img.toArray();
        assertArrayEquals(new float[] {0, 100 / 255f, 0, 100 / 255f}, java.util.Arrays.copyOfRange(v, 0, 4));
        assertArrayEquals(new float[] {0, 0, 100 / 255f, 100 / 255f}, java.util.Arrays.copyOfRange(v, 4, 8));
        assertArrayEquals(new float[] {7 / 255f, 7 / 255f, 7 / 255f, 7 / 255f}, java.util.Arrays.copyOfRange(v, 8, 12));
    }

    @Test
    void emptyOrMissingRootsAreRejected(@TempDir Path root) throws IOException {
        assertThrows(IllegalArgumentException.class, () -> new ImageFolder(root.resolve("missing")));
        assertThrows(IllegalArgumentException.class, () -> new ImageFolder(root));
        Files.createDirectories(root.resolve("a"));
        assertThrows(IllegalArgumentException.class, () -> new ImageFolder(root));
    }
}
