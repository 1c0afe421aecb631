package dev.kindling.proxy;

import dev.kindling.host.rfb.PixelFormat;
import dev.kindling.host.rfb.RfbHandshake;
import dev.kindling.host.rfb.ServerInit;
import dev.kindling.host.rfb.VncAuth;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The server's side of an RFB 3.8 handshake with VNC authentication, fed whatever bytes arrive
 * however they are cut: banner, security type 2, challenge, result, ServerInit.
 */
final class FakeVncServer {
  static final ServerInit SERVER_INIT =
      new ServerInit(64, 48, new PixelFormat(32, 24, false, true, 255, 255, 255, 16, 8, 0), "fake");

  /** What one offer produced: bytes to send, bytes past the handshake, and a refused password. */
  record Step(byte[] reply, byte[] rest, boolean refused) {}

  private enum Stage {
    VERSION(12),
    SECURITY_TYPE(1),
    RESPONSE(16),
    CLIENT_INIT(1),
    DONE(0),
    FAILED(0);

    final int needs;

    Stage(int needs) {
      this.needs = needs;
    }
  }

  private final String password;
  private final byte[] challenge = new byte[16];
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private Stage stage = Stage.VERSION;

  FakeVncServer(String password) {
    this.password = password;
    new SecureRandom().nextBytes(challenge);
  }

  byte[] banner() {
    return "RFB 003.008\n".getBytes(StandardCharsets.US_ASCII);
  }

  boolean done() {
    return stage == Stage.DONE || stage == Stage.FAILED;
  }

  Step offer(byte[] bytes) {
    pending.writeBytes(bytes);
    ByteArrayOutputStream reply = new ByteArrayOutputStream();
    boolean refused = false;
    byte[] all = pending.toByteArray();
    int at = 0;
    while (!done() && all.length - at >= stage.needs) {
      byte[] part = Arrays.copyOfRange(all, at, at + stage.needs);
      at += stage.needs;
      switch (stage) {
        case VERSION -> {
          reply.writeBytes(new byte[] {1, RfbHandshake.SECURITY_VNC_AUTH});
          stage = Stage.SECURITY_TYPE;
        }
        case SECURITY_TYPE -> {
          reply.writeBytes(challenge);
          stage = Stage.RESPONSE;
        }
        case RESPONSE -> {
          if (Arrays.equals(part, VncAuth.response(password, challenge))) {
            reply.writeBytes(new byte[4]);
            stage = Stage.CLIENT_INIT;
          } else {
            byte[] reason = "Authentication failed".getBytes(StandardCharsets.US_ASCII);
            reply.writeBytes(ByteBuffer.allocate(8).putInt(1).putInt(reason.length).array());
            reply.writeBytes(reason);
            refused = true;
            stage = Stage.FAILED;
          }
        }
        case CLIENT_INIT -> {
          reply.writeBytes(SERVER_INIT.encode());
          stage = Stage.DONE;
        }
        default -> throw new IllegalStateException(stage.name());
      }
    }
    pending.reset();
    byte[] rest = Arrays.copyOfRange(all, at, all.length);
    if (!done()) {
      pending.writeBytes(rest);
      rest = new byte[0];
    }
    return new Step(reply.toByteArray(), stage == Stage.DONE ? rest : new byte[0], refused);
  }
}
