package dev.vgrad.examples;

import java.io.PrintStream;

/**
 * A one-line progress bar redrawn with carriage returns, shown only on an interactive terminal
 * ({@code System.console() != null}) so that logs written to files or pipes stay clean and reproducible.
 */
final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private final boolean enabled;
    private final String label;
    private final int total;
    private final long startNanos = System.nanoTime();
    private long lastDraw;
    private int lastLength;

    ProgressBar(PrintStream out, boolean enabled, String label, int total) {
        this.out = out;
        this.enabled = enabled && total > 0;
        this.label = label;
        this.total = total;
    }

    /** True when standard output is an interactive terminal. */
    static boolean terminal() {
        return System.console() != null;
    }

    /** Shows {@code done} of {@code total} steps with a status such as the running loss (throttled to 10 Hz). */
    void update(int done, String status) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        int filled = (int) ((long) WIDTH * done / total);
        double secs = (now - startNanos) / 1e9;
        double eta = done == 0 ? 0 : secs * (total - done) / done;
        String line = String.format("%s [%s%s] %d/%d %s  %.0fs<%.0fs", label, "=".repeat(filled),
                " ".repeat(WIDTH - filled), done, total, status, secs, eta);
        out.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
        out.flush();
        lastLength = line.length();
    }

    /** Erases the bar so the next line starts clean. */
    void clear() {
        if (enabled && lastLength > 0) {
            out.print("\r" + " ".repeat(lastLength) + "\r");
            out.flush();
            lastLength = 0;
        }
    }
}
