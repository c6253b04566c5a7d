package org.twllm.core.config;

import java.nio.file.Path;

/**
 * Aeron transport between ranks ({@code distributed.transport:}). These are the only rules for the
 * transport settings: a config that validates is one a multi-rank launch accepts.
 */
public record TransportConfig(Values values) implements ConfigSection {
    static final KeyTable<TransportConfig> KEYS = new KeyTable<>(TransportConfig::new, TransportConfig::check);

    public static final Key<MediaDriver> MEDIA_DRIVER = KEYS.key("media_driver", ValueTypes.oneOf(MediaDriver.class))
            .byDefault(MediaDriver.EMBEDDED)
            .doc("start an Aeron media driver inside each rank, or use one already running");
    /** Absolute after binding. */
    public static final Key<Path> AERON_DIR = KEYS.key("aeron_dir", ValueTypes.path()).byDefault(null, "null (Aeron's default)")
            .doc("the Aeron directory");
    public static final Key<Channel> CHANNEL = KEYS.key("channel", ValueTypes.oneOf(Channel.class)).byDefault(Channel.AUTO)
            .doc("`auto`: IPC when all ranks share a host, UDP otherwise");
    public static final Key<Integer> PORT_BASE = KEYS.key("port_base", ValueTypes.integer(1024, 65535)).byDefault(40123)
            .doc("first UDP port of the ranks' range; `port_base + world_size - 1` must be <= 65535");
    public static final Key<Integer> MTU = KEYS.key("mtu", ValueTypes.integer(4096, 65504)
                    .multipleOf(32, "Aeron's frame alignment")).byDefault(65504)
            .doc("Aeron MTU in bytes (a 64 KiB frame carries 16364 floats)");
    public static final Key<Integer> TERM_LENGTH_MB = KEYS.key("term_length_mb", ValueTypes.integer(1, 1024)
                    .powerOfTwo("Aeron's term buffers")).byDefault(16)
            .doc("Aeron term buffer length, MiB");
    public static final Key<Integer> SOCKET_BUFFER_KB = KEYS.key("socket_buffer_kb", ValueTypes.integer(1, 1 << 20)).byDefault(2048)
            .doc("UDP socket send/receive buffer and receiver window, KiB");
    public static final Key<Integer> LIVENESS_TIMEOUT_MS = KEYS.key("liveness_timeout_ms", ValueTypes.integer(500))
            .byDefault(2000)
            .doc("a peer silent this long is declared dead");
    public static final Key<Integer> COLLECTIVE_TIMEOUT_S = KEYS.key("collective_timeout_s", ValueTypes.integer(1))
            .byDefault(30)
            .doc("a collective not finished in this time fails the run; longer than `liveness_timeout_ms`");

    public TransportConfig {
        KEYS.requireOwn(values);
    }

    /** Every key at its default. */
    public static TransportConfig defaults() {
        return KEYS.builder().build();
    }

    public MediaDriver mediaDriver() {
        return values.get(MEDIA_DRIVER);
    }

    /** Null: Aeron's default. */
    public Path aeronDir() {
        return values.get(AERON_DIR);
    }

    public Channel channel() {
        return values.get(CHANNEL);
    }

    /** Rank r listens on portBase + r. */
    public int portBase() {
        return values.get(PORT_BASE);
    }

    public int mtu() {
        return values.get(MTU);
    }

    public int termLengthMb() {
        return values.get(TERM_LENGTH_MB);
    }

    public int socketBufferKb() {
        return values.get(SOCKET_BUFFER_KB);
    }

    public long livenessTimeoutMs() {
        return values.get(LIVENESS_TIMEOUT_MS);
    }

    public int collectiveTimeoutS() {
        return values.get(COLLECTIVE_TIMEOUT_S);
    }

    private static void check(Section s) {
        Integer portBase = s.value(PORT_BASE);
        Integer worldSize = s.parent() == null ? null : s.parent().value(DistributedConfig.WORLD_SIZE);
        if (portBase != null && worldSize != null && portBase + worldSize - 1 > 65535) {
            s.problem(PORT_BASE, "ports " + portBase + ".." + (portBase + worldSize - 1) + " for world_size " + worldSize
                    + " go past 65535");
        }
        Integer liveness = s.value(LIVENESS_TIMEOUT_MS);
        Integer collective = s.value(COLLECTIVE_TIMEOUT_S);
        if (liveness != null && collective != null && collective * 1000L <= liveness) {
            s.problem(COLLECTIVE_TIMEOUT_S, collective + " s is not longer than liveness_timeout_ms " + liveness
                    + "; a collective must outlast the time a dead peer takes to be noticed");
        }
    }

    public enum MediaDriver implements YamlEnum {
        EMBEDDED, EXTERNAL
    }

    public enum Channel implements YamlEnum {
        AUTO, IPC, UDP
    }
}
