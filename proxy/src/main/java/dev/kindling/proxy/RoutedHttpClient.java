package dev.kindling.proxy;

import java.net.URI;
import java.util.concurrent.Callable;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.io.Transport;

/**
 * An HTTP client whose requests carry the transport of the route being connected. Jetty's
 * WebSocket client creates its upgrade request inside {@code connect()} on the calling thread and
 * offers no other hook that runs before the destination is chosen, so the transport is handed
 * over through a thread-local for the duration of that call. A request created outside such a
 * call gets a transport that refuses to connect: the proxy never connects anywhere a route did
 * not name.
 */
final class RoutedHttpClient extends HttpClient {
  private static final ThreadLocal<Transport> NEXT = new ThreadLocal<>();

  static <T> T withTransport(Transport transport, Callable<T> action) throws Exception {
    NEXT.set(transport);
    try {
      return action.call();
    } finally {
      NEXT.remove();
    }
  }

  @Override
  public Request newRequest(URI uri) {
    Transport transport = NEXT.get();
    return super.newRequest(uri).transport(transport != null ? transport : FixedAddressTransport.REFUSING);
  }
}
