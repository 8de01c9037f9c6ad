package dev.vgrad.nn;

import dev.vgrad.core.Generator;

/** Shared state of the dropout modules: {@code p} (validated at construction) and the generator. */
public abstract class AbstractDropout extends Module {
    /** The drop probability (PyTorch's {@code p}); see {@link #setP(double)}. */
    protected double p;
    private Generator generator;

    /**
     * Validates and stores the drop probability and the generator.
     *
     * @param p probability of zeroing an element (or a channel), in [0, 1]
     * @param generator source of the masks, or null for the default generator
     * @throws IllegalArgumentException for a probability outside [0, 1]
     */
    protected AbstractDropout(double p, Generator generator) {
        F.checkDropoutP(p);
        this.p = p;
        this.generator = generator;
    }

    /**
     * The drop probability.
     *
     * @return {@code p}
     */
    public double p() {
        return p;
    }

    /**
     * Changes {@code p} (not re-validated, as in PyTorch; the functional call validates it).
     *
     * @param p the new drop probability
     */
    public void setP(double p) {
        this.p = p;
    }

    /**
     * The generator masks are drawn from ({@link Generator#defaultGenerator()} unless set).
     *
     * @return the set generator, or the default one
     */
    public Generator generator() {
        return generator == null ? Generator.defaultGenerator() : generator;
    }

    /**
     * Sets the generator masks are drawn from (null = the default generator); returns this.
     *
     * @param gen the generator, or null for the default one
     * @return this module
     */
    public AbstractDropout setGenerator(Generator gen) {
        this.generator = gen;
        return this;
    }

    @Override
    public String extraRepr() {
        return "p=" + Py.repr(p) + ", inplace=False";
    }
}
