package dev.kindling.proxy.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * noVNC's side of the RFB handshake the proxy offers a browser: version 3.8, security None (the
 * only type offered), a shared ClientInit, and the VM's ServerInit, which must be the echo
 * backend's. Fed the bytes as they arrive, either from a blocking stream ({@link #perform}) or from
 * callbacks ({@link #receive}); each answer is one message, sent as a frame of its own.
 */
final class NoVncHandshake {
  private static final byte[] VERSION = "RFB 003.008\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SERVER_INIT = BenchRfb.SERVER_INIT.encode();
  private static final int SERVER_INIT_HEAD = 24;

  // The steps, each reading one message.
  private static final int BANNER = 0;
  private static final int SECURITY_TYPES = 1;
  private static final int SECURITY_RESULT = 2;
  private static final int INIT_HEAD = 3;
  private static final int INIT_NAME = 4;
  private static final int DONE = 5;

  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private int step;
  private int nameLength;

  /** Runs the whole handshake on {@code stream}. */
  static void perform(HandshakeStream stream) throws IOException {
    NoVncHandshake handshake = new NoVncHandshake();
    while (!handshake.done()) {
      byte[] answer = handshake.answer(stream.read(handshake.wanted()));
      if (answer != null) {
        stream.write(answer);
      }
    }
    stream.finish();
  }

  boolean done() {
    return step == DONE;
  }

  /** Takes {@code payload} as it arrived; returns the messages to send in answer, in order. */
  List<byte[]> receive(ByteBuffer payload) throws ProtocolException {
    byte[] bytes = new byte[payload.remaining()];
    payload.get(bytes);
    pending.writeBytes(bytes);
    byte[] all = pending.toByteArray();
    int at = 0;
    List<byte[]> answers = new ArrayList<>();
    while (!done() && all.length - at >= wanted()) {
      int n = wanted();
      byte[] answer = answer(Arrays.copyOfRange(all, at, at + n));
      at += n;
      if (answer != null) {
        answers.add(answer);
      }
    }
    if (done() && at < all.length) {
      throw new ProtocolException((all.length - at) + " bytes after ServerInit");
    }
    pending.reset();
    pending.write(all, at, all.length - at);
    return answers;
  }

  /** The length of the message the current step reads. */
  private int wanted() {
    return switch (step) {
      case BANNER -> VERSION.length;
      case SECURITY_TYPES -> 2;
      case SECURITY_RESULT -> 4;
      case INIT_HEAD -> SERVER_INIT_HEAD;
      default -> nameLength;
    };
  }

  /** Checks the message the current step read and moves on; returns what to send, or null. */
  private byte[] answer(byte[] message) throws ProtocolException {
    switch (step++) {
      case BANNER -> {
        require(Arrays.equals(message, VERSION), "a banner other than RFB 3.8's");
        return VERSION;
      }
      case SECURITY_TYPES -> {
        require(message[0] == 1 && message[1] == 1, "security types other than None only");
        return new byte[] {1};
      }
      case SECURITY_RESULT -> {
        require(ByteBuffer.wrap(message).getInt() == 0, "a failed SecurityResult");
        return new byte[] {1};
      }
      case INIT_HEAD -> {
        nameLength = ByteBuffer.wrap(message).getInt(SERVER_INIT_HEAD - 4);
        require(
            Arrays.equals(message, 0, SERVER_INIT_HEAD, SERVER_INIT, 0, SERVER_INIT_HEAD)
                && nameLength == SERVER_INIT.length - SERVER_INIT_HEAD,
            "a ServerInit other than the echo backend's");
        return null;
      }
      case INIT_NAME -> {
        require(
            Arrays.equals(
                message, 0, nameLength, SERVER_INIT, SERVER_INIT_HEAD, SERVER_INIT.length),
            "a desktop name other than the echo backend's");
        return null;
      }
      default -> throw new IllegalStateException("the handshake is done");
    }
  }

  private static void require(boolean condition, String sent) throws ProtocolException {
    if (!condition) {
      throw new ProtocolException("the proxy sent " + sent + " during the RFB handshake");
    }
  }
}
