package dev.vgrad.core.io;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A small, strict, dependency-free JSON (RFC 8259) reader and writer.
 *
 * <h2>Reading</h2>
 * {@link #parse(String)} returns a tree of plain Java objects:
 * <ul>
 *   <li>object → {@code Map<String,Object>} (a {@link LinkedHashMap}; key order is kept),</li>
 *   <li>array → {@code List<Object>} (an {@link ArrayList}),</li>
 *   <li>string → {@link String},</li>
 *   <li>number → {@link Long} when it is written without fraction and exponent and fits in a
 *       {@code long}, otherwise {@link Double},</li>
 *   <li>{@code true}/{@code false} → {@link Boolean}, {@code null} → {@code null}.</li>
 * </ul>
 * The reader is strict: no comments, no trailing commas, no single quotes, no leading zeros, no
 * {@code NaN}/{@code Infinity} literals (the strings {@code "NaN"}, {@code "Infinity"} and
 * {@code "-Infinity"} stay strings; callers that use that convention convert them), no unescaped
 * control characters in strings, no duplicate keys within one object, no numbers whose magnitude
 * overflows a {@code double}, and nothing but whitespace after the top-level value.
 *
 * <p>It is safe for untrusted input (e.g. safetensors headers): parsing is iterative (no recursion, so
 * no {@link StackOverflowError}), runs in time linear in the input, nesting is limited to
 * {@link #DEFAULT_MAX_DEPTH} levels (configurable with {@link #parse(String, int)}), and every
 * malformed input raises an {@link IllegalArgumentException} whose message names the problem and
 * its position ({@code "... at position 17"}: a character index for {@link #parse(String)}, a byte
 * offset for {@link #parse(byte[])}).
 *
 * <h2>Writing</h2>
 * {@link #write(Object)} produces compact JSON (no whitespace) from {@code Map} (keys must be
 * strings; iteration order is kept), {@code Collection}/{@code Iterable}, object and primitive arrays,
 * {@code String}, {@code Character}, {@code Boolean}, integral numbers, {@code Float}/{@code Double}
 * (finite only; a {@code float} is written as its exact {@code double} value) and {@code BigDecimal}.
 * Doubles are written with {@link Double#toString(double)} (shortest representation that round-trips),
 * so {@code parse(write(x))} reproduces every finite double bit for bit.
 */
public final class Json {

    /** Default limit on the nesting depth of arrays and objects (for both reading and writing). */
    public static final int DEFAULT_MAX_DEPTH = 64;

    private Json() {
    }

    // ------------------------------------------------------------------------------------------
    // reading

    /**
     * Parses a JSON text with the default depth limit.
     *
     * @param text the JSON text (not null)
     * @return the value: a Map, List, String, Long, Double, Boolean, or null for the literal {@code null}
     * @throws IllegalArgumentException on malformed input, naming the character position
     */
    public static Object parse(String text) {
        return parse(text, DEFAULT_MAX_DEPTH);
    }

    /**
     * Parses a JSON text, rejecting nesting deeper than {@code maxDepth} arrays/objects.
     *
     * @param text the JSON text (not null)
     * @param maxDepth the deepest nesting of arrays and objects accepted, ≥ 1
     * @return the value, as for {@link #parse(String)}
     * @throws IllegalArgumentException on malformed input, naming the character position
     */
    public static Object parse(String text, int maxDepth) {
        Objects.requireNonNull(text, "text");
        if (maxDepth < 1) {
            throw new IllegalArgumentException("maxDepth must be >= 1, got " + maxDepth);
        }
        try {
            return new Parser(text, null, maxDepth).parseDocument();
        } catch (Failure f) {
            throw new IllegalArgumentException("Malformed JSON: " + f.getMessage() + " at position " + f.pos);
        }
    }

    /**
     * Parses UTF-8 encoded JSON (strictly decoded: malformed UTF-8 is rejected) with the default depth
     * limit. Error positions are byte offsets into {@code utf8}.
     *
     * @param utf8 the UTF-8 encoded JSON text (not null)
     * @return the value, as for {@link #parse(String)}
     * @throws IllegalArgumentException on malformed UTF-8 or JSON, naming the byte position
     */
    public static Object parse(byte[] utf8) {
        return parse(utf8, DEFAULT_MAX_DEPTH);
    }

    /**
     * As {@link #parse(byte[])} with an explicit nesting limit. The bytes are parsed in place, without a decoded
     * copy of the whole text: besides the resulting tree, parsing needs only O(depth) memory plus, transiently,
     * one copy of the longest string with escapes, so a header of S bytes decodes within about 2·S bytes of
     * heap when its values are strings (docs/SEMANTICS.md §13).
     *
     * @param utf8 the UTF-8 encoded JSON text (not null)
     * @param maxDepth the deepest nesting of arrays and objects accepted, ≥ 1
     * @return the value, as for {@link #parse(String)}
     */
    public static Object parse(byte[] utf8, int maxDepth) {
        Objects.requireNonNull(utf8, "utf8");
        if (maxDepth < 1) {
            throw new IllegalArgumentException("maxDepth must be >= 1, got " + maxDepth);
        }
        try {
            return new Parser(null, utf8, maxDepth).parseDocument();
        } catch (Failure f) {
            throw new IllegalArgumentException("Malformed JSON: " + f.getMessage() + " at byte position " + f.pos);
        }
    }

    /** Internal parse failure; converted to IllegalArgumentException by the public entry points. */
    private static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int pos;

        Failure(String what, int pos) {
            super(what, null, false, false);
            this.pos = pos;
        }
    }

    private static final class Parser {
        // Exactly one of s (text input, positions are char indices) and b (UTF-8 input, positions are byte
        // offsets) is non-null; bytes are read in place so that large headers are never copied whole.
        private final String s;
        private final byte[] b;
        private final int n;
        private final int maxDepth;
        private int pos;
        /** Length in bytes of the sequence last validated by {@link #codePointAt}. */
        private int seqLen;

        Parser(String s, byte[] b, int maxDepth) {
            this.s = s;
            this.b = b;
            this.n = b != null ? b.length : s.length();
            this.maxDepth = maxDepth;
        }

        /** The char (text input) or unsigned byte (UTF-8 input) at {@code i}. */
        private int at(int i) {
            return b != null ? b[i] & 0xFF : s.charAt(i);
        }

        /** The input from {@code from} to {@code to} as a string (UTF-8 input: already validated). */
        private String slice(int from, int to, boolean ascii) {
            if (b == null) {
                return s.substring(from, to);
            }
            return new String(b, from, to - from, ascii ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
        }

        /**
         * Validates the UTF-8 sequence starting with the non-ASCII byte at {@code i} (RFC 3629: no overlong
         * forms, no surrogates, nothing above U+10FFFF), sets {@link #seqLen} and returns its code point.
         */
        private int codePointAt(int i) {
            int c = b[i] & 0xFF;
            int len;
            int cp;
            int min;
            if (c >= 0xC2 && c <= 0xDF) {
                len = 2;
                cp = c & 0x1F;
                min = 0x80;
            } else if (c >= 0xE0 && c <= 0xEF) {
                len = 3;
                cp = c & 0x0F;
                min = 0x800;
            } else if (c >= 0xF0 && c <= 0xF4) {
                len = 4;
                cp = c & 0x07;
                min = 0x10000;
            } else {
                throw fail("invalid UTF-8", i);
            }
            if (i + len > n) {
                throw fail("invalid UTF-8", i);
            }
            for (int k = 1; k < len; k++) {
                int cc = b[i + k] & 0xFF;
                if ((cc & 0xC0) != 0x80) {
                    throw fail("invalid UTF-8", i);
                }
                cp = (cp << 6) | (cc & 0x3F);
            }
            if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                throw fail("invalid UTF-8", i);
            }
            seqLen = len;
            return cp;
        }

        private Failure fail(String what, int at) {
            return new Failure(what, at);
        }

        private Failure unexpected(int at) {
            if (at >= n) {
                return fail("unexpected end of input", at);
            }
            int c = b != null && at(at) >= 0x80 ? codePointAt(at) : at(at);
            String shown = (c >= 0x20 && c < 0x7f) ? "'" + (char) c + "'" : String.format("U+%04X", c);
            return fail("unexpected character " + shown, at);
        }

        private void skipWs() {
            while (pos < n) {
                int c = at(pos);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                    pos++;
                } else {
                    return;
                }
            }
        }

        Object parseDocument() {
            // Explicit stack of open containers: a List, or a Map whose pending key is in `keys`.
            ArrayDeque<Object> stack = new ArrayDeque<>();
            ArrayDeque<String> keys = new ArrayDeque<>();
            skipWs();
            while (true) {
                // ---- expect a value at pos
                Object value;
                if (pos >= n) {
                    throw unexpected(pos);
                }
                int c = at(pos);
                if (c == '{' || c == '[') {
                    if (stack.size() + 1 > maxDepth) {
                        throw fail("nesting depth exceeds " + maxDepth, pos);
                    }
                    pos++;
                    skipWs();
                    if (c == '{') {
                        Map<String, Object> map = new LinkedHashMap<>();
                        if (pos < n && at(pos) == '}') {
                            pos++;
                            value = map;
                        } else {
                            stack.push(map);
                            keys.push(parseKey(map));
                            continue;
                        }
                    } else {
                        List<Object> list = new ArrayList<>();
                        if (pos < n && at(pos) == ']') {
                            pos++;
                            value = list;
                        } else {
                            stack.push(list);
                            continue;
                        }
                    }
                } else if (c == '"') {
                    value = parseString();
                } else if (c == '-' || (c >= '0' && c <= '9')) {
                    value = parseNumber();
                } else if (c == 't') {
                    literal("true");
                    value = Boolean.TRUE;
                } else if (c == 'f') {
                    literal("false");
                    value = Boolean.FALSE;
                } else if (c == 'n') {
                    literal("null");
                    value = null;
                } else {
                    throw unexpected(pos);
                }
                // ---- attach the value to its container; close containers as far as possible
                while (true) {
                    if (stack.isEmpty()) {
                        skipWs();
                        if (pos != n) {
                            throw fail("trailing characters after the JSON value", pos);
                        }
                        return value;
                    }
                    Object top = stack.peek();
                    skipWs();
                    if (top instanceof List) {
                        @SuppressWarnings("unchecked")
                        List<Object> list = (List<Object>) top;
                        list.add(value);
                        if (pos < n && at(pos) == ',') {
                            pos++;
                            skipWs();
                            break; // next element
                        } else if (pos < n && at(pos) == ']') {
                            pos++;
                            value = stack.pop();
                        } else {
                            throw pos >= n ? unexpected(pos) : fail("expected ',' or ']'", pos);
                        }
                    } else {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> map = (Map<String, Object>) top;
                        map.put(keys.pop(), value);
                        if (pos < n && at(pos) == ',') {
                            pos++;
                            skipWs();
                            keys.push(parseKey(map));
                            break; // next member value
                        } else if (pos < n && at(pos) == '}') {
                            pos++;
                            value = stack.pop();
                        } else {
                            throw pos >= n ? unexpected(pos) : fail("expected ',' or '}'", pos);
                        }
                    }
                }
            }
        }

        /** Parses {@code "key" :} (whitespace allowed) and leaves pos at the value. */
        private String parseKey(Map<String, Object> map) {
            if (pos >= n || at(pos) != '"') {
                throw pos >= n ? unexpected(pos) : fail("expected a string key", pos);
            }
            int keyPos = pos;
            String key = parseString();
            if (map.containsKey(key)) {
                throw fail("duplicate key \"" + abbreviate(key) + "\"", keyPos);
            }
            skipWs();
            if (pos >= n || at(pos) != ':') {
                throw pos >= n ? unexpected(pos) : fail("expected ':'", pos);
            }
            pos++;
            skipWs();
            return key;
        }

        private static String abbreviate(String k) {
            return k.length() <= 40 ? k : k.substring(0, 40) + "...";
        }

        private void literal(String word) {
            int i = 0;
            while (i < word.length() && pos + i < n && at(pos + i) == word.charAt(i)) {
                i++;
            }
            if (i == word.length()) {
                pos += i;
                return;
            }
            throw pos + i >= n ? unexpected(pos + i) : fail("invalid literal (expected '" + word + "')", pos);
        }

        private String parseString() {
            int start = ++pos; // after the opening quote
            // fast path: no escapes; the string is built straight from the input
            boolean ascii = true;
            while (pos < n) {
                int c = at(pos);
                if (c == '"') {
                    return slice(start, pos++, ascii);
                }
                if (c == '\\') {
                    break;
                }
                if (c < 0x20) {
                    throw fail("unescaped control character in string", pos);
                }
                if (b != null && c >= 0x80) {
                    codePointAt(pos);
                    pos += seqLen;
                    ascii = false;
                } else {
                    pos++;
                }
            }
            StringBuilder sb = new StringBuilder(Math.max(16, pos - start + 16));
            sb.append(slice(start, pos, ascii));
            while (pos < n) {
                int c = at(pos);
                if (c == '"') {
                    pos++;
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw fail("unescaped control character in string", pos);
                }
                if (c != '\\') {
                    if (b != null && c >= 0x80) {
                        sb.appendCodePoint(codePointAt(pos));
                        pos += seqLen;
                    } else {
                        sb.append((char) c);
                        pos++;
                    }
                    continue;
                }
                int escPos = pos;
                if (pos + 1 >= n) {
                    throw unexpected(n);
                }
                int e = at(pos + 1);
                pos += 2;
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        int v = 0;
                        for (int i = 0; i < 4; i++) {
                            if (pos >= n) {
                                throw unexpected(n);
                            }
                            int h = at(pos);
                            int d = h > 'f' ? -1 : Character.digit(h, 16); // digit() accepts non-ASCII digits
                            if (d < 0) {
                                throw fail("invalid \\u escape", escPos);
                            }
                            v = (v << 4) | d;
                            pos++;
                        }
                        sb.append((char) v);
                    }
                    default -> throw fail("invalid escape '\\" + (e >= 0x20 && e < 0x7f ? String.valueOf((char) e)
                            : String.format("U+%04X", (int) e)) + "'", escPos);
                }
            }
            throw unexpected(n);
        }

        private Object parseNumber() {
            int start = pos;
            if (at(pos) == '-') {
                pos++;
            }
            if (pos >= n) {
                throw unexpected(pos);
            }
            int c = at(pos);
            if (c == '0') {
                pos++;
                if (pos < n && isDigit(at(pos))) {
                    throw fail("leading zeros are not allowed", start);
                }
            } else if (c >= '1' && c <= '9') {
                while (pos < n && isDigit(at(pos))) {
                    pos++;
                }
            } else {
                throw fail("invalid number", start);
            }
            boolean integral = true;
            if (pos < n && at(pos) == '.') {
                integral = false;
                pos++;
                if (pos >= n || !isDigit(at(pos))) {
                    throw fail("expected a digit after the decimal point", pos);
                }
                while (pos < n && isDigit(at(pos))) {
                    pos++;
                }
            }
            if (pos < n && (at(pos) == 'e' || at(pos) == 'E')) {
                integral = false;
                pos++;
                if (pos < n && (at(pos) == '+' || at(pos) == '-')) {
                    pos++;
                }
                if (pos >= n || !isDigit(at(pos))) {
                    throw fail("expected a digit in the exponent", pos);
                }
                while (pos < n && isDigit(at(pos))) {
                    pos++;
                }
            }
            String text = slice(start, pos, true);
            if (integral && pos - start <= 20) { // sign + 19 digits; longer cannot fit in a long
                try {
                    return Long.parseLong(text);
                } catch (NumberFormatException overflow) {
                    // falls through to double
                }
            }
            double d = Double.parseDouble(text);
            if (Double.isInfinite(d)) {
                throw fail("number out of range", start);
            }
            return d;
        }

        private static boolean isDigit(int c) {
            return c >= '0' && c <= '9';
        }
    }

    // ------------------------------------------------------------------------------------------
    // writing

    /**
     * Writes a value as compact JSON.
     *
     * @param value a supported value (see the class comment), possibly null
     * @return its compact JSON text
     * @throws IllegalArgumentException for unsupported types, non-string map keys, non-finite numbers,
     *                                  or nesting deeper than {@link #DEFAULT_MAX_DEPTH} (which also
     *                                  catches self-containing collections)
     */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        writeValue(sb, value, 0);
        return sb.toString();
    }

    private static void enter(int depth) {
        if (depth + 1 > DEFAULT_MAX_DEPTH) {
            throw new IllegalArgumentException("JSON write: nesting depth exceeds " + DEFAULT_MAX_DEPTH);
        }
    }

    private static void writeValue(StringBuilder sb, Object v, int depth) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String str) {
            writeString(sb, str);
        } else if (v instanceof Character ch) {
            writeString(sb, String.valueOf(ch));
        } else if (v instanceof Boolean b) {
            sb.append(b.booleanValue());
        } else if (v instanceof Double d) {
            writeDouble(sb, d);
        } else if (v instanceof Float f) {
            writeDouble(sb, f.doubleValue());
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte
                || v instanceof BigInteger) {
            sb.append(v);
        } else if (v instanceof BigDecimal bd) {
            sb.append(bd.toString());
        } else if (v instanceof Map<?, ?> map) {
            enter(depth);
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new IllegalArgumentException("JSON write: map keys must be strings, got "
                            + (e.getKey() == null ? "null" : e.getKey().getClass().getName()));
                }
                if (!first) {
                    sb.append(',');
                }
                first = false;
                writeString(sb, key);
                sb.append(':');
                writeValue(sb, e.getValue(), depth + 1);
            }
            sb.append('}');
        } else if (v instanceof Iterable<?> it) {
            enter(depth);
            sb.append('[');
            boolean first = true;
            for (Object o : it) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                writeValue(sb, o, depth + 1);
            }
            sb.append(']');
        } else if (v instanceof Object[] arr) {
            writeValue(sb, java.util.Arrays.asList(arr), depth);
        } else if (v instanceof double[] a) {
            enter(depth);
            sb.append('[');
            for (int i = 0; i < a.length; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                writeDouble(sb, a[i]);
            }
            sb.append(']');
        } else if (v instanceof float[] a) {
            enter(depth);
            sb.append('[');
            for (int i = 0; i < a.length; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                writeDouble(sb, a[i]);
            }
            sb.append(']');
        } else if (v instanceof long[] a) {
            enter(depth);
            sb.append('[');
            for (int i = 0; i < a.length; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(a[i]);
            }
            sb.append(']');
        } else if (v instanceof int[] a) {
            enter(depth);
            sb.append('[');
            for (int i = 0; i < a.length; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(a[i]);
            }
            sb.append(']');
        } else if (v instanceof boolean[] a) {
            enter(depth);
            sb.append('[');
            for (int i = 0; i < a.length; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(a[i]);
            }
            sb.append(']');
        } else {
            throw new IllegalArgumentException("JSON write: unsupported type " + v.getClass().getName());
        }
    }

    private static void writeDouble(StringBuilder sb, double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            throw new IllegalArgumentException("JSON write: non-finite number " + d
                    + " (JSON has no NaN/Infinity; encode it as a string if needed)");
        }
        sb.append(Double.toString(d)); // e.g. "1.0", "-0.0", "1.0E-5": all valid JSON numbers
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private static void writeString(StringBuilder sb, String str) {
        sb.append('"');
        int len = str.length();
        for (int i = 0; i < len; i++) {
            char c = str.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    boolean lone = false;
                    if (Character.isHighSurrogate(c)) {
                        if (i + 1 < len && Character.isLowSurrogate(str.charAt(i + 1))) {
                            sb.append(c).append(str.charAt(++i));
                            continue;
                        }
                        lone = true;
                    } else if (Character.isLowSurrogate(c)) {
                        lone = true;
                    }
                    if (c < 0x20 || lone) {
                        sb.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf])
                                .append(HEX[c >> 4 & 0xf]).append(HEX[c & 0xf]);
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
