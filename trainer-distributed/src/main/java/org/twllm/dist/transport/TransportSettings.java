package org.twllm.dist.transport;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.twllm.core.config.TransportConfig;

/**
 * How ranks talk over Aeron. The values come from a validated {@code distributed.transport} (see
 * {@link #of}); its defaults are what a probe of Aeron 1.49.3 found fast and safe on a small machine:
 * jumbo frames and 16 MiB terms so a 64 KiB chunk travels in one frame, 2 MiB receive windows and
 * socket buffers (Aeron's defaults gave 28 MB/s), and liveness timeouts of about 2 s so a dead peer is
 * noticed quickly instead of after Aeron's default 5-10 s. The record does not check them again.
 *
 * @param externalDriverDir   an Aeron directory of a running media driver to attach to, or null to
 *                            start one embedded in this process
 * @param driverBaseDir       where embedded drivers create their unique directories
 * @param channel             AUTO: IPC to a neighbour that shares our driver, UDP otherwise
 * @param bindHost            host name or address other ranks reach this rank's UDP endpoint at; null:
 *                            the address of the interface this host uses to reach the master
 * @param udpPort             UDP port this rank listens on, 0 for any free port
 * @param mtu                 Aeron MTU in bytes
 * @param termLength          Aeron term buffer length in bytes
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

    public TransportSettings {
        if (driverBaseDir == null) {
            driverBaseDir = DriverDirectories.defaultBaseDir();
        }
        if (bindHost != null && bindHost.isBlank()) {
            bindHost = null;
        }
    }

    /**
     * A validated {@code distributed.transport} (its key table holds the only rules for these values:
     * MTU, term length, timeouts), with this rank's UDP port and the driver to attach to.
     *
     * @param externalDriverDir a running media driver's directory, or null to start one embedded
     * @param udpPort           UDP port this rank listens on, 0 for any free port
     */
    public static TransportSettings of(TransportConfig t, Path externalDriverDir, int udpPort) {
        ChannelKind channel = switch (t.channel()) {
            case AUTO -> ChannelKind.AUTO;
            case IPC -> ChannelKind.IPC;
            case UDP -> ChannelKind.UDP;
        };
        return new TransportSettings(externalDriverDir, null, channel, null, udpPort, t.mtu(), t.termLengthMb() << 20,
                t.socketBufferKb() << 10, TimeUnit.MILLISECONDS.toNanos(t.livenessTimeoutMs()),
                TimeUnit.SECONDS.toNanos(t.collectiveTimeoutS()));
    }

    /** The config's default transport: embedded driver, AUTO channels, the master's interface, any free port. */
    public static TransportSettings defaults() {
        return of(TransportConfig.defaults(), null, 0);
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
