package dev.kindling.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.proxy.RouteResolver.Resolution;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** A session's page asked of a proxy on another host than its VM's. */
class SessionOnAnotherHostTest {
  private static final String PAGE_ON_H2 = "http://h2.example:6090/sessions/s-2/";

  private final HttpClient http =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  private HttpResponse<String> get(ProxyFixture fixture, String pathAndQuery) throws Exception {
    return http.send(
        HttpRequest.newBuilder(fixture.http(pathAndQuery)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static ProxyFixture onHost(String hostId) throws Exception {
    ProxyFixture fixture = ProxyFixture.start(b -> b.hostId(hostId));
    fixture.routes.put("s-2", new Resolution.Elsewhere("h2", PAGE_ON_H2));
    fixture.routes.put("s-3", new Resolution.Elsewhere("h3", null));
    return fixture;
  }

  @Test
  void thePageRedirectsToTheSessionsHostKeepingTheToken() throws Exception {
    try (ProxyFixture fixture = onHost("h1")) {
      HttpResponse<String> reply = get(fixture, "/sessions/s-2/?token=abc");

      assertEquals(307, reply.statusCode());
      assertEquals(PAGE_ON_H2 + "?token=abc", reply.headers().firstValue("location").orElseThrow());
      assertEquals(
          CloseOutcome.SESSION_ON_ANOTHER_HOST.name(),
          reply.headers().firstValue(HttpReplies.OUTCOME_HEADER).orElseThrow());
      assertEquals("session lives on another host h2: " + PAGE_ON_H2 + "\n", reply.body());
    }
  }

  @Test
  void withoutAPageUrlThePageIsMisdirectedNamingTheHost() throws Exception {
    try (ProxyFixture fixture = onHost("h1")) {
      HttpResponse<String> reply = get(fixture, "/sessions/s-3/?token=abc");

      assertEquals(421, reply.statusCode());
      assertTrue(reply.headers().firstValue("location").isEmpty());
      assertEquals("session lives on another host h3\n", reply.body());
    }
  }

  @Test
  void aSessionOfThisHostGetsItsPage() throws Exception {
    try (ProxyFixture fixture = onHost("h1")) {
      HttpResponse<String> reply = get(fixture, "/sessions/" + ProxyFixture.SESSION + "/?token=a");

      assertEquals(200, reply.statusCode());
      assertTrue(reply.body().contains("const SESSION = \"s-1\";"), reply.body());
    }
  }

  @Test
  void aFailedLookupStillServesThePageWhoseWebSocketReportsIt() throws Exception {
    try (ProxyFixture fixture = onHost("h1")) {
      fixture.routes.failing("s-4", new IllegalStateException("route table exploded"));

      assertEquals(200, get(fixture, "/sessions/s-4/").statusCode());
    }
  }

  @Test
  void aProxyThatDoesNotKnowItsHostNeverRedirects() throws Exception {
    try (ProxyFixture fixture = ProxyFixture.start()) {
      fixture.routes.put("s-2", new Resolution.Elsewhere("h2", PAGE_ON_H2));

      assertEquals(200, get(fixture, "/sessions/s-2/?token=abc").statusCode());
    }
  }

  @Test
  void onlyAbsoluteWebUrlsAreRedirectedTo() {
    assertEquals(PAGE_ON_H2, HttpReplies.redirectable(PAGE_ON_H2));
    assertEquals(null, HttpReplies.redirectable(null));
    assertEquals(null, HttpReplies.redirectable("/sessions/s-2/"));
    assertEquals(null, HttpReplies.redirectable("javascript:alert(1)"));
    assertEquals(null, HttpReplies.redirectable("http://h2.example/x\r\nSet-Cookie: a=b"));
  }
}
