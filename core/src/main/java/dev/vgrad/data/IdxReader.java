package dev.vgrad.data;

import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed (detected from the first two
 * bytes, not from the file name).
 *
 * <p>Format: two zero bytes, a type code ({@code 0x08} unsigned byte, {@code 0x09} signed byte, {@code 0x0B}
 * int16, {@code 0x0C} int32, {@code 0x0D} float32, {@code 0x0E} float64), the number of dimensions, then each
 * dimension as a big-endian int32, then the data in row-major order, big-endian.
 *
 * <p>Every problem is an {@link IllegalArgumentException} naming the source and what was wrong: bad magic,
 * unknown type, zero or more than {@value #MAX_DIMS} dimensions, negative dimensions, more than
 * {@value #MAX_ELEMENTS} elements, truncated data, trailing bytes, or a corrupt gzip stream. Memory is bounded
 * by what the file really holds: a plain file's size is checked against the header before allocating, and
 * compressed data is read in chunks (at most {@value #CHUNK} bytes ahead of the bytes actually decompressed),
 * so a hostile header cannot make the reader allocate gigabytes.
 */
public final class IdxReader {
    /** Largest number of dimensions accepted. */
    public static final int MAX_DIMS = 16;
    /** Largest number of elements accepted (a Java array bound). */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    static final int CHUNK = 1 << 20;

    private IdxReader() {}

    /** IDX element types. */
    public enum ElementType {
        /** Unsigned 8-bit integer, code {@code 0x08} (MNIST pixels and labels). */
        UBYTE(0x08, 1),
        /** Signed 8-bit integer, code {@code 0x09}. */
        BYTE(0x09, 1),
        /** Signed big-endian 16-bit integer, code {@code 0x0B}. */
        SHORT(0x0B, 2),
        /** Signed big-endian 32-bit integer, code {@code 0x0C}. */
        INT(0x0C, 4),
        /** Big-endian IEEE float32, code {@code 0x0D}. */
        FLOAT(0x0D, 4),
        /** Big-endian IEEE float64, code {@code 0x0E}. */
        DOUBLE(0x0E, 8);

        private final int code;
        private final int bytes;

        ElementType(int code, int bytes) {
            this.code = code;
            this.bytes = bytes;
        }

        /**
         * The type byte in the header.
         *
         * @return the IDX type code, e.g. {@code 0x08} for {@link #UBYTE}
         */
        public int code() {
            return code;
        }

        /**
         * Bytes per element.
         *
         * @return 1, 2, 4 or 8
         */
        public int byteSize() {
            return bytes;
        }

        static ElementType ofCode(int code, String source) {
            for (ElementType t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            throw new IllegalArgumentException(source + ": unknown IDX element type 0x"
                    + String.format("%02X", code) + " (expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E)");
        }
    }

    /**
     * The content of an IDX file.
     *
     * @param type element type
     * @param dims dimensions (each ≥ 0)
     * @param data raw big-endian element bytes, {@code numel * type.byteSize()} of them
     */
    public record IdxData(ElementType type, int[] dims, byte[] data) {
        /**
         * The content of an IDX file; {@code dims} is copied, {@code data} is kept as given (not checked against
         * {@code dims}).
         *
         * @param type element type
         * @param dims dimensions (each ≥ 0)
         * @param data raw big-endian element bytes, {@code numel * type.byteSize()} of them
         */
        public IdxData {
            dims = dims.clone();
        }

        /**
         * The dimensions.
         *
         * @return a new copy of the dimensions, outermost first
         */
        @Override
        public int[] dims() {
            return dims.clone();
        }

        /**
         * Number of elements.
         *
         * @return {@code data().length / type().byteSize()}
         */
        public int numel() {
            return data.length / type.byteSize();
        }

        /**
         * Element {@code i} (row-major) as a double; unsigned bytes read as 0..255.
         *
         * @param i the flat row-major element index, in {@code [0, numel())}
         * @return the element's value, exact for every IDX type
         */
        public double value(int i) {
            int b = type.byteSize();
            return switch (type) {
                case UBYTE -> data[i] & 0xFF;
                case BYTE -> data[i];
                case SHORT -> ByteBuffer.wrap(data).order(ByteOrder.BIG_ENDIAN).getShort(i * b);
                case INT -> ByteBuffer.wrap(data).order(ByteOrder.BIG_ENDIAN).getInt(i * b);
                case FLOAT -> ByteBuffer.wrap(data).order(ByteOrder.BIG_ENDIAN).getFloat(i * b);
                case DOUBLE -> ByteBuffer.wrap(data).order(ByteOrder.BIG_ENDIAN).getDouble(i * b);
            };
        }

        /**
         * A float32 tensor of shape {@link #dims()} with every value multiplied by {@code scale}.
         *
         * @param scale the factor applied in double before rounding to float32 (e.g. {@code 1/255.0})
         * @return a new contiguous float32 tensor of shape {@link #dims()}
         */
        public Tensor toFloatTensor(double scale) {
            Tensor t = Tensor.zeros(DType.FLOAT32, dims);
            float[] out = t.floatStorage();
            int n = numel();
            if (type == ElementType.UBYTE) {
                float[] lut = new float[256];
                for (int v = 0; v < 256; v++) {
                    lut[v] = (float) (v * scale);
                }
                for (int i = 0; i < n; i++) {
                    out[i] = lut[data[i] & 0xFF];
                }
            } else {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) (value(i) * scale);
                }
            }
            return t;
        }

        /**
         * A float32 tensor of the raw values.
         *
         * @return a new contiguous float32 tensor of shape {@link #dims()}
         */
        public Tensor toFloatTensor() {
            return toFloatTensor(1.0);
        }

        /**
         * An int64 tensor (class labels); only for integer element types.
         *
         * @return a new contiguous int64 tensor of shape {@link #dims()}
         * @throws IllegalArgumentException for {@link ElementType#FLOAT} or {@link ElementType#DOUBLE} data
         */
        public Tensor toLongTensor() {
            if (type == ElementType.FLOAT || type == ElementType.DOUBLE) {
                throw new IllegalArgumentException("IdxData.toLongTensor: element type " + type
                        + " is not an integer type");
            }
            Tensor t = Tensor.zeros(DType.INT64, dims);
            long[] out = t.longStorage();
            for (int i = 0; i < out.length; i++) {
                out[i] = (long) value(i);
            }
            return t;
        }
    }

    /**
     * Reads an IDX file, plain or gzip.
     *
     * @param path the file to read
     * @return the file's element type, dimensions and data
     * @throws IllegalArgumentException for malformed content (see the class documentation)
     * @throws UncheckedIOException     when the file cannot be read
     */
    public static IdxData read(Path path) {
        try (InputStream raw = Files.newInputStream(path)) {
            long fileSize = Files.size(path);
            return read(raw, path.toString(), fileSize);
        } catch (IOException e) {
            throw new UncheckedIOException("IdxReader: cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads an IDX stream, plain or gzip; {@code source} names it in error messages. Does not close it.
     *
     * @param in     the stream, read to its end
     * @param source a name for the stream in error messages (e.g. a URL or file name)
     * @return the stream's element type, dimensions and data
     * @throws IllegalArgumentException for malformed content, including trailing bytes
     * @throws UncheckedIOException     when reading fails
     */
    public static IdxData read(InputStream in, String source) {
        try {
            return read(in, source, -1);
        } catch (IOException e) {
            throw new UncheckedIOException("IdxReader: cannot read " + source + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads an image file ({@code [N, H, W]} unsigned bytes) as a float32 {@code [N, 1, H, W]} tensor scaled to
     * [0, 1].
     *
     * @param path the IDX image file (e.g. {@code train-images-idx3-ubyte.gz})
     * @return a new float32 tensor {@code [N, 1, H, W]}, each pixel {@code value / 255}
     * @throws IllegalArgumentException when the file is malformed or not 3-d unsigned bytes
     */
    public static Tensor readImages(Path path) {
        return images(read(path), path.toString());
    }

    /**
     * As {@link #readImages(Path)} from a stream.
     *
     * @param in     the stream, read to its end and not closed
     * @param source a name for the stream in error messages
     * @return a new float32 tensor {@code [N, 1, H, W]}, each pixel {@code value / 255}
     */
    public static Tensor readImages(InputStream in, String source) {
        return images(read(in, source), source);
    }

    /**
     * Reads a label file ({@code [N]} unsigned bytes) as an int64 {@code [N]} tensor.
     *
     * @param path the IDX label file (e.g. {@code train-labels-idx1-ubyte.gz})
     * @return a new int64 tensor {@code [N]} of labels in {@code [0, 255]}
     * @throws IllegalArgumentException when the file is malformed or not 1-d unsigned bytes
     */
    public static Tensor readLabels(Path path) {
        return labels(read(path), path.toString());
    }

    /**
     * As {@link #readLabels(Path)} from a stream.
     *
     * @param in     the stream, read to its end and not closed
     * @param source a name for the stream in error messages
     * @return a new int64 tensor {@code [N]} of labels
     */
    public static Tensor readLabels(InputStream in, String source) {
        return labels(read(in, source), source);
    }

    private static Tensor images(IdxData d, String source) {
        int[] dims = d.dims();
        if (dims.length != 3 || d.type() != ElementType.UBYTE) {
            throw new IllegalArgumentException(source + ": expected an image file of unsigned bytes with 3 "
                    + "dimensions [N, H, W], got type " + d.type() + " with dimensions " + Arrays.toString(dims));
        }
        return d.toFloatTensor(1.0 / 255.0).view(dims[0], 1, dims[1], dims[2]);
    }

    private static Tensor labels(IdxData d, String source) {
        int[] dims = d.dims();
        if (dims.length != 1 || d.type() != ElementType.UBYTE) {
            throw new IllegalArgumentException(source + ": expected a label file of unsigned bytes with 1 "
                    + "dimension [N], got type " + d.type() + " with dimensions " + Arrays.toString(dims));
        }
        return d.toLongTensor();
    }

    private static IdxData read(InputStream raw, String source, long fileSize) throws IOException {
        InputStream in = raw.markSupported() ? raw : new BufferedInputStream(raw);
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        if (b0 == 0x1F && b1 == 0x8B) {
            try {
                return parse(new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16), source, -1);
            } catch (ZipException | EOFException e) {
                throw new IllegalArgumentException(source + ": corrupt or truncated gzip data (" + e.getMessage()
                        + ")", e);
            }
        }
        return parse(in, source, fileSize);
    }

    private static IdxData parse(InputStream in, String source, long knownSize) throws IOException {
        byte[] head = new byte[4];
        int got = readFully(in, head, 0, 4);
        if (got < 4) {
            throw new IllegalArgumentException(source + ": not an IDX file: only " + got
                    + " bytes, the header needs at least 4");
        }
        if (head[0] != 0 || head[1] != 0) {
            throw new IllegalArgumentException(source + ": not an IDX file: bad magic number 0x"
                    + String.format("%02X%02X%02X%02X", head[0], head[1], head[2], head[3])
                    + " (the first two bytes must be zero)");
        }
        ElementType type = ElementType.ofCode(head[2] & 0xFF, source);
        int rank = head[3] & 0xFF;
        if (rank == 0 || rank > MAX_DIMS) {
            throw new IllegalArgumentException(source + ": IDX header declares " + rank
                    + " dimensions (expected 1.." + MAX_DIMS + ")");
        }
        byte[] dimBytes = new byte[4 * rank];
        got = readFully(in, dimBytes, 0, dimBytes.length);
        if (got < dimBytes.length) {
            throw new IllegalArgumentException(source + ": truncated IDX header: " + rank
                    + " dimensions need " + dimBytes.length + " bytes, got " + got);
        }
        ByteBuffer bb = ByteBuffer.wrap(dimBytes).order(ByteOrder.BIG_ENDIAN);
        int[] dims = new int[rank];
        long numel = 1;
        for (int i = 0; i < rank; i++) {
            dims[i] = bb.getInt();
            if (dims[i] < 0) {
                throw new IllegalArgumentException(source + ": IDX dimension " + i + " is negative ("
                        + Integer.toUnsignedString(dims[i]) + " read as unsigned); dimensions "
                        + Arrays.toString(Arrays.copyOf(dims, i + 1)));
            }
            numel *= dims[i];
            if (numel > MAX_ELEMENTS) {
                throw new IllegalArgumentException(source + ": IDX dimensions " + describe(bb, rank)
                        + " hold more than " + MAX_ELEMENTS + " elements");
            }
        }
        long nbytes = numel * type.byteSize();
        if (nbytes > MAX_ELEMENTS) {
            throw new IllegalArgumentException(source + ": IDX data of " + nbytes + " bytes ("
                    + Arrays.toString(dims) + " × " + type + ") exceeds the largest array");
        }
        long headerBytes = 4L + 4L * rank;
        if (knownSize >= 0 && knownSize != headerBytes + nbytes) {
            throw new IllegalArgumentException(source + ": IDX header " + Arrays.toString(dims) + " × " + type
                    + " needs " + (headerBytes + nbytes) + " bytes but the file has " + knownSize
                    + (knownSize < headerBytes + nbytes ? " (truncated)" : " (trailing bytes)"));
        }
        byte[] data = readBounded(in, (int) nbytes, source, dims, type);
        if (in.read() != -1) {
            throw new IllegalArgumentException(source + ": trailing bytes after the " + nbytes
                    + " data bytes declared by the IDX header " + Arrays.toString(dims) + " × " + type);
        }
        return new IdxData(type, dims, data);
    }

    private static String describe(ByteBuffer bb, int rank) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < rank; i++) {
            sb.append(i > 0 ? ", " : "").append(Integer.toUnsignedString(bb.getInt(4 * i)));
        }
        return sb.append(']').toString();
    }

    /** Reads exactly {@code n} bytes, allocating only as data arrives (chunks of at most {@link #CHUNK}). */
    private static byte[] readBounded(InputStream in, int n, String source, int[] dims, ElementType type)
            throws IOException {
        if (n <= CHUNK) {
            byte[] small = new byte[n];
            int got = readFully(in, small, 0, n);
            if (got < n) {
                throw truncated(source, n, got, dims, type);
            }
            return small;
        }
        List<byte[]> chunks = new ArrayList<>();
        int total = 0;
        while (total < n) {
            byte[] c = new byte[Math.min(CHUNK, n - total)];
            int got = readFully(in, c, 0, c.length);
            total += got;
            if (got < c.length) {
                throw truncated(source, n, total, dims, type);
            }
            chunks.add(c);
        }
        byte[] out = new byte[n];
        int pos = 0;
        for (byte[] c : chunks) {
            System.arraycopy(c, 0, out, pos, c.length);
            pos += c.length;
        }
        return out;
    }

    private static IllegalArgumentException truncated(String source, int need, int got, int[] dims, ElementType t) {
        return new IllegalArgumentException(source + ": truncated IDX data: header " + Arrays.toString(dims)
                + " × " + t + " needs " + need + " data bytes, got " + got);
    }

    private static int readFully(InputStream in, byte[] b, int off, int len) throws IOException {
        int total = 0;
        while (total < len) {
            int r = in.read(b, off + total, len - total);
            if (r < 0) {
                break;
            }
            total += r;
        }
        return total;
    }
}
