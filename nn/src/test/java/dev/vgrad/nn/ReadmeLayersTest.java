package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles and runs the README's layer examples: the user-defined module under "## Modules" (as the body of a
 * main method, its output compared with the README's text block) and the {@code ModuleChecks} property under
 * "## Testing your own layers" (as the JUnit class it is; every {@code @Test} method is run). Javac is reached
 * through {@link ToolProvider} because nn's tests are compiled into the {@code dev.vgrad.nn} module, which does
 * not read {@code java.compiler}.
 */
class ReadmeLayersTest {

    private static String readmeBlock(String heading, String fence) throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int section = readme.indexOf("\n" + heading + "\n");
        assertTrue(section >= 0, "README lost its section " + heading);
        int start = readme.indexOf("```" + fence + "\n", section);
        int next = readme.indexOf("\n## ", section + 1);
        assertTrue(start >= 0 && (next < 0 || start < next), "README section " + heading + " has no ```" + fence + " block");
        int bodyStart = start + fence.length() + 4;
        return readme.substring(bodyStart, readme.indexOf("```", bodyStart));
    }

    private static ClassLoader compile(Path dir, String className, String source) throws Exception {
        Path src = dir.resolve(className + ".java");
        Files.writeString(src, source);
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(diagnostics, true, StandardCharsets.UTF_8);
        int rc = ToolProvider.findFirst("javac").orElseThrow().run(ps, ps, "-d", dir.toString(),
                "-cp", System.getProperty("java.class.path"), src.toString());
        assertEquals(0, rc, "README snippet does not compile:\n" + diagnostics.toString(StandardCharsets.UTF_8)
                + "\n" + source);
        return new URLClassLoader(new URL[] {dir.toUri().toURL()}, ReadmeLayersTest.class.getClassLoader());
    }

    @Test
    void aUserDefinedModuleWithChildFieldsCompilesRunsAndPrintsWhatTheReadmeSays(@TempDir Path tmp) throws Exception {
        String code = readmeBlock("## Modules", "java");
        String expected = readmeBlock("## Modules", "text");
        List<String> imports = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        for (String line : code.split("\n", -1)) {
            if (line.startsWith("import ")) {
                imports.add(line);
            } else {
                body.append("        ").append(line).append('\n');
            }
        }
        String source = String.join("\n", imports) + "\n\npublic class ReadmeModules {\n"
                + "    public static void main(String[] args) throws Exception {\n" + body + "    }\n}\n";
        ClassLoader loader = compile(tmp, "ReadmeModules", source);
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            System.setOut(ps);
            Method main = loader.loadClass("ReadmeModules").getMethod("main", String[].class);
            main.invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(saved);
        }
        assertEquals(expected, captured.toString(StandardCharsets.UTF_8).replace("\r\n", "\n"),
                "README section ## Modules: output differs from the README");
    }

    @Test
    void theModuleChecksPropertyCompilesAndPasses(@TempDir Path tmp) throws Exception {
        String code = readmeBlock("## Testing your own layers", "java");
        ClassLoader loader = compile(tmp, "GatedTest", code);
        Class<?> test = loader.loadClass("GatedTest");
        var ctor = test.getDeclaredConstructor();
        ctor.setAccessible(true);
        int ran = 0;
        for (Method m : test.getDeclaredMethods()) {
            if (m.isAnnotationPresent(Test.class)) {
                m.setAccessible(true);
                try {
                    m.invoke(ctor.newInstance());
                } catch (InvocationTargetException e) {
                    throw new AssertionError("README's " + m.getName() + " failed", e.getCause());
                }
                ran++;
            }
        }
        assertEquals(1, ran, "the README's test class has one @Test method");
    }
}
