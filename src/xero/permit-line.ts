/**
 * Each organisation's permit requests in this process, in line: only the one in front asks the
 * database (./rate-limiter.ts). Without it every waiting caller asks again each time a permit frees
 * up — at the limit, hundreds of transactions for each permit granted, which is what kept the CPU
 * busy under one organisation's backlog and slowed every other organisation's documents.
 *
 * A batch (`first`) goes ahead of single calls: the next permit then serves many documents. It
 * takes the front from a single call that is only sleeping out the database's wait, never from one
 * asking the database right now. Across processes the fronts still race, one per process.
 */
export interface LineTicket {
  readonly first: boolean;
}

interface Ticket extends LineTicket {
  sleeping: boolean;
  /** Called when the ticket reaches the front. */
  turn?: () => void;
  /** Called when a batch takes the front from this sleeping ticket. */
  displaced?: () => void;
}

export type PermitLines = ReturnType<typeof createPermitLines>;

export function createPermitLines() {
  const lines = new Map<string, Ticket[]>();

  function lineOf(key: string): Ticket[] {
    let line = lines.get(key);
    if (!line) lines.set(key, (line = []));
    return line;
  }

  return {
    join(key: string, first = false): LineTicket {
      const line = lineOf(key);
      const t: Ticket = { first, sleeping: false };
      if (!first) {
        line.push(t);
        return t;
      }
      // Behind a front asking the database, and behind the batches already waiting.
      let at = line.length > 0 && !line[0]!.sleeping ? 1 : 0;
      while (at < line.length && line[at]!.first) at++;
      line.splice(at, 0, t);
      if (at === 0) line[1]?.displaced?.();
      return t;
    },

    /** 0 for the front. */
    position(key: string, ticket: LineTicket): number {
      return lines.get(key)?.indexOf(ticket as Ticket) ?? -1;
    },

    /** Resolves true when the ticket is in front, false if `deadline` (epoch ms) comes first. */
    turn(key: string, ticket: LineTicket, deadline: number): Promise<boolean> {
      const t = ticket as Ticket;
      if (lines.get(key)?.[0] === t) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(
          () => {
            t.turn = undefined;
            resolve(false);
          },
          Math.max(0, deadline - Date.now()),
        );
        t.turn = () => {
          clearTimeout(timer);
          t.turn = undefined;
          resolve(true);
        };
      });
    },

    /** The front sleeps out a wait; 'displaced' as soon as a batch takes the front instead. */
    sleepInFront(key: string, ticket: LineTicket, ms: number): Promise<'woke' | 'displaced'> {
      const t = ticket as Ticket;
      const line = lines.get(key);
      const next = line?.[1];
      if (line?.[0] === t && !t.first && next?.first) {
        // A batch joined while this one was asking the database: it goes first after all.
        line[0] = next;
        line[1] = t;
        next.turn?.();
        return Promise.resolve('displaced');
      }
      t.sleeping = true;
      return new Promise((resolve) => {
        const done = (how: 'woke' | 'displaced') => {
          clearTimeout(timer);
          t.sleeping = false;
          t.displaced = undefined;
          resolve(how);
        };
        const timer = setTimeout(() => done('woke'), ms);
        t.displaced = () => done('displaced');
      });
    },

    leave(key: string, ticket: LineTicket): void {
      const line = lines.get(key);
      if (!line) return;
      const at = line.indexOf(ticket as Ticket);
      if (at < 0) return;
      line.splice(at, 1);
      if (line.length === 0) lines.delete(key);
      else if (at === 0) line[0]!.turn?.();
    },
  };
}
