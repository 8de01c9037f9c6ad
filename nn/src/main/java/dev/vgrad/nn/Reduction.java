package dev.vgrad.nn;

/** Loss reductions ({@code reduction='mean'|'sum'|'none'}). */
public enum Reduction {
    /** The mean of the per-element losses ("mean", PyTorch's default). */
    MEAN("mean"),
    /** The sum of the per-element losses ("sum"). */
    SUM("sum"),
    /** No reduction: the per-element losses themselves ("none"). */
    NONE("none");

    private final String pyName;

    Reduction(String pyName) {
        this.pyName = pyName;
    }

    /**
     * Parses PyTorch's spelling; anything else fails with {@code "{r} is not a valid value for reduction"}.
     *
     * @param name "mean", "sum" or "none"
     * @return the matching constant
     * @throws IllegalArgumentException for any other name, including null
     */
    public static Reduction of(String name) {
        if (name != null) {
            for (Reduction r : values()) {
                if (r.pyName.equals(name)) {
                    return r;
                }
            }
        }
        throw new IllegalArgumentException(name + " is not a valid value for reduction");
    }

    /** PyTorch's spelling. */
    @Override
    public String toString() {
        return pyName;
    }
}
