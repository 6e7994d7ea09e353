// Newline-delimited text from a byte stream (a watch): whole lines only, each decoded once.
//
// A line that spans chunks is joined from its own pieces once its end arrives. Before, the rest of
// a line was joined with each next chunk as it came, so a large object was copied once per chunk
// it spanned: a tenant's 1.5 MB object, in 16 KiB chunks, cost 14-16 ms of the event loop for
// every watch event about it, and now costs about 1 ms (bench/watch-lines.ts). Watch events of the
// usual size fit in one chunk: a run at 1,000 connections allocates as much as before.

export class LineSplitter {
  /** The start of a line whose end has not arrived: pieces of earlier chunks, in order. */
  readonly #pieces: Buffer[] = [];

  /**
   * Hands `onLine` each line that `chunk` completes, in order, without surrounding whitespace
   * (a `\r` before the newline included); blank lines are left out. What follows the chunk's last
   * newline waits for the next chunk. If `onLine` throws, the error leaves here as it is.
   */
  push(chunk: Buffer, onLine: (text: string) => void): void {
    let start = 0;
    for (let end = chunk.indexOf(10); end >= 0; end = chunk.indexOf(10, start)) {
      const text = this.#pieces.length === 0 ? chunk.toString('utf8', start, end) : this.#joined(chunk, start, end);
      start = end + 1;
      const line = text.trim();
      if (line !== '') onLine(line);
    }
    if (start < chunk.length) this.#pieces.push(start === 0 ? chunk : chunk.subarray(start));
  }

  /** The waiting pieces and chunk[start, end) as one line of text (decoded whole: a character may span chunks). */
  #joined(chunk: Buffer, start: number, end: number): string {
    this.#pieces.push(chunk.subarray(start, end));
    const text = Buffer.concat(this.#pieces).toString('utf8');
    this.#pieces.length = 0;
    return text;
  }
}
