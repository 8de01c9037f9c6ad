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
 * Compiles the README's tour (its first {@code java} block after "A short tour") and its custom-op example
 * (after "Writing your own op") as the body of a main method, runs each, and compares what it prints with the
 * README's {@code text} block that follows.
 */
class ReadmeTourTest {

    private static String block(String readme, String fence, int from) {
        int start = readme.indexOf("```" + fence + "\n", from);
        assertTrue(start >= 0, "README has no ```" + fence + " block after the section heading");
        int bodyStart = start + fence.length() + 4;
        int end = readme.indexOf("```", bodyStart);
        return readme.substring(bodyStart, end);
    }

    @Test
    void tourCompilesRunsAndPrintsWhatTheReadmeSays(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        checkSection(tmp, "## A short tour", "Tour");
    }

    /** The custom-op example (a {@code Function} subclass declared as a local class of main). */
    @Test
    void writingYourOwnOpCompilesRunsAndPrintsWhatTheReadmeSays(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        checkSection(tmp, "## Writing your own op", "OwnOp");
    }

    /**
     * Compiles the first {@code java} block after {@code heading} as the body of {@code className}'s main method,
     * runs it and compares what it prints with the {@code text} block that follows.
     */
    private void checkSection(Path tmp, String heading, String className) throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int section = readme.indexOf(heading);
        assertTrue(section >= 0, "README lost its section " + heading);
        String code = block(readme, "java", section);
        String expected = block(readme, "text", readme.indexOf("```java", section));

        List<String> imports = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        for (String line : code.split("\n", -1)) {
            if (line.startsWith("import ")) {
                imports.add(line);
            } else {
                body.append("        ").append(line).append('\n');
            }
        }
        String source = String.join("\n", imports) + "\n\npublic class " + className + " {\n"
                + "    public static void main(String[] args) throws Exception {\n" + body + "    }\n}\n";
        Path src = tmp.resolve(className + ".java");
        Files.writeString(src, source);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, diagnostics, diagnostics, "-d", tmp.toString(),
                "-cp", System.getProperty("java.class.path"), src.toString());
        assertEquals(0, rc, "README section " + heading + " does not compile:\n" + diagnostics + "\n" + source);

        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {tmp.toUri().toURL()}, getClass().getClassLoader());
             PrintStream ps = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            System.setOut(ps);
            Method main = loader.loadClass(className).getMethod("main", String[].class);
            main.invoke(null, (Object) new String[0]);
        } catch (IOException e) {
            throw new AssertionError(e);
        } finally {
            System.setOut(saved);
        }
        assertEquals(expected, captured.toString(StandardCharsets.UTF_8).replace("\r\n", "\n"),
                "README section " + heading + ": output differs from the README");
    }
}
