package dev.kindling.proxy;

import static dev.kindling.proxy.WebSocketFrames.CONTINUATION;
import static dev.kindling.proxy.WebSocketFrames.MAX_CONTROL_PAYLOAD;
import static dev.kindling.proxy.WebSocketFrames.MAX_HEADER_BYTES;

import dev.kindling.host.rfb.RfbClientMessages;
import java.nio.ByteBuffer;

/**
 * Finds the frames in what one side sends, so that they can be passed to the other side without
 * being re-assembled, unmasked or masked again.
 *
 * <p>A data frame that arrives whole in one read is passed on as the bytes it arrived as: a
 * browser's masked frames go to the VM with the browser's mask (the VM must get masked frames, and
 * the bytes on the wire stay as unpredictable to the page as the browser made them), and the VM's
 * unmasked frames go to the browser unchanged. Whole frames that follow each other become one slice
 * of the read buffer. A frame cut by the end of a read is passed on in pieces, each a frame with a
 * new header: the first piece keeps the opcode, later ones are continuations, only the last may be
 * final, and a masked piece carries the key rotated to where it starts in the frame, so its payload
 * bytes stay as they are. Control frames are never passed on: they are collected whole, unmasked,
 * and handed to the caller.
 *
 * <p>Not thread-safe: one side's reads are scanned by one pump at a time.
 */
final class FrameScanner {
  /** Where a scan stopped. */
  enum Stop {
    /** Slices to pass on are in the segments: write them, then scan again. */
    FORWARD,
    /**
     * A whole control frame is ready ({@link #controlOpcode()}, {@link #controlPayload()}): handle
     * it, then scan again.
     */
    CONTROL,
    /** The buffer is used up: read more. */
    NEED_MORE,
    /**
     * The peer broke the protocol ({@link #violation()}, {@link #failureReason()}); nothing more is
     * scanned.
     */
    FAILED
  }

  /** How a peer broke the protocol; the relay decides the close code. */
  enum Violation {
    /** A frame RFC 6455 does not allow here. */
    PROTOCOL_ERROR,
    /** A frame or message over the size limit. */
    MESSAGE_TOO_BIG,
    /** An RFB message a view-only connection cannot be followed past. */
    RFB_UNREADABLE
  }

  private enum State {
    HEADER,
    DATA,
    CONTROL,
    FAILED
  }

  private final boolean expectMasked;
  private final long maxMessageBytes;
  private final RfbClientMessages messages;
  private boolean outgoingOpen;
  private final byte[] header = new byte[MAX_HEADER_BYTES];
  private final byte[] control = new byte[MAX_CONTROL_PAYLOAD];
  private int headerBytes;
  private State state = State.HEADER;
  private boolean fin;
  private int reservedBits;
  private int opcode;
  private boolean masked;
  private int mask;
  private long payloadLength;
  private long offset;
  private int frameStart = -1;
  private boolean inMessage;
  private long messageBytes;
  private int controlOpcode;
  private int controlLength;
  private boolean controlReady;
  private Violation violation;
  private String failureReason;

  /**
   * @param expectMasked frames must arrive masked (from a browser) or must not (from a server)
   * @param maxMessageBytes a longer frame or message fails as {@link Violation#MESSAGE_TOO_BIG}
   */
  FrameScanner(boolean expectMasked, long maxMessageBytes) {
    this(expectMasked, maxMessageBytes, null);
  }

  /**
   * @param messages follows the RFB client messages in the payload (a browser's side of an RFB
   *     relay): on a view-only connection only the runs it passes go on, each as a whole binary
   *     frame of its own (masked pieces keep their bytes and take the rotated key); null: no RFB
   */
  FrameScanner(boolean expectMasked, long maxMessageBytes, RfbClientMessages messages) {
    this.expectMasked = expectMasked;
    this.maxMessageBytes = maxMessageBytes;
    this.messages = messages;
  }

  /**
   * Scans {@code in} from its position, advancing it past what was scanned, and adds the slices to
   * pass on to {@code out}, which must be empty. The slices point into {@code in}, so it must not
   * be reused before they are written.
   */
  Stop scan(ByteBuffer in, Segments out) {
    if (controlReady) {
      controlReady = false;
      return Stop.CONTROL;
    }
    while (true) {
      switch (state) {
        case FAILED -> {
          in.position(in.limit());
          return out.isEmpty() ? Stop.FAILED : Stop.FORWARD;
        }
        case HEADER -> {
          if (!in.hasRemaining()) {
            return endOfBuffer(out);
          }
          int start = headerBytes == 0 ? in.position() : -1;
          if (!readHeader(in)) {
            return endOfBuffer(out);
          }
          frameStart = start;
          if (!acceptable()) {
            continue;
          }
          offset = 0;
          if (WebSocketFrames.isControl(opcode)) {
            controlOpcode = opcode;
            controlLength = 0;
            state = State.CONTROL;
          } else {
            inMessage = !fin;
            state = State.DATA;
          }
        }
        case CONTROL -> {
          int n = (int) Math.min(payloadLength - controlLength, in.remaining());
          in.get(control, controlLength, n);
          controlLength += n;
          if (controlLength < payloadLength) {
            return endOfBuffer(out);
          }
          if (masked) {
            WebSocketFrames.unmask(control, controlLength, mask);
          }
          state = State.HEADER;
          if (out.isEmpty()) {
            return Stop.CONTROL;
          }
          controlReady = true;
          return Stop.FORWARD;
        }
        case DATA -> {
          long left = payloadLength - offset;
          int n = (int) Math.min(left, in.remaining());
          if (n == 0 && left > 0) {
            return endOfBuffer(out);
          }
          if (out.isFull()) {
            return Stop.FORWARD;
          }
          int payloadStart = in.position();
          if (messages != null) {
            if (outgoingOpen && messages.viewOnlyRequested() != messages.viewOnly()) {
              // A change of scope does not wait for the browser to end the message it has open:
              // an empty final continuation ends it towards the VM, and what follows is filtered.
              out.addPiece(true, CONTINUATION, masked, mask, in, payloadStart, 0);
              outgoingOpen = false;
              continue;
            }
            if (!outgoingOpen) {
              messages.settle();
            }
            if (messages.viewOnly()) {
              n = filtered(in, out, payloadStart, n);
              if (n < 0) {
                continue;
              }
              in.position(payloadStart + n);
              offset += n;
              if (offset == payloadLength) {
                state = State.HEADER;
              }
              continue;
            }
            follow(in, payloadStart, n);
          }
          if (frameStart >= 0 && offset == 0 && n == left) {
            out.addVerbatim(in, frameStart, payloadStart + n);
            outgoingOpen = !fin;
          } else {
            out.addPiece(
                fin && n == left,
                offset == 0 ? opcode : CONTINUATION,
                masked,
                WebSocketFrames.maskFrom(mask, offset),
                in,
                payloadStart,
                n);
            outgoingOpen = !(fin && n == left);
          }
          out.countPayload(n);
          in.position(payloadStart + n);
          offset += n;
          if (offset == payloadLength) {
            state = State.HEADER;
          }
        }
      }
    }
  }

  /**
   * Passes on one run of a view-only connection's payload, as a frame of its own when the messages
   * in it may pass; returns the bytes it covered, or -1 when the stream cannot be followed (the
   * scan has failed then).
   */
  private int filtered(ByteBuffer in, Segments out, int payloadStart, int n) {
    if (n == 0) {
      return 0;
    }
    int run = messages.run(in, payloadStart, n, mask, offset);
    if (run == 0) {
      fail(
          Violation.RFB_UNREADABLE,
          "RFB message type "
              + messages.lostType()
              + " is unknown; a view-only link cannot pass it");
      return -1;
    }
    int length = Math.abs(run);
    if (run > 0) {
      out.addPiece(
          true,
          WebSocketFrames.BINARY,
          masked,
          WebSocketFrames.maskFrom(mask, offset),
          in,
          payloadStart,
          length);
      out.countPayload(length);
    }
    return length;
  }

  /** Follows a control connection's messages, which all pass as they are. */
  private void follow(ByteBuffer in, int payloadStart, int n) {
    int at = payloadStart;
    long maskOffset = offset;
    while (at < payloadStart + n && !messages.lost()) {
      int run = Math.abs(messages.run(in, at, payloadStart + n - at, mask, maskOffset));
      if (run == 0) {
        return;
      }
      at += run;
      maskOffset += run;
    }
  }

  int controlOpcode() {
    return controlOpcode;
  }

  /** The unmasked payload of the last control frame; valid until the next scan. */
  byte[] controlPayload() {
    byte[] payload = new byte[controlLength];
    System.arraycopy(control, 0, payload, 0, controlLength);
    return payload;
  }

  Violation violation() {
    return violation;
  }

  String failureReason() {
    return failureReason;
  }

  private Stop endOfBuffer(Segments out) {
    // The next scan reads another buffer, in which this frame's header is not.
    frameStart = -1;
    return out.isEmpty() ? Stop.NEED_MORE : Stop.FORWARD;
  }

  private void fail(Violation kind, String reason) {
    violation = kind;
    failureReason = reason;
    state = State.FAILED;
  }

  /** Collects header bytes into {@link #header}; true once the whole header is there. */
  private boolean readHeader(ByteBuffer in) {
    while (in.hasRemaining()) {
      header[headerBytes++] = in.get();
      if (headerBytes >= 2 && headerBytes == headerLength()) {
        parseHeader();
        headerBytes = 0;
        return true;
      }
    }
    return false;
  }

  private int headerLength() {
    int length7 = header[1] & 0x7F;
    int length = length7 < 126 ? 2 : length7 == 126 ? 4 : 10;
    return (header[1] & 0x80) != 0 ? length + 4 : length;
  }

  private void parseHeader() {
    fin = (header[0] & 0x80) != 0;
    opcode = header[0] & 0x0F;
    masked = (header[1] & 0x80) != 0;
    int length7 = header[1] & 0x7F;
    int at = 2;
    if (length7 < 126) {
      payloadLength = length7;
    } else if (length7 == 126) {
      payloadLength = (header[2] & 0xFFL) << 8 | header[3] & 0xFFL;
      at = 4;
    } else {
      payloadLength = 0;
      for (int i = 2; i < 10; i++) {
        payloadLength = payloadLength << 8 | header[i] & 0xFFL;
      }
      at = 10;
    }
    mask =
        masked
            ? (header[at] & 0xFF) << 24
                | (header[at + 1] & 0xFF) << 16
                | (header[at + 2] & 0xFF) << 8
                | header[at + 3] & 0xFF
            : 0;
    reservedBits = header[0] & 0x70;
  }

  /** Whether the frame just parsed keeps to RFC 6455 and the size limit; fails the scan if not. */
  private boolean acceptable() {
    String problem = null;
    if (reservedBits != 0) {
      problem = "reserved bits set without an extension";
    } else if (!WebSocketFrames.isKnown(opcode)) {
      problem = "unknown opcode " + opcode;
    } else if (masked != expectMasked) {
      problem =
          expectMasked
              ? "a client's frames must be masked"
              : "a server's frames must not be masked";
    } else if (payloadLength < 0) {
      problem = "payload length out of range";
    } else if (WebSocketFrames.isControl(opcode)) {
      if (!fin || payloadLength > MAX_CONTROL_PAYLOAD) {
        problem = "control frames must be final and at most 125 bytes";
      }
    } else if (opcode == CONTINUATION && !inMessage) {
      problem = "continuation frame outside a fragmented message";
    } else if (opcode != CONTINUATION && inMessage) {
      problem = "new message inside a fragmented message";
    } else {
      messageBytes = opcode == CONTINUATION ? messageBytes + payloadLength : payloadLength;
      if (messageBytes > maxMessageBytes) {
        fail(Violation.MESSAGE_TOO_BIG, "message larger than " + maxMessageBytes + " bytes");
        return false;
      }
    }
    if (problem != null) {
      fail(Violation.PROTOCOL_ERROR, problem);
      return false;
    }
    return true;
  }
}
