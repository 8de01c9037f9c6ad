package dev.vgrad.examples;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.AdaptiveAvgPool2d;
import dev.vgrad.nn.BatchNorm2d;
import dev.vgrad.nn.Conv2d;
import dev.vgrad.nn.DropPath;
import dev.vgrad.nn.Dropout;
import dev.vgrad.nn.Flatten;
import dev.vgrad.nn.Identity;
import dev.vgrad.nn.Linear;
import dev.vgrad.nn.MaxPool2d;
import dev.vgrad.nn.Module;
import dev.vgrad.nn.ReLU;
import dev.vgrad.nn.Sequential;

/**
 * The three Fashion-MNIST models. Parameters are initialised from {@code init} (PyTorch's default schemes);
 * Dropout and DropPath masks are drawn from {@code noise}. {@code bench/fashion-mnist/fashion_mnist_torch.py} builds the same
 * architectures in PyTorch.
 */
public final class Models {
    private Models() {}

    /** The programs. */
    public enum Arch {
        MLP, CNN, RESNET;

        String cliName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Builds {@code arch}. */
    public static Module build(Arch arch, Generator init, Generator noise) {
        return switch (arch) {
            case MLP -> mlp(init, noise);
            case CNN -> cnn(init, noise);
            case RESNET -> resnet(init, noise);
        };
    }

    /** 784-256-128-10 with ReLU and Dropout(0.2) after each hidden layer. */
    public static Module mlp(Generator init, Generator noise) {
        return new Sequential(
                new Flatten(),
                new Linear(784, 256, true, init), new ReLU(), new Dropout(0.2, noise),
                new Linear(256, 128, true, init), new ReLU(), new Dropout(0.2, noise),
                new Linear(128, 10, true, init));
    }

    /** [Conv3×3(32)-BN-ReLU-MaxPool2] → [Conv3×3(64)-BN-ReLU-MaxPool2] → Flatten → Dropout(0.3) → Linear(3136, 10). */
    public static Module cnn(Generator init, Generator noise) {
        return new Sequential(
                new Conv2d(1, 32, 3, 1, 1, false, init), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, 3, 1, 1, false, init), new BatchNorm2d(64), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Dropout(0.3, noise),
                new Linear(64 * 7 * 7, 10, true, init));
    }

    /**
     * A small pre-activation-free ResNet (He et al. basic blocks): stem Conv3×3(32)-BN-ReLU at 28×28, then
     * three stages of one basic block each (32 ch at 28×28, 64 ch at 14×14, 128 ch at 7×7), global average
     * pooling and Linear(128, 10). Each block's residual branch ends in DropPath, with the drop probability
     * rising linearly to 0.1 over the blocks (stochastic depth).
     */
    public static Module resnet(Generator init, Generator noise) {
        int[] widths = {32, 64, 128};
        double maxDrop = 0.1;
        Sequential net = new Sequential();
        net.add("stem", new Sequential(new Conv2d(1, widths[0], 3, 1, 1, false, init), new BatchNorm2d(widths[0]),
                new ReLU()));
        int in = widths[0];
        for (int s = 0; s < widths.length; s++) {
            double drop = maxDrop * s / (widths.length - 1);
            net.add("layer" + (s + 1), new BasicBlock(in, widths[s], s == 0 ? 1 : 2, drop, init, noise));
            in = widths[s];
        }
        net.add("pool", new AdaptiveAvgPool2d(1));
        net.add("flatten", new Flatten());
        net.add("fc", new Linear(in, 10, true, init));
        return net;
    }

    /** {@code relu(dropPath(bn2(conv2(relu(bn1(conv1(x)))))) + shortcut(x))}. */
    public static final class BasicBlock extends Module {
        private final Module conv1;
        private final Module bn1;
        private final Module conv2;
        private final Module bn2;
        private final Module shortcut;
        private final Module dropPath;

        public BasicBlock(int in, int out, int stride, double dropProb, Generator init, Generator noise) {
            conv1 = registerModule("conv1", new Conv2d(in, out, 3, stride, 1, false, init));
            bn1 = registerModule("bn1", new BatchNorm2d(out));
            conv2 = registerModule("conv2", new Conv2d(out, out, 3, 1, 1, false, init));
            bn2 = registerModule("bn2", new BatchNorm2d(out));
            if (stride != 1 || in != out) {
                shortcut = registerModule("shortcut", new Sequential(new Conv2d(in, out, 1, stride, 0, false, init),
                        new BatchNorm2d(out)));
            } else {
                shortcut = registerModule("shortcut", new Identity());
            }
            dropPath = registerModule("drop_path", new DropPath(dropProb, true, noise));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor y = bn1.call(conv1.call(x)).relu();
            y = bn2.call(conv2.call(y));
            return dropPath.call(y).add(shortcut.call(x)).relu();
        }
    }
}
