package org.twllm.core.engine.cuda;

import org.bytedeco.javacpp.Pointer;

/**
 * A JavaCPP Pointer aimed at a device address, re-aimed for each call (the JNI wrappers take Pointer
 * objects; reusing a few keeps launches and GEMMs allocation-free). It owns nothing.
 */
final class DevicePointer extends Pointer {
    DevicePointer at(long deviceAddress) {
        this.address = deviceAddress;
        this.position = 0;
        return this;
    }
}
