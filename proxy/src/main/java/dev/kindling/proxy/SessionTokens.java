package dev.kindling.proxy;

import dev.kindling.workflows.Validation;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Short-lived HMAC-SHA256 tokens that let a browser open one session.
 *
 * <p>A token is {@code base64url(sessionId) "." expiryEpochSeconds "." base64url(mac)}, URL-safe
 * and unpadded. The MAC covers a version label, the session id and the expiry, so a token cannot be
 * moved to another session or have its expiry stretched. The session id travels in the token only
 * so that "token for another session" can be told apart from a forgery.
 */
public final class SessionTokens {
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(5);

  /** Keys shorter than this are refused: HMAC-SHA256 wants at least its output size. */
  public static final int MIN_KEY_BYTES = 32;

  private static final String ALGORITHM = "HmacSHA256";
  private static final String LABEL = "kindling-proxy-token-v1";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  private final SecretKeySpec key;
  private final Clock clock;

  public SessionTokens(byte[] key) {
    this(key, Clock.systemUTC());
  }

  public SessionTokens(byte[] key, Clock clock) {
    if (key == null || key.length < MIN_KEY_BYTES) {
      throw new IllegalArgumentException("token key must be at least " + MIN_KEY_BYTES + " bytes");
    }
    this.key = new SecretKeySpec(key.clone(), ALGORITHM);
    this.clock = clock;
  }

  /**
   * Parses a key written as base64 (standard or URL-safe), as produced by {@link #generateKey()}.
   */
  public static SessionTokens fromBase64Key(String base64Key) {
    return new SessionTokens(decodeKey(base64Key));
  }

  public static byte[] decodeKey(String base64Key) {
    String trimmed = base64Key == null ? "" : base64Key.trim();
    try {
      return trimmed.contains("+") || trimmed.contains("/")
          ? Base64.getDecoder().decode(trimmed)
          : B64D.decode(trimmed);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("token key is not valid base64", e);
    }
  }

  /** A fresh random 32-byte key, URL-safe base64. */
  public static String generateKey() {
    byte[] bytes = new byte[MIN_KEY_BYTES];
    new SecureRandom().nextBytes(bytes);
    return B64.encodeToString(bytes);
  }

  /** A token for {@code sessionId} that expires {@code ttl} from now. */
  public String mint(String sessionId, Duration ttl) {
    Validation.sessionId(sessionId);
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("token ttl must be positive, was " + ttl);
    }
    long expiry = clock.instant().plus(ttl).getEpochSecond();
    return B64.encodeToString(sessionId.getBytes(StandardCharsets.UTF_8))
        + "."
        + expiry
        + "."
        + B64.encodeToString(mac(sessionId, expiry));
  }

  public String mint(String sessionId) {
    return mint(sessionId, DEFAULT_TTL);
  }

  /** Checks {@code token} for {@code sessionId}; the MAC is compared in constant time. */
  public TokenVerdict verify(String sessionId, String token) {
    if (token == null || token.isEmpty()) {
      return TokenVerdict.MISSING;
    }
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3 || token.length() > 512) {
      return TokenVerdict.MALFORMED;
    }
    String tokenSession;
    long expiry;
    byte[] presented;
    try {
      tokenSession = new String(B64D.decode(parts[0]), StandardCharsets.UTF_8);
      expiry = Long.parseLong(parts[1]);
      presented = B64D.decode(parts[2]);
    } catch (IllegalArgumentException e) {
      return TokenVerdict.MALFORMED;
    }
    if (!MessageDigest.isEqual(mac(tokenSession, expiry), presented)) {
      return TokenVerdict.FORGED;
    }
    if (clock.instant().getEpochSecond() >= expiry) {
      return TokenVerdict.EXPIRED;
    }
    if (!tokenSession.equals(sessionId)) {
      return TokenVerdict.OTHER_SESSION;
    }
    return TokenVerdict.VALID;
  }

  private byte[] mac(String sessionId, long expiry) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac.doFinal(
          (LABEL + "\n" + sessionId + "\n" + expiry).getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HMAC-SHA256 unavailable", e);
    }
  }
}
