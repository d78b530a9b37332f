/** One Server-Sent Event as the stream carried it. */
export interface ServerSentEvent {
  type: string;
  data: string;
  id?: string;
}

/**
 * The text/event-stream format (WHATWG HTML, "event stream interpretation"), fed in
 * chunks as they arrive: a chunk may end anywhere, even inside a line or a CRLF.
 * EventSource cannot send an Authorization header, so the console reads the stream
 * with fetch and parses it here.
 */
export class SseParser {
  private buffer = '';
  private type = '';
  private data: string[] = [];
  private id: string | undefined;
  private pendingCr = false;

  constructor(private readonly dispatch: (event: ServerSentEvent) => void) {}

  push(chunk: string): void {
    let text = chunk;
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = text.endsWith('\r');
    this.buffer += text;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length) {
        this.dispatch({ type: this.type || 'message', data: this.data.join('\n'), id: this.id });
      }
      this.type = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return; // a comment (keep-alive)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id') this.id = value;
  }
}
