package dev.kindling.proxy;

import static dev.kindling.host.websocket.WebSocketFrames.acceptFor;

import java.util.Base64;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The server half of a browser's WebSocket handshake (RFC 6455 section 4.2), answered by the proxy:
 * a 101 response, after which Jetty hands the socket to the relay's browser side. No extension is
 * accepted, so frames pass through the relay as they are.
 */
final class BrowserHandshake {
  private BrowserHandshake() {}

  /** Whether {@code request} is a WebSocket upgrade this proxy can accept. */
  static boolean acceptable(Request request) {
    HttpFields headers = request.getHeaders();
    String key = headers.get(HttpHeader.SEC_WEBSOCKET_KEY);
    return HttpMethod.GET.is(request.getMethod())
        && request.getConnectionMetaData().getHttpVersion() == HttpVersion.HTTP_1_1
        && headers.contains(HttpHeader.UPGRADE, "websocket")
        && headers.contains(HttpHeader.CONNECTION, "upgrade")
        && "13".equals(headers.get(HttpHeader.SEC_WEBSOCKET_VERSION))
        && key != null
        && decodesTo16Bytes(key.trim());
  }

  /**
   * Answers 101 and has Jetty give the socket to the connection {@code connections} makes once the
   * answer is written. Echoes the {@code binary} subprotocol only when the browser offered it.
   */
  static void accept(
      Request request,
      Response response,
      Callback callback,
      UpstreamConnector.ConnectionFactory connections) {
    EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
    boolean binaryOffered =
        request
            .getHeaders()
            .getCSV(HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL, true)
            .contains(UpstreamConnector.BINARY);
    response.setStatus(HttpStatus.SWITCHING_PROTOCOLS_101);
    HttpFields.Mutable headers = response.getHeaders();
    headers.put(HttpHeader.UPGRADE, "websocket");
    headers.put(HttpHeader.CONNECTION, "Upgrade");
    headers.put(
        HttpHeader.SEC_WEBSOCKET_ACCEPT,
        acceptFor(request.getHeaders().get(HttpHeader.SEC_WEBSOCKET_KEY).trim()));
    if (binaryOffered) {
      headers.put(HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL, UpstreamConnector.BINARY);
    }
    request.setAttribute(
        HttpStream.UPGRADE_CONNECTION_ATTRIBUTE,
        connections.newConnection(
            endPoint,
            request.getComponents().getExecutor(),
            request.getComponents().getByteBufferPool()));
    response.write(true, null, callback);
  }

  private static boolean decodesTo16Bytes(String key) {
    try {
      return Base64.getDecoder().decode(key).length == 16;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
