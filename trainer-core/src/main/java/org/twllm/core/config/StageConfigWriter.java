package org.twllm.core.config;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/** Turns a {@link StageConfig} back into the YAML key tree (every key, in schema order). */
final class StageConfigWriter {
    private static final ObjectMapper YAML = YAMLMapper.builder(YAMLFactory.builder()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .build())
            .build();
    private static final ObjectMapper CANONICAL_JSON = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private StageConfigWriter() {
    }

    static String toYaml(StageConfig config) {
        try {
            return YAML.writeValueAsString(tree(config));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String fingerprintJson(StageConfig config) {
        ObjectNode root = tree(config);
        for (String key : StageConfig.RESUME_SAFE_KEYS) {
            String path = key.endsWith(".") ? key.substring(0, key.length() - 1) : key;
            int dot = path.lastIndexOf('.');
            JsonNode parent = dot < 0 ? root : root.at("/" + path.substring(0, dot).replace('.', '/'));
            if (parent instanceof ObjectNode section) {
                section.remove(path.substring(dot + 1));
            }
        }
        try {
            // Sorting keys makes the digest independent of the order fields are written in.
            Object plain = CANONICAL_JSON.treeToValue(root, Object.class);
            return CANONICAL_JSON.writeValueAsString(plain);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode tree(StageConfig c) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("stage", c.stage().yamlName());

        ObjectNode run = root.putObject("run");
        run.put("name", c.run().name());
        run.put("output_dir", path(c.run().outputDir()));
        run.put("seed", c.run().seed());

        ObjectNode model = root.putObject("model");
        if (c.model().isRandomInit()) {
            model.put("init", "random");
            ModelArchitecture a = c.model().architecture();
            model.put("hidden_size", a.hiddenSize());
            model.put("intermediate_size", a.intermediateSize());
            model.put("num_hidden_layers", a.numHiddenLayers());
            model.put("num_attention_heads", a.numAttentionHeads());
            model.put("num_key_value_heads", a.numKeyValueHeads());
            model.put("vocab_size", a.vocabSize());
            model.put("max_position_embeddings", a.maxPositionEmbeddings());
            model.put("rms_norm_eps", a.rmsNormEps());
            model.put("rope_theta", a.ropeTheta());
            model.put("tie_word_embeddings", a.tieWordEmbeddings());
            model.put("initializer_range", a.initializerRange());
        } else {
            model.put("init", path(c.model().init()));
        }

        root.putObject("tokenizer").put("path", path(c.tokenizer().path()));

        DataConfig d = c.data();
        ObjectNode data = root.putObject("data");
        data.put("seq_len", d.seqLen());
        data.put("shuffle", d.shuffle());
        sources(data.putArray("sources"), d.sources());
        sources(data.putArray("validation_sources"), d.validationSources());
        data.put("chat_template", d.chatTemplate().yamlName());
        data.put("system_prompt", d.systemPrompt());
        if (d.customTemplate() != null) {
            ObjectNode t = data.putObject("custom_template");
            t.put("system_format", d.customTemplate().systemFormat());
            t.put("user_format", d.customTemplate().userFormat());
            t.put("assistant_format", d.customTemplate().assistantFormat());
        }
        data.put("overlong", d.overlong().yamlName());
        ObjectNode filters = data.putObject("filters");
        filters.put("script", d.filters().script().yamlName());
        filters.put("dedup", d.filters().dedup());
        filters.put("min_chars", d.filters().minChars());
        filters.put("max_chars", d.filters().maxChars());
        ObjectNode feedback = data.putObject("feedback");
        feedback.put("rating_field", d.feedback().ratingField());
        feedback.put("positive_threshold", d.feedback().positiveThreshold());
        feedback.put("sft_mix_ratio", d.feedback().sftMixRatio());
        data.put("cache_dir", path(d.cacheDir()));

        TrainingConfig t = c.training();
        ObjectNode training = root.putObject("training");
        training.put("max_steps", t.maxSteps());
        training.put("per_device_train_batch_size", t.perDeviceTrainBatchSize());
        training.put("gradient_accumulation_steps", t.gradientAccumulationSteps());
        training.put("global_batch_size", c.globalBatchSize());
        training.put("learning_rate", t.learningRate());
        training.put("lr_scheduler_type", t.lrSchedulerType().yamlName());
        training.put("warmup_steps", t.warmupSteps());
        training.put("warmup_ratio", t.warmupRatio());
        training.put("min_lr", t.minLr());
        training.put("max_grad_norm", t.maxGradNorm());
        training.put("adam_beta1", t.adamBeta1());
        training.put("adam_beta2", t.adamBeta2());
        training.put("adam_epsilon", t.adamEpsilon());
        training.put("weight_decay", t.weightDecay());
        training.put("precision", t.precision().yamlName());
        training.put("gradient_checkpointing", t.gradientCheckpointing());
        training.put("nan_policy", t.nanPolicy().yamlName());
        training.put("eval_steps", t.evalSteps());
        training.put("eval_max_samples", t.evalMaxSamples());
        training.put("logging_steps", t.loggingSteps());

        ObjectNode checkpoint = root.putObject("checkpoint");
        checkpoint.put("save_steps", c.checkpoint().saveSteps());
        checkpoint.put("save_total_limit", c.checkpoint().saveTotalLimit());
        checkpoint.put("resume", c.checkpoint().resume().yamlName());

        DistributedConfig dist = c.distributed();
        ObjectNode distributed = root.putObject("distributed");
        distributed.put("world_size", dist.worldSize());
        distributed.put("zero_stage", dist.zeroStage());
        distributed.put("bucket_size_mb", dist.bucketSizeMb());
        TransportConfig tr = dist.transport();
        ObjectNode transport = distributed.putObject("transport");
        transport.put("media_driver", tr.mediaDriver().yamlName());
        transport.put("aeron_dir", path(tr.aeronDir()));
        transport.put("channel", tr.channel().yamlName());
        transport.put("port_base", tr.portBase());
        transport.put("mtu", tr.mtu());
        transport.put("term_length_mb", tr.termLengthMb());
        transport.put("socket_buffer_kb", tr.socketBufferKb());
        transport.put("liveness_timeout_ms", tr.livenessTimeoutMs());
        transport.put("collective_timeout_s", tr.collectiveTimeoutS());

        ObjectNode device = root.putObject("device");
        device.put("backend", c.device().backend().yamlName());
        device.put("peak_flops", c.device().peakFlops());

        ObjectNode logging = root.putObject("logging");
        logging.put("level", c.logging().level().yamlName());
        logging.put("console", c.logging().console());
        return root;
    }

    private static void sources(ArrayNode out, List<SourceConfig> sources) {
        for (SourceConfig s : sources) {
            ObjectNode node = out.addObject();
            node.put("path", path(s.path()));
            node.put("name", s.name());
            node.put("weight", s.weight());
            node.put("format", s.format().yamlName());
            node.put("text_field", s.textField());
            if (s.messagesField() != null) {
                node.put("messages_field", s.messagesField());
            }
        }
    }

    private static String path(Path p) {
        return p == null ? null : p.toString();
    }
}
