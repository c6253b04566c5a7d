package org.twllm.data.shard;

import java.util.Locale;

import org.twllm.errors.ConfigException;

/** What a shard set holds: cPT documents ({@code [BOS] + ids + [EOS]}) or SFT examples with a loss mask. */
public enum ShardKind {
    CPT,
    SFT;

    /** The name used in manifests, configs and flags: {@code cpt} or {@code sft}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ShardKind parse(String id) {
        for (ShardKind k : values()) {
            if (k.id().equals(id)) {
                return k;
            }
        }
        throw new ConfigException("unknown data kind '" + id + "': use cpt or sft");
    }
}
