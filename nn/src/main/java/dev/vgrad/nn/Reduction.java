package dev.vgrad.nn;

/** Loss reductions ({@code reduction='mean'|'sum'|'none'}). */
public enum Reduction {
    MEAN("mean"), SUM("sum"), NONE("none");

    private final String pyName;

    Reduction(String pyName) {
        this.pyName = pyName;
    }

    /** Parses PyTorch's spelling; anything else fails with {@code "{r} is not a valid value for reduction"}. */
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
