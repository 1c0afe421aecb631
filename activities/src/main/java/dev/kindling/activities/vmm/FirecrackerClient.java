package dev.kindling.activities.vmm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A minimal HTTP/1.1 client for Firecracker's API socket: one request per connection ({@code
 * Connection: close}), JSON bodies, a deadline per request. A non-2xx answer becomes a {@link
 * FirecrackerApiException} carrying Firecracker's {@code fault_message}.
 */
public final class FirecrackerClient {
  private static final Logger log = LoggerFactory.getLogger(FirecrackerClient.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path socket;
  private final Duration timeout;

  public FirecrackerClient(Path socket, Duration timeout) {
    this.socket = socket;
    this.timeout = timeout;
  }

  public Path socket() {
    return socket;
  }

  public JsonNode put(String path, Object body) throws IOException {
    return send("PUT", path, body);
  }

  public JsonNode patch(String path, Object body) throws IOException {
    return send("PATCH", path, body);
  }

  public JsonNode get(String path) throws IOException {
    return send("GET", path, null);
  }

  /** Sends one request and returns the JSON body (an empty object for 204). */
  public JsonNode send(String method, String path, Object body) throws IOException {
    byte[] payload = body == null ? new byte[0] : JSON.writeValueAsBytes(body);
    StringBuilder head =
        new StringBuilder()
            .append(method)
            .append(' ')
            .append(path)
            .append(" HTTP/1.1\r\n")
            .append("Host: localhost\r\n")
            .append("Accept: application/json\r\n")
            .append("Connection: close\r\n");
    if (body != null) {
      head.append("Content-Type: application/json\r\n")
          .append("Content-Length: ")
          .append(payload.length)
          .append("\r\n");
    }
    head.append("\r\n");
    log.debug("firecracker {} {} {}", socket, method, path);
    CompletableFuture<HttpAnswer> answer =
        CompletableFuture.supplyAsync(
            () -> exchange(head.toString(), payload),
            runnable -> Thread.ofVirtual().start(runnable));
    HttpAnswer result;
    try {
      result = answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      answer.cancel(true);
      throw new IOException(
          "timed out after "
              + timeout.toMillis()
              + " ms waiting for Firecracker to answer "
              + method
              + " "
              + path
              + " on "
              + socket);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for " + method + " " + path, e);
    } catch (ExecutionException e) {
      Throwable cause =
          e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : e.getCause();
      throw cause instanceof IOException io ? io : new IOException(cause);
    }
    JsonNode json =
        result.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(result.body());
    if (result.status() / 100 != 2) {
      throw new FirecrackerApiException(
          method, path, result.status(), json.path("fault_message").asText(result.body()));
    }
    return json;
  }

  private HttpAnswer exchange(String head, byte[] payload) {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      ByteBuffer out = ByteBuffer.allocate(head.length() + payload.length);
      out.put(head.getBytes(StandardCharsets.US_ASCII)).put(payload).flip();
      while (out.hasRemaining()) {
        channel.write(out);
      }
      return readAnswer(Channels.newInputStream(channel));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Reads a status line, headers, and a body by Content-Length (or to end of stream). */
  static HttpAnswer readAnswer(InputStream in) throws IOException {
    String statusLine = readLine(in);
    if (statusLine == null || !statusLine.startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP answer: " + statusLine);
    }
    int status = Integer.parseInt(statusLine.split(" ")[1]);
    int length = -1;
    for (String line; (line = readLine(in)) != null && !line.isEmpty(); ) {
      int colon = line.indexOf(':');
      if (colon > 0
          && line.substring(0, colon).strip().toLowerCase(Locale.ROOT).equals("content-length")) {
        length = Integer.parseInt(line.substring(colon + 1).strip());
      }
    }
    byte[] body =
        length >= 0 ? in.readNBytes(length) : (status == 204 ? new byte[0] : in.readAllBytes());
    return new HttpAnswer(status, new String(body, StandardCharsets.UTF_8));
  }

  static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b; (b = in.read()) >= 0; ) {
      if (b == '\n') {
        return line.toString(StandardCharsets.US_ASCII).replaceAll("\r$", "");
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
  }

  record HttpAnswer(int status, String body) {}

  /** Firecracker refused a request. */
  public static final class FirecrackerApiException extends IOException {
    private final int status;

    FirecrackerApiException(String method, String path, int status, String fault) {
      super("Firecracker answered " + method + " " + path + " with " + status + ": " + fault);
      this.status = status;
    }

    public int status() {
      return status;
    }
  }
}
