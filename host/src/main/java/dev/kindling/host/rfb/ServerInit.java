package dev.kindling.host.rfb;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** What the VNC server said in ServerInit: the framebuffer's size and format, and its name. */
public record ServerInit(int width, int height, PixelFormat pixelFormat, String name) {
  /** The message as a server writes it. */
  public byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(32 + name.length());
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeShort(width);
      out.writeShort(height);
      out.write(pixelFormat.encode());
      byte[] text = name.getBytes(StandardCharsets.UTF_8);
      out.writeInt(text.length);
      out.write(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }
}
