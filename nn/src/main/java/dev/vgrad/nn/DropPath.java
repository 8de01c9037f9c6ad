package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Tensor;

/**
 * Stochastic depth (timm {@code DropPath}, docs/SEMANTICS.md §4): in training each sample is zeroed with
 * probability {@code dropProb} (one draw per sample) and kept samples are scaled by {@code 1/(1−dropProb)}
 * when {@code scaleByKeep}; identity in eval. Unlike timm, a {@code dropProb} outside [0, 1] is rejected, here and
 * in {@link F#dropPath}.
 */
public class DropPath extends Module {
    private double dropProb;
    private final boolean scaleByKeep;
    private Generator generator;

    public DropPath(double dropProb) {
        this(dropProb, true, null);
    }

    /** {@code gen} null = the default generator. */
    public DropPath(double dropProb, boolean scaleByKeep, Generator gen) {
        this.dropProb = Check.probability("DropPath", "drop_prob", dropProb);
        this.scaleByKeep = scaleByKeep;
        this.generator = gen;
    }

    public double dropProb() {
        return dropProb;
    }

    public void setDropProb(double dropProb) {
        this.dropProb = Check.probability("DropPath", "drop_prob", dropProb);
    }

    public boolean scaleByKeep() {
        return scaleByKeep;
    }

    public Generator generator() {
        return generator == null ? Generator.defaultGenerator() : generator;
    }

    public DropPath setGenerator(Generator gen) {
        this.generator = gen;
        return this;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.dropPath(input, dropProb, training, scaleByKeep, generator());
    }

    @Override
    public String extraRepr() {
        return "drop_prob=" + String.format(java.util.Locale.ROOT, "%.3f", dropProb);
    }
}
