package dev.vgrad.core;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * PyTorch's tensor printing ({@code torch/_tensor_str.py} of 1.13 with its default options: precision 4, threshold
 * 1000, edgeitems 3, linewidth 80), docs/SEMANTICS.md §14. A tensor of more than 1000 elements is summarised: each
 * dim longer than 6 shows its first and last 3 entries around "...", and the number style (integer, fixed or
 * scientific) and column width are chosen from the shown elements only, as PyTorch chooses them. Only the shown
 * elements are ever read, straight from storage through the strides: printing never copies the tensor, so it costs
 * what it prints even for an expanded view of 2^24 elements.
 */
final class TensorFormatter {
    private TensorFormatter() {}

    private static final int THRESHOLD = 1000;
    private static final int EDGE = 3;
    private static final int LINEWIDTH = 80;
    private static final int PRECISION = 4;
    private static final String PREFIX = "tensor(";

    static String format(Tensor t) {
        int indent = PREFIX.length();
        List<String> suffixes = new ArrayList<>();
        String body;
        if (t.numel() == 0) {
            body = "[]";
            if (t.dim() != 1) {
                suffixes.add("size=" + sizeTuple(t.shape));
            }
            // an empty tensor has no values to tell its type by, so PyTorch names every non-default dtype
            if (t.dtype != DType.FLOAT32) {
                suffixes.add("dtype=torch." + t.dtype);
            }
        } else {
            boolean summarize = t.numel() > THRESHOLD;
            Style style = new Style(t, summarize);
            StringBuilder sb = new StringBuilder();
            appendDim(sb, t, 0, t.offset, indent, summarize, style);
            body = sb.toString();
            if (t.dtype == DType.FLOAT64) {
                suffixes.add("dtype=torch.float64");
            }
        }
        if (t.gradFn() != null) {
            suffixes.add("grad_fn=" + t.gradFn());
        } else if (t.requiresGrad()) {
            suffixes.add("requires_grad=True");
        }
        return addSuffixes(PREFIX + body, suffixes, indent);
    }

    private static String sizeTuple(int[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i > 0 ? ", " : "").append(shape[i]);
        }
        return sb.append(shape.length == 1 ? ",)" : ")").toString();
    }

    /** {@code _add_suffixes}: a suffix that would pass the line width starts a new line (PyTorch's own arithmetic). */
    private static String addSuffixes(String tensorStr, List<String> suffixes, int indent) {
        StringBuilder sb = new StringBuilder(tensorStr);
        int lastLineLen = tensorStr.length() - tensorStr.lastIndexOf('\n') + 1;
        for (String s : suffixes) {
            if (lastLineLen + s.length() + 2 > LINEWIDTH) {
                sb.append(",\n").append(" ".repeat(indent)).append(s);
                lastLineLen = indent + s.length();
            } else {
                sb.append(", ").append(s);
                lastLineLen += s.length() + 2;
            }
        }
        return sb.append(')').toString();
    }

    @FunctionalInterface
    private interface OffsetVisitor {
        void visit(int storageOffset);
    }

    /** Visits the storage offset of every shown element, in printing order. */
    private static void forEachShown(Tensor t, boolean summarize, int dim, int off, OffsetVisitor v) {
        if (dim == t.shape.length) {
            v.visit(off);
            return;
        }
        int size = t.shape[dim];
        boolean cut = summarize && size > 2 * EDGE;
        for (int i = 0; i < size; i++) {
            if (cut && i == EDGE) {
                i = size - EDGE;
            }
            forEachShown(t, summarize, dim + 1, off + i * t.stride[dim], v);
        }
    }

    private static void appendDim(StringBuilder sb, Tensor t, int dim, int off, int indent, boolean summarize,
                                  Style style) {
        int rank = t.shape.length;
        if (rank == 0) {
            sb.append(style.format(off));
            return;
        }
        int size = t.shape[dim];
        boolean cut = summarize && size > 2 * EDGE;
        if (dim == rank - 1) {
            appendVector(sb, t, size, t.stride[dim], off, indent, cut, style);
            return;
        }
        // one line break per remaining dim, so higher dims are separated by blank lines
        String sep = "," + "\n".repeat(rank - dim - 1) + " ".repeat(indent + 1);
        sb.append('[');
        for (int i = 0; i < size; i++) {
            if (i > 0) {
                sb.append(sep);
            }
            if (cut && i == EDGE) {
                sb.append("...").append(sep);
                i = size - EDGE;
            }
            appendDim(sb, t, dim + 1, off + i * t.stride[dim], indent + 1, summarize, style);
        }
        sb.append(']');
    }

    /** {@code _vector_str}: as many elements per line as fit in the line width; " ..." counts as an element. */
    private static void appendVector(StringBuilder sb, Tensor t, int size, int stride, int off, int indent,
                                     boolean cut, Style style) {
        int perLine = Math.max(1, Math.floorDiv(LINEWIDTH - indent, style.maxWidth + 2));
        List<String> data = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            if (cut && i == EDGE) {
                data.add(" ...");
                i = size - EDGE;
            }
            data.add(style.format(off + i * stride));
        }
        sb.append('[');
        for (int i = 0; i < data.size(); i++) {
            if (i > 0) {
                sb.append(i % perLine == 0 ? ",\n" + " ".repeat(indent + 1) : ", ");
            }
            sb.append(data.get(i));
        }
        sb.append(']');
    }

    /** PyTorch's {@code _Formatter}: the number style and column width, from the shown elements. */
    private static final class Style {
        final Storage storage;
        final boolean floating;
        /** A bool tensor prints Python's {@code True}/{@code False}, right-aligned like any other element. */
        final boolean bool;
        boolean intMode = true;
        boolean sciMode;
        int maxWidth = 1;

        Style(Tensor t, boolean summarize) {
            storage = t.storage;
            floating = t.dtype.isFloatingPoint();
            bool = t.dtype == DType.BOOL;
            if (!floating) {
                forEachShown(t, summarize, 0, t.offset,
                        off -> maxWidth = Math.max(maxWidth, integral(off).length()));
                return;
            }
            double[][] buf = {new double[16]};
            int[] n = {0};
            forEachShown(t, summarize, 0, t.offset, off -> {
                double v = storage.get(off);
                if (Double.isFinite(v) && v != 0) {
                    if (n[0] == buf[0].length) {
                        buf[0] = Arrays.copyOf(buf[0], 2 * n[0]);
                    }
                    buf[0][n[0]++] = v;
                }
            });
            double[] vals = Arrays.copyOf(buf[0], n[0]);
            if (vals.length == 0) {
                return; // no nonzero finite value: integer style, width 1
            }
            double min = Double.POSITIVE_INFINITY;
            double max = 0;
            for (double v : vals) {
                min = Math.min(min, Math.abs(v));
                max = Math.max(max, Math.abs(v));
                intMode &= v == Math.ceil(v);
            }
            if (intMode) {
                sciMode = max / min > 1000 || max > 1e8;
                for (double v : vals) {
                    maxWidth = Math.max(maxWidth, sciMode ? sci(v).length() : fixed(v, 0).length() + 1);
                }
            } else {
                sciMode = max / min > 1000 || max > 1e8 || min < 1e-4;
                for (double v : vals) {
                    maxWidth = Math.max(maxWidth, (sciMode ? sci(v) : fixed(v, PRECISION)).length());
                }
            }
        }

        private String integral(int off) {
            return bool ? (storage.l[off] != 0 ? "True" : "False") : Long.toString(storage.l[off]);
        }

        /** The element at {@code off}, right-aligned to the column width. */
        String format(int off) {
            String s;
            if (!floating) {
                s = integral(off);
            } else {
                double v = storage.get(off);
                if (sciMode) {
                    s = sci(v);
                } else if (intMode) {
                    s = fixed(v, 0) + (Double.isFinite(v) ? "." : "");
                } else {
                    s = fixed(v, PRECISION);
                }
            }
            return s.length() >= maxWidth ? s : " ".repeat(maxWidth - s.length()) + s;
        }
    }

    /** Python's {@code '{:.Nf}'.format(v)}: exact value rounded half-to-even, sign kept (also on -0.0). */
    static String fixed(double v, int digits) {
        if (!Double.isFinite(v)) {
            return nonFinite(v);
        }
        String abs = new BigDecimal(Math.abs(v)).setScale(digits, RoundingMode.HALF_EVEN).toPlainString();
        return negative(v) ? "-" + abs : abs;
    }

    /** Python's {@code '{:.4e}'.format(v)}: d.dddd, then e, a sign and at least two exponent digits. */
    static String sci(double v) {
        if (!Double.isFinite(v)) {
            return nonFinite(v);
        }
        String mantissa;
        int exp;
        if (v == 0) {
            mantissa = "0" + (PRECISION > 0 ? "." + "0".repeat(PRECISION) : "");
            exp = 0;
        } else {
            BigDecimal a = new BigDecimal(Math.abs(v)).round(new MathContext(PRECISION + 1, RoundingMode.HALF_EVEN));
            String digits = a.unscaledValue().toString();
            exp = digits.length() - 1 - a.scale();
            StringBuilder d = new StringBuilder(digits);
            while (d.length() < PRECISION + 1) {
                d.append('0');
            }
            mantissa = d.charAt(0) + (PRECISION > 0 ? "." + d.substring(1, PRECISION + 1) : "");
        }
        String e = Integer.toString(Math.abs(exp));
        return (negative(v) ? "-" : "") + mantissa + "e" + (exp < 0 ? "-" : "+") + (e.length() < 2 ? "0" + e : e);
    }

    private static boolean negative(double v) {
        return v < 0 || (v == 0 && 1 / v < 0);
    }

    private static String nonFinite(double v) {
        return Double.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
    }
}
