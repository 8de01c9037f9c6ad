package dev.vgrad.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.Tensor;
import dev.vgrad.core.Vgrad;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * How the thread count is chosen (setNumThreads, then {@code -Dvgrad.threads}, then {@code VGRAD_NUM_THREADS},
 * then the processor count) and that the scalar-fallback hint is one line (docs/SEMANTICS.md §12.6–12.7). The
 * parsing is a pure function; precedence and the hint are checked in fresh JVMs, because both are read once at
 * class initialisation.
 */
class ThreadAndHintConfigTest {

    private static int resolve(String property, String env, int cpus, List<String> warnings) {
        return Parallel.defaultThreads(property, env, cpus, warnings::add);
    }

    @Test
    void propertyBeatsEnvironmentBeatsProcessorCount() {
        List<String> w = new ArrayList<>();
        assertEquals(3, resolve("3", "5", 8, w));
        assertEquals(5, resolve(null, "5", 8, w));
        assertEquals(5, resolve("  ", " 5 ", 8, w));
        assertEquals(8, resolve(null, null, 8, w));
        assertEquals(1, resolve(null, null, 0, w), "at least one thread");
        assertEquals(64, resolve("64", null, 2, w), "more threads than processors is allowed, as setNumThreads allows");
        assertEquals(List.of(), w, "valid and absent values warn about nothing");
    }

    @Test
    void anInvalidValueIsSkippedWithOneWarningNamingIt() {
        for (String bad : new String[] {"abc", "0", "-2", "2.5", "99999999999"}) {
            List<String> w = new ArrayList<>();
            assertEquals(4, resolve(bad, "4", 8, w), bad);
            assertEquals(List.of("vgrad: ignoring -Dvgrad.threads=" + bad
                    + ": the number of threads must be a positive integer"), w, bad);
            w.clear();
            assertEquals(8, resolve(null, bad, 8, w), bad);
            assertEquals(List.of("vgrad: ignoring VGRAD_NUM_THREADS=" + bad
                    + ": the number of threads must be a positive integer"), w, bad);
        }
        List<String> w = new ArrayList<>();
        assertEquals(8, resolve("x", "y", 8, w));
        assertEquals(2, w.size(), "both bad sources are reported: " + w);
    }

    /** Prints the thread count chosen at start-up, then the count after {@code setNumThreads(7)}. */
    public static final class Main {
        public static void main(String[] args) {
            System.out.println("threads " + Vgrad.numThreads());
            Vgrad.setNumThreads(7);
            System.out.println("threads " + Vgrad.numThreads());
            System.out.println("sum " + Tensor.ones(4).sum().item());
        }
    }

    /** Stdout, and vgrad's own stderr lines (the JDK adds its incubator-module warning when SIMD is on). */
    private record Run(String out, String err) {}

    private static Run fork(boolean vector, Map<String, String> env, String... jvmArgs)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        if (vector) {
            cmd.add("--add-modules=jdk.incubator.vector");
        }
        cmd.addAll(List.of(jvmArgs));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove(Parallel.THREADS_ENV);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        // small outputs: read after exit is safe (pipe buffers hold them)
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "forked JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "forked JVM failed:\n" + out + err);
        StringBuilder ours = new StringBuilder();
        for (String line : err.split("\\R")) {
            if (line.startsWith("vgrad")) {
                ours.append(line).append('\n');
            }
        }
        return new Run(out, ours.toString());
    }

    @Test
    void precedenceHoldsInAFreshJvm() throws Exception {
        Run both = fork(true, Map.of(Parallel.THREADS_ENV, "2"), "-Dvgrad.threads=3");
        assertEquals("threads 3\nthreads 7\nsum 4.0\n", both.out(), both.err());
        Run env = fork(true, Map.of(Parallel.THREADS_ENV, "2"));
        assertEquals("threads 2\nthreads 7\nsum 4.0\n", env.out(), env.err());
        Run bad = fork(true, Map.of(Parallel.THREADS_ENV, "2"), "-Dvgrad.threads=lots");
        assertEquals("threads 2\nthreads 7\nsum 4.0\n", bad.out(), bad.err());
        assertEquals("vgrad: ignoring -Dvgrad.threads=lots: the number of threads must be a positive integer\n",
                bad.err());
    }

    @Test
    void theScalarFallbackHintIsOneLineAndAbsentWhenScalarIsAskedFor() throws Exception {
        Run hinted = fork(false, Map.of());
        String[] lines = hinted.err().strip().split("\\R");
        assertEquals(1, lines.length, "the hint must be one line:\n" + hinted.err());
        assertTrue(lines[0].startsWith("vgrad: jdk.incubator.vector is not available; using scalar kernels.")
                && lines[0].contains("--add-modules jdk.incubator.vector"), lines[0]);
        assertEquals("", fork(false, Map.of(), "-Dvgrad.simd=false").err(), "-Dvgrad.simd=false prints nothing");
        assertEquals("", fork(true, Map.of()).err(), "the SIMD path prints nothing of vgrad's");
    }
}
