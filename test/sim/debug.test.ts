import fc from 'fast-check';
import { it } from 'vitest';
import { World } from './simWorld.js';
import { Scheduler } from './scheduler.js';
it('debug', async () => {
  let settleMs = 0, settles = 0, immediates = 0;
  const orig = Scheduler.prototype.settle;
  Scheduler.prototype.settle = async function () { const t = performance.now(); await orig.call(this); settleMs += performance.now() - t; settles++; };
  const t0 = performance.now(); const c0 = process.cpuUsage();
  let steps = 0;
  for (let i = 0; i < 30; i++) {
    const world = new World(i, 3);
    const out = await world.play({ devices: 3, actions: [
      { type: 'write', device: 0, path: '/a', large: false }, { type: 'mkdir', device: 1, path: '/d' }, { type: 'step', count: 10 },
      { type: 'write', device: 1, path: '/d/a', large: false }, { type: 'move', device: 0, from: '/a', to: '/b' }, { type: 'step', count: 20 },
      { type: 'delete', device: 2, path: '/d' }, { type: 'step', count: 20 }] });
    steps += out.steps;
    if (out.failures.length) console.log(out.failures);
  }
  const c = process.cpuUsage(c0); console.log('cpu', Math.round((c.user + c.system) / 1000), 'total', Math.round(performance.now() - t0), 'settle', Math.round(settleMs), 'settles', settles, 'steps', steps);
}, 300000);
