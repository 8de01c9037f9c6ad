package dev.vgrad.core;

import java.util.Locale;

/** PyTorch-style printing: 4 decimals (or scientific when the range demands), summarised above 1000 elements. */
final class TensorFormatter {
    private TensorFormatter() {}

    private static final int THRESHOLD = 1000;
    private static final int EDGE = 3;

    static String format(Tensor t) {
        Tensor c = t.contiguousRaw();
        boolean summarize = t.numel() > THRESHOLD;
        String style = chooseStyle(c, summarize);
        StringBuilder sb = new StringBuilder("tensor(");
        if (t.numel() == 0 && t.dim() > 0) {
            sb.append("[]");
            if (t.dim() > 1 || t.shape[0] != 0) {
                sb.append(", size=").append(Shape.str(t.shape).replace('[', '(').replace(']', ')'));
            }
        } else {
            int width = 0;
            for (int i = 0, n = c.numel(); i < n; i++) {
                double v = c.storage.get(c.offset + i);
                // torch pads to the widest nonzero finite value (integers: every value)
                if (c.dtype == DType.INT64 || (v != 0 && Double.isFinite(v))) {
                    width = Math.max(width, fmt(v, style, c.dtype).length());
                }
            }
            appendDim(sb, c, 0, c.offset, style, width, summarize, 7);
        }
        if (t.dtype == DType.FLOAT64) {
            sb.append(", dtype=torch.float64");
        }
        if (t.gradFn() != null) {
            sb.append(", grad_fn=").append(t.gradFn());
        } else if (t.requiresGrad()) {
            sb.append(", requires_grad=True");
        }
        return sb.append(')').toString();
    }

    private static String chooseStyle(Tensor c, boolean summarize) {
        if (c.dtype == DType.INT64) {
            return "int";
        }
        boolean integral = true;
        double maxAbs = 0;
        double minAbs = Double.POSITIVE_INFINITY;
        for (int i = 0, n = c.numel(); i < n; i++) {
            double v = c.storage.get(c.offset + i);
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                continue;
            }
            integral &= v == Math.rint(v);
            double a = Math.abs(v);
            maxAbs = Math.max(maxAbs, a);
            if (a > 0) {
                minAbs = Math.min(minAbs, a);
            }
        }
        if (minAbs == Double.POSITIVE_INFINITY) {
            // no nonzero finite value
            return integral ? "integral" : "fixed";
        }
        // torch/_tensor_str.py: _Formatter
        if (integral) {
            return maxAbs / minAbs > 1000 || maxAbs > 1e8 ? "sci" : "integral";
        }
        if (maxAbs / minAbs > 1000 || maxAbs > 1e8 || minAbs < 1e-4) {
            return "sci";
        }
        return "fixed";
    }

    private static String fmt(double v, String style, DType dtype) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        return switch (style) {
            case "int" -> Long.toString((long) v);
            case "integral" -> String.format(Locale.ROOT, "%.0f.", v);
            case "sci" -> String.format(Locale.ROOT, "%.4e", v);
            default -> String.format(Locale.ROOT, "%.4f", v);
        };
    }

    private static void appendDim(StringBuilder sb, Tensor c, int dim, int off, String style, int width,
                                  boolean summarize, int indent) {
        if (c.dim() == 0) {
            sb.append(fmt(c.storage.get(off), style, c.dtype));
            return;
        }
        int size = c.shape[dim];
        sb.append('[');
        boolean last = dim == c.dim() - 1;
        for (int i = 0; i < size; i++) {
            if (summarize && size > 2 * EDGE && i == EDGE) {
                sb.append(last ? "..., " : "...,\n" + " ".repeat(indent + dim + 1));
                i = size - EDGE - 1;
                continue;
            }
            int o = off + i * c.stride[dim];
            if (last) {
                String s = fmt(c.storage.get(o), style, c.dtype);
                sb.append(" ".repeat(Math.max(0, width - s.length()))).append(s);
            } else {
                appendDim(sb, c, dim + 1, o, style, width, summarize, indent);
            }
            if (i < size - 1) {
                // one line break per remaining dim beyond the innermost two, as torch prints blank lines
                sb.append(last ? ", " : ",\n" + "\n".repeat(Math.max(0, c.dim() - dim - 2)) + " ".repeat(indent + dim + 1));
            }
        }
        sb.append(']');
    }
}
