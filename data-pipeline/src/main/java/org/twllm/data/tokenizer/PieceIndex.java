package org.twllm.data.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * String-to-id lookups over a model's pieces, split the way SentencePiece splits them: mergeable pieces
 * (normal, user-defined, unused) that segmentation may produce, and reserved ones (unknown, control, byte)
 * that are only found by exact string. Checks the vocabulary as SentencePiece does on load.
 */
final class PieceIndex {
    private final SentencePieceModel model;
    private final Map<String, Integer> mergeable = new HashMap<>();
    private final Map<String, Integer> reserved = new HashMap<>();
    private final List<String> userDefined = new ArrayList<>();
    private final int[] byteValueOfId;
    private final int[] idOfByte = new int[256];
    private final int unkId;

    PieceIndex(SentencePieceModel model) {
        this.model = model;
        this.byteValueOfId = new int[model.size()];
        int unk = -1;
        boolean byteFallback = model.trainerSpec().byteFallback();
        for (int id = 0; id < model.size(); id++) {
            String piece = model.piece(id);
            PieceType type = model.type(id);
            Map<String, Integer> target = type.isMergeable() ? mergeable : reserved;
            if (target.putIfAbsent(piece, id) != null) {
                throw new ProtoReader.MalformedProtoException("piece '" + piece + "' (id " + id + ") is defined twice");
            }
            byteValueOfId[id] = -1;
            switch (type) {
                case USER_DEFINED -> userDefined.add(piece);
                case UNKNOWN -> {
                    if (unk >= 0) {
                        throw new ProtoReader.MalformedProtoException("it defines two unknown pieces (ids " + unk + " and " + id + ")");
                    }
                    unk = id;
                }
                case BYTE -> {
                    if (!byteFallback) {
                        throw new ProtoReader.MalformedProtoException("byte piece " + piece + " is present but byte_fallback is false");
                    }
                    int value = parseBytePiece(piece);
                    if (value < 0) {
                        throw new ProtoReader.MalformedProtoException("byte piece '" + piece + "' is not of the form <0xNN>");
                    }
                    byteValueOfId[id] = value;
                }
                default -> {
                }
            }
        }
        if (unk < 0) {
            throw new ProtoReader.MalformedProtoException("it defines no unknown piece");
        }
        this.unkId = unk;
        for (int b = 0; b < 256; b++) {
            idOfByte[b] = pieceToId(bytePiece(b));
        }
    }

    /** The piece name of byte {@code b}, e.g. {@code <0xE5>} (upper-case hex, as SentencePiece's ByteToPiece). */
    static String bytePiece(int b) {
        String hex = "0123456789ABCDEF";
        return "<0x" + hex.charAt(b >> 4) + hex.charAt(b & 0xF) + ">";
    }

    private static int parseBytePiece(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') {
            return -1;
        }
        try {
            return Integer.parseInt(piece.substring(3, 5), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** SentencePiece's PieceToId: reserved pieces first, then mergeable ones, else the unknown id. */
    int pieceToId(String piece) {
        Integer id = reserved.get(piece);
        if (id == null) {
            id = mergeable.get(piece);
        }
        return id == null ? unkId : id;
    }

    /** The id of a mergeable piece, or -1. */
    int mergeableId(String piece) {
        Integer id = mergeable.get(piece);
        return id == null ? -1 : id;
    }

    List<String> userDefinedSymbols() {
        return userDefined;
    }

    int unkId() {
        return unkId;
    }

    boolean isUnknown(int id) {
        return model.type(id) == PieceType.UNKNOWN;
    }

    /** The id of the byte-fallback piece for {@code b} (0..255), or the unknown id if the model lacks it. */
    int byteId(int b) {
        return idOfByte[b];
    }

    /** The byte value of a BYTE piece, or -1 for other pieces. */
    int byteValue(int id) {
        return byteValueOfId[id];
    }
}
