package dev.vgrad.nn;

import dev.vgrad.core.Tensor;

/** GELU ({@code nn.GELU}); {@code approximate} is "none" (exact, default) or "tanh". */
public class GELU extends Module {
    private final String approximate;

    /** Exact GELU, {@code x·Φ(x)}. */
    public GELU() {
        this("none");
    }

    /**
     * GELU, exact or tanh-approximated.
     *
     * @param approximate "none" or "tanh"
     * @throws IllegalArgumentException for another value
     */
    public GELU(String approximate) {
        if (!"none".equals(approximate) && !"tanh".equals(approximate)) {
            throw new IllegalArgumentException("GELU: approximate argument must be either none or tanh.");
        }
        if (!approximate.equals("none") && !approximate.equals("tanh")) {
            throw new IllegalArgumentException("approximate argument must be either none or tanh.");
        }
        this.approximate = approximate;
    }

    /**
     * Applies GELU elementwise ({@link F#gelu(Tensor, String)}).
     *
     * @param input any shape
     * @return a new tensor of the input's shape
     */
    @Override
    public Tensor forward(Tensor input) {
        return F.gelu(input, approximate);
    }

    @Override
    public String extraRepr() {
        return "approximate='" + approximate + "'";
    }
}
