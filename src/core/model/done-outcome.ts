/** How a message ended, for the poison-storm guard and the counters. */
export type DoneOutcome = 'processed' | 'unmatched' | 'filtered' | 'parked';
