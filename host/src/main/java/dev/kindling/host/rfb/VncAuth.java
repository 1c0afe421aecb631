package dev.kindling.host.rfb;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * VNC authentication (RFB security type 2): the server sends a 16-byte challenge and the client
 * returns it DES-encrypted with the password as key. The password is truncated or zero-padded to 8
 * bytes and, unlike standard DES, each key byte is used with its bits in reverse order.
 */
public final class VncAuth {
  public static final int CHALLENGE_LENGTH = 16;

  private VncAuth() {}

  /** The 8-byte DES key VNC derives from {@code password}. */
  public static byte[] key(String password) {
    byte[] raw = password.getBytes(StandardCharsets.ISO_8859_1);
    byte[] key = new byte[8];
    for (int i = 0; i < key.length && i < raw.length; i++) {
      key[i] = (byte) (Integer.reverse(raw[i] & 0xff) >>> 24);
    }
    return key;
  }

  /** The client's answer to {@code challenge}. */
  public static byte[] response(String password, byte[] challenge) {
    if (challenge.length != CHALLENGE_LENGTH) {
      throw new IllegalArgumentException("a VNC challenge has 16 bytes, got " + challenge.length);
    }
    try {
      Cipher des = Cipher.getInstance("DES/ECB/NoPadding");
      des.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key(password), "DES"));
      return des.doFinal(challenge);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("DES is not available in this JDK", e);
    }
  }
}
