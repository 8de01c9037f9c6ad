package dev.vgrad.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Formats where a node was created in the forward pass (anomaly detection): the stack frames of the caller's code,
 * skipping the frames inside vgrad itself, so the message points at the user's line.
 */
final class Anomaly {
    private Anomaly() {}

    private static final Set<String> LIBRARY_PACKAGES = Set.of("dev.vgrad.core", "dev.vgrad.core.kernel",
            "dev.vgrad.nn", "dev.vgrad.optim");
    private static final int MAX_FRAMES = 8;

    /** "\nThe node was created in the forward pass at:\n\tat …" (user frames first), or "" without a record. */
    static String creationText(Node node) {
        Throwable t = node.creation;
        if (t == null) {
            return " (enable Grad.detectAnomaly() before the forward pass to see where it was created)";
        }
        List<StackTraceElement> user = userFrames(t.getStackTrace());
        StringBuilder sb = new StringBuilder("\nTraceback of forward call that caused the error (").append(node.name())
                .append(" created at):");
        int n = 0;
        for (StackTraceElement e : user) {
            if (n++ == MAX_FRAMES) {
                sb.append("\n\t... (full trace in the cause)");
                break;
            }
            sb.append("\n\tat ").append(e);
        }
        return sb.toString();
    }

    /** The frames after the leading run of library frames (Node's constructor, the op, Tensor's method, nn layers). */
    static List<StackTraceElement> userFrames(StackTraceElement[] frames) {
        int i = 0;
        while (i < frames.length && isLibrary(frames[i])) {
            i++;
        }
        List<StackTraceElement> out = new ArrayList<>();
        for (int k = i; k < frames.length; k++) {
            String c = frames[k].getClassName();
            if (c.startsWith("org.junit.") || c.startsWith("jdk.internal.reflect.")) {
                break;
            }
            out.add(frames[k]);
        }
        if (out.isEmpty()) {
            out.addAll(List.of(frames).subList(0, Math.min(frames.length, MAX_FRAMES)));
        }
        return out;
    }

    private static boolean isLibrary(StackTraceElement e) {
        String cls = e.getClassName();
        int dot = cls.lastIndexOf('.');
        String pkg = dot < 0 ? "" : cls.substring(0, dot);
        if (!LIBRARY_PACKAGES.contains(pkg)) {
            return false;
        }
        // user code (e.g. tests) may live in the same packages: library classes come from the library's own
        // code location, not from a test-classes directory
        try {
            Class<?> c = Class.forName(cls, false, Anomaly.class.getClassLoader());
            var src = c.getProtectionDomain().getCodeSource();
            return src == null || !String.valueOf(src.getLocation()).contains("test-classes");
        } catch (ClassNotFoundException | SecurityException | LinkageError ex) {
            return true;
        }
    }
}
