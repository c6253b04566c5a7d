package org.twllm.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.checkpoint.ModelExport;
import org.twllm.core.io.DType;
import org.twllm.errors.ConfigException;
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

    @Option(names = "--dtype", paramLabel = "bf16|fp32",
            description = "The weights' dtype (default: the run's training.precision; fp32 of a bf16 run writes its fp32 master weights).")
    String dtype;

    @Override
    public Integer call() {
        DType weights = dtype == null ? null : switch (dtype) {
            case "bf16" -> DType.BF16;
            case "fp32" -> DType.F32;
            default -> throw new ConfigException("--dtype " + dtype + " is not a dtype twllm exports; use --dtype bf16 or --dtype fp32");
        };
        Checkpoint c = Checkpoint.open(checkpoint.toAbsolutePath().normalize());
        ModelExport.export(c, out, weights, ProgressOutput.console());
        System.out.println("exported step " + c.step() + " to " + out.toAbsolutePath().normalize());
        return Main.EXIT_OK;
    }
}
