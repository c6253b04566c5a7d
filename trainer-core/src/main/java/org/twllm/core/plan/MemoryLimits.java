package org.twllm.core.plan;

import java.lang.management.ManagementFactory;
import java.util.Locale;

import org.bytedeco.javacpp.Pointer;

/**
 * The memory a CPU training process may use: the machine's memory as the JVM sees it (a container's or cgroup's
 * limit when there is one), shared by the ranks on this host, and JavaCPP's cap on the process's resident memory
 * ({@code org.bytedeco.javacpp.maxphysicalbytes}, which ND4J's allocations answer to).
 *
 * @param machineBytes     physical memory, or the container limit
 * @param maxPhysicalBytes JavaCPP's resident-memory cap per process; 0 when unlimited
 */
public record MemoryLimits(long machineBytes, long maxPhysicalBytes) {

    /** The limits of this JVM. */
    public static MemoryLimits ofThisProcess() {
        long machine = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        return new MemoryLimits(machine, Pointer.maxPhysicalBytes());
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
            return "the JavaCPP limit org.bytedeco.javacpp.maxphysicalbytes (TWLLM_MAX_PHYSICAL_BYTES) of " + gib(maxPhysicalBytes);
        }
        return "this machine's " + gib(machineBytes) + " of memory"
                + (processesOnHost > 1 ? " shared by " + processesOnHost + " processes" : "");
    }

    public static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
