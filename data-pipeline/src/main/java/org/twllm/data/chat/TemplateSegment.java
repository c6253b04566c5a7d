package org.twllm.data.chat;

/**
 * One piece of a rendered dialogue: text (trained or not) or a control token. Templates describe a
 * dialogue as a list of segments; {@link SegmentTokenizer} turns the list into ids and a loss mask.
 */
public record TemplateSegment(Kind kind, String text, boolean trained) {
    public enum Kind {
        TEXT,
        BOS,
        EOS
    }

    /** Template text the model reads but is not trained to produce (system prompt, user turns, role tags). */
    public static TemplateSegment prompt(String text) {
        return new TemplateSegment(Kind.TEXT, text, false);
    }

    /** Text the model is trained to produce (assistant content and what its format puts after it). */
    public static TemplateSegment completion(String text) {
        return new TemplateSegment(Kind.TEXT, text, true);
    }

    public static TemplateSegment bos() {
        return new TemplateSegment(Kind.BOS, "<s>", false);
    }

    /** The EOS closing an assistant turn, trained so the model learns to stop. */
    public static TemplateSegment trainedEos() {
        return new TemplateSegment(Kind.EOS, "</s>", true);
    }
}
