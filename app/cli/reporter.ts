import type { EngineEvent, Progress } from '../../protocol/engine.js';
import { progressLine } from './progressLine.js';

export interface Reporter {
  event(event: EngineEvent): void;
  /** A line for the user (stderr on a terminal, a `message` event in JSON mode). */
  say(message: string): void;
  done(): void;
}

/** Events as JSON lines on stdout, for scripts. */
export function jsonReporter(out: NodeJS.WritableStream): Reporter {
  const write = (value: unknown) => out.write(`${JSON.stringify(value)}\n`);
  return {
    event: (event) => write({ at: Date.now(), ...event }),
    say: (message) => write({ at: Date.now(), type: 'message', message }),
    done: () => {},
  };
}

/** A live progress line on a terminal, with activity and issues printed above it. */
export function terminalReporter(out: NodeJS.WriteStream): Reporter {
  let last: Progress | null = null;
  let drawn = false;
  let redrawAt = 0;
  const clear = () => {
    if (drawn) out.write('\r\x1b[2K');
    drawn = false;
  };
  const draw = () => {
    if (!last || !out.isTTY) return;
    out.write(`\r\x1b[2K${progressLine(last, out.columns ?? 80)}`);
    drawn = true;
  };
  const print = (line: string) => {
    clear();
    out.write(`${line}\n`);
    draw();
  };
  return {
    event: (event) => {
      switch (event.type) {
        case 'progress':
          last = event.progress;
          if (Date.now() >= redrawAt) {
            redrawAt = Date.now() + 100;
            draw();
          }
          break;
        case 'activity':
          print(`${event.activity.action.replace('_', ' ')}: ${event.activity.path}${event.activity.otherPath ? ` (${event.activity.otherPath})` : ''}`);
          break;
        case 'issue':
          print(`! ${event.issue.message}${event.issue.path ? ` [${event.issue.path}]` : ''}`);
          break;
        case 'state':
          if (event.state === 'offline' || event.state === 'error' || event.state === 'signed_out' || event.state === 'paused') {
            print(`state: ${event.state}${event.detail ? ` (${event.detail})` : ''}`);
          }
          break;
        case 'massDelete':
          print(`! ${event.count} deletions (${event.side}) are held back: more than a safe share of ${event.total} items`);
          break;
        case 'transfer':
          break;
      }
    },
    say: print,
    done: clear,
  };
}
