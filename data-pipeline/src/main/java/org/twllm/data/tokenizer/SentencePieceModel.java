package org.twllm.data.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * The parsed content of a SentencePiece {@code .model} file (a serialized {@code ModelProto}): the
 * pieces with their scores and types, and the trainer and normalizer settings that encoding needs.
 * Field numbers and defaults are those of SentencePiece's {@code sentencepiece_model.proto}.
 */
public final class SentencePieceModel {
    /** {@code TrainerSpec.ModelType}. */
    public enum ModelType { UNIGRAM, BPE, WORD, CHAR }

    /** The {@code TrainerSpec} fields that change how text is encoded or decoded. */
    public record TrainerSpec(
            ModelType modelType,
            boolean byteFallback,
            boolean splitDigits,
            boolean splitByWhitespace,
            boolean splitByUnicodeScript,
            boolean splitByNumber,
            boolean treatWhitespaceAsSuffix,
            boolean allowWhitespaceOnlyPieces,
            int maxSentencepieceLength,
            int unkId,
            int bosId,
            int eosId,
            int padId,
            String unkPiece,
            String bosPiece,
            String eosPiece,
            String padPiece,
            String unkSurface) {
    }

    /** {@code NormalizerSpec}: how raw text becomes the normalized text that is segmented. */
    public record NormalizerSpec(
            String name,
            byte[] precompiledCharsmap,
            boolean addDummyPrefix,
            boolean removeExtraWhitespaces,
            boolean escapeWhitespaces) {
    }

    private final String[] pieces;
    private final float[] scores;
    private final PieceType[] types;
    private final TrainerSpec trainerSpec;
    private final NormalizerSpec normalizerSpec;
    private final NormalizerSpec denormalizerSpec;

    private SentencePieceModel(String[] pieces, float[] scores, PieceType[] types, TrainerSpec trainerSpec,
                               NormalizerSpec normalizerSpec, NormalizerSpec denormalizerSpec) {
        this.pieces = pieces;
        this.scores = scores;
        this.types = types;
        this.trainerSpec = trainerSpec;
        this.normalizerSpec = normalizerSpec;
        this.denormalizerSpec = denormalizerSpec;
    }

    /**
     * Parses a serialized {@code ModelProto}.
     *
     * @throws ProtoReader.MalformedProtoException if the bytes are not one
     */
    static SentencePieceModel parse(byte[] bytes) {
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<PieceType> types = new ArrayList<>();
        TrainerSpec trainer = null;
        NormalizerSpec normalizer = null;
        NormalizerSpec denormalizer = null;
        ProtoReader in = new ProtoReader(bytes);
        while (in.hasMore()) {
            int tag = in.readTag();
            switch (tag >>> 3) {
                case 1 -> {
                    ProtoReader.expectWireType(tag, ProtoReader.WIRE_LENGTH_DELIMITED);
                    readPiece(in.readMessage(), pieces, scores, types);
                }
                case 2 -> {
                    ProtoReader.expectWireType(tag, ProtoReader.WIRE_LENGTH_DELIMITED);
                    trainer = readTrainerSpec(in.readMessage());
                }
                case 3 -> {
                    ProtoReader.expectWireType(tag, ProtoReader.WIRE_LENGTH_DELIMITED);
                    normalizer = readNormalizerSpec(in.readMessage());
                }
                case 5 -> {
                    ProtoReader.expectWireType(tag, ProtoReader.WIRE_LENGTH_DELIMITED);
                    denormalizer = readNormalizerSpec(in.readMessage());
                }
                default -> in.skip(tag & 7);
            }
        }
        if (pieces.isEmpty()) {
            throw new ProtoReader.MalformedProtoException("it has no pieces");
        }
        if (trainer == null) {
            trainer = readTrainerSpec(new ProtoReader(new byte[0]));
        }
        if (normalizer == null) {
            normalizer = readNormalizerSpec(new ProtoReader(new byte[0]));
        }
        float[] scoreArray = new float[scores.size()];
        for (int i = 0; i < scoreArray.length; i++) {
            scoreArray[i] = scores.get(i);
        }
        return new SentencePieceModel(pieces.toArray(new String[0]), scoreArray, types.toArray(new PieceType[0]),
                trainer, normalizer, denormalizer);
    }

    private static void readPiece(ProtoReader in, List<String> pieces, List<Float> scores, List<PieceType> types) {
        String piece = null;
        float score = 0f;
        PieceType type = PieceType.NORMAL;
        while (in.hasMore()) {
            int tag = in.readTag();
            switch (tag >>> 3) {
                case 1 -> {
                    ProtoReader.expectWireType(tag, ProtoReader.WIRE_LENGTH_DELIMITED);
                    piece = in.readString();
                }
                case 2 -> {
                    ProtoReader.expectWireType(tag, ProtoReader.WIRE_FIXED32);
                    score = in.readFloat();
                }
                case 3 -> {
                    ProtoReader.expectWireType(tag, ProtoReader.WIRE_VARINT);
                    type = PieceType.fromWire(in.readVarint());
                }
                default -> in.skip(tag & 7);
            }
        }
        if (piece == null || piece.isEmpty()) {
            throw new ProtoReader.MalformedProtoException("piece " + pieces.size() + " is empty");
        }
        pieces.add(piece);
        scores.add(score);
        types.add(type);
    }

    private static TrainerSpec readTrainerSpec(ProtoReader in) {
        ModelType modelType = ModelType.UNIGRAM;
        boolean byteFallback = false;
        boolean splitDigits = false;
        boolean splitByWhitespace = true;
        boolean splitByUnicodeScript = true;
        boolean splitByNumber = true;
        boolean treatWhitespaceAsSuffix = false;
        boolean allowWhitespaceOnlyPieces = false;
        int maxSentencepieceLength = 16;
        int unkId = 0;
        int bosId = 1;
        int eosId = 2;
        int padId = -1;
        String unkPiece = "<unk>";
        String bosPiece = "<s>";
        String eosPiece = "</s>";
        String padPiece = "<pad>";
        String unkSurface = " \u2047 ";
        while (in.hasMore()) {
            int tag = in.readTag();
            int field = tag >>> 3;
            switch (field) {
                case 3 -> {
                    ProtoReader.expectWireType(tag, ProtoReader.WIRE_VARINT);
                    long value = in.readVarint();
                    if (value < 1 || value > 4) {
                        throw new ProtoReader.MalformedProtoException("unknown model_type " + value);
                    }
                    modelType = ModelType.values()[(int) value - 1];
                }
                case 35, 25, 22, 21, 23, 24, 26 -> {
                    ProtoReader.expectWireType(tag, ProtoReader.WIRE_VARINT);
                    boolean value = in.readBool();
                    switch (field) {
                        case 35 -> byteFallback = value;
                        case 25 -> splitDigits = value;
                        case 22 -> splitByWhitespace = value;
                        case 21 -> splitByUnicodeScript = value;
                        case 23 -> splitByNumber = value;
                        case 24 -> treatWhitespaceAsSuffix = value;
                        default -> allowWhitespaceOnlyPieces = value;
                    }
                }
                case 20, 40, 41, 42, 43 -> {
                    ProtoReader.expectWireType(tag, ProtoReader.WIRE_VARINT);
                    int value = in.readInt32();
                    switch (field) {
                        case 20 -> maxSentencepieceLength = value;
                        case 40 -> unkId = value;
                        case 41 -> bosId = value;
                        case 42 -> eosId = value;
                        default -> padId = value;
                    }
                }
                case 44, 45, 46, 47, 48 -> {
                    ProtoReader.expectWireType(tag, ProtoReader.WIRE_LENGTH_DELIMITED);
                    String value = in.readString();
                    switch (field) {
                        case 44 -> unkSurface = value;
                        case 45 -> unkPiece = value;
                        case 46 -> bosPiece = value;
                        case 47 -> eosPiece = value;
                        default -> padPiece = value;
                    }
                }
                default -> in.skip(tag & 7);
            }
        }
        return new TrainerSpec(modelType, byteFallback, splitDigits, splitByWhitespace, splitByUnicodeScript,
                splitByNumber, treatWhitespaceAsSuffix, allowWhitespaceOnlyPieces, maxSentencepieceLength,
                unkId, bosId, eosId, padId, unkPiece, bosPiece, eosPiece, padPiece, unkSurface);
    }

    private static NormalizerSpec readNormalizerSpec(ProtoReader in) {
        String name = "";
        byte[] charsmap = new byte[0];
        boolean addDummyPrefix = true;
        boolean removeExtraWhitespaces = true;
        boolean escapeWhitespaces = true;
        while (in.hasMore()) {
            int tag = in.readTag();
            switch (tag >>> 3) {
                case 1 -> {
                    ProtoReader.expectWireType(tag, ProtoReader.WIRE_LENGTH_DELIMITED);
                    name = in.readString();
                }
                case 2 -> {
                    ProtoReader.expectWireType(tag, ProtoReader.WIRE_LENGTH_DELIMITED);
                    charsmap = in.readBytes();
                }
                case 3 -> {
                    ProtoReader.expectWireType(tag, ProtoReader.WIRE_VARINT);
                    addDummyPrefix = in.readBool();
                }
                case 4 -> {
                    ProtoReader.expectWireType(tag, ProtoReader.WIRE_VARINT);
                    removeExtraWhitespaces = in.readBool();
                }
                case 5 -> {
                    ProtoReader.expectWireType(tag, ProtoReader.WIRE_VARINT);
                    escapeWhitespaces = in.readBool();
                }
                default -> in.skip(tag & 7);
            }
        }
        return new NormalizerSpec(name, charsmap, addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces);
    }

    public int size() {
        return pieces.length;
    }

    public String piece(int id) {
        return pieces[id];
    }

    public float score(int id) {
        return scores[id];
    }

    public PieceType type(int id) {
        return types[id];
    }

    public TrainerSpec trainerSpec() {
        return trainerSpec;
    }

    public NormalizerSpec normalizerSpec() {
        return normalizerSpec;
    }

    /** The spec applied to decoded text, or null when the model has none. */
    public NormalizerSpec denormalizerSpec() {
        return denormalizerSpec;
    }
}
