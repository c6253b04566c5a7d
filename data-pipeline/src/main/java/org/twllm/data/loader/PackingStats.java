package org.twllm.data.loader;

/**
 * What SFT packing did: {@code examples} documents read; {@code packedExamples} placed in rows;
 * {@code truncated} cut to the sequence length and kept; {@code droppedOverlong} left out as too long (drop policy);
 * {@code droppedUntrained} left out because they had no trained target (all prompt, or truncated to prompt);
 * {@code trainedTargets} the targets carrying a loss over all rows;
 * {@code tokens} example tokens placed, {@code paddingPositions} padding positions in the rows.
 */
public record PackingStats(long examples, long packedExamples, long rows, long truncated, long droppedOverlong,
                           long droppedUntrained, long tokens, long paddingPositions, long trainedTargets) {
    /** Share of row positions holding example tokens. */
    public double fill() {
        long positions = tokens + paddingPositions;
        return positions == 0 ? 0.0 : (double) tokens / positions;
    }
}
