package org.twllm.core.config;

/** The three training stages of Taiwan-LLM, in the order they run. YAML: cpt, sft, feedback-sft. */
public enum Stage implements YamlEnum {
    /** Continued pre-training on a plain corpus (packed documents, every token trained). */
    CPT,
    /** Supervised fine-tuning on multi-turn dialogues (assistant turns trained). */
    SFT,
    /** SFT on conversations users rated positively. */
    FEEDBACK_SFT;

    /** The stage spelled {@code text} ({@code cpt}, {@code sft}, {@code feedback-sft}), or null. */
    public static Stage fromYaml(String text) {
        return YamlEnum.parse(Stage.class, text);
    }
}
