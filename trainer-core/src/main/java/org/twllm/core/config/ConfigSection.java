package org.twllm.core.config;

/** A section of the stage config (one YAML map): its values, bound against its {@link KeyTable}. */
public interface ConfigSection {
    Values values();
}
