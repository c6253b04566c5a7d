package org.twllm.core.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.plan.StepTimeModel.StepTime;

/** A {@link TrainingPlan} as {@code twllm plan} prints it: a readable table, or one JSON object. */
public final class PlanReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PlanReport() {
    }

    /** One JSON object; the keys {@code fits}, {@code max_micro_batch}, {@code bytes}, {@code step_s}, {@code tokens_per_s}, {@code days} are the contract. */
    public static String json(TrainingPlan plan) {
        TrainingSetup s = plan.setup();
        MemoryBreakdown m = plan.memory();
        StepTime t = plan.time();
        ObjectNode root = JSON.createObjectNode();
        root.put("device", plan.request().device().cliName());
        root.put("nodes", plan.request().nodes());
        root.put("gpus_per_node", plan.request().gpusPerNode());
        root.put("world_size", s.worldSize());
        root.put("parameters", s.shape().numParameters());
        root.put("micro_batch", s.microBatch());
        root.put("accumulation", s.accumulation());
        root.put("global_batch", s.globalBatch());
        root.put("seq_len", s.seqLen());
        root.put("precision", s.precision().yamlName());
        root.put("gradient_checkpointing", s.checkpointing());
        root.put("zero_stage", s.zeroStage());
        root.put("gradients_partitioned", plan.partitionedGradients());
        root.put("fits", plan.fits());
        root.put("max_micro_batch", plan.maxMicroBatch());
        root.put("capacity_bytes", plan.capacityBytes());
        ObjectNode bytes = root.putObject("bytes");
        bytes.put("weights", m.weights());
        bytes.put("master", m.master());
        bytes.put("optimizer", m.optimizer());
        bytes.put("gradients", m.gradients());
        bytes.put("buckets", m.buckets());
        bytes.put("activations", m.activations());
        bytes.put("workspace", m.workspace());
        bytes.put("reserve", m.reserve());
        bytes.put("total", m.total());
        ObjectNode activations = root.putObject("activations_bytes");
        activations.put("checkpointing", plan.activationsCheckpointed());
        activations.put("no_checkpointing", plan.activationsPlain());
        root.put("compute_s", t.computeS());
        root.put("reduce_scatter_s", t.reduceScatterS());
        root.put("all_gather_s", t.allGatherS());
        root.put("exposed_communication_s", t.exposedS());
        root.put("communication_overlaps_compute", s.worldSize() > 1);
        root.put("step_s", t.stepS());
        root.put("tokens_per_s", t.tokensPerS());
        root.put("mfu", t.mfu());
        root.put("assumed_mfu", plan.mfu());
        root.put("peak_flops", plan.peakFlops());
        root.put("link_gbps", plan.link().linkGbps());
        root.put("ring_efficiency", plan.link().efficiency());
        root.put("tokens", plan.request().tokens());
        root.put("days", plan.days());
        return root.toString();
    }

    /** The table, one line each. */
    public static List<String> lines(TrainingPlan plan) {
        TrainingSetup s = plan.setup();
        LlamaConfig c = s.shape();
        MemoryBreakdown m = plan.memory();
        StepTime t = plan.time();
        DeviceKind device = plan.request().device();
        String unit = device.isCpu() ? "process" : "GPU";
        String precision = s.precision().yamlName();
        List<String> out = new ArrayList<>();
        out.add(format("twllm plan: %d x %d %s (%d rank%s); model figures, not measurements", plan.request().nodes(),
                plan.request().gpusPerNode(), device.cliName(), s.worldSize(), s.worldSize() == 1 ? "" : "s"));
        out.add(row("model", format("%,d parameters (%d layers, hidden %d, %d heads / %d kv heads, vocab %,d)",
                c.numParameters(), c.numLayers(), c.hiddenSize(), c.numHeads(), c.numKvHeads(), c.vocabSize())));
        out.add(row("batch", format("micro-batch %d x %d tokens, accumulation %d, %d ranks: %,d samples = %,d tokens per step",
                s.microBatch(), s.seqLen(), s.accumulation(), s.worldSize(), s.globalBatch(), s.globalBatch() * s.seqLen())));
        out.add(row("layout", format("%s, gradient checkpointing %s, ZeRO-%d, gradients %s", precision,
                s.checkpointing() ? "on" : "off", s.zeroStage(), plan.partitionedGradients()
                        ? "partitioned, reduced every micro-batch" : "in a full-size buffer, reduced once per step")));
        out.add("");
        out.add("memory per " + unit);
        out.add(bytesRow("compute weights (" + (device.computeBytes(s.precision()) == 2 ? precision : "fp32") + ")", m.weights()));
        out.add(bytesRow("master weights (fp32, own partition)", m.master()));
        out.add(bytesRow("optimizer (AdamW moments)", m.optimizer()));
        out.add(bytesRow("gradients (fp32)", m.gradients()));
        out.add(bytesRow("bucket buffers", m.buckets()));
        out.add(bytesRow("activations", m.activations()) + format("   (checkpointing on: %s, off: %s)",
                size(plan.activationsCheckpointed()), size(plan.activationsPlain())));
        out.add(bytesRow("workspace", m.workspace()));
        out.add(bytesRow(device.isCpu() ? "reserve (JVM, libraries, data; measured)" : "reserve (CUDA context; estimate)", m.reserve()));
        out.add(bytesRow("total", m.total()) + "   of " + size(plan.capacityBytes()) + " (" + plan.capacitySource() + "): "
                + (plan.fits() ? "fits" : "does NOT fit"));
        out.add(row("largest micro-batch that fits", plan.maxMicroBatch() == 0 ? "none (not even one sample)"
                : String.valueOf(plan.maxMicroBatch())));
        out.add("");
        out.add("step time");
        out.add(row("compute", format("%.2f s at %.0f%% of %.1f TFLOP/s (%s)", t.computeS(), plan.mfu() * 100,
                plan.peakFlops() / 1e12, plan.peakSource())));
        if (plan.request().mfu() == null) {
            out.add(row("", "default MFU: " + device.mfuSource()));
        }
        if (s.worldSize() > 1) {
            out.add(row("reduce-scatter", format("%.2f s over a %.0f Gbit/s link at ring efficiency %.2f, overlapping backward",
                    t.reduceScatterS(), plan.link().linkGbps(), plan.link().efficiency())));
            out.add(row("all-gather", format("%.2f s, after the optimizer step (not overlapped)", t.allGatherS())));
            out.add(row("exposed communication", format("%.2f s", t.exposedS())));
        }
        out.add(row("step", format("%.2f s: %,.0f tokens/s, MFU %.1f%%", t.stepS(), t.tokensPerS(), t.mfu() * 100)));
        out.add(row(format("%.1fB tokens", plan.request().tokens() / 1e9), format("%.1f days", plan.days())));
        return out;
    }

    /**
     * The memory lines of {@code twllm train}'s start-up summary: the estimate by part against what the process may
     * use, and the largest micro-batch that fits.
     */
    public static List<String> summary(MemoryBreakdown m, long capacityBytes, String capacitySource, int maxMicroBatch) {
        return List.of(
                format("estimated peak %s per process of %s (%s); the largest micro-batch that fits is %d", size(m.total()),
                        size(capacityBytes), capacitySource, maxMicroBatch),
                format("weights %s, master %s, optimizer %s, gradients %s, activations %s, workspace %s, reserve %s"
                                + " (twllm plan --gpu cpu shows the whole plan)", size(m.weights()), size(m.master()),
                        size(m.optimizer()), size(m.gradients()), size(m.activations()), size(m.workspace()), size(m.reserve())));
    }

    /** Bytes for people: GiB from 1 GiB up, else MiB. */
    public static String size(long bytes) {
        return bytes >= 1L << 30 ? format("%.1f GiB", bytes / (double) (1L << 30)) : format("%.0f MiB", bytes / (double) (1L << 20));
    }

    private static String bytesRow(String label, long bytes) {
        return row(label, size(bytes));
    }

    private static String row(String label, String text) {
        return format("  %-40s %s", label, text);
    }

    private static String format(String pattern, Object... args) {
        return String.format(Locale.ROOT, pattern, args);
    }
}
