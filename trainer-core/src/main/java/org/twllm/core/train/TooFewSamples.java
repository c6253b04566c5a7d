package org.twllm.core.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.twllm.core.config.DataConfig;
import org.twllm.core.config.StageConfig;
import org.twllm.data.corpus.PrepareReport;
import org.twllm.data.corpus.SourceStats;
import org.twllm.data.loader.PackingStats;
import org.twllm.data.loader.SampleDataset;
import org.twllm.data.loader.SftPackedDataset;
import org.twllm.errors.ConfigException;

/**
 * The error for a training set smaller than one global batch. It says what each source gave (records read,
 * documents kept, and how many each filter dropped) and what SFT packing left out, and gives the advice
 * that fits the cause: examples too long for {@code overlong: drop} need a longer {@code seq_len}, not a
 * shorter one.
 */
final class TooFewSamples {
    private TooFewSamples() {
    }

    static ConfigException error(StageConfig config, SampleDataset train, long globalBatch) {
        DataConfig data = config.data();
        List<String> found = new ArrayList<>();
        for (String role : TrainingDatasets.TRAIN_ROLES) {
            Path folder = TrainingDatasets.cacheFolder(config, role);
            if (Files.isRegularFile(folder.resolve(PrepareReport.FILE_NAME))) {
                for (SourceStats s : PrepareReport.load(folder, true).sources()) {
                    found.add(describe(s));
                }
            }
        }
        String advice;
        PackingStats packing = train instanceof SftPackedDataset sft ? sft.stats() : null;
        if (packing != null && packing.droppedOverlong() > 0 && data.overlong() == DataConfig.Overlong.DROP) {
            found.add("packing dropped " + packing.droppedOverlong() + " of " + packing.examples() + " examples as longer"
                    + " than data.seq_len " + data.seqLen() + " (data.overlong: drop)");
            advice = "raise data.seq_len, or set data.overlong: truncate to keep their beginnings";
        } else if (packing != null && packing.droppedUntrained() > 0) {
            found.add("packing dropped " + packing.droppedUntrained() + " of " + packing.examples()
                    + " examples with no trained token (nothing after the prompt)");
            advice = "add data, or raise data.seq_len so the replies fit";
        } else if (found.stream().anyMatch(f -> f.contains(" dropped"))) {
            advice = "relax data.filters (min_chars, max_chars, script, dedup) or add data";
        } else {
            advice = "add data, or lower per_device_train_batch_size / gradient_accumulation_steps"
                    + (train instanceof SftPackedDataset ? "" : " / data.seq_len");
        }
        return new ConfigException("the training set holds " + train.size() + " samples of " + data.seqLen()
                + " tokens, fewer than one global batch of " + globalBatch + (found.isEmpty() ? "" : ": " + String.join("; ", found))
                + "; " + advice);
    }

    /** e.g. {@code source poems (data/poems.jsonl): 60 read, 2 kept, 58 dropped (50 too long, 8 duplicate)}. */
    private static String describe(SourceStats s) {
        long dropped = s.dropped().values().stream().mapToLong(Long::longValue).sum();
        StringBuilder reasons = new StringBuilder();
        for (Map.Entry<String, Long> e : s.dropped().entrySet()) {
            reasons.append(reasons.length() == 0 ? "" : ", ").append(e.getValue()).append(' ').append(e.getKey());
        }
        return "source " + s.name() + " (" + s.path() + "): " + s.recordsRead() + " read, " + s.documentsKept() + " kept"
                + (dropped > 0 ? ", " + dropped + " dropped (" + reasons + ")" : "");
    }
}
