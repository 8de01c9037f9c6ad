package dev.vgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library on the module path, in a fresh JVM: core, nn and optim resolve as named modules and a client
 * can use their exported packages; without the incubator module the scalar kernels run and one log line says
 * how to enable SIMD; with it, SIMD is on; {@code -Dvgrad.simd=false} forces scalar.
 */
class ModulePathTest {
    private static final Pattern LIBRARY = Pattern.compile(
            ".*(vgrad-(core|nn|optim)-[^" + Pattern.quote(File.separator) + "]*(?<!-tests)\\.jar"
                    + "|[/\\\\](core|nn|optim)[/\\\\]target[/\\\\]classes)$");

    @TempDir
    static Path tmp;
    private static String modulePath;

    @BeforeAll
    static void compileClient() throws Exception {
        List<String> mods = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (LIBRARY.matcher(e).matches()) {
                mods.add(e);
            }
        }
        assertEquals(3, mods.size(), "expected core, nn and optim on the test classpath: " + mods);
        modulePath = String.join(File.pathSeparator, mods);
        String client = """
                import dev.vgrad.core.*;
                import dev.vgrad.nn.*;
                import dev.vgrad.optim.*;
                public class Client {
                    public static void main(String[] a) {
                        Linear lin = new Linear(4, 2, true, new Generator(1));
                        Adam opt = new Adam(lin.parameters());
                        Tensor loss = lin.forward(Tensor.randn(new Generator(2), 8, 4)).pow(2).mean();
                        loss.backward();
                        opt.step();
                        System.out.println("module=" + Tensor.class.getModule().getName() + " simd=" + Vgrad.simdEnabled()
                                + " loss=" + loss.item());
                    }
                }
                """;
        Files.writeString(tmp.resolve("Client.java"), client);
        ByteArrayOutputStream diag = new ByteArrayOutputStream();
        int rc = ToolProvider.getSystemJavaCompiler().run(null, diag, diag, "-d", tmp.toString(),
                "--module-path", modulePath, "--add-modules", "dev.vgrad.optim", tmp.resolve("Client.java").toString());
        assertEquals(0, rc, "client does not compile against the modules:\n" + diag);
    }

    private static String[] run(String... jvmArgs) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(Arrays.asList(jvmArgs));
        cmd.addAll(List.of("--module-path", modulePath, "--add-modules", "dev.vgrad.optim", "-cp", tmp.toString(), "Client"));
        Process p = new ProcessBuilder(cmd).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "client timed out");
        String o = new String(out, StandardCharsets.UTF_8);
        String e = new String(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "client failed: " + o + e);
        return new String[] {o, e};
    }

    @Test
    void scalarFallbackWithoutIncubatorModuleLogsHowToEnableSimd() throws Exception {
        String[] r = run();
        assertTrue(r[0].contains("module=dev.vgrad.core simd=false"), r[0]);
        String hint = "Run the JVM with --add-modules jdk.incubator.vector to enable SIMD";
        assertEquals(1, r[1].split(Pattern.quote(hint), -1).length - 1, "expected the hint exactly once:\n" + r[1]);
    }

    @Test
    void simdWithIncubatorModuleAndForcedScalarByProperty() throws Exception {
        String[] simd = run("--add-modules", "jdk.incubator.vector");
        assertTrue(simd[0].contains("simd=true"), simd[0]);
        String[] forced = run("--add-modules", "jdk.incubator.vector", "-Dvgrad.simd=false");
        assertTrue(forced[0].contains("simd=false"), forced[0]);
        // the same program gives the same loss on both kernel paths (it is computed before the optimizer step)
        String lossSimd = simd[0].replaceAll("(?s).*loss=", "").trim();
        String lossScalar = forced[0].replaceAll("(?s).*loss=", "").trim();
        assertEquals(Double.parseDouble(lossScalar), Double.parseDouble(lossSimd), 1e-6);
    }
}
