package dev.kindling.activities.egress;

import java.io.IOException;
import java.net.Socket;

final class Sockets {
  private Sockets() {}

  static void closeQuietly(Socket socket) {
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
