package dev.vgrad.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's "Use vgrad in your project" section, taken literally: its POM, module-info.java and Main.java
 * blocks (each marked by an HTML comment) become a project of their own, which a child Maven builds, tests and
 * runs offline ({@code mvn -o test exec:exec}; no packaging, whose default jar plugin the outer build never
 * downloads) against the artifacts of this build, staged by
 * maven-invoker-plugin as {@code mvn install} would lay them out. Everything else (plugins, JUnit) comes from
 * the local repository of the outer build, mirrored as a file:// repository, so no network is needed.
 */
class ReadmeConsumerTest {
    private static final Pattern LOSS = Pattern.compile("SIMD kernels: true, loss ([0-9.]+) -> ([0-9.]+)");

    @Test
    void readmeProjectBuildsTestsAndRunsWithSimdAgainstTheInstalledArtifacts() throws Exception {
        String readme = Files.readString(Path.of(property("readme")));
        Path dir = Path.of(property("consumer.dir"));
        Path repo = Path.of(property("consumer.repo"));
        Path mirror = Path.of(property("consumer.mirror"));
        assertTrue(Files.isDirectory(repo.resolve("dev/vgrad/vgrad-bom")), "invoker:install staged nothing in " + repo);
        deleteTree(dir);

        write(dir.resolve("pom.xml"), block(readme, "consumer-pom", "xml"));
        write(dir.resolve("src/main/java/module-info.java"), block(readme, "consumer-module-info", "java"));
        write(dir.resolve("src/main/java/org/example/Main.java"), block(readme, "consumer-main", "java"));
        try (InputStream in = Objects.requireNonNull(getClass().getResourceAsStream("/consumer/MainTest.java.txt"))) {
            write(dir.resolve("src/test/java/org/example/MainTest.java"), new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        write(dir.resolve("settings.xml"), """
                <settings>
                  <mirrors>
                    <mirror>
                      <id>outer-build</id>
                      <mirrorOf>*</mirrorOf>
                      <url>%s</url>
                    </mirror>
                  </mirrors>
                </settings>
                """.formatted(mirror.toUri()));

        String mvn = Path.of(property("maven.home"), "bin", isWindows() ? "mvn.cmd" : "mvn").toString();
        List<String> cmd = new ArrayList<>(List.of(mvn, "-B", "-ntp", "-o", "-s", dir.resolve("settings.xml").toString(),
                "-Dmaven.repo.local=" + repo, "-Daether.offline.protocols=file", "test", "exec:exec"));
        Path log = dir.resolve("build.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        // the child Maven runs on this test's JDK 25 with its java first on the PATH, as a user's would; exec:exec
        // then starts that java (with Maven on an older JDK it would start the toolchain's)
        String javaHome = System.getProperty("java.home");
        pb.environment().put("JAVA_HOME", javaHome);
        pb.environment().merge("PATH", Path.of(javaHome, "bin") + java.io.File.pathSeparator, (old, bin) -> bin + old);
        Process p = pb.start();
        boolean done = p.waitFor(10, TimeUnit.MINUTES);
        if (!done) {
            p.destroyForcibly();
        }
        String out = Files.readString(log);
        assertTrue(done, "the consumer build timed out:\n" + out);
        assertEquals(0, p.exitValue(), "the consumer build failed:\n" + out);
        assertTrue(out.contains("Tests run: 2, Failures: 0, Errors: 0, Skipped: 0"), out);
        Matcher m = LOSS.matcher(out);
        assertTrue(m.find(), "exec:exec did not run Main with SIMD on (the module's requires, no flag):\n" + out);
        assertTrue(Double.parseDouble(m.group(2)) < Double.parseDouble(m.group(1)) / 100, m.group());
        assertTrue(!out.contains("using scalar kernels"), out);
    }

    /** The fenced block of the given language that directly follows {@code <!-- marker -->}. */
    private static String block(String readme, String marker, String lang) {
        Matcher m = Pattern.compile("<!-- " + Pattern.quote(marker) + " -->\\R```" + lang + "\\R(.*?)\\R```", Pattern.DOTALL)
                .matcher(readme);
        assertTrue(m.find(), "README.md has no ```" + lang + " block after <!-- " + marker + " -->");
        return m.group(1) + "\n";
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var paths = Files.walk(dir)) {
                for (Path q : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(q);
                }
            }
        }
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private static String property(String name) {
        return Objects.requireNonNull(System.getProperty(name), name + " is not set (run through Maven)");
    }

    private static boolean isWindows() {
        return System.getProperty("os.name").startsWith("Windows");
    }
}
