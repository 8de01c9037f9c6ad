package dev.vgrad.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngPlotTest {
    @TempDir
    Path tmp;

    @Test
    void writesADecodablePngDeterministically() throws IOException {
        System.setProperty("java.awt.headless", "true");
        double[] loss = {1.2, 0.7, 0.5, Double.NaN, 0.41};
        double[] acc = {0.71, 0.8, 0.84, 0.86, 0.87};
        Path a = tmp.resolve("a.png");
        Path b = tmp.resolve("b.png");
        PngPlot.write(a, "test plot", loss, acc);
        PngPlot.write(b, "test plot", loss, acc);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        BufferedImage img = ImageIO.read(a.toFile());
        assertEquals(960, img.getWidth());
        assertEquals(400, img.getHeight());
        assertEquals(0xFFFFFF, img.getRGB(2, 398) & 0xFFFFFF);
        int colored = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xFFFFFF) == 0xD62728) {
                    colored++;
                }
            }
        }
        assertNotEquals(0, colored, "accuracy curve drawn");
        // single epoch and constant values must not break the scaling
        PngPlot.write(tmp.resolve("c.png"), "one", new double[] {0.5}, new double[] {0.5});
        assertEquals(960, ImageIO.read(tmp.resolve("c.png").toFile()).getWidth());
    }
}
