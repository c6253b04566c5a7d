package org.twllm.data.loader;

import org.twllm.errors.ConfigException;

import java.util.Locale;

/** What SFT loading does with an example longer than the sequence length. */
public enum OverlongPolicy {
    /** Keep its first {@code seqLen} tokens (dropped instead if none of them is trained). */
    TRUNCATE,
    /** Leave it out. */
    DROP;

    /** {@code "truncate"} or {@code "drop"}, as configs write it. */
    public static OverlongPolicy parse(String value) {
        try {
            return valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ConfigException("Unknown over-long example policy \"" + value + "\"; use truncate or drop.");
        }
    }
}
