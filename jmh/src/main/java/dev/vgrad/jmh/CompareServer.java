package dev.vgrad.jmh;

import dev.vgrad.core.Vgrad;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The vgrad side of {@code bench/compare.py}: a long-lived process that reads commands on stdin and answers one
 * JSON line per command on stdout, so the driver can interleave vgrad and PyTorch measurements workload by
 * workload while both processes stay warm. Its twin is {@code bench/torch_bench.py --serve}.
 *
 * <pre>
 * info                         → {"jdk": ..., "vm": ..., "simd": true, "cpus": 2}
 * run NAME THREADS MIN_MS      → {"name": NAME, "threads": T, "sec_per_op": s, "iters": i, "work": w, "unit": u}
 *                                 or {"name": NAME, "error": "..."}
 * quit
 * </pre>
 * The first {@code run} of a workload warms it up first: 500 ms batches until two in a row agree within 10%
 * (at least 2 s, at most 15 s), because C2 finishes compiling a whole training step only after several seconds on
 * two cores and a shorter warm-up left the first measured round 5-20x slow. A run then
 * repeats the operation until MIN_MS elapsed and reports the mean time per operation of that batch.
 */
public final class CompareServer {
    private CompareServer() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--list")) {
            StringBuilder b = new StringBuilder("[");
            for (String n : Workloads.names()) {
                b.append(b.length() > 1 ? ", " : "").append(q(n));
            }
            System.out.println(b.append(']'));
            return;
        }
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        System.setOut(new PrintStream(System.err, true, StandardCharsets.UTF_8)); // stray prints go to stderr
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Map<String, Workload> cache = new HashMap<>();
        Map<String, String> failed = new HashMap<>();
        String line;
        while ((line = in.readLine()) != null) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 0 || f[0].isEmpty()) {
                continue;
            }
            switch (f[0]) {
                case "quit" -> {
                    return;
                }
                case "info" -> out.println("{\"jdk\": " + q(Runtime.version().toString()) + ", \"vm\": "
                        + q(System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"))
                        + ", \"simd\": " + Vgrad.simdEnabled() + ", \"cpus\": "
                        + Runtime.getRuntime().availableProcessors() + ", \"args\": "
                        + q(String.join(" ", java.lang.management.ManagementFactory.getRuntimeMXBean()
                        .getInputArguments())) + "}");
                case "run" -> {
                    String name = f[1];
                    int threads = Integer.parseInt(f[2]);
                    double minMs = Double.parseDouble(f[3]);
                    try {
                        if (failed.containsKey(name)) {
                            throw new IllegalStateException(failed.get(name));
                        }
                        Vgrad.setNumThreads(threads);
                        Workload w = cache.get(name);
                        if (w == null) {
                            try {
                                w = Workloads.create(name);
                            } catch (RuntimeException | LinkageError e) {
                                failed.put(name, e.toString());
                                throw e;
                            }
                            cache.put(name, w);
                            warmUp(w);
                        }
                        long[] r = measure(w, minMs, 1);
                        out.println("{\"name\": " + q(name) + ", \"threads\": " + threads + ", \"sec_per_op\": "
                                + (r[0] / 1e9 / r[1]) + ", \"iters\": " + r[1] + ", \"work\": " + w.work()
                                + ", \"unit\": " + q(w.unit()) + "}");
                    } catch (RuntimeException | Error e) {
                        out.println("{\"name\": " + q(name) + ", \"error\": " + q(String.valueOf(e)) + "}");
                    }
                }
                default -> out.println("{\"error\": " + q("unknown command " + line) + "}");
            }
        }
    }

    static volatile Object sink;

    /** Repeats 500 ms batches until two consecutive batch means agree within 10% (2 s to 15 s in total). */
    static void warmUp(Workload w) {
        long start = System.nanoTime();
        double prev = Double.NaN;
        while (true) {
            long[] r = measure(w, 500, 5);
            double mean = (double) r[0] / r[1];
            double spent = (System.nanoTime() - start) / 1e9;
            if (spent >= 15 || (spent >= 2 && Math.abs(mean - prev) <= 0.1 * Math.min(mean, prev))) {
                return;
            }
            prev = mean;
        }
    }

    /** Runs until {@code minMs} elapsed and at least {@code minIters} runs; returns {elapsed ns, runs}. */
    static long[] measure(Workload w, double minMs, int minIters) {
        long start = System.nanoTime();
        long deadline = start + (long) (minMs * 1e6);
        long iters = 0;
        long now;
        do {
            sink = w.run();
            iters++;
            now = System.nanoTime();
        } while (now < deadline || iters < minIters);
        return new long[] {now - start, iters};
    }

    static String q(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
