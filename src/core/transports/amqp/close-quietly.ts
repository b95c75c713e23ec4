import type { Channel, ChannelModel } from 'amqplib';

/** How long an orderly close may wait for the broker's answer before it is given up. */
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * Closes a channel or connection and resolves once it is closed — or was already, or the connection under
 * it went away, or the broker did not answer in time. Never rejects. amqplib's own `close()` promise never
 * settles when the connection drops while a channel waits for its `close-ok`; the `close` event does fire.
 */
export function closeQuietly(closable: Channel | ChannelModel): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, CLOSE_TIMEOUT_MS);
    timer.unref();
    function done(): void {
      clearTimeout(timer);
      closable.off('close', done);
      resolve();
    }
    closable.once('close', done);
    try {
      closable.close().then(done, done);
    } catch {
      done();
    }
  });
}
