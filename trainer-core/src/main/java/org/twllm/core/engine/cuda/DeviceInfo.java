package org.twllm.core.engine.cuda;

/**
 * What a device is: its name, compute capability, memory and multiprocessors, and the versions of the
 * driver, the runtime and the kernel compiler (CUDA versions as the toolkit encodes them, 13000 = 13.0).
 */
public record DeviceInfo(String name, int computeMajor, int computeMinor, long totalMemoryBytes, int multiprocessors,
        int driverVersion, int runtimeVersion, String compiler) {

    /** The NVRTC architecture of this device's own capability ({@code sm_90} on H100/H200). */
    public String architecture() {
        return "sm_" + computeMajor + computeMinor;
    }

    /** A CUDA version number as text: 13000 -> "13.0". */
    public static String versionText(int version) {
        return version / 1000 + "." + (version % 1000) / 10;
    }

    /** One line for people: name, capability, memory and versions. */
    public String describe() {
        return String.format(java.util.Locale.ROOT, "%s, compute capability %d.%d, %.1f GiB, %d multiprocessors; driver CUDA %s, runtime %s; %s",
                name, computeMajor, computeMinor, totalMemoryBytes / (double) (1L << 30), multiprocessors,
                versionText(driverVersion), versionText(runtimeVersion), compiler);
    }
}
