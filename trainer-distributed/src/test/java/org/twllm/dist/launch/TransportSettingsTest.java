package org.twllm.dist.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.core.config.StageConfig;
import org.twllm.core.config.StageConfigLoader;
import org.twllm.dist.transport.TransportSettings;
import org.twllm.errors.ConfigException;

/**
 * {@code distributed.transport} has one rule set, its key table: whatever {@code config validate}
 * accepts, even at the edges of the ranges, a launch turns into transport settings unchanged, and what
 * a launch could not use is refused by validation.
 */
class TransportSettingsTest {
    private static final Path FIXTURES = Path.of(System.getProperty("twllm.fixtures", "../src-test-fixtures"))
            .toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private StageConfig load(String... sets) throws Exception {
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, """
                stage: cpt
                run: {name: t, output_dir: out}
                model: {init: random, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2,
                        num_attention_heads: 4, max_position_embeddings: 64}
                tokenizer: {path: FIX/tokenizer/zh-tw-bpe-8k.model}
                data: {seq_len: 32, sources: [{path: FIX/corpus/tang-poems.zh-Hant.jsonl}]}
                training: {max_steps: 10, learning_rate: 1.0e-3}
                """.replace("FIX", FIXTURES.toString()));
        return StageConfigLoader.load(file, List.of(sets), dir);
    }

    @Test
    void theSmallestValidatedTransportIsLaunchedUnchanged() throws Exception {
        StageConfig c = load("distributed.transport.mtu=4096", "distributed.transport.term_length_mb=1",
                "distributed.transport.socket_buffer_kb=64", "distributed.transport.liveness_timeout_ms=500",
                "distributed.transport.collective_timeout_s=1", "distributed.transport.channel=udp",
                "distributed.transport.port_base=50000");
        TransportSettings s = DataParallelFactory.settings(c.distributed().transport(), null);
        assertEquals(4096, s.mtu());
        assertEquals(1 << 20, s.termLength());
        assertEquals(64 << 10, s.socketBufferBytes());
        assertEquals(500_000_000L, s.livenessTimeoutNs());
        assertEquals(1_000_000_000L, s.collectiveTimeoutNs());
        assertEquals(TransportSettings.ChannelKind.UDP, s.channel());
        assertEquals(50000, s.udpPort());
        assertNull(s.externalDriverDir());
    }

    @Test
    void whatALaunchCouldNotUseFailsValidation() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("distributed.transport.mtu=1024",
                "distributed.transport.liveness_timeout_ms=499"));
        assertEquals(List.of("--set distributed.transport.mtu=1024: must be at least 4096, got 1024",
                "--set distributed.transport.liveness_timeout_ms=499: must be at least 500, got 499"), e.problems());
    }

    @Test
    void theDefaultsAreTheConfigDefaultsWithAnyFreePort() throws Exception {
        TransportSettings d = TransportSettings.defaults();
        assertEquals(65504, d.mtu());
        assertEquals(16 << 20, d.termLength());
        assertEquals(2 << 20, d.socketBufferBytes());
        assertEquals(2_000_000_000L, d.livenessTimeoutNs());
        assertEquals(30_000_000_000L, d.collectiveTimeoutNs());
        assertEquals(TransportSettings.ChannelKind.AUTO, d.channel());
        assertEquals(0, d.udpPort());
        assertNull(d.externalDriverDir());
        TransportSettings fromConfig = DataParallelFactory.settings(load().distributed().transport(), null);
        assertEquals(d.withEndpoint(null, fromConfig.udpPort()), fromConfig);
    }

    @Test
    void anExternalDriverNeedsItsDirectory() throws Exception {
        StageConfig external = load("distributed.transport.media_driver=external");
        ConfigException e = assertThrows(ConfigException.class,
                () -> DataParallelFactory.settings(external.distributed().transport(), null));
        assertEquals("distributed.transport.media_driver is external but no aeron_dir is set; set"
                + " distributed.transport.aeron_dir to the running driver's directory", e.getMessage());
        assertEquals(Path.of("/run/aeron"), DataParallelFactory.settings(external.distributed().transport(), "/run/aeron")
                .externalDriverDir());
    }
}
