package dev.kindling.host.rfb;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.util.ArrayList;
import java.util.List;

/**
 * An RFB connection after a successful handshake, for tests that want to see the desktop: ask for a
 * framebuffer update in Raw encoding and read it back.
 */
public final class RfbSession {
  public static final int ENCODING_RAW = 0;

  /** 8-bit true colour, 3 bits red and green, 2 blue. */
  public static final PixelFormat BGR233 = new PixelFormat(8, 8, false, true, 7, 7, 3, 0, 3, 6);

  /** One rectangle of a FramebufferUpdate, with its Raw pixels. */
  public record Rectangle(int x, int y, int width, int height, int encoding, byte[] pixels) {}

  private final DataInputStream in;
  private final OutputStream out;
  private final ServerInit serverInit;
  private boolean rawRequested;
  private PixelFormat pixelFormat;

  public RfbSession(DataInputStream in, OutputStream out, ServerInit serverInit) {
    this.in = in;
    this.out = out;
    this.serverInit = serverInit;
    this.pixelFormat = serverInit.pixelFormat();
  }

  /** The format rectangles arrive in: the server's until {@link #setPixelFormat} changed it. */
  public PixelFormat pixelFormat() {
    return pixelFormat;
  }

  /** SetPixelFormat: later framebuffer updates use {@code format}. */
  public void setPixelFormat(PixelFormat format) throws IOException {
    if (format.equals(pixelFormat)) {
      return;
    }
    RfbHandshake.writeMessage(
        out,
        m -> {
          m.writeByte(0);
          m.write(new byte[3]);
          m.write(format.encode());
        });
    pixelFormat = format;
  }

  public ServerInit serverInit() {
    return serverInit;
  }

  /** Sends FramebufferUpdateRequest (after SetEncodings Raw, once) for the given area. */
  public void requestFramebufferUpdate(boolean incremental, int x, int y, int width, int height)
      throws IOException {
    if (!rawRequested) {
      rawRequested = true;
      RfbHandshake.writeMessage(
          out,
          m -> {
            m.writeByte(2);
            m.writeByte(0);
            m.writeShort(1);
            m.writeInt(ENCODING_RAW);
          });
    }
    RfbHandshake.writeMessage(
        out,
        m -> {
          m.writeByte(3);
          m.writeByte(incremental ? 1 : 0);
          m.writeShort(x);
          m.writeShort(y);
          m.writeShort(width);
          m.writeShort(height);
        });
  }

  /** Asks for the whole framebuffer. */
  public void requestFullFramebuffer() throws IOException {
    requestFramebufferUpdate(false, 0, 0, serverInit.width(), serverInit.height());
  }

  /**
   * Reads server messages until a FramebufferUpdate arrives and returns its rectangles; colour map,
   * bell and cut-text messages on the way are skipped.
   */
  public List<Rectangle> readFramebufferUpdate() throws IOException {
    while (true) {
      int type = in.readUnsignedByte();
      switch (type) {
        case 0 -> {
          in.skipNBytes(1);
          int count = in.readUnsignedShort();
          List<Rectangle> rectangles = new ArrayList<>(count);
          for (int i = 0; i < count; i++) {
            rectangles.add(readRectangle());
          }
          return rectangles;
        }
        case 1 -> {
          in.skipNBytes(3);
          int colours = in.readUnsignedShort();
          in.skipNBytes(6L * colours);
        }
        case 2 -> {}
        case 3 -> {
          in.skipNBytes(3);
          in.skipNBytes(Integer.toUnsignedLong(in.readInt()));
        }
        default -> throw new ProtocolException("unexpected RFB server message type " + type);
      }
    }
  }

  private Rectangle readRectangle() throws IOException {
    int x = in.readUnsignedShort();
    int y = in.readUnsignedShort();
    int width = in.readUnsignedShort();
    int height = in.readUnsignedShort();
    int encoding = in.readInt();
    if (encoding != ENCODING_RAW) {
      throw new ProtocolException(
          "server used encoding " + encoding + " although only Raw was requested");
    }
    byte[] pixels = new byte[width * height * pixelFormat.bytesPerPixel()];
    in.readFully(pixels);
    return new Rectangle(x, y, width, height, encoding, pixels);
  }

  /** The stream to the server, for callers that send further messages themselves. */
  public DataOutputStream output() {
    return new DataOutputStream(out);
  }
}
