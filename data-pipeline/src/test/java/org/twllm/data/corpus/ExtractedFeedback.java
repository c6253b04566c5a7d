package org.twllm.data.corpus;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.twllm.data.chat.Dialogue;
import org.twllm.data.chat.TaiwanLlmTemplate;
import org.twllm.data.feedback.FeedbackRule;

/**
 * A feedback log as {@code data prepare} and the feedback-sft stage read it: every record through the
 * feedback extractor ({@link Extractors}, format {@code feedback}), in file order; the preparer's later
 * filters (duplicates, length) are not applied.
 *
 * @param kept    the conversations of the records the extractor keeps, in file order
 * @param dropped how many records were dropped, by reason ({@link Extractors#NOT_POSITIVE}, {@link Extractors#SUPERSEDED})
 */
public record ExtractedFeedback(List<Dialogue> kept, Map<String, Integer> dropped) {
    public static ExtractedFeedback read(Path log, FeedbackRule rule) {
        SourceSpec source = SourceSpec.of(log, SourceFormat.FEEDBACK);
        DocumentExtractor extractor = Extractors.forSource(source, new TaiwanLlmTemplate(null), rule);
        List<Dialogue> kept = new ArrayList<>();
        Map<String, Integer> dropped = new TreeMap<>();
        try (SourceReader reader = new SourceReader(source)) {
            for (SourceRecord record = reader.next(); record != null; record = reader.next()) {
                DocumentExtractor.Extracted extracted = extractor.extract(record);
                if (extracted.document() == null) {
                    dropped.merge(extracted.dropReason(), 1, Integer::sum);
                } else {
                    kept.add(((DialogueDocument) extracted.document()).dialogue());
                }
            }
        }
        return new ExtractedFeedback(kept, dropped);
    }

    public int dropped(String reason) {
        return dropped.getOrDefault(reason, 0);
    }
}
