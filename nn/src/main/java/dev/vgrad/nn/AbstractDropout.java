package dev.vgrad.nn;

import dev.vgrad.core.Generator;

/** Shared state of the dropout modules: {@code p} (validated at construction) and the generator. */
public abstract class AbstractDropout extends Module {
    protected double p;
    private Generator generator;

    protected AbstractDropout(double p, Generator generator) {
        F.checkDropoutP(p);
        this.p = p;
        this.generator = generator;
    }

    /** The drop probability. */
    public double p() {
        return p;
    }

    /** Changes {@code p} (not re-validated, as in PyTorch; the functional call validates it). */
    public void setP(double p) {
        this.p = p;
    }

    /** The generator masks are drawn from ({@link Generator#defaultGenerator()} unless set). */
    public Generator generator() {
        return generator == null ? Generator.defaultGenerator() : generator;
    }

    /** Sets the generator masks are drawn from (null = the default generator); returns this. */
    public AbstractDropout setGenerator(Generator gen) {
        this.generator = gen;
        return this;
    }

    @Override
    public String extraRepr() {
        return "p=" + Py.repr(p) + ", inplace=False";
    }
}
