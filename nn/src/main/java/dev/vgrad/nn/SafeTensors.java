package dev.vgrad.nn;

import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.io.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format: an unsigned
 * 64-bit little-endian header length {@code n}, {@code n} bytes of JSON header
 * ({@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}}),
 * then the raw little-endian tensor data; offsets are relative to the end of the header.
 *
 * <p>Written dtypes: F32, F64, I64, BOOL (one byte per element, 0 or 1). Read dtypes: F32, F64, I64, BOOL (a
 * nonzero byte is true), and (converted) F16/BF16 → float32, I32/I16/I8/U8 → int64. Reading validates everything
 * before allocating tensors (docs/SEMANTICS.md §13):
 * header length within the file, a UTF-8 JSON object starting with <code>'&#123;'</code> (trailing space padding
 * allowed), known dtypes, non-negative shapes whose byte size matches the offsets, and, as in the reference
 * implementation, offsets that tile the data section exactly: sorted by offset, the first tensor starts at
 * byte 0, each starts where the previous one ends, and the last ends at the end of the file (no gap, no
 * overlap, no trailing bytes). Any violation is an {@link IllegalArgumentException} naming the problem; no
 * buffer larger than the file is ever allocated, and the header is parsed in place (no decoded copy).
 */
public final class SafeTensors {
    private SafeTensors() {}

    /** Largest accepted header (as in the reference implementation). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /**
     * The contents of a safetensors file: tensors in header order and the {@code __metadata__} map.
     *
     * @param tensors tensors by name, in header order (F32/F64/I64/BOOL as stored, other dtypes converted)
     * @param metadata the header's {@code __metadata__} strings; empty when absent
     */
    public record Loaded(Map<String, Tensor> tensors, Map<String, String> metadata) {
        /**
         * Copies both maps into unmodifiable ones that keep the given order.
         *
         * @param tensors tensors by name
         * @param metadata metadata strings
         */
        public Loaded {
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }
    }

    // ------------------------------------------------------------------ writing

    /**
     * Writes {@code tensors} (in map order) and optional string {@code metadata} to {@code path}, through a
     * temporary file in the same directory that is then renamed over {@code path} atomically.
     *
     * @param path destination file; parent directories are created, an existing file is replaced
     * @param tensors tensors by name (non-empty names other than {@code __metadata__}); float32, float64 or int64
     * @param metadata string pairs stored as {@code __metadata__}, or null/empty for none
     * @throws IOException when the file cannot be written (the temporary file is then deleted)
     * @throws IllegalArgumentException for a bad name, a null tensor or a null metadata key or value
     */
    public static void save(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Path abs = path.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName().toString(), ".tmp");
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = Channels.newOutputStream(ch)) {
                write(out, tensors, metadata);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /**
     * The safetensors encoding of {@code tensors} and {@code metadata} as bytes.
     *
     * @param tensors tensors by name (non-empty names other than {@code __metadata__}); float32, float64 or int64
     * @param metadata string pairs stored as {@code __metadata__}, or null/empty for none
     * @return a new array holding the whole file
     * @throws IllegalArgumentException for a bad name, a null tensor or a null metadata key or value
     */
    public static byte[] toBytes(Map<String, Tensor> tensors, Map<String, String> metadata) {
        java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream();
        try {
            write(bos, tensors, metadata);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    private static void write(OutputStream out, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("safetensors: metadata keys and values must be non-null strings");
                }
            }
            header.put("__metadata__", new LinkedHashMap<>(metadata));
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (name == null || name.isEmpty() || name.equals("__metadata__")) {
                throw new IllegalArgumentException("safetensors: invalid tensor name '" + name + "'");
            }
            if (t == null) {
                throw new IllegalArgumentException("safetensors: tensor '" + name + "' is null");
            }
            long bytes = (long) t.numel() * t.dtype().byteSize();
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", code(t.dtype()));
            List<Long> shape = new ArrayList<>();
            for (int s : t.shape()) {
                shape.add((long) s);
            }
            info.put("shape", shape);
            info.put("data_offsets", List.of(offset, offset + bytes));
            header.put(name, info);
            offset += bytes;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded);
        head.put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        out.write(head.array());
        byte[] chunk = new byte[1 << 16];
        ByteBuffer bb = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
        for (Tensor t : tensors.values()) {
            Tensor d = t.detach();
            switch (t.dtype()) {
                case FLOAT32 -> {
                    float[] v = d.toArray();
                    for (float f : v) {
                        if (!bb.hasRemaining()) {
                            out.write(chunk, 0, bb.position());
                            bb.clear();
                        }
                        bb.putFloat(f);
                    }
                }
                case FLOAT64 -> {
                    double[] v = d.toDoubleArray();
                    for (double x : v) {
                        if (!bb.hasRemaining()) {
                            out.write(chunk, 0, bb.position());
                            bb.clear();
                        }
                        bb.putDouble(x);
                    }
                }
                case INT64 -> {
                    long[] v = d.toLongArray();
                    for (long x : v) {
                        if (!bb.hasRemaining()) {
                            out.write(chunk, 0, bb.position());
                            bb.clear();
                        }
                        bb.putLong(x);
                    }
                }
                case BOOL -> {
                    // one byte per element, 0 or 1, as torch writes torch.bool
                    boolean[] v = d.toBooleanArray();
                    for (boolean x : v) {
                        if (!bb.hasRemaining()) {
                            out.write(chunk, 0, bb.position());
                            bb.clear();
                        }
                        bb.put((byte) (x ? 1 : 0));
                    }
                }
            }
        }
        out.write(chunk, 0, bb.position());
    }

    private static String code(DType d) {
        return switch (d) {
            case FLOAT32 -> "F32";
            case FLOAT64 -> "F64";
            case INT64 -> "I64";
            case BOOL -> "BOOL";
        };
    }

    // ------------------------------------------------------------------ reading

    private record Entry(String name, String dtype, int elemSize, int[] shape, long numel, long begin, long end) {}

    /**
     * Reads and validates a safetensors file.
     *
     * @param path a safetensors file
     * @return its tensors and metadata
     * @throws IOException when the file cannot be read
     * @throws IllegalArgumentException when the file is not valid safetensors (see the class comment)
     */
    public static Loaded load(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return read(new ChannelSource(ch), ch.size());
        }
    }

    /**
     * Parses a safetensors file held in memory.
     *
     * @param bytes the whole content of a safetensors file
     * @return its tensors and metadata
     * @throws IllegalArgumentException when the bytes are not valid safetensors
     */
    public static Loaded fromBytes(byte[] bytes) {
        try {
            return read(new ArraySource(bytes), bytes.length);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private interface Source {
        /** Reads exactly {@code dst.remaining()} bytes starting at {@code pos}. */
        void read(ByteBuffer dst, long pos) throws IOException;
    }

    private record ChannelSource(FileChannel ch) implements Source {
        @Override
        public void read(ByteBuffer dst, long pos) throws IOException {
            while (dst.hasRemaining()) {
                int r = ch.read(dst, pos);
                if (r < 0) {
                    throw new IllegalArgumentException("safetensors: unexpected end of file at byte " + pos
                            + " (file truncated)");
                }
                pos += r;
            }
        }
    }

    private record ArraySource(byte[] a) implements Source {
        @Override
        public void read(ByteBuffer dst, long pos) {
            int n = dst.remaining();
            if (pos + n > a.length) {
                throw new IllegalArgumentException("safetensors: unexpected end of data (truncated)");
            }
            dst.put(a, (int) pos, n);
        }
    }

    @SuppressWarnings("unchecked")
    private static Loaded read(Source src, long fileSize) throws IOException {
        if (fileSize < 8) {
            throw new IllegalArgumentException("safetensors: file too small (" + fileSize
                    + " bytes) to hold the 8-byte header length");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        src.read(lenBuf, 0);
        long n = lenBuf.flip().getLong();
        if (n < 0 || n > fileSize - 8) {
            throw new IllegalArgumentException("safetensors: header length " + Long.toUnsignedString(n)
                    + " exceeds the file size (" + fileSize + " bytes)");
        }
        if (n > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("safetensors: header length " + n + " exceeds the limit of "
                    + MAX_HEADER_BYTES + " bytes");
        }
        if (n < 2) {
            throw new IllegalArgumentException("safetensors: header of " + n + " bytes is too short for a JSON object");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) n);
        src.read(hb, 8);
        Object root;
        try {
            // parsed in place (trailing padding spaces are JSON whitespace): no copy of a header of up to 100 MB
            root = Json.parse(hb.array());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("safetensors: invalid JSON header: " + e.getMessage(), e);
        }
        if (!(root instanceof Map)) {
            throw new IllegalArgumentException("safetensors: the header must be a JSON object");
        }
        if (hb.get(0) != '{') {
            throw new IllegalArgumentException("safetensors: the header must start with '{' (no leading whitespace), "
                    + String.format("got byte 0x%02X", hb.get(0) & 0xFF));
        }
        long dataLen = fileSize - 8 - n;
        long dataStart = 8 + n;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, Object> e : ((Map<String, Object>) root).entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> m)) {
                    throw new IllegalArgumentException("safetensors: __metadata__ must be an object of strings");
                }
                for (Map.Entry<?, ?> me : m.entrySet()) {
                    if (!(me.getValue() instanceof String s)) {
                        throw new IllegalArgumentException("safetensors: __metadata__ value of '" + me.getKey()
                                + "' is not a string");
                    }
                    metadata.put((String) me.getKey(), s);
                }
                continue;
            }
            entries.add(parseEntry(name, e.getValue(), dataLen));
        }
        checkContiguous(entries, dataLen);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry en : entries) {
            ByteBuffer buf = ByteBuffer.allocate((int) (en.end - en.begin)).order(ByteOrder.LITTLE_ENDIAN);
            src.read(buf, dataStart + en.begin);
            buf.flip();
            tensors.put(en.name, decode(en, buf));
        }
        return new Loaded(tensors, metadata);
    }

    /**
     * The reference implementation's layout rule: sorted by offsets, the tensors' byte ranges tile the data
     * section exactly, from byte 0 to its end, with no gap, no overlap and no trailing bytes (its
     * {@code InvalidOffset} and {@code MetadataIncompleteBuffer} errors).
     */
    private static void checkContiguous(List<Entry> entries, long dataLen) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        Entry prev = null;
        for (Entry e : sorted) {
            if (e.begin < expected) {
                throw new IllegalArgumentException("safetensors: data of tensors '" + prev.name + "' [" + prev.begin
                        + ", " + prev.end + ") and '" + e.name + "' [" + e.begin + ", " + e.end + ") overlap");
            }
            if (e.begin > expected) {
                throw new IllegalArgumentException("safetensors: gap in the data section: tensor '" + e.name
                        + "' starts at byte " + e.begin + " but " + (prev == null ? "the data section starts at byte 0"
                        : "the previous tensor '" + prev.name + "' ends at byte " + expected)
                        + " (invalid offset)");
            }
            expected = e.end;
            prev = e;
        }
        if (expected != dataLen) {
            throw new IllegalArgumentException("safetensors: " + (dataLen - expected) + " trailing bytes: the tensors "
                    + "cover " + expected + " bytes but the data section has " + dataLen + " (incomplete metadata)");
        }
    }

    private static Entry parseEntry(String name, Object node, long dataLen) {
        if (!(node instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("safetensors: header entry '" + name + "' is not an object");
        }
        if (!(m.get("dtype") instanceof String dtype)) {
            throw new IllegalArgumentException("safetensors: tensor '" + name + "' has no string dtype");
        }
        int elem = switch (dtype) {
            case "F64", "I64" -> 8;
            case "F32", "I32" -> 4;
            case "F16", "BF16", "I16" -> 2;
            case "I8", "U8", "BOOL" -> 1;
            default -> throw new IllegalArgumentException("safetensors: unknown dtype '" + dtype + "' for tensor '"
                    + name + "'");
        };
        if (!(m.get("shape") instanceof List<?> shapeList)) {
            throw new IllegalArgumentException("safetensors: tensor '" + name + "' has no shape array");
        }
        if (shapeList.size() > 64) {
            throw new IllegalArgumentException("safetensors: tensor '" + name + "' has too many dimensions ("
                    + shapeList.size() + ")");
        }
        int[] shape = new int[shapeList.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            Object s = shapeList.get(i);
            if (!(s instanceof Long l) || l < 0) {
                throw new IllegalArgumentException("safetensors: tensor '" + name + "' has an invalid shape " + shapeList);
            }
            if (l > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("safetensors: tensor '" + name + "' has an absurd dimension " + l);
            }
            shape[i] = (int) (long) l;
            try {
                numel = Math.multiplyExact(numel, l);
            } catch (ArithmeticException ex) {
                throw new IllegalArgumentException("safetensors: tensor '" + name + "' has an absurd shape " + shapeList);
            }
        }
        if (!(m.get("data_offsets") instanceof List<?> offs) || offs.size() != 2
                || !(offs.get(0) instanceof Long begin) || !(offs.get(1) instanceof Long end)) {
            throw new IllegalArgumentException("safetensors: tensor '" + name
                    + "' needs data_offsets [begin, end] of two integers");
        }
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("safetensors: tensor '" + name + "' has invalid data_offsets [" + begin
                    + ", " + end + "]");
        }
        if (end > dataLen) {
            throw new IllegalArgumentException("safetensors: data_offsets [" + begin + ", " + end + "] of tensor '"
                    + name + "' are out of range: the data section has " + dataLen + " bytes (file truncated?)");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(numel, (long) elem);
        } catch (ArithmeticException ex) {
            throw new IllegalArgumentException("safetensors: tensor '" + name + "' has an absurd size");
        }
        if (bytes != end - begin) {
            throw new IllegalArgumentException("safetensors: tensor '" + name + "' with dtype " + dtype + " and shape "
                    + shapeList + " needs " + bytes + " bytes but data_offsets span " + (end - begin));
        }
        if (numel > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("safetensors: tensor '" + name + "' has too many elements (" + numel + ")");
        }
        return new Entry(name, dtype, elem, shape, numel, begin, end);
    }

    private static Tensor decode(Entry e, ByteBuffer b) {
        int n = (int) e.numel;
        switch (e.dtype) {
            case "F32": {
                float[] v = new float[n];
                b.asFloatBuffer().get(v);
                return Tensor.of(v, e.shape);
            }
            case "F64": {
                double[] v = new double[n];
                b.asDoubleBuffer().get(v);
                return Tensor.of(v, e.shape);
            }
            case "I64": {
                long[] v = new long[n];
                b.asLongBuffer().get(v);
                return Tensor.ofLongs(v, e.shape);
            }
            case "F16": {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = Float.float16ToFloat(b.getShort());
                }
                return Tensor.of(v, e.shape);
            }
            case "BF16": {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = Float.intBitsToFloat((b.getShort() & 0xFFFF) << 16);
                }
                return Tensor.of(v, e.shape);
            }
            case "BOOL": {
                boolean[] v = new boolean[n];
                for (int i = 0; i < n; i++) {
                    v[i] = b.get() != 0;
                }
                return Tensor.of(v, e.shape);
            }
            default: {
                long[] v = new long[n];
                for (int i = 0; i < n; i++) {
                    v[i] = switch (e.dtype) {
                        case "I32" -> b.getInt();
                        case "I16" -> b.getShort();
                        case "I8" -> b.get();
                        default -> b.get() & 0xFF; // U8
                    };
                }
                return Tensor.ofLongs(v, e.shape);
            }
        }
    }
}
