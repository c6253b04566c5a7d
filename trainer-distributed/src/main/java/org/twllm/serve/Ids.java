package org.twllm.serve;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Unguessable ids for completions (each one names the reply a rating refers to) and conversations. */
final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._:-]{1,100}");

    private Ids() {
    }

    static String completion() {
        return "chatcmpl-" + random();
    }

    static String conversation() {
        return "conv-" + random();
    }

    /** Whether a client may name a conversation {@code id} (letters, digits, {@code . _ : -}, at most 100). */
    static boolean isValidClientId(String id) {
        return CLIENT_ID.matcher(id).matches();
    }

    private static String random() {
        byte[] bytes = new byte[12];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
