package dev.vgrad.core.testing;

import dev.vgrad.core.io.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Loads the PyTorch conformance fixtures written by {@code tools/fixtures/generate.py} (schema:
 * {@code tools/fixtures/README.md}) and compares numbers with PyTorch-style tolerances.
 *
 * <p>Fixtures are classpath resources under {@code fixtures/} in each module's
 * {@code src/test/resources}; this class lives in core's test-jar so nn and optim tests can use it.
 * Tensors are encoded as {@code {"shape":[...], "dtype":"float64"|"float32"|"int64"|"bool",
 * "data":[row-major values]}} with NaN/±Infinity written as the strings {@code "NaN"},
 * {@code "Infinity"}, {@code "-Infinity"}.
 */
public final class Fixtures {

    /** §10 tolerance for a float64 implementation: {@code |a-b| <= 1e-10 + 1e-10*|b|}. */
    public static final double F64_ATOL = 1e-10;
    public static final double F64_RTOL = 1e-10;
    /** §10 tolerance for a float32 implementation with exactly-loaded inputs. */
    public static final double F32_ATOL = 1e-5;
    public static final double F32_RTOL = 1e-4;

    private Fixtures() {
    }

    /** A decoded fixture tensor. {@code longs} is non-null only for integer/bool dtypes (then {@code data} holds the same values). */
    public record FixtureTensor(int[] shape, String dtype, double[] data, long[] longs) {

        public int numel() {
            return data.length;
        }

        public int rank() {
            return shape.length;
        }

        public boolean isFloating() {
            return dtype.startsWith("float");
        }

        /** The data rounded to float32 (exact for the fixtures' float32-representable inputs). */
        public float[] floats() {
            float[] f = new float[data.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) data[i];
            }
            return f;
        }

        @Override
        public String toString() {
            String vals = data.length <= 8 ? Arrays.toString(data)
                    : Arrays.toString(Arrays.copyOf(data, 8)).replace("]", ", ...]");
            return "FixtureTensor" + Arrays.toString(shape) + " " + dtype + " " + vals;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof FixtureTensor t && Arrays.equals(shape, t.shape) && dtype.equals(t.dtype)
                    && Arrays.equals(data, t.data) && Arrays.equals(longs, t.longs);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
        }
    }

    // ------------------------------------------------------------------------------------------
    // loading

    /**
     * Loads and parses {@code fixtures/<resourceName>} from the classpath (a name that already starts
     * with {@code fixtures/} is used as is).
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> load(String resourceName) {
        Object root = Json.parse(bytes(resourceName));
        if (!(root instanceof Map)) {
            throw new IllegalStateException("fixture " + resourceName + " is not a JSON object");
        }
        return (Map<String, Object>) root;
    }

    /** The raw bytes of {@code fixtures/<resourceName>} (e.g. {@code small_cnn.safetensors}). */
    public static byte[] bytes(String resourceName) {
        String path = resourceName.startsWith("fixtures/") ? resourceName : "fixtures/" + resourceName;
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        InputStream in = cl == null ? null : cl.getResourceAsStream(path);
        if (in == null) {
            in = Fixtures.class.getClassLoader().getResourceAsStream(path);
        }
        if (in == null) {
            throw new IllegalStateException("fixture resource not found on the classpath: " + path
                    + " (regenerate with /usr/bin/python3 tools/fixtures/generate.py)");
        }
        try (InputStream s = in) {
            return s.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading fixture " + path, e);
        }
    }

    /** The {@code "cases"} array of a fixture file. */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> cases(Map<String, Object> root) {
        Object c = root.get("cases");
        if (!(c instanceof List)) {
            throw new IllegalStateException("fixture has no \"cases\" array");
        }
        return (List<Map<String, Object>>) c;
    }

    /** The case called {@code name}. */
    public static Map<String, Object> caseNamed(Map<String, Object> root, String name) {
        for (Map<String, Object> c : cases(root)) {
            if (name.equals(c.get("name"))) {
                return c;
            }
        }
        throw new IllegalStateException("no fixture case named " + name);
    }

    /**
     * The runs of a module conformance fixture: every case name in float64 and float32, each in train and eval
     * mode, as {@code (String name, DType dtype, Boolean train)} argument triples.
     */
    public static List<Object[]> runsByDtypeAndMode(Map<String, Object> root) {
        List<Object[]> out = new ArrayList<>();
        for (String n : caseNames(root)) {
            for (boolean train : new boolean[] {true, false}) {
                out.add(new Object[] {n, dev.vgrad.core.DType.FLOAT64, train});
                out.add(new Object[] {n, dev.vgrad.core.DType.FLOAT32, train});
            }
        }
        return out;
    }

    /** {@code node.get(key)} as an int. */
    public static int integer(Map<String, Object> node, String key) {
        return ((Number) node.get(key)).intValue();
    }

    /** {@code node.get(key)} as a boolean. */
    public static boolean bool(Map<String, Object> node, String key) {
        return (Boolean) node.get(key);
    }

    /** {@code node.get(key)} as a JSON object ({@code null} if absent or JSON null). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> map(Object node, String key) {
        Object v = asMap(node, key).get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Map)) {
            throw new IllegalStateException("fixture key " + key + " is not an object: " + v);
        }
        return (Map<String, Object>) v;
    }

    /** {@code node.get(key)} as a list ({@code null} if absent or JSON null). */
    @SuppressWarnings("unchecked")
    public static List<Object> list(Object node, String key) {
        Object v = asMap(node, key).get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof List)) {
            throw new IllegalStateException("fixture key " + key + " is not an array: " + v);
        }
        return (List<Object>) v;
    }

    /** {@code tensor(((Map) node).get(key))}. */
    public static FixtureTensor tensor(Object node, String key) {
        Object v = asMap(node, key).get(key);
        if (v == null) {
            throw new IllegalStateException("fixture has no tensor " + key + " in " + node);
        }
        return tensor(v);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object node, String key) {
        if (!(node instanceof Map)) {
            throw new IllegalStateException("looking up " + key + " in a non-object fixture node: " + node);
        }
        return (Map<String, Object>) node;
    }

    /**
     * Decodes a tensor node: {@code {"shape","dtype","data"}}; a bare number (or "NaN"/"Infinity"/
     * "-Infinity") becomes a 0-d float64 tensor, and a bare list of numbers a 1-D float64 tensor.
     */
    public static FixtureTensor tensor(Object node) {
        if (node instanceof Number || node instanceof String) {
            return new FixtureTensor(new int[0], "float64", new double[] {number(node)}, null);
        }
        if (node instanceof List<?> l) {
            return new FixtureTensor(new int[] {l.size()}, "float64", doubles(l), null);
        }
        if (!(node instanceof Map<?, ?> m)) {
            throw new IllegalStateException("not a fixture tensor: " + node);
        }
        Object shapeNode = m.get("shape");
        Object dataNode = m.get("data");
        Object dtypeNode = m.get("dtype");
        if (!(shapeNode instanceof List<?> sl) || !(dataNode instanceof List<?> dl) || !(dtypeNode instanceof String dtype)) {
            throw new IllegalStateException("fixture tensor needs shape, dtype and data: " + node);
        }
        int[] shape = new int[sl.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = Math.toIntExact(((Number) sl.get(i)).longValue());
            numel *= shape[i];
        }
        if (numel != dl.size()) {
            throw new IllegalStateException("fixture tensor shape " + Arrays.toString(shape) + " has "
                    + numel + " elements but data has " + dl.size());
        }
        double[] data = doubles(dl);
        long[] longs = null;
        if (dtype.equals("int64") || dtype.equals("bool")) {
            longs = new long[dl.size()];
            for (int i = 0; i < longs.length; i++) {
                longs[i] = ((Number) dl.get(i)).longValue();
            }
        } else if (!dtype.equals("float64") && !dtype.equals("float32")) {
            throw new IllegalStateException("unknown fixture dtype " + dtype);
        }
        return new FixtureTensor(shape, dtype, data, longs);
    }

    /** A JSON number, or one of the strings "NaN", "Infinity", "-Infinity". */
    public static double number(Object node) {
        if (node instanceof Number n) {
            return n.doubleValue();
        }
        if (node instanceof String s) {
            switch (s) {
                case "NaN":
                    return Double.NaN;
                case "Infinity":
                    return Double.POSITIVE_INFINITY;
                case "-Infinity":
                    return Double.NEGATIVE_INFINITY;
                default:
                    break;
            }
        }
        throw new IllegalStateException("not a fixture number: " + node);
    }

    private static double[] doubles(List<?> l) {
        double[] d = new double[l.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = number(l.get(i));
        }
        return d;
    }

    /** A list of JSON integers as {@code int[]} (e.g. {@code "stride":[2,1]}). */
    public static int[] ints(Object listNode) {
        List<?> l = (List<?>) listNode;
        int[] r = new int[l.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = Math.toIntExact(((Number) l.get(i)).longValue());
        }
        return r;
    }

    // ------------------------------------------------------------------------------------------
    // comparison

    /**
     * Asserts {@code |actual-expected| <= atol + rtol*|expected|} elementwise; NaN matches NaN and an
     * infinity matches the same infinity only. On failure the message names {@code what}, the number of
     * mismatches, and the first and the worst mismatch (index, expected, actual).
     */
    public static void assertClose(double[] expected, double[] actual, double atol, double rtol, String what) {
        assertClose(expected, actual, null, atol, rtol, what);
    }

    /** As {@link #assertClose(double[], double[], double, double, String)}, also checking the shape. */
    public static void assertClose(FixtureTensor expected, int[] actualShape, double[] actual,
                                   double atol, double rtol, String what) {
        if (actualShape != null && !Arrays.equals(expected.shape(), actualShape)) {
            throw new AssertionError(what + ": shape mismatch: expected " + Arrays.toString(expected.shape())
                    + ", actual " + Arrays.toString(actualShape));
        }
        assertClose(expected.data(), actual, expected.shape(), atol, rtol, what);
    }

    /** As {@link #assertClose(double[], double[], double, double, String)} for float32 results. */
    public static void assertClose(double[] expected, float[] actual, double atol, double rtol, String what) {
        double[] a = new double[actual.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = actual[i];
        }
        assertClose(expected, a, null, atol, rtol, what);
    }

    /** Exact comparison of integer results (indices, argmax, counters). */
    public static void assertEqualLongs(long[] expected, long[] actual, String what) {
        if (expected.length != actual.length) {
            throw new AssertionError(what + ": length mismatch: expected " + expected.length + " elements, actual "
                    + actual.length);
        }
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) {
                throw new AssertionError(what + ": mismatch at index " + i + ": expected " + expected[i]
                        + ", actual " + actual[i] + "\n  expected " + Arrays.toString(expected) + "\n  actual   "
                        + Arrays.toString(actual));
            }
        }
    }

    /** True if {@code a} matches {@code e} under the rules of {@link #assertClose}. */
    public static boolean close(double e, double a, double atol, double rtol) {
        if (Double.isNaN(e) || Double.isNaN(a)) {
            return Double.isNaN(e) && Double.isNaN(a);
        }
        if (Double.isInfinite(e) || Double.isInfinite(a)) {
            return e == a;
        }
        return Math.abs(a - e) <= atol + rtol * Math.abs(e);
    }

    private static void assertClose(double[] expected, double[] actual, int[] shape, double atol, double rtol,
                                    String what) {
        if (expected.length != actual.length) {
            throw new AssertionError(what + ": length mismatch: expected " + expected.length + " elements, actual "
                    + actual.length);
        }
        int bad = 0;
        int first = -1;
        int worst = -1;
        double worstExcess = -1;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            if (close(e, a, atol, rtol)) {
                continue;
            }
            bad++;
            if (first < 0) {
                first = i;
            }
            double excess = (Double.isFinite(e) && Double.isFinite(a))
                    ? Math.abs(a - e) / (atol + rtol * Math.abs(e)) : Double.POSITIVE_INFINITY;
            if (excess > worstExcess || worst < 0) {
                worstExcess = excess;
                worst = i;
            }
        }
        if (bad == 0) {
            return;
        }
        StringBuilder sb = new StringBuilder();
        sb.append(what).append(": ").append(bad).append(" of ").append(expected.length)
                .append(" elements differ (atol=").append(atol).append(", rtol=").append(rtol).append(")");
        describe(sb, "first", first, expected, actual, shape);
        if (worst != first) {
            describe(sb, "worst", worst, expected, actual, shape);
        }
        if (expected.length <= 16) {
            sb.append("\n  expected ").append(Arrays.toString(expected))
                    .append("\n  actual   ").append(Arrays.toString(actual));
        }
        throw new AssertionError(sb.toString());
    }

    private static void describe(StringBuilder sb, String label, int i, double[] expected, double[] actual,
                                 int[] shape) {
        sb.append("\n  ").append(label).append(" at index ").append(i);
        if (shape != null && shape.length > 1) {
            sb.append(' ').append(Arrays.toString(unravel(i, shape)));
        }
        sb.append(": expected ").append(expected[i]).append(", actual ").append(actual[i]);
        if (Double.isFinite(expected[i]) && Double.isFinite(actual[i])) {
            sb.append(", |diff|=").append(Math.abs(actual[i] - expected[i]));
        }
    }

    private static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            int s = Math.max(shape[d], 1);
            idx[d] = flat % s;
            flat /= s;
        }
        return idx;
    }

    /** Names of all cases of a fixture file (for parameterised tests). */
    public static List<String> caseNames(Map<String, Object> root) {
        List<String> names = new ArrayList<>();
        for (Map<String, Object> c : cases(root)) {
            names.add((String) c.get("name"));
        }
        return names;
    }
}
