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
 * Short-lived HMAC-SHA256 tokens that let a browser open one session, to control it or only to
 * watch it.
 *
 * <p>A token is {@code base64url(sessionId) "." expiryEpochSeconds "." scope "." base64url(mac)},
 * URL-safe and unpadded, where scope is {@code control} or {@code view}. The MAC is HMAC-SHA256
 * over {@code "kindling-proxy-token-v2\n" sessionId "\n" expiry "\n" scope}, so a token cannot be
 * moved to another session, have its expiry stretched or its scope widened. The session id travels
 * in the token only so that "token for another session" can be told apart from a forgery.
 */
public final class SessionTokens {
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(5);

  /** Keys shorter than this are refused: HMAC-SHA256 wants at least its output size. */
  public static final int MIN_KEY_BYTES = 32;

  private static final String ALGORITHM = "HmacSHA256";
  private static final String LABEL = "kindling-proxy-token-v2";
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

  /** A token with {@code scope} for {@code sessionId} that expires {@code ttl} from now. */
  public String mint(String sessionId, Duration ttl, Scope scope) {
    Validation.sessionId(sessionId);
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("token ttl must be positive, was " + ttl);
    }
    long expiry = clock.instant().plus(ttl).getEpochSecond();
    return B64.encodeToString(sessionId.getBytes(StandardCharsets.UTF_8))
        + "."
        + expiry
        + "."
        + scope.wire()
        + "."
        + B64.encodeToString(mac(sessionId, expiry, scope));
  }

  /** A control token for {@code sessionId} that expires {@code ttl} from now. */
  public String mint(String sessionId, Duration ttl) {
    return mint(sessionId, ttl, Scope.CONTROL);
  }

  public String mint(String sessionId) {
    return mint(sessionId, DEFAULT_TTL);
  }

  /**
   * The scope a token names; meaningful only for a token {@link #verify} found valid (the MAC
   * covers it).
   */
  public static Scope scopeOf(String token) {
    String[] parts = token.split("\\.", -1);
    return Scope.fromWire(parts[2]).orElseThrow();
  }

  /** Checks {@code token} for {@code sessionId}; the MAC is compared in constant time. */
  public TokenVerdict verify(String sessionId, String token) {
    if (token == null || token.isEmpty()) {
      return TokenVerdict.MISSING;
    }
    String[] parts = token.split("\\.", -1);
    if (parts.length != 4 || token.length() > 512) {
      return TokenVerdict.MALFORMED;
    }
    String tokenSession;
    long expiry;
    byte[] presented;
    Scope scope;
    try {
      tokenSession = new String(B64D.decode(parts[0]), StandardCharsets.UTF_8);
      expiry = Long.parseLong(parts[1]);
      scope = Scope.fromWire(parts[2]).orElse(null);
      presented = B64D.decode(parts[3]);
    } catch (IllegalArgumentException e) {
      return TokenVerdict.MALFORMED;
    }
    if (scope == null) {
      return TokenVerdict.MALFORMED;
    }
    if (!MessageDigest.isEqual(mac(tokenSession, expiry, scope), presented)) {
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

  private byte[] mac(String sessionId, long expiry, Scope scope) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac.doFinal(
          (LABEL + "\n" + sessionId + "\n" + expiry + "\n" + scope.wire())
              .getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HMAC-SHA256 unavailable", e);
    }
  }
}
