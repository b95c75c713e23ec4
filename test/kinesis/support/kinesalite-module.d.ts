declare module 'kinesalite' {
  import type { Server } from 'node:http';

  interface KinesaliteOptions {
    /** LevelDB directory; in memory when absent. */
    path?: string;
    ssl?: boolean;
    createStreamMs?: number;
    deleteStreamMs?: number;
    updateStreamMs?: number;
    shardLimit?: number;
  }

  /** A Kinesis API server (a plain Node HTTP server; `listen` to start it). */
  export default function kinesalite(options?: KinesaliteOptions): Server;
}
