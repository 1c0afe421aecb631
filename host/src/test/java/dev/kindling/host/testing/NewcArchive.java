package dev.kindling.host.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a gzip-compressed cpio archive in the "newc" format the kernel unpacks as an initramfs.
 */
final class NewcArchive implements AutoCloseable {
  private static final int DIRECTORY = 0040000;
  private static final int REGULAR = 0100000;
  private static final int CHAR_DEVICE = 0020000;

  private final OutputStream out;
  private int inode = 1;

  NewcArchive(OutputStream target) throws IOException {
    this.out = new GZIPOutputStream(target);
  }

  void directory(String name) throws IOException {
    entry(name, DIRECTORY | 0755, new byte[0], 0, 0);
  }

  void file(String name, int permissions, byte[] data) throws IOException {
    entry(name, REGULAR | permissions, data, 0, 0);
  }

  void charDevice(String name, int permissions, int major, int minor) throws IOException {
    entry(name, CHAR_DEVICE | permissions, new byte[0], major, minor);
  }

  @Override
  public void close() throws IOException {
    entry("TRAILER!!!", 0, new byte[0], 0, 0);
    out.close();
  }

  private void entry(String name, int mode, byte[] data, int rdevMajor, int rdevMinor)
      throws IOException {
    byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream header = new ByteArrayOutputStream();
    header.writeBytes("070701".getBytes(StandardCharsets.US_ASCII));
    long[] fields = {
      inode++, mode, 0, 0, 1, 0, data.length, 0, 0, rdevMajor, rdevMinor, nameBytes.length, 0
    };
    for (long field : fields) {
      header.writeBytes(String.format("%08x", field).getBytes(StandardCharsets.US_ASCII));
    }
    header.writeBytes(nameBytes);
    pad(header, header.size());
    out.write(header.toByteArray());
    out.write(data);
    out.write(new byte[(4 - data.length % 4) % 4]);
  }

  private static void pad(ByteArrayOutputStream stream, int length) {
    stream.write(new byte[(4 - length % 4) % 4], 0, (4 - length % 4) % 4);
  }
}
