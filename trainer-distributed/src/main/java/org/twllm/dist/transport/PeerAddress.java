package org.twllm.dist.transport;

/**
 * Where a rank can be reached: its UDP endpoint, and the id of the media driver it uses (neighbours
 * with equal driver ids share a driver and talk over IPC).
 */
public record PeerAddress(int rank, String host, int udpPort, String driverId) {
    public String udpEndpoint() {
        return host + ":" + udpPort;
    }
}
