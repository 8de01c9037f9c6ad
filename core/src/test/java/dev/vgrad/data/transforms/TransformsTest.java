package dev.vgrad.data.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Fixtures;
import dev.vgrad.core.testing.Fixtures.FixtureTensor;
import dev.vgrad.core.testing.SeededCases;
import dev.vgrad.data.Normalize;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TransformsTest {
    static Tensor randomImage(Random r, int c, int h, int w) {
        float[] x = new float[c * h * w];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(17) / 16f;
        }
        return Tensor.of(x, c, h, w);
    }

    static Tensor input(Map<String, Object> c) {
        FixtureTensor t = Fixtures.tensor(c, "x");
        return Tensor.of(t.floats(), t.shape());
    }

    static int i(Map<String, Object> c, String k) {
        return ((Number) c.get(k)).intValue();
    }

    static void assertMatches(Map<String, Object> c, Tensor got, double atol, double rtol) {
        FixtureTensor want = Fixtures.tensor(c, "expected");
        assertArrayEquals(want.shape(), got.shape(), String.valueOf(c.get("name")));
        float[] g = got.toArray();
        for (int k = 0; k < g.length; k++) {
            double e = want.data()[k];
            assertTrue(Math.abs(g[k] - e) <= atol + rtol * Math.abs(e), c.get("name") + " element " + k + ": " + g[k]
                    + " vs PyTorch " + e);
        }
    }

    @Test
    void fixedParameterTransformsMatchPyTorch() {
        int crops = 0;
        int resized = 0;
        int norms = 0;
        for (Map<String, Object> c : Fixtures.cases(Fixtures.load("data.json"))) {
            switch (String.valueOf(c.get("kind"))) {
                case "crop" -> {
                    Tensor got = RandomCrop.crop(input(c), i(c, "padding"), (float) Fixtures.number(c.get("fill")),
                            i(c, "top"), i(c, "left"), i(c, "height"), i(c, "width"));
                    assertMatches(c, got, 0, 0);
                    crops++;
                }
                case "resized_crop" -> {
                    Tensor got = RandomResizedCrop.resizedCrop(input(c), i(c, "top"), i(c, "left"), i(c, "height"),
                            i(c, "width"), i(c, "out_height"), i(c, "out_width"));
                    assertMatches(c, got, Fixtures.F32_ATOL, Fixtures.F32_RTOL);
                    resized++;
                }
                case "normalize" -> {
                    double[] mean = Fixtures.tensor(c, "mean").data();
                    double[] std = Fixtures.tensor(c, "std").data();
                    Tensor got = new Normalize(mean, std).perImage().apply(input(c), null);
                    assertMatches(c, got, Fixtures.F32_ATOL, Fixtures.F32_RTOL);
                    norms++;
                }
                default -> { }
            }
        }
        assertEquals(5, crops);
        assertEquals(4, resized);
        assertEquals(2, norms);
    }

    @Test
    void flipTwiceIsIdentityAndMirrorsColumns() {
        SeededCases.check("hflip(hflip(x)) = x", 1921L, 50, s -> {
            Random r = new Random(s);
            Tensor x = randomImage(r, 1 + r.nextInt(3), 1 + r.nextInt(9), 1 + r.nextInt(9));
            Tensor f = RandomHorizontalFlip.hflip(x);
            assertArrayEquals(x.toArray(), RandomHorizontalFlip.hflip(f).toArray());
            int w = x.size(2);
            for (int col = 0; col < w; col++) {
                assertArrayEquals(x.select(2, col).toArray(), f.select(2, w - 1 - col).toArray());
            }
            // p = 0 never flips, p = 1 always does
            assertArrayEquals(x.toArray(), new RandomHorizontalFlip(0).apply(x, new Generator(s)).toArray());
            assertArrayEquals(f.toArray(), new RandomHorizontalFlip(1).apply(x, new Generator(s)).toArray());
        });
    }

    @Test
    void randomTransformsHaveTheirOutputShapesAndOnlyUseTheGenerator() {
        SeededCases.check("transform shapes and seeded draws", 1922L, 60, s -> {
            Random r = new Random(s);
            int c = 1 + r.nextInt(3);
            int h = 2 + r.nextInt(12);
            int w = 2 + r.nextInt(12);
            Tensor x = randomImage(r, c, h, w);
            int pad = r.nextInt(3);
            int ch = 1 + r.nextInt(h + 2 * pad);
            int cw = 1 + r.nextInt(w + 2 * pad);
            int oh = 1 + r.nextInt(10);
            int ow = 1 + r.nextInt(10);
            Transform[] ts = {new RandomCrop(ch, cw, pad, 0f), new RandomHorizontalFlip(),
                new RandomResizedCrop(oh, ow, 0.08, 1.0, 0.75, 4.0 / 3.0), new ColorJitter(0.4, 0.4),
                Compose.of(new RandomCrop(h, w, pad, 0f), new RandomHorizontalFlip())};
            int[][] shapes = {{c, ch, cw}, {c, h, w}, {c, oh, ow}, {c, h, w}, {c, h, w}};
            float[] before = x.toArray();
            for (int k = 0; k < ts.length; k++) {
                Tensor a = ts[k].apply(x, new Generator(s));
                assertArrayEquals(shapes[k], a.shape(), "transform " + k);
                assertArrayEquals(a.toArray(), ts[k].apply(x, new Generator(s)).toArray(), "same seed, same image");
            }
            assertArrayEquals(before, x.toArray(), "transforms never modify their input");
            // a random crop is the fixed-offset crop at offsets drawn top first, then left
            Generator g = new Generator(s);
            int top = (int) g.nextLong(h + 2 * pad - ch + 1);
            int left = (int) g.nextLong(w + 2 * pad - cw + 1);
            assertArrayEquals(RandomCrop.crop(x, pad, 0f, top, left, ch, cw).toArray(),
                    ts[0].apply(x, new Generator(s)).toArray());
            // the resized crop's window lies inside the image
            int[] box = new RandomResizedCrop(oh, ow, 0.08, 1.0, 0.75, 4.0 / 3.0).window(h, w, new Generator(s));
            assertTrue(box[0] >= 0 && box[1] >= 0 && box[2] >= 1 && box[3] >= 1 && box[0] + box[2] <= h
                    && box[1] + box[3] <= w, java.util.Arrays.toString(box));
            // colour jitter keeps [0, 1] images in [0, 1]
            for (float v : ts[3].apply(x, new Generator(s)).toArray()) {
                assertTrue(v >= 0 && v <= 1, "jittered value " + v);
            }
        });
    }

    @Test
    void colorJitterFollowsItsFormula() {
        Tensor x = Tensor.of(new float[] {0f, 0.25f, 0.5f, 1f}, 1, 2, 2);
        Generator g = new Generator(9);
        double b = 0.5 + g.nextDouble(); // U[0.5, 1.5]
        double c = 0.5 + g.nextDouble();
        float[] got = new ColorJitter(0.5, 0.5).apply(x, new Generator(9)).toArray();
        float[] xb = new float[4];
        double mean = 0;
        for (int k = 0; k < 4; k++) {
            xb[k] = Math.min(1f, (float) b * x.toArray()[k]);
            mean += xb[k] / 4.0;
        }
        for (int k = 0; k < 4; k++) {
            float want = (float) Math.max(0, Math.min(1, (float) c * xb[k] + (1 - (float) c) * (float) mean));
            assertEquals(want, got[k], 1e-6f);
        }
    }

    @Test
    void badInputIsRejectedNamingTheTransform() {
        Tensor flat = Tensor.zeros(4, 4);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new RandomCrop(2, 0).apply(flat, new Generator(1)))
                .getMessage().startsWith("RandomCrop: expected a float32 image of shape [C, H, W]"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new RandomCrop(9, 1).apply(Tensor.zeros(1, 4, 4), new Generator(1))).getMessage()
                .contains("larger than input image size"));
        assertThrows(IllegalArgumentException.class, () -> new RandomHorizontalFlip(1.5));
        assertThrows(IllegalArgumentException.class, () -> new ColorJitter(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> new RandomResizedCrop(4, 4, 0.5, 0.2, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new Normalize(new double[] {0, 0}, new double[] {1, 1})
                .perImage().apply(Tensor.zeros(3, 2, 2), null));
    }
}
