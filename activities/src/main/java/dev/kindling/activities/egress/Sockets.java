package dev.kindling.activities.egress;

import java.io.Closeable;
import java.io.IOException;

final class Sockets {
  private Sockets() {}

  static void closeQuietly(Closeable socket) {
    if (socket == null) {
      return;
    }
    try {
      socket.close();
    } catch (IOException e) {
      // Closing is all that was asked; the socket is unusable either way.
    }
  }
}
