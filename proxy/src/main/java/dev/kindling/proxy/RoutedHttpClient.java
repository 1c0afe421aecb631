package dev.kindling.proxy;

import java.net.URI;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;

/**
 * An HTTP client whose requests refuse to connect unless the caller names their transport (the
 * route's): the proxy never connects anywhere a route did not name, whatever a request's URI says.
 */
final class RoutedHttpClient extends HttpClient {
  /**
   * @param selectors threads watching the client's sockets (Jetty's default is one)
   */
  RoutedHttpClient(int selectors) {
    super(new HttpClientTransportOverHTTP(selectors));
  }

  @Override
  public Request newRequest(URI uri) {
    return super.newRequest(uri).transport(FixedAddressTransport.REFUSING);
  }
}
