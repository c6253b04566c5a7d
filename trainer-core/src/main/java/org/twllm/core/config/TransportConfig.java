package org.twllm.core.config;

import java.nio.file.Path;

/**
 * Aeron transport between ranks.
 *
 * @param mediaDriver        EMBEDDED starts a media driver in each rank; EXTERNAL uses a running one
 * @param aeronDir           absolute Aeron directory, or null for Aeron's default
 * @param channel            AUTO picks IPC when all ranks share a host, UDP otherwise
 * @param portBase           first UDP port; rank r listens on portBase + r
 * @param mtu                Aeron MTU in bytes (multiple of 32, at most 65504)
 * @param termLengthMb       Aeron term buffer length in MiB (power of two, 1..1024)
 * @param socketBufferKb     UDP socket send/receive buffer in KiB
 * @param livenessTimeoutMs  a peer silent this long is declared dead
 * @param collectiveTimeoutS a collective not finished in this time fails the run
 */
public record TransportConfig(
        MediaDriver mediaDriver,
        Path aeronDir,
        Channel channel,
        int portBase,
        int mtu,
        int termLengthMb,
        int socketBufferKb,
        long livenessTimeoutMs,
        int collectiveTimeoutS) {

    public enum MediaDriver {
        EMBEDDED, EXTERNAL;

        public String yamlName() {
            return YamlEnum.name(this);
        }
    }

    public enum Channel {
        AUTO, IPC, UDP;

        public String yamlName() {
            return YamlEnum.name(this);
        }
    }
}
