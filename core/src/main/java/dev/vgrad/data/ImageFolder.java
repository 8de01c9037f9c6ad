package dev.vgrad.data;

import dev.vgrad.core.Tensor;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Images stored one class per sub-directory, like torchvision's {@code ImageFolder}:
 * {@code root/<class>/**}{@code /<file>.png|.jpg|.jpeg}.
 *
 * <p>Classes are the names of the immediate sub-directories of {@code root}, sorted (by {@link String#compareTo},
 * as Python sorts), and class {@code k} is the {@code k}-th name. Samples are the image files anywhere under a
 * class directory (extension {@code .png}, {@code .jpg} or {@code .jpeg}, any case), listed class by class and,
 * within a class, in sorted order of their relative paths. Other files are ignored. Images are decoded with
 * {@code javax.imageio} when a sample is read ({@link #get} is safe to call from loader workers).
 *
 * <p>A sample is {@code [image, label]}: the image a float32 {@code [C, H, W]} tensor in [0, 1]
 * (value / (2^bits - 1)), with {@code C = 1} for grey-scale files and {@code C = 3} (R, G, B) for colour or
 * palette files; an alpha channel is dropped. Unlike torchvision, which converts everything to RGB, a
 * grey-scale file stays one channel; the label is a 0-d int64 tensor.
 */
public final class ImageFolder implements Dataset {
    private final Path root;
    private final List<String> classes;
    private final List<Path> files = new ArrayList<>();
    private final List<Integer> labels = new ArrayList<>();

    /**
     * Scans {@code root} (which must contain at least one class directory with an image). Images are not decoded
     * here.
     *
     * @param root the directory whose sub-directories are the classes
     * @throws IllegalArgumentException when {@code root} is not a directory, has no class directory, or no image
     * @throws java.io.UncheckedIOException when a directory cannot be listed
     */
    public ImageFolder(Path root) {
        if (root == null || !Files.isDirectory(root)) {
            throw new IllegalArgumentException("ImageFolder: " + root + " is not a directory");
        }
        this.root = root;
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            s.filter(Files::isDirectory).forEach(p -> names.add(p.getFileName().toString()));
        } catch (IOException e) {
            throw new UncheckedIOException("ImageFolder: cannot list " + root, e);
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("ImageFolder: Couldn't find any class folder in " + root);
        }
        Collections.sort(names);
        this.classes = List.copyOf(names);
        for (int k = 0; k < classes.size(); k++) {
            Path dir = root.resolve(classes.get(k));
            List<Path> found = new ArrayList<>();
            try (Stream<Path> s = Files.walk(dir)) {
                s.filter(Files::isRegularFile).filter(ImageFolder::isImage).forEach(found::add);
            } catch (IOException e) {
                throw new UncheckedIOException("ImageFolder: cannot list " + dir, e);
            }
            found.sort((a, b) -> dir.relativize(a).toString().compareTo(dir.relativize(b).toString()));
            for (Path p : found) {
                files.add(p);
                labels.add(k);
            }
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("ImageFolder: Found no valid file for the classes " + classes
                    + ". Supported extensions are: .png, .jpg, .jpeg");
        }
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
    }

    /**
     * The scanned directory.
     *
     * @return the root given at construction
     */
    public Path root() {
        return root;
    }

    /**
     * The class names, sorted; label {@code k} is {@code classes().get(k)}.
     *
     * @return an unmodifiable list of the sub-directory names, sorted
     */
    public List<String> classes() {
        return classes;
    }

    /**
     * Class name to label (torchvision's {@code class_to_idx}).
     *
     * @return a new map from class name to label, in label order
     */
    public Map<String, Integer> classToIdx() {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int k = 0; k < classes.size(); k++) {
            m.put(classes.get(k), k);
        }
        return m;
    }

    /**
     * The file of sample {@code i}.
     *
     * @param i the sample index, in {@code [0, size())}
     * @return the image file's path
     */
    public Path path(int i) {
        return files.get(i);
    }

    /**
     * The label of sample {@code i}, without decoding the image.
     *
     * @param i the sample index, in {@code [0, size())}
     * @return the class index, in {@code [0, classes().size())}
     */
    public int label(int i) {
        return labels.get(i);
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public List<Tensor> get(int index) {
        if (index < 0 || index >= files.size()) {
            throw new IndexOutOfBoundsException("ImageFolder: index " + index + " out of range for size "
                    + files.size());
        }
        Path p = files.get(index);
        BufferedImage img;
        try {
            img = ImageIO.read(p.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("ImageFolder: cannot read " + p, e);
        }
        if (img == null) {
            throw new IllegalStateException("ImageFolder: no image reader understands " + p);
        }
        Tensor label = Tensor.ofLongs(new long[] {labels.get(index)});
        return List.of(toChw(img), label);
    }

    /**
     * A decoded image as float32 {@code [C, H, W]} in [0, 1] (grey: C = 1; otherwise C = 3, alpha dropped).
     *
     * @param img a decoded image of any type (grey, RGB, ARGB, palette, 8 or 16 bits per sample)
     * @return a new float32 tensor {@code [1, H, W]} for grey-scale images, else {@code [3, H, W]} (R, G, B)
     */
    public static Tensor toChw(BufferedImage img) {
        int h = img.getHeight();
        int w = img.getWidth();
        var cm = img.getColorModel();
        boolean grey = cm.getNumColorComponents() == 1 && !(cm instanceof java.awt.image.IndexColorModel);
        if (grey) {
            // the raster's own sample: getRGB would pass a linear grey space through a colour conversion
            Raster r = img.getRaster();
            double max = (1L << cm.getComponentSize(0)) - 1;
            float[] out = new float[h * w];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    out[y * w + x] = (float) (r.getSample(x, y, 0) / max);
                }
            }
            return Tensor.of(out, 1, h, w);
        }
        float[] out = new float[3 * h * w];
        int plane = h * w;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                int i = y * w + x;
                out[i] = ((rgb >> 16) & 0xFF) / 255f;
                out[plane + i] = ((rgb >> 8) & 0xFF) / 255f;
                out[2 * plane + i] = (rgb & 0xFF) / 255f;
            }
        }
        return Tensor.of(out, 3, h, w);
    }
}
