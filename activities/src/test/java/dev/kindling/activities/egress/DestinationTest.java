package dev.kindling.activities.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DestinationTest {

  @Test
  void readsConnectAuthorities() throws Exception {
    assertEquals(
        new Destination("example.test", 443, "example.test:443", null),
        connect("example.test:443"));
    assertEquals(new Destination("[::1]", 8443, "[::1]:8443", null), connect("[::1]:8443"));
    assertTrue(connect("a.test:1").isTunnel());
  }

  @Test
  void readsAbsoluteHttpUrls() throws Exception {
    assertEquals(
        new Destination("a.test", 80, "a.test", "/x/y?q=1"),
        request("GET", "http://a.test/x/y?q=1"));
    assertEquals(
        new Destination("A.test", 8080, "A.test:8080", "/"), request("GET", "HTTP://A.test:8080"));
    assertEquals(
        new Destination("a.test", 80, "a.test:", "/?q"), request("GET", "http://a.test:?q"));
    assertEquals(
        new Destination("a.test", 80, "a.test", "/p"), request("GET", "http://a.test/p#f"));
    assertEquals(new Destination("[::1]", 80, "[::1]", "/"), request("POST", "http://[::1]/"));
  }

  @Test
  void refusesWhatNamesNoHostOrPort() {
    for (String target :
        List.of(":443", "a.test", "a.test:", "[::1]", "a.test:0", "a.test:65536")) {
      assertEquals(400, refusal(() -> connect(target)), target);
    }
    for (String target :
        List.of(
            "a.test:12x",
            "a.test:443/x",
            "user@a.test:443",
            "::1:443",
            "[::1]x:443",
            "[zz]:443",
            "[::1:443")) {
      assertEquals(400, refusal(() -> connect(target)), target);
    }
    assertEquals(400, refusal(() -> request("GET", "http:///x")));
    assertEquals(400, refusal(() -> request("GET", "http://user:pw@a.test/")));
  }

  @Test
  void refusesOriginFormAndOtherSchemesSayingHowToAsk() {
    Refused origin = assertThrows(Refused.class, () -> request("GET", "/index.html"));
    assertTrue(origin.reason().contains("http://") && origin.reason().contains("CONNECT"));
    Refused https = assertThrows(Refused.class, () -> request("GET", "https://a.test/"));
    assertTrue(https.reason().contains("CONNECT"));
    assertEquals(400, refusal(() -> request("GET", "ftp://a.test/")));
    assertEquals(400, refusal(() -> request("OPTIONS", "*")));
  }

  private interface Parse {
    Destination get() throws Refused;
  }

  private static int refusal(Parse parse) {
    return assertThrows(Refused.class, parse::get).status();
  }

  private static Destination connect(String target) throws Refused {
    return request("CONNECT", target);
  }

  private static Destination request(String method, String target) throws Refused {
    return Destination.of(new RequestHead(method, target, "HTTP/1.1", List.of(), new byte[0]));
  }
}
