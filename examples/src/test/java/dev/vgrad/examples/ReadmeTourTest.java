package dev.vgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Compiles the README's tour (its first {@code java} block after "A short tour") as the body of a main
 * method, runs it, and compares what it prints with the README's {@code text} block that follows.
 */
class ReadmeTourTest {

    private static String block(String readme, String fence, int from) {
        int start = readme.indexOf("```" + fence + "\n", from);
        assertTrue(start >= 0, "README has no ```" + fence + " block after the tour heading");
        int bodyStart = start + fence.length() + 4;
        int end = readme.indexOf("```", bodyStart);
        return readme.substring(bodyStart, end);
    }

    @Test
    void tourCompilesRunsAndPrintsWhatTheReadmeSays(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int tour = readme.indexOf("## A short tour");
        assertTrue(tour >= 0, "README lost its tour section");
        String code = block(readme, "java", tour);
        String expected = block(readme, "text", readme.indexOf("```java", tour));

        List<String> imports = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        for (String line : code.split("\n", -1)) {
            if (line.startsWith("import ")) {
                imports.add(line);
            } else {
                body.append("        ").append(line).append('\n');
            }
        }
        String source = String.join("\n", imports) + "\n\npublic class Tour {\n"
                + "    public static void main(String[] args) throws Exception {\n" + body + "    }\n}\n";
        Path src = tmp.resolve("Tour.java");
        Files.writeString(src, source);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, diagnostics, diagnostics, "-d", tmp.toString(),
                "-cp", System.getProperty("java.class.path"), src.toString());
        assertEquals(0, rc, "README tour does not compile:\n" + diagnostics + "\n" + source);

        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {tmp.toUri().toURL()}, getClass().getClassLoader());
             PrintStream ps = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            System.setOut(ps);
            Method main = loader.loadClass("Tour").getMethod("main", String[].class);
            main.invoke(null, (Object) new String[0]);
        } catch (IOException e) {
            throw new AssertionError(e);
        } finally {
            System.setOut(saved);
        }
        assertEquals(expected, captured.toString(StandardCharsets.UTF_8).replace("\r\n", "\n"),
                "README tour output differs from the README");
    }
}
