package dev.kindling.host.rfb;

import java.io.DataInputStream;
import java.io.IOException;

/** The RFB PIXEL_FORMAT structure (16 bytes on the wire). */
public record PixelFormat(
    int bitsPerPixel,
    int depth,
    boolean bigEndian,
    boolean trueColour,
    int redMax,
    int greenMax,
    int blueMax,
    int redShift,
    int greenShift,
    int blueShift) {

  public static PixelFormat read(DataInputStream in) throws IOException {
    PixelFormat format =
        new PixelFormat(
            in.readUnsignedByte(),
            in.readUnsignedByte(),
            in.readUnsignedByte() != 0,
            in.readUnsignedByte() != 0,
            in.readUnsignedShort(),
            in.readUnsignedShort(),
            in.readUnsignedShort(),
            in.readUnsignedByte(),
            in.readUnsignedByte(),
            in.readUnsignedByte());
    in.skipNBytes(3);
    return format;
  }

  /** The 16 bytes a server writes (used by tests that play the server). */
  public byte[] encode() {
    return new byte[] {
      (byte) bitsPerPixel,
      (byte) depth,
      (byte) (bigEndian ? 1 : 0),
      (byte) (trueColour ? 1 : 0),
      (byte) (redMax >> 8),
      (byte) redMax,
      (byte) (greenMax >> 8),
      (byte) greenMax,
      (byte) (blueMax >> 8),
      (byte) blueMax,
      (byte) redShift,
      (byte) greenShift,
      (byte) blueShift,
      0,
      0,
      0
    };
  }

  public int bytesPerPixel() {
    return bitsPerPixel / 8;
  }
}
