package org.twllm.core.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

import org.junit.jupiter.api.Test;

/** bf16 rounding against hand-worked bit patterns: round to nearest, ties to even, NaN, infinities, subnormals. */
class Bf16Test {
    private static short bits(int floatBits) {
        return Bf16.fromFloat(Float.intBitsToFloat(floatBits));
    }

    @Test
    void exactValuesKeepTheirUpperHalf() {
        assertEquals((short) 0x3F80, Bf16.fromFloat(1.0f));
        assertEquals((short) 0xC040, Bf16.fromFloat(-3.0f));
        assertEquals((short) 0x0000, Bf16.fromFloat(0.0f));
        assertEquals((short) 0x8000, Bf16.fromFloat(-0.0f));
        assertEquals(1.0f, Bf16.toFloat((short) 0x3F80));
    }

    @Test
    void roundsToNearestAndTiesToEven() {
        assertEquals((short) 0x3F80, bits(0x3F807FFF), "below half an ulp rounds down");
        assertEquals((short) 0x3F81, bits(0x3F808001), "above half an ulp rounds up");
        assertEquals((short) 0x3F80, bits(0x3F808000), "a tie goes to the even 0x3F80");
        assertEquals((short) 0x3F82, bits(0x3F818000), "a tie goes to the even 0x3F82");
        assertEquals((short) 0xBF82, bits(0xBF818000), "negative ties too");
        assertEquals((short) 0x4000, bits(0x3FFF8000), "a carry into the exponent");
    }

    @Test
    void infinitiesAndOverflow() {
        assertEquals((short) 0x7F80, Bf16.fromFloat(Float.POSITIVE_INFINITY));
        assertEquals((short) 0xFF80, Bf16.fromFloat(Float.NEGATIVE_INFINITY));
        assertEquals((short) 0x7F80, Bf16.fromFloat(Float.MAX_VALUE), "beyond bf16's largest finite value");
        assertEquals((short) 0x7F7F, bits(0x7F7F7FFF), "just below the tie stays the largest finite bf16");
        assertEquals((short) 0xFF80, Bf16.fromFloat(-Float.MAX_VALUE));
    }

    @Test
    void nanStaysAQuietNan() {
        assertEquals((short) 0x7FC0, Bf16.fromFloat(Float.NaN));
        short signalling = bits(0x7F800001); // truncating or rounding its bits would give infinity
        assertTrue(Float.isNaN(Bf16.toFloat(signalling)));
        assertEquals((short) 0x7FC0, signalling);
        assertEquals((short) 0xFFC0, bits(0xFF800001));
        assertTrue(Float.isNaN(Bf16.round(Float.intBitsToFloat(0x7FFFFFFF))));
    }

    @Test
    void subnormals() {
        assertEquals((short) 0x0000, Bf16.fromFloat(Float.MIN_VALUE), "the smallest float rounds to zero");
        assertEquals((short) 0x0001, bits(0x00010000), "the smallest bf16 subnormal is exact");
        assertEquals((short) 0x0000, bits(0x00008000), "a tie at the bottom goes to even zero");
        assertEquals((short) 0x0002, bits(0x00018000), "a subnormal tie goes to even");
        assertEquals((short) 0x0080, bits(0x007FFFFF), "the largest float subnormal rounds up to the smallest normal");
        assertEquals((short) 0x8001, bits(0x80010000));
    }

    @Test
    void bulkConversionsAgreeWithTheScalarOnes() {
        float[] values = {1.0f, Float.intBitsToFloat(0x3F808000), Float.intBitsToFloat(0x3F818000), -2.7182817f,
                Float.MIN_VALUE, Float.NaN, Float.POSITIVE_INFINITY, 1e-40f, 65504.3f};
        int n = values.length;
        FloatBuffer src = FloatBuffer.wrap(values.clone());
        FloatBuffer dst = FloatBuffer.allocate(n);
        ShortBuffer patterns = ShortBuffer.allocate(n);
        Bf16.round(src, dst, patterns, n);
        FloatBuffer widened = FloatBuffer.allocate(n);
        Bf16.widen(patterns, widened, n);
        FloatBuffer inPlace = FloatBuffer.wrap(values.clone());
        Bf16.roundInPlace(inPlace, n);
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) {
            expected[i] = Bf16.round(values[i]);
            assertEquals(Bf16.fromFloat(values[i]), patterns.get(i), "pattern of " + values[i]);
        }
        assertArrayEquals(expected, dst.array());
        assertArrayEquals(expected, widened.array());
        assertArrayEquals(expected, inPlace.array());
    }
}
