package dev.kindling.proxy.bench;

import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The RFB handshake's bytes over a blocking WebSocket, before the measured echo starts: reads the
 * payload of data frames (unmasking a client's), skipping pings and pongs, and sends each message
 * as one binary frame, masked when this is the client. Reads through {@code in}, kept ready to read
 * from, so what arrives after the handshake stays there for the echo.
 */
final class HandshakeStream {
  private final SocketChannel channel;
  private final ByteBuffer in;
  private final boolean client;
  private byte[] payload = new byte[0];
  private int payloadAt;

  HandshakeStream(SocketChannel channel, ByteBuffer in, boolean client) {
    this.channel = channel;
    this.in = in;
    this.client = client;
  }

  /** Exactly {@code n} payload bytes, from as many frames as they came in. */
  byte[] read(int n) throws IOException {
    byte[] bytes = new byte[n];
    int have = 0;
    while (have < n) {
      if (payloadAt == payload.length) {
        nextDataFrame();
      }
      int take = Math.min(n - have, payload.length - payloadAt);
      System.arraycopy(payload, payloadAt, bytes, have, take);
      payloadAt += take;
      have += take;
    }
    return bytes;
  }

  /** Fails when the frame last read held more than the handshake used: the echo would lose it. */
  void finish() throws ProtocolException {
    if (payloadAt < payload.length) {
      throw new ProtocolException(
          (payload.length - payloadAt) + " bytes after the RFB handshake in its last frame");
    }
  }

  void write(byte[] message) throws IOException {
    ByteBuffer frame = ByteBuffer.allocate(8 + message.length).put((byte) 0x82);
    int maskBit = client ? 0x80 : 0;
    if (message.length < 126) {
      frame.put((byte) (maskBit | message.length));
    } else {
      frame.put((byte) (maskBit | 126)).putShort((short) message.length);
    }
    if (client) {
      int mask = ThreadLocalRandom.current().nextInt();
      frame.putInt(mask);
      Masking.xor(ByteBuffer.wrap(message), 0, frame, frame.position(), message.length, mask);
      frame.position(frame.position() + message.length);
    } else {
      frame.put(message);
    }
    frame.flip();
    while (frame.hasRemaining()) {
      channel.write(frame);
    }
  }

  private void nextDataFrame() throws IOException {
    while (true) {
      fill(2);
      int first = in.get() & 0xFF;
      int second = in.get() & 0xFF;
      long length = second & 0x7F;
      if (length == 126) {
        fill(2);
        length = in.getShort() & 0xFFFF;
      } else if (length == 127) {
        fill(8);
        length = in.getLong();
      }
      int mask = 0;
      if ((second & 0x80) != 0) {
        fill(4);
        mask = in.getInt();
      }
      if (length < 0 || length > in.capacity()) {
        throw new ProtocolException("a handshake frame of " + length + " bytes");
      }
      byte[] bytes = new byte[(int) length];
      fill(bytes.length);
      in.get(bytes);
      ByteBuffer wrapped = ByteBuffer.wrap(bytes);
      Masking.xor(wrapped, 0, wrapped, 0, bytes.length, mask);
      switch (first & 0x0F) {
        case 0x8 ->
            throw new EOFException("closed during the RFB handshake: " + closeReason(bytes));
        case 0x9, 0xA -> {}
        default -> {
          payload = bytes;
          payloadAt = 0;
          if (bytes.length > 0) {
            return;
          }
        }
      }
    }
  }

  private static String closeReason(byte[] payload) {
    if (payload.length < 2) {
      return "no close code";
    }
    int code = (payload[0] & 0xFF) << 8 | payload[1] & 0xFF;
    return code + " " + new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
  }

  private void fill(int need) throws IOException {
    while (in.remaining() < need) {
      in.compact();
      int n = channel.read(in);
      in.flip();
      if (n < 0) {
        throw new EOFException("the connection ended during the RFB handshake");
      }
    }
  }
}
