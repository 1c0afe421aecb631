package dev.kindling.activities.readiness;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.host.Printable;
import dev.kindling.host.netns.NetworkNamespaces;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * The guest agent's HTTP API, spoken as plain HTTP/1.1 (one request per connection) over a socket
 * opened inside the VM's namespace: {@code GET /health}, {@code POST /v1/secrets} and {@code GET
 * /v1/app}.
 */
public final class AgentClient {
  /** Host entropy for the guest's kernel with each secrets delivery: 512 bits. */
  static final int ENTROPY_BYTES = 64;

  private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BODY_BYTES = 1024 * 1024;

  /** A status and body. */
  public record Response(int status, String body) {
    public boolean successful() {
      return status >= 200 && status < 300;
    }
  }

  /** The agent answered, but not with a usable health document. */
  public static final class UnhealthyAnswerException extends IOException {
    public UnhealthyAnswerException(String message) {
      super(message);
    }
  }

  private final String namespace;
  private final InetSocketAddress agent;
  private final Duration connectTimeout;
  private final Duration readTimeout;

  public AgentClient(
      String namespace, InetSocketAddress agent, Duration connectTimeout, Duration readTimeout) {
    this.namespace = namespace;
    this.agent = agent;
    this.connectTimeout = connectTimeout;
    this.readTimeout = readTimeout;
  }

  /** {@code GET /health}: a 200 with a parseable JSON body, or {@link UnhealthyAnswerException}. */
  public AgentHealth health() throws IOException {
    Response response = exchange("GET", "/health", null);
    if (response.status() != 200) {
      throw new UnhealthyAnswerException(
          "GET /health answered " + response.status() + " " + Printable.of(response.body()));
    }
    try {
      return JSON.readValue(response.body(), AgentHealth.class);
    } catch (JsonProcessingException e) {
      throw new UnhealthyAnswerException(
          "GET /health answered 200 with a body that is not health JSON: "
              + Printable.of(response.body()));
    }
  }

  /**
   * {@code POST /v1/secrets} with the VM's VNC password, the session's launch parameters (null for
   * none), this host's wall clock and fresh entropy: the agent first sets the guest's clock and
   * reseeds its kernel's random generator (a restored VM wakes with its snapshot's clock and random
   * state, the same in every clone), then answers 204 once x11vnc uses the password.
   */
  public Response postSecrets(String vncPassword, dev.kindling.workflows.host.Launch launch)
      throws IOException {
    Map<String, Object> body = new java.util.LinkedHashMap<>();
    body.put("vncPassword", vncPassword);
    byte[] entropy = new byte[ENTROPY_BYTES];
    RANDOM.nextBytes(entropy);
    body.put("entropy", java.util.HexFormat.of().formatHex(entropy));
    if (launch != null && !launch.isEmpty()) {
      Map<String, Object> params = new java.util.LinkedHashMap<>();
      params.put("url", launch.url());
      params.put("args", launch.args());
      body.put("launch", params);
    }
    // Last, so the guest's clock is off by no more than the time the request takes to arrive.
    body.put("clock", Map.of("epochMillis", System.currentTimeMillis()));
    return exchange("POST", "/v1/secrets", JSON.writeValueAsString(body));
  }

  /**
   * {@code GET /v1/app}: the session app's state, or empty when the agent has no app endpoint
   * (404).
   */
  public java.util.Optional<AppStatus> app() throws IOException {
    Response response = exchange("GET", "/v1/app", null);
    if (response.status() == 404) {
      return java.util.Optional.empty();
    }
    if (response.status() != 200) {
      throw new UnhealthyAnswerException(
          "GET /v1/app answered " + response.status() + " " + Printable.of(response.body()));
    }
    try {
      return java.util.Optional.of(JSON.readValue(response.body(), AppStatus.class));
    } catch (JsonProcessingException e) {
      throw new UnhealthyAnswerException(
          "GET /v1/app answered 200 with a body that is not app JSON: "
              + Printable.of(response.body()));
    }
  }

  /** One request on a fresh connection; {@code body} null sends none. */
  public Response exchange(String method, String path, String body) throws IOException {
    try (SocketChannel channel = NetworkNamespaces.connect(namespace, agent, connectTimeout)) {
      Socket socket = channel.socket();
      socket.setSoTimeout((int) Math.max(1, readTimeout.toMillis()));
      byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
      StringBuilder request =
          new StringBuilder()
              .append(method)
              .append(' ')
              .append(path)
              .append(" HTTP/1.1\r\n")
              .append("Host: ")
              .append(agent.getHostString())
              .append(':')
              .append(agent.getPort())
              .append("\r\n")
              .append("Connection: close\r\n")
              .append("Accept: application/json\r\n");
      if (body != null) {
        request
            .append("Content-Type: application/json\r\n")
            .append("Content-Length: ")
            .append(content.length)
            .append("\r\n");
      }
      request.append("\r\n");
      var out = socket.getOutputStream();
      out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(content);
      out.flush();

      InputStream in = new BufferedInputStream(socket.getInputStream());
      HttpHead head = HttpHead.read(in);
      return new Response(head.status(), new String(readBody(head, in), StandardCharsets.UTF_8));
    }
  }

  private static byte[] readBody(HttpHead head, InputStream in) throws IOException {
    if (head.status() == 204 || head.status() == 304 || head.status() / 100 == 1) {
      return new byte[0];
    }
    String encoding = head.header("transfer-encoding");
    if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")) {
      return readChunked(in);
    }
    String length = head.header("content-length");
    if (length != null) {
      int n = Integer.parseInt(length.trim());
      if (n > MAX_BODY_BYTES) {
        throw new ProtocolException("response body of " + n + " bytes is too large");
      }
      return in.readNBytes(n);
    }
    return in.readNBytes(MAX_BODY_BYTES);
  }

  private static byte[] readChunked(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String sizeLine = readLine(in);
      int semicolon = sizeLine.indexOf(';');
      int size =
          Integer.parseInt(
              (semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
      if (size == 0) {
        return body.toByteArray();
      }
      if (body.size() + size > MAX_BODY_BYTES) {
        throw new ProtocolException("response body is too large");
      }
      body.writeBytes(in.readNBytes(size));
      readLine(in);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int b;
    while ((b = in.read()) >= 0 && b != '\n') {
      if (b != '\r') {
        line.append((char) b);
      }
    }
    return line.toString();
  }
}
