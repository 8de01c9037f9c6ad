package dev.vgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import javax.imageio.ImageIO;

/** What every chart PNG must satisfy: it decodes, has the charts' size, and is a drawing, not a blank canvas. */
final class PngChecks {
    /**
     * Anti-aliased text, axes and lines give a chart hundreds of distinct colours (about 280 for a diverged run's
     * nearly empty loss panel, 1,150 for a 15-epoch run, over 2,000 for the benchmark comparisons); a blank canvas
     * has one.
     */
    static final int MIN_COLOURS = 200;

    private PngChecks() {
    }

    static BufferedImage decodeChart(Path file) throws IOException {
        assertTrue(Files.size(file) > 0, file + " is empty");
        BufferedImage img = ImageIO.read(file.toFile());
        assertNotNull(img, file + " does not decode as an image");
        assertEquals(Charts.WIDTH, img.getWidth(), "width of " + file);
        assertEquals(Charts.HEIGHT, img.getHeight(), "height of " + file);
        int colours = distinctColours(img);
        assertTrue(colours > MIN_COLOURS, file + " has only " + colours + " distinct colours: blank?");
        return img;
    }

    static int distinctColours(BufferedImage img) {
        Set<Integer> seen = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                seen.add(img.getRGB(x, y) & 0xFFFFFF);
            }
        }
        return seen.size();
    }

    /** Pixels of exactly {@code c} in the left ({@code right == false}) or right panel. */
    static int pixelsOf(BufferedImage img, Color c, boolean right) {
        int n = 0;
        int from = right ? img.getWidth() / 2 : 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = from; x < from + img.getWidth() / 2; x++) {
                if ((img.getRGB(x, y) & 0xFFFFFF) == (c.getRGB() & 0xFFFFFF)) {
                    n++;
                }
            }
        }
        return n;
    }
}
