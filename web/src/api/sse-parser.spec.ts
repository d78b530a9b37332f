import { describe, expect, it } from '@jest/globals';
import { SseParser, type ServerSentEvent } from './sse-parser';

function parse(chunks: string[]): ServerSentEvent[] {
  const events: ServerSentEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  for (const chunk of chunks) parser.push(chunk);
  return events;
}

describe('SseParser', () => {
  it('reads typed events with ids, and skips comments', () => {
    expect(
      parse([': keep-alive\n\nevent: snapshot\nid: 1\ndata: {"a":1}\n\ndata: plain\n\n']),
    ).toEqual([
      { type: 'snapshot', data: '{"a":1}', id: '1' },
      { type: 'message', data: 'plain', id: '1' },
    ]);
  });

  it('joins multi-line data and accepts fields without a space after the colon', () => {
    expect(parse(['event:task.progress\ndata:line one\ndata: line two\n\n'])).toEqual([
      { type: 'task.progress', data: 'line one\nline two', id: undefined },
    ]);
  });

  it('copes with chunks that split lines, and CRLF split between chunks', () => {
    const text = 'event: a\r\ndata: {"n":1}\r\n\r\nevent: b\r\ndata: {"n":2}\r\n\r\n';
    for (let cut = 1; cut < text.length; cut++) {
      expect(parse([text.slice(0, cut), text.slice(cut)]).map((e) => [e.type, e.data])).toEqual([
        ['a', '{"n":1}'],
        ['b', '{"n":2}'],
      ]);
    }
  });

  it('dispatches nothing for an event without data, or one not yet ended', () => {
    expect(parse(['event: empty\n\n', 'event: open\ndata: x\n'])).toEqual([]);
  });
});
