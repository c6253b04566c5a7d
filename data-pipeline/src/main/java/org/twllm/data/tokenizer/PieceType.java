package org.twllm.data.tokenizer;

/** The type of a SentencePiece vocabulary entry ({@code ModelProto.SentencePiece.Type}). */
public enum PieceType {
    /** An ordinary piece that encoding produces. */
    NORMAL(1),
    /** The unknown piece ({@code <unk>}). */
    UNKNOWN(2),
    /** A control symbol ({@code <s>}, {@code </s>}): never produced by encoding, decodes to nothing. */
    CONTROL(3),
    /** A user-defined symbol: matched in the text before anything else and never merged. */
    USER_DEFINED(4),
    /** A piece kept in the vocabulary but never output; it is split back into the pieces it was merged from. */
    UNUSED(5),
    /** A byte-fallback piece {@code <0xNN>}. */
    BYTE(6);

    private final int wireValue;

    PieceType(int wireValue) {
        this.wireValue = wireValue;
    }

    static PieceType fromWire(long value) {
        for (PieceType t : values()) {
            if (t.wireValue == value) {
                return t;
            }
        }
        throw new ProtoReader.MalformedProtoException("unknown piece type " + value);
    }

    /** Pieces of these types take part in matching and merging; the others are looked up by string only. */
    boolean isMergeable() {
        return this == NORMAL || this == USER_DEFINED || this == UNUSED;
    }
}
