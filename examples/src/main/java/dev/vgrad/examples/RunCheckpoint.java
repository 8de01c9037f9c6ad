package dev.vgrad.examples;

import dev.vgrad.core.Generator;
import dev.vgrad.nn.Module;
import dev.vgrad.optim.Checkpoint;
import dev.vgrad.optim.LRScheduler;
import dev.vgrad.optim.Optimizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files of a run directory ({@code --out}), rewritten after every epoch:
 * <ul>
 *   <li>{@code checkpoint.safetensors}: model, optimizer and scheduler state (optim's {@link Checkpoint}) plus
 *       the run's configuration, the last finished epoch and the states of the noise and shuffling generators as
 *       user metadata: everything {@code --resume} needs;</li>
 *   <li>{@code model.safetensors}: the model's state dict alone (parameters and BatchNorm buffers), loadable with
 *       {@code Module.load} or PyTorch's {@code safetensors} package;</li>
 *   <li>{@code metrics.csv}: per-epoch train loss, test loss and test accuracy;</li>
 *   <li>{@code plot.png}: train and test loss and test accuracy per epoch ({@link TrainingChart}).</li>
 * </ul>
 * The checkpoint is written last, so a run directory is always resumable from its last complete epoch.
 */
final class RunCheckpoint {
    static final String CHECKPOINT = "checkpoint.safetensors";
    static final String MODEL = "model.safetensors";
    static final String METRICS = "metrics.csv";
    static final String PLOT = "plot.png";

    private final Path dir;

    RunCheckpoint(Path dir) {
        this.dir = dir;
    }

    void save(String identity, int epoch, Module model, Optimizer opt, LRScheduler sched, List<Generator> gens,
              List<Trainer.EpochResult> history, String plotTitle) {
        try {
            Files.createDirectories(dir);
            model.save(dir.resolve(MODEL));
            StringBuilder csv = new StringBuilder(Trainer.CSV_HEADER).append('\n');
            for (Trainer.EpochResult r : history) {
                csv.append(r.csv()).append('\n');
            }
            writeAtomically(dir.resolve(METRICS), csv.toString().getBytes(StandardCharsets.UTF_8));
            Path plot = dir.resolve(PLOT + ".tmp");
            TrainingChart.write(plot, plotTitle, history);
            Files.move(plot, dir.resolve(PLOT), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Map<String, String> user = new LinkedHashMap<>();
            user.put("config", identity);
            user.put("epoch", Integer.toString(epoch));
            for (int i = 0; i < gens.size(); i++) {
                StringBuilder sb = new StringBuilder();
                for (long v : gens.get(i).getState()) {
                    sb.append(sb.isEmpty() ? "" : ",").append(v);
                }
                user.put("generator." + i, sb.toString());
            }
            Checkpoint.save(dir.resolve(CHECKPOINT), model, opt, sched, user);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Restores everything saved by {@link #save}; returns the last finished epoch. */
    int restore(String identity, Module model, Optimizer opt, LRScheduler sched, List<Generator> gens,
                List<Trainer.EpochResult> history) {
        Path ckpt = dir.resolve(CHECKPOINT);
        if (!Files.isRegularFile(ckpt)) {
            throw new IllegalArgumentException("--resume: no checkpoint in " + dir + " (" + CHECKPOINT + " is missing)");
        }
        try {
            Map<String, String> user;
            try {
                user = Checkpoint.load(ckpt, model, opt, sched);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new IllegalArgumentException("--resume: the checkpoint in " + dir + " does not fit this run ("
                        + e.getMessage() + "); use the same program and options", e);
            }
            String saved = user.get("config");
            if (!identity.equals(saved)) {
                throw new IllegalArgumentException("--resume: the checkpoint in " + dir + " is from a different run "
                        + "configuration:\n  saved:   " + saved + "\n  current: " + identity
                        + "\n(use the same program, --epochs, --batch-size, --lr, --seed, ...)");
            }
            int epoch = Integer.parseInt(user.get("epoch"));
            for (int i = 0; i < gens.size(); i++) {
                String[] f = user.get("generator." + i).split(",");
                long[] s = new long[f.length];
                for (int k = 0; k < f.length; k++) {
                    s[k] = Long.parseLong(f[k]);
                }
                gens.get(i).setState(s);
            }
            List<String> lines = Files.readAllLines(dir.resolve(METRICS), StandardCharsets.UTF_8);
            List<Trainer.EpochResult> rows = new ArrayList<>();
            for (String line : lines.subList(1, lines.size())) {
                if (!line.isBlank()) {
                    rows.add(Trainer.EpochResult.parseCsv(line));
                }
            }
            if (rows.size() < epoch) {
                throw new IllegalArgumentException("--resume: " + METRICS + " in " + dir + " has " + rows.size()
                        + " epochs but the checkpoint is at epoch " + epoch);
            }
            history.addAll(rows.subList(0, epoch));
            return epoch;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint from " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
