package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Empty tensors behave as in PyTorch (issue 15 item 5, docs/SEMANTICS.md §10). Random shapes with one zero size
 * (the other sizes small or large), every reduction over every dim, with and without keepdim. Expected values
 * follow from the definitions: a sum over nothing is 0 (the additive identity), a mean 0/0 = NaN, a variance NaN,
 * logsumexp log(0) = −inf; max/min/amax/amin/argmax/argmin have no identity, so reducing an empty dim raises
 * PyTorch's {@code "max(): Expected reduction dim 1 to have non-zero size."}, while reducing a non-empty dim of an
 * empty tensor gives an empty result of the reduced shape. softmax/log_softmax of an empty tensor that requires
 * grad has a grad_fn and backward runs.
 */
@DisplayName("Empty tensors (issue 15.5): reductions, arg-extremes and softmax follow PyTorch's definitions")
class EmptyTensorPropertyTest {
    private static final long SEED = Long.getLong("vgrad.empty.seed", 0x15_05L);
    private static final int EXAMPLES = Integer.getInteger("vgrad.empty.examples", 300);

    /**
     * A rank 1–4 shape with exactly one zero size; the others small, one of them now and then large (reducing the
     * empty dim materialises the product of the others, so only one is large).
     */
    private static int[] emptyShape(Random r) {
        int rank = 1 + r.nextInt(4);
        int[] s = new int[rank];
        for (int i = 0; i < rank; i++) {
            s[i] = 1 + r.nextInt(4);
        }
        if (r.nextInt(4) == 0) {
            s[r.nextInt(rank)] = 1000 + r.nextInt(5000);
        }
        s[r.nextInt(rank)] = 0;
        return s;
    }

    private static int[] reduced(int[] shape, boolean[] mask, boolean keepdim) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < shape.length; i++) {
            if (!mask[i]) {
                out.add(shape[i]);
            } else if (keepdim) {
                out.add(1);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Which value fills a result whose reduced dims hold no elements: null for ops without an identity. */
    private record Reduction(String name, Double emptyValue, Function<Tensor, Tensor> run, boolean int64) {}

    private static List<Reduction> reductions(int dim, boolean keepdim, int correction) {
        int[] dims = {dim};
        return List.of(
                new Reduction("sum", 0.0, x -> x.sum(dims, keepdim), false),
                new Reduction("mean", Double.NaN, x -> x.mean(dims, keepdim), false),
                new Reduction("var", Double.NaN, x -> x.var(dims, correction, keepdim), false),
                new Reduction("logsumexp", Double.NEGATIVE_INFINITY, x -> x.logsumexp(dims, keepdim), false),
                new Reduction("amax", null, x -> x.amax(dims, keepdim), false),
                new Reduction("amin", null, x -> x.amin(dims, keepdim), false),
                new Reduction("max", null, x -> x.max(dim, keepdim), false),
                new Reduction("min", null, x -> x.min(dim, keepdim), false),
                new Reduction("argmax", null, x -> x.argmax(dim, keepdim), true),
                new Reduction("argmin", null, x -> x.argmin(dim, keepdim), true));
    }

    /** Checks one reduction over one dim; returns null or the failure. */
    private static String check(Tensor x, int dim, boolean keepdim, Reduction red) {
        int[] shape = x.shape();
        boolean[] mask = new boolean[shape.length];
        mask[dim] = true;
        int[] expectedShape = reduced(shape, mask, keepdim);
        boolean emptyDim = shape[dim] == 0;
        String where = red.name() + " over dim " + dim + (keepdim ? " (keepdim)" : "") + " of " + Arrays.toString(shape);
        if (emptyDim && red.emptyValue() == null) {
            try {
                red.run().apply(x);
                return where + ": returned, but PyTorch raises (no identity)";
            } catch (IllegalArgumentException e) {
                String want = red.name() + "(): Expected reduction dim " + dim + " to have non-zero size.";
                return e.getMessage().startsWith(want) ? null : where + ": message \"" + e.getMessage()
                        + "\" is not PyTorch's \"" + want + "\"";
            } catch (RuntimeException e) {
                return where + ": threw " + e;
            }
        }
        Tensor y;
        try {
            y = red.run().apply(x);
        } catch (RuntimeException e) {
            return where + ": threw " + e;
        }
        if (!Arrays.equals(y.shape(), expectedShape)) {
            return where + ": shape " + Arrays.toString(y.shape()) + ", expected " + Arrays.toString(expectedShape);
        }
        if ((y.dtype() == DType.INT64) != red.int64()) {
            return where + ": dtype " + y.dtype();
        }
        // a non-empty result only arises when the reduced dim is the empty one: every element is the identity
        for (double v : y.toDoubleArray()) {
            if (Double.compare(v, red.emptyValue()) != 0) {
                return where + ": value " + v + ", expected " + red.emptyValue();
            }
        }
        return null;
    }

    /** softmax/log_softmax of an empty tensor that requires grad: a grad_fn, and backward gives an empty grad. */
    private static String checkSoftmax(int[] shape, int dim, boolean log) {
        String where = (log ? "log_softmax" : "softmax") + " over dim " + dim + " of " + Arrays.toString(shape);
        try {
            Tensor x = Tensor.zeros(shape).requiresGrad(true);
            Tensor y = log ? x.logSoftmax(dim) : x.softmax(dim);
            if (!Arrays.equals(y.shape(), shape)) {
                return where + ": shape " + Arrays.toString(y.shape());
            }
            if (y.gradFn() == null || !y.gradFn().name().equals(log ? "LogSoftmaxBackward0" : "SoftmaxBackward0")) {
                return where + ": grad_fn " + y.gradFn();
            }
            y.sum().backward();
            if (x.grad() == null || !Arrays.equals(x.grad().shape(), shape)) {
                return where + ": grad " + x.grad();
            }
            return null;
        } catch (RuntimeException e) {
            return where + ": threw " + e;
        }
    }

    @Test
    @DisplayName("every reduction over every dim of random empty tensors, and softmax with grad")
    void emptyReductions() {
        int[] tried = {0};
        List<String> failures = new ArrayList<>();
        qt().withFixedSeed(SEED).withExamples(EXAMPLES).withShrinkCycles(0).forAll(longs().all()).checkAssert(seed -> {
            Random r = new Random(seed);
            int[] shape = emptyShape(r);
            Tensor x = r.nextBoolean() ? Tensor.zeros(shape) : Tensor.zeros(DType.FLOAT64, shape);
            for (int dim = 0; dim < shape.length; dim++) {
                boolean keepdim = r.nextBoolean();
                int d = r.nextBoolean() ? dim : dim - shape.length;
                for (Reduction red : reductions(d, keepdim, r.nextInt(2))) {
                    tried[0]++;
                    String f = check(x, dim, keepdim, red);
                    if (f != null) {
                        failures.add(f + " (case seed " + seed + ")");
                    }
                }
                for (boolean log : new boolean[] {false, true}) {
                    tried[0]++;
                    String f = checkSoftmax(shape, d, log);
                    if (f != null) {
                        failures.add(f + " (case seed " + seed + ")");
                    }
                }
            }
        });
        System.out.println("[issue15] EmptyTensorPropertyTest: " + tried[0] + " cases tried, " + failures.size()
                + " failures (seed " + SEED + ", -Dvgrad.empty.seed to change)");
        assertTrue(failures.isEmpty(), failures.size() + " failures, first ones:\n"
                + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
    }

    @Test
    @DisplayName("PyTorch's examples on (2, 0, 3): argmax over dims 0 and 2 is empty, over dim 1 an error")
    void issueExamples() {
        Tensor x = Tensor.zeros(2, 0, 3);
        // torch.zeros(2,0,3).argmax(0).shape == (0, 3); .argmax(2).shape == (2, 0); .argmax(1) raises
        assertArrayEquals(new int[] {0, 3}, x.argmax(0, false).shape());
        assertArrayEquals(new int[] {2, 0, 1}, x.argmax(2, true).shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.argmax(1, false));
        assertTrue(e.getMessage().startsWith("argmax(): Expected reduction dim 1 to have non-zero size."),
                e.getMessage());
        // sum over the empty dim: zeros of shape (2, 3); mean: NaN
        assertArrayEquals(new float[6], x.sum(1).toArray());
        assertTrue(Float.isNaN(x.mean(1).toArray()[0]));
        // the whole-tensor forms: sum 0, mean NaN, max/argmax need a dim
        assertEquals(0.0, x.sum().item());
        assertTrue(Double.isNaN(x.mean().item()));
        assertThrows(IllegalArgumentException.class, x::max);
        assertThrows(IllegalArgumentException.class, x::argmax);
        Tensor g = Tensor.zeros(2, 0, 3).requiresGrad(true);
        Tensor s = g.softmax(1);
        assertNotNull(s.gradFn());
        assertEquals("SoftmaxBackward0", s.gradFn().name());
    }
}
