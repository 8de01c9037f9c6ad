package dev.vgrad.nn;

import dev.vgrad.core.Autograd;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Node;
import dev.vgrad.core.RemovableHandle;
import dev.vgrad.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The hooks registered on one module, and how {@link Module#call(Tensor)} runs them (docs/SEMANTICS.md §1.8).
 *
 * <p>Order, as in PyTorch's {@code Module.__call__}: forward pre-hooks (each may replace the input), then
 * {@code forward}, then forward hooks (each may replace the output). With full backward hooks and grad mode on,
 * the input and the output are passed through identity nodes ({@code BackwardHookFunctionBackward}): the output's
 * node records the gradient of the output, and the input's node calls each hook with the gradient of the input
 * and of the output once the former is known; a hook may return a replacement gradient for the input. When the
 * input does not require grad the hooks are called with a null input gradient as soon as the output gradient is
 * known, and their return value is ignored.
 *
 * <p>Hooks see copies of the gradients: the engine reuses gradient buffers it owns, so a hook that keeps a
 * gradient for later must not find it overwritten.
 */
final class ModuleHooks {
    final List<Module.ForwardPreHook> pre = new ArrayList<>();
    final List<Module.ForwardHook> post = new ArrayList<>();
    final List<Module.BackwardHook> backward = new ArrayList<>();

    <H> RemovableHandle add(List<H> list, H hook, String what) {
        if (hook == null) {
            throw new IllegalArgumentException(what + ": hook must not be null");
        }
        synchronized (list) {
            list.add(hook);
        }
        return new RemovableHandle(list, hook);
    }

    boolean isEmpty() {
        return pre.isEmpty() && post.isEmpty() && backward.isEmpty();
    }

    private static <H> List<H> snapshot(List<H> list) {
        synchronized (list) {
            return list.isEmpty() ? List.of() : List.copyOf(list);
        }
    }

    Tensor call(Module m, Tensor input) {
        Tensor x = input;
        for (Module.ForwardPreHook h : snapshot(pre)) {
            Tensor r = h.apply(m, x);
            if (r != null) {
                x = r;
            }
        }
        List<Module.BackwardHook> bw = Grad.isEnabled() ? snapshot(backward) : List.of();
        Call call = bw.isEmpty() ? null : new Call(m, bw, x.requiresGrad());
        if (call != null && call.inputHooked) {
            x = identity(x, new InputHookBackward(x, call));
        }
        Tensor out = m.forward(x);
        for (Module.ForwardHook h : snapshot(post)) {
            Tensor r = h.apply(m, x, out);
            if (r != null) {
                out = r;
            }
        }
        if (call != null && out.requiresGrad()) {
            out = identity(out, new OutputHookBackward(out, call));
        }
        return out;
    }

    /** A view of {@code t} (same storage and version counter, as PyTorch's hook function returns) with node {@code fn}. */
    private static Tensor identity(Tensor t, Node fn) {
        Tensor alias;
        try (var off = Grad.disabled()) {
            alias = t.view(t.shape());
        }
        return Autograd.attach(alias, fn);
    }

    /** What one hooked call shares between its two nodes: the module, its hooks, and the output's gradient. */
    static final class Call {
        final Module module;
        final List<Module.BackwardHook> hooks;
        final boolean inputHooked;
        /** The output gradient of the pass running on this thread (passes on other threads keep their own). */
        final ThreadLocal<Tensor> gradOutput = new ThreadLocal<>();

        Call(Module module, List<Module.BackwardHook> hooks, boolean inputHooked) {
            this.module = module;
            this.hooks = hooks;
            this.inputHooked = inputHooked;
        }
    }

    /** Identity on the module's output: records (a copy of) the output gradient for the input's node. */
    static final class OutputHookBackward extends Node {
        private final Call call;

        OutputHookBackward(Tensor out, Call call) {
            super("BackwardHookFunctionBackward", out);
            this.call = call;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            if (call.inputHooked) {
                call.gradOutput.set(g.cloneTensor());
            } else {
                for (Module.BackwardHook h : call.hooks) {
                    h.apply(call.module, null, g.cloneTensor());
                }
            }
            return new Tensor[] {g};
        }
    }

    /** Identity on the module's input: calls the hooks with the input and output gradients. */
    static final class InputHookBackward extends Node {
        private final Call call;

        InputHookBackward(Tensor in, Call call) {
            super("BackwardHookFunctionBackward", in);
            this.call = call;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor gradOutput = call.gradOutput.get();
            call.gradOutput.remove();
            Tensor gi = g;
            for (Module.BackwardHook h : call.hooks) {
                Tensor r = h.apply(call.module, gi.cloneTensor(), gradOutput);
                if (r != null) {
                    if (!Arrays.equals(r.shape(), g.shape())) {
                        throw new IllegalStateException("backward hook of " + call.module.typeName()
                                + " returned a gradient of shape " + Arrays.toString(r.shape())
                                + " for an input of shape " + Arrays.toString(g.shape()));
                    }
                    gi = r.detach().cloneTensor();
                }
            }
            return new Tensor[] {gi};
        }
    }
}
