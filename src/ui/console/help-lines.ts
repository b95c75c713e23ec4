import { wrapLines } from './detail-rows.js';

/** Every key binding: [keys, what they do]. */
export const KEY_BINDINGS: readonly (readonly [string, string])[] = [
  ['tab ]  shift-tab [', 'next / previous pane (1-4 jump to one)'],
  ['j k ↓ ↑', 'move the selection; scroll a detail view or this help'],
  ['g G home end', 'top / bottom'],
  ['pgdn pgup ctrl-d ctrl-u', 'a page down / up'],
  [
    'enter',
    'open the selected run (steps, every attempt, publish efforts, its event) or failed message (its event in full, failure history, attempts)',
  ],
  ['/', 'filter the pane (the Failed pane searches error, event type, id and payload)'],
  ['space', 'tag the row (Failed: for replay and discard; Partitions: for checkpoint reset)'],
  ['r', 'replay the tagged (else the selected) failed messages — asks first'],
  ['D', 'discard the tagged (else the selected) failed messages — asks first'],
  ['o', 'redrive the tagged (else the selected) failed messages to their origin (their source) — asks first'],
  ['e', 'edit the selected failed message in $EDITOR (checked as a CloudEvent; replay runs the edit)'],
  ['c', 'set or reset the checkpoint of the selected (or tagged) partitions — asks first'],
  ['d', "drain the agent (the selected partition's owner, else the only one) — asks first"],
  [
    'p',
    "Partitions: peek at the records around the selected partition's checkpoint (✓ done, ▶ the first not done; reads only); elsewhere: pause / resume",
  ],
  ['P', 'pause / resume live updates'],
  ['esc', 'close a detail view; clear tags and the status line; stop a long action'],
  ['?', 'this help'],
  ['q  ctrl-c', 'close a detail view; quit'],
];

const GAP = 2;

/**
 * The help (`?`) as lines of `width` columns: the keys in one column, what they do in a second that starts
 * at the same place on every line; a description too long for its column continues under itself.
 */
export function helpLines(width: number, options: { readonly readonly: boolean; readonly live: boolean }) {
  const keyWidth = Math.max(...KEY_BINDINGS.map(([keys]) => [...keys].length)) + GAP;
  const room = Math.max(16, width - keyWidth);
  const bindings = KEY_BINDINGS.flatMap(([keys, what]) =>
    wrapLines([what], room).map((row, n) => (n === 0 ? keys.padEnd(keyWidth) : ' '.repeat(keyWidth)) + row),
  );
  const notes = [
    options.readonly
      ? 'read-only console: replay, discard, checkpoint and drain are refused'
      : 'destructive actions ask for y before they run; results show in the status line',
    ...(options.live
      ? ['this console runs the agent: quitting drains it (finish in flight, commit, exit)']
      : []),
  ];
  return [...bindings, '', ...wrapLines(notes, width)];
}
