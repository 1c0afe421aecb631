package dev.kindling.host.rfb;

import java.nio.ByteBuffer;

/**
 * Follows the messages an RFB client sends after the handshake, however they are cut into frames,
 * and says for each run of bytes whether it may pass: on a view-only connection the messages that
 * act on the desktop (keys, pointer, clipboard, desktop size, power, QEMU key events) are dropped
 * and the rest (pixel format, encodings, framebuffer requests, continuous updates, fences) pass.
 * The bytes may be WebSocket-masked: only the few bytes that decide a message's type and length are
 * unmasked, the rest are only counted, so following a stream costs next to nothing per byte.
 *
 * <p>An unknown message type makes the rest of the stream unreadable: a control connection then
 * passes everything as it is, a view-only connection must be ended ({@link #lost()}). Not
 * thread-safe, except that {@link #requestViewOnly(boolean)} may be called from any thread: the
 * reader applies it ({@link #settle()}) where the stream allows.
 */
public final class RfbClientMessages {
  public static final int SET_PIXEL_FORMAT = 0;
  public static final int SET_ENCODINGS = 2;
  public static final int FRAMEBUFFER_UPDATE_REQUEST = 3;
  public static final int KEY_EVENT = 4;
  public static final int POINTER_EVENT = 5;
  public static final int CLIENT_CUT_TEXT = 6;
  public static final int ENABLE_CONTINUOUS_UPDATES = 150;
  public static final int CLIENT_FENCE = 248;
  public static final int XVP = 250;
  public static final int SET_DESKTOP_SIZE = 251;
  public static final int QEMU = 255;

  private static final int MAX_HEADER = 9;

  /** The whole length of each message type whose length is fixed; 0 for the others. */
  private static final int[] FIXED_LENGTH = new int[256];

  static {
    FIXED_LENGTH[SET_PIXEL_FORMAT] = 20;
    FIXED_LENGTH[FRAMEBUFFER_UPDATE_REQUEST] = 10;
    FIXED_LENGTH[KEY_EVENT] = 8;
    FIXED_LENGTH[POINTER_EVENT] = 6;
    FIXED_LENGTH[ENABLE_CONTINUOUS_UPDATES] = 10;
    FIXED_LENGTH[XVP] = 4;
  }

  private volatile boolean requested;
  private boolean viewOnly;
  private final byte[] header = new byte[MAX_HEADER];
  private int type = -1;
  private int headerWanted;
  private int headerHave;
  private long bodyLeft;
  private boolean passing;
  private volatile boolean lost;
  private int lostType = -1;
  private volatile long inputMessages;

  public RfbClientMessages(boolean viewOnly) {
    this.requested = viewOnly;
    this.viewOnly = viewOnly;
  }

  /** Asks for view-only (or control) from the next {@link #settle()} on. */
  public void requestViewOnly(boolean value) {
    requested = value;
  }

  /** The last request, from any thread. */
  public boolean viewOnlyRequested() {
    return requested;
  }

  /** Applies the last request; the reader calls it where a change cannot split its output. */
  public void settle() {
    viewOnly = requested;
  }

  public boolean viewOnly() {
    return viewOnly;
  }

  /** True once an unknown message type was seen: no later message boundary is known. */
  public boolean lost() {
    return lost;
  }

  /** The unknown message type that lost the stream, or -1. */
  public int lostType() {
    return lostType;
  }

  /** Messages seen so far that act on the desktop (whether passed or dropped). */
  public long inputMessages() {
    return inputMessages;
  }

  /**
   * Whether messages of {@code type} act on the desktop, so a view-only client may not send them.
   */
  public static boolean actsOnDesktop(int type) {
    return switch (type) {
      case KEY_EVENT, POINTER_EVENT, CLIENT_CUT_TEXT, XVP, SET_DESKTOP_SIZE, QEMU -> true;
      default -> false;
    };
  }

  /**
   * Follows {@code n} bytes of {@code in} from index {@code at} (positions are not changed), whose
   * first byte is at {@code maskOffset} in a WebSocket frame masked with {@code mask} (0: not
   * masked), and returns how many of them, from {@code at}, form one run with one verdict: positive
   * when they pass, negative when they are dropped. Call again for the rest. Returns 0 only when
   * the stream is lost on a view-only connection.
   */
  public int run(ByteBuffer in, int at, int n, int mask, long maskOffset) {
    int done = 0;
    int verdict = 0;
    while (done < n) {
      if (lost) {
        if (viewOnly) {
          break;
        }
        if (verdict < 0) {
          break;
        }
        verdict = 1;
        done = n;
        break;
      }
      if (type < 0) {
        int first = unmasked(in, at + done, mask, maskOffset + done);
        boolean pass = !(viewOnly && actsOnDesktop(first));
        if (verdict != 0 && (verdict > 0) != pass) {
          break;
        }
        int fixed = FIXED_LENGTH[first];
        if (fixed > 0 && n - done >= fixed) {
          // The common case, a whole message of fixed length here: step over it at once.
          if (actsOnDesktop(first)) {
            inputMessages++;
          }
          verdict = pass ? 1 : -1;
          done += fixed;
          continue;
        }
        if (!start(first)) {
          continue;
        }
        passing = pass;
        verdict = pass ? 1 : -1;
        done++;
        continue;
      }
      if ((verdict > 0) != passing && verdict != 0) {
        break;
      }
      verdict = passing ? 1 : -1;
      if (headerHave < headerWanted) {
        header[headerHave++] = (byte) unmasked(in, at + done, mask, maskOffset + done);
        done++;
        if (headerHave == headerWanted) {
          bodyLeft = bodyLength();
          if (type < 0) {
            continue;
          }
          finishIfDone();
        }
        continue;
      }
      int skip = (int) Math.min(bodyLeft, n - done);
      bodyLeft -= skip;
      done += skip;
      finishIfDone();
    }
    return verdict >= 0 ? done : -done;
  }

  /** Begins a message of {@code first}'s type; false (and lost) when the type is unknown. */
  private boolean start(int first) {
    header[0] = (byte) first;
    headerHave = 1;
    headerWanted =
        switch (first) {
          case SET_ENCODINGS -> 4;
          case CLIENT_CUT_TEXT -> 8;
          case CLIENT_FENCE -> 9;
          case SET_DESKTOP_SIZE -> 8;
          case QEMU -> 4;
          case SET_PIXEL_FORMAT,
              FRAMEBUFFER_UPDATE_REQUEST,
              KEY_EVENT,
              POINTER_EVENT,
              ENABLE_CONTINUOUS_UPDATES,
              XVP ->
              1;
          default -> -1;
        };
    if (headerWanted < 0) {
      lost = true;
      lostType = first;
      return false;
    }
    type = first;
    if (actsOnDesktop(first)) {
      inputMessages++;
    }
    bodyLeft = headerWanted == 1 ? bodyLength() : 0;
    return true;
  }

  /** The bytes after the header, once the header is complete. */
  private long bodyLength() {
    return switch (type) {
      case SET_PIXEL_FORMAT -> 19;
      case FRAMEBUFFER_UPDATE_REQUEST -> 9;
      case KEY_EVENT -> 7;
      case POINTER_EVENT -> 5;
      case ENABLE_CONTINUOUS_UPDATES -> 9;
      case XVP -> 3;
      case SET_ENCODINGS -> 4L * u16(2);
      case CLIENT_CUT_TEXT -> Math.abs((long) s32(4));
      case CLIENT_FENCE -> header[8] & 0xFF;
      case SET_DESKTOP_SIZE -> 16L * (header[6] & 0xFF);
      case QEMU -> qemuBody();
      default -> 0;
    };
  }

  /** QEMU's extended key event (subtype 0) is 12 bytes; its audio messages (1) 4 or 10. */
  private long qemuBody() {
    int subtype = header[1] & 0xFF;
    if (subtype == 0) {
      return 8;
    }
    if (subtype == 1) {
      return u16(2) == 2 ? 6 : 0;
    }
    lost = true;
    lostType = QEMU;
    type = -1;
    return 0;
  }

  private void finishIfDone() {
    if (headerHave == headerWanted && bodyLeft == 0) {
      type = -1;
    }
  }

  private int u16(int at) {
    return (header[at] & 0xFF) << 8 | header[at + 1] & 0xFF;
  }

  private int s32(int at) {
    return (header[at] & 0xFF) << 24
        | (header[at + 1] & 0xFF) << 16
        | (header[at + 2] & 0xFF) << 8
        | header[at + 3] & 0xFF;
  }

  private static int unmasked(ByteBuffer in, int index, int mask, long maskOffset) {
    int shift = 24 - 8 * (int) (maskOffset & 3);
    return (in.get(index) ^ (mask >>> shift)) & 0xFF;
  }
}
