package dev.vgrad.nn;

import dev.vgrad.core.Tensor;
import java.util.Iterator;
import java.util.List;

/** Applies its children in order ({@code nn.Sequential}); children are named "0", "1", …. */
public class Sequential extends Module implements Iterable<Module> {
    /**
     * Registers {@code modules} as children "0", "1", … in order.
     *
     * @param modules the layers to chain, none null
     * @throws IllegalArgumentException for a null array or element
     */
    public Sequential(Module... modules) {
        Check.nonNull("Sequential", "modules", modules);
        for (Module m : modules) {
            append(m);
        }
    }

    /**
     * Appends a module under the next index name; returns this.
     *
     * @param m the module to append, non-null
     * @return this container
     */
    public Sequential append(Module m) {
        Check.nonNull("Sequential.append", "module", m);
        registerModule(String.valueOf(size()), m);
        return this;
    }

    /**
     * Appends a module under an explicit name (like an OrderedDict entry); returns this.
     *
     * @param name child name: non-empty, no dot, not a parameter or buffer; an existing child of that name is
     *     replaced in place
     * @param m the module to add, non-null
     * @return this container
     */
    public Sequential add(String name, Module m) {
        Check.nonNull("Sequential.add", "module", m);
        registerModule(name, m);
        return this;
    }

    /**
     * Number of children.
     *
     * @return the number of (non-null) children
     */
    public int size() {
        return namedChildren().size();
    }

    /**
     * The i-th child (negative counts from the end).
     *
     * @param i index in [−size, size)
     * @return the child at that position
     * @throws IndexOutOfBoundsException for an index out of range
     */
    public Module get(int i) {
        List<Module> c = children();
        int k = i < 0 ? i + c.size() : i;
        if (k < 0 || k >= c.size()) {
            throw new IndexOutOfBoundsException("index " + i + " is out of range");
        }
        return c.get(k);
    }

    /**
     * Iterates over a snapshot of the children in order.
     *
     * @return an iterator over the children
     */
    @Override
    public Iterator<Module> iterator() {
        return children().iterator();
    }

    /**
     * Feeds {@code input} through each child's {@link Module#call(Tensor)} in order.
     *
     * @param input whatever the first child accepts
     * @return the last child's output ({@code input} itself when empty)
     */
    @Override
    public Tensor forward(Tensor input) {
        Tensor x = input;
        for (Module m : children()) {
            x = m.call(x);
        }
        return x;
    }
}
