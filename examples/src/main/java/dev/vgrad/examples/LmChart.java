package dev.vgrad.examples;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A language-model run's plot ({@code LmTrain --plot FILE}, redrawn at every report): training loss (solid) and
 * validation loss (dashed) against steps on the left, the learning rate against steps on the right.
 */
final class LmChart {
    private LmChart() {
    }

    static void write(Path file, String title, List<LmTrain.Report> reports) throws IOException {
        if (reports.isEmpty()) {
            throw new IllegalArgumentException("LmChart.write: no reports to plot for " + file);
        }
        double[] steps = reports.stream().mapToDouble(LmTrain.Report::step).toArray();
        XYChart loss = Charts.panel("Cross-entropy loss (nats per character)", "loss", Styler.LegendPosition.InsideNE);
        series(loss, "train loss", steps, reports.stream().mapToDouble(LmTrain.Report::trainLoss).toArray(),
                Charts.BLUE, false);
        series(loss, "val loss", steps, reports.stream().mapToDouble(LmTrain.Report::valLoss).toArray(),
                Charts.ORANGE, true);
        XYChart lr = Charts.panel("Learning rate", "lr", Styler.LegendPosition.InsideNE);
        series(lr, "lr", steps, reports.stream().mapToDouble(LmTrain.Report::lr).toArray(), Charts.BLUE, false);
        lr.getStyler().setYAxisDecimalPattern("0.0E0");
        for (XYChart c : List.of(loss, lr)) {
            c.setXAxisTitle("step");
            c.getStyler().setXAxisDecimalPattern("0");
        }
        LmTrain.Report last = reports.get(reports.size() - 1);
        String subtitle = String.format(Locale.ROOT, "step %d: train loss %.4f, val loss %.4f", last.step(),
                last.trainLoss(), last.valLoss());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Charts.writeSideBySide(tmp, title, subtitle, loss, lr);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void series(XYChart c, String name, double[] x, double[] y, Color color, boolean dashed) {
        XYSeries s = c.addSeries(name, x, y);
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        s.setLineColor(color);
        s.setMarkerColor(color);
        s.setLineWidth(2f);
        if (dashed) {
            s.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f,
                    new float[] {7f, 4f}, 0f));
        }
        s.setMarker(x.length > 30 ? SeriesMarkers.NONE : dashed ? SeriesMarkers.DIAMOND : SeriesMarkers.CIRCLE);
    }
}
