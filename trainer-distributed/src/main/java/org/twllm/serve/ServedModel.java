package org.twllm.serve;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.engine.Decoder;
import org.twllm.core.generate.ModelSession;
import org.twllm.core.generate.PromptFormat;
import org.twllm.data.chat.Message;
import org.twllm.data.chat.Role;
import org.twllm.data.tokenizer.Tokenizer;
import org.twllm.errors.ConfigException;

/**
 * The model a server answers with: its weights, its tokenizer, and prompts built by the SFT chat
 * template (the ids {@code twllm train --stage sft} trains on for the same conversation, up to the reply).
 */
final class ServedModel {
    final String name;
    final String chatTemplate;
    final Tokenizer tokenizer;
    final Decoder decoder;
    final int contextLength;
    private final PromptFormat format;
    private final String systemPrompt;

    private ServedModel(String name, String chatTemplate, ModelSession session, int contextLength, String systemPrompt) {
        this.name = name;
        this.chatTemplate = chatTemplate;
        this.tokenizer = session.tokenizer();
        this.decoder = session.model().decoder();
        this.format = session.format();
        this.contextLength = contextLength;
        this.systemPrompt = systemPrompt;
    }

    static ServedModel open(ServeSettings settings) {
        Path tokenizer = settings.tokenizer();
        if (tokenizer == null) {
            tokenizer = settings.model().resolve(Checkpoint.TOKENIZER_FILE);
            if (!Files.isRegularFile(tokenizer)) {
                throw new ConfigException("no --tokenizer given and " + settings.model() + " holds no " + Checkpoint.TOKENIZER_FILE
                        + ": pass --tokenizer FILE, the SentencePiece model the model was trained with");
            }
        }
        // The template renders with its own default system prompt; a --system-prompt is added to the
        // conversations instead (see withSystemPrompt), so the feedback log records what the model saw.
        ModelSession session = ModelSession.open(settings.model(), Checkpoint::loadModel, tokenizer, settings.chatTemplate(), null);
        String name = settings.modelName() != null ? settings.modelName() : defaultName(settings.model());
        return new ServedModel(name, settings.chatTemplate(), session, session.checkedContextLength(
                settings.contextLength() > 0 ? settings.contextLength() : null),
                settings.systemPrompt());
    }

    /** A model directory's name, or its run's name for a run's {@code final} model ({@code runs/tiny-sft/final}: tiny-sft). */
    static String defaultName(Path modelDir) {
        Path dir = modelDir.toAbsolutePath().normalize();
        Path name = dir.getFileName();
        if (name == null) {
            return "model";
        }
        if (name.toString().equals("final") && dir.getParent() != null && dir.getParent().getFileName() != null) {
            return dir.getParent().getFileName().toString();
        }
        return name.toString();
    }

    /** {@code messages} with the server's system prompt first when they bring none and one was configured. */
    List<Message> withSystemPrompt(List<Message> messages) {
        if (systemPrompt == null || (!messages.isEmpty() && messages.get(0).role() == Role.SYSTEM)) {
            return messages;
        }
        List<Message> out = new ArrayList<>(messages.size() + 1);
        out.add(new Message(Role.SYSTEM, systemPrompt));
        out.addAll(messages);
        return out;
    }

    /** The prompt ids of a conversation that ends with the user message to answer. */
    int[] prompt(List<Message> conversation) {
        Message last = conversation.get(conversation.size() - 1);
        return format.prompt(conversation.subList(0, conversation.size() - 1), last.content());
    }
}
