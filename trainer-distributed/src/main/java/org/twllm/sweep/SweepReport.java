package org.twllm.sweep;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.twllm.core.eval.EvalReport;
import org.twllm.files.AtomicFiles;

/**
 * The sweep's summary: one row per run with its status, grid values, final training and validation
 * loss (of the run's last stage) and every evaluation metric, as {@code report.md} and {@code report.csv};
 * and {@code loss.png}, the training-loss curves of all runs (a run's stages follow each other on the x axis).
 */
public record SweepReport(Path markdown, Path csv, Path plot, List<String> columns, List<List<String>> rows) {

    /** One run's row before formatting. */
    record Row(PlanFile.RunEntry run, String status, long steps, double finalLoss, double finalValLoss, Map<String, Double> eval) {
    }

    public static SweepReport write(Path sweepDir) {
        List<PlanFile.RunEntry> runs = PlanFile.read(sweepDir);
        List<Row> rows = new ArrayList<>();
        List<LossCurvePlot.Series> series = new ArrayList<>();
        Set<String> gridKeys = new LinkedHashSet<>();
        Set<String> evalKeys = new LinkedHashSet<>();
        for (PlanFile.RunEntry run : runs) {
            gridKeys.addAll(run.gridValues().keySet());
            long offset = 0;
            RunMetrics last = null;
            int done = 0;
            List<long[]> xs = new ArrayList<>();
            List<double[]> ys = new ArrayList<>();
            List<long[]> vxs = new ArrayList<>();
            List<double[]> vys = new ArrayList<>();
            for (Path stageDir : run.stageDirs()) {
                RunMetrics m = RunMetrics.read(stageDir);
                long[] shifted = new long[m.steps().length];
                for (int i = 0; i < shifted.length; i++) {
                    shifted[i] = m.steps()[i] + offset;
                }
                long[] valShifted = new long[m.valSteps().length];
                for (int i = 0; i < valShifted.length; i++) {
                    valShifted[i] = m.valSteps()[i] + offset;
                }
                xs.add(shifted);
                ys.add(m.losses());
                vxs.add(valShifted);
                vys.add(m.valLosses());
                offset += m.lastStep();
                last = m;
                done += StageMarker.isDone(stageDir) ? 1 : 0;
            }
            Path evalFile = run.dir().resolve(SweepRunner.EVAL_FILE);
            Map<String, Double> eval = Files.isRegularFile(evalFile) ? EvalReport.readMetrics(evalFile) : Map.of();
            evalKeys.addAll(eval.keySet());
            String status = done == run.stageDirs().size() ? "done"
                    : last != null && !last.isEmpty() || done > 0 ? "partial (" + done + "/" + run.stageDirs().size() + " stages)" : "not started";
            rows.add(new Row(run, status, last == null ? 0 : last.lastStep(), last == null ? Double.NaN : last.finalLoss(),
                    last == null ? Double.NaN : last.finalValLoss(), eval));
            series.add(new LossCurvePlot.Series(run.name(), concat(xs), concatD(ys), concat(vxs), concatD(vys)));
        }

        List<String> columns = new ArrayList<>(List.of("run", "status"));
        columns.addAll(gridKeys);
        columns.addAll(List.of("steps", "final_train_loss", "final_val_loss"));
        columns.addAll(evalKeys);
        List<List<String>> table = new ArrayList<>();
        for (Row r : rows) {
            List<String> cells = new ArrayList<>(List.of(r.run().name(), r.status()));
            for (String key : gridKeys) {
                cells.add(r.run().gridValues().getOrDefault(key, ""));
            }
            cells.add(String.valueOf(r.steps()));
            cells.add(number(r.finalLoss()));
            cells.add(number(r.finalValLoss()));
            for (String key : evalKeys) {
                cells.add(r.eval().containsKey(key) ? number(r.eval().get(key)) : "");
            }
            table.add(cells);
        }
        Path md = sweepDir.resolve("report.md");
        Path csv = sweepDir.resolve("report.csv");
        Path png = sweepDir.resolve("loss.png");
        AtomicFiles.write(md, markdownTable(sweepDir, columns, table));
        AtomicFiles.write(csv, csvTable(columns, table));
        AtomicFiles.write(png, LossCurvePlot.render("training loss: " + sweepDir.getFileName(), series));
        return new SweepReport(md, csv, png, columns, table);
    }

    static String number(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4f", v);
    }

    static String markdownTable(Path sweepDir, List<String> columns, List<List<String>> rows) {
        StringBuilder out = new StringBuilder();
        out.append("# Sweep ").append(sweepDir.getFileName()).append("\n\n");
        out.append("Final losses are those of each run's last stage; eval metrics are TASK/METRIC from eval.json.\n\n");
        out.append("| ").append(String.join(" | ", columns)).append(" |\n");
        out.append("|").append("---|".repeat(columns.size())).append('\n');
        for (List<String> row : rows) {
            List<String> cells = new ArrayList<>();
            for (String c : row) {
                cells.add(c.isEmpty() ? "-" : c.replace("|", "\\|"));
            }
            out.append("| ").append(String.join(" | ", cells)).append(" |\n");
        }
        out.append("\n![training loss](loss.png)\n");
        return out.toString();
    }

    static String csvTable(List<String> columns, List<List<String>> rows) {
        StringBuilder out = new StringBuilder();
        out.append(csvLine(columns));
        for (List<String> row : rows) {
            out.append(csvLine(row));
        }
        return out.toString();
    }

    private static String csvLine(List<String> cells) {
        List<String> quoted = new ArrayList<>();
        for (String c : cells) {
            quoted.add(c.contains(",") || c.contains("\"") ? "\"" + c.replace("\"", "\"\"") + "\"" : c);
        }
        return String.join(",", quoted) + "\n";
    }

    private static long[] concat(List<long[]> parts) {
        return parts.stream().flatMapToLong(java.util.Arrays::stream).toArray();
    }

    private static double[] concatD(List<double[]> parts) {
        return parts.stream().flatMapToDouble(java.util.Arrays::stream).toArray();
    }

    /** The cells of one run's row, by column name. */
    public Map<String, String> row(String runName) {
        for (List<String> r : rows) {
            if (r.get(0).equals(runName)) {
                Map<String, String> out = new LinkedHashMap<>();
                for (int i = 0; i < columns.size(); i++) {
                    out.put(columns.get(i), r.get(i));
                }
                return out;
            }
        }
        throw new IllegalArgumentException("no run " + runName);
    }
}
