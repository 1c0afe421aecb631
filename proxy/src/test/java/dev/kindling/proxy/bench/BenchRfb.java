package dev.kindling.proxy.bench;

import dev.kindling.host.rfb.PixelFormat;
import dev.kindling.host.rfb.ServerInit;
import dev.kindling.proxy.VncPasswords;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The RFB around the benchmark's echo: the VM every session routes to, the VNC password the proxy
 * is given for it and the echo backend checks, the ServerInit the backend sends, and the load every
 * client sends, runs of FramebufferUpdateRequest messages, so that the proxy follows the browser's
 * messages as it would a real client's and a view link passes them.
 */
final class BenchRfb {
  static final String VM_ID = "vm0000000000";
  static final String PASSWORD = "bench-pw";
  static final ServerInit SERVER_INIT =
      new ServerInit(
          64, 48, new PixelFormat(32, 24, false, true, 255, 255, 255, 16, 8, 0), "bench");

  /** A FramebufferUpdateRequest: type 3, incremental, x, y, width, height. */
  static final int REQUEST_BYTES = 10;

  private BenchRfb() {}

  /** The proxy's password source: the benchmark's password for its VM, none for any other. */
  static VncPasswords passwords() {
    return vmId -> VM_ID.equals(vmId) ? Optional.of(PASSWORD) : Optional.empty();
  }

  /** {@code size / 10} incremental FramebufferUpdateRequests for the whole screen. */
  static ByteBuffer updateRequests(int size) {
    if (size % REQUEST_BYTES != 0) {
      throw new IllegalArgumentException(
          "a payload of " + size + " bytes is no whole number of update requests");
    }
    ByteBuffer payload = ByteBuffer.allocateDirect(size);
    while (payload.hasRemaining()) {
      payload
          .put((byte) 3)
          .put((byte) 1)
          .putShort((short) 0)
          .putShort((short) 0)
          .putShort((short) SERVER_INIT.width())
          .putShort((short) SERVER_INIT.height());
    }
    return payload.flip();
  }

  /**
   * One ClientCutText message of {@code size} bytes (a clipboard paste): the proxy follows one
   * message per frame, as it does for the framebuffer-sized traffic of a real session.
   */
  static ByteBuffer clipboard(int size) {
    ByteBuffer payload = ByteBuffer.allocateDirect(size);
    payload.put((byte) 6).put((byte) 0).put((byte) 0).put((byte) 0).putInt(size - 8);
    while (payload.hasRemaining()) {
      payload.put((byte) 'k');
    }
    return payload.flip();
  }
}
