import type { Token } from './tokenizer.ts';

/** A cursor over the tokens of one resolver; the last token is always `end`, and it is sticky. */
export class TokenStream {
  readonly #tokens: readonly Token[];
  #index = 0;

  constructor(tokens: readonly Token[]) {
    this.#tokens = tokens;
  }

  peek(offset = 0): Token {
    return this.#tokens[Math.min(this.#index + offset, this.#tokens.length - 1)]!;
  }

  next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.#index++;
    return token;
  }

  skipSpace(): void {
    while (this.peek().kind === 'space') this.next();
  }

  /** Whether a `]` comes before the next `[` or the end: tells a bad reference from an unclosed one. */
  hasCloseAhead(): boolean {
    for (let i = this.#index; i < this.#tokens.length; i++) {
      const kind = this.#tokens[i]!.kind;
      if (kind === 'close') return true;
      if (kind === 'open' || kind === 'end') return false;
    }
    return false;
  }
}
