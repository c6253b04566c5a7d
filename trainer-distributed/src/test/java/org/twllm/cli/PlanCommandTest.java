package org.twllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;

/** twllm plan through Main.run: the JSON contract, the shipped Llama-2 configs' counts, usage errors (train's refusal: OutOfMemoryTest). */
class PlanCommandTest {
    private static final Path FIXTURES = Path.of(System.getProperty("twllm.fixtures")).toAbsolutePath().normalize();
    private static final Path ROOT = FIXTURES.getParent();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code plan} of a shipped config with {@code extra} arguments. */
    private static CliRun plan(String config, String... extra) {
        List<String> args = new ArrayList<>(List.of("plan", "--config", ROOT.resolve(config).toString()));
        args.addAll(List.of(extra));
        return CliRun.of(args.toArray(String[]::new));
    }

    private static String llama2(String size) {
        return "model.init=" + FIXTURES.resolve("models/llama-2-" + size);
    }

    @Test
    void jsonHoldsTheContractKeys() throws Exception {
        CliRun r = plan("configs/tiny/cpt.yaml", "--set", "tokenizer.path=" + FIXTURES.resolve("tokenizer/zh-tw-bpe-8k.model"),
                "--set", "device.peak_flops=1e11", "--nodes", "1", "--gpus-per-node", "2", "--gpu", "cpu", "--json");
        assertEquals(Main.EXIT_OK, r.code(), r.err());
        JsonNode plan = JSON.readTree(r.out());
        for (String key : List.of("fits", "max_micro_batch", "bytes", "step_s", "tokens_per_s", "days")) {
            assertTrue(plan.has(key), key + " in " + r.out());
        }
        long sum = 0;
        for (String key : List.of("weights", "master", "optimizer", "gradients", "buckets", "activations", "workspace", "reserve")) {
            assertTrue(plan.get("bytes").has(key), key);
            sum += plan.get("bytes").get(key).asLong();
        }
        assertEquals(sum, plan.get("bytes").get("total").asLong());
        assertTrue(plan.get("bytes").has("total"));
        assertTrue(plan.get("fits").asBoolean(), r.out());
        assertTrue(plan.get("max_micro_batch").asInt() >= 8, r.out());
        assertEquals(2, plan.get("world_size").asInt());
        assertEquals(4_646_592, plan.get("parameters").asLong(), "the tiny model's count, as train prints it");
        assertTrue(plan.get("step_s").asDouble() > 0 && plan.get("tokens_per_s").asDouble() > 0 && plan.get("days").asDouble() > 0);
    }

    @Test
    void theLlama2ConfigsHaveThePublishedParameterCountsAndFit() throws Exception {
        CliRun seven = plan("configs/llama2-7b/cpt.yaml", "--set", llama2("7b"), "--nodes", "6", "--gpus-per-node", "8", "--json");
        assertEquals(Main.EXIT_OK, seven.code(), seven.err());
        JsonNode p7 = JSON.readTree(seven.out());
        assertEquals(6_738_415_616L, p7.get("parameters").asLong(), "Llama-2-7B");
        assertEquals("h100-80gb", p7.get("device").asText(), "device.backend cuda plans an H100 by default");
        assertEquals(2 * 6_738_415_616L, p7.get("bytes").get("weights").asLong(), "bf16 compute weights");
        assertEquals(48, p7.get("world_size").asInt());
        assertEquals(5, p7.get("accumulation").asInt(), "global batch 480 = 2 x 5 x 48");
        assertTrue(p7.get("fits").asBoolean());
        assertTrue(p7.get("gradients_partitioned").asBoolean());

        CliRun thirteen = plan("configs/llama2-13b/cpt.yaml", "--set", llama2("13b"), "--nodes", "6", "--gpus-per-node", "8", "--json");
        assertEquals(Main.EXIT_OK, thirteen.code(), thirteen.err());
        assertEquals(13_015_864_320L, JSON.readTree(thirteen.out()).get("parameters").asLong(), "Llama-2-13B");

        CliRun table = plan("configs/llama2-7b/sft.yaml", "--set", llama2("7b"), "--nodes", "6", "--gpus-per-node", "8",
                "--gpu", "a100-80gb", "--mfu", "0.4", "--link-gbps", "200", "--tokens", "1e9");
        assertEquals(Main.EXIT_OK, table.code(), table.err());
        assertTrue(table.out().contains("memory per GPU") && table.out().contains("largest micro-batch that fits")
                && table.out().contains("1.0B tokens") && table.out().contains("200 Gbit/s"), table.out());
    }

    @Test
    void usageErrorsExitTwoWithOneSentence() {
        CliRun noNodes = plan("configs/tiny/cpt.yaml", "--gpus-per-node", "1");
        assertEquals(Main.EXIT_USAGE, noNodes.code());
        CliRun gpu = plan("configs/llama2-7b/cpt.yaml", "--set", llama2("7b"), "--nodes", "1", "--gpus-per-node", "8", "--gpu", "tpu-v5");
        assertEquals(Main.EXIT_USAGE, gpu.code());
        assertTrue(gpu.err().contains("h100-80gb, h200-141gb, a100-80gb, cpu"), gpu.err());
        CliRun mfu = plan("configs/llama2-7b/cpt.yaml", "--set", llama2("7b"), "--nodes", "1", "--gpus-per-node", "8", "--mfu", "1.5");
        assertEquals(Main.EXIT_USAGE, mfu.code());
        assertTrue(mfu.err().contains("--mfu"), mfu.err());
        CliRun noShape = plan("configs/llama2-7b/cpt.yaml", "--nodes", "6", "--gpus-per-node", "8");
        assertEquals(Main.EXIT_USAGE, noShape.code());
        assertTrue(noShape.err().contains("config.json") && noShape.err().contains("model.init"), noShape.err());
        CliRun indivisible = plan("configs/llama2-7b/cpt.yaml", "--set", llama2("7b"), "--nodes", "7", "--gpus-per-node", "1");
        assertEquals(Main.EXIT_USAGE, indivisible.code());
        assertTrue(indivisible.err().contains("not divisible"), indivisible.err());
        for (CliRun r : List.of(gpu, mfu, noShape, indivisible)) {
            assertFalse(r.err().contains("Exception"), r.err());
        }
    }
}
