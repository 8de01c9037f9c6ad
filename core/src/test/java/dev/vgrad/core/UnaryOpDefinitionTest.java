package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vgrad.core.kernel.KernelProvider;
import dev.vgrad.core.kernel.Kernels;
import dev.vgrad.core.kernel.UnaryOp;
import dev.vgrad.core.testing.GradGradProperty;
import dev.vgrad.core.testing.GradGradProperty.Case;
import dev.vgrad.core.testing.Fixtures;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every {@link UnaryOp} constant, enumerated, against the laws its one definition promises (issue 16 item 2): its
 * PyTorch node name and what that node saves (fixture unary_ops.json from PyTorch 1.13), its derivative against
 * float64 central differences (first and second order) over a valid domain, its declared {@link UnaryOp#reads()}
 * against what {@code df} really reads, and both kernels against the element-by-element float32 definition. A
 * constant added to the enum is covered without editing this class, except {@link #domain}, whose exhaustive switch
 * makes the compiler ask for it.
 */
class UnaryOpDefinitionTest {
    private static final int EXAMPLES = 20;

    /** The op's scalar parameter in these checks: the slope of leaky relu, the exponent of pow. */
    private static double alpha(UnaryOp op) {
        return op == UnaryOp.POW_SCALAR ? 1.5 : 0.1;
    }

    /** Inputs where the op is smooth: positive for the ones defined there, away from 0 at a kink. */
    private static Tensor domain(UnaryOp op, Generator g, int[] s) {
        return switch (op) {
            case LOG, SQRT, RECIPROCAL, POW_SCALAR, RSQRT -> TestTensors.uniform(g, 0.3, 2.5, s);
            case LOG1P -> TestTensors.uniform(g, -0.7, 2.5, s);
            case SIN, COS, ERF, EXPM1 -> TestTensors.uniform(g, -3, 3, s);
            case ABS, RELU, LEAKY_RELU -> TestTensors.awayFromZero(g, 0.1, 2.5, s);
            case NEG, EXP, TANH, SIGMOID, GELU, GELU_TANH, SOFTPLUS_FULL, SILU, SOFTPLUS ->
                    TestTensors.uniform(g, -3, 3, s);
        };
    }

    @Test
    void nameAndSavedTensorMatchPyTorch() {
        Map<String, Object> root = Fixtures.load("unary_ops.json");
        Map<String, Map<String, Object>> byName = new HashMap<>();
        for (Map<String, Object> c : Fixtures.cases(root)) {
            byName.put((String) c.get("name"), c);
        }
        assertEquals(UnaryOp.values().length, byName.size(), "one fixture case per UnaryOp constant");
        for (UnaryOp op : UnaryOp.values()) {
            Map<String, Object> c = byName.get(op.name());
            assertTrue(c != null, op + ": no case in unary_ops.json (add it to tools/fixtures/unary_ops.py)");
            assertEquals(c.get("grad_fn"), op.torchName(), op + ": PyTorch's grad_fn name");
            boolean savesInput = (Boolean) c.get("saves_input");
            boolean savesOutput = (Boolean) c.get("saves_output");
            UnaryOp.Reads expected = savesInput ? UnaryOp.Reads.INPUT : !savesOutput ? UnaryOp.Reads.NOTHING : null;
            if (expected != null) {
                assertEquals(expected, op.reads(), op + ": what PyTorch saves");
            } else {
                assertTrue(op.reads() == UnaryOp.Reads.OUTPUT || op.reads() == UnaryOp.Reads.OUTPUT_AS_INPUT,
                        op + ": PyTorch saves the output, vgrad reads " + op.reads());
            }
            // and the node vgrad records says the same
            Tensor x = Tensor.of(new double[] {0.5, 1.5}, 2).requiresGrad(true);
            assertEquals(op.torchName(), ElementwiseOps.unary(op, x, alpha(op)).gradFn().name(), op + ": node name");
        }
    }

    /**
     * The kernels hand a rule the one saved array as both x and y. So the declared {@link UnaryOp#reads()} must
     * be all that df reads: g·f'(x) with the unsaved argument replaced by the saved one is unchanged, in double
     * and in float. (A rule declared to read the output that reads the input would fail here.)
     */
    @Test
    void derivativeReadsOnlyWhatItDeclares() {
        qt().withExamples(200).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            for (UnaryOp op : UnaryOp.values()) {
                double x = domain(op, g, new int[] {1}).item();
                double a = alpha(op);
                double y = op.apply(x, a);
                double gr = 2 * g.nextDouble() - 1;
                double[] stand = switch (op.reads()) {
                    case INPUT -> new double[] {x, x};
                    case OUTPUT, OUTPUT_AS_INPUT -> new double[] {y, y};
                    case NOTHING -> new double[] {0, 0};
                };
                String what = op + " reads " + op.reads() + " at x=" + x + " (seed " + seed + ")";
                assertEquals(op.grad(x, y, gr, a), op.grad(stand[0], stand[1], gr, a), 0, what);
                float xf = (float) x;
                float af = (float) a;
                float yf = op.apply(xf, af);
                float gf = (float) gr;
                float[] standF = switch (op.reads()) {
                    case INPUT -> new float[] {xf, xf};
                    case OUTPUT, OUTPUT_AS_INPUT -> new float[] {yf, yf};
                    case NOTHING -> new float[] {0f, 0f};
                };
                assertEquals(op.grad(xf, yf, gf, af), op.grad(standF[0], standF[1], gf, af), 0f, what + " (float)");
            }
        });
    }

    @Test
    void gradcheckFloat64() {
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int[] s = TestTensors.shape(g, (int) g.nextLong(3), 4);
            for (UnaryOp op : UnaryOp.values()) {
                Tensor x = domain(op, g, s).requiresGrad(true);
                double a = alpha(op);
                GradCheck.Result r = GradCheck.check(t -> ElementwiseOps.unary(op, t[0], a), x);
                assertTrue(r.passed(), () -> op + " shape " + TestTensors.str(s) + " seed " + seed + "\n" + r.report());
            }
        });
    }

    @Test
    void gradgradcheckFloat64() {
        GradGradProperty.check("[issue16] UnaryOpDefinitionTest", "every UnaryOp", 10, g -> {
            int[] s = TestTensors.shape(g, (int) g.nextLong(3), 3);
            List<Case> cs = new ArrayList<>();
            for (UnaryOp op : UnaryOp.values()) {
                double a = alpha(op);
                cs.add(new Case(op + " " + TestTensors.str(s), t -> ElementwiseOps.unary(op, t[0], a), domain(op, g, s)));
            }
            return cs;
        });
    }

    /**
     * Both kernels compute exactly {@link UnaryOp#apply(float, float)} and {@link UnaryOp#grad(float, float, float,
     * float)} element by element (the SIMD forward and backward of a {@code withinUlps} loop within 4 ulps), at lengths that
     * cover whole vectors and tails.
     */
    @Test
    void kernelsMatchTheElementDefinition() {
        Kernels scalar = KernelProvider.scalar();
        Kernels active = KernelProvider.kernels();
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Generator g = new Generator(seed);
            int n = 1 + (int) g.nextLong(70);
            for (UnaryOp op : UnaryOp.values()) {
                float a = (float) alpha(op);
                float[] x = new float[n];
                float[] gr = new float[n];
                for (int i = 0; i < n; i++) {
                    x[i] = (float) domain(op, g, new int[] {1}).item();
                    gr[i] = 2 * g.nextFloat() - 1;
                }
                float[] y = new float[n];
                scalar.unary(op, x, 0, y, 0, n, a);
                float[] ys = new float[n];
                active.unary(op, x, 0, ys, 0, n, a);
                float[] b1 = new float[n];
                scalar.unaryBackward(op, x, 0, y, 0, gr, 0, b1, 0, n, a);
                float[] b2 = new float[n];
                active.unaryBackward(op, x, 0, y, 0, gr, 0, b2, 0, n, a);
                for (int i = 0; i < n; i++) {
                    String what = op + " n=" + n + " i=" + i + " x=" + x[i] + " seed " + seed;
                    float e = op.apply(x[i], a);
                    assertEquals(Float.floatToIntBits(e), Float.floatToIntBits(y[i]), what + " scalar forward");
                    if (op.forwardLoop().withinUlps) {
                        assertTrue(UlpBounds.forwardClose(op, e, ys[i]), what + " active forward " + ys[i] + " vs " + e);
                    } else {
                        assertEquals(Float.floatToIntBits(e), Float.floatToIntBits(ys[i]), what + " active forward");
                    }
                    float eb = op.grad(x[i], y[i], gr[i], a);
                    assertEquals(Float.floatToIntBits(eb), Float.floatToIntBits(b1[i]), what + " scalar backward");
                    if (op.backwardLoop().withinUlps) {
                        assertTrue(UlpBounds.backwardClose(op, x[i], gr[i], eb, b2[i]),
                                what + " g=" + gr[i] + " active backward " + b2[i] + " vs " + eb);
                    } else {
                        assertEquals(Float.floatToIntBits(eb), Float.floatToIntBits(b2[i]), what + " active backward");
                    }
                }
            }
        });
    }
}
