package dev.kindling.host.rfb;

import dev.kindling.host.Printable;
import dev.kindling.host.rfb.RfbHandshakeException.Step;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The client side of an RFB (VNC) handshake up to ServerInit, over any byte stream (TCP, or a
 * WebSocket through websockify): ProtocolVersion, security negotiation, SecurityResult, ClientInit
 * (shared) and ServerInit. With a password only VNC authentication is accepted (a VM's VNC server
 * that offers no password check is not the server Kindling configured); without one, only security
 * type None (what the proxy offers a browser, having authenticated to the VM itself).
 */
public final class RfbHandshake {
  public static final int SECURITY_NONE = 1;
  public static final int SECURITY_VNC_AUTH = 2;
  private static final Pattern BANNER = Pattern.compile("RFB (\\d{3})\\.(\\d{3})\n");
  private static final int MAX_NAME_BYTES = 64 * 1024;

  private RfbHandshake() {}

  /** Reads the 12-byte ProtocolVersion banner; returns the minor version the client will speak. */
  public static int readBanner(InputStream in) throws RfbHandshakeException {
    byte[] banner;
    try {
      banner = in.readNBytes(12);
    } catch (IOException e) {
      throw new RfbHandshakeException(Step.BANNER, "no banner: " + describe(e), false, e);
    }
    String text = new String(banner, StandardCharsets.ISO_8859_1);
    if (banner.length < 12) {
      throw new RfbHandshakeException(
          Step.BANNER,
          banner.length == 0
              ? "connection closed before the banner"
              : "connection closed inside the banner '" + Printable.of(text) + "'",
          false,
          null);
    }
    Matcher m = BANNER.matcher(text);
    if (!m.matches() || !m.group(1).equals("003")) {
      throw new RfbHandshakeException(
          Step.BANNER, "not an RFB 3.x banner: '" + Printable.of(text) + "'", false, null);
    }
    int minor = Integer.parseInt(m.group(2));
    return minor >= 8 ? 8 : minor >= 7 ? 7 : 3;
  }

  /** The whole handshake: banner through ServerInit. */
  public static RfbSession perform(InputStream rawIn, OutputStream rawOut, String password)
      throws RfbHandshakeException {
    if (password == null) {
      DataInputStream in = new DataInputStream(rawIn);
      DataOutputStream out = new DataOutputStream(rawOut);
      int minor = start(in, out, SECURITY_NONE);
      // RFB 3.3 and 3.7 send no SecurityResult after security type None.
      return finish(in, out, minor < 8 ? Step.SERVER_INIT : Step.SECURITY_RESULT, minor);
    }
    return answer(rawIn, rawOut, awaitChallenge(rawIn, rawOut), password);
  }

  /**
   * A VNC authentication challenge read and not yet answered. The server checks the answer against
   * the password it holds when the answer arrives, so a challenge may wait for a password that is
   * set after it was read.
   */
  public record VncChallenge(int minor, byte[] challenge) {}

  /** Banner through VNC authentication's challenge. */
  public static VncChallenge awaitChallenge(InputStream rawIn, OutputStream rawOut)
      throws RfbHandshakeException {
    DataInputStream in = new DataInputStream(rawIn);
    DataOutputStream out = new DataOutputStream(rawOut);
    int minor = start(in, out, SECURITY_VNC_AUTH);
    try {
      byte[] challenge = new byte[VncAuth.CHALLENGE_LENGTH];
      in.readFully(challenge);
      return new VncChallenge(minor, challenge);
    } catch (IOException e) {
      throw failure(Step.AUTHENTICATION, e);
    }
  }

  /** Answers {@code pending} with {@code password}: SecurityResult, ClientInit and ServerInit. */
  public static RfbSession answer(
      InputStream rawIn, OutputStream rawOut, VncChallenge pending, String password)
      throws RfbHandshakeException {
    DataInputStream in = new DataInputStream(rawIn);
    DataOutputStream out = new DataOutputStream(rawOut);
    try {
      out.write(VncAuth.response(password, pending.challenge()));
      out.flush();
    } catch (IOException e) {
      throw failure(Step.AUTHENTICATION, e);
    }
    return finish(in, out, Step.SECURITY_RESULT, pending.minor());
  }

  /** The banner, the version reply and security {@code type}; returns the minor version. */
  private static int start(DataInputStream in, DataOutputStream out, int type)
      throws RfbHandshakeException {
    int minor = readBanner(in);
    try {
      out.write(String.format("RFB 003.%03d\n", minor).getBytes(StandardCharsets.US_ASCII));
      out.flush();
      negotiateSecurity(in, out, minor, type);
      return minor;
    } catch (RfbHandshakeException e) {
      throw e;
    } catch (IOException e) {
      throw failure(Step.SECURITY_TYPES, e);
    }
  }

  /** From SecurityResult ({@code from} that step) or from ClientInit on. */
  private static RfbSession finish(DataInputStream in, DataOutputStream out, Step from, int minor)
      throws RfbHandshakeException {
    Step step = from;
    try {
      if (step == Step.SECURITY_RESULT) {
        int result = in.readInt();
        if (result != 0) {
          String reason = minor >= 8 ? readString(in) : "";
          throw new RfbHandshakeException(
              Step.SECURITY_RESULT,
              "VNC authentication failed" + (reason.isEmpty() ? "" : ": " + Printable.of(reason)),
              true,
              null);
        }
      }
      step = Step.SERVER_INIT;
      out.write(1);
      out.flush();
      int width = in.readUnsignedShort();
      int height = in.readUnsignedShort();
      PixelFormat format = PixelFormat.read(in);
      String name = readString(in);
      return new RfbSession(in, out, new ServerInit(width, height, format, name));
    } catch (RfbHandshakeException e) {
      throw e;
    } catch (IOException e) {
      throw failure(step, e);
    }
  }

  private static RfbHandshakeException failure(Step step, IOException e) {
    return e instanceof EOFException
        ? new RfbHandshakeException(step, "connection closed by the server", false, e)
        : new RfbHandshakeException(step, describe(e), false, e);
  }

  private static void negotiateSecurity(
      DataInputStream in, DataOutputStream out, int minor, int wanted) throws IOException {
    List<Integer> offered = new ArrayList<>();
    if (minor == 3) {
      offered.add(in.readInt());
    } else {
      int count = in.readUnsignedByte();
      for (int i = 0; i < count; i++) {
        offered.add(in.readUnsignedByte());
      }
    }
    if (offered.isEmpty() || offered.equals(List.of(0))) {
      String reason = readString(in);
      throw new RfbHandshakeException(
          Step.SECURITY_TYPES,
          "server refused the connection: " + Printable.of(reason),
          true,
          null);
    }
    if (!offered.contains(wanted)) {
      throw new RfbHandshakeException(
          Step.SECURITY_TYPES,
          "server offers no "
              + (wanted == SECURITY_NONE ? "security type None" : "VNC authentication")
              + " (security types "
              + offered
              + ")",
          true,
          null);
    }
    if (minor >= 7) {
      out.write(wanted);
      out.flush();
    }
  }

  private static String readString(DataInputStream in) throws IOException {
    long length = Integer.toUnsignedLong(in.readInt());
    if (length > MAX_NAME_BYTES) {
      throw new IOException("string of " + length + " bytes is longer than " + MAX_NAME_BYTES);
    }
    byte[] bytes = new byte[(int) length];
    in.readFully(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  public static String describe(IOException e) {
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  /** Builds one client message and writes it in a single call (one WebSocket frame). */
  static void writeMessage(OutputStream out, MessageWriter writer) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(32);
    writer.write(new DataOutputStream(buffer));
    out.write(buffer.toByteArray());
    out.flush();
  }

  @FunctionalInterface
  interface MessageWriter {
    void write(DataOutputStream out) throws IOException;
  }
}
