package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.testing.ModuleChecks;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Module contracts of the docs/SEMANTICS.md §19 layers: the module laws (ModuleChecks), PyTorch's state-dict
 * names and layouts, PyTorch's reprs (printed by torch 1.13), and early, named errors for bad input.
 */
class SeqLayersModuleTest {
    private static Tensor x(int... shape) {
        return Tensor.randn(new Generator(11), shape);
    }

    @Test
    void moduleLawsHold() {
        ModuleChecks.of(() -> new RMSNorm(4), x(3, 2, 4)).checkAll();
        ModuleChecks.of(() -> new GroupNorm(2, 4), x(3, 4, 5)).checkAll();
        ModuleChecks.of(() -> new Conv1d(2, 3, 3, 1, 1, 1, 1, true, new Generator(1)), x(2, 2, 6)).checkAll();
        ModuleChecks.of(() -> new ConvTranspose2d(2, 3, new int[] {3}, new int[] {2}, new int[] {1}, new int[] {1},
                1, true, new int[] {1}, new Generator(2)), x(2, 2, 3, 3)).checkAll();
        ModuleChecks.of(() -> new Upsample(null, new double[] {2, 1.5}, "bilinear", false), x(2, 1, 3, 3)).checkAll();
        ModuleChecks.of(() -> new Upsample(2.0), x(2, 2, 2, 3)).checkAll();
        ModuleChecks.of(() -> new SinusoidalPositionalEncoding(6, 10), x(2, 4, 6)).checkAll();
        ModuleChecks.of(() -> new RotaryEmbedding(6), x(2, 4, 6)).checkAll();
    }

    @Test
    void stateDictsUsePyTorchNamesAndLayouts() {
        Map<String, Tensor> sd = new ConvTranspose2d(4, 6, new int[] {2, 3}, new int[] {1}, new int[] {0},
                new int[] {0}, 2, true, new int[] {1}, new Generator(1)).stateDict();
        assertEquals(List.of("weight", "bias"), List.copyOf(sd.keySet()));
        assertArrayEquals(new int[] {4, 3, 2, 3}, sd.get("weight").shape()); // (in, out/groups, kH, kW)
        assertArrayEquals(new int[] {6}, sd.get("bias").shape());
        Map<String, Tensor> gn = new GroupNorm(2, 4).stateDict();
        assertArrayEquals(new int[] {4}, gn.get("weight").shape());
        assertArrayEquals(new int[] {4}, gn.get("bias").shape());
        assertEquals(List.of("weight"), List.copyOf(new RMSNorm(2, 3).stateDict().keySet()));
        assertArrayEquals(new int[] {2, 3}, new RMSNorm(2, 3).weight().shape());
        assertTrue(new RMSNorm(new int[] {3}, null, false).stateDict().isEmpty());
        assertArrayEquals(new int[] {4, 1, 5}, new Conv1d(2, 4, 5, 1, 0, 1, 2, true, new Generator(1)).stateDict()
                .get("weight").shape());
        assertTrue(new SinusoidalPositionalEncoding(4, 8).stateDict().isEmpty());
        assertTrue(new RotaryEmbedding(4).stateDict().isEmpty());
        assertTrue(new Upsample(2.0).stateDict().isEmpty());
    }

    @Test
    void reprsMatchPyTorch() {
        assertEquals("GroupNorm(2, 4, eps=1e-05, affine=True)", new GroupNorm(2, 4).toString());
        assertEquals("GroupNorm(3, 6, eps=0.001, affine=False)", new GroupNorm(3, 6, 1e-3, false).toString());
        assertEquals("Conv1d(2, 3, kernel_size=(3,), stride=(1,))", new Conv1d(2, 3, 3).toString());
        assertEquals("Conv1d(4, 2, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,), groups=2, bias=False)",
                new Conv1d(4, 2, 3, 2, 1, 2, 2, false, new Generator(1)).toString());
        assertEquals("Conv1d(1, 2, kernel_size=(4,), stride=(1,), padding=same)",
                new Conv1d(1, 2, 4, 1, "same", 1, 1, true, new Generator(1)).toString());
        assertEquals("ConvTranspose2d(2, 3, kernel_size=(3, 3), stride=(2, 2))", new ConvTranspose2d(2, 3, 3, 2)
                .toString());
        assertEquals("ConvTranspose2d(4, 2, kernel_size=(2, 3), stride=(1, 2), padding=(1, 1), dilation=(2, 2), "
                + "output_padding=(0, 1), groups=2, bias=False)", new ConvTranspose2d(4, 2, new int[] {2, 3},
                new int[] {1, 2}, new int[] {1}, new int[] {0, 1}, 2, false, new int[] {2}, new Generator(1))
                .toString());
        assertEquals("Upsample(scale_factor=2.0, mode=nearest)", new Upsample(2.0).toString());
        assertEquals("Upsample(size=(5, 4), mode=bilinear)", new Upsample(new int[] {5, 4}, null, "bilinear", true)
                .toString());
        assertEquals("Upsample(scale_factor=(1.5, 2.0), mode=bilinear)",
                new Upsample(null, new double[] {1.5, 2}, "bilinear", null).toString());
    }

    @Test
    void badInputFailsEarlyWithPyTorchWording() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> F.groupNorm(Tensor.ones(2, 3, 4), 2, null, null, 1e-5));
        assertEquals("group_norm: Expected number of channels in input to be divisible by num_groups, but got input "
                + "of shape [2, 3, 4] and num_groups=2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GroupNorm(2, 3));
        assertEquals("num_channels must be divisible by num_groups", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> F.convTranspose2d(Tensor.ones(1, 2, 3, 3),
                Tensor.ones(3, 1, 2, 2), null, null, null, null, 1, null));
        assertEquals("conv_transpose2d: Given transposed=1, weight of size [3, 1, 2, 2], expected input[1, 2, 3, 3] "
                + "to have 3 channels, but got 2 channels instead", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> F.convTranspose2d(Tensor.ones(1, 1, 3, 3),
                Tensor.ones(1, 1, 2, 2), null, new int[] {2}, null, new int[] {2}, 1, null));
        assertTrue(e.getMessage().contains("output padding must be smaller than either stride or dilation"));
        e = assertThrows(IllegalArgumentException.class,
                () -> F.interpolate(Tensor.ones(1, 1, 2, 2), null, new double[] {2, 2}, "nearest", true));
        assertEquals("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                + "bicubic | trilinear", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> F.interpolate(Tensor.ones(1, 1, 2, 2), new int[] {3, 3}, new double[] {2, 2}, "nearest", null));
        assertThrows(IllegalArgumentException.class,
                () -> F.interpolate(Tensor.ones(1, 2, 2), new int[] {3, 3}, null, "nearest", null));
        assertThrows(IllegalArgumentException.class, () -> new Upsample(new int[] {2, 2}, null, "bicubic", null));
        IllegalStateException shape = assertThrows(IllegalStateException.class,
                () -> new RMSNorm(4).forward(Tensor.ones(2, 3)));
        assertEquals("Given normalized_shape=[4], expected input with shape [*, 4], but got input of "
                + "size[2, 3]", shape.getMessage());
        assertThrows(IllegalArgumentException.class, () -> F.rotaryEmbedding(Tensor.ones(2, 3), 0, 10000));
        assertThrows(IllegalArgumentException.class, () -> new RotaryEmbedding(5));
        assertThrows(IllegalArgumentException.class,
                () -> new SinusoidalPositionalEncoding(4, 3).forward(Tensor.ones(4, 4)));
        assertThrows(IllegalArgumentException.class, () -> new Conv1d(2, 3, 3).forward(Tensor.ones(1, 2, 2, 5)));
        assertThrows(IllegalArgumentException.class,
                () -> new Conv1d(2, 3, 3, 2, "same", 1, 1, true, new Generator(1)));
    }

    @Test
    void rmsNormDefaultEpsIsTheDtypeMachineEpsilon() {
        // torch 2.4: eps=None means torch.finfo(x.dtype).eps (2^-23 for float32, 2^-52 for float64)
        assertEquals(Math.pow(2, -23), F.finfoEps(DType.FLOAT32));
        assertEquals(Math.pow(2, -52), F.finfoEps(DType.FLOAT64));
        Tensor z = Tensor.zeros(DType.FLOAT64, 2, 3);
        assertArrayEquals(new double[6], new RMSNorm(3).forward(z).toDoubleArray(), "zero rows stay zero, no NaN");
    }
}
