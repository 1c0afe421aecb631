package dev.kindling.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.workflows.InvalidInputException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SessionTokensTest {
  private final TemporalRouteResolverTest.MovableClock clock =
      new TemporalRouteResolverTest.MovableClock();
  private final SessionTokens tokens = new SessionTokens(ProxyFixture.KEY, clock);

  @Test
  void aFreshTokenOpensItsOwnSessionOnly() {
    String token = tokens.mint("s-1", Duration.ofMinutes(5));

    assertEquals(TokenVerdict.VALID, tokens.verify("s-1", token));
    assertEquals(TokenVerdict.OTHER_SESSION, tokens.verify("s-2", token));
    assertTrue(token.matches("[A-Za-z0-9_.-]+"), "token is not URL-safe: " + token);
  }

  @Test
  void aTokenExpiresAfterItsTtl() {
    String token = tokens.mint("s-1", Duration.ofMinutes(5));

    clock.advance(Duration.ofMinutes(4));
    assertEquals(TokenVerdict.VALID, tokens.verify("s-1", token));
    clock.advance(Duration.ofMinutes(1));
    assertEquals(TokenVerdict.EXPIRED, tokens.verify("s-1", token));
  }

  @Test
  void tamperingOrAnotherKeyIsAForgery() {
    String token = tokens.mint("s-1", Duration.ofMinutes(5));
    String[] parts = token.split("\\.");
    String stretched =
        parts[0] + "." + (Long.parseLong(parts[1]) + 3600) + "." + parts[2] + "." + parts[3];
    String moved =
        java.util.Base64.getUrlEncoder().withoutPadding().encodeToString("s-2".getBytes())
            + "."
            + parts[1]
            + "."
            + parts[2]
            + "."
            + parts[3];
    String viewToken = tokens.mint("s-1", Duration.ofMinutes(5), Scope.VIEW);
    String widened = viewToken.replace(".view.", ".control.");
    SessionTokens other =
        new SessionTokens("a-different-key-of-at-least-32-bytes".getBytes(), clock);

    assertEquals(TokenVerdict.FORGED, tokens.verify("s-1", stretched));
    assertEquals(TokenVerdict.FORGED, tokens.verify("s-2", moved));
    assertEquals(TokenVerdict.VALID, tokens.verify("s-1", viewToken));
    assertEquals(Scope.VIEW, SessionTokens.scopeOf(viewToken));
    assertEquals(Scope.CONTROL, SessionTokens.scopeOf(token));
    assertEquals(TokenVerdict.FORGED, tokens.verify("s-1", widened), "a view token made control");
    assertEquals(
        TokenVerdict.MALFORMED, tokens.verify("s-1", viewToken.replace(".view.", ".admin.")));
    assertEquals(
        TokenVerdict.FORGED, tokens.verify("s-1", other.mint("s-1", Duration.ofMinutes(5))));
  }

  @Test
  void garbageIsMalformedAndAbsenceIsMissing() {
    assertEquals(TokenVerdict.MISSING, tokens.verify("s-1", null));
    assertEquals(TokenVerdict.MISSING, tokens.verify("s-1", ""));
    assertEquals(TokenVerdict.MALFORMED, tokens.verify("s-1", "not-a-token"));
    assertEquals(TokenVerdict.MALFORMED, tokens.verify("s-1", "a.b.c"));
    assertEquals(TokenVerdict.MALFORMED, tokens.verify("s-1", "!!.1.??"));
  }

  @Test
  void keysAndSessionIdsAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> new SessionTokens(new byte[16]));
    assertThrows(InvalidInputException.class, () -> tokens.mint("bad id", Duration.ofMinutes(1)));
    assertThrows(IllegalArgumentException.class, () -> tokens.mint("s-1", Duration.ZERO));
    String key = SessionTokens.generateKey();
    assertEquals(
        TokenVerdict.VALID,
        SessionTokens.fromBase64Key(key)
            .verify("s-1", SessionTokens.fromBase64Key(key).mint("s-1")));
  }

  /** The example in docs/BACKEND.md, which backends in other languages check themselves against. */
  @Test
  void mintsTheDocumentedExampleTokens() {
    byte[] key = new byte[32];
    for (int i = 0; i < key.length; i++) {
      key[i] = (byte) i;
    }
    SessionTokens documented =
        new SessionTokens(
            key,
            java.time.Clock.fixed(
                java.time.Instant.ofEpochSecond(1_800_000_000L - 300), java.time.ZoneOffset.UTC));
    assertEquals(
        "cy0x.1800000000.control.a4PR1GhGcvGwsw5MX7P9ROzWvtE4DmEk6cQPQQEoF0k",
        documented.mint("s-1", Duration.ofSeconds(300), Scope.CONTROL));
    assertEquals(
        "cy0x.1800000000.view.0qhndjQNGUF4dS4xliuW-b6aTbKcZ2zs4OMBbwCLg8A",
        documented.mint("s-1", Duration.ofSeconds(300), Scope.VIEW));
    assertEquals(
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
        java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(key));
  }
}
