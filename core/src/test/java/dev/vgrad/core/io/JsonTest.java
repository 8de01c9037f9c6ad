package dev.vgrad.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;
import org.quicktheories.impl.Constraint;

class JsonTest {

    // ------------------------------------------------------------------------------------------
    // reading

    @Test
    void parsesScalars() {
        assertEquals(Boolean.TRUE, Json.parse("true"));
        assertEquals(Boolean.FALSE, Json.parse(" false "));
        assertNull(Json.parse("null"));
        assertEquals("abc", Json.parse("\"abc\""));
        assertEquals(42L, Json.parse("42"));
        assertEquals(-7L, Json.parse("-7"));
        assertEquals(0.5, Json.parse("0.5"));
    }

    @Test
    void objectsKeepKeyOrderAndNest() {
        Object v = Json.parse(" {\"z\": 1, \"a\": [true, null, {\"k\": \"v\"}], \"m\": {}}\n");
        Map<?, ?> m = assertInstanceOf(LinkedHashMap.class, v);
        assertEquals(List.of("z", "a", "m"), new ArrayList<>(m.keySet()));
        List<?> a = assertInstanceOf(List.class, m.get("a"));
        assertEquals(3, a.size());
        assertEquals(Boolean.TRUE, a.get(0));
        assertNull(a.get(1));
        assertEquals(Map.of("k", "v"), a.get(2));
        assertEquals(Map.of(), m.get("m"));
        assertEquals(List.of(), Json.parse("[ ]"));
    }

    @Test
    void numbers() {
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        assertEquals(9.223372036854775808E18, Json.parse("9223372036854775808")); // beyond long -> Double
        assertEquals(1000.0, Json.parse("1e3"));
        assertEquals(1000.0, Json.parse("1E+3"));
        assertEquals(-0.0025, Json.parse("-2.5e-3"));
        assertEquals(1.5E-300, Json.parse("15e-301"));
        assertEquals(0L, Json.parse("-0"));
        assertEquals(-0.0, Json.parse("-0.0"));
        assertEquals(Double.MIN_VALUE, Json.parse("4.9E-324"));
        assertEquals(0.0, Json.parse("1e-400")); // underflow is not an error
        assertEquals(0.1, Json.parse("0.1000000000000000055511151231257827021181583404541015625"));
        assertEquals(Double.class, Json.parse("3.0").getClass());
        assertEquals(Long.class, Json.parse("3").getClass());
    }

    @Test
    void nanAndInfinityStayStrings() {
        assertEquals(List.of("NaN", "Infinity", "-Infinity"), Json.parse("[\"NaN\",\"Infinity\",\"-Infinity\"]"));
    }

    @Test
    void stringEscapesAndUnicode() {
        assertEquals("a\"b\\c/d\b\f\n\r\t", Json.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\""));
        assertEquals("é", Json.parse("\"\\u00e9\""));
        assertEquals("é", Json.parse("\"\\u00E9\""));
        assertEquals("\uD83D\uDE00", Json.parse("\"\\ud83d\\ude00\""));   // surrogate pair
        assertEquals("日本\uD83D\uDE00", Json.parse("\"日本\uD83D\uDE00\""));   // raw non-ASCII
        assertEquals("\u0000", Json.parse("\"\\u0000\""));
        assertEquals("x\uD800y", Json.parse("\"x\\ud800y\""));   // lone surrogate escape is kept
        assertEquals("日本", Json.parse("\"日本\"".getBytes(StandardCharsets.UTF_8)));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "``                         | unexpected end of input at position 0",
        "`   `                      | unexpected end of input at position 3",
        "`[1,]`                     | unexpected character ']' at position 3",
        "`[1 2]`                    | expected ',' or ']' at position 3",
        "`[1,2`                     | unexpected end of input at position 4",
        "`{\"a\":1,}`               | expected a string key at position 7",
        "`{\"a\" 1}`                | expected ':' at position 5",
        "`{\"a\":1 \"b\":2}`        | expected ',' or '}' at position 7",
        "`{\"a\":1,\"a\":2}`        | duplicate key \"a\" at position 7",
        "`{1:2}`                    | expected a string key at position 1",
        "`[01]`                     | leading zeros are not allowed at position 1",
        "`-`                        | unexpected end of input at position 1",
        "`-a`                       | invalid number at position 0",
        "`1.`                       | expected a digit after the decimal point at position 2",
        "`1.e5`                     | expected a digit after the decimal point at position 2",
        "`1e`                       | expected a digit in the exponent at position 2",
        "`1e+`                      | expected a digit in the exponent at position 3",
        "`.5`                       | unexpected character '.' at position 0",
        "`+1`                       | unexpected character '+' at position 0",
        "`1e400`                    | number out of range at position 0",
        "`-1e400`                   | number out of range at position 0",
        "`\"abc`                    | unexpected end of input at position 4",
        "`\"a\\x\"`                 | invalid escape '\\x' at position 2",
        "`\"\\u12G4\"`              | invalid \\u escape at position 1",
        "`\"\\u12`                  | unexpected end of input at position 5",
        "`\"ab\\`                   | unexpected end of input at position 4",
        "`tru`                      | unexpected end of input at position 3",
        "`trux`                     | invalid literal (expected 'true') at position 0",
        "`nul`                      | unexpected end of input at position 3",
        "`NaN`                      | unexpected character 'N' at position 0",
        "`Infinity`                 | unexpected character 'I' at position 0",
        "`'a'`                      | unexpected character ''' at position 0",
        "`// c`                     | unexpected character '/' at position 0",
        "`1 2`                      | trailing characters after the JSON value at position 2",
        "`{} x`                     | trailing characters after the JSON value at position 3",
        "`[1]]`                     | trailing characters after the JSON value at position 3",
    })
    void malformedInputsNameTheProblemAndPosition(String input, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(input));
        assertTrue(e.getMessage().endsWith(expected), () -> "message was: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("Malformed JSON: "), e.getMessage());
    }

    @Test
    void controlCharactersAndBomAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse("\"a\nb\""));
        assertEquals("Malformed JSON: unescaped control character in string at position 2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.parse("\"a\\\"\tb\""));
        assertEquals("Malformed JSON: unescaped control character in string at position 4", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.parse("\uFEFF{}"));
        assertEquals("Malformed JSON: unexpected character U+FEFF at position 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.parse("[1,\u00a02]"));
        assertEquals("Malformed JSON: unexpected character U+00A0 at position 3", e.getMessage());
    }

    @Test
    void byteInputReportsBytePositions() {
        byte[] b = "[\"é\", x]".getBytes(StandardCharsets.UTF_8); // 'x' is char 6, byte 7
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(b));
        assertEquals("Malformed JSON: unexpected character 'x' at byte position 7", e.getMessage());
        byte[] bad = {'[', '"', (byte) 0xC3, '(', '"', ']'};
        e = assertThrows(IllegalArgumentException.class, () -> Json.parse(bad));
        assertEquals("Malformed JSON: invalid UTF-8 at byte position 2", e.getMessage());
        byte[] truncated = {'"', (byte) 0xE6, (byte) 0x97};
        e = assertThrows(IllegalArgumentException.class, () -> Json.parse(truncated));
        assertEquals("Malformed JSON: invalid UTF-8 at byte position 1", e.getMessage());
        assertEquals(List.of(1L), Json.parse("[1]".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void depthLimit() {
        String ok = "[".repeat(Json.DEFAULT_MAX_DEPTH) + "]".repeat(Json.DEFAULT_MAX_DEPTH);
        Object v = Json.parse(ok);
        for (int i = 1; i < Json.DEFAULT_MAX_DEPTH; i++) {
            v = ((List<?>) v).get(0);
        }
        assertEquals(List.of(), v);
        String tooDeep = "[".repeat(65) + "]".repeat(65);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(tooDeep));
        assertEquals("Malformed JSON: nesting depth exceeds 64 at position 64", e.getMessage());
        String objects = "{\"a\":".repeat(65) + "1" + "}".repeat(65);
        e = assertThrows(IllegalArgumentException.class, () -> Json.parse(objects));
        assertEquals("Malformed JSON: nesting depth exceeds 64 at position " + (64 * 5), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.parse("[[[1]]]", 2));
        assertEquals("Malformed JSON: nesting depth exceeds 2 at position 2", e.getMessage());
        assertEquals(List.of(List.of(1L)), Json.parse("[[1]]", 2));
    }

    @Test
    void hostileInputsFailFastWithoutStackOverflow() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            // a million open brackets: rejected at the depth limit, no recursion
            String deep = "[".repeat(1_000_000);
            assertThrows(IllegalArgumentException.class, () -> Json.parse(deep));
            String deep2 = "[".repeat(200_000);
            assertThrows(IllegalArgumentException.class, () -> Json.parse(deep2, Integer.MAX_VALUE));
            // large but valid inputs parse in linear time
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < 500_000; i++) {
                sb.append(i == 0 ? "" : ",").append(i).append(".5");
            }
            sb.append(']');
            assertEquals(500_000, ((List<?>) Json.parse(sb.toString())).size());
            String esc = "\"" + "\\u00e9\\n".repeat(300_000) + "\"";
            assertEquals(600_000, ((String) Json.parse(esc)).length());
            StringBuilder keys = new StringBuilder("{");
            for (int i = 0; i < 200_000; i++) {
                keys.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":").append(i);
            }
            keys.append('}');
            assertEquals(200_000, ((Map<?, ?>) Json.parse(keys.toString())).size());
            String longNumber = "1" + "0".repeat(200_000);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(longNumber));
            assertTrue(e.getMessage().contains("number out of range"), e.getMessage());
        });
    }

    // ------------------------------------------------------------------------------------------
    // writing

    @Test
    void writesCompactJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("b", 1);
        m.put("a", List.of(1.5, -0.0, true, "x"));
        m.put("n", null);
        m.put("arr", new double[] {1e-5, 2});
        m.put("longs", new long[] {3, -4});
        m.put("ints", new int[] {5});
        m.put("objs", new Object[] {"s", 'c'});
        assertEquals("{\"b\":1,\"a\":[1.5,-0.0,true,\"x\"],\"n\":null,\"arr\":[1.0E-5,2.0],\"longs\":[3,-4],"
                + "\"ints\":[5],\"objs\":[\"s\",\"c\"]}", Json.write(m));
        assertEquals("0.10000000149011612", Json.write(0.1f)); // float written as its exact double value
        assertEquals("\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\u007f é \uD83D\uDE00 \\ud800\"",
                Json.write("a\"b\\c\n\t\u0001\u001f\u007f é \uD83D\uDE00 \uD800"));
    }

    @Test
    void writerRejectsUnrepresentableValues() {
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Json.write(List.of(Double.POSITIVE_INFINITY)));
        assertThrows(IllegalArgumentException.class, () -> Json.write(new double[] {Double.NEGATIVE_INFINITY}));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(1, 2)));
        assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()));
        List<Object> self = new ArrayList<>();
        self.add(self);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.write(self));
        assertTrue(e.getMessage().contains("nesting depth exceeds 64"), e.getMessage());
    }

    @Test
    void roundTripsFixtureStyleDocument() {
        String text = "{\"generator\":\"tools/fixtures/generate.py\",\"cases\":[{\"name\":\"t\",\"inputs\":{\"a\":"
                + "{\"shape\":[2],\"dtype\":\"float64\",\"data\":[0.0625,\"NaN\"]}}}]}";
        assertEquals(text, Json.write(Json.parse(text)));
    }

    // ------------------------------------------------------------------------------------------
    // property: random nested values round-trip

    @Test
    void randomValuesRoundTrip() {
        long seed = Long.getLong("vgrad.test.seed", System.nanoTime());
        Gen<Object> values = in -> randomValue(in, 0);
        qt().withFixedSeed(seed).withExamples(500).forAll(values).checkAssert(v -> {
            String text = Json.write(v);
            Object back = Json.parse(text);
            assertEquals(v, back, () -> "seed " + seed + ": round trip changed " + text);
            assertEquals(back, Json.parse(text.getBytes(StandardCharsets.UTF_8)), () -> "seed " + seed);
            assertEquals(text, Json.write(back), () -> "seed " + seed);
        });
    }

    private static Object randomValue(RandomnessSource in, int depth) {
        int kind = (int) in.next(Constraint.between(0, depth >= 5 ? 4 : 6));
        switch (kind) {
            case 0:
                return in.next(Constraint.between(0, 2)) == 0 ? null : in.next(Constraint.between(0, 1)) == 1;
            case 1:
                return in.next(Constraint.none());
            case 2: {
                double d;
                do {
                    d = in.next(Constraint.between(0, 1)) == 0
                            ? Double.longBitsToDouble(in.next(Constraint.none()))
                            : in.next(Constraint.between(-4096, 4096)) / 64.0;
                } while (!Double.isFinite(d));
                return d;
            }
            case 3:
            case 4:
                return randomString(in);
            case 5: {
                int n = (int) in.next(Constraint.between(0, 5));
                List<Object> l = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    l.add(randomValue(in, depth + 1));
                }
                return l;
            }
            default: {
                int n = (int) in.next(Constraint.between(0, 5));
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    m.put(randomString(in), randomValue(in, depth + 1));
                }
                return m;
            }
        }
    }

    private static final char[] SPECIAL = {'"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é',
        '\u2028', '\uFEFF', '\uD800', '\uDFFF', '{', '[', ':', ','};

    private static String randomString(RandomnessSource in) {
        int n = (int) in.next(Constraint.between(0, 12));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            long k = in.next(Constraint.between(0, 3));
            if (k == 0) {
                sb.append(SPECIAL[(int) in.next(Constraint.between(0, SPECIAL.length - 1))]);
            } else if (k == 1) {
                sb.appendCodePoint((int) in.next(Constraint.between(0x80, 0x10FFFF)));
            } else {
                sb.append((char) in.next(Constraint.between(0x20, 0x7e)));
            }
        }
        return sb.toString();
    }

    @Test
    void arraysOfPrimitivesRoundTripExactly() {
        double[] d = {Double.MIN_VALUE, -Double.MAX_VALUE, 0.1, 1.0 / 3, -0.0, 1e308, 123456789.125};
        List<?> back = (List<?>) Json.parse(Json.write(d));
        for (int i = 0; i < d.length; i++) {
            assertEquals(Double.doubleToRawLongBits(d[i]), Double.doubleToRawLongBits((Double) back.get(i)),
                    "element " + i + " of " + Arrays.toString(d));
        }
    }
}
