package org.twllm.sweep;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.twllm.errors.ConfigException;
import org.twllm.files.AtomicFiles;

/**
 * {@code plan.json} in the sweep directory: every run with its variant, grid values and stages (the
 * exact {@code twllm train} arguments). It records what was run and lets {@code twllm sweep report DIR}
 * work from the directory alone.
 */
public final class PlanFile {
    public static final String NAME = "plan.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What the report needs of one run. */
    public record RunEntry(String name, String variant, Map<String, String> gridValues, List<Path> stageDirs, Path dir) {
    }

    private PlanFile() {
    }

    public static void write(SweepPlan plan) {
        ObjectNode root = JSON.createObjectNode();
        root.put("name", plan.spec().name());
        root.put("sweep_file", plan.spec().file().toString());
        ArrayNode runs = root.putArray("runs");
        for (SweepPlan.Run run : plan.runs()) {
            ObjectNode r = runs.addObject();
            r.put("name", run.name());
            r.put("variant", run.variant());
            r.put("dir", run.dir().toString());
            ObjectNode grid = r.putObject("grid");
            run.gridValues().forEach(grid::put);
            ArrayNode stages = r.putArray("stages");
            for (SweepPlan.Stage s : run.stages()) {
                ObjectNode st = stages.addObject();
                st.put("id", s.id());
                st.put("stage", s.stage());
                st.put("config", s.config().toString());
                st.put("output_dir", s.outputDir().toString());
                ArrayNode args = st.putArray("train_args");
                s.trainArgs().forEach(args::add);
            }
        }
        try {
            AtomicFiles.write(plan.spec().outputDir().resolve(NAME), JSON.writeValueAsBytes(root));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static List<RunEntry> read(Path sweepDir) {
        Path file = sweepDir.resolve(NAME);
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(sweepDir + " is not a sweep directory (no " + NAME + "): pass the output_dir of a sweep");
        }
        try {
            JsonNode root = JSON.readTree(file.toFile());
            List<RunEntry> out = new ArrayList<>();
            for (JsonNode r : root.path("runs")) {
                Map<String, String> grid = new LinkedHashMap<>();
                r.path("grid").fields().forEachRemaining(e -> grid.put(e.getKey(), e.getValue().asText()));
                List<Path> stages = new ArrayList<>();
                r.path("stages").forEach(s -> stages.add(Path.of(s.path("output_dir").asText())));
                out.add(new RunEntry(r.path("name").asText(), r.path("variant").asText(), grid, stages, Path.of(r.path("dir").asText())));
            }
            return out;
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e.getMessage());
        }
    }
}
