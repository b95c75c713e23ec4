import type { ChannelModel } from 'amqplib';

/** amqplib's multiplexer: one pass writes every frame its channels have queued, one `write` each. */
interface Muxer {
  _readIncoming?: () => void;
}

/** amqplib's internals that hand frames to the socket. */
interface Internals {
  readonly connection?: {
    readonly stream?: { cork?: () => void; uncork?: () => void };
    readonly muxer?: Muxer;
  };
}

const coalesced = new WeakSet<Muxer>();

/**
 * Makes the connection hand the frames queued by its channels to the socket in one `writev` per pass
 * instead of one write per frame. amqplib's multiplexer writes each frame (a publish, an ack) to the
 * socket on its own, and with `noDelay` every one is a system call and a TCP segment: at tens of
 * thousands of messages a second that is most of the publisher's system time, and the broker reads as
 * many segments. Corking the socket for the length of one pass of the multiplexer sends the same bytes,
 * in the same order, at the end of the pass; a pass still stops at the socket's high-water mark, so
 * backpressure (`publish` returning false, `drain`) is unchanged.
 *
 * Best effort, as amqplib has no public switch for it: returns false and changes nothing when its
 * internals are not as expected. Idempotent.
 */
export function coalesceWrites(model: ChannelModel): boolean {
  const connection = (model as unknown as Internals).connection;
  const socket = connection?.stream;
  const muxer = connection?.muxer;
  const pass = muxer?._readIncoming;
  if (
    socket === undefined ||
    muxer === undefined ||
    typeof pass !== 'function' ||
    typeof socket.cork !== 'function' ||
    typeof socket.uncork !== 'function'
  ) {
    return false;
  }
  if (coalesced.has(muxer)) return true;
  const cork = socket.cork.bind(socket);
  const uncork = socket.uncork.bind(socket);
  muxer._readIncoming = function coalescedPass(this: unknown) {
    cork();
    try {
      pass.call(this);
    } finally {
      uncork();
    }
  };
  coalesced.add(muxer);
  return true;
}
