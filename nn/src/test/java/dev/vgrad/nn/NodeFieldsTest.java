package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Node;
import dev.vgrad.core.SavedTensor;
import dev.vgrad.core.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The structural guarantee that no backward rule keeps a forward tensor alive (docs/SEMANTICS.md §5.4): every
 * {@link Node} subclass in core's and nn's main classes is a named class (an anonymous or local class keeps the
 * locals it names in hidden fields), and each instance field it declares can only hold what a rule saves: a
 * {@link SavedTensor} (released after backward), a primitive, a String, an enum, an array of those, or an
 * immutable value (a record or a final class of final such fields, like the convolution geometry). A Tensor,
 * a Tensor[], a lambda or an Object field fails, whichever op it is in; this replaces a hand-kept list of ops whose
 * release was checked one by one (GraphReleaseTest keeps a few end-to-end checks).
 *
 * <p>The base class's own fields (edges, leaves, hooks) are the engine's and are not checked here.
 */
class NodeFieldsTest {
    /**
     * Fields that are allowed although their type is not, each because it cannot hold a forward tensor beyond
     * what the graph holds anyway. Keyed by class name and field name.
     */
    private static final Map<String, String> EXCEPTIONS = Map.of(
            // a user-defined autograd Function and its context: the user's object, as in PyTorch (whose ctx may
            // hold anything); the context drops the tensors of forward (to-save, dirty, non-differentiable) when
            // the node is created and keeps them only as SavedTensors
            "dev.vgrad.core.Function$Call#fn", "user's Function",
            "dev.vgrad.core.Function$Call#ctx", "FunctionContext: SavedTensors only after forward",
            "dev.vgrad.core.Function$ViewCall#fn", "user's Function",
            "dev.vgrad.core.Function$ViewCall#ctx", "FunctionContext: SavedTensors only after forward",
            // a module's backward hooks: the module (its parameters are leaves the graph reaches anyway), the
            // user's hook list, and a per-thread slot for the output gradient that the input node empties
            "dev.vgrad.nn.ModuleHooks$OutputHookBackward#call", "module, hooks, gradient slot",
            "dev.vgrad.nn.ModuleHooks$InputHookBackward#call", "module, hooks, gradient slot");

    @Test
    void everyNodeSubclassIsNamedAndHoldsOnlySavedValues() throws Exception {
        Set<String> names = new TreeSet<>();
        names.addAll(classNames(location(Node.class)));
        names.addAll(classNames(location(F.class)));
        assertTrue(names.contains("dev.vgrad.core.Node") && names.contains("dev.vgrad.nn.F"),
                "the scan must see both core and nn, saw " + names.size() + " classes");
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (String name : names) {
            Class<?> c = Class.forName(name, false, NodeFieldsTest.class.getClassLoader());
            if (c == Node.class || !Node.class.isAssignableFrom(c)) {
                continue;
            }
            checked++;
            problems.addAll(problems(c));
        }
        System.out.println("NodeFieldsTest: checked " + checked + " Node classes in core and nn");
        problems.forEach(p -> System.out.println("NodeFieldsTest: " + p));
        assertTrue(checked > 30, "expected the backward rules of core and nn, found " + checked + " Node classes");
        assertTrue(problems.isEmpty(), problems.size() + " problem(s):\n" + String.join("\n", problems));
    }

    /** What is wrong with Node subclass {@code c}: empty when it is named and its fields hold only saved values. */
    private static List<String> problems(Class<?> c) {
        List<String> problems = new ArrayList<>();
        String name = c.getName();
        if (c.isAnonymousClass() || c.isLocalClass()) {
            problems.add(name + ": an anonymous or local Node subclass (it captures the locals it names); make "
                    + "it a named static class whose fields are what it saves");
            return problems;
        }
        if (c.isMemberClass() && !Modifier.isStatic(c.getModifiers())) {
            problems.add(name + ": an inner (non-static) Node class keeps its enclosing instance");
        }
        for (Field f : c.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) || EXCEPTIONS.containsKey(name + "#" + f.getName())) {
                continue;
            }
            if (!allowed(f.getType(), new HashSet<>())) {
                problems.add(name + "#" + f.getName() + ": field of type " + f.getType().getTypeName()
                        + " (allowed: SavedTensor, primitives, String, enums, arrays of those, immutable values)");
            }
        }
        return problems;
    }

    /** A rule that keeps its input itself: the leak the check exists to prevent. */
    private static final class KeepsTensor extends Node {
        private final Tensor x;

        KeepsTensor(Tensor x) {
            super("KeepsTensor", x);
            this.x = x;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.mul(x)};
        }
    }

    /** A rule that keeps a lambda (which may capture anything). */
    private static final class KeepsLambda extends Node {
        private final UnaryOperator<Tensor> f;

        KeepsLambda(Tensor x, UnaryOperator<Tensor> f) {
            super("KeepsLambda", x);
            this.f = f;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {f.apply(g)};
        }
    }

    /** A well-formed rule: a saved tensor, a shape, a dtype. */
    private static final class Fine extends Node {
        private final SavedTensor sx;
        private final int[] shape;
        private final DType dtype;

        Fine(Tensor x) {
            super("Fine", x);
            this.sx = save(x);
            this.shape = x.shape();
            this.dtype = x.dtype();
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.mul(sx.get()).reshape(shape).to(dtype)};
        }
    }

    @Test
    void theCheckRejectsTensorAndLambdaFieldsAndAnonymousNodesAndAcceptsSavedValues() {
        Tensor x = Tensor.of(new double[] {1, 2}, 2);
        Node anonymous = new Node("Anonymous", x) {
            @Override
            protected Tensor[] backward(Tensor g) {
                return new Tensor[] {g.mul(x)};
            }
        };
        assertEquals(1, problems(KeepsTensor.class).size(), problems(KeepsTensor.class).toString());
        assertTrue(problems(KeepsTensor.class).get(0).contains("#x: field of type dev.vgrad.core.Tensor"));
        assertEquals(1, problems(KeepsLambda.class).size(), problems(KeepsLambda.class).toString());
        assertEquals(1, problems(anonymous.getClass()).size());
        assertTrue(problems(anonymous.getClass()).get(0).contains("anonymous or local"));
        assertEquals(List.of(), problems(Fine.class));
    }

    /** True when a field of this type cannot reach a Tensor (other than through a SavedTensor). */
    private static boolean allowed(Class<?> t, Set<Class<?>> seen) {
        if (t.isPrimitive() || t == String.class || t == SavedTensor.class || t.isEnum()) {
            return true;
        }
        if (t.isArray()) {
            return allowed(t.getComponentType(), seen);
        }
        // an immutable value of vgrad's own: a record or a final class whose every instance field is final and
        // of an allowed type (ConvGeometry, PoolGeometry, ConvOps.ConvSpec)
        if (!t.getName().startsWith("dev.vgrad.") || !(t.isRecord() || Modifier.isFinal(t.getModifiers()))
                || Node.class.isAssignableFrom(t)) {
            return false;
        }
        if (!seen.add(t)) {
            return true;
        }
        for (Field f : t.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())) {
                continue;
            }
            if (!Modifier.isFinal(f.getModifiers()) || !allowed(f.getType(), seen)) {
                return false;
            }
        }
        return true;
    }

    private static Path location(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** Binary names of every class in a classes directory or a jar. */
    private static List<String> classNames(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> files = Files.walk(root)) {
                files.filter(p -> p.toString().endsWith(".class")).forEach(p -> {
                    String rel = root.relativize(p).toString().replace('\\', '/');
                    add(out, rel);
                });
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        } else {
            try (JarFile jar = new JarFile(root.toFile())) {
                for (Enumeration<JarEntry> en = jar.entries(); en.hasMoreElements(); ) {
                    add(out, en.nextElement().getName());
                }
            }
        }
        return out;
    }

    private static void add(List<String> out, String path) {
        if (path.endsWith(".class") && !path.endsWith("module-info.class") && !path.endsWith("package-info.class")
                && !path.startsWith("META-INF/")) {
            out.add(path.substring(0, path.length() - ".class".length()).replace('/', '.'));
        }
    }
}
