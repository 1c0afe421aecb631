package dev.kindling.host.testing;

import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.testing.Await;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Plain HTTP/1.0 GETs to the guest's port 8080, made from inside the VM's namespace. */
public final class GuestHttp {
  private GuestHttp() {}

  /** The body of {@code path}, retrying until the guest answers or {@code timeout} passes. */
  public static String awaitGet(String namespace, String path, Duration timeout)
      throws IOException, InterruptedException {
    return Await.value(
        "the guest in " + namespace + " to answer GET " + path,
        timeout,
        () -> get(namespace, path),
        IOException.class);
  }

  public static String get(String namespace, String path) throws IOException {
    InetSocketAddress guest =
        new InetSocketAddress(GuestNetwork.GUEST_ADDRESS, GuestNetwork.AGENT_PORT);
    try (SocketChannel channel =
        NetworkNamespaces.connect(namespace, guest, Duration.ofSeconds(1))) {
      channel.socket().setSoTimeout(5000);
      channel.write(
          java.nio.ByteBuffer.wrap(
              ("GET " + path + " HTTP/1.0\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
      InputStream in = channel.socket().getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      if (!response.startsWith("HTTP/1.0 200") && !response.startsWith("HTTP/1.1 200")) {
        throw new IOException(
            "GET " + path + " answered: " + response.lines().findFirst().orElse("nothing"));
      }
      return response.substring(response.indexOf("\r\n\r\n") + 4);
    }
  }
}
