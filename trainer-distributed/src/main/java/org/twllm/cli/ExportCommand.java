package org.twllm.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.checkpoint.ModelExport;
import org.twllm.progress.ProgressOutput;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code twllm export}: a checkpoint as a HuggingFace Llama directory. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a HuggingFace Llama directory (config.json, model.safetensors, tokenizer.model) from a checkpoint.")
public final class ExportCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "A checkpoint-NNNNNNNN directory.")
    Path checkpoint;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The model directory to write (new, or an earlier export).")
    Path out;

    @Override
    public Integer call() {
        Checkpoint c = Checkpoint.open(checkpoint.toAbsolutePath().normalize());
        ModelExport.export(c, out, ProgressOutput.console());
        System.out.println("exported step " + c.step() + " to " + out.toAbsolutePath().normalize());
        return Main.EXIT_OK;
    }
}
