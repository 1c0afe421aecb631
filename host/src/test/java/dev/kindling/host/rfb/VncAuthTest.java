package dev.kindling.host.rfb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Vectors computed independently with OpenSSL's DES-ECB (legacy provider) and a bit-reversed key.
 */
class VncAuthTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void keyBytesAreBitReversed() {
    // 'p' is 0x70 = 0111 0000, reversed 0000 1110 = 0x0e.
    assertEquals("0e86ceceeef64e26", HEX.formatHex(VncAuth.key("password")));
    assertEquals("d21eec0e8a4cb65a", HEX.formatHex(VncAuth.key("Kx7pQ2mZ")));
  }

  @Test
  void shortPasswordsArePaddedWithZerosAndLongOnesTruncated() {
    assertEquals("8600000000000000", HEX.formatHex(VncAuth.key("a")));
    assertArrayEquals(VncAuth.key("password"), VncAuth.key("password-and-more"));
  }

  @Test
  void responseMatchesAnIndependentDesImplementation() {
    byte[] challenge = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    assertEquals(
        "5645abeb5f1e6475e8feb11beb66ea19", HEX.formatHex(VncAuth.response("password", challenge)));

    byte[] counting = HEX.parseHex("000102030405060708090a0b0c0d0e0f");
    assertEquals(
        "3abd45b068461b34723611c9e20b3b0b", HEX.formatHex(VncAuth.response("Kx7pQ2mZ", counting)));
  }

  @Test
  void refusesAChallengeOfTheWrongLength() {
    assertThrows(IllegalArgumentException.class, () -> VncAuth.response("password", new byte[8]));
  }
}
