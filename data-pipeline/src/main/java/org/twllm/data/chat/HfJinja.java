package org.twllm.data.chat;

/**
 * Building blocks of the Jinja {@code chat_template}s the templates write for HuggingFace tokenizers
 * ({@link ChatTemplate#hfChatTemplate}). HF renders them with {@code messages} (role and content),
 * {@code bos_token}, {@code eos_token}, {@code add_generation_prompt} and {@code raise_exception}, with
 * {@code trim_blocks} and {@code lstrip_blocks}; every tag here strips the whitespace around it, so only
 * the quoted literals reach the output.
 *
 * <p>The rendered text is meant to be tokenized the way HF's legacy Llama tokenizer does it: the special
 * tokens split out, each text run between them encoded by SentencePiece with its dummy prefix. Where the
 * SFT loader encodes a prompt run and a trained run separately without a space between them, the template
 * writes one space there (the trained run's dummy prefix), so both give the same ids.
 */
final class HfJinja {
    /** A message's content as the SFT templates use it (stripped). */
    static final String CONTENT = "(message['content'] | trim)";

    private HfJinja() {
    }

    /** {@code text} as a single-quoted Jinja string literal (newlines kept raw, which Jinja accepts in strings). */
    static String literal(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 2).append('\'');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\'' -> sb.append("\\'");
                case '\r' -> sb.append("\\r"); // Jinja turns a raw CR into a newline
                default -> sb.append(c);
            }
        }
        return sb.append('\'').toString();
    }

    /** {@code {{- expression -}}}: output without the template's own whitespace around it. */
    static String out(String expression) {
        return "{{- " + expression + " -}}\n";
    }

    /**
     * Sets {@code system_message} (the conversation's first message when it is a system message, else
     * {@code defaultSystem}) and {@code first} (the index of the first user message).
     */
    static String systemMessage(String defaultSystem) {
        return "{%- if messages[0]['role'] == 'system' -%}\n"
                + "{%- set system_message = messages[0]['content'] | trim -%}\n"
                + "{%- set first = 1 -%}\n"
                + "{%- else -%}\n"
                + "{%- set system_message = " + literal(defaultSystem.strip()) + " -%}\n"
                + "{%- set first = 0 -%}\n"
                + "{%- endif -%}\n";
    }

    /**
     * The turns after the system message: each must alternate user, assistant, ...; a user message renders
     * {@code userTurn} and, when it is the last message and a generation prompt is asked for,
     * {@code generationPrompt}; an assistant message renders {@code assistantTurn}. Inside them
     * {@code message} is the current message and {@code loop.index0 == first} marks the first user turn.
     */
    static String turns(String userTurn, String generationPrompt, String assistantTurn) {
        return "{%- for message in messages -%}\n"
                + "{%- if loop.index0 >= first -%}\n"
                + "{%- if message['role'] != ('user' if (loop.index0 - first) % 2 == 0 else 'assistant') -%}\n"
                + out("raise_exception('After an optional first system message, the conversation must alternate"
                        + " user and assistant messages, starting with a user message.')")
                + "{%- elif message['role'] == 'user' -%}\n"
                + userTurn
                + (generationPrompt.isEmpty() ? ""
                        : "{%- if loop.last and add_generation_prompt -%}\n" + out(literal(generationPrompt)) + "{%- endif -%}\n")
                + "{%- else -%}\n"
                + assistantTurn
                + "{%- endif -%}\n"
                + "{%- endif -%}\n"
                + "{%- endfor -%}\n";
    }

    /**
     * How the text between a user's content and the assistant's content splits into what the user turn
     * ends with, what the assistant turn starts with, and the generation prompt. {@code between} is that
     * text as the SFT template writes it, {@code assistantPrefix} its part in the assistant's format.
     * The SFT loader ends the prompt before one space there (that space becomes the reply's dummy prefix),
     * or, with no space there, still encodes the reply with a dummy prefix; so the assistant turn starts with
     * exactly one space at the seam and the generation prompt stops right before it.
     */
    record Seam(String userTail, String assistantHead, String generationPrompt) {
        static Seam of(String between, String assistantPrefix) {
            String userPart = between.substring(0, between.length() - assistantPrefix.length());
            if (!between.endsWith(" ")) {
                return new Seam(userPart, assistantPrefix + " ", assistantPrefix);
            }
            if (!assistantPrefix.isEmpty()) {
                return new Seam(userPart, assistantPrefix, assistantPrefix.substring(0, assistantPrefix.length() - 1));
            }
            return new Seam(userPart.substring(0, userPart.length() - 1), " ", "");
        }
    }
}
