package dev.vgrad.nn;

import dev.vgrad.core.internal.GradBuffers;
import dev.vgrad.core.DType;
import dev.vgrad.core.Grad;
import dev.vgrad.core.RemovableHandle;
import dev.vgrad.core.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Base class of every layer, shaped after {@code torch.nn.Module} (docs/SEMANTICS.md §1).
 *
 * <p>A module owns parameters, buffers and child modules, each kept in registration order under a name;
 * {@link #namedParameters()}, {@link #namedBuffers()} and {@link #stateDict()} use PyTorch's dotted names
 * ({@code features.0.weight}, {@code bn1.running_mean}). A parameter is a leaf {@link Tensor} with
 * {@code requiresGrad() == true} (see {@link Parameter}).
 *
 * <p>Every module has its own {@code training} flag, {@code true} after construction; {@link #train(boolean)}
 * sets it on this module and recursively on its children; {@link #eval()} is {@code train(false)}. Module mode
 * and grad mode ({@link Grad}) are independent.
 *
 * <p>A layer of your own registers its children by name and may keep them in fields, as a PyTorch module
 * assigns {@code self.fc1 = nn.Linear(4, 8)}; {@link #registerModule} returns its argument for that:
 * <pre>{@code
 * class TwoLayer extends Module {
 *     final Linear fc1 = registerModule("fc1", new Linear(4, 8));
 *     final Linear fc2 = registerModule("fc2", new Linear(8, 2));
 *
 *     public Tensor forward(Tensor x) {
 *         return fc2.call(fc1.call(x).relu());
 *     }
 * }
 * }</pre>
 * {@code parameters()}, {@code stateDict()} ({@code fc1.weight}, …), {@code train}/{@code eval} and
 * {@code toString()} then see both layers. {@code dev.vgrad.nn.testing.ModuleChecks} checks such a layer
 * against the module laws (docs/SEMANTICS.md §16). Import this class by name ({@code import dev.vgrad.nn.Module;}):
 * with only {@code import dev.vgrad.nn.*;} the simple name {@code Module} is ambiguous with {@code java.lang.Module}.
 *
 * <p>Parameters, unlike children, are looked up by name ({@link #param(String)}) rather than cached in fields,
 * because {@link #registerParameter} may replace them and {@link #to(DType)} replaces buffers.
 */
public abstract class Module {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Set<String> nonPersistent = new LinkedHashSet<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    /** Whether the module is in training mode; true after construction. */
    protected boolean training = true;
    /** Hooks, created on first registration (most modules never have any). */
    private volatile ModuleHooks hooks;

    /** Creates a module in training mode with no parameters, buffers, children or hooks. */
    protected Module() {}

    /**
     * Computes the module's output.
     *
     * @param input the module's input; each subclass documents the shape it accepts
     * @return the module's output, normally a new tensor recorded for autograd
     */
    public abstract Tensor forward(Tensor input);

    /**
     * Runs the module as PyTorch's {@code module(x)} does: forward pre-hooks, {@link #forward(Tensor)}, forward
     * hooks, and the set-up of full backward hooks (docs/SEMANTICS.md §1.8). Calling {@code forward} directly
     * skips the hooks, as {@code module.forward(x)} does in PyTorch.
     *
     * @param input the module's input, non-null
     * @return the output of {@link #forward(Tensor)}, or a forward hook's replacement
     * @throws IllegalArgumentException when {@code input} is null
     */
    public final Tensor call(Tensor input) {
        Check.nonNull(typeName() + ".forward", "input", input);
        ModuleHooks h = hooks;
        return h == null || h.isEmpty() ? forward(input) : h.call(this, input);
    }

    // ------------------------------------------------------------------ hooks

    /** Called before {@code forward}; returns a replacement input, or null to keep it. */
    @FunctionalInterface
    public interface ForwardPreHook {
        /**
         * Runs the hook.
         *
         * @param module the module being called
         * @param input the input passed to {@link Module#call(Tensor)}
         * @return the input to use instead, or null to keep {@code input}
         */
        Tensor apply(Module module, Tensor input);
    }

    /** Called after {@code forward}; returns a replacement output, or null to keep it. */
    @FunctionalInterface
    public interface ForwardHook {
        /**
         * Runs the hook.
         *
         * @param module the module being called
         * @param input the input that was passed to {@code forward}
         * @param output the output of {@code forward}
         * @return the output to return instead, or null to keep {@code output}
         */
        Tensor apply(Module module, Tensor input, Tensor output);
    }

    /**
     * Called during backward with the gradient of the module's input (null when the input does not require grad)
     * and of its output; returns a replacement input gradient of the same shape, or null to keep it.
     */
    @FunctionalInterface
    public interface BackwardHook {
        /**
         * Runs the hook.
         *
         * @param module the module the gradients belong to
         * @param gradInput gradient with respect to the module's input, or null when the input does not require grad
         * @param gradOutput gradient with respect to the module's output
         * @return a gradient of {@code gradInput}'s shape to propagate instead, or null to keep it
         */
        Tensor apply(Module module, Tensor gradInput, Tensor gradOutput);
    }

    private ModuleHooks hooks() {
        ModuleHooks h = hooks;
        if (h == null) {
            synchronized (this) {
                if (hooks == null) {
                    hooks = new ModuleHooks();
                }
                h = hooks;
            }
        }
        return h;
    }

    /**
     * Registers a hook run before every {@link #call} ({@code register_forward_pre_hook}).
     *
     * @param hook the hook, run in registration order
     * @return a handle whose {@code remove()} unregisters the hook
     */
    public final RemovableHandle registerForwardPreHook(ForwardPreHook hook) {
        ModuleHooks h = hooks();
        return h.add(h.pre, hook, "registerForwardPreHook");
    }

    /**
     * Registers a hook run after every {@link #call}'s forward ({@code register_forward_hook}).
     *
     * @param hook the hook, run in registration order
     * @return a handle whose {@code remove()} unregisters the hook
     */
    public final RemovableHandle registerForwardHook(ForwardHook hook) {
        ModuleHooks h = hooks();
        return h.add(h.post, hook, "registerForwardHook");
    }

    /**
     * Registers a hook called with the gradients of the module's input and output in every backward pass through
     * a {@link #call} made while it is registered ({@code register_full_backward_hook}).
     *
     * @param hook the hook, run in registration order
     * @return a handle whose {@code remove()} unregisters the hook
     */
    public final RemovableHandle registerFullBackwardHook(BackwardHook hook) {
        ModuleHooks h = hooks();
        return h.add(h.backward, hook, "registerFullBackwardHook");
    }

    // ------------------------------------------------------------------ registration

    private void checkName(String kind, String name, boolean allowExistingOfKind) {
        if (name == null) {
            throw new IllegalArgumentException(kind + " name should be a string. Got null");
        }
        if (name.contains(".")) {
            throw new IllegalArgumentException(kind + " name can't contain \".\", got: " + name);
        }
        if (name.isEmpty()) {
            throw new IllegalArgumentException(kind + " name can't be empty string \"\"");
        }
        boolean clash = switch (kind) {
            case "parameter" -> buffers.containsKey(name) || children.containsKey(name);
            case "buffer" -> parameters.containsKey(name) || children.containsKey(name);
            default -> parameters.containsKey(name) || buffers.containsKey(name);
        };
        if (clash) {
            throw new IllegalArgumentException("attribute '" + name + "' already exists");
        }
    }

    /**
     * Registers (or replaces) parameter {@code name}. {@code param} may be null (an absent parameter, like
     * {@code bias=None}); otherwise it must be a floating-point leaf. Returns {@code param}.
     *
     * @param name attribute name: non-empty, no dot, not already a buffer or child
     * @param param a floating-point leaf tensor, or null for an absent parameter
     * @return {@code param}
     * @throws IllegalArgumentException for a bad or clashing name, a non-leaf or a non-floating tensor
     */
    public final Tensor registerParameter(String name, Tensor param) {
        checkName("parameter", name, true);
        if (param != null) {
            if (!param.isLeaf()) {
                throw new IllegalArgumentException("Cannot assign non-leaf Tensor to parameter '" + name + "'. Model "
                        + "parameters must be created explicitly. To express '" + name + "' as a function of another "
                        + "Tensor, compute the value in the forward() method.");
            }
            if (!param.dtype().isFloatingPoint()) {
                throw new IllegalArgumentException("parameter '" + name + "' must be a floating point tensor, got "
                        + param.dtype());
            }
        }
        parameters.put(name, param);
        return param;
    }

    /**
     * Registers (or replaces) a persistent buffer (part of the state dict); {@code buffer} may be null.
     *
     * @param name attribute name: non-empty, no dot, not already a parameter or child
     * @param buffer the buffer tensor (any dtype), or null for an absent buffer
     * @return {@code buffer}
     * @throws IllegalArgumentException for a bad or clashing name
     */
    public final Tensor registerBuffer(String name, Tensor buffer) {
        return registerBuffer(name, buffer, true);
    }

    /**
     * Registers (or replaces) a buffer; non-persistent buffers are left out of {@link #stateDict()}.
     *
     * @param name attribute name: non-empty, no dot, not already a parameter or child
     * @param buffer the buffer tensor (any dtype), or null for an absent buffer
     * @param persistent whether the buffer is saved in and loaded from the state dict
     * @return {@code buffer}
     * @throws IllegalArgumentException for a bad or clashing name
     */
    public final Tensor registerBuffer(String name, Tensor buffer, boolean persistent) {
        checkName("buffer", name, true);
        buffers.put(name, buffer);
        if (persistent) {
            nonPersistent.remove(name);
        } else {
            nonPersistent.add(name);
        }
        return buffer;
    }

    /**
     * Registers (or replaces) child module {@code name}; {@code module} may be null. Returns it.
     *
     * @param <M> the child's type, kept so the result can be stored in a typed field
     * @param name attribute name: non-empty, no dot, not already a parameter or buffer
     * @param module the child, or null for an absent child
     * @return {@code module}
     * @throws IllegalArgumentException when {@code module} is this module or one of its ancestors (the module
     *                                  tree would contain a cycle; PyTorch does not check and recurses forever)
     */
    public final <M extends Module> M registerModule(String name, M module) {
        checkName("module", name, true);
        if (module != null && ((Module) module).reaches(this)) {
            throw new IllegalArgumentException("cannot register module " + module.typeName() + " as a child of "
                    + typeName() + " (name '" + name + "'): it would create a cycle");
        }
        children.put(name, module);
        return module;
    }

    /** True when {@code target} is this module or one of its descendants (iterative: trees may be deep). */
    private boolean reaches(Module target) {
        IdentityHashMap<Module, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Module> todo = new ArrayDeque<>();
        todo.push(this);
        while (!todo.isEmpty()) {
            Module m = todo.pop();
            if (m == target) {
                return true;
            }
            if (seen.put(m, Boolean.TRUE) == null) {
                for (Module c : m.children.values()) {
                    if (c != null) {
                        todo.push(c);
                    }
                }
            }
        }
        return false;
    }

    /**
     * Alias of {@link #registerModule} ({@code add_module}).
     *
     * @param <M> the child's type
     * @param name attribute name: non-empty, no dot, not already a parameter or buffer
     * @param module the child, or null for an absent child
     * @return {@code module}
     */
    public final <M extends Module> M addModule(String name, M module) {
        return registerModule(name, module);
    }

    /**
     * The parameter registered as {@code name} (null when registered as absent); fails for unknown names.
     *
     * @param name the parameter's local (undotted) name, e.g. {@code "weight"}
     * @return the parameter itself (not a copy), or null
     * @throws IllegalArgumentException when no parameter has that name
     */
    public final Tensor param(String name) {
        if (!parameters.containsKey(name)) {
            throw new IllegalArgumentException("'" + typeName() + "' object has no parameter '" + name + "'");
        }
        return parameters.get(name);
    }

    /**
     * The buffer registered as {@code name} (null when registered as absent); fails for unknown names.
     *
     * @param name the buffer's local (undotted) name, e.g. {@code "running_mean"}
     * @return the buffer itself (not a copy), or null
     * @throws IllegalArgumentException when no buffer has that name
     */
    public final Tensor buffer(String name) {
        if (!buffers.containsKey(name)) {
            throw new IllegalArgumentException("'" + typeName() + "' object has no buffer '" + name + "'");
        }
        return buffers.get(name);
    }

    /**
     * The child registered as {@code name}; fails for unknown names.
     *
     * @param name the child's local name, e.g. {@code "0"} or {@code "fc1"}
     * @return the child module, or null when registered as absent
     * @throws IllegalArgumentException when no child has that name
     */
    public final Module child(String name) {
        if (!children.containsKey(name)) {
            throw new IllegalArgumentException("'" + typeName() + "' object has no submodule '" + name + "'");
        }
        return children.get(name);
    }

    /**
     * The submodule at a dotted path ({@code "features.0"}); {@code ""} is this module.
     *
     * @param target dotted path of child names
     * @return the submodule at that path
     * @throws IllegalArgumentException when a path element names no (non-null) child
     */
    public final Module getSubmodule(String target) {
        if (target.isEmpty()) {
            return this;
        }
        Module m = this;
        for (String part : target.split("\\.", -1)) {
            if (!m.children.containsKey(part) || m.children.get(part) == null) {
                throw new IllegalArgumentException(m.typeName() + " has no attribute `" + part + "`");
            }
            m = m.children.get(part);
        }
        return m;
    }

    // ------------------------------------------------------------------ traversal

    /**
     * Parameters of this module and all descendants, without duplicates, in registration order.
     *
     * @return a new list of the parameter tensors themselves (not copies)
     */
    public final List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /**
     * Parameters with dotted names ({@code "0.weight"}), without duplicates.
     *
     * @return a new insertion-ordered map from dotted name to parameter
     */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        IdentityHashMap<Tensor, Boolean> seen = new IdentityHashMap<>();
        for (Map.Entry<String, Module> e : namedModules().entrySet()) {
            String prefix = e.getKey().isEmpty() ? "" : e.getKey() + ".";
            for (Map.Entry<String, Tensor> p : e.getValue().parameters.entrySet()) {
                if (p.getValue() != null && seen.put(p.getValue(), Boolean.TRUE) == null) {
                    out.put(prefix + p.getKey(), p.getValue());
                }
            }
        }
        return out;
    }

    /**
     * Buffers of this module and all descendants, without duplicates.
     *
     * @return a new list of the buffer tensors themselves (not copies)
     */
    public final List<Tensor> buffers() {
        return new ArrayList<>(namedBuffers().values());
    }

    /**
     * Buffers with dotted names ({@code "1.running_mean"}).
     *
     * @return a new insertion-ordered map from dotted name to buffer
     */
    public final Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        IdentityHashMap<Tensor, Boolean> seen = new IdentityHashMap<>();
        for (Map.Entry<String, Module> e : namedModules().entrySet()) {
            String prefix = e.getKey().isEmpty() ? "" : e.getKey() + ".";
            for (Map.Entry<String, Tensor> b : e.getValue().buffers.entrySet()) {
                if (b.getValue() != null && seen.put(b.getValue(), Boolean.TRUE) == null) {
                    out.put(prefix + b.getKey(), b.getValue());
                }
            }
        }
        return out;
    }

    /**
     * Direct children in registration order.
     *
     * @return a new list of the non-null direct children
     */
    public final List<Module> children() {
        return new ArrayList<>(namedChildren().values());
    }

    /**
     * Direct children with their names (null children skipped).
     *
     * @return a new insertion-ordered map from local name to child
     */
    public final Map<String, Module> namedChildren() {
        Map<String, Module> out = new LinkedHashMap<>();
        IdentityHashMap<Module, Boolean> seen = new IdentityHashMap<>();
        for (Map.Entry<String, Module> e : children.entrySet()) {
            if (e.getValue() != null && seen.put(e.getValue(), Boolean.TRUE) == null) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /**
     * This module and all descendants, pre-order, without duplicates.
     *
     * @return a new list starting with this module
     */
    public final List<Module> modules() {
        return new ArrayList<>(namedModules().values());
    }

    /**
     * This module (name {@code ""}) and all descendants with dotted names, pre-order, without duplicates.
     *
     * @return a new insertion-ordered map from dotted name to module
     */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", new IdentityHashMap<>(), out);
        return out;
    }

    private void collectModules(String prefix, IdentityHashMap<Module, Boolean> seen, Map<String, Module> out) {
        if (seen.put(this, Boolean.TRUE) != null) {
            return;
        }
        out.put(prefix, this);
        for (Map.Entry<String, Module> e : children.entrySet()) {
            if (e.getValue() != null) {
                e.getValue().collectModules(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), seen, out);
            }
        }
    }

    /**
     * Applies {@code fn} to every child (recursively, children first) and then to this module; returns this.
     *
     * @param fn action run on each module, e.g. a custom initialisation
     * @return this module
     */
    public Module apply(Consumer<Module> fn) {
        for (Module c : children()) {
            c.apply(fn);
        }
        fn.accept(this);
        return this;
    }

    /**
     * Total number of parameter elements.
     *
     * @return the sum of {@code numel()} over {@link #parameters()}
     */
    public final long numParameters() {
        return numParameters(false);
    }

    /**
     * Number of parameter elements, only of parameters requiring grad when {@code trainableOnly}.
     *
     * @param trainableOnly count only parameters with {@code requiresGrad()}
     * @return the sum of {@code numel()} over the counted parameters
     */
    public final long numParameters(boolean trainableOnly) {
        long n = 0;
        for (Tensor p : parameters()) {
            if (!trainableOnly || p.requiresGrad()) {
                n += p.numel();
            }
        }
        return n;
    }

    // ------------------------------------------------------------------ mode

    /**
     * Sets training mode on this module and (recursively) its children; returns this.
     *
     * @param mode true for training mode, false for evaluation mode
     * @return this module
     */
    public Module train(boolean mode) {
        training = mode;
        for (Module c : children.values()) {
            if (c != null) {
                c.train(mode);
            }
        }
        return this;
    }

    /**
     * {@code train(mode)} for a boxed flag; null is rejected as PyTorch rejects non-booleans.
     *
     * @param mode true for training mode, false for evaluation mode; not null
     * @return this module
     * @throws IllegalArgumentException when {@code mode} is null
     */
    public final Module train(Boolean mode) {
        if (mode == null) {
            throw new IllegalArgumentException("training mode is expected to be boolean");
        }
        return train(mode.booleanValue());
    }

    /**
     * {@code train(true)}.
     *
     * @return this module
     */
    public final Module train() {
        return train(true);
    }

    /**
     * {@code train(false)}.
     *
     * @return this module
     */
    public final Module eval() {
        return train(false);
    }

    /**
     * This module's own training flag.
     *
     * @return true in training mode (PyTorch's {@code module.training})
     */
    public final boolean isTraining() {
        return training;
    }

    /** Sets every parameter's gradient to null (PyTorch 2.x {@code zero_grad(set_to_none=True)}). */
    public void zeroGrad() {
        zeroGrad(true);
    }

    /**
     * Sets the gradients to null, or to zeros when {@code setToNone} is false.
     *
     * @param setToNone null the gradients instead of filling them with zeros
     */
    public void zeroGrad(boolean setToNone) {
        for (Tensor p : parameters()) {
            if (setToNone) {
                // recycles the gradient's array when nothing outside vgrad saw it (docs/SEMANTICS.md §25)
                GradBuffers.release(p);
                continue;
            }
            Tensor g = GradBuffers.peek(p);
            if (g != null) {
                p.setGrad(g.zerosLike());
            }
        }
    }

    /**
     * Sets {@code requiresGrad} on every parameter; returns this.
     *
     * @param value whether autograd should record operations on the parameters
     * @return this module
     */
    public Module requiresGrad(boolean value) {
        for (Tensor p : parameters()) {
            p.requiresGrad(value);
        }
        return this;
    }

    // ------------------------------------------------------------------ dtype

    /**
     * Converts floating-point parameters and buffers of this module and its descendants to {@code dtype}
     * (PyTorch's {@code .double()} / {@code .float()}); integer buffers (e.g. {@code num_batches_tracked}) keep
     * their dtype. Parameters are converted in place ({@link Tensor#setData}): each keeps its identity,
     * {@code requiresGrad} flag and gradient (converted too), so an optimizer built earlier keeps training them
     * (docs/SEMANTICS.md §11). Buffers are replaced by converted copies, as in PyTorch. Every tensor is
     * converted before any is changed. Returns this.
     *
     * @param dtype a floating-point dtype
     * @return this module
     * @throws IllegalArgumentException for a non-floating dtype
     */
    public Module to(DType dtype) {
        Check.nonNull("nn.Module.to", "dtype", dtype);
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("nn.Module.to only accepts floating point dtypes, but got desired dtype="
                    + dtype);
        }
        List<Runnable> apply = new ArrayList<>();
        IdentityHashMap<Tensor, Boolean> seen = new IdentityHashMap<>();
        try (Grad.Scope off = Grad.disabled()) {
            for (Module m : modules()) {
                for (Map.Entry<String, Tensor> e : m.parameters.entrySet()) {
                    Tensor p = e.getValue();
                    if (p != null && p.dtype() != dtype && seen.put(p, Boolean.TRUE) == null) {
                        Tensor data = p.detach().to(dtype).cloneTensor();
                        Tensor grad = p.grad() == null ? null : p.grad().detach().to(dtype).cloneTensor();
                        apply.add(() -> {
                            p.setGrad(null);
                            p.setData(data);
                            p.setGrad(grad);
                        });
                    }
                }
                for (Map.Entry<String, Tensor> e : m.buffers.entrySet()) {
                    Tensor b = e.getValue();
                    if (b != null && b.dtype().isFloatingPoint() && b.dtype() != dtype) {
                        Tensor converted = b.detach().to(dtype).cloneTensor();
                        apply.add(() -> e.setValue(converted));
                    }
                }
            }
        }
        for (Runnable r : apply) {
            r.run();
        }
        return this;
    }

    /**
     * {@code to(FLOAT64)}.
     *
     * @return this module
     */
    public Module toDouble() {
        return to(DType.FLOAT64);
    }

    /**
     * {@code to(FLOAT32)}.
     *
     * @return this module
     */
    public Module toFloat() {
        return to(DType.FLOAT32);
    }

    // ------------------------------------------------------------------ state dict

    /**
     * The state dict: for each module in pre-order, its parameters then its persistent buffers, under dotted
     * names. Values are detached tensors sharing storage with the module's tensors.
     *
     * @return a new insertion-ordered map from dotted name to detached tensor
     */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Module> e : namedModules().entrySet()) {
            String prefix = e.getKey().isEmpty() ? "" : e.getKey() + ".";
            Module m = e.getValue();
            for (Map.Entry<String, Tensor> p : m.parameters.entrySet()) {
                if (p.getValue() != null) {
                    out.put(prefix + p.getKey(), p.getValue().detach());
                }
            }
            for (Map.Entry<String, Tensor> b : m.buffers.entrySet()) {
                if (b.getValue() != null && !m.nonPersistent.contains(b.getKey())) {
                    out.put(prefix + b.getKey(), b.getValue().detach());
                }
            }
        }
        return out;
    }

    /**
     * Missing and unexpected keys reported by {@link #loadStateDict(Map, boolean)} (PyTorch's _IncompatibleKeys).
     *
     * @param missingKeys module keys absent from the loaded state dict, in module order
     * @param unexpectedKeys state-dict keys the module does not have, in the dict's order
     */
    public record LoadResult(List<String> missingKeys, List<String> unexpectedKeys) {
        /**
         * Copies both lists so the result is immutable.
         *
         * @param missingKeys module keys absent from the loaded state dict
         * @param unexpectedKeys state-dict keys the module does not have
         */
        public LoadResult {
            missingKeys = List.copyOf(missingKeys);
            unexpectedKeys = List.copyOf(unexpectedKeys);
        }
    }

    /**
     * {@code loadStateDict(stateDict, true)}.
     *
     * @param stateDict map from dotted name to tensor, e.g. from {@link #stateDict()} or {@link SafeTensors#load}
     * @return the missing and unexpected keys (both empty, since the strict load fails otherwise)
     * @throws IllegalArgumentException when {@code stateDict} is null
     * @throws IllegalStateException listing every problem; the module is then unchanged
     */
    public final LoadResult loadStateDict(Map<String, Tensor> stateDict) {
        return loadStateDict(stateDict, true);
    }

    /**
     * Copies values from {@code stateDict} into this module's parameters and persistent buffers, in place and
     * under no-grad (dtype converted as by {@code copy_}), all or nothing (docs/SEMANTICS.md §13): every key,
     * value, shape and destination is validated first, and only when all of them pass is anything copied.
     * Null values and shape mismatches always fail; with {@code strict}, missing and unexpected keys fail too.
     * The error lists every problem in PyTorch's order and wording ({@code Error(s) in loading state_dict for
     * Linear:\n\tMissing key(s) in state_dict: "bias". \n\tsize mismatch for weight: ...}).
     *
     * @param stateDict map from dotted name to tensor, e.g. from {@link #stateDict()} or {@link SafeTensors#load}
     * @param strict fail on missing or unexpected keys (PyTorch's {@code strict=True})
     * @return the missing and unexpected keys
     * @throws IllegalArgumentException when {@code stateDict} is null
     * @throws IllegalStateException    listing every problem; the module is then unchanged
     */
    public final LoadResult loadStateDict(Map<String, Tensor> stateDict, boolean strict) {
        if (stateDict == null) {
            throw new IllegalArgumentException("Expected state_dict to be dict-like, got null.");
        }
        Map<String, Tensor> sd = new LinkedHashMap<>(stateDict);
        Map<String, Module> mods = namedModules();
        for (Map.Entry<String, Module> e : mods.entrySet()) {
            e.getValue().preLoadStateDict(sd, e.getKey().isEmpty() ? "" : e.getKey() + ".");
        }
        List<String> missing = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        Set<String> expected = new LinkedHashSet<>();
        List<Tensor[]> copies = new ArrayList<>();
        for (Map.Entry<String, Module> e : mods.entrySet()) {
            String prefix = e.getKey().isEmpty() ? "" : e.getKey() + ".";
            Module m = e.getValue();
            Map<String, Tensor> local = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> p : m.parameters.entrySet()) {
                if (p.getValue() != null) {
                    local.put(p.getKey(), p.getValue());
                }
            }
            for (Map.Entry<String, Tensor> b : m.buffers.entrySet()) {
                if (b.getValue() != null && !m.nonPersistent.contains(b.getKey())) {
                    local.put(b.getKey(), b.getValue());
                }
            }
            for (Map.Entry<String, Tensor> l : local.entrySet()) {
                String key = prefix + l.getKey();
                expected.add(key);
                if (!sd.containsKey(key)) {
                    missing.add(key);
                    continue;
                }
                Tensor src = sd.get(key);
                Tensor dst = l.getValue();
                String problem = copyProblem(key, src, dst);
                if (problem != null) {
                    errors.add(problem);
                    continue;
                }
                copies.add(new Tensor[] {dst, src});
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String k : sd.keySet()) {
            if (!expected.contains(k)) {
                unexpected.add(k);
            }
        }
        List<String> msgs = new ArrayList<>();
        if (strict) {
            if (!missing.isEmpty()) {
                msgs.add("Missing key(s) in state_dict: " + quoted(missing) + ". ");
            }
            if (!unexpected.isEmpty()) {
                msgs.add("Unexpected key(s) in state_dict: " + quoted(unexpected) + ". ");
            }
        }
        msgs.addAll(errors);
        if (!msgs.isEmpty()) {
            throw new IllegalStateException("Error(s) in loading state_dict for " + typeName() + ":\n\t"
                    + String.join("\n\t", msgs));
        }
        try (Grad.Scope off = Grad.disabled()) {
            for (Tensor[] c : copies) {
                c[0].copy_(c[1]);
            }
        }
        return new LoadResult(missing, unexpected);
    }

    /**
     * Why {@code src} cannot be copied into {@code dst} under no-grad, or null when the copy cannot fail: the
     * checks {@code copy_} would make, done up front so that a failing load changes nothing.
     */
    private static String copyProblem(String key, Tensor src, Tensor dst) {
        if (src == null) {
            return "While copying the parameter named \"" + key + "\", expected a Tensor from checkpoint but "
                    + "received null";
        }
        if (!Arrays.equals(src.shape(), dst.shape())) {
            return "size mismatch for " + key + ": copying a param with shape " + torchSize(src.shape())
                    + " from checkpoint, the shape in current model is " + torchSize(dst.shape()) + ".";
        }
        if (dst.isInference() && !Grad.isInferenceMode()) {
            return "While copying the parameter named \"" + key + "\": the destination is an inference tensor, "
                    + "which cannot be updated in place outside inference mode";
        }
        if (!dst.isLeaf()) {
            return "While copying the parameter named \"" + key + "\": the destination is not a leaf tensor";
        }
        return null;
    }

    /**
     * Hook run on a mutable copy of the state dict before loading (PyTorch's {@code _load_from_state_dict}
     * preamble); {@code prefix} is this module's dotted prefix including the trailing dot. Default: nothing.
     *
     * @param stateDict the mutable copy being loaded; keys may be added, renamed or removed
     * @param prefix this module's dotted prefix, e.g. {@code "layer1.0."}, or {@code ""} for the root
     */
    protected void preLoadStateDict(Map<String, Tensor> stateDict, String prefix) {}

    private static String quoted(List<String> keys) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < keys.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append('"').append(keys.get(i)).append('"');
        }
        return sb.toString();
    }

    static String torchSize(int[] shape) {
        StringBuilder sb = new StringBuilder("torch.Size([");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(shape[i]);
        }
        return sb.append("])").toString();
    }

    /**
     * Writes {@link #stateDict()} to a safetensors file (atomically).
     *
     * @param path destination file; replaced if it exists
     * @throws IOException when the file cannot be written
     */
    public final void save(Path path) throws IOException {
        SafeTensors.save(path, stateDict(), Map.of("format", "pt"));
    }

    /**
     * Loads a safetensors file written by {@link #save(Path)} or PyTorch into this module (strict).
     *
     * @param path a safetensors file
     * @return the missing and unexpected keys (both empty, since the strict load fails otherwise)
     * @throws IOException when the file cannot be read
     * @throws IllegalArgumentException when the file is not valid safetensors
     * @throws IllegalStateException when its tensors do not fit this module (the module is then unchanged)
     */
    public final LoadResult load(Path path) throws IOException {
        return loadStateDict(SafeTensors.load(path).tensors(), true);
    }

    // ------------------------------------------------------------------ printing

    /**
     * The text inside the parentheses of this module's line, e.g. {@code in_features=4, out_features=2, bias=True}.
     *
     * @return the module's settings in PyTorch's {@code extra_repr} format; empty by default
     */
    public String extraRepr() {
        return "";
    }

    /**
     * The class name shown by {@link #toString()} and in error messages: the simple class name, as PyTorch prints
     * {@code type(module).__name__}. An anonymous class has no name, so it shows the nearest named superclass
     * ({@code new Module() {...}} prints {@code Module(...)}, {@code new Linear(2, 3) {...}} prints
     * {@code Linear(...)}), which says what the module is where {@code Outer$1} would only say where it was written.
     *
     * @return the name printed for this module
     */
    protected String typeName() {
        Class<?> c = getClass();
        while (c.isAnonymousClass()) {
            c = c.getSuperclass();
        }
        return c.getSimpleName();
    }

    /** PyTorch's module tree: {@code Sequential(\n  (0): Linear(...)\n)}. */
    @Override
    public String toString() {
        List<String> lines = new ArrayList<>();
        String extra = extraRepr();
        if (!extra.isEmpty()) {
            Collections.addAll(lines, extra.split("\n", -1));
        }
        for (Map.Entry<String, Module> e : children.entrySet()) {
            String childRepr = e.getValue() == null ? "None" : e.getValue().toString();
            lines.add(indent("(" + e.getKey() + "): " + childRepr));
        }
        StringBuilder sb = new StringBuilder(typeName()).append('(');
        if (!lines.isEmpty()) {
            if (lines.size() == 1 && children.isEmpty()) {
                sb.append(lines.get(0));
            } else {
                sb.append('\n');
                for (String l : lines) {
                    sb.append("  ").append(l).append('\n');
                }
            }
        }
        return sb.append(')').toString();
    }

    private static String indent(String s) {
        return s.replace("\n", "\n  ");
    }
}
