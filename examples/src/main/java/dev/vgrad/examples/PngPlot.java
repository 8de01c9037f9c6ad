package dev.vgrad.examples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * Writes a PNG with two line charts side by side (train loss and test accuracy per epoch). Self-contained:
 * an RGB raster, a built-in 5×7 pixel font and a minimal PNG encoder (no AWT, so it works headless and without
 * system fonts), deterministic byte for byte.
 */
final class PngPlot {
    private static final int W = 960;
    private static final int H = 400;
    private static final int BG = 0xFFFFFF;
    private static final int AXIS = 0x333333;
    private static final int GRID = 0xE4E4E4;
    private final int[] px = new int[W * H];

    private PngPlot() {
        java.util.Arrays.fill(px, BG);
    }

    /** Plots {@code loss[i]} and {@code acc[i]} against epoch {@code i + 1} and writes the PNG. */
    static void write(Path file, String title, double[] loss, double[] acc) throws IOException {
        PngPlot p = new PngPlot();
        p.text(20, 12, title.toUpperCase(Locale.ROOT), 0x000000, 2);
        p.chart(20, 40, W / 2 - 30, H - 60, "TRAIN LOSS", loss, 0x1F77B4);
        p.chart(W / 2 + 10, 40, W / 2 - 30, H - 60, "TEST ACCURACY", acc, 0xD62728);
        Files.write(file, p.encode());
    }

    private void chart(int x0, int y0, int w, int h, String name, double[] ys, int color) {
        text(x0 + 60, y0, name, color, 2);
        int left = x0 + 60;
        int top = y0 + 26;
        int right = x0 + w;
        int bottom = y0 + h - 24;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double v : ys) {
            if (Double.isFinite(v)) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        if (!(lo <= hi)) {
            lo = 0;
            hi = 1;
        }
        if (hi - lo < 1e-9) {
            lo -= 0.5 * Math.max(Math.abs(lo), 1e-3);
            hi += 0.5 * Math.max(Math.abs(hi), 1e-3);
        }
        double pad = 0.05 * (hi - lo);
        lo -= pad;
        hi += pad;
        int n = ys.length;
        for (int t = 0; t <= 4; t++) {
            double v = lo + (hi - lo) * t / 4;
            int y = bottom - (int) Math.round((bottom - top) * (double) t / 4);
            hline(left, right, y, GRID);
            String label = String.format(Locale.ROOT, "%.3f", v);
            text(left - 6 - 6 * label.length(), y - 3, label, AXIS, 1);
        }
        int ticks = Math.min(n, 10);
        for (int t = 0; t < ticks; t++) {
            int e = n <= 1 ? 1 : 1 + (int) Math.round((double) t * (n - 1) / Math.max(1, ticks - 1));
            int x = xAt(e, n, left, right);
            vline(x, bottom, bottom + 4, AXIS);
            String label = Integer.toString(e);
            text(x - 3 * label.length(), bottom + 8, label, AXIS, 1);
        }
        text((left + right) / 2 - 15, bottom + 18, "EPOCH", AXIS, 1);
        hline(left, right, bottom, AXIS);
        vline(left, top, bottom, AXIS);
        int px0 = -1;
        int py0 = -1;
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(ys[i])) {
                px0 = -1;
                continue;
            }
            int x = xAt(i + 1, n, left, right);
            int y = bottom - (int) Math.round((ys[i] - lo) / (hi - lo) * (bottom - top));
            if (px0 >= 0) {
                line(px0, py0, x, y, color);
            }
            rect(x - 3, y - 3, 7, 7, color);
            px0 = x;
            py0 = y;
        }
    }

    private static int xAt(int epoch, int n, int left, int right) {
        int margin = 12;
        if (n <= 1) {
            return (left + right) / 2;
        }
        return left + margin + (int) Math.round((double) (epoch - 1) / (n - 1) * (right - left - 2 * margin));
    }

    private void set(int x, int y, int c) {
        if (x >= 0 && y >= 0 && x < W && y < H) {
            px[y * W + x] = c;
        }
    }

    private void rect(int x, int y, int w, int h, int c) {
        for (int j = 0; j < h; j++) {
            for (int i = 0; i < w; i++) {
                set(x + i, y + j, c);
            }
        }
    }

    private void hline(int x0, int x1, int y, int c) {
        for (int x = x0; x <= x1; x++) {
            set(x, y, c);
        }
    }

    private void vline(int x, int y0, int y1, int c) {
        for (int y = y0; y <= y1; y++) {
            set(x, y, c);
        }
    }

    /** A 2-pixel-wide Bresenham line. */
    private void line(int x0, int y0, int x1, int y1, int c) {
        int dx = Math.abs(x1 - x0);
        int dy = -Math.abs(y1 - y0);
        int sx = x0 < x1 ? 1 : -1;
        int sy = y0 < y1 ? 1 : -1;
        int err = dx + dy;
        while (true) {
            rect(x0, y0, 2, 2, c);
            if (x0 == x1 && y0 == y1) {
                return;
            }
            int e2 = 2 * err;
            if (e2 >= dy) {
                err += dy;
                x0 += sx;
            }
            if (e2 <= dx) {
                err += dx;
                y0 += sy;
            }
        }
    }

    private void text(int x, int y, String s, int c, int scale) {
        for (int k = 0; k < s.length(); k++) {
            int[] g = Font5x7.glyph(s.charAt(k));
            for (int row = 0; row < 7; row++) {
                for (int col = 0; col < 5; col++) {
                    if ((g[row] >> (4 - col) & 1) != 0) {
                        rect(x + (k * 6 + col) * scale, y + row * scale, scale, scale, c);
                    }
                }
            }
        }
    }

    private byte[] encode() throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(raw, new Deflater(9))) {
            byte[] row = new byte[1 + 3 * W];
            for (int y = 0; y < H; y++) {
                row[0] = 0; // filter: none
                for (int x = 0; x < W; x++) {
                    int c = px[y * W + x];
                    row[1 + 3 * x] = (byte) (c >> 16);
                    row[2 + 3 * x] = (byte) (c >> 8);
                    row[3 + 3 * x] = (byte) c;
                }
                z.write(row);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        writeInt(ihdr, W);
        writeInt(ihdr, H);
        ihdr.write(new byte[] {8, 2, 0, 0, 0}); // 8-bit RGB, deflate, no filter, no interlace
        chunk(out, "IHDR", ihdr.toByteArray());
        chunk(out, "IDAT", raw.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(OutputStream out, String type, byte[] data) throws IOException {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        writeInt(out, data.length);
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        writeInt(out, (int) crc.getValue());
    }

    private static void writeInt(OutputStream out, int v) throws IOException {
        out.write(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
    }

    /** A classic 5×7 font: each glyph is 7 rows of 5 bits (most significant bit = leftmost pixel). */
    static final class Font5x7 {
        private static final String CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:/()%=_,+ ";
        private static final int[][] GLYPHS = {
            {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}, // 0
            {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}, // 1
            {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}, // 2
            {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}, // 3
            {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}, // 4
            {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}, // 5
            {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}, // 6
            {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}, // 7
            {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}, // 8
            {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}, // 9
            {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}, // A
            {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}, // B
            {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}, // C
            {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}, // D
            {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}, // E
            {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}, // F
            {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}, // G
            {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}, // H
            {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}, // I
            {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}, // J
            {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}, // K
            {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}, // L
            {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}, // M
            {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}, // N
            {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}, // O
            {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}, // P
            {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}, // Q
            {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}, // R
            {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}, // S
            {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}, // T
            {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}, // U
            {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}, // V
            {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}, // W
            {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}, // X
            {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}, // Y
            {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}, // Z
            {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}, // .
            {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}, // -
            {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}, // :
            {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}, // /
            {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}, // (
            {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}, // )
            {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}, // %
            {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00}, // =
            {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F}, // _
            {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08}, // ,
            {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00}, // +
            {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, // space
        };

        private Font5x7() {}

        static int[] glyph(char c) {
            int i = CHARS.indexOf(Character.toUpperCase(c));
            return GLYPHS[i < 0 ? CHARS.length() - 1 : i];
        }
    }
}
