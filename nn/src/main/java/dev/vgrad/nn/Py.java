package dev.vgrad.nn;

import java.math.BigDecimal;

/** Python-style formatting for {@code toString()} and error messages. */
final class Py {
    private Py() {}

    /** Python's {@code repr(float)}: shortest round-trip digits, scientific below 1e-4 and from 1e16. */
    static String repr(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        if (v == 0) {
            return (1 / v < 0) ? "-0.0" : "0.0";
        }
        BigDecimal bd = new BigDecimal(Double.toString(v)).stripTrailingZeros();
        String digits = bd.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - bd.scale(); // decimal exponent of the leading digit
        String sign = v < 0 ? "-" : "";
        if (exp < -4 || exp >= 16) {
            String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            String e = (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
            return sign + mant + "e" + e;
        }
        String plain = bd.abs().toPlainString();
        if (!plain.contains(".")) {
            plain = plain + ".0";
        }
        return sign + plain;
    }

    /** Python's {@code repr(bool)}. */
    static String repr(boolean b) {
        return b ? "True" : "False";
    }

    /** A tuple {@code (a, b)}. */
    static String tuple(int... v) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < v.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(v[i]);
        }
        if (v.length == 1) {
            sb.append(',');
        }
        return sb.append(')').toString();
    }

    /** {@code torch.Size([1, 3])}. */
    static String size(int[] shape) {
        return Module.torchSize(shape);
    }
}
