package org.twllm.dist.transport;

import java.nio.file.Path;

/**
 * How ranks talk over Aeron. The defaults are what a probe of Aeron 1.49.3 found fast and safe on a
 * small machine: jumbo frames and 16 MiB terms so a 64 KiB chunk travels in one frame, 2 MiB receive
 * windows and socket buffers (Aeron's defaults gave 28 MB/s), and liveness timeouts of about 2 s so a
 * dead peer is noticed quickly instead of after Aeron's default 5-10 s.
 *
 * @param externalDriverDir   an Aeron directory of a running media driver to attach to, or null to
 *                            start one embedded in this process
 * @param driverBaseDir       where embedded drivers create their unique directories
 * @param channel             AUTO: IPC to a neighbour that shares our driver, UDP otherwise
 * @param bindHost            host name or address other ranks reach this rank's UDP endpoint at; null:
 *                            the address of the interface this host uses to reach the master
 * @param udpPort             UDP port this rank listens on, 0 for any free port
 * @param mtu                 Aeron MTU in bytes (multiple of 32, at most 65504)
 * @param termLength          Aeron term buffer length in bytes (power of two)
 * @param socketBufferBytes   UDP socket buffers and receiver window
 * @param livenessTimeoutNs   client, image and publication-connection liveness
 * @param collectiveTimeoutNs a collective with no progress for this long fails
 */
public record TransportSettings(
        Path externalDriverDir,
        Path driverBaseDir,
        ChannelKind channel,
        String bindHost,
        int udpPort,
        int mtu,
        int termLength,
        int socketBufferBytes,
        long livenessTimeoutNs,
        long collectiveTimeoutNs) {

    /** Which Aeron media a ring link uses. */
    public enum ChannelKind { AUTO, IPC, UDP }

    public static final int DEFAULT_MTU = 65504;
    public static final int DEFAULT_TERM_LENGTH = 16 << 20;
    public static final int DEFAULT_SOCKET_BUFFER = 2 << 20;
    public static final long DEFAULT_LIVENESS_NS = 2_000_000_000L;
    public static final long DEFAULT_COLLECTIVE_TIMEOUT_NS = 30_000_000_000L;

    public TransportSettings {
        if (mtu < 4096 || mtu > 65504 || mtu % 32 != 0) {
            throw new IllegalArgumentException("mtu must be a multiple of 32 in [4096, 65504], got " + mtu);
        }
        if (Integer.bitCount(termLength) != 1 || termLength < (1 << 16)) {
            throw new IllegalArgumentException("term length must be a power of two of at least 64 KiB, got " + termLength);
        }
        if (livenessTimeoutNs < 500_000_000L) {
            throw new IllegalArgumentException("liveness timeout must be at least 500 ms");
        }
        if (collectiveTimeoutNs <= livenessTimeoutNs) {
            throw new IllegalArgumentException("collective timeout must exceed the liveness timeout");
        }
        if (driverBaseDir == null) {
            driverBaseDir = DriverDirectories.defaultBaseDir();
        }
        if (bindHost != null && bindHost.isBlank()) {
            bindHost = null;
        }
    }

    /** Embedded driver, AUTO channels, the master's interface, any free port, the probed defaults. */
    public static TransportSettings defaults() {
        return new TransportSettings(null, null, ChannelKind.AUTO, null, 0, DEFAULT_MTU, DEFAULT_TERM_LENGTH,
                DEFAULT_SOCKET_BUFFER, DEFAULT_LIVENESS_NS, DEFAULT_COLLECTIVE_TIMEOUT_NS);
    }

    public TransportSettings withExternalDriver(Path dir) {
        return new TransportSettings(dir, driverBaseDir, channel, bindHost, udpPort, mtu, termLength,
                socketBufferBytes, livenessTimeoutNs, collectiveTimeoutNs);
    }

    public TransportSettings withChannel(ChannelKind kind) {
        return new TransportSettings(externalDriverDir, driverBaseDir, kind, bindHost, udpPort, mtu, termLength,
                socketBufferBytes, livenessTimeoutNs, collectiveTimeoutNs);
    }

    public TransportSettings withEndpoint(String host, int port) {
        return new TransportSettings(externalDriverDir, driverBaseDir, channel, host, port, mtu, termLength,
                socketBufferBytes, livenessTimeoutNs, collectiveTimeoutNs);
    }

    public TransportSettings withTermLength(int bytes) {
        return new TransportSettings(externalDriverDir, driverBaseDir, channel, bindHost, udpPort, mtu, bytes,
                socketBufferBytes, livenessTimeoutNs, collectiveTimeoutNs);
    }

    public TransportSettings withTimeouts(long livenessNs, long collectiveNs) {
        return new TransportSettings(externalDriverDir, driverBaseDir, channel, bindHost, udpPort, mtu, termLength,
                socketBufferBytes, livenessNs, collectiveNs);
    }

    /** What must match on every rank (checked at rendezvous): the settings that shape messages and timing. */
    public String fingerprint() {
        return "mtu=" + mtu + ",term=" + termLength + ",timeout_ns=" + collectiveTimeoutNs;
    }
}
