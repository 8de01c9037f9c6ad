package dev.vgrad.examples;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The look shared by the examples' PNG charts, drawn with XChart: per-epoch line charts (epoch on the x axis,
 * one tick per whole epoch) laid out as two panels side by side under a title and a subtitle, written as one PNG
 * of {@link #WIDTH}×{@link #HEIGHT} pixels.
 *
 * <p>Rendering is AWT in headless mode (no display needed); fonts are the logical {@code SansSerif} family, which
 * the JDK maps to whatever sans-serif font the machine has, so no font name is assumed. Non-finite values (a
 * diverged loss) are left out of a line rather than breaking the axis range.
 */
final class Charts {
    static {
        // AWT must not look for a display: the programs run on servers and in CI. It reads the property once, when
        // the first AWT class initialises (java.awt.Color below already does), so this block comes first.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    static final int WIDTH = 1200;
    static final int HEIGHT = 500;
    private static final int BANNER = 64;

    /** Matplotlib's first colours, so the charts read like the PyTorch plots people know. */
    static final Color BLUE = new Color(0x1F77B4);
    static final Color ORANGE = new Color(0xFF7F0E);
    private static final Color TEXT = new Color(0x222222);
    private static final Color SUBTEXT = new Color(0x555555);
    private static final Color GRID = new Color(0xE6E6E6);

    private Charts() {
    }

    /** An empty panel: {@code title} above, "epoch" under the x axis, {@code yTitle} along the y axis. */
    static XYChart panel(String title, String yTitle, Styler.LegendPosition legend) {
        XYChart c = new XYChartBuilder().width(WIDTH / 2).height(HEIGHT - BANNER).title(title)
                .xAxisTitle("epoch").yAxisTitle(yTitle).build();
        XYStyler s = c.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderColor(new Color(0xB0B0B0));
        s.setPlotGridLinesColor(GRID);
        s.setPlotGridLinesStroke(new BasicStroke(1f));
        s.setChartFontColor(TEXT);
        s.setAxisTickLabelsColor(TEXT);
        s.setChartTitleBoxVisible(false);
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setLegendPosition(legend);
        s.setLegendBorderColor(new Color(0xCCCCCC));
        s.setLegendBackgroundColor(new Color(255, 255, 255, 230));
        s.setLegendSeriesLineLength(28);
        s.setChartPadding(12);
        s.setMarkerSize(6);
        s.setAntiAlias(true);
        s.setToolTipsEnabled(false);
        return c;
    }

    /**
     * Adds {@code y[i]} against epoch {@code i + 1}; a dashed line when {@code dashed}. Non-finite values are
     * skipped (XChart draws gaps for NaN); if nothing is finite the series is left out.
     */
    static void line(XYChart c, String name, double[] y, Color color, boolean dashed) {
        double[] x = new double[y.length];
        double[] v = new double[y.length];
        boolean any = false;
        for (int i = 0; i < y.length; i++) {
            x[i] = i + 1;
            v[i] = Double.isFinite(y[i]) ? y[i] : Double.NaN;
            any |= Double.isFinite(y[i]);
        }
        if (!any) {
            return;
        }
        XYSeries s = c.addSeries(name, x, v);
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        s.setLineColor(color);
        s.setMarkerColor(color);
        s.setLineStyle(dashed ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f,
                new float[] {7f, 4f}, 0f) : SeriesLines.SOLID);
        s.setLineWidth(2f);
        s.setMarker(dashed ? SeriesMarkers.DIAMOND : SeriesMarkers.CIRCLE);
    }

    /**
     * Fixes what XChart cannot choose by itself. The x axis spans the epochs from 1 (a single epoch is centred in
     * 0..2 rather than drawn as a degenerate range); XChart ticks it at every epoch, or every k-th when the labels
     * would not fit. The y axis spans the finite values, widened when they are all equal (one epoch, or a
     * plateau), and its labels all carry the same number of decimals: enough for the finest tick step XChart
     * picks at this size (its steps are 1, 2 or 5 times a power of ten, never finer than about a twelfth of the
     * range at this plot height), so 0.9 and 0.92 on one axis read 0.90 and 0.92, and a range of 1e-4 does not
     * fall back to scientific notation. An empty panel (nothing finite) gets a 0..1 y axis and no legend.
     */
    static void finish(XYChart c, int epochs) {
        XYStyler s = c.getStyler();
        s.setXAxisMin(epochs <= 1 ? 0.0 : 1.0);
        s.setXAxisMax(epochs <= 1 ? 2.0 : (double) epochs);
        s.setXAxisDecimalPattern("0");
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (XYSeries series : c.getSeriesMap().values()) {
            for (double v : series.getYData()) {
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (lo > hi) {
            c.addSeries("none", new double[] {1}, new double[] {0.5}).setMarker(SeriesMarkers.NONE)
                    .setShowInLegend(false);
            lo = 0;
            hi = 1;
            s.setLegendVisible(false);
        } else if (hi - lo <= 1e-9 * Math.max(1, Math.abs(hi))) {
            // about ±5% around the value, ending on round numbers so that the end ticks read exactly
            double v = hi;
            double pad = niceStep(Math.max(0.05 * Math.abs(v), 1e-3));
            lo = pad * Math.floor(v / pad - 0.5);
            hi = pad * Math.ceil(v / pad + 0.5);
        }
        if (epochs <= 1) {
            // XChart ticks an axis whose values are equally spaced at those values; a single value gives it no
            // spacing and it draws no tick at all, so two invisible points give the axis epochs 0, 1 and 2
            c.addSeries("epochs 0 and 2", new double[] {0, 2}, new double[] {lo, lo}).setMarker(SeriesMarkers.NONE)
                    .setLineColor(new Color(0, 0, 0, 0)).setShowInLegend(false);
        }
        s.setYAxisMin(lo);
        s.setYAxisMax(hi);
        int decimals = decimalsFor((hi - lo) / 12);
        s.setYAxisDecimalPattern(decimals == 0 ? "0" : "0." + "0".repeat(decimals));
    }

    /** Decimals that show a step of 1, 2 or 5 times a power of ten no smaller than {@code minStep} exactly. */
    static int decimalsFor(double minStep) {
        return (int) Math.max(0, Math.round(-Math.floor(Math.log10(niceStep(minStep)) + 1e-9)));
    }

    /** The smallest of 1, 2 or 5 times a power of ten that is at least {@code x} (positive). */
    static double niceStep(double x) {
        double pow = Math.pow(10, Math.floor(Math.log10(x)));
        for (double m : new double[] {1, 2, 5}) {
            if (x <= m * pow * (1 + 1e-9)) {
                return m * pow;
            }
        }
        return 10 * pow;
    }

    /** Renders {@code left} and {@code right} side by side under {@code title} and {@code subtitle} as a PNG. */
    static void writeSideBySide(Path file, String title, String subtitle, XYChart left, XYChart right)
            throws IOException {
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
            g.setColor(TEXT);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 19));
            g.drawString(title, 20, 30);
            g.setColor(SUBTEXT);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            g.drawString(subtitle, 20, 52);
            paint(g, left, 0);
            paint(g, right, WIDTH / 2);
        } finally {
            g.dispose();
        }
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer in this JDK (javax.imageio)");
        }
    }

    private static void paint(Graphics2D g, XYChart c, int x) {
        Graphics2D sub = (Graphics2D) g.create(x, BANNER, WIDTH / 2, HEIGHT - BANNER);
        try {
            c.paint(sub, WIDTH / 2, HEIGHT - BANNER);
        } finally {
            sub.dispose();
        }
    }

    /** {@code v} with four decimals, the precision the training logs print accuracy with. */
    static String acc(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
