package dev.vgrad.examples;

import dev.vgrad.core.Tensor;
import dev.vgrad.data.IdxReader;
import dev.vgrad.data.TensorDataset;
import dev.vgrad.data.transforms.Compose;
import dev.vgrad.data.transforms.RandomCrop;
import dev.vgrad.data.transforms.RandomHorizontalFlip;
import dev.vgrad.data.transforms.Transform;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fashion-MNIST (Zalando Research, MIT licence): 28×28 grey-scale images of 10 clothing classes.
 *
 * <p>Sources, in order: an explicit directory, Debian's {@code dataset-fashion-mnist} package
 * ({@value #SYSTEM_DIR}), then the subset embedded in this jar (first 4,000 train and 1,000 test images).
 * Images are float32 {@code [N, 1, 28, 28]} scaled to [0, 1] and then standardised with the training set's
 * mean and std; labels are int64 {@code [N]}.
 */
public record FashionMnist(TensorDataset train, TensorDataset test, String source, double mean, double std) {
    /** Where Debian's {@code dataset-fashion-mnist} installs the four gzip IDX files. */
    public static final String SYSTEM_DIR = "/usr/share/datasets/fashion-mnist";
    static final String EMBEDDED = "/fashion-mnist-subset/";
    static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

    /** Class names, by label. */
    public static final String[] CLASSES = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
        "Shirt", "Sneaker", "Bag", "Ankle boot"};

    /**
     * {@code dir} if given ({@code "embedded"} names the embedded subset), else the system directory if it holds
     * the data, else the embedded subset.
     */
    public static FashionMnist load(Path dir) {
        if (dir != null && dir.toString().equals("embedded") && !Files.isDirectory(dir)) {
            return loadEmbedded();
        }
        if (dir != null) {
            return loadDir(dir);
        }
        Path system = Path.of(SYSTEM_DIR);
        if (Files.isRegularFile(system.resolve(TRAIN_IMAGES + ".gz"))) {
            return loadDir(system);
        }
        return loadEmbedded();
    }

    /** The four files from {@code dir}, each either {@code NAME.gz} or plain {@code NAME}. */
    public static FashionMnist loadDir(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("Fashion-MNIST directory " + dir + " does not exist");
        }
        Tensor xTrain = IdxReader.readImages(file(dir, TRAIN_IMAGES));
        Tensor yTrain = IdxReader.readLabels(file(dir, TRAIN_LABELS));
        Tensor xTest = IdxReader.readImages(file(dir, TEST_IMAGES));
        Tensor yTest = IdxReader.readLabels(file(dir, TEST_LABELS));
        return of(xTrain, yTrain, xTest, yTest, dir.toString());
    }

    /** The subset embedded in the examples jar. */
    public static FashionMnist loadEmbedded() {
        return of(resource(TRAIN_IMAGES, true), resource(TRAIN_LABELS, false), resource(TEST_IMAGES, true),
                resource(TEST_LABELS, false), "embedded subset (classpath:" + EMBEDDED + ")");
    }

    private static Path file(Path dir, String name) {
        Path gz = dir.resolve(name + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        Path plain = dir.resolve(name);
        if (Files.isRegularFile(plain)) {
            return plain;
        }
        throw new IllegalArgumentException("Fashion-MNIST: neither " + gz + " nor " + plain + " exists");
    }

    private static Tensor resource(String name, boolean images) {
        String path = EMBEDDED + name + ".gz";
        try (InputStream in = FashionMnist.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("embedded Fashion-MNIST resource " + path + " is missing");
            }
            return images ? IdxReader.readImages(in, "classpath:" + path) : IdxReader.readLabels(in, "classpath:" + path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The training augmentation of {@code --augment}, as printed in the log. */
    static final String AUGMENTATION = "RandomCrop(28, padding=2, fill=black) + RandomHorizontalFlip(0.5)";

    /**
     * The classic Fashion-MNIST augmentation on the standardised images: pad 2 pixels of black (raw 0, i.e.
     * {@code -mean/std} after standardisation, as torchvision's RandomCrop pads before Normalize), crop 28×28
     * at a random offset, then flip left–right with probability 1/2. The PyTorch twin applies the same.
     */
    public Transform augmentation() {
        return Compose.of(new RandomCrop(28, 28, 2, (float) (-mean / std)), new RandomHorizontalFlip(0.5));
    }

    private static FashionMnist of(Tensor xTrain, Tensor yTrain, Tensor xTest, Tensor yTest, String source) {
        if (xTrain.size(0) != yTrain.size(0) || xTest.size(0) != yTest.size(0)) {
            throw new IllegalArgumentException("Fashion-MNIST from " + source + ": image and label counts differ");
        }
        dev.vgrad.data.Normalize norm = dev.vgrad.data.Normalize.fit(xTrain);
        norm.applyInPlace(xTrain);
        norm.applyInPlace(xTest);
        return new FashionMnist(new TensorDataset(xTrain, yTrain), new TensorDataset(xTest, yTest), source,
                norm.mean()[0], norm.std()[0]);
    }
}
