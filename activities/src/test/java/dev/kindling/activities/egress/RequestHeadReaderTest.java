package dev.kindling.activities.egress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RequestHeadReaderTest {
  /** Long enough never to be what ends a test, except where the deadline is the point. */
  private static final Duration PATIENT = Duration.ofSeconds(30);

  private ServerSocket server;
  private Socket client;
  private Socket accepted;

  @BeforeEach
  void connect() throws IOException {
    server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
    accepted = server.accept();
  }

  @AfterEach
  void close() throws IOException {
    client.close();
    accepted.close();
    server.close();
  }

  @Test
  void readsAHeadWithCrlfOrBareLfAndKeepsWhatFollows() throws Exception {
    send("CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\nAccept:  text/html \t\r\n\r\nrest");
    RequestHead head = read(1024);
    assertEquals("CONNECT", head.method());
    assertEquals("a.test:443", head.target());
    assertEquals("HTTP/1.1", head.version());
    assertEquals(
        List.of(
            new RequestHead.Header("Host", "a.test:443"),
            new RequestHead.Header("Accept", "text/html")),
        head.headers());
    assertArrayEquals("rest".getBytes(StandardCharsets.US_ASCII), head.rest());
    assertTrue(head.accepts("text/html"));
  }

  @Test
  void readsAHeadThatArrivesInPieces() throws Exception {
    Thread.ofVirtual()
        .start(
            () -> {
              try {
                for (String piece : List.of("GET http://a.test/ HT", "TP/1.0\r", "\n\r", "\n")) {
                  send(piece);
                  Thread.sleep(20);
                }
              } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    RequestHead head = read(1024);
    assertEquals("HTTP/1.0", head.version());
    assertEquals(List.of(), head.headers());
  }

  @Test
  void isNullWhenTheClientClosesWithoutAByte() throws Exception {
    client.shutdownOutput();
    assertNull(read(1024));
  }

  @Test
  void refusesAHeadThatEndsEarly() throws Exception {
    send("GET http://a.test/ HTTP/1.1\r\nHost: a");
    client.shutdownOutput();
    assertStatus(400, 1024);
  }

  @Test
  void refusesAHeadLongerThanTheLimit() throws Exception {
    send("GET http://a.test/ HTTP/1.1\r\nX: " + "a".repeat(200) + "\r\n\r\n");
    assertStatus(431, 128);
  }

  @Test
  void refusesNonHttpAtItsFirstBytes() throws Exception {
    send(new String(new char[] {0x16, 0x03, 0x01}));
    assertStatus(400, 1024);
  }

  @Test
  void refusesAControlCharacterInTheRequestLineBeforeItEnds() throws Exception {
    send("GET http://a\u0007");
    assertStatus(400, 1024);
  }

  @Test
  void refusesMalformedRequestLinesAndHeaders() throws Exception {
    List<String> heads =
        List.of(
            "GET /\r\n\r\n",
            "GET / HTTP/2.0\r\n\r\n",
            "GET  / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nX: a\r\n continued\r\n\r\n",
            "GET / HTTP/1.1\r\nBad Name: a\r\n\r\n",
            "GET / HTTP/1.1\r\n: empty\r\n\r\n",
            "GET / HTTP/1.1\r\nX: a\u0001b\r\n\r\n",
            "GET / HTTP/1.1\rX: a\r\n\r\n");
    for (String head : heads) {
      close();
      connect();
      send(head);
      Refused refused =
          assertThrows(
              Refused.class, () -> new RequestHeadReader(accepted, 1024).read(PATIENT), head);
      assertEquals(400, refused.status(), head);
    }
  }

  @Test
  void refusesAHeadNotCompleteByTheDeadlineHoweverItTrickles() throws Exception {
    Thread trickle =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    for (int i = 0; i < 100; i++) {
                      send(i == 0 ? "GET http://a.test/ HTTP/1.1\r\nX: " : "a");
                      Thread.sleep(50);
                    }
                  } catch (IOException | InterruptedException e) {
                    // Ended by the test.
                  }
                });
    Refused refused =
        assertThrows(
            Refused.class,
            () -> new RequestHeadReader(accepted, 16 * 1024).read(Duration.ofMillis(500)));
    assertEquals(408, refused.status());
    trickle.interrupt();
  }

  private void send(String text) throws IOException {
    client.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  private RequestHead read(int maxBytes) throws Exception {
    return new RequestHeadReader(accepted, maxBytes).read(PATIENT);
  }

  private void assertStatus(int status, int maxBytes) {
    Refused refused = assertThrows(Refused.class, () -> read(maxBytes));
    assertEquals(status, refused.status(), refused.reason());
    assertNull(refused.host());
  }
}
