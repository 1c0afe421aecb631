package dev.kindling.activities.network;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Locale;

/**
 * Which Temporal deployment a worker serves: its server's address and namespace, {@link #id()}
 * {@code host:port/namespace}. Two Kindling stacks that share a host's run directory but not a
 * Temporal namespace must not reconcile each other's VMs. A deployment whose server keeps its state
 * in memory (a private dev server) ends with that server: its VMs become everyone's orphans then.
 */
public record Deployment(String target, String namespace, boolean inMemory) {

  public static Deployment of(String temporalTarget, String namespace, boolean inMemory) {
    String target = temporalTarget.strip().toLowerCase(Locale.ROOT).replaceFirst("^dns:///", "");
    if (target.startsWith("localhost:")) {
      target = "127.0.0.1" + target.substring("localhost".length());
    }
    return new Deployment(target, namespace, inMemory);
  }

  public String id() {
    return target + "/" + namespace;
  }

  /**
   * True when the in-memory server of the deployment {@code id} no longer listens: nothing of it
   * can come back. Only loopback servers are asked (private dev servers are on loopback); any
   * other, or one that still listens, is presumed alive.
   */
  public static boolean inMemoryServerGone(String id) {
    String target = id.substring(0, id.lastIndexOf('/'));
    int colon = target.lastIndexOf(':');
    if (colon < 0 || !target.substring(0, colon).equals("127.0.0.1")) {
      return false;
    }
    try (Socket socket = new Socket()) {
      socket.connect(
          new InetSocketAddress("127.0.0.1", Integer.parseInt(target.substring(colon + 1))), 500);
      return false;
    } catch (NumberFormatException e) {
      return false;
    } catch (IOException refused) {
      return true;
    }
  }
}
