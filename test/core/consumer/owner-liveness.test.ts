import { describe, expect, it } from 'vitest';
import { ownerProcess, ownerProvablyDead, processExists } from '../../../src/core/consumer/owner-liveness.js';

describe('ownerProvablyDead', () => {
  const none = () => false;

  it('Given an id NAME@HOST#PID, Then its host and pid are read (names may hold @ and #)', () => {
    expect(ownerProcess('orders@vm-1#4711')).toEqual({ host: 'vm-1', pid: 4711 });
    expect(ownerProcess('a@b#c@vm-1#12')).toEqual({ host: 'vm-1', pid: 12 });
    expect(ownerProcess('alpha-0#1')).toBeUndefined();
    expect(ownerProcess('orders@vm-1#0')).toBeUndefined();
  });

  it('Given an owner on this host whose pid no process has, Then it is dead', () => {
    expect(ownerProvablyDead('orders@vm-1#4711', 'vm-1', none)).toBe(true);
  });

  it('Given an owner on another host, an id of another form, a live pid or this very process, Then it is not proof', () => {
    expect(ownerProvablyDead('orders@vm-2#4711', 'vm-1', none)).toBe(false);
    expect(ownerProvablyDead('alpha-0#1', 'vm-1', none)).toBe(false);
    expect(ownerProvablyDead('orders@vm-1#4711', 'vm-1', () => true)).toBe(false);
    expect(ownerProvablyDead(`orders@vm-1#${process.pid}`, 'vm-1', none)).toBe(false);
  });

  it('Given real pids, Then this process exists and a pid past the kernel maximum does not', () => {
    expect(processExists(process.pid)).toBe(true);
    expect(processExists(2 ** 22 + 12_345)).toBe(false);
  });
});
