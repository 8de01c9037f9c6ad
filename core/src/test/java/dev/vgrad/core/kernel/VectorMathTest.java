package dev.vgrad.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * VectorMath's exp, log, tanh and sigmoid: within 2 ulp of the double-precision library over dense sweeps of
 * their domains, exact on special values, and the same bits from the first (interpreted) call to the last
 * (compiled) one, the law that lanewise(EXP) broke (docs/SEMANTICS.md §12).
 */
class VectorMathTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private static float[] apply(UnaryOperator<FloatVector> f, float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i + L <= x.length; i += L) {
            f.apply(FloatVector.fromArray(S, x, i)).intoArray(out, i);
        }
        return out;
    }

    /** Every k-th float bit pattern between lo and hi (same sign), padded to whole vectors. */
    private static float[] sweep(float lo, float hi, int k) {
        int a = Float.floatToIntBits(lo);
        int b = Float.floatToIntBits(hi);
        int from = Math.min(a, b);
        int to = Math.max(a, b);
        int n = (to - from) / k + 1;
        float[] x = new float[(n + L - 1) / L * L];
        for (int i = 0; i < x.length; i++) {
            x[i] = Float.intBitsToFloat(from + Math.min(i, n - 1) * k);
        }
        return x;
    }

    private static void within(UnaryOperator<FloatVector> f, DoubleUnaryOperator ref, float[] x, int ulps, String what) {
        float[] got = apply(f, x);
        for (int i = 0; i < x.length; i++) {
            float want = (float) ref.applyAsDouble(x[i]);
            float tol = ulps * Math.max(Math.ulp(want), Float.MIN_VALUE);
            boolean ok = Float.compare(want, got[i]) == 0 || Math.abs(want - got[i]) <= tol;
            if (!ok) {
                throw new AssertionError(what + "(" + x[i] + ") = " + got[i] + ", library gives " + want);
            }
        }
    }

    @Test
    void expWithinTwoUlpAcrossItsRange() {
        within(VectorMath::exp, Math::exp, sweep(-0f, -104f, 97), 2, "exp");
        within(VectorMath::exp, Math::exp, sweep(0f, 89f, 97), 2, "exp");
    }

    @Test
    void logWithinTwoUlpAcrossItsRange() {
        within(VectorMath::log, Math::log, sweep(Float.MIN_VALUE, Float.MAX_VALUE, 1013), 2, "log");
        within(VectorMath::log, Math::log, sweep(0.5f, 2f, 31), 2, "log");
    }

    @Test
    void tanhAndSigmoidWithinTwoUlp() {
        within(VectorMath::tanh, Math::tanh, sweep(0f, 12f, 101), 2, "tanh");
        within(VectorMath::tanh, Math::tanh, sweep(-0f, -12f, 101), 2, "tanh");
        DoubleUnaryOperator sig = v -> 1 / (1 + Math.exp(-v));
        within(VectorMath::sigmoid, sig, sweep(0f, 90f, 101), 2, "sigmoid");
        within(VectorMath::sigmoid, sig, sweep(-0f, -87f, 101), 2, "sigmoid");
    }

    /**
     * GELU x·Φ(x) against the double-precision x·Φ(x) (Φ from erfc for negative x), over every sign and scale:
     * at most 2 ulps for x ≥ 0 and 7 below (measured: 2 and 6; the lower tail goes through exp, a division and a
     * degree-8 polynomial). Below x ≈ −13.2 the result is subnormal and carries fewer bits, so there the bound is
     * absolute.
     */
    @Test
    void geluWithinSevenUlp() {
        DoubleUnaryOperator ref = v -> v * UnaryOp.normalCdf(v);
        within(VectorMath::gelu, ref, sweep(0f, 20f, 293), 2, "gelu");
        within(VectorMath::gelu, ref, sweep(20f, Float.MAX_VALUE, 1013), 0, "gelu");
        within(VectorMath::gelu, ref, sweep(-0f, -13f, 293), 7, "gelu");
        within(VectorMath::gelu, ref, sweep(-0.9f, -1.1f, 3), 7, "gelu"); // around the |x| = 1 seam
        within(VectorMath::gelu, ref, sweep(0.9f, 1.1f, 3), 2, "gelu");
        float[] x = sweep(-13f, -20f, 97);
        float[] got = apply(VectorMath::gelu, x);
        for (int i = 0; i < x.length; i++) {
            double want = ref.applyAsDouble(x[i]);
            assertTrue(Math.abs(want - got[i]) <= 4 * Math.max(Math.ulp((float) want), Float.MIN_NORMAL * 0x1p-20f),
                    "gelu(" + x[i] + ") = " + got[i] + ", double gives " + want);
        }
    }

    /**
     * g·GELU'(x) = g·(Φ(x) + x·φ(x)) against double precision, within 4 ulps of g·(|Φ(x)| + |x·φ(x)|): the two
     * terms cancel near x = −0.75, where no float evaluation keeps ulps of the (tiny) difference.
     */
    @Test
    void geluBackwardWithinFourUlpOfItsTerms() {
        for (float[] x : new float[][] {sweep(0f, 20f, 293), sweep(-0f, -14f, 293), sweep(-0.7f, -0.8f, 3)}) {
            float[] g = new float[x.length];
            Random r = new Random(5);
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) (r.nextDouble() * 4 - 2);
            }
            float[] got = new float[x.length];
            for (int i = 0; i < x.length; i += L) {
                VectorMath.geluBackward(FloatVector.fromArray(S, x, i), FloatVector.fromArray(S, g, i)).intoArray(got, i);
            }
            for (int i = 0; i < x.length; i++) {
                double cdf = UnaryOp.normalCdf(x[i]);
                double xpdf = x[i] * Math.exp(-0.5 * (double) x[i] * x[i]) * 0.3989422804014327;
                double want = g[i] * (cdf + xpdf);
                // an absolute floor where the result is subnormal (x below about −13.2) and carries fewer bits
                double tol = 4 * Math.max(Math.ulp((float) (Math.abs(g[i]) * (cdf + Math.abs(xpdf)))),
                        Float.MIN_NORMAL * 0x1p-20f);
                if (!(Math.abs(want - got[i]) <= tol)) {
                    throw new AssertionError("gelu backward(" + x[i] + ", g=" + g[i] + ") = " + got[i] + ", double gives "
                            + want);
                }
            }
        }
    }

    @Test
    void specialValues() {
        float[] x = new float[L];
        // beyond [−104, 89] exp has its own blends (+0 and +∞ without the wide path): −200, 100, ±MAX_VALUE
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 88.8f, -103.5f,
            Float.MIN_VALUE, -1f, 1e-30f, -200f, 100f, Float.MAX_VALUE, -Float.MAX_VALUE, -104.5f, 89.5f};
        for (int s = 0; s < specials.length; s += L) {
            int m = Math.min(L, specials.length - s);
            System.arraycopy(specials, s, x, 0, m);
            for (int i = m; i < L; i++) {
                x[i] = 1f;
            }
            float[] e = apply(VectorMath::exp, x);
            float[] lg = apply(VectorMath::log, x);
            float[] th = apply(VectorMath::tanh, x);
            float[] ge = apply(VectorMath::gelu, x);
            for (int i = 0; i < L; i++) {
                // GELU's specials: NaN → NaN, ±0 → ±0, +∞ → +∞, −∞ → −∞·0 = NaN, as x·Φ(x) in double
                if (Float.isNaN(x[i]) || Float.isInfinite(x[i]) || x[i] == 0) {
                    special((float) (x[i] * UnaryOp.normalCdf(x[i])), ge[i], "gelu", x[i]);
                }
                special((float) Math.exp(x[i]), e[i], "exp", x[i]);
                special((float) Math.log(x[i]), lg[i], "log", x[i]);
                special((float) Math.tanh(x[i]), th[i], "tanh", x[i]);
            }
        }
    }

    /** NaN, infinities and zeros (with their sign) exactly; finite non-zero results within 2 ulp. */
    private static void special(float want, float got, String op, float x) {
        if (Float.isNaN(want) || Float.isInfinite(want) || want == 0f) {
            assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got), op + "(" + x + ")");
        } else {
            assertEquals(want, got, 2 * Math.max(Math.ulp(want), Float.MIN_VALUE), op + "(" + x + ")");
        }
    }

    @Test
    void sameBitsColdAndWarmAndInAnyLane() {
        Random r = new Random(11);
        float[] x = new float[64 * L];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 40 - 20);
        }
        float[] e0 = apply(VectorMath::exp, x);
        float[] t0 = apply(VectorMath::tanh, x);
        float[] l0 = apply(VectorMath::log, x);
        float[] g0 = apply(VectorMath::gelu, x);
        // enough calls for C2 to compile the loops; equality holds whether or not it did, which is the point
        for (int k = 0; k < 3000; k++) {
            apply(VectorMath::exp, x);
            apply(VectorMath::tanh, x);
            apply(VectorMath::log, x);
            apply(VectorMath::gelu, x);
        }
        float[] shifted = new float[x.length];
        System.arraycopy(x, 1, shifted, 0, x.length - 1);
        float[] e1 = apply(VectorMath::exp, x);
        float[] es = apply(VectorMath::exp, shifted);
        float[] t1 = apply(VectorMath::tanh, x);
        float[] l1 = apply(VectorMath::log, x);
        float[] g1 = apply(VectorMath::gelu, x);
        float[] gs = apply(VectorMath::gelu, shifted);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToIntBits(e0[i]), Float.floatToIntBits(e1[i]), "exp cold vs warm at " + x[i]);
            assertEquals(Float.floatToIntBits(t0[i]), Float.floatToIntBits(t1[i]), "tanh cold vs warm at " + x[i]);
            assertEquals(Float.floatToIntBits(l0[i]), Float.floatToIntBits(l1[i]), "log cold vs warm at " + x[i]);
            assertEquals(Float.floatToIntBits(g0[i]), Float.floatToIntBits(g1[i]), "gelu cold vs warm at " + x[i]);
            if (i + 1 < x.length) {
                assertEquals(Float.floatToIntBits(e1[i + 1]), Float.floatToIntBits(es[i]), "exp lane shift at " + x[i + 1]);
                assertEquals(Float.floatToIntBits(g1[i + 1]), Float.floatToIntBits(gs[i]), "gelu lane shift at " + x[i + 1]);
            }
        }
    }

    /** No kernel calls the Vector API's transcendental lanewise ops, whose bits change once C2 compiles them. */
    @Test
    void noKernelUsesJitDependentTranscendentals() throws java.io.IOException {
        java.util.List<String> offenders = sourceLinesMatching(
                "VectorOperators\\.(EXP|EXPM1|LOG|LOG1P|LOG10|TANH|SINH|COSH|SIN|COS|TAN|ASIN|ACOS|ATAN|ATAN2|POW|HYPOT|CBRT)\\b");
        assertTrue(offenders.isEmpty(), "use VectorMath instead (docs/SEMANTICS.md §12.3): " + offenders);
    }

    /**
     * Every float vector is of {@code FloatVector.SPECIES_PREFERRED}: a second float vector class feeds the type
     * profiles of the Vector API's shared load and store methods, and C2 then compiles other kernels' accesses with
     * boxed vectors in some runs (docs/ARCHITECTURE.md, "One float vector class only").
     */
    @Test
    void onlyThePreferredFloatSpecies() throws java.io.IOException {
        java.util.List<String> offenders = sourceLinesMatching(
                "FloatVector\\.SPECIES_(?!PREFERRED)|VectorSpecies\\.of\\(float\\.class");
        assertTrue(offenders.isEmpty(), "use FloatVector.SPECIES_PREFERRED only: " + offenders);
    }

    /** Code lines (comments skipped) of the core module's main sources that match {@code regex}. */
    private static java.util.List<String> sourceLinesMatching(String regex) throws java.io.IOException {
        java.util.regex.Pattern banned = java.util.regex.Pattern.compile(regex);
        java.nio.file.Path root = java.nio.file.Path.of("src/main/java");
        assertTrue(java.nio.file.Files.isDirectory(root), "run from the core module: " + root.toAbsolutePath());
        java.util.List<String> offenders = new java.util.ArrayList<>();
        try (var files = java.nio.file.Files.walk(root)) {
            for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) files.filter(q -> q.toString().endsWith(".java"))::iterator) {
                String[] lines = java.nio.file.Files.readString(f).split("\n");
                for (int i = 0; i < lines.length; i++) {
                    String code = lines[i].replaceAll("^\\s*(\\*|//).*", "");
                    if (banned.matcher(code).find()) {
                        offenders.add(f + ":" + (i + 1) + ": " + lines[i].trim());
                    }
                }
            }
        }
        return offenders;
    }
}
