import { resourceVersionOf, type ApiReply } from './apiBenchHttp';

export interface LagFigures {
  /** From the write's answer to a watcher's receipt, clamped at 0 (see beforeAnswer). */
  p50: number;
  p99: number;
  max: number;
  /** From the write being sent to a watcher's receipt: write latency plus delivery. */
  fromSendP50: number;
  fromSendP99: number;
  /** Events counted (writes × watchers). */
  events: number;
  /** Events a watcher had before the writer had read the write's answer. */
  beforeAnswer: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const ms = (x: number) => Number(x.toFixed(2));

/**
 * Every acknowledged write by the resourceVersion it produced (one monotonic revision on both
 * servers, carried by each watch event), so a watch event's arrival can be matched to it.
 */
export class WriteLog {
  private readonly sent = new Map<string, number>();
  private readonly answered = new Map<string, number>();

  record(reply: ApiReply): void {
    const rv = resourceVersionOf(reply.body);
    if (rv === undefined) throw new Error(`no resourceVersion in ${reply.body.slice(0, 200)}`);
    this.sent.set(rv, reply.sentAt);
    this.answered.set(rv, reply.doneAt);
  }

  /** Delivery lag over every (write, watcher) pair; `arrivals`: rv → each watcher's receipt time. */
  lag(arrivals: Map<string, number[]>, expected: number): LagFigures {
    const lags = new Float64Array(expected);
    const fromSend = new Float64Array(expected);
    let count = 0;
    let beforeAnswer = 0;
    for (const [rv, times] of arrivals) {
      const answered = this.answered.get(rv);
      const sent = this.sent.get(rv);
      if (answered === undefined || sent === undefined) {
        throw new Error(`a watch event at resourceVersion ${rv} matches no write`);
      }
      for (const t of times) {
        if (count === expected) throw new Error(`more than ${expected} watch events`);
        // The watcher thread may read an event before the writer's thread has read the answer
        // to the same write: delivery was no slower than the answer, so no lag.
        if (t < answered) beforeAnswer++;
        lags[count] = Math.max(0, t - answered);
        fromSend[count++] = t - sent;
      }
    }
    if (count !== expected) throw new Error(`${count} watch events, expected ${expected}`);
    lags.sort();
    fromSend.sort();
    return {
      p50: ms(percentile(lags, 50)),
      p99: ms(percentile(lags, 99)),
      max: ms(lags[count - 1] ?? NaN),
      fromSendP50: ms(percentile(fromSend, 50)),
      fromSendP99: ms(percentile(fromSend, 99)),
      events: count,
      beforeAnswer,
    };
  }
}
