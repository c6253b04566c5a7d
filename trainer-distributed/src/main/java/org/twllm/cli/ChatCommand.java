package org.twllm.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.generate.GenerationResult;
import org.twllm.core.generate.Generator;
import org.twllm.core.generate.ModelSession;
import org.twllm.core.generate.SamplingSettings;
import org.twllm.data.chat.Message;
import org.twllm.data.chat.Role;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code twllm chat}: a multi-turn conversation on stdin/stdout. Each input line is a user message; the
 * reply is streamed as it is generated. The history is re-rendered with the chat template every turn
 * (as SFT renders dialogues) and the KV cache keeps the part already run.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Chat with a model on stdin/stdout: one user message per line; /reset forgets the history, /exit quits.",
            "Replies are printed one per line; token counts and tokens/s of each go to stderr."})
public final class ChatCommand implements Callable<Integer> {
    @Mixin
    GenerateCommand.ModelOptions modelOptions = new GenerateCommand.ModelOptions();

    @Mixin
    GenerateCommand.SamplingOptions sampling = new GenerateCommand.SamplingOptions();

    @Option(names = "--chat-template", paramLabel = "NAME", defaultValue = "taiwan-llm",
            description = "taiwan-llm (default) or llama-2-chat: the template the model was fine-tuned with.")
    String chatTemplate;

    @Override
    public Integer call() throws IOException {
        SamplingSettings settings = sampling.settings();
        ModelSession session = ModelSession.open(modelOptions.model, Checkpoint::loadModel, modelOptions.tokenizer, chatTemplate,
                modelOptions.systemPrompt);
        Generator generator = session.generator(session.checkedContextLength(modelOptions.contextLength));
        boolean interactive = System.console() != null;
        List<Message> history = new ArrayList<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        if (interactive) {
            System.out.println("twllm chat (" + session.format().describe() + "): type a message; /reset clears the history, /exit quits.");
        }
        while (true) {
            if (interactive) {
                System.out.print("> ");
                System.out.flush();
            }
            String line = in.readLine();
            if (line == null || line.strip().equals("/exit")) {
                break;
            }
            String message = line.strip();
            if (message.isEmpty()) {
                continue;
            }
            if (message.equals("/reset")) {
                history.clear();
                continue;
            }
            int[] prompt = session.format().prompt(history, message);
            if (prompt.length >= generator.contextLength() && !history.isEmpty()) {
                System.err.println("[chat] the conversation is longer than the context (" + generator.contextLength()
                        + " tokens); starting over with this message");
                history.clear();
                prompt = session.format().prompt(history, message);
            }
            if (prompt.length >= generator.contextLength()) {
                // One message too long for the context: say so in place of a reply, and keep the session.
                System.out.println();
                System.err.println("[chat] error: this message needs " + prompt.length + " tokens but the context holds "
                        + generator.contextLength() + " (prompt and reply); send a shorter one, or start with a larger"
                        + " --context-length");
                continue;
            }
            GenerationResult reply = generator.generate(prompt, settings, text -> {
                System.out.print(text);
                System.out.flush();
            });
            System.out.println();
            System.err.println(GenerateCommand.stats(reply));
            // An empty reply cannot be a dialogue turn (SFT never trains on one): that exchange is left out.
            if (!reply.text().isBlank()) {
                history.add(new Message(Role.USER, message));
                history.add(new Message(Role.ASSISTANT, reply.text().strip()));
            }
        }
        return Main.EXIT_OK;
    }
}
