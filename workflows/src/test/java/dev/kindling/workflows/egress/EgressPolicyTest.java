package dev.kindling.workflows.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.workflows.InvalidInputException;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EgressPolicyTest {
  private final EgressPolicy policy =
      EgressPolicy.parse(
          List.of(
              "github.com", "*.githubusercontent.com:443", "Bücher.Example:8080", "api.test:80"));

  @Test
  void namesMatchWhateverTheirCaseTrailingDotOrScript() {
    assertTrue(policy.allowing("github.com", 443).isPresent());
    assertTrue(policy.allowing("GitHub.COM.", 443).isPresent());
    assertTrue(policy.allowing("xn--bcher-kva.example", 8080).isPresent(), "punycode of the rule");
    assertTrue(policy.allowing("BÜCHER.example", 8080).isPresent(), "the Unicode form");
    assertEquals("xn--bcher-kva.example", policy.rules().get(2).pattern());
  }

  @Test
  void portsAreExactAndTheDefaultIs443() {
    assertTrue(policy.allowing("github.com", 443).isPresent());
    assertFalse(policy.allowing("github.com", 80).isPresent());
    assertTrue(policy.allowing("api.test", 80).isPresent());
    assertFalse(policy.allowing("api.test", 443).isPresent());
  }

  @Test
  void aWildcardCoversNamesUnderItsSuffixButNotTheSuffixOrLookAlikes() {
    assertTrue(policy.allowing("raw.githubusercontent.com", 443).isPresent());
    assertTrue(policy.allowing("a.b.githubusercontent.com", 443).isPresent());
    assertFalse(policy.allowing("githubusercontent.com", 443).isPresent());
    assertFalse(policy.allowing("evilgithubusercontent.com", 443).isPresent());
    assertFalse(policy.allowing("githubusercontent.com.evil.example", 443).isPresent());
    assertFalse(policy.allowing("github.com.evil.example", 443).isPresent());
  }

  @Test
  void nothingIsAllowedByDefault() {
    assertEquals(Optional.empty(), EgressPolicy.parse(null).allowing("github.com", 443));
    assertEquals(Optional.empty(), EgressPolicy.parse(List.of()).allowing("github.com", 443));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "127.0.0.1",
        "[::1]",
        "169.254.169.254",
        "",
        "-bad.example",
        "bad-.example",
        "a..example",
        "under_score.example",
        "spa ce.example",
        "new\nline.example"
      })
  void addressesAndMalformedNamesMatchNothing(String host) {
    assertFalse(policy.allowing(host, 443).isPresent());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "*",
        "*.com",
        "**.example.com",
        "foo.*.example.com",
        "10.0.0.1",
        "[::1]:443",
        "example.com:0",
        "example.com:65536",
        "example.com:",
        "example.com:+443",
        "example.com:0443",
        "http://example.com",
        "exa mple.com"
      })
  void malformedEntriesAreRefusedTyped(String entry) {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> EgressPolicy.parse(List.of(entry)));
    assertEquals("egress", e.field());
  }

  @Test
  void tooManyEntriesAreRefused() {
    List<String> many = Collections.nCopies(EgressPolicy.MAX_RULES + 1, "example.com");
    assertThrows(InvalidInputException.class, () -> EgressPolicy.parse(many));
  }
}
