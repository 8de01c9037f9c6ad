package dev.vgrad.optim;

import dev.vgrad.core.Tensor;
import dev.vgrad.core.io.Json;
import dev.vgrad.nn.Module;
import dev.vgrad.nn.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One-file training checkpoints: the model's state dict, the optimizer's state and the scheduler's state in a
 * single safetensors file.
 *
 * <p>Layout: model tensors under {@code model.<name>}, optimizer state tensors under
 * {@code optim.state.<index>.<key>}; in {@code __metadata__}: {@code format = vgrad-checkpoint},
 * {@code checkpoint_version = 1}, {@code optimizer} (JSON: type, {@code param_groups}, the non-tensor state such as
 * {@code step}), {@code scheduler} (JSON of {@link LRScheduler#stateDict()}), and user entries under
 * {@code user.<key>}. Doubles are written in their shortest round-tripping form, so a save/load cycle is exact and
 * resumed training is bit-identical to uninterrupted training.
 *
 * <p>The file is written to a temporary file in the same directory and renamed over the target. Loading validates
 * the model, optimizer and scheduler parts before changing any of them, so a failed load leaves all three untouched.
 *
 * <pre>{@code
 * Checkpoint.save(path, model, optimizer, scheduler, Map.of("epoch", "7"));
 * // later, in a fresh process: build model, optimizer and scheduler exactly as before, then
 * Map<String, String> user = Checkpoint.load(path, model, optimizer, scheduler);
 * }</pre>
 */
public final class Checkpoint {
    static final String FORMAT = "vgrad-checkpoint";
    private static final String MODEL = "model.";
    private static final String OPTIM = "optim.state.";
    private static final String USER = "user.";

    private Checkpoint() {
    }

    /**
     * {@link #save(Path, Module, Optimizer, LRScheduler, Map)} without user metadata.
     *
     * @param path      the file to write (replaced atomically if it exists)
     * @param model     the model whose state dict is saved, or null
     * @param optimizer the optimizer whose state is saved, or null
     * @param scheduler the scheduler whose state is saved, or null
     * @throws IOException when the file cannot be written
     */
    public static void save(Path path, Module model, Optimizer optimizer, LRScheduler scheduler) throws IOException {
        save(path, model, optimizer, scheduler, Map.of());
    }

    /**
     * Writes one checkpoint file. Any of {@code model}, {@code optimizer}, {@code scheduler} may be null (that part is
     * not written). {@code userMetadata} (e.g. {@code epoch}) is stored as strings and returned by {@link #load}.
     *
     * @param path         the file to write (replaced atomically if it exists)
     * @param model        the model whose state dict is saved, or null
     * @param optimizer    the optimizer whose state is saved, or null
     * @param scheduler    the scheduler whose state is saved, or null
     * @param userMetadata free-form string entries stored under {@code user.<key>}, or null
     * @throws IOException when the file cannot be written
     */
    @SuppressWarnings("unchecked")
    public static void save(Path path, Module model, Optimizer optimizer, LRScheduler scheduler,
                            Map<String, String> userMetadata) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("checkpoint_version", "1");
        if (model != null) {
            for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
                tensors.put(MODEL + e.getKey(), e.getValue());
            }
        }
        if (optimizer != null) {
            Map<String, Object> sd = optimizer.stateDict();
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("type", optimizer.getClass().getSimpleName());
            json.put("param_groups", sd.get("param_groups"));
            Map<String, Object> scalars = new LinkedHashMap<>();
            for (Map.Entry<Integer, Map<String, Object>> e : ((Map<Integer, Map<String, Object>>) sd.get("state"))
                    .entrySet()) {
                Map<String, Object> s = new LinkedHashMap<>();
                List<String> tensorKeys = new ArrayList<>();
                for (Map.Entry<String, Object> kv : e.getValue().entrySet()) {
                    if (kv.getValue() instanceof Tensor t) {
                        tensors.put(OPTIM + e.getKey() + "." + kv.getKey(), t);
                        tensorKeys.add(kv.getKey());
                    } else {
                        s.put(kv.getKey(), kv.getValue());
                    }
                }
                s.put("__tensors__", tensorKeys);
                scalars.put(Integer.toString(e.getKey()), s);
            }
            json.put("state", scalars);
            meta.put("optimizer", Json.write(json));
        }
        if (scheduler != null) {
            meta.put("scheduler", Json.write(scheduler.stateDict()));
        }
        if (userMetadata != null) {
            for (Map.Entry<String, String> e : userMetadata.entrySet()) {
                meta.put(USER + e.getKey(), e.getValue());
            }
        }
        SafeTensors.save(path, tensors, meta);
    }

    /**
     * Loads a checkpoint into already constructed objects (build them as for a fresh run: the scheduler's
     * construction-time step is overwritten by the loaded state). Pass null for parts to skip. Returns the user
     * metadata.
     *
     * @param path      the checkpoint file written by {@link #save}
     * @param model     the model to load the saved state dict into (strictly), or null to skip
     * @param optimizer the optimizer to load the saved state into (same type and group layout), or null to skip
     * @param scheduler the scheduler to load the saved state into (same type), or null to skip
     * @return a new map of the user metadata, keys without the {@code user.} prefix
     * @throws IOException              when the file cannot be read
     * @throws IllegalArgumentException when the file is not a vgrad checkpoint, lacks a requested part, or a part
     *                                  does not fit (nothing is modified then)
     * @throws IllegalStateException    when the model's state dict does not match (nn's strict-load error; nothing
     *                                  is modified then)
     */
    @SuppressWarnings("unchecked")
    public static Map<String, String> load(Path path, Module model, Optimizer optimizer, LRScheduler scheduler)
            throws IOException {
        SafeTensors.Loaded loaded = SafeTensors.load(path);
        Map<String, String> meta = loaded.metadata();
        if (!FORMAT.equals(meta.get("format"))) {
            throw new IllegalArgumentException(path + " is not a vgrad checkpoint (format " + meta.get("format") + ")");
        }
        Runnable applyOptim = null;
        Runnable applySched = null;
        if (optimizer != null) {
            String js = meta.get("optimizer");
            if (js == null) {
                throw new IllegalArgumentException("checkpoint " + path + " has no optimizer state");
            }
            Map<String, Object> json = parseObject(js, "optimizer", path);
            String type = String.valueOf(json.get("type"));
            if (!optimizer.getClass().getSimpleName().equals(type)) {
                throw new IllegalArgumentException("checkpoint holds " + type + " state, not "
                        + optimizer.getClass().getSimpleName());
            }
            Map<String, Object> state = new LinkedHashMap<>();
            Object stNode = json.get("state");
            if (!(stNode instanceof Map<?, ?> st)) {
                throw new IllegalArgumentException("checkpoint optimizer state is malformed");
            }
            for (Map.Entry<?, ?> e : st.entrySet()) {
                if (!(e.getValue() instanceof Map<?, ?> entry)) {
                    throw new IllegalArgumentException("checkpoint optimizer state is malformed");
                }
                Map<String, Object> s = new LinkedHashMap<>();
                for (Map.Entry<?, ?> kv : entry.entrySet()) {
                    if (!"__tensors__".equals(kv.getKey())) {
                        s.put(String.valueOf(kv.getKey()), kv.getValue());
                    }
                }
                if (entry.get("__tensors__") instanceof List<?> keys) {
                    for (Object k : keys) {
                        String name = OPTIM + e.getKey() + "." + k;
                        Tensor t = loaded.tensors().get(name);
                        if (t == null) {
                            throw new IllegalArgumentException("checkpoint is missing tensor " + name);
                        }
                        s.put(String.valueOf(k), t);
                    }
                }
                state.put(String.valueOf(e.getKey()), s);
            }
            Map<String, Object> sd = new LinkedHashMap<>();
            sd.put("state", state);
            sd.put("param_groups", json.get("param_groups"));
            applyOptim = optimizer.prepareLoad(sd);
        }
        if (scheduler != null) {
            String js = meta.get("scheduler");
            if (js == null) {
                throw new IllegalArgumentException("checkpoint " + path + " has no scheduler state");
            }
            applySched = scheduler.prepareLoad(parseObject(js, "scheduler", path));
        }
        if (model != null) {
            Map<String, Tensor> ms = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : loaded.tensors().entrySet()) {
                if (e.getKey().startsWith(MODEL)) {
                    ms.put(e.getKey().substring(MODEL.length()), e.getValue());
                }
            }
            model.loadStateDict(ms, true); // validates everything before copying
        }
        if (applyOptim != null) {
            applyOptim.run();
        }
        if (applySched != null) {
            applySched.run();
        }
        Map<String, String> user = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : meta.entrySet()) {
            if (e.getKey().startsWith(USER)) {
                user.put(e.getKey().substring(USER.length()), e.getValue());
            }
        }
        return user;
    }

    /** The JSON object stored under metadata key {@code what}, or an IllegalArgumentException naming the file. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> parseObject(String js, String what, Path path) {
        Object o;
        try {
            o = Json.parse(js);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("checkpoint " + path + ": " + what + " state is not valid JSON: "
                    + e.getMessage(), e);
        }
        if (!(o instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("checkpoint " + path + ": " + what + " state must be a JSON object");
        }
        return (Map<String, Object>) o;
    }
}
