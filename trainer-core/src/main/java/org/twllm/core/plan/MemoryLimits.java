package org.twllm.core.plan;

import java.lang.management.ManagementFactory;

import org.bytedeco.javacpp.Pointer;

/**
 * The memory a CPU training process may use: the machine's memory as the JVM sees it (a container's or cgroup's
 * limit when there is one), shared by the ranks on this host, and JavaCPP's cap on the process's resident memory
 * ({@code org.bytedeco.javacpp.maxphysicalbytes}, which ND4J's allocations answer to).
 *
 * <p>JavaCPP's other limit, {@code maxbytes}, is not one: ND4J's buffers do not count toward it (measured:
 * {@code Pointer.totalBytes()} stays near 0 with 200 MB of ND4J arrays allocated).
 *
 * @param machineBytes     physical memory, or the container limit
 * @param maxPhysicalBytes JavaCPP's resident-memory cap per process; 0 when unlimited
 * @param maxHeapBytes     the Java heap's limit ({@code -Xmx})
 */
public record MemoryLimits(long machineBytes, long maxPhysicalBytes, long maxHeapBytes) {

    /** The limits of this JVM. */
    public static MemoryLimits ofThisProcess() {
        long machine = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        return new MemoryLimits(machine, Pointer.maxPhysicalBytes(), Runtime.getRuntime().maxMemory());
    }

    /** Bytes one of {@code processesOnHost} processes may use. */
    public long perProcess(int processesOnHost) {
        long share = machineBytes / Math.max(1, processesOnHost);
        return maxPhysicalBytes > 0 ? Math.min(share, maxPhysicalBytes) : share;
    }

    /** Which limit {@link #perProcess} is, in words. */
    public String describe(int processesOnHost) {
        long share = machineBytes / Math.max(1, processesOnHost);
        if (maxPhysicalBytes > 0 && maxPhysicalBytes < share) {
            return "JavaCPP's maxphysicalbytes limit, TWLLM_MAX_PHYSICAL_BYTES";
        }
        return processesOnHost > 1 ? "this machine's memory, shared by " + processesOnHost + " processes" : "this machine's memory";
    }
}
