package dev.vgrad.nn;

import dev.vgrad.core.Tensor;
import java.util.Iterator;
import java.util.List;

/** Applies its children in order ({@code nn.Sequential}); children are named "0", "1", …. */
public class Sequential extends Module implements Iterable<Module> {
    public Sequential(Module... modules) {
        Check.nonNull("Sequential", "modules", modules);
        for (Module m : modules) {
            append(m);
        }
    }

    /** Appends a module under the next index name; returns this. */
    public Sequential append(Module m) {
        Check.nonNull("Sequential.append", "module", m);
        registerModule(String.valueOf(size()), m);
        return this;
    }

    /** Appends a module under an explicit name (like an OrderedDict entry); returns this. */
    public Sequential add(String name, Module m) {
        Check.nonNull("Sequential.add", "module", m);
        registerModule(name, m);
        return this;
    }

    /** Number of children. */
    public int size() {
        return namedChildren().size();
    }

    /** The i-th child (negative counts from the end). */
    public Module get(int i) {
        List<Module> c = children();
        int k = i < 0 ? i + c.size() : i;
        if (k < 0 || k >= c.size()) {
            throw new IndexOutOfBoundsException("index " + i + " is out of range");
        }
        return c.get(k);
    }

    @Override
    public Iterator<Module> iterator() {
        return children().iterator();
    }

    @Override
    public Tensor forward(Tensor input) {
        Tensor x = input;
        for (Module m : children()) {
            x = m.call(x);
        }
        return x;
    }
}
