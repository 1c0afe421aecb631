package dev.kindling.host.rfb;

import dev.kindling.host.Printable;
import dev.kindling.host.rfb.RfbHandshakeException.Step;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server side of an RFB handshake that offers security type None: what the proxy presents a
 * browser once it has authenticated to the VM itself, so that no VNC password ever reaches a
 * browser. Speaks RFB 3.8 and accepts a client that answers 3.3, 3.7 or 3.8. Ends after sending
 * {@code serverInit} in answer to the client's ClientInit.
 */
public final class RfbServerHandshake {
  private static final Pattern VERSION = Pattern.compile("RFB 003\\.(\\d{3})\n");
  private static final byte[] BANNER = "RFB 003.008\n".getBytes(StandardCharsets.US_ASCII);

  private RfbServerHandshake() {}

  /**
   * Runs the handshake with a client on {@code rawIn}/{@code rawOut}.
   *
   * @return the RFB minor version the client chose
   * @throws RfbHandshakeException when the client breaks the protocol or leaves
   */
  public static int offerNone(InputStream rawIn, OutputStream rawOut, ServerInit serverInit)
      throws RfbHandshakeException {
    DataInputStream in = new DataInputStream(rawIn);
    DataOutputStream out = new DataOutputStream(rawOut);
    Step step = Step.BANNER;
    try {
      out.write(BANNER);
      out.flush();
      byte[] answer = in.readNBytes(12);
      String text = new String(answer, StandardCharsets.ISO_8859_1);
      Matcher m = VERSION.matcher(text);
      if (answer.length < 12 || !m.matches()) {
        throw new RfbHandshakeException(
            Step.BANNER, "not an RFB 3.x version: '" + Printable.of(text) + "'", false, null);
      }
      int asked = Integer.parseInt(m.group(1));
      int minor = asked >= 8 ? 8 : asked >= 7 ? 7 : 3;

      step = Step.SECURITY_TYPES;
      if (minor == 3) {
        out.writeInt(RfbHandshake.SECURITY_NONE);
        out.flush();
      } else {
        out.write(new byte[] {1, RfbHandshake.SECURITY_NONE});
        out.flush();
        int chosen = in.readUnsignedByte();
        if (chosen != RfbHandshake.SECURITY_NONE) {
          if (minor == 8) {
            byte[] reason =
                "only security type None is offered".getBytes(StandardCharsets.US_ASCII);
            out.writeInt(1);
            out.writeInt(reason.length);
            out.write(reason);
            out.flush();
          }
          throw new RfbHandshakeException(
              Step.SECURITY_TYPES,
              "client chose security type " + chosen + ", not the None offered",
              false,
              null);
        }
        if (minor == 8) {
          step = Step.SECURITY_RESULT;
          out.writeInt(0);
          out.flush();
        }
      }

      step = Step.SERVER_INIT;
      in.readUnsignedByte();
      out.write(serverInit.encode());
      out.flush();
      return minor;
    } catch (RfbHandshakeException e) {
      throw e;
    } catch (EOFException e) {
      throw new RfbHandshakeException(step, "connection closed by the client", false, e);
    } catch (IOException e) {
      throw new RfbHandshakeException(step, RfbHandshake.describe(e), false, e);
    }
  }
}
