package org.twllm.data.corpus;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.twllm.errors.TwllmException;

/**
 * The result of {@code data prepare}: per source, what was read, kept and written and why documents were
 * dropped. Saved as {@code prepare-report.json} beside the shards and printed as a table.
 *
 * @param cached true when the output of an earlier run with the same inputs was reused
 */
public record PrepareReport(Path outputDir, String kind, String inputsFingerprint, List<SourceStats> sources,
        boolean cached) {
    public static final String FILE_NAME = "prepare-report.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public PrepareReport {
        sources = List.copyOf(sources);
    }

    public long documentsWritten() {
        return sources.stream().mapToLong(SourceStats::documentsWritten).sum();
    }

    public long tokensWritten() {
        return sources.stream().mapToLong(SourceStats::tokensWritten).sum();
    }

    public SourceStats source(String name) {
        return sources.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no source named " + name));
    }

    PrepareReport asCached() {
        return new PrepareReport(outputDir, kind, inputsFingerprint, sources, true);
    }

    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("kind", kind);
        root.put("inputsFingerprint", inputsFingerprint);
        root.put("documentsWritten", documentsWritten());
        root.put("tokensWritten", tokensWritten());
        for (SourceStats s : sources) {
            ObjectNode n = root.withArray("sources").addObject();
            n.put("name", s.name());
            n.put("path", s.path());
            n.put("format", s.format());
            n.put("weight", s.weight());
            n.put("recordsRead", s.recordsRead);
            n.put("documentsKept", s.documentsKept);
            n.put("tokensKept", s.tokensKept);
            n.put("documentsWritten", s.documentsWritten);
            n.put("tokensWritten", s.tokensWritten);
            n.put("mostlySimplified", s.mostlySimplified);
            ObjectNode d = n.putObject("dropped");
            s.dropped.forEach(d::put);
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new TwllmException("cannot serialize the prepare report: " + e.getMessage(), e);
        }
    }

    /**
     * The report saved in a prepared shard folder.
     *
     * @param reused whether the caller knows the shards were reused rather than written just now
     */
    public static PrepareReport load(Path dir, boolean reused) {
        try {
            PrepareReport r = read(dir);
            return reused ? r.asCached() : r;
        } catch (IOException e) {
            throw new TwllmException("cannot read " + dir.resolve(FILE_NAME) + ": " + e.getMessage()
                    + "; re-run 'twllm data prepare' to rewrite it", e);
        }
    }

    /** Reads a report saved by an earlier run in {@code dir}. */
    static PrepareReport read(Path dir) throws IOException {
        JsonNode root = JSON.readTree(dir.resolve(FILE_NAME).toFile());
        List<SourceStats> sources = new ArrayList<>();
        for (JsonNode n : root.path("sources")) {
            SourceStats s = new SourceStats(n.path("name").asText(), n.path("path").asText(), n.path("format").asText(),
                    n.path("weight").asDouble());
            s.recordsRead = n.path("recordsRead").asLong();
            s.documentsKept = n.path("documentsKept").asLong();
            s.tokensKept = n.path("tokensKept").asLong();
            s.documentsWritten = n.path("documentsWritten").asLong();
            s.tokensWritten = n.path("tokensWritten").asLong();
            s.mostlySimplified = n.path("mostlySimplified").asLong();
            n.path("dropped").fields().forEachRemaining(e -> s.dropped.put(e.getKey(), e.getValue().asLong()));
            sources.add(s);
        }
        return new PrepareReport(dir, root.path("kind").asText(), root.path("inputsFingerprint").asText(), sources, false);
    }

    /** A fixed-width table: one row per source and a total row; one column per drop reason that occurred. */
    public String toTable() {
        Set<String> reasons = new LinkedHashSet<>();
        for (String r : List.of(SourceStats.INVALID, SourceStats.EMPTY, SourceStats.TOO_SHORT, SourceStats.TOO_LONG,
                SourceStats.SIMPLIFIED, SourceStats.DUPLICATE)) {
            if (sources.stream().anyMatch(s -> s.dropped(r) > 0)) {
                reasons.add(r);
            }
        }
        sources.forEach(s -> reasons.addAll(s.dropped.keySet()));
        List<String> header = new ArrayList<>(List.of("source", "weight", "read", "kept", "tokens kept", "written",
                "tokens written", "mostly simplified"));
        reasons.forEach(r -> header.add("drop: " + r));
        List<List<String>> rows = new ArrayList<>();
        rows.add(header);
        SourceStats total = new SourceStats("total", "", "", 0);
        for (SourceStats s : sources) {
            rows.add(row(s, reasons, String.format(Locale.ROOT, "%.3g", s.weight())));
            total.recordsRead += s.recordsRead;
            total.documentsKept += s.documentsKept;
            total.tokensKept += s.tokensKept;
            total.documentsWritten += s.documentsWritten;
            total.tokensWritten += s.tokensWritten;
            total.mostlySimplified += s.mostlySimplified;
            s.dropped.forEach((r, n) -> total.dropped.merge(r, n, Long::sum));
        }
        if (sources.size() > 1) {
            rows.add(row(total, reasons, ""));
        }
        int[] width = new int[header.size()];
        for (List<String> r : rows) {
            for (int i = 0; i < r.size(); i++) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (List<String> r : rows) {
            for (int i = 0; i < r.size(); i++) {
                String cell = r.get(i);
                String pad = " ".repeat(width[i] - cell.length());
                out.append(i == 0 ? cell + pad : "  " + pad + cell);
            }
            out.append('\n');
        }
        out.append(cached ? "reused " : "wrote ").append(documentsWritten()).append(" documents, ").append(tokensWritten())
                .append(" tokens (").append(kind).append(") in ").append(outputDir);
        if (cached) {
            out.append(" (same inputs as the run that made it)");
        }
        return out.append('\n').toString();
    }

    private static List<String> row(SourceStats s, Set<String> reasons, String weight) {
        List<String> r = new ArrayList<>(List.of(s.name(), weight, Long.toString(s.recordsRead), Long.toString(s.documentsKept),
                Long.toString(s.tokensKept), Long.toString(s.documentsWritten), Long.toString(s.tokensWritten),
                Long.toString(s.mostlySimplified)));
        for (String reason : reasons) {
            r.add(Long.toString(s.dropped(reason)));
        }
        return r;
    }

    /** Drop counts summed over sources. */
    public Map<String, Long> droppedTotals() {
        java.util.Map<String, Long> totals = new java.util.LinkedHashMap<>();
        sources.forEach(s -> s.dropped.forEach((r, n) -> totals.merge(r, n, Long::sum)));
        return totals;
    }
}
