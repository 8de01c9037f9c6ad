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

    /**
     * Drop path with scaling by the keep probability, drawing from the default generator.
     *
     * @param dropProb probability of dropping a sample, in [0, 1]
     * @throws IllegalArgumentException for a probability outside [0, 1]
     */
    public DropPath(double dropProb) {
        this(dropProb, true, null);
    }

    /**
     * {@code gen} null = the default generator.
     *
     * @param dropProb probability of dropping a sample, in [0, 1]
     * @param scaleByKeep divide kept samples by {@code 1 − dropProb}
     * @param gen source of the per-sample draws, or null
     * @throws IllegalArgumentException for a probability outside [0, 1]
     */
    public DropPath(double dropProb, boolean scaleByKeep, Generator gen) {
        this.dropProb = Check.probability("DropPath", "drop_prob", dropProb);
        this.scaleByKeep = scaleByKeep;
        this.generator = gen;
    }

    /**
     * The drop probability.
     *
     * @return {@code drop_prob}
     */
    public double dropProb() {
        return dropProb;
    }

    /**
     * Changes the drop probability (e.g. for a schedule).
     *
     * @param dropProb the new probability, in [0, 1]
     * @throws IllegalArgumentException for a probability outside [0, 1]
     */
    public void setDropProb(double dropProb) {
        this.dropProb = Check.probability("DropPath", "drop_prob", dropProb);
    }

    /**
     * Whether kept samples are rescaled.
     *
     * @return {@code scale_by_keep}
     */
    public boolean scaleByKeep() {
        return scaleByKeep;
    }

    /**
     * The generator masks are drawn from.
     *
     * @return the set generator, or {@link Generator#defaultGenerator()}
     */
    public Generator generator() {
        return generator == null ? Generator.defaultGenerator() : generator;
    }

    /**
     * Sets the generator masks are drawn from.
     *
     * @param gen the generator, or null for the default one
     * @return this module
     */
    public DropPath setGenerator(Generator gen) {
        this.generator = gen;
        return this;
    }

    /**
     * Applies {@link F#dropPath(Tensor, double, boolean, boolean, Generator)} in training mode.
     *
     * @param input (N, *)
     * @return a tensor of the input's shape; {@code input} itself in eval mode
     */
    @Override
    public Tensor forward(Tensor input) {
        return F.dropPath(input, dropProb, training, scaleByKeep, generator());
    }

    @Override
    public String extraRepr() {
        return "drop_prob=" + String.format(java.util.Locale.ROOT, "%.3f", dropProb);
    }
}
