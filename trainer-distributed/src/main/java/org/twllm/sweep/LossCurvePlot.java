package org.twllm.sweep;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;

/**
 * Draws loss curves as a PNG with java.awt (headless): one coloured line per run (training loss), its
 * validation losses as dots of the same colour, axes with round-number ticks, labels and a legend.
 */
public final class LossCurvePlot {
    private static final int WIDTH = 1100;
    private static final int HEIGHT = 620;
    private static final int LEFT = 80;
    private static final int RIGHT = 340;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;
    /** Matplotlib's tab10 colours, easy to tell apart. */
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)};

    /** One run's curve: training loss at {@code steps}, validation loss at {@code valSteps}. */
    public record Series(String label, long[] steps, double[] losses, long[] valSteps, double[] valLosses) {
    }

    private LossCurvePlot() {
    }

    public static byte[] render(String title, List<Series> series) {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            draw(g, title, series);
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void draw(Graphics2D g, String title, List<Series> series) {
        double xMin = 0;
        double xMax = 1;
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (long x : s.steps()) {
                xMax = Math.max(xMax, x);
            }
            for (long x : s.valSteps()) {
                xMax = Math.max(xMax, x);
            }
            for (double y : s.losses()) {
                if (Double.isFinite(y)) {
                    yMin = Math.min(yMin, y);
                    yMax = Math.max(yMax, y);
                }
            }
            for (double y : s.valLosses()) {
                if (Double.isFinite(y)) {
                    yMin = Math.min(yMin, y);
                    yMax = Math.max(yMax, y);
                }
            }
        }
        if (!Double.isFinite(yMin)) {
            yMin = 0;
            yMax = 1;
        }
        double pad = Math.max((yMax - yMin) * 0.05, 1e-3);
        yMin -= pad;
        yMax += pad;
        double[] xTicks = ticks(xMin, xMax, 1);
        double[] yTicks = ticks(yMin, yMax, 0);
        xMax = Math.max(xMax, xTicks[xTicks.length - 1]);
        Axes axes = new Axes(xMin, xMax, yMin, yMax);

        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        // Grid and tick labels.
        for (double t : xTicks) {
            int x = axes.px(t);
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(x, TOP, x, TOP + plotH);
            g.setColor(Color.DARK_GRAY);
            g.drawLine(x, TOP + plotH, x, TOP + plotH + 5);
            String label = format(t);
            g.drawString(label, x - fm.stringWidth(label) / 2, TOP + plotH + 20);
        }
        for (double t : yTicks) {
            if (t < yMin || t > yMax) {
                continue;
            }
            int y = axes.py(t);
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(LEFT, y, LEFT + plotW, y);
            g.setColor(Color.DARK_GRAY);
            g.drawLine(LEFT - 5, y, LEFT, y);
            String label = format(t);
            g.drawString(label, LEFT - 8 - fm.stringWidth(label), y + fm.getAscent() / 2 - 1);
        }
        g.setColor(Color.BLACK);
        g.drawRect(LEFT, TOP, plotW, plotH);
        // Axis labels and title.
        String xLabel = "optimizer step (a run's stages follow each other)";
        g.drawString(xLabel, LEFT + (plotW - fm.stringWidth(xLabel)) / 2, HEIGHT - 18);
        Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        String yLabel = "loss (nats/token)";
        rotated.drawString(yLabel, -(TOP + (plotH + fm.stringWidth(yLabel)) / 2), 22);
        rotated.dispose();
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, LEFT, TOP - 18);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));

        // Curves, clipped to the plot area.
        Graphics2D plot = (Graphics2D) g.create();
        plot.clipRect(LEFT, TOP, plotW + 1, plotH + 1);
        plot.setStroke(new BasicStroke(1.8f));
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            plot.setColor(PALETTE[i % PALETTE.length]);
            Path2D.Double path = new Path2D.Double();
            boolean started = false;
            for (int j = 0; j < s.steps().length; j++) {
                if (!Double.isFinite(s.losses()[j])) {
                    started = false;
                    continue;
                }
                double x = axes.fx(s.steps()[j]);
                double y = axes.fy(s.losses()[j]);
                if (started) {
                    path.lineTo(x, y);
                } else {
                    path.moveTo(x, y);
                    started = true;
                }
            }
            plot.draw(path);
            for (int j = 0; j < s.valSteps().length; j++) {
                if (Double.isFinite(s.valLosses()[j])) {
                    int x = axes.px(s.valSteps()[j]);
                    int y = axes.py(s.valLosses()[j]);
                    plot.fillOval(x - 4, y - 4, 8, 8);
                }
            }
        }
        plot.dispose();

        // Legend to the right of the plot.
        int lx = LEFT + plotW + 20;
        int ly = TOP + 10;
        g.setColor(Color.BLACK);
        g.drawString("run (line: train, dot: validation)", lx, ly);
        for (int i = 0; i < series.size(); i++) {
            int y = ly + 22 + i * 20;
            g.setColor(PALETTE[i % PALETTE.length]);
            g.setStroke(new BasicStroke(3f));
            g.drawLine(lx, y - 4, lx + 24, y - 4);
            g.setColor(Color.BLACK);
            g.drawString(ellipsize(series.get(i).label(), fm, RIGHT - 50), lx + 32, y);
        }
    }

    /** Maps data to pixel coordinates of the plot area. */
    private record Axes(double xMin, double xMax, double yMin, double yMax) {
        double fx(double x) {
            return LEFT + (x - xMin) / (xMax - xMin) * (WIDTH - LEFT - RIGHT);
        }

        double fy(double y) {
            return TOP + (yMax - y) / (yMax - yMin) * (HEIGHT - TOP - BOTTOM);
        }

        int px(double x) {
            return (int) Math.round(fx(x));
        }

        int py(double y) {
            return (int) Math.round(fy(y));
        }
    }

    /** About six round ticks (1, 2 or 5 times a power of ten, at least {@code minStep} apart) covering [lo, hi]. */
    static double[] ticks(double lo, double hi, double minStep) {
        double raw = (hi - lo) / 6;
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / magnitude < 1.5 ? magnitude : raw / magnitude < 3.5 ? 2 * magnitude : raw / magnitude < 7.5 ? 5 * magnitude : 10 * magnitude;
        step = Math.max(step, minStep);
        double first = Math.ceil(lo / step) * step;
        int n = (int) Math.floor((hi - first) / step + 1e-9) + 1;
        double[] out = new double[Math.max(n, 1)];
        for (int i = 0; i < out.length; i++) {
            out[i] = first + i * step;
        }
        return out;
    }

    private static String format(double v) {
        if (Math.abs(v - Math.rint(v)) < 1e-9) {
            return String.format(Locale.ROOT, "%d", (long) Math.rint(v));
        }
        String s = String.format(Locale.ROOT, "%.3f", v);
        return s.replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    private static String ellipsize(String text, FontMetrics fm, int width) {
        if (fm.stringWidth(text) <= width) {
            return text;
        }
        String t = text;
        while (t.length() > 1 && fm.stringWidth(t + "…") > width) {
            t = t.substring(0, t.length() - 1);
        }
        return t + "…";
    }
}
