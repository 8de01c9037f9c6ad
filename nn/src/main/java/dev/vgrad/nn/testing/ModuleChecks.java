package dev.vgrad.nn.testing;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.GradCheck;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.Module;
import dev.vgrad.nn.SafeTensors;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Checks that a module of your own obeys the laws every vgrad layer obeys (docs/SEMANTICS.md §16), the way
 * {@code torch.autograd.gradcheck} checks an op: point it at a factory for the layer and an input whose first
 * dimension is the batch, and call {@link #checkAll()} (or one law) from any test framework.
 * <pre>{@code
 * ModuleChecks.of(() -> new MyLayer(4, new Generator(seed)), Tensor.randn(new Generator(seed), 3, 4)).checkAll();
 * }</pre>
 *
 * <p>The laws, each on a fresh instance from the factory:
 * <ol>
 *   <li>{@link #evalIsDeterministic}: in eval mode two calls give bit-identical outputs and leave the state dict
 *       unchanged (§12.3);</li>
 *   <li>{@link #evalIsBatchIndependent}: in eval mode, in float64, each sample's output equals the output of that
 *       sample alone and of each half of the batch, within {@code 1e-12·max(1, |y|)} (§12.3);</li>
 *   <li>{@link #noGradBuildsNothing}: under {@code Grad.disabled()}, in train and eval mode, the output has no
 *       {@code gradFn} and does not require grad, the parameters' gradients are untouched, and the module keeps no
 *       reference to the input or the output (both are garbage-collected once the caller drops them) (§5.5);</li>
 *   <li>{@link #gradientsMatchFiniteDifferences}: in eval mode on a float64 copy ({@code Module.to}),
 *       {@link GradCheck} agrees with central differences for the input and for every parameter (§12.5);</li>
 *   <li>{@link #stateDictRoundTrips}: after training-mode calls (which move buffers such as running statistics)
 *       and a perturbation of the parameters, a fresh instance loaded from the state dict, and one loaded from
 *       its safetensors bytes, give bit-identical eval outputs (§13);</li>
 *   <li>{@link #trainAndEvalReachEveryChild}: after {@code eval()} no module in {@code modules()} is training,
 *       after {@code train()} all are (§1.2).</li>
 * </ol>
 * A broken law throws {@link AssertionError} (so JUnit, QuickTheories and plain {@code main} all report it) whose
 * message names the law, the module, the input shape and, for outputs, the first differing index and both values.
 * The gradient check costs two forward passes per input and parameter element: use small layers and inputs.
 */
public final class ModuleChecks {
    private static final double BATCH_TOL = 1e-12;

    private final Supplier<? extends Module> factory;
    private final Tensor input;

    private ModuleChecks(Supplier<? extends Module> factory, Tensor input) {
        this.factory = factory;
        this.input = input;
    }

    /**
     * Checks for the modules {@code factory} makes (each call must return a new instance; a seeded factory makes
     * failures reproducible), run on {@code input}, whose first dimension (at least 2) is the batch.
     *
     * @param factory makes a new module on each call
     * @param input a sample batch (B, *) with B at least 2; copied
     * @return the checks, ready to run
     * @throws IllegalArgumentException for a null argument or a batch smaller than 2
     */
    public static ModuleChecks of(Supplier<? extends Module> factory, Tensor input) {
        if (factory == null || input == null) {
            throw new IllegalArgumentException("ModuleChecks.of: factory and input must not be null");
        }
        if (input.dim() < 1 || input.shape()[0] < 2) {
            throw new IllegalArgumentException("ModuleChecks.of: the input's first dimension is the batch and must be "
                    + "at least 2 (the batch-independence law splits it), got shape " + Arrays.toString(input.shape()));
        }
        return new ModuleChecks(factory, input.detach().cloneTensor());
    }

    /** Runs every law, in the order of the class documentation; stops at the first broken one. */
    public void checkAll() {
        trainAndEvalReachEveryChild();
        evalIsDeterministic();
        evalIsBatchIndependent();
        noGradBuildsNothing();
        gradientsMatchFiniteDifferences();
        stateDictRoundTrips();
    }

    /** Law 1: eval outputs are bit-identical across calls and eval leaves the state dict alone. */
    public void evalIsDeterministic() {
        String law = "eval is deterministic (docs/SEMANTICS.md §12.3)";
        Module m = trained();
        m.eval();
        Map<String, double[]> before = snapshot(m);
        Tensor y1 = m.call(input);
        Tensor y2 = m.call(input);
        compare(law, m, "second eval call vs first", y1, y2, 0, 0);
        Map<String, double[]> after = snapshot(m);
        for (Map.Entry<String, double[]> e : before.entrySet()) {
            int i = Outputs.firstDifference(e.getValue(), after.get(e.getKey()), 0);
            if (i >= 0) {
                throw fail(law, m, "state '" + e.getKey() + "' changed in eval mode at flat index " + i + ": "
                        + e.getValue()[i] + " before, " + after.get(e.getKey())[i] + " after");
            }
        }
    }

    /** Law 2: in eval mode (float64) a sample's output does not depend on the rest of its batch. */
    public void evalIsBatchIndependent() {
        String law = "a sample's eval output does not depend on its batch (docs/SEMANTICS.md §12.3)";
        Module m = trained();
        m.to(DType.FLOAT64).eval();
        Tensor x = toDouble(input);
        Tensor whole = m.call(x);
        int n = input.shape()[0];
        if (whole.dim() < 1 || whole.shape()[0] != n) {
            throw fail(law, m, "the output's first dimension is not the batch: output shape "
                    + Arrays.toString(whole.shape()));
        }
        int half = (n + 1) / 2;
        int[][] parts = {{0, half}, {half, n - half}};
        for (int[] p : parts) {
            compare(law, m, "rows " + p[0] + ".." + (p[0] + p[1] - 1) + " alone vs in the whole batch",
                    whole.narrow(0, p[0], p[1]), m.call(x.narrow(0, p[0], p[1])), BATCH_TOL, p[0]);
        }
        for (int i = 0; i < n; i++) {
            compare(law, m, "sample " + i + " alone vs in the whole batch", whole.narrow(0, i, 1),
                    m.call(x.narrow(0, i, 1)), BATCH_TOL, i);
        }
    }

    /** Law 3: no-grad builds no graph, leaves gradients alone and retains neither input nor output. */
    public void noGradBuildsNothing() {
        String law = "no-grad builds no graph and retains nothing (docs/SEMANTICS.md §5.5)";
        for (boolean mode : new boolean[] {false, true}) {
            Module m = factory.get();
            m.train(mode);
            String where = (mode ? "train" : "eval") + " mode: ";
            // give parameters gradients first, so "untouched" means something
            Tensor warm = m.call(leafInput());
            if (warm.requiresGrad()) {
                warm.sum().backward();
            }
            Map<String, Tensor> grads = new LinkedHashMap<>();
            Map<String, double[]> gradValues = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
                Tensor g = e.getValue().grad();
                grads.put(e.getKey(), g);
                gradValues.put(e.getKey(), g == null ? null : g.toDoubleArray());
            }
            List<WeakReference<Tensor>> refs = forwardWithoutGrad(law, m, where);
            for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
                Tensor g = e.getValue().grad();
                double[] was = gradValues.get(e.getKey());
                if (g != grads.get(e.getKey())
                        || (g != null && Outputs.firstDifference(was, g.toDoubleArray(), 0) >= 0)) {
                    throw fail(law, m, where + "the gradient of parameter '" + e.getKey() + "' changed under no-grad");
                }
            }
            String[] what = {"the input", "the output"};
            for (int i = 0; i < refs.size(); i++) {
                if (!Outputs.collected(refs.get(i))) {
                    throw fail(law, m, where + what[i] + " of a no-grad call is still reachable after the caller "
                            + "dropped it (the module keeps a reference to it)");
                }
            }
        }
    }

    /** Runs one no-grad call; returns weak references to its input and output, which no frame holds afterwards. */
    private List<WeakReference<Tensor>> forwardWithoutGrad(String law, Module m, String where) {
        Tensor x = leafInput();
        Tensor y;
        try (Grad.Scope off = Grad.disabled()) {
            y = m.call(x);
        }
        if (y.gradFn() != null || y.requiresGrad()) {
            throw fail(law, m, where + "the output of a call under Grad.disabled() has grad_fn=" + y.gradFn()
                    + " and requiresGrad=" + y.requiresGrad());
        }
        return List.of(new WeakReference<>(x), new WeakReference<>(y));
    }

    /** Law 4: gradients of the input and of every parameter match central differences in float64 (eval mode). */
    public void gradientsMatchFiniteDifferences() {
        String law = "gradients match finite differences in float64 (docs/SEMANTICS.md §12.5)";
        Module m = factory.get();
        m.to(DType.FLOAT64).eval();
        List<String> names = new ArrayList<>(m.namedParameters().keySet());
        List<Tensor> inputs = new ArrayList<>();
        Tensor x = toDouble(input);
        inputs.add(x.dtype().isFloatingPoint() ? x.requiresGrad(true) : x);
        for (String name : names) {
            inputs.add(m.namedParameters().get(name));
        }
        // GradCheck hands over float64 leaf copies; they become the parameters, so that the check perturbs them
        GradCheck.Result r;
        try {
            r = GradCheck.check(xs -> {
                for (int k = 0; k < names.size(); k++) {
                    String name = names.get(k);
                    int dot = name.lastIndexOf('.');
                    m.getSubmodule(dot < 0 ? "" : name.substring(0, dot)).registerParameter(name.substring(dot + 1),
                            xs[k + 1]);
                }
                return m.call(xs[0]);
            }, inputs.toArray(new Tensor[0]));
        } catch (IllegalArgumentException e) {
            throw fail(law, m, e.getMessage());
        }
        if (!r.passed()) {
            throw fail(law, m, "inputs are [input, " + String.join(", ", names) + "]; max |analytic − numeric| = "
                    + r.maxAbsError() + "\n" + r.report());
        }
    }

    /** Law 5: the state dict, directly and through safetensors bytes, restores bit-identical eval outputs. */
    public void stateDictRoundTrips() {
        String law = "a state-dict round trip gives the same outputs (docs/SEMANTICS.md §13)";
        Module a = trained();
        a.eval();
        Tensor expected = a.call(input);
        Module direct = factory.get();
        direct.loadStateDict(a.stateDict());
        compare(law, a, "fresh instance after loadStateDict(stateDict()) vs original", expected,
                direct.eval().call(input), 0, 0);
        byte[] bytes = SafeTensors.toBytes(a.stateDict(), Map.of("format", "pt"));
        Module viaFile = factory.get();
        viaFile.loadStateDict(SafeTensors.fromBytes(bytes).tensors());
        compare(law, a, "fresh instance loaded from safetensors bytes vs original", expected,
                viaFile.eval().call(input), 0, 0);
    }

    /** Law 6: {@code eval()} and {@code train()} set the flag of every module in the tree. */
    public void trainAndEvalReachEveryChild() {
        String law = "train()/eval() reach every child (docs/SEMANTICS.md §1.2)";
        Module m = factory.get();
        for (boolean mode : new boolean[] {false, true, false}) {
            m.train(mode);
            for (Map.Entry<String, Module> e : m.namedModules().entrySet()) {
                if (e.getValue().isTraining() != mode) {
                    String path = e.getKey().isEmpty() ? "the module itself" : "child '" + e.getKey() + "' ("
                            + Outputs.typeName(e.getValue()) + ")";
                    throw fail(law, m, (mode ? "train()" : "eval()") + " left " + path + " with isTraining() == "
                            + !mode);
                }
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    /**
     * A fresh instance whose state differs from a fresh one's: two training-mode calls under no-grad (which move
     * running statistics, as in PyTorch) and a small seeded perturbation of every parameter.
     */
    private Module trained() {
        Module m = factory.get();
        m.train();
        try (Grad.Scope off = Grad.disabled()) {
            m.call(input);
            m.call(input);
            Generator g = new Generator(0x5eed);
            for (Tensor p : m.parameters()) {
                if (p != null) {
                    p.add_(Tensor.randn(g, p.shape()).mul(0.01).to(p.dtype()));
                }
            }
        }
        return m;
    }

    private Tensor leafInput() {
        Tensor x = input.cloneTensor();
        return x.dtype().isFloatingPoint() ? x.requiresGrad(true) : x;
    }

    private static Tensor toDouble(Tensor t) {
        return t.dtype().isFloatingPoint() ? t.to(DType.FLOAT64).cloneTensor() : t;
    }

    private static Map<String, double[]> snapshot(Module m) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : m.stateDict().entrySet()) {
            out.put(e.getKey(), e.getValue().toDoubleArray());
        }
        return out;
    }

    /** Fails unless {@code actual} has {@code expected}'s shape and values (within {@code rtol·max(1,|e|)}). */
    private void compare(String law, Module m, String what, Tensor expected, Tensor actual, double rtol, int rowOffset) {
        if (!Arrays.equals(expected.shape(), actual.shape())) {
            throw fail(law, m, what + ": output shapes differ, " + Arrays.toString(expected.shape()) + " vs "
                    + Arrays.toString(actual.shape()));
        }
        double[] e = expected.toDoubleArray();
        double[] a = actual.toDoubleArray();
        int i = Outputs.firstDifference(e, a, rtol);
        if (i >= 0) {
            int[] index = Outputs.unravel(i, expected.shape());
            if (index.length > 0) {
                index[0] += rowOffset;
            }
            throw fail(law, m, what + ": output " + Arrays.toString(index) + " is " + a[i] + ", expected " + e[i]
                    + (rtol == 0 ? " (bit-identical)" : " (within " + rtol + "·max(1, |expected|))"));
        }
    }

    private AssertionError fail(String law, Module m, String detail) {
        return new AssertionError("ModuleChecks: law '" + law + "' broke for " + Outputs.typeName(m)
                + " on input shape " + Arrays.toString(input.shape()) + " " + input.dtype() + ": " + detail);
    }
}
