package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Module registration, names, modes, state dicts, printing (docs/SEMANTICS.md §1, edge cases #13, #14). */
class ModuleTest {
    /** A small composite model with nested names like PyTorch's {@code features.0.weight}. */
    static final class Net extends Module {
        Net(Generator g) {
            registerModule("features", new Sequential(new Linear(4, 8, true, g), new BatchNorm1d(8), new ReLU(),
                    new Dropout(0.5, g)));
            registerModule("head", new Linear(8, 3, false, g));
        }

        @Override
        public Tensor forward(Tensor x) {
            return child("head").forward(child("features").forward(x));
        }
    }

    @Test
    void dottedNamesInRegistrationOrder() {
        Net net = new Net(new Generator(0));
        assertEquals(List.of("features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
                "head.weight"), new ArrayList<>(net.namedParameters().keySet()));
        assertEquals(List.of("features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked"),
                new ArrayList<>(net.namedBuffers().keySet()));
        assertEquals(List.of("features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
                        "features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked",
                        "head.weight"),
                new ArrayList<>(net.stateDict().keySet()));
        assertEquals(List.of("", "features", "features.0", "features.1", "features.2", "features.3", "head"),
                new ArrayList<>(net.namedModules().keySet()));
        assertEquals(2, net.children().size());
        assertEquals(4 * 8 + 8 + 8 + 8 + 8 * 3, net.numParameters());
        for (Tensor p : net.parameters()) {
            assertTrue(p.requiresGrad());
            assertTrue(p.isLeaf());
        }
    }

    @Test
    void sharedParametersAreListedOnce() {
        Linear l = new Linear(3, 3);
        Sequential s = new Sequential(l, new ReLU(), l);
        assertEquals(2, s.parameters().size());
        assertEquals(List.of("0.weight", "0.bias"), new ArrayList<>(s.namedParameters().keySet()));
    }

    @Test
    void trainEvalRecursiveAndPerModule() {
        Net net = new Net(new Generator(0));
        for (Module m : net.modules()) {
            assertTrue(m.isTraining(), "true after construction");
        }
        assertSame(net, net.eval());
        for (Module m : net.modules()) {
            assertFalse(m.isTraining());
        }
        net.child("features").train();
        assertFalse(net.isTraining(), "child.train() does not change the parent");
        assertTrue(net.child("features").isTraining());
        assertTrue(net.getSubmodule("features.3").isTraining());
        assertFalse(net.child("head").isTraining());
        net.train(true);
        for (Module m : net.modules()) {
            assertTrue(m.isTraining());
        }
    }

    @Test
    void edgeCase13ChildAddedAfterEvalStaysTraining() {
        Sequential m = new Sequential(new Linear(2, 2));
        m.eval();
        Dropout d = new Dropout();
        m.addModule("new", d);
        assertFalse(m.isTraining());
        assertTrue(d.isTraining());
        m.eval();
        assertFalse(d.isTraining());
    }

    @Test
    void edgeCase14TrainRejectsNull() {
        Module m = new Linear(2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.train((Boolean) null));
        assertEquals("training mode is expected to be boolean", e.getMessage());
        assertSame(m, m.train(Boolean.FALSE));
        assertFalse(m.isTraining());
    }

    @Test
    void modeAndGradModeAreIndependent() {
        Net net = new Net(new Generator(0));
        try (Grad.Scope off = Grad.disabled()) {
            net.eval();
            assertFalse(Grad.isEnabled());
        }
        assertTrue(Grad.isEnabled());
        for (Tensor p : net.parameters()) {
            assertTrue(p.requiresGrad(), "eval() must not touch requires_grad");
        }
        assertFalse(net.isTraining());
    }

    @Test
    void zeroGradSetsNone() {
        Linear l = new Linear(3, 2, true, new Generator(1));
        l.forward(Tensor.ones(4, 3)).sum().backward();
        assertTrue(l.weight().grad() != null);
        l.zeroGrad();
        assertNull(l.weight().grad());
        assertNull(l.bias().grad());
        l.forward(Tensor.ones(4, 3)).sum().backward();
        l.zeroGrad(false);
        assertEquals(0.0, l.weight().grad().abs().sum().item());
    }

    @Test
    void applyVisitsChildrenFirst() {
        Net net = new Net(new Generator(0));
        List<String> seen = new ArrayList<>();
        net.apply(m -> seen.add(m.getClass().getSimpleName()));
        assertEquals(List.of("Linear", "BatchNorm1d", "ReLU", "Dropout", "Sequential", "Linear", "Net"), seen);
    }

    /** A user's layer whose children are fields (the README's and Module's Javadoc example). */
    static final class TwoLayer extends Module {
        final Linear fc1 = registerModule("fc1", new Linear(4, 8, true, new Generator(1)));
        final Linear fc2 = registerModule("fc2", new Linear(8, 2, true, new Generator(2)));

        @Override
        public Tensor forward(Tensor x) {
            return fc2.call(fc1.call(x).relu());
        }
    }

    @Test
    void anonymousModulesPrintTheirNearestNamedSuperclass() {
        Module plain = new Module() {
            @Override
            public Tensor forward(Tensor x) {
                return x;
            }
        };
        assertEquals("Module()", plain.toString());
        Linear tweaked = new Linear(2, 3) {
            @Override
            public Tensor forward(Tensor x) {
                return super.forward(x).relu();
            }
        };
        assertEquals("Linear(in_features=2, out_features=3, bias=True)", tweaked.toString());
        Sequential s = new Sequential(plain, tweaked);
        assertEquals("Sequential(\n  (0): Module()\n  (1): Linear(in_features=2, out_features=3, bias=True)\n)",
                s.toString());
        // error texts use the same name instead of an empty one
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plain.param("w"));
        assertEquals("'Module' object has no parameter 'w'", e.getMessage());
        // a named class keeps its own simple name, children held in fields included
        TwoLayer t = new TwoLayer();
        assertEquals("TwoLayer(\n  (fc1): Linear(in_features=4, out_features=8, bias=True)\n"
                + "  (fc2): Linear(in_features=8, out_features=2, bias=True)\n)", t.toString());
        assertEquals(List.of("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"), new ArrayList<>(t.stateDict().keySet()));
        t.eval();
        assertFalse(t.fc1.isTraining() || t.fc2.isTraining(), "eval reaches children held in fields");
    }

    @Test
    void toStringLikePyTorch() {
        Sequential s = new Sequential(new Conv2d(1, 4, 3, 1, 1), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(64, 10), new Dropout(0.25), new DropPath(0.1),
                new BatchNorm1d(3, 1e-3, null, false, false), new LayerNorm(5), new Softmax(1), new LeakyReLU(),
                new GELU(), new Embedding(10, 3), new AdaptiveAvgPool2d(1), new AvgPool2d(2), new Identity());
        String expected = """
                Sequential(
                  (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
                  (1): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
                  (2): ReLU()
                  (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
                  (4): Flatten(start_dim=1, end_dim=-1)
                  (5): Linear(in_features=64, out_features=10, bias=True)
                  (6): Dropout(p=0.25, inplace=False)
                  (7): DropPath(drop_prob=0.100)
                  (8): BatchNorm1d(3, eps=0.001, momentum=None, affine=False, track_running_stats=False)
                  (9): LayerNorm((5,), eps=1e-05, elementwise_affine=True)
                  (10): Softmax(dim=1)
                  (11): LeakyReLU(negative_slope=0.01)
                  (12): GELU(approximate='none')
                  (13): Embedding(10, 3)
                  (14): AdaptiveAvgPool2d(output_size=1)
                  (15): AvgPool2d(kernel_size=2, stride=2, padding=0)
                  (16): Identity()
                )""";
        assertEquals(expected, s.toString());
        Net net = new Net(new Generator(0));
        assertTrue(net.toString().startsWith("Net(\n  (features): Sequential(\n    (0): Linear(in_features=4"),
                net.toString());
    }

    @Test
    void registrationErrors() {
        Linear l = new Linear(2, 2);
        assertThrows(IllegalArgumentException.class, () -> l.registerParameter("a.b", Tensor.zeros(1)));
        assertThrows(IllegalArgumentException.class, () -> l.registerBuffer("", Tensor.zeros(1)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> l.registerBuffer("weight", Tensor.zeros(1)));
        assertEquals("attribute 'weight' already exists", e.getMessage());
        Tensor nonLeaf = Tensor.ones(2).requiresGrad(true).mul(2.0);
        assertThrows(IllegalArgumentException.class, () -> l.registerParameter("w2", nonLeaf));
    }

    @Test
    void stateDictRoundTripAndErrors() {
        Net a = new Net(new Generator(1));
        Net b = new Net(new Generator(2));
        a.train();
        a.forward(Tensor.randn(new Generator(3), 5, 4));
        Map<String, Tensor> sd = a.stateDict();
        assertEquals(1L, sd.get("features.1.num_batches_tracked").toLongArray()[0]);
        Module.LoadResult r = b.loadStateDict(sd, true);
        assertTrue(r.missingKeys().isEmpty());
        assertTrue(r.unexpectedKeys().isEmpty());
        for (String k : sd.keySet()) {
            assertEquals(List.of(toList(sd.get(k))), List.of(toList(b.stateDict().get(k))), k);
        }
        Tensor w = b.namedParameters().get("head.weight");
        assertTrue(w.requiresGrad() && w.isLeaf(), "loading copies in place: still a leaf parameter");

        Map<String, Tensor> bad = new LinkedHashMap<>(sd);
        bad.remove("head.weight");
        bad.put("extra.weight", Tensor.zeros(1));
        bad.put("features.0.bias", Tensor.zeros(7));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.loadStateDict(bad, true));
        String msg = e.getMessage();
        assertTrue(msg.startsWith("Error(s) in loading state_dict for Net:"), msg);
        assertTrue(msg.contains("Missing key(s) in state_dict: \"head.weight\"."), msg);
        assertTrue(msg.contains("Unexpected key(s) in state_dict: \"extra.weight\"."), msg);
        assertTrue(msg.contains("size mismatch for features.0.bias: copying a param with shape torch.Size([7]) from "
                + "checkpoint, the shape in current model is torch.Size([8])."), msg);
        // non-strict: shape mismatches still fail, missing/unexpected are reported
        Map<String, Tensor> partial = new LinkedHashMap<>(sd);
        partial.remove("head.weight");
        partial.put("extra.weight", Tensor.zeros(1));
        Module.LoadResult lr = b.loadStateDict(partial, false);
        assertEquals(List.of("head.weight"), lr.missingKeys());
        assertEquals(List.of("extra.weight"), lr.unexpectedKeys());
        assertThrows(IllegalStateException.class, () -> b.loadStateDict(bad, false));
    }

    @Test
    void missingNumBatchesTrackedIsTolerated() {
        BatchNorm1d bn = new BatchNorm1d(3);
        Map<String, Tensor> sd = new LinkedHashMap<>(new BatchNorm1d(3).stateDict());
        sd.remove("num_batches_tracked");
        Module.LoadResult r = bn.loadStateDict(sd, true);
        assertTrue(r.missingKeys().isEmpty());
    }

    @Test
    void toDoubleConvertsParamsAndBuffersButNotCounters() {
        BatchNorm2d bn = new BatchNorm2d(3);
        Tensor before = bn.weight();
        bn.to(DType.FLOAT64);
        assertEquals(DType.FLOAT64, bn.weight().dtype());
        assertSame(before, bn.weight()); // converted in place, as PyTorch's param.data = ... (docs/SEMANTICS.md §11)
        assertTrue(bn.weight().requiresGrad());
        assertEquals(DType.FLOAT64, bn.runningMean().dtype());
        assertEquals(DType.INT64, bn.numBatchesTracked().dtype());
    }

    @Test
    void stateDictLoadsAcrossDtypes() {
        Linear a = new Linear(3, 2, true, new Generator(5));
        Linear b = new Linear(3, 2, true, new Generator(6));
        b.toDouble();
        b.loadStateDict(a.stateDict());
        assertEquals(toList(a.weight()), toList(b.weight()));
    }

    private static List<Double> toList(Tensor t) {
        List<Double> l = new ArrayList<>();
        for (double v : t.toDoubleArray()) {
            l.add(v);
        }
        return l;
    }
}
